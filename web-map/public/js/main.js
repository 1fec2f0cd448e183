// Wires the modules together: loads the district, builds the map, and routes map clicks either
// to the active edit tool or to grid selection.

import * as data from './data.js';
import { createMap, addOverlays, setOverlay, bboxOf } from './map.js';
import { addLayers, mountSwitcher, clickableLayers } from './layers.js';
import { addLabels } from './labels.js';
import { addReference } from './reference.js';
import { mountCard, showCard, refreshCard } from './card.js';
import { mountSearch, loadIndex } from './search.js';
import { mountStats, refreshStats } from './stats.js';
import { mountValidation, refreshValidation } from './validation.js';
import { mountSettings } from './settings.js';
import { applyStatic, setLanguage, language, t } from './i18n.js';
import { config } from './config.js';
import { get, token, setToken, checkToken } from './api.js';
import { flash } from './util.js';
import { session } from './edit/session.js';
import { mountTools, handleClick, loadSnapTargets } from './edit/tools.js';
import { mountEditPanel, renderEditPanel } from './edit/panel.js';
import { mountMeasure, handleMeasureClick } from './measure.js';
import { mountKeys } from './keys.js';
import { mountExtras } from './extra/index.js';
import { mountEditable } from './editable.js';
import { onLanguage } from './i18n.js';

const $ = (id) => document.getElementById(id);
const app = { map: null, tree: null, asOf: config.asOf };
// Tests read this: the map, and whether the first load finished.
window.wangge = app;
app.session = session;

async function select(id, { fit = false } = {}) {
  const grid = await showCard(id, app.asOf, data.district());
  setOverlay(app.map, 'highlight', grid.feature);
  session.grid = grid;
  session.changed();
  if (fit) app.map.fitBounds(bboxOf(grid.feature), { padding: 80, maxZoom: 17 });
  loadSnapTargets();
}

/** The topmost grid under a screen point (optionally of one layer), exact from the API. */
async function gridAt(point, layer) {
  const layers = layer ? [`${layer}-fill`] : clickableLayers;
  const hits = app.map.queryRenderedFeatures(point, { layers: layers.filter((l) => app.map.getLayer(l)) });
  if (!hits.length) return null;
  const id = hits[0].properties.id ?? hits[0].properties.code;
  const { body, etag } = await get(`/grids/${encodeURIComponent(id)}`, { as_of: app.asOf });
  return { feature: body, etag };
}

function refreshPanels() {
  // The validation lists the problems of the same area the statistics count.
  refreshStats(app.map, { code: data.district(), name: app.tree[0]?.name }, app.asOf)
    .then((area) => refreshValidation(app.asOf, area))
    .catch((e) => flash(e.message));
}

/** A search hit: a grid (its card) or an admin area (its outline, fitted). */
async function choose(hit) {
  if (hit.kind === 'area') {
    const { body } = await get(`/areas/${encodeURIComponent(hit.id)}`);
    setOverlay(app.map, 'highlight', body);
    app.map.fitBounds(bboxOf(body), { padding: 40, maxZoom: 17 });
    return;
  }
  await select(hit.id, { fit: true });
}

const reloadIndex = () => loadIndex(data.district(), app.asOf, app.tree).catch((e) => flash(e.message));

async function reloadData() {
  await data.reload(app.map, app.tree, app.asOf);
  refreshPanels();
}

async function start() {
  applyStatic();
  // A stored token the service does not know would make every read fail: drop it first.
  let dropped = false;
  if (token()) {
    const check = await checkToken(token()).catch(() => ({ ok: true }));
    if (check.status === 401) {
      setToken('');
      dropped = true;
      setTimeout(() => flash(t('token_dropped')), 0);
    }
  }
  const { tree } = await data.init();
  app.tree = tree;
  // Start on the district's extent (the area endpoint gives its outline).
  const district = (await get(`/areas/${data.district()}`)).body;
  const map = createMap($('map'), config.center ? undefined : bboxOf(district));
  app.map = map;
  await new Promise((resolve) => map.on('load', resolve));
  data.addSources(map, app.asOf);
  addLayers(map);
  addLabels(map);
  // Reference layers load beside the rest; a failure is reported, the grids still show.
  addReference(map).catch((e) => { console.error(e); flash(String(e.message || e)); });
  addOverlays(map);
  // The planner's editable area, outlined before they try an edit (issue #18).
  mountEditable(map).catch((e) => flash(e.message));
  mountSwitcher(map, $('layers-panel'));
  mountCard($('card'), () => {
    setOverlay(map, 'highlight', null);
    session.grid = null;
    session.changed();
  });
  mountStats($('stats'));
  mountValidation($('validation'), map);
  mountSettings($('settings'), () => renderEditPanel());
  mountTools(map, { asOf: () => app.asOf, pickGrid: gridAt });
  session.asOf = app.asOf;
  mountEditPanel($('edit-panel'), async (result) => {
    await reloadData();
    reloadIndex(); // new grids are found, retired ones are gone
    const kept = result.changed.features.find((f) => f.properties.change !== 'retired');
    if (kept) await select(kept.id);
  }, {
    map,
    // After a conflict: the map and the card both show the grid's current version.
    reloadCard: async (id) => {
      await reloadData();
      await select(id);
    },
  });
  mountSearch($('search'), $('search-results'), (hit) => choose(hit).catch((e) => flash(e.message)));
  mountMeasure(map, $('map'));
  mountKeys();
  mountExtras(app, (id) => select(id, { fit: true }));
  // The settings box says it too (the status line fades).
  if (dropped) window.dispatchEvent(new CustomEvent('wangge:token-dropped'));

  const asOf = $('as-of');
  asOf.value = app.asOf || '';
  asOf.addEventListener('change', async () => {
    app.asOf = asOf.value || null;
    // A past view is for reading: the edit tools close and say why.
    session.asOf = app.asOf;
    session.reset();
    reloadData().catch((e) => flash(e.message));
    reloadIndex();
    try {
      const r = await refreshCard(app.asOf, data.district());
      if (r?.missing) {
        setOverlay(map, 'highlight', null);
        flash(t('card_not_then').replace('{id}', r.missing).replace('{date}', app.asOf || t('today')));
      } else if (r) {
        session.grid = r;
        setOverlay(map, 'highlight', r.feature);
        session.changed();
      }
    } catch (e) {
      flash(e.message);
    }
  });
  $('lang-toggle').addEventListener('click', () => setLanguage(language() === 'en' ? 'zh' : 'en'));
  // The service's texts (problem messages) come in the page's language: ask again after a switch.
  onLanguage(() => refreshPanels());
  if (language() === 'en') setLanguage('en');

  map.on('click', async (e) => {
    try {
      if (handleMeasureClick(e)) return;
      if (await handleClick(e)) return;
      const g = await gridAt(e.point);
      if (g) await select(g.feature.id);
    } catch (err) {
      flash(err.message);
    }
  });
  let timer = null;
  map.on('moveend', () => {
    // Panels follow the view, but not on every frame of a pan.
    clearTimeout(timer);
    timer = setTimeout(refreshPanels, 300);
  });

  await Promise.all([reloadData(), loadIndex(data.district(), app.asOf, app.tree)]);
  await new Promise((resolve) => (map.loaded() ? resolve() : map.once('idle', resolve)));
  app.ready = true;
  document.body.dataset.ready = 'true';
}

start().catch((e) => {
  console.error(e);
  flash(`${e.message}`);
});
