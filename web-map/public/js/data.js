// Where the map's features come from. This is the one module that knows whether the service
// has vector tiles (/tiles/grids.json, TileJSON 3.0) or only the GeoJSON API: everything else
// asks for a source id and a source-layer name and does not care.
//
// Both paths give every grid feature the same properties: id, code, name, layer, status,
// households, residents, band_min, band_max (the last two only when a standard applies).

import { get, token } from './api.js';

export const GRID_LAYERS = ['base', 'micro', 'special', 'composite'];
export const ADMIN_LAYERS = ['districts', 'towns', 'communities'];

const TILEJSON = '/tiles/grids.json';

let mode = null; // 'tiles' | 'geojson'
let tileJson = null;
let districtCode = null;
// Exact grids by id (GeoJSON mode keeps them; editing reads exact geometry via loadExact()).
const standardById = new Map();

/** Decides once whether vector tiles are served. */
export async function init() {
  try {
    // With anonymous reading off, the tiles need the token like every other read.
    const tok = token();
    const res = await fetch(TILEJSON, { method: 'GET', headers: tok ? { Authorization: `Bearer ${tok}` } : {} });
    mode = res.ok ? 'tiles' : 'geojson';
    if (res.ok) tileJson = await res.json();
  } catch {
    mode = 'geojson';
  }
  const tree = (await get('/areas')).body;
  districtCode = tree[0]?.code || null;
  return { mode, tree };
}

/** MapLibre's transformRequest: tile and TileJSON requests to this service carry the token. */
export function withToken(url) {
  const tok = token();
  if (tok && ['/tiles/', '/fonts/', '/reference'].some((p) => url.startsWith(`${location.origin}${p}`))) {
    return { url, headers: { Authorization: `Bearer ${tok}` } };
  }
  return { url };
}

export function usesTiles() {
  return mode === 'tiles';
}

export function district() {
  return districtCode;
}

/** Source id and source-layer for a layer name ('base', 'towns', 'buildings', …). */
export function sourceOf(name) {
  if (mode === 'tiles') return { source: 'grids', sourceLayer: name };
  if (ADMIN_LAYERS.includes(name)) return { source: `admin-${name}` };
  return { source: `src-${name}` };
}

/** Whether a layer can be shown at all (buildings exist only in the tiles). */
export function available(name) {
  return mode === 'tiles' || name !== 'buildings';
}

function tileUrl(asOf) {
  const q = asOf ? `?as_of=${asOf}` : '';
  return `${location.origin}/tiles/grids/{z}/{x}/{y}.mvt${q}`;
}

const EMPTY = { type: 'FeatureCollection', features: [] };

/** Adds the sources to the map (empty GeoJSON first; reload() fills them). */
export function addSources(map, asOf) {
  if (mode === 'tiles') {
    // The TileJSON gives bounds and zooms; the tile URL is set here so that as_of can change it.
    map.addSource('grids', {
      type: 'vector',
      tiles: [tileUrl(asOf)],
      minzoom: tileJson.minzoom ?? 0,
      maxzoom: tileJson.maxzoom ?? 16,
      bounds: tileJson.bounds,
      promoteId: 'code',
    });
    return;
  }
  for (const n of [...ADMIN_LAYERS, ...GRID_LAYERS, 'problems', 'buildings']) {
    map.addSource(sourceOf(n).source, { type: 'geojson', data: EMPTY, promoteId: 'code' });
  }
}

async function mapLimit(items, limit, f) {
  const out = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await f(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

function flatten(tree) {
  const out = [];
  const walk = (n) => {
    out.push(n);
    for (const c of n.children || []) walk(c);
  };
  tree.forEach(walk);
  return out;
}

/** Households standard per grid (GeoJSON mode only: the tiles carry band_min/band_max). */
async function loadStandards() {
  if (!districtCode) return;
  const stats = (await get('/stats', { area: districtCode })).body;
  for (const g of stats.grids || []) standardById.set(g.id, g);
}

function normalise(fc) {
  for (const f of fc.features) {
    const p = (f.properties ||= {});
    p.id = String(f.id ?? p.id ?? p.code);
    const s = standardById.get(p.id);
    if (s) {
      p.residents = s.residents;
      p.buildings = s.buildings;
      if (s.standard) [p.band_min, p.band_max] = s.standard;
    }
  }
  return fc;
}

let adminLoaded = false;

/** (Re)loads the data for a date. Tiles: swaps the tile URL. GeoJSON: fetches every layer. */
export async function reload(map, tree, asOf) {
  if (mode === 'tiles') {
    map.getSource('grids').setTiles([tileUrl(asOf)]);
    return;
  }
  if (!standardById.size) await loadStandards();
  const jobs = GRID_LAYERS.map(async (layer) => {
    const fc = (await get('/grids', { layer, as_of: asOf })).body;
    map.getSource(sourceOf(layer).source).setData(normalise(fc));
  });
  jobs.push(
    get('/validation', { area: districtCode, as_of: asOf }).then(({ body }) => {
      body.features = body.features.filter((f) => f.geometry);
      map.getSource(sourceOf('problems').source).setData(body);
    }),
  );
  if (!adminLoaded) {
    // Without tiles the admin outlines come one area at a time (a district has ~100 areas).
    adminLoaded = true;
    const areas = flatten(tree);
    const feats = await mapLimit(areas, 6, async (a) => (await get(`/areas/${a.code}`)).body);
    const byLevel = { district: 'districts', town: 'towns', community: 'communities' };
    for (const name of ADMIN_LAYERS) {
      const features = feats.filter((f) => byLevel[f.properties.level] === name);
      map.getSource(sourceOf(name).source).setData({ type: 'FeatureCollection', features });
    }
  }
  await Promise.all(jobs);
}

/**
 * Exact grid geometries in a box, straight from the API (never from tiles: tiles are clipped
 * and quantised, and an edit must name the exact vertex it moves).
 */
export async function loadExact(bbox, layer, asOf) {
  const fc = (await get('/grids', { bbox: bbox.join(','), layer, as_of: asOf })).body;
  return normalise(fc).features;
}
