// The edit panel: tool buttons, the unsaved steps with Undo, the dry-run impact, the reason and
// Save. Refusals are shown as the service words them (403: the reason; 412/409: someone saved
// first) and never clear the drawing.

import { session } from './session.js';
import { ready, run } from './requests.js';
import { loadSnapTargets } from './tools.js';
import { token, ApiError, get } from '../api.js';
import { t, onLanguage } from '../i18n.js';
import { esc } from '../util.js';

const TOOLS = ['draw', 'split', 'move', 'merge', 'status'];
const NEEDS_GRID = new Set(['split', 'move', 'merge', 'status']);
let el = null;
let onSaved = () => {};

function impactHtml(i) {
  if (!i) return '';
  const created = i.problems_created?.features || [];
  const solved = i.problems_solved?.features || [];
  return `<div class="impact" data-field="impact"><b>${t('impact')}</b>
    <dl class="kv">
      <dt>${t('households_changing')}</dt><dd data-field="households_changing">${i.households_changing_grid}</dd>
      <dt>${t('buildings_changing')}</dt><dd data-field="buildings_changing">${i.buildings_changing_grid}</dd>
      <dt>${t('problems_created')}</dt><dd data-field="problems_created">${created.length}</dd>
      <dt>${t('problems_solved')}</dt><dd data-field="problems_solved">${solved.length}</dd>
    </dl>
    ${created.length ? `<ul>${created.map((p) => `<li>${esc(p.properties.message)}</li>`).join('')}</ul>` : ''}</div>`;
}

function messageHtml() {
  const m = session.message;
  if (!m) return '';
  return `<div class="${m.kind === 'error' ? 'error-box' : 'ok-box'}" data-field="message">${esc(m.text)}${m.reload ? `<br><button type="button" id="edit-reload">${t('reload_grid')}</button>` : ''}</div>`;
}

function render() {
  const s = session.state;
  if (!token()) {
    el.innerHTML = `<h2>${t('edit')}</h2><p class="muted">${t('need_token')}</p>`;
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
    ${s.tool === 'merge' && s.other ? `<p>${t('merge_with')}: <b>${esc(s.other.feature.properties.code)}</b></p>` : ''}
    ${s.tool ? `<p>${t('steps')}: <b data-field="steps">${session.undoStack.length}</b></p>
    <div class="tools"><button type="button" id="edit-undo" ${session.undoStack.length ? '' : 'disabled'}>${t('undo')}</button>
      <button type="button" id="edit-cancel">${t('cancel')}</button>
      <button type="button" id="edit-preview" ${ready(session) ? '' : 'disabled'}>${t('preview')}</button></div>` : ''}
    ${impactHtml(session.impact)}
    ${session.impact ? `<label>${t('reason')}<input type="text" id="edit-reason"></label>
      <div class="tools" style="margin-top:4px"><button type="button" id="edit-save">${t('save')}</button></div>` : ''}
    ${messageHtml()}`;
}

function explain(err) {
  if (err instanceof ApiError) {
    if (err.status === 412 || err.status === 409) return { kind: 'error', text: `${t('conflict')}\n${err.explain()}`, reload: true };
    if (err.status === 403) return { kind: 'error', text: `${t('forbidden')}: ${err.explain()}` };
    return { kind: 'error', text: err.explain() };
  }
  return { kind: 'error', text: String(err.message || err) };
}

async function preview() {
  session.message = null;
  try {
    const body = await run(session, { dryRun: true });
    session.impact = body.impact;
  } catch (err) {
    session.impact = null;
    session.message = explain(err);
  }
  render();
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
    const ids = body.changed.features.map((f) => f.id).join(', ');
    session.reset();
    session.message = { kind: 'ok', text: `${t('saved')}: ${ids}` };
    render();
    await onSaved(body);
  } catch (err) {
    // The drawing stays: only the message changes.
    session.message = explain(err);
    render();
  }
}

/** After a conflict: fetch the grid's current version (new ETag), keep the drawing. */
async function reloadGrid() {
  if (!session.grid) return;
  const { body, etag } = await get(`/grids/${encodeURIComponent(session.grid.feature.id)}`);
  session.grid = { feature: body, etag };
  if (session.state.other) {
    const o = await get(`/grids/${encodeURIComponent(session.state.other.feature.id)}`);
    session.state.other = { feature: o.body, etag: o.etag };
  }
  session.message = null;
  session.impact = null;
  await loadSnapTargets();
  session.changed();
}

export function mountEditPanel(element, saved) {
  el = element;
  onSaved = saved;
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
      case 'edit-reload': reloadGrid(); break;
      default:
    }
  });
  el.addEventListener('change', (e) => {
    if (e.target.id === 'new-layer') session.step({ newLayer: e.target.value });
    if (e.target.id === 'new-status') session.step({ status: e.target.value });
    if (e.target.id === 'new-name') session.state.newName = e.target.value;
  });
  session.onChange(render);
  onLanguage(render);
  render();
}

export { render as renderEditPanel };
