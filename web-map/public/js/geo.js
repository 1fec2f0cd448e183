// Geodesic measures on the WGS84 sphere (radius 6378137 m): lengths by the haversine formula,
// areas by the spherical excess of each ring (the formula of Chamberlain & Duquette, as used by
// most web maps). Good to well under 1 % at grid scale; no projection is involved.

const R = 6378137;
const rad = (d) => (d * Math.PI) / 180;

/** Great-circle distance in metres between [lon, lat] points. */
export function distance(a, b) {
  const dLat = rad(b[1] - a[1]);
  const dLon = rad(b[0] - a[0]);
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(rad(a[1])) * Math.cos(rad(b[1])) * Math.sin(dLon / 2) ** 2;
  return 2 * R * Math.asin(Math.min(1, Math.sqrt(h)));
}

/** Length in metres of a line of [lon, lat] points. */
export function lineLength(points) {
  let s = 0;
  for (let i = 1; i < points.length; i++) s += distance(points[i - 1], points[i]);
  return s;
}

/** Unsigned area in m² of one ring (closed or not). */
export function ringArea(ring) {
  const n = ring.length;
  if (n < 3) return 0;
  let s = 0;
  for (let i = 0; i < n; i++) {
    const p1 = ring[i];
    const p2 = ring[(i + 1) % n];
    s += rad(p2[0] - p1[0]) * (2 + Math.sin(rad(p1[1])) + Math.sin(rad(p2[1])));
  }
  return Math.abs((s * R * R) / 2);
}

/** Area in m² of a Polygon or MultiPolygon geometry (holes subtracted). */
export function geometryArea(g) {
  if (!g) return 0;
  const poly = (rings) => rings.reduce((s, r, i) => s + (i === 0 ? ringArea(r) : -ringArea(r)), 0);
  if (g.type === 'Polygon') return poly(g.coordinates);
  if (g.type === 'MultiPolygon') return g.coordinates.reduce((s, p) => s + poly(p), 0);
  return 0;
}

/** "850 m" / "1.25 km". */
export function formatLength(m) {
  return m < 1000 ? `${m.toFixed(m < 10 ? 1 : 0)} m` : `${(m / 1000).toFixed(m < 10000 ? 2 : 1)} km`;
}

/** "9,500 m²" / "1.25 km²". */
export function formatArea(m2) {
  return m2 < 1e6 ? `${Math.round(m2).toLocaleString('en')} m²` : `${(m2 / 1e6).toFixed(m2 < 1e8 ? 3 : 1)} km²`;
}
