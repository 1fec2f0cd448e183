// The planner's editable area (issue #18): the areas of the caller's own token, read from
// GET /api/v1/tokens/me, outlined on the map and named in a note over it, so that a planner sees
// where they may edit before trying. Follows the token (api.js sends wangge:token-changed) and
// the language.

import { get, token } from './api.js';
import { t, onLanguage } from './i18n.js';
import { esc } from './util.js';

const SOURCE = 'editable-area';
const EMPTY = { type: 'FeatureCollection', features: [] };
let me = null; // the answer of /tokens/me, or null without a token

function render(map, note) {
  const features = (me?.areas || [])
    .filter((a) => a.geometry)
    .map((a) => ({ type: 'Feature', geometry: a.geometry, properties: { code: a.code, name: a.name } }));
  map.getSource(SOURCE)?.setData({ type: 'FeatureCollection', features });
  if (!me) {
    note.hidden = true;
    note.innerHTML = '';
    return;
  }
  let text;
  if (me.everywhere) text = t('editable_everywhere');
  else if (me.role === 'viewer') text = t('editable_none');
  else text = `${t('editable_area')}：${me.areas.map((a) => esc(a.name)).join('、')}`;
  note.hidden = false;
  note.innerHTML = `<span data-field="editable-area">${text}</span>`;
}

async function load(map, note) {
  me = null;
  if (token()) {
    try {
      me = (await get('/tokens/me')).body;
    } catch {
      me = null; // an unknown token is dropped by api.js; viewing goes on without the outline
    }
  }
  render(map, note);
}

export function mountEditable(map) {
  map.addSource(SOURCE, { type: 'geojson', data: EMPTY });
  map.addLayer({ id: 'editable-area-fill', type: 'fill', source: SOURCE, paint: { 'fill-color': '#1565c0', 'fill-opacity': 0.06 } });
  map.addLayer({
    id: 'editable-area-line',
    type: 'line',
    source: SOURCE,
    paint: { 'line-color': '#1565c0', 'line-width': 3, 'line-dasharray': [2, 1.5] },
  });
  const note = document.createElement('div');
  note.id = 'editable-note';
  note.hidden = true;
  note.style.cssText = 'position:absolute;left:8px;bottom:44px;z-index:2;background:rgba(255,255,255,.92);'
    + 'border:2px dashed #1565c0;border-radius:4px;padding:3px 8px;font-size:13px;color:#0d47a1;pointer-events:none';
  map.getContainer().appendChild(note);
  window.addEventListener('wangge:token-changed', () => load(map, note));
  window.addEventListener('wangge:token-dropped', () => load(map, note));
  onLanguage(() => render(map, note));
  return load(map, note);
}
