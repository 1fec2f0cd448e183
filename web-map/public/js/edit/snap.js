// Snapping against the exact grid geometries loaded from the API (not the rendered tiles,
// whose coordinates are quantised): the nearest vertex within N pixels wins; failing that,
// the nearest point on an edge within N pixels; failing that, the cursor itself.
// The edge point is interpolated in lon/lat with the screen-space parameter, so it lies on the
// edge as the service stores it (at these scales the projection is linear along one edge).

import { dist2, nearestT, rings } from './geometry.js';

export class Snapper {
  constructor(map, pixels) {
    this.map = map;
    this.pixels = pixels;
    this.features = [];
  }

  setFeatures(features) {
    this.features = features || [];
  }

  /** {lngLat: [lon, lat], kind: 'vertex'|'edge'|'free'} for a screen point. */
  snap(point, { exclude } = {}) {
    const map = this.map;
    const r2 = this.pixels * this.pixels;
    let best = null;
    let bestD = r2;
    const projected = [];
    for (const f of this.features) {
      for (const ring of rings(f.geometry)) {
        const pts = ring.map((c) => ({ c, p: map.project(c) }));
        projected.push(pts);
        for (const { c, p } of pts) {
          if (exclude && c[0] === exclude[0] && c[1] === exclude[1]) continue;
          const d = dist2(p, point);
          if (d <= bestD) {
            bestD = d;
            best = { lngLat: [c[0], c[1]], kind: 'vertex' };
          }
        }
      }
    }
    if (best) return best;
    bestD = r2;
    for (const pts of projected) {
      for (let i = 0; i + 1 < pts.length; i++) {
        const a = pts[i], b = pts[i + 1];
        if (exclude && ((a.c[0] === exclude[0] && a.c[1] === exclude[1]) || (b.c[0] === exclude[0] && b.c[1] === exclude[1]))) continue;
        const t = nearestT(point, a.p, b.p);
        const q = { x: a.p.x + t * (b.p.x - a.p.x), y: a.p.y + t * (b.p.y - a.p.y) };
        const d = dist2(q, point);
        if (d <= bestD) {
          bestD = d;
          best = {
            lngLat: [+(a.c[0] + t * (b.c[0] - a.c[0])).toFixed(7), +(a.c[1] + t * (b.c[1] - a.c[1])).toFixed(7)],
            kind: 'edge',
          };
        }
      }
    }
    if (best) return best;
    const ll = map.unproject(point);
    return { lngLat: [+ll.lng.toFixed(7), +ll.lat.toFixed(7)], kind: 'free' };
  }
}
