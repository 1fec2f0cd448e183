// Problems (gaps, overlaps, band breaches, …) of the area in view, from /validation?bbox=.
// Clicking one zooms to it and highlights its geometry (or, without one, the grids it names).

import { get } from './api.js';
import { t, onLanguage } from './i18n.js';
import { esc } from './util.js';
import { bboxOf, setOverlay, viewBbox } from './map.js';

let el = null;
let problems = [];
let map = null;
let areaName = '';
let loaded = false;

// A problem kind in the interface language (the raw kind when it has no label yet).
function kindLabel(kind) {
  const key = `kind_${kind}`;
  const label = t(key);
  return label === key ? kind : label;
}

function render() {
  el.innerHTML = `<h2>${t(areaName ? 'validation_in_area' : 'validation')}${areaName ? ` · <span data-field="validation-area">${esc(areaName)}</span>` : ''}</h2>${problems.length
    ? `<ul class="problems">${problems.map((p, i) => {
      const q = p.properties;
      return `<li class="sev-${esc(q.severity)}" data-i="${i}" data-kind="${esc(q.kind)}"><b>${esc(kindLabel(q.kind))}</b> · <span class="sev-label">${esc(t(`sev_${q.severity}`))}</span><br>${esc(q.message)}</li>`;
    }).join('')}</ul>`
    : `<p class="muted">${t(loaded ? 'no_problems' : 'loading')}</p>`}`;
}

async function focus(p) {
  let target = p.geometry ? p : null;
  if (!target && p.properties.grids?.length) {
    // No geometry: show the grids it names (first few; a summary can name dozens).
    const ids = p.properties.grids.slice(0, 10);
    const feats = await Promise.all(ids.map((id) => get(`/grids/${encodeURIComponent(id)}`).then((r) => r.body).catch(() => null)));
    target = { type: 'FeatureCollection', features: feats.filter(Boolean) };
  }
  if (!target) return;
  setOverlay(map, 'highlight', target.type === 'FeatureCollection' ? target : { type: 'FeatureCollection', features: [target] });
  const b = bboxOf(target);
  if (b) map.fitBounds(b, { padding: 60, maxZoom: 17 });
}

export function mountValidation(element, theMap) {
  el = element;
  map = theMap;
  el.addEventListener('click', (e) => {
    const li = e.target.closest('li[data-i]');
    if (li) focus(problems[Number(li.dataset.i)]);
  });
  onLanguage(render);
  render();
}

let seq = 0;
/**
 * Problems of `area` (the same admin area the statistics show: the one under the map centre at
 * the zoom's level); without an area, those of the view's box.
 */
export async function refreshValidation(asOf, area) {
  const mine = ++seq;
  const params = area ? { area: area.code, as_of: asOf } : { bbox: viewBbox(map).join(','), as_of: asOf };
  const { body } = await get('/validation', params);
  if (mine !== seq) return;
  areaName = area ? area.name : '';
  loaded = true;
  // Errors first, then warnings, then information.
  const order = { error: 0, warning: 1, info: 2 };
  problems = body.features.sort((a, b) => (order[a.properties.severity] ?? 3) - (order[b.properties.severity] ?? 3));
  render();
}
