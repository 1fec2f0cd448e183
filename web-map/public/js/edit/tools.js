// Map interactions of the edit tools: clicks add snapped vertices (draw, split), a vertex of the
// selected grid can be dragged (move), a second grid can be picked (merge). Returns true from
// handleClick when the click was an edit step, so the caller does not also select a grid.

import { session } from './session.js';
import { Snapper } from './snap.js';
import { draftFeatures, vertices } from './geometry.js';
import { setOverlay, viewBbox } from '../map.js';
import { loadExact } from '../data.js';
import { config } from '../config.js';

let map = null;
let snapper = null;
let asOf = () => null;
let pickGrid = async () => null;
let dragging = null; // the vertex being dragged: [lon, lat]

function redraw() {
  const s = session.state;
  if (s.tool === 'draw' || s.tool === 'split') {
    setOverlay(map, 'edit', draftFeatures(s.points, s.tool === 'draw'));
  } else if (s.tool === 'move' && session.grid) {
    const from = s.move?.from;
    const pts = vertices(session.grid.feature.geometry).map((c) => {
      const moved = from && c[0] === from[0] && c[1] === from[1];
      return { type: 'Feature', properties: { moved }, geometry: { type: 'Point', coordinates: moved ? s.move.to : c } };
    });
    setOverlay(map, 'edit', { type: 'FeatureCollection', features: pts });
  } else if (s.tool === 'merge' && s.other) {
    setOverlay(map, 'edit', { type: 'FeatureCollection', features: [s.other.feature] });
  } else {
    setOverlay(map, 'edit', null);
  }
}

/** Loads the exact geometries to snap to (base, micro and special grids in view). */
let loading = Promise.resolve();
export function loadSnapTargets() {
  if (!session.state.tool) return loading;
  const bbox = viewBbox(map);
  loading = Promise.all(['base', 'micro', 'special'].map((l) => loadExact(bbox, l, asOf()).catch(() => [])))
    .then((layers) => snapper.setFeatures(layers.flat()));
  return loading;
}

export function mountTools(theMap, opts) {
  map = theMap;
  asOf = opts.asOf;
  pickGrid = opts.pickGrid;
  snapper = new Snapper(map, config.snapPixels);
  session.onChange(redraw);
  map.on('moveend', () => { loadSnapTargets(); });

  map.on('mousemove', (e) => {
    const tool = session.state.tool;
    if (dragging) {
      const s = snapper.snap(e.point, { exclude: dragging });
      setOverlay(map, 'snap', { type: 'FeatureCollection', features: [{ type: 'Feature', properties: { kind: s.kind }, geometry: { type: 'Point', coordinates: s.lngLat } }] });
      return;
    }
    if (tool === 'draw' || tool === 'split' || tool === 'move') {
      const s = snapper.snap(e.point);
      setOverlay(map, 'snap', { type: 'FeatureCollection', features: [{ type: 'Feature', properties: { kind: s.kind }, geometry: { type: 'Point', coordinates: s.lngLat } }] });
    }
  });

  // Dragging a vertex: pan is off while the pointer holds a vertex of the selected grid.
  map.on('mousedown', (e) => {
    if (session.state.tool !== 'move' || !session.grid) return;
    const s = snapper.snap(e.point);
    if (s.kind !== 'vertex') return;
    const own = vertices(session.grid.feature.geometry).some((c) => c[0] === s.lngLat[0] && c[1] === s.lngLat[1]);
    const start = session.state.move && session.state.move.to;
    // A vertex already moved in this session can be dragged again from where it now is.
    if (!own && !(start && s.lngLat[0] === start[0] && s.lngLat[1] === start[1])) return;
    e.preventDefault();
    map.dragPan.disable();
    dragging = s.lngLat;
  });
  map.on('mouseup', (e) => {
    if (!dragging) return;
    const to = snapper.snap(e.point, { exclude: dragging }).lngLat;
    const from = session.state.move && dragging[0] === session.state.move.to[0] && dragging[1] === session.state.move.to[1]
      ? session.state.move.from
      : dragging;
    dragging = null;
    map.dragPan.enable();
    setOverlay(map, 'snap', null);
    if (to[0] !== from[0] || to[1] !== from[1]) session.step({ move: { from, to } });
  });
}

export async function handleClick(e) {
  // A click right after the tool starts or the view moves waits for the exact geometries,
  // so that it snaps like every other click.
  await loading;
  const s = session.state;
  if (s.tool === 'draw' || s.tool === 'split') {
    session.step({ points: [...s.points, snapper.snap(e.point).lngLat] });
    return true;
  }
  if (s.tool === 'merge' && session.grid) {
    const other = await pickGrid(e.point, session.grid.feature.properties.layer);
    if (other && other.feature.id !== session.grid.feature.id) session.step({ other });
    return true;
  }
  return s.tool === 'move';
}

/** For tests and debugging: how many exact geometries snapping uses. */
export function snapTargetCount() {
  return snapper ? snapper.features.length : 0;
}

/** For tests: what a screen point snaps to now. */
export function snapAt(point) {
  return snapper.snap(point);
}

export function refresh() {
  redraw();
}
