// The MapLibre map: a style with no external sources (no glyphs, no sprites, no basemap tiles)
// so the page works offline; an optional raster basemap only when the page address asks for one.
// Overlay sources (highlight, edit drawing, snap marker) live here because every panel uses them.

// MapLibre 6 is an ES module with named exports only.
import * as maplibregl from '/vendor/maplibre-gl/maplibre-gl.mjs';
import { config } from './config.js';
import { withToken } from './data.js';

const EMPTY = { type: 'FeatureCollection', features: [] };

function style() {
  const sources = {};
  const layers = [{ id: 'background', type: 'background', paint: { 'background-color': '#eef1ec' } }];
  if (config.basemap) {
    sources.basemap = {
      type: 'raster',
      tiles: [config.basemap],
      tileSize: 256,
      attribution: config.basemapAttribution,
    };
    layers.push({ id: 'basemap', type: 'raster', source: 'basemap' });
  }
  // No "glyphs" here: labels.js sets them with its label layers (served by /fonts).
  return { version: 8, sources, layers };
}

export function createMap(container, bounds) {
  const map = new maplibregl.Map({
    container,
    style: style(),
    bounds,
    fitBoundsOptions: { padding: 20 },
    center: config.center || undefined,
    zoom: config.zoom ?? undefined,
    attributionControl: config.basemap ? {} : false,
    // Tests and screenshots read the canvas back.
    canvasContextAttributes: { preserveDrawingBuffer: true },
    doubleClickZoom: false,
    // Chinese labels from the service's glyphs (/fonts), not the browser's local font: MapLibre
    // otherwise draws CJK ideographs with whatever "sans-serif" is, which may lack them.
    localIdeographFontFamily: false,
    transformRequest: (url) => withToken(url),
  });
  map.addControl(new maplibregl.NavigationControl({ showCompass: false }), 'top-right');
  map.addControl(new maplibregl.ScaleControl({ unit: 'metric' }), 'bottom-left');
  return map;
}

/** Sources and layers drawn above the data: selection highlight, edit drawing, snap marker. */
export function addOverlays(map) {
  map.addSource('highlight', { type: 'geojson', data: EMPTY });
  map.addLayer({ id: 'highlight-fill', type: 'fill', source: 'highlight', filter: ['==', ['geometry-type'], 'Polygon'], paint: { 'fill-color': '#ffd400', 'fill-opacity': 0.25 } });
  map.addLayer({ id: 'highlight-line', type: 'line', source: 'highlight', paint: { 'line-color': '#ff6f00', 'line-width': 3 } });
  map.addLayer({ id: 'highlight-point', type: 'circle', source: 'highlight', filter: ['==', ['geometry-type'], 'Point'], paint: { 'circle-radius': 8, 'circle-color': '#ff6f00', 'circle-opacity': 0.6 } });

  map.addSource('edit', { type: 'geojson', data: EMPTY });
  map.addLayer({ id: 'edit-fill', type: 'fill', source: 'edit', filter: ['==', ['geometry-type'], 'Polygon'], paint: { 'fill-color': '#7b1fa2', 'fill-opacity': 0.2 } });
  map.addLayer({ id: 'edit-line', type: 'line', source: 'edit', filter: ['!=', ['geometry-type'], 'Point'], paint: { 'line-color': '#7b1fa2', 'line-width': 2.5, 'line-dasharray': [2, 1] } });
  map.addLayer({
    id: 'edit-vertex', type: 'circle', source: 'edit', filter: ['==', ['geometry-type'], 'Point'],
    paint: {
      'circle-radius': ['case', ['boolean', ['get', 'moved'], false], 7, 5],
      'circle-color': ['case', ['boolean', ['get', 'moved'], false], '#d50000', '#ffffff'],
      'circle-stroke-color': '#7b1fa2', 'circle-stroke-width': 2,
    },
  });

  map.addSource('snap', { type: 'geojson', data: EMPTY });
  map.addLayer({
    id: 'snap-point', type: 'circle', source: 'snap',
    paint: {
      'circle-radius': 7, 'circle-color': 'rgba(0,0,0,0)', 'circle-stroke-width': 2,
      'circle-stroke-color': ['match', ['get', 'kind'], 'vertex', '#00c853', 'edge', '#2962ff', '#9e9e9e'],
    },
  });
}

export function setOverlay(map, id, geojson) {
  map.getSource(id)?.setData(geojson || EMPTY);
}

/** Bounding box [w, s, e, n] of any GeoJSON geometry/feature/collection. */
export function bboxOf(g) {
  const b = [Infinity, Infinity, -Infinity, -Infinity];
  const visit = (c) => {
    if (typeof c[0] === 'number') {
      b[0] = Math.min(b[0], c[0]); b[1] = Math.min(b[1], c[1]);
      b[2] = Math.max(b[2], c[0]); b[3] = Math.max(b[3], c[1]);
    } else c.forEach(visit);
  };
  const walk = (x) => {
    if (!x) return;
    if (x.type === 'FeatureCollection') x.features.forEach(walk);
    else if (x.type === 'Feature') walk(x.geometry);
    else if (x.type === 'GeometryCollection') x.geometries.forEach(walk);
    else if (x.coordinates) visit(x.coordinates);
  };
  walk(g);
  return b[0] === Infinity ? null : b;
}

export function viewBbox(map) {
  const b = map.getBounds();
  return [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map((v) => +v.toFixed(7));
}

export { maplibregl };
