// Plain geometry helpers for editing (screen-space distances, rings), free of MapLibre.

/** Squared distance between screen points. */
export function dist2(a, b) {
  const dx = a.x - b.x, dy = a.y - b.y;
  return dx * dx + dy * dy;
}

/** Parameter t in [0,1] of the point on segment ab nearest to p (screen space). */
export function nearestT(p, a, b) {
  const vx = b.x - a.x, vy = b.y - a.y;
  const len2 = vx * vx + vy * vy;
  if (len2 === 0) return 0;
  return Math.max(0, Math.min(1, ((p.x - a.x) * vx + (p.y - a.y) * vy) / len2));
}

/** Every ring of a Polygon or MultiPolygon geometry. */
export function rings(geometry) {
  if (!geometry) return [];
  if (geometry.type === 'Polygon') return geometry.coordinates;
  if (geometry.type === 'MultiPolygon') return geometry.coordinates.flat();
  return [];
}

/** Distinct vertices of a polygonal geometry (closing vertices dropped). */
export function vertices(geometry) {
  const seen = new Set();
  const out = [];
  for (const r of rings(geometry)) {
    for (const c of r) {
      const k = `${c[0]},${c[1]}`;
      if (!seen.has(k)) {
        seen.add(k);
        out.push(c);
      }
    }
  }
  return out;
}

export function closeRing(points) {
  const r = points.slice();
  const [f, l] = [r[0], r[r.length - 1]];
  if (f[0] !== l[0] || f[1] !== l[1]) r.push(f);
  return r;
}

/** Points as map overlay features (a line/polygon of the draft plus its vertices). */
export function draftFeatures(points, closed) {
  const feats = points.map((c) => ({ type: 'Feature', properties: {}, geometry: { type: 'Point', coordinates: c } }));
  if (closed && points.length >= 3) {
    feats.unshift({ type: 'Feature', properties: {}, geometry: { type: 'Polygon', coordinates: [closeRing(points)] } });
  } else if (points.length >= 2) {
    feats.unshift({ type: 'Feature', properties: {}, geometry: { type: 'LineString', coordinates: points } });
  }
  return { type: 'FeatureCollection', features: feats };
}
