// Run-time settings from the page address. Nothing here is fetched from the network:
// the map works offline by default, and an external basemap is strictly opt-in.
//
//   ?basemap=<raster tile URL template with {z}/{x}/{y}>   e.g. a Tianditu WMTS KVP URL with its tk=
//   ?lang=en                                              start in English
//   ?as_of=YYYY-MM-DD                                     start on a past date
//   ?center=lon,lat&zoom=z                                start view

const q = new URLSearchParams(location.search);

function num(v, fallback) {
  // Number(null) is 0: an absent parameter must give the fallback, not zero.
  if (v === null || v === '') return fallback;
  const n = Number(v);
  return Number.isFinite(n) ? n : fallback;
}

const centre = (q.get('center') || '').split(',').map(Number);

export const config = {
  basemap: q.get('basemap') || null,
  basemapAttribution: q.get('basemap_attribution') || '',
  asOf: /^\d{4}-\d{2}-\d{2}$/.test(q.get('as_of') || '') ? q.get('as_of') : null,
  center: centre.length === 2 && centre.every(Number.isFinite) ? centre : null,
  zoom: num(q.get('zoom'), null),
  // Snapping radius in screen pixels: large enough for a mouse, small enough to pick one vertex.
  snapPixels: num(q.get('snap_px'), 12),
};
