// The edit panel: tool buttons, the unsaved steps with Undo, the dry-run impact, the reason and
// Save. Refusals are shown once, with a Chinese title, the service's words and the places they
// name marked on the map (403: the reason; 412/409: someone saved first) and never clear the
// drawing. A past view (an as-of date) cannot be edited: the panel says so instead of the tools.

import { session } from './session.js';
import { ready, run } from './requests.js';
import { loadSnapTargets } from './tools.js';
import { token, ApiError } from '../api.js';
import { t, onLanguage } from '../i18n.js';
import { esc } from '../util.js';

const TOOLS = ['draw', 'split', 'move', 'merge', 'reroute', 'status'];
const NEEDS_GRID = new Set(['split', 'move', 'merge', 'reroute', 'status']);
// Problem kinds that describe the area rather than a defect (the count of reserved/suspended
// grids): an edit does not "create" them.
const NOT_PROBLEMS = new Set(['status_summary']);
let el = null;
let map = null;
let onSaved = () => {};
let reloadCard = async () => null;
let pieces = null; // split preview: [{code, name, households, buildings}]

const EMPTY = { type: 'FeatureCollection', features: [] };
const overlay = (id, fc) => map?.getSource(id)?.setData(fc || EMPTY);

function kindLabel(kind) {
  const key = `kind_${kind}`;
  const label = t(key);
  return label === key ? kind : label;
}

function problemsOf(fc) {
  return (fc?.features || []).filter((p) => !NOT_PROBLEMS.has(p.properties.kind));
}

function impactHtml(i) {
  if (!i) return '';
  const created = problemsOf(i.problems_created);
  const solved = problemsOf(i.problems_solved);
  return `<div class="impact" data-field="impact"><b>${t('impact')}</b>
    <dl class="kv">
      <dt>${t('households_changing')}</dt><dd data-field="households_changing">${i.households_changing_grid}</dd>
      <dt>${t('buildings_changing')}</dt><dd data-field="buildings_changing">${i.buildings_changing_grid}</dd>
      <dt>${t('problems_created')}</dt><dd data-field="problems_created">${created.length}</dd>
      <dt>${t('problems_solved')}</dt><dd data-field="problems_solved">${solved.length}</dd>
    </dl>
    ${pieces ? `<b>${t('split_pieces')}</b><ul class="pieces" data-field="pieces">${pieces.map((p, k) => `<li data-code="${esc(p.code)}"><span class="swatch" style="background:${PIECE_COLOURS[k % PIECE_COLOURS.length]}"></span> ${esc(p.code)} ${esc(p.name)}: <b data-field="piece-households">${p.households ?? '–'}</b> ${t('households_unit')} · ${p.buildings} ${t('buildings_unit')}</li>`).join('')}</ul>
      <p class="muted">${t('split_names_note')}</p>` : ''}
    ${created.length ? `<ul class="problems">${created.map((p) => `<li class="sev-${esc(p.properties.severity)}"><b>${esc(kindLabel(p.properties.kind))}</b> · ${esc(t(`sev_${p.properties.severity}`))}<br>${esc(p.properties.message)}</li>`).join('')}</ul>` : ''}</div>`;
}

function messageHtml() {
  const m = session.message;
  if (!m) return '';
  const text = m.saved ? savedText(m.saved) : m.text;
  return `<div class="${m.kind === 'error' ? 'error-box' : 'ok-box'}" data-field="message">${esc(text)}${m.reload ? `<br><button type="button" id="edit-reload">${t('reload_grid')}</button>` : ''}</div>`;
}

