// The grid card: what a planner asks first about a grid — code, name, layer, status, households,
// residents, buildings, who runs it (grid head, grid worker) and how it changed (history).

import { get } from './api.js';
import { t, onLanguage } from './i18n.js';
import { esc } from './util.js';

let current = null; // {feature, etag, stats, people, history}
let el = null;
let onClose = () => {};

const ROLE_KEYS = { grid_head: 'grid_head', grid_worker: 'grid_worker' };

function render() {
  if (!current) {
    el.hidden = true;
    el.innerHTML = '';
    return;
  }
  const { feature, stats, people, history } = current;
  const p = feature.properties;
  const names = (role) => people.filter((x) => x.role === role).map((x) => esc(x.name)).join('、') || `<span class="muted">${t('nobody')}</span>`;
  el.hidden = false;
  el.innerHTML = `<h2>${esc(p.name)} <button type="button" class="close" style="float:right">${t('close')}</button></h2>
    <dl class="kv">
      <dt>${t('code')}</dt><dd data-field="code">${esc(p.code)}</dd>
      <dt>${t('layer')}</dt><dd>${t(p.layer)}</dd>
      <dt>${t('status')}</dt><dd data-field="status">${t(p.status)}</dd>
      <dt>${t('households')}</dt><dd>${esc(stats?.households ?? p.households ?? '–')}${stats?.standard ? ` <span class="muted">(${stats.standard[0]}–${stats.standard[1]})</span>` : ''}</dd>
      <dt>${t('residents')}</dt><dd>${esc(stats?.residents ?? '–')}</dd>
      <dt>${t('buildings_n')}</dt><dd>${esc(stats?.buildings ?? '–')}</dd>
      ${Object.keys(ROLE_KEYS).map((r) => `<dt>${t(r)}</dt><dd>${names(r)}</dd>`).join('')}
    </dl>
    <h3>${t('history')}</h3>
    <ol class="history">${history.map((h) => {
      const q = h.properties;
      return `<li>${t('version')} ${esc(q.version)} · ${esc(q.valid_from)}${q.valid_to ? ` → ${esc(q.valid_to)}` : ''} · ${t(q.status)}</li>`;
    }).join('')}</ol>`;
  el.querySelector('.close').addEventListener('click', () => { close(); });
}

export function mountCard(element, closed) {
  el = element;
  onClose = closed;
  onLanguage(render);
}

/** Loads and shows grid `id`; returns {feature, etag} for the map and the editor. */
export async function showCard(id, asOf, districtCode) {
  const enc = encodeURIComponent(id);
  const [{ body: feature, etag }, hist, ppl] = await Promise.all([
    get(`/grids/${enc}`, { as_of: asOf }),
    get(`/grids/${enc}/history`).catch(() => ({ body: { features: [] } })),
    get('/people', { grid: id }).catch(() => ({ body: [] })),
  ]);
  // Households/residents/buildings are counted by the service per grid of an area.
  let stats = null;
  // A base grid's parent is its community (a small query); other layers ask the district.
  const area = feature.properties.layer === 'base' ? feature.properties.parent : districtCode;
  if (area) {
    const s = await get('/stats', { area }).catch(() => null);
    stats = s?.body?.grids?.find((g) => g.id === id) || null;
  }
  current = { feature, etag, stats, people: ppl.body || [], history: hist.body.features || [] };
  render();
  return { feature, etag };
}

export function close() {
  current = null;
  render();
  onClose();
}

export function currentGrid() {
  return current ? { feature: current.feature, etag: current.etag } : null;
}
