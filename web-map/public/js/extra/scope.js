// Shared by the phone, table, export and print tools: the admin areas as a flat list, the area
// a view shows (same rule as the statistics panel), and file downloads that carry the token.

import { get, token, ApiError } from '../api.js';
import { esc } from '../util.js';

/** The areas tree flattened: [{code, name, level, kind, parent}] in tree order. */
export function flatAreas(tree) {
  const out = [];
  const walk = (n, parent) => {
    out.push({ code: n.code, name: n.name, level: n.level, kind: n.kind, parent });
    for (const c of n.children || []) walk(c, n.code);
  };
  tree.forEach((n) => walk(n, null));
  return out;
}

/** <option>s of the district, its streets/towns and communities (indented). */
export function areaOptions(tree, selected) {
  const pad = { district: '', town: '\u3000', community: '\u3000\u3000' };
  return flatAreas(tree).map((a) => `<option value="${esc(a.code)}"${a.code === selected ? ' selected' : ''}>${pad[a.level] ?? ''}${esc(a.name)}</option>`).join('');
}

/** The admin area for the map's centre and zoom: community zoomed in, town, else the district. */
export async function areaInView(map, tree, asOf) {
  const c = map.getCenter();
  try {
    const { body } = await get('/lookup', { lon: c.lng.toFixed(7), lat: c.lat.toFixed(7), as_of: asOf });
    const z = map.getZoom();
    const a = (z >= 15 && body.community) || (z >= 13 && body.town) || body.district;
    if (a) return a;
  } catch { /* the centre lies outside every grid */ }
  return { code: tree[0]?.code, name: tree[0]?.name };
}

/** GET a file from the API (with the token) as {blob, name}. */
export async function fetchFile(path, params) {
  const q = new URLSearchParams(Object.entries(params).filter(([, v]) => v !== null && v !== undefined && v !== ''));
  const tok = token();
  const res = await fetch(`/api/v1${path}?${q}`, { headers: tok ? { Authorization: `Bearer ${tok}` } : {} });
  if (!res.ok) {
    let p = {};
    try { p = await res.json(); } catch { /* not a problem document */ }
    throw new ApiError(res.status, p);
  }
  const cd = res.headers.get('Content-Disposition') || '';
  const name = /filename="?([^";]+)"?/.exec(cd)?.[1] || 'export';
  return { blob: await res.blob(), name };
}

/** A dialog over the page (full screen on a phone); returns its body element. */
export function dialog(id, title, onClose) {
  let el = document.getElementById(id);
  if (!el) {
    el = document.createElement('div');
    el.id = id;
    el.className = 'x-dialog';
    el.setAttribute('role', 'dialog');
    document.body.append(el);
  }
  // One dialog at a time.
  for (const other of document.querySelectorAll('.x-dialog')) other.hidden = other !== el;
  el.hidden = false;
  el.innerHTML = `<div class="x-dialog-head"><h2>${esc(title)}</h2><button type="button" class="x-close">✕</button></div><div class="x-dialog-body"></div>`;
  el.querySelector('.x-close').addEventListener('click', () => { el.hidden = true; onClose?.(); });
  return el.querySelector('.x-dialog-body');
}

export const today = () => {
  const d = new Date();
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
};
