// The grid card: what a planner asks first about a grid — code, name, layer, status, households,
// residents, buildings, who runs it (grid head, grid worker) and how it changed (history).

import { get } from './api.js';
import { t, onLanguage } from './i18n.js';
import { esc } from './util.js';
import { geometryArea, formatArea } from './geo.js';

let current = null; // {feature, etag, stats, people, history, changes, members}
let el = null;
let onClose = () => {};

const ROLE_KEYS = { grid_head: 'grid_head', grid_worker: 'grid_worker' };

function render() {
  if (!current) {
    el.hidden = true;
    el.innerHTML = '';
    return;
  }
  const { feature, stats, people, history, changes, members } = current;
  const p = feature.properties;
  const names = (role) => people.filter((x) => x.role === role).map((x) => esc(x.name)).join('、') || `<span class="muted">${t('nobody')}</span>`;
  // A composite grid's figures are the sums over its member base grids.
  const fig = (k) => esc(stats?.[k] ?? (k === 'households' ? p.households : undefined) ?? '–');
  el.hidden = false;
  el.innerHTML = `<h2>${esc(p.name)} <button type="button" class="close" style="float:right">${t('close')}</button></h2>
    <dl class="kv">
      <dt>${t('code')}</dt><dd data-field="code">${esc(p.code)}</dd>
      <dt>${t('layer')}</dt><dd>${t(p.layer)}</dd>
      <dt>${t('status')}</dt><dd data-field="status">${t(p.status)}</dd>
      <dt>${t('card_area')}</dt><dd data-field="grid-area">${formatArea(geometryArea(feature.geometry))}</dd>
      <dt>${t('households')}</dt><dd data-field="households">${fig('households')}${stats?.standard ? ` <span class="muted">(${stats.standard[0]}–${stats.standard[1]})</span>` : ''}</dd>
      <dt>${t('residents')}</dt><dd data-field="residents">${fig('residents')}</dd>
      <dt>${t('buildings_n')}</dt><dd>${fig('buildings')}</dd>
      ${members ? `<dt>${t('card_members')}</dt><dd data-field="members">${members.map((m) => `<span title="${esc(m.code)}">${esc(m.name || m.code)}</span>`).join('、') || '–'}</dd>` : ''}
      ${Object.keys(ROLE_KEYS).map((r) => `<dt>${t(r)}</dt><dd>${names(r)}</dd>`).join('')}
    </dl>
    <h3>${t('history')}</h3>
    <ol class="history">${history.map((h) => {
      const q = h.properties;
      const c = changes.find((x) => x.grids.some((g) => g.grid === feature.id && g.to_version === q.version));
      const who = c ? `<br><span class="muted" data-field="change">${esc(c.reason)} · ${esc(c.actor.replace(/ \(token [^)]*\)$/, ''))} · ${esc(c.at.slice(0, 10))}</span>` : '';
      return `<li>${t('version')} ${esc(q.version)} · ${esc(q.valid_from)}${q.valid_to ? ` → ${esc(q.valid_to)}` : ''} · ${t(q.status)}${who}</li>`;
    }).join('')}</ol>`;
  el.querySelector('.close').addEventListener('click', () => { close(); });
}

export function mountCard(element, closed) {
  el = element;
  onClose = closed;
  onLanguage(render);
}

// The change log, read once and then only what is newer (GET /changes?after=<last id>).
let log = [];
async function changeLog() {
  try {
    for (;;) {
      const after = log.length ? log[log.length - 1].id : 0;
      const { body } = await get('/changes', { after, limit: 1000 });
      if (!Array.isArray(body) || !body.length) break;
      // Two cards loading at once may both ask: keep each change once.
      const last = log.length ? log[log.length - 1].id : 0;
      log = log.concat(body.filter((c) => c.id > last));
      if (body.length < 1000) break;
    }
  } catch { /* the history is shown without reasons */ }
  return log;
}

/** Loads and shows grid `id`; returns {feature, etag} for the map and the editor. */
export async function showCard(id, asOf, districtCode) {
  const enc = encodeURIComponent(id);
  const [{ body: feature, etag }, hist, ppl, chg] = await Promise.all([
    get(`/grids/${enc}`, { as_of: asOf }),
    get(`/grids/${enc}/history`).catch(() => ({ body: { features: [] } })),
    get('/people', { grid: id }).catch(() => ({ body: [] })),
    // The change log has each version's reason and author (it cannot be asked per grid).
    changeLog(),
  ]);
  // Households/residents/buildings are counted by the service per grid of an area.
  let stats = null;
  let members = null;
  const layer = feature.properties.layer;
  // A base or composite grid's parent is its community (a small query); others ask the district.
  const area = layer === 'base' || layer === 'composite' ? feature.properties.parent : districtCode;
  if (area) {
    const s = await get('/stats', { area, as_of: asOf }).catch(() => null);
    const grids = s?.body?.grids || [];
    if (layer === 'composite') {
      const ids = feature.properties.members || [];
      const ms = ids.map((m) => grids.find((g) => g.id === m) || { id: m, code: m, name: '' });
      members = ms;
      const sum = (k) => ms.reduce((acc, g) => acc + (g[k] ?? 0), 0);
      stats = { households: sum('households'), residents: sum('residents'), buildings: sum('buildings') };
    } else {
      stats = grids.find((g) => g.id === id) || null;
    }
  }
  current = {
    feature, etag, stats, members, people: ppl.body || [], history: hist.body.features || [],
    changes: chg, asOf,
  };
  render();
  return { feature, etag };
}

/** Whether a grid with these versions (from /history) existed on `asOf` (null: today). */
function existed(versions, asOf) {
  // Today in the district (UTC+08:00), as the service counts it.
  const day = asOf || new Date(Date.now() + 8 * 3600e3).toISOString().slice(0, 10);
  return versions.some((v) => {
    const q = v.properties;
    return (!q.valid_from || q.valid_from <= day) && (!q.valid_to || day < q.valid_to);
  });
}

/** The grid shown, again for date `asOf`: {missing: id} (and the card closes) when it did not exist then. */
export async function refreshCard(asOf, districtCode) {
  if (!current) return null;
  const id = current.feature.id;
  // Asked from the history first, so that a grid absent on the date is no failed request.
  const hist = await get(`/grids/${encodeURIComponent(id)}/history`).catch(() => null);
  if (hist && !existed(hist.body.features || [], asOf)) {
    close();
    return { missing: id };
  }
  try {
    return await showCard(id, asOf, districtCode);
  } catch (e) {
    if (e.status === 404) {
      close();
      return { missing: id };
    }
    throw e;
  }
}

export function close() {
  current = null;
  render();
  onClose();
}

export function currentGrid() {
  return current ? { feature: current.feature, etag: current.etag } : null;
}