function render() {
  const s = session.state;
  if (!token()) {
    el.innerHTML = `<h2>${t('edit')}</h2><p class="muted">${t('need_token')}</p>`;
    return;
  }
  if (session.asOf) {
    el.innerHTML = `<h2>${t('edit')}</h2><p class="muted" data-field="past-view">${esc(t('past_view_no_edit').replace('{date}', session.asOf))}</p>`;
    return;
  }
  const hint = s.tool ? t(`hint_${s.tool}`) : '';
  const needGrid = NEEDS_GRID.has(s.tool) && !session.grid;
  el.innerHTML = `<h2>${t('edit')}</h2>
    <div class="tools">${TOOLS.map((k) => `<button type="button" data-tool="${k}" class="${s.tool === k ? 'active' : ''}">${t(`tool_${k}`)}</button>`).join('')}</div>
    ${s.tool ? `<p class="muted">${needGrid ? t('select_grid_first') : esc(hint)}</p>` : ''}
    ${s.tool === 'draw' ? `<label>${t('new_layer')} <select id="new-layer">${['micro', 'special', 'base'].map((l) => `<option value="${l}" ${s.newLayer === l ? 'selected' : ''}>${t(l)}</option>`).join('')}</select></label>
      <label>${t('new_name')} <input type="text" id="new-name" value="${esc(s.newName)}"></label>` : ''}
    ${s.tool === 'status' ? `<label>${t('new_status')} <select id="new-status">${['active', 'reserved', 'suspended'].map((v) => `<option value="${v}" ${s.status === v ? 'selected' : ''}>${t(v)}</option>`).join('')}</select></label>` : ''}
    ${(s.tool === 'merge' || s.tool === 'reroute') && s.other ? `<p>${t(s.tool === 'merge' ? 'merge_with' : 'reroute_with')}: <b>${esc(s.other.feature.properties.code)}</b> ${esc(s.other.feature.properties.name)}</p>` : ''}
    ${s.tool === 'move' && s.moves.length ? `<p class="muted" data-field="moves">${t('vertices_moved')}: ${s.moves.length}</p>` : ''}
    ${s.tool ? `<p>${t('steps')}: <b data-field="steps">${session.undoStack.length}</b> <span class="muted">${t('keys_hint')}</span></p>
    <div class="tools"><button type="button" id="edit-undo" ${session.undoStack.length ? '' : 'disabled'}>${t('undo')}</button>
      <button type="button" id="edit-cancel">${t('cancel')}</button>
      <button type="button" id="edit-preview" ${ready(session) ? '' : 'disabled'}>${t('preview')}</button></div>` : ''}
    ${impactHtml(session.impact)}
    ${session.impact ? `<label>${t('reason')}<input type="text" id="edit-reason"></label>
      <div class="tools" style="margin-top:4px"><button type="button" id="edit-save">${t('save')}</button></div>` : ''}
    ${messageHtml()}`;
}

// The service's problem types with a title in the page's language.
const TYPE_KEYS = {
  'edit-refused': 'err_edit_refused',
  'bad-input': 'err_bad_input',
  forbidden: 'forbidden',
  'outside-area': 'err_outside_area',
  'not-found': 'err_not_found',
  unauthorized: 'err_unauthorized',
  'stale-version': 'err_stale',
  conflict: 'err_conflict',
};

function problemLine(line) {
  const m = line.match(/^\s*(error|warning|info)\s+([a-z_]+)\s+(.*)$/);
  return m ? `${t(`sev_${m[1]}`)} · ${kindLabel(m[2])}：${m[3]}` : line;
}

/** Title (in the page's language), then the service's detail and field reasons, each once. */
function refusalText(err) {
  const p = err.problem || {};
  const type = String(p.type || '').split(':').pop();
  const title = TYPE_KEYS[type] ? t(TYPE_KEYS[type]) : p.title;
  const lines = [`${title || ''} (${err.status})`];
  const detail = p.detail && p.detail !== p.title ? String(p.detail) : '';
  // The problems a refusal lists ("  error   gap   gap of … near (…)") get their severity and
  // kind in the page's language; the rest of the service's words stay as they are.
  if (detail) lines.push(detail.split('\n').map(problemLine).join('\n'));
  for (const e of p.errors || []) {
    // A field reason the detail already says is not repeated.
    if (e.reason && !detail.includes(e.reason)) lines.push(`${e.field ? `${e.field}: ` : ''}${e.reason}`);
  }
  return lines.join('\n');
}

