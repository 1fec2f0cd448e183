// Map interactions of the edit tools: clicks add snapped vertices (draw, split, reroute), vertices
// of the selected grid can be dragged (move; several per edit, the outlines of every grid sharing
// a vertex follow the pointer), a second grid can be picked (merge, reroute). Returns true from
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
let dragging = null; // the vertex being dragged: [lon, lat] (where it is now)
let dragTo = null; // where the pointer holds it during the drag

const same = (a, b) => a && b && a[0] === b[0] && a[1] === b[1];

/** The moves of the session, plus the one being dragged (not yet a step). */
function currentMoves() {
  const moves = session.state.moves.map((m) => ({ ...m }));
  if (dragging && dragTo) {
    const m = moves.find((x) => same(x.to, dragging));
    if (m) m.to = dragTo;
    else moves.push({ from: dragging, to: dragTo });
  }
  return moves;
}

/** Grids (exact, from the snap targets) with every moved vertex at its new place. */
function movedOutlines(moves) {
  if (!moves.length) return [];
  const out = [];
  const seen = new Set();
  for (const f of [session.grid?.feature, ...snapper.features].filter(Boolean)) {
    const id = f.id ?? f.properties?.id;
    if (seen.has(id)) continue;
    const json = JSON.stringify(f.geometry.coordinates);
    if (!moves.some((m) => json.includes(`[${m.from[0]},${m.from[1]}]`))) continue;
    seen.add(id);
    const swap = (c) => (typeof c[0] === 'number' ? (moves.find((m) => same(m.from, c))?.to || c) : c.map(swap));
    out.push({ type: 'Feature', properties: { id, moved: true }, geometry: { type: f.geometry.type, coordinates: swap(f.geometry.coordinates) } });
  }
  return out;
}

function redraw() {
  const s = session.state;
  if (s.tool === 'draw' || s.tool === 'split') {
    setOverlay(map, 'edit', draftFeatures(s.points, s.tool === 'draw'));
  } else if (s.tool === 'reroute') {
    const fc = draftFeatures(s.points, false);
    if (s.other) fc.features.unshift(s.other.feature);
    setOverlay(map, 'edit', fc);
  } else if (s.tool === 'move' && session.grid) {
    const moves = currentMoves();
    const pts = vertices(session.grid.feature.geometry).map((c) => {
      const m = moves.find((x) => same(x.from, c));
      return { type: 'Feature', properties: { moved: !!m }, geometry: { type: 'Point', coordinates: m ? m.to : c } };
    });
    setOverlay(map, 'edit', { type: 'FeatureCollection', features: [...movedOutlines(moves), ...pts] });
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
    .then((layers) => { snapper.setFeatures(layers.flat()); redraw(); });
  return loading;
}

function showSnap(s) {
  setOverlay(map, 'snap', { type: 'FeatureCollection', features: [{ type: 'Feature', properties: { kind: s.kind }, geometry: { type: 'Point', coordinates: s.lngLat } }] });
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
      showSnap(s);
      // The outlines follow the pointer while dragging.
      dragTo = s.lngLat;
      redraw();
      return;
    }
    if (tool === 'draw' || tool === 'split' || tool === 'move' || tool === 'reroute') showSnap(snapper.snap(e.point));
  });

  // Dragging a vertex: pan is off while the pointer holds a vertex of the selected grid.
  map.on('mousedown', (e) => {
    if (session.state.tool !== 'move' || !session.grid) return;
    const s = snapper.snap(e.point);
    if (s.kind !== 'vertex') return;
    const own = vertices(session.grid.feature.geometry).some((c) => same(c, s.lngLat));
    // A vertex already moved in this edit can be dragged again from where it now is.
    const again = session.state.moves.some((m) => same(m.to, s.lngLat));
    if (!own && !again) return;
    e.preventDefault();
    map.dragPan.disable();
    dragging = s.lngLat;
    dragTo = null;
  });
  map.on('mouseup', (e) => {
    if (!dragging) return;
    const to = snapper.snap(e.point, { exclude: dragging }).lngLat;
    const held = dragging;
    dragging = null;
    dragTo = null;
    map.dragPan.enable();
    setOverlay(map, 'snap', null);
    const moves = session.state.moves.map((m) => ({ ...m }));
    const again = moves.find((m) => same(m.to, held));
    if (again) {
      if (same(again.to, to)) return redraw();
      again.to = to;
    } else {
      if (same(held, to)) return redraw();
      moves.push({ from: held, to });
    }
    // A vertex dragged back to where it was is no move at all.
    session.step({ moves: moves.filter((m) => !same(m.from, m.to)) });
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
  if (s.tool === 'reroute' && session.grid) {
    // First the neighbour whose shared boundary is rerouted, then the new path's points.
    if (!s.other) {
      const other = await pickGrid(e.point, session.grid.feature.properties.layer);
      if (other && other.feature.id !== session.grid.feature.id) session.step({ other });
    } else {
      session.step({ points: [...s.points, snapper.snap(e.point).lngLat] });
    }
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
