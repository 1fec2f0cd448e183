// Wires the modules together: loads the district, builds the map, and routes map clicks either
// to the active edit tool or to grid selection.

import * as data from './data.js';
import { createMap, addOverlays, setOverlay, bboxOf } from './map.js';
import { addLayers, mountSwitcher, clickableLayers } from './layers.js';
import { mountCard, showCard } from './card.js';
import { mountSearch, loadIndex } from './search.js';
import { mountStats, refreshStats } from './stats.js';
import { mountValidation, refreshValidation } from './validation.js';
import { mountSettings } from './settings.js';
import { applyStatic, setLanguage, language } from './i18n.js';
import { config } from './config.js';
import { get } from './api.js';
import { flash } from './util.js';
import { session } from './edit/session.js';
import { mountTools, handleClick, loadSnapTargets } from './edit/tools.js';
import { mountEditPanel, renderEditPanel } from './edit/panel.js';
import { mountExtras } from './extra/index.js';

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
  refreshStats(app.map, { code: data.district(), name: app.tree[0]?.name }, app.asOf).catch((e) => flash(e.message));
  refreshValidation(app.asOf).catch((e) => flash(e.message));
}

async function reloadData() {
  await data.reload(app.map, app.tree, app.asOf);
  refreshPanels();
}

async function start() {
  applyStatic();
  const { tree } = await data.init();
  app.tree = tree;
  // Start on the district's extent (the area endpoint gives its outline).
  const district = (await get(`/areas/${data.district()}`)).body;
  const map = createMap($('map'), config.center ? undefined : bboxOf(district));
  app.map = map;
  await new Promise((resolve) => map.on('load', resolve));
  data.addSources(map, app.asOf);
  addLayers(map);
  addOverlays(map);
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
  mountEditPanel($('edit-panel'), async (result) => {
    await reloadData();
    const kept = result.changed.features.find((f) => f.properties.change !== 'retired');
    if (kept) await select(kept.id);
  });
  mountSearch($('search'), $('search-results'), (id) => select(id, { fit: true }).catch((e) => flash(e.message)));
  mountExtras(app, (id) => select(id, { fit: true }));

  const asOf = $('as-of');
  asOf.value = app.asOf || '';
  asOf.addEventListener('change', () => {
    app.asOf = asOf.value || null;
    reloadData().catch((e) => flash(e.message));
  });
  $('lang-toggle').addEventListener('click', () => setLanguage(language() === 'en' ? 'zh' : 'en'));
  if (language() === 'en') setLanguage('en');

  map.on('click', async (e) => {
    try {
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

  await Promise.all([reloadData(), loadIndex(data.district())]);
  await new Promise((resolve) => (map.loaded() ? resolve() : map.once('idle', resolve)));
  app.ready = true;
  document.body.dataset.ready = 'true';
}

start().catch((e) => {
  console.error(e);
  flash(`${e.message}`);
});
