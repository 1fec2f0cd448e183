// Turns the session into the API call of its edit. The same call runs twice: first with
// dry_run=true (the impact shown to the planner), then with the reason to save.

import { request, get } from '../api.js';
import { closeRing } from './geometry.js';

function centroid(points) {
  const n = points.length;
  return [points.reduce((s, p) => s + p[0], 0) / n, points.reduce((s, p) => s + p[1], 0) / n];
}

/** The parent a new grid needs: the community (base grid) or the base grid (micro/special). */
async function parentFor(layer, points) {
  const [lon, lat] = centroid(points);
  const { body } = await get('/lookup', { lon: lon.toFixed(7), lat: lat.toFixed(7) });
  return layer === 'base' ? body.community?.code : body.base?.id;
}

/** {method, path, body, ifMatch} for the session, or throws Error with a user message. */
export async function buildRequest(session) {
  const s = session.state;
  const g = session.grid;
  switch (s.tool) {
    case 'draw': {
      const parent = await parentFor(s.newLayer, s.points);
      return {
        method: 'POST',
        path: '/grids',
        body: {
          type: 'Feature',
          geometry: { type: 'Polygon', coordinates: [closeRing(s.points)] },
          properties: { layer: s.newLayer, parent, name: s.newName || undefined, status: 'active' },
        },
      };
    }
    case 'split':
      return { method: 'POST', path: `/grids/${encodeURIComponent(g.feature.id)}/split`, body: { line: s.points }, ifMatch: g.etag };
    case 'move':
      // One request per moved vertex (the API moves one shared vertex per edit).
      return s.moves.map((m) => ({ method: 'POST', path: '/boundaries/move', body: { from: m.from, to: m.to } }));
    case 'reroute':
      return {
        method: 'POST',
        path: '/boundaries/reroute',
        body: { a: g.feature.id, b: s.other.feature.id, path: s.points },
        ifMatch: g.etag && s.other.etag ? `${g.etag}, ${s.other.etag}` : undefined,
      };
    case 'merge':
      return {
        method: 'POST',
        path: '/grids/merge',
        body: { ids: [g.feature.id, s.other.feature.id], keep: g.feature.id },
        ifMatch: [g.etag, s.other.etag].filter(Boolean).join(', ') || undefined,
      };
    case 'status':
      return { method: 'PUT', path: `/grids/${encodeURIComponent(g.feature.id)}/status`, body: { status: s.status }, ifMatch: g.etag };
    default:
      throw new Error('no edit');
  }
}

/** Whether the session holds a complete edit that can be previewed. */
export function ready(session) {
  const s = session.state;
  switch (s.tool) {
    case 'draw': return s.points.length >= 3;
    case 'split': return !!session.grid && s.points.length >= 2;
    case 'move': return s.moves.length > 0;
    case 'reroute': return !!session.grid && !!s.other && s.points.length >= 2;
    case 'merge': return !!session.grid && !!s.other;
    case 'status': return !!session.grid;
    default: return false;
  }
}

/** Sums the answers of several requests into one (changed grids and impact). */
function combine(bodies) {
  if (bodies.length === 1) return bodies[0];
  const fc = (k) => ({ type: 'FeatureCollection', features: bodies.flatMap((b) => b.impact?.[k]?.features || []) });
  const sum = (k) => bodies.reduce((a, b) => a + (b.impact?.[k] || 0), 0);
  const list = (k) => bodies.flatMap((b) => b.impact?.[k] || []);
  return {
    ...bodies[bodies.length - 1],
    changed: { type: 'FeatureCollection', features: bodies.flatMap((b) => b.changed?.features || []) },
    impact: {
      households_changing_grid: sum('households_changing_grid'),
      buildings_changing_grid: sum('buildings_changing_grid'),
      buildings_moved: list('buildings_moved'),
      households_moved: list('households_moved'),
      reparented: list('reparented'),
      problems_created: fc('problems_created'),
      problems_solved: fc('problems_solved'),
    },
  };
}

export async function run(session, { dryRun, reason }) {
  const built = await buildRequest(session);
  const list = Array.isArray(built) ? built : [built];
  const params = dryRun ? { dry_run: 'true' } : { reason };
  const bodies = [];
  for (const r of list) {
    try {
      bodies.push((await request(r.method, r.path, { params, body: r.body, ifMatch: r.ifMatch })).body);
    } catch (e) {
      // Which step was refused (a move of several vertices), and how many were saved before it.
      e.step = { index: bodies.length, request: r, saved: dryRun ? 0 : bodies.length };
      throw e;
    }
  }
  return combine(bodies);
}