/** Places a refusal names ("near (lon, lat)") plus, for a move, the refused vertex's target. */
function refusalPlaces(err) {
  const out = [];
  const text = `${err.problem?.detail || ''}\n${(err.problem?.errors || []).map((e) => e.reason).join('\n')}`;
  // "near (lon, lat)" in English, "位于 (lon, lat) 附近" in Chinese.
  for (const m of text.matchAll(/(?:near|位于) \((-?\d+(?:\.\d+)?), (-?\d+(?:\.\d+)?)\)/g)) out.push([Number(m[1]), Number(m[2])]);
  const body = err.step?.request?.body;
  if (body?.to) out.push(body.to);
  return out;
}

function explain(err) {
  if (err instanceof ApiError) {
    if (err.status === 412 || err.status === 409) return { kind: 'error', text: `${t('conflict')}\n${refusalText(err)}`, reload: true };
    const places = refusalPlaces(err);
    overlay('edit-refused', { type: 'FeatureCollection', features: places.map((c) => ({ type: 'Feature', properties: {}, geometry: { type: 'Point', coordinates: c } })) });
    const saved = err.step?.saved ? `\n${t('moves_saved_before').replace('{n}', err.step.saved)}` : '';
    const marked = places.length ? `\n${t('refusal_marked').replace('{n}', places.length)}` : '';
    return { kind: 'error', text: `${refusalText(err)}${marked}${saved}` };
  }
  return { kind: 'error', text: String(err.message || err) };
}

const PIECE_COLOURS = ['#1e88e5', '#43a047', '#8e24aa', '#f4511e'];

/** Households per building from the vector tiles' buildings layer (id → households). */
function buildingHouseholds() {
  const m = new Map();
  if (!map?.getSource('grids') || map.getSource('grids').type !== 'vector') return m;
  for (const f of map.querySourceFeatures('grids', { sourceLayer: 'buildings' })) {
    m.set(f.properties.id, Number(f.properties.households) || 0);
  }
  return m;
}

/** A split's pieces: each one's households are those of the buildings that move into it. */
function splitPieces(body) {
  const created = (body.changed?.features || []).filter((f) => f.properties.change === 'created');
  const hh = buildingHouseholds();
  const moved = body.impact?.buildings_moved || [];
  return created.map((f) => {
    const mine = moved.filter((b) => b.to === f.id);
    const known = mine.every((b) => hh.has(b.id));
    return {
      code: f.properties.code,
      name: f.properties.name,
      buildings: mine.length,
      households: known ? mine.reduce((a, b) => a + hh.get(b.id), 0) : null,
      feature: f,
    };
  });
}

function scrollToImpact() {
  const box = el.querySelector('[data-field=impact]');
  const save = el.querySelector('#edit-save');
  box?.scrollIntoView({ block: 'start' });
  save?.scrollIntoView({ block: 'nearest' });
}

async function preview() {
  session.message = null;
  pieces = null;
  overlay('edit-preview', null);
  overlay('edit-refused', null);
  try {
    const body = await run(session, { dryRun: true });
    session.impact = body.impact;
    if (session.state.tool === 'split') {
      pieces = splitPieces(body);
      overlay('edit-preview', {
        type: 'FeatureCollection',
        features: pieces.map((p, k) => ({ ...p.feature, properties: { ...p.feature.properties, colour: PIECE_COLOURS[k % PIECE_COLOURS.length] } })),
      });
    }
  } catch (err) {
    session.impact = null;
    session.message = explain(err);
  }
  render();
  scrollToImpact();
  el.querySelector('[data-field=message]')?.scrollIntoView({ block: 'nearest' });
}

const CHANGE_KEYS = { created: 'change_created', updated: 'change_updated', retired: 'change_retired' };

/** "已保存：新建 341002001001005 荷花池社区第1网格-1；…" — codes and names, by kind of change. */
function savedText(body) {
  const feats = body.changed?.features || [];
  const groups = ['created', 'updated', 'retired'].map((k) => {
    const fs = feats.filter((f) => f.properties.change === k);
    if (!fs.length) return '';
    return `${t(CHANGE_KEYS[k])}${t('colon')}${fs.map((f) => `${f.properties.code} ${f.properties.name || ''}`.trim()).join('、')}`;
  }).filter(Boolean);
  return `${t('saved')}\n${groups.join('\n')}`;
}

