// Search by code or name: grids of every layer (base, micro, special from /stats; composite grids
// from /grids?layer=composite) and the admin areas (streets/towns, communities/villages) of the
// area tree. The index follows the as-of date and is rebuilt after every saved edit, so new grids
// are found and retired ones are gone. Arrow keys move through the results, Enter opens one.

import { get } from './api.js';
import { t } from './i18n.js';
import { esc } from './util.js';

let index = [];
let onIndex = () => {};

const AREA_LEVEL = { district: 'area_district', town: 'area_town', community: 'area_community' };

function flatten(tree) {
  const out = [];
  const walk = (n) => {
    out.push(n);
    for (const c of n.children || []) walk(c);
  };
  (tree || []).forEach(walk);
  return out;
}

/** Rebuilds the index for a date (null: today). */
export async function loadIndex(districtCode, asOf, tree) {
  const [stats, comp] = await Promise.all([
    get('/stats', { area: districtCode, as_of: asOf }),
    get('/grids', { layer: 'composite', as_of: asOf }).catch(() => ({ body: { features: [] } })),
  ]);
  const grids = (stats.body.grids || []).map((g) => ({ kind: 'grid', id: g.id, code: g.code, name: g.name, layer: g.layer }));
  const composites = (comp.body.features || []).map((f) => ({
    kind: 'grid', id: String(f.id ?? f.properties.code), code: f.properties.code, name: f.properties.name, layer: 'composite',
  }));
  const areas = flatten(tree).map((a) => ({ kind: 'area', id: a.code, code: a.code, name: a.name, layer: AREA_LEVEL[a.level] || 'admin' }));
  index = [...areas, ...grids, ...composites];
  onIndex();
}

export function find(q) {
  const s = q.trim().toLowerCase();
  if (!s) return [];
  const hits = index.filter((g) => g.code.toLowerCase().includes(s) || String(g.name || '').toLowerCase().includes(s));
  // Exact code first, then codes that start with the query, then areas, then the rest.
  const rank = (g) => (g.code === s ? 0 : g.code.startsWith(s) ? 1 : g.kind === 'area' ? 2 : 3);
  return hits.sort((a, b) => rank(a) - rank(b) || a.code.localeCompare(b.code)).slice(0, 30);
}

export function mountSearch(input, list, choose) {
  let hits = [];
  let active = -1;
  const paint = () => {
    for (const li of list.querySelectorAll('li[data-i]')) li.classList.toggle('active', Number(li.dataset.i) === active);
    list.querySelector('li.active')?.scrollIntoView({ block: 'nearest' });
  };
  const show = () => {
    hits = find(input.value);
    active = hits.length ? 0 : -1;
    if (!input.value.trim()) {
      list.hidden = true;
      list.innerHTML = '';
      return;
    }
    list.hidden = false;
    list.innerHTML = hits.length
      ? hits.map((g, i) => `<li data-i="${i}" data-kind="${g.kind}">${esc(g.code)} · ${esc(g.name)} <span class="muted">${t(g.layer)}</span></li>`).join('')
      : `<li class="muted" data-field="no-results">${t('no_results')}</li>`;
    paint();
  };
  const pick = (i) => {
    if (!hits[i]) return;
    list.hidden = true;
    choose(hits[i]);
  };
  input.addEventListener('input', show);
  // A rebuilt index (after an edit, on another date) refreshes the results shown.
  onIndex = () => { if (!list.hidden) show(); };
  input.addEventListener('focus', () => { if (input.value.trim()) show(); });
  input.addEventListener('keydown', (e) => {
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      if (list.hidden) show();
      if (!hits.length) return;
      e.preventDefault();
      active = (active + (e.key === 'ArrowDown' ? 1 : hits.length - 1)) % hits.length;
      paint();
    } else if (e.key === 'Enter') {
      pick(active < 0 ? 0 : active);
    } else if (e.key === 'Escape') {
      list.hidden = true;
    }
  });
  list.addEventListener('click', (e) => {
    const li = e.target.closest('li[data-i]');
    if (li) pick(Number(li.dataset.i));
  });
}
