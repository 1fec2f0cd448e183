// Map labels drawn by MapLibre: street (街道) and community (社区) names, grid codes and, closer
// in, grid names. The glyphs come from the service itself (/fonts, rendered from the server's
// CJK fonts), so the page still needs nothing from outside. The properties are the vector tiles'
// (and the GeoJSON features'): `name` and `code` on towns, communities and grids.

import { sourceOf } from './data.js';
import { layerIds } from './layers.js';

/** The font stack the labels ask /fonts for: Debian's fonts-wqy-microhei (see the README). */
export const LABEL_FONT = ['WenQuanYi Micro Hei'];
/** The style's glyphs URL. Absolute: MapLibre requests glyphs with the URL as given. */
export const GLYPHS_URL = `${location.origin}/fonts/{fontstack}/{range}.pbf`;

function src(name) {
  const s = sourceOf(name);
  return s.sourceLayer ? { source: s.source, 'source-layer': s.sourceLayer } : { source: s.source };
}

// A white halo keeps dark text readable on every fill colour (status, band, basemap).
const HALO = { 'text-halo-color': 'rgba(255,255,255,0.92)', 'text-halo-width': 1.6, 'text-halo-blur': 0.3 };

/** Label layer ids by the layer switcher's group, so the switcher hides them with their data. */
export const labelIds = {
  admin: ['towns-label', 'communities-label'],
  base: ['base-label'],
  special: ['special-label'],
};

export function addLabels(map) {
  map.setGlyphs(GLYPHS_URL);
  const text = (size) => ({ 'text-font': LABEL_FONT, 'text-size': size, 'text-max-width': 8, 'text-padding': 4 });
  // Streets from zoom 10 until communities take over; communities from 12.5 until grids fill the view.
  map.addLayer({
    id: 'towns-label', type: 'symbol', ...src('towns'), minzoom: 10, maxzoom: 13,
    layout: { ...text(16), 'text-field': ['get', 'name'] },
    paint: { 'text-color': '#0d47a1', ...HALO },
  });
  map.addLayer({
    id: 'communities-label', type: 'symbol', ...src('communities'), minzoom: 12.5, maxzoom: 15.5,
    layout: { ...text(14), 'text-field': ['get', 'name'] },
    paint: { 'text-color': '#1565c0', ...HALO },
  });
  // Grids: the code from 14 (what planners quote), name above the code from 15.5.
  const gridText = ['step', ['zoom'], ['get', 'code'], 15.5, ['format', ['get', 'name'], {}, '\n', {}, ['get', 'code'], { 'font-scale': 0.8 }]];
  for (const layer of ['base', 'special']) {
    map.addLayer({
      id: `${layer}-label`, type: 'symbol', ...src(layer), minzoom: 14,
      layout: { ...text(['interpolate', ['linear'], ['zoom'], 14, 10, 17, 14]), 'text-field': gridText },
      paint: { 'text-color': layer === 'special' ? '#4a148c' : '#263238', ...HALO },
    });
  }
  for (const [group, ids] of Object.entries(labelIds)) layerIds[group].push(...ids);
}