async function save() {
  const reason = el.querySelector('#edit-reason').value.trim();
  if (!reason) {
    session.message = { kind: 'error', text: t('reason_required') };
    render();
    return;
  }
  try {
    const body = await run(session, { dryRun: false, reason });
    session.reset();
    pieces = null;
    overlay('edit-preview', null);
    // Worded when shown, so that it follows the language toggle.
    session.message = { kind: 'ok', saved: body };
    render();
    await onSaved(body);
  } catch (err) {
    // The drawing stays: only the message changes.
    session.message = explain(err);
    render();
    el.querySelector('[data-field=message]')?.scrollIntoView({ block: 'nearest' });
    if (err.step?.saved) await onSaved({ changed: { features: [] } });
  }
}

/** After a conflict: fetch the grid's current version (new ETag) and its card, keep the drawing. */
async function reloadGrid() {
  if (!session.grid) return;
  const other = session.state.other;
  // The card, the highlight and session.grid come back together (status on card and map agree).
  await reloadCard(session.grid.feature.id);
  if (other) {
    const { get } = await import('../api.js');
    const o = await get(`/grids/${encodeURIComponent(other.feature.id)}`);
    session.state.other = { feature: o.body, etag: o.etag };
  }
  session.message = null;
  session.impact = null;
  await loadSnapTargets();
  session.changed();
}

function addOverlays() {
  if (!map || map.getSource('edit-preview')) return;
  map.addSource('edit-preview', { type: 'geojson', data: EMPTY });
  map.addLayer({ id: 'edit-preview-fill', type: 'fill', source: 'edit-preview', paint: { 'fill-color': ['get', 'colour'], 'fill-opacity': 0.35 } });
  map.addLayer({ id: 'edit-preview-line', type: 'line', source: 'edit-preview', paint: { 'line-color': ['get', 'colour'], 'line-width': 3 } });
  map.addSource('edit-refused', { type: 'geojson', data: EMPTY });
  map.addLayer({
    id: 'edit-refused-point', type: 'circle', source: 'edit-refused',
    paint: { 'circle-radius': 11, 'circle-color': 'rgba(213,0,0,0.25)', 'circle-stroke-color': '#d50000', 'circle-stroke-width': 2.5 },
  });
}

/**
 * `saved(body)` runs after a save; opts.map (for previews and marks on the map) and
 * opts.reloadCard(id) (shows the grid's current version on the card and the map).
 */
export function mountEditPanel(element, saved, opts = {}) {
  el = element;
  onSaved = saved;
  map = opts.map || null;
  if (opts.reloadCard) reloadCard = opts.reloadCard;
  addOverlays();
  el.addEventListener('click', (e) => {
    const tool = e.target.dataset?.tool;
    if (tool) {
      session.start(session.state.tool === tool ? null : tool);
      loadSnapTargets();
      return;
    }
    switch (e.target.id) {
      case 'edit-undo': session.undo(); break;
      case 'edit-cancel': session.reset(); break;
      case 'edit-preview': preview(); break;
      case 'edit-save': save(); break;
      case 'edit-reload': reloadGrid().catch((err) => { session.message = explain(err); render(); }); break;
      default:
    }
  });
  el.addEventListener('change', (e) => {
    if (e.target.id === 'new-layer') session.step({ newLayer: e.target.value });
    if (e.target.id === 'new-status') session.step({ status: e.target.value });
    if (e.target.id === 'new-name') session.state.newName = e.target.value;
  });
  session.onChange(() => {
    // Any step, undo or cancel invalidates the previewed pieces and the marks of a refusal.
    if (!session.impact) {
      pieces = null;
      overlay('edit-preview', null);
    }
    if (!session.message || session.message.kind !== 'error') overlay('edit-refused', null);
    render();
  });
  onLanguage(render);
  render();
}

export { render as renderEditPanel };
