// Reference layers the service was started with (`wangge serve --reference roads=FILE`): roads,
// rivers, railways drawn thin and grey under the grids, so planners see what boundaries follow.

import { withToken } from './data.js';

/** Adds every reference layer under the grid layers; none configured: nothing to add. */
export async function addReference(map) {
  const { url, headers } = withToken(`${location.origin}/reference`);
  const res = await fetch(url, { headers });
  if (!res.ok) throw new Error(`/reference: ${res.status}`);
  const { layers } = await res.json();
  // Under the lowest data layer (buildings, then the grid fills), above the background/basemap.
  const below = map.getStyle().layers.find((l) => l.source && l.source !== 'basemap')?.id;
  for (const l of layers) {
    map.addSource(`ref-${l.name}`, { type: 'geojson', data: `${location.origin}${l.href}` });
    map.addLayer({
      id: `ref-${l.name}-line`, type: 'line', source: `ref-${l.name}`,
      filter: ['!=', ['geometry-type'], 'Point'],
      paint: { 'line-color': '#9e9e9e', 'line-width': ['interpolate', ['linear'], ['zoom'], 10, 0.5, 16, 2] },
    }, below);
  }
  return layers;
}
