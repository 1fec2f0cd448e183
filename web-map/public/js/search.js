// Search by grid code or name. The index is the district's grid list from /stats (id, code, name,
// layer) — it works the same whether the map draws tiles or GeoJSON.

import { get } from './api.js';
import { t } from './i18n.js';
import { esc } from './util.js';

let index = [];

export async function loadIndex(districtCode) {
  const { body } = await get('/stats', { area: districtCode });
  index = (body.grids || []).map((g) => ({ id: g.id, code: g.code, name: g.name, layer: g.layer }));
}

function find(q) {
  const s = q.trim().toLowerCase();
  if (!s) return [];
  const hits = index.filter((g) => g.code.toLowerCase().includes(s) || g.name.toLowerCase().includes(s));
  // Exact code first, then codes that start with the query, then the rest.
  const rank = (g) => (g.code === s ? 0 : g.code.startsWith(s) ? 1 : 2);
  return hits.sort((a, b) => rank(a) - rank(b) || a.code.localeCompare(b.code)).slice(0, 20);
}

export function mountSearch(input, list, choose) {
  let hits = [];
  const show = () => {
    hits = find(input.value);
    list.hidden = hits.length === 0;
    list.innerHTML = hits.map((g, i) => `<li data-i="${i}">${esc(g.code)} · ${esc(g.name)} <span class="muted">${t(g.layer)}</span></li>`).join('');
  };
  input.addEventListener('input', show);
  input.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && hits[0]) {
      list.hidden = true;
      choose(hits[0].id);
    }
  });
  list.addEventListener('click', (e) => {
    const li = e.target.closest('li');
    if (!li) return;
    list.hidden = true;
    choose(hits[Number(li.dataset.i)].id);
  });
}
