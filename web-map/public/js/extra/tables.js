// Lists, statistics tables and export (issue 18): the grids of a street or community with
// households, residents, workers and status; per-street and per-community tables with the report's
// breakdowns (urban/rural base grids, micro grids, special grids by category, reserved,
// suspended, workers, ratios); each table saved as CSV (UTF-8 with BOM) or XLSX; and the grids of
// the area in view as GeoJSON / GeoPackage / Shapefile through GET /api/v1/export.
//
// Data: /grids?area=<district> (layer, kind, category, parent of every grid) and
// /stats?area=<district> (households, residents, grid workers per grid), both for the as-of date.
// Households, residents and workers of an area are sums over its base grids (micro and special
// grids lie inside base grids: adding them would count people twice).

import { get } from '../api.js';
import { t } from '../i18n.js';
import { esc, flash } from '../util.js';
import { viewBbox } from '../map.js';
import { flatAreas, areaOptions, areaInView, fetchFile, dialog, today } from './scope.js';
import { xlsxBlob, csvBlob, saveBlob } from './xlsx.js';

const CATEGORIES = ['school', 'hospital', 'enterprise', 'government_unit', 'hotel', 'market', 'park', 'commercial_building', 'other'];
const cache = new Map(); // as_of → {grids, byId, stats}

async function load(district, asOf) {
  const key = asOf || '';
  if (!cache.has(key)) {
    cache.set(key, (async () => {
      const [fc, st] = await Promise.all([get('/grids', { area: district, as_of: asOf }), get('/stats', { area: district, as_of: asOf })]);
      const stats = new Map((st.body.grids || []).map((g) => [g.id, g]));
      const byId = new Map(fc.body.features.map((f) => [String(f.id ?? f.properties.code), f.properties]));
      return { grids: fc.body.features.map((f) => ({ id: String(f.id ?? f.properties.code), ...f.properties })), byId, stats };
    })().catch((e) => { cache.delete(key); throw e; }));
  }
  return cache.get(key);
}

/** Forget loaded data (after an edit or a date change). */
export function invalidate() {
  cache.clear();
}

function communityOf(g, byId) {
  if (g.layer === 'base' || g.layer === 'composite') return g.parent;
  const base = byId.get(g.parent);
  return base ? base.parent : String(g.code).slice(0, 12);
}

const pct = (num, den, digits) => (den ? `${((100 * num) / den).toFixed(digits)}%` : '–');

/** The tables for an area: {list, towns, communities} each {title, head, rows}. */
function tables(data, tree, areaCode) {
  const areas = flatAreas(tree);
  const byCode = new Map(areas.map((a) => [a.code, a]));
  const under = (code, target) => {
    for (let a = byCode.get(code); a; a = byCode.get(a.parent)) if (a.code === target) return true;
    return false;
  };
  const area = byCode.get(areaCode);
  const grids = data.grids.map((g) => ({ ...g, community: communityOf(g, data.byId), s: data.stats.get(g.id) }));
  const inArea = grids.filter((g) => under(g.community, areaCode));
  const layerOrder = { base: 0, micro: 1, special: 2, composite: 3 };
  inArea.sort((a, b) => a.code.localeCompare(b.code) || layerOrder[a.layer] - layerOrder[b.layer]);

  const listHead = [t('code'), t('name'), t('layer'), t('x_kind'), t('status'), t('x_community'), t('households'), t('residents'), t('grid_worker')];
  const listRows = inArea.map((g) => [g.code, g.name, t(g.layer) + (g.category ? `（${t(`x_cat_${g.category}`)}）` : ''), t(`x_${g.kind}`), t(g.status),
    byCode.get(g.community)?.name || g.community || '', g.s?.households ?? '', g.s?.residents ?? '', g.s?.workers ?? '']);

  const cats = CATEGORIES.filter((c) => grids.some((g) => g.layer === 'special' && g.category === c));
  const statHead = [t('x_area'), t('code'), t('base'), t('x_urban_grids'), t('x_rural_grids'), t('active'), t('reserved'), t('suspended'), t('micro'), t('special'),
    ...cats.map((c) => `${t('special')}·${t(`x_cat_${c}`)}`), t('composite'), t('households'), t('residents'), t('grid_worker'), t('x_ratio_grid'), t('x_ratio_people')];
  const statRow = (label, code, gs) => {
    const base = gs.filter((g) => g.layer === 'base');
    const sum = (f) => base.reduce((s, g) => s + (g.s?.[f] || 0), 0);
    const n = (f) => gs.filter(f).length;
    const workers = sum('workers');
    const residents = sum('residents');
    return [label, code, base.length, n((g) => g.layer === 'base' && g.kind === 'urban'), n((g) => g.layer === 'base' && g.kind === 'rural'),
      n((g) => g.layer === 'base' && g.status === 'active'), n((g) => g.layer === 'base' && g.status === 'reserved'), n((g) => g.layer === 'base' && g.status === 'suspended'),
      n((g) => g.layer === 'micro'), n((g) => g.layer === 'special'), ...cats.map((c) => n((g) => g.layer === 'special' && g.category === c)),
      n((g) => g.layer === 'composite'), sum('households'), residents, workers, pct(workers, base.length, 2), pct(workers, residents, 3)];
  };
  const statTable = (level) => {
    const units = areas.filter((a) => a.level === level && (a.code === areaCode || under(a.code, areaCode)));
    const rows = units.map((u) => statRow(u.name, u.code, inArea.filter((g) => under(g.community, u.code))));
    rows.push(statRow(t('x_total'), area?.code || '', inArea));
    return rows;
  };
  return {
    list: { title: t('x_tab_list'), head: listHead, rows: listRows, ids: inArea.map((g) => g.id) },
    towns: { title: t('x_tab_towns'), head: statHead, rows: statTable('town') },
    communities: { title: t('x_tab_communities'), head: statHead, rows: statTable('community') },
    areaName: area?.name || areaCode,
  };
}

function tableHtml(tab) {
  return `<table class="x-table" data-rows="${tab.rows.length}"><thead><tr>${tab.head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead>
    <tbody>${tab.rows.map((r, i) => `<tr${tab.ids ? ` data-id="${esc(tab.ids[i])}" class="x-pick"` : ''}>${r.map((v) => `<td${typeof v === 'number' ? ' class="num"' : ''}>${esc(v)}</td>`).join('')}</tr>`).join('')}</tbody></table>`;
}

/** Opens the tables dialog on the area in view (or `areaCode`); `select(id)` shows a grid. */
export async function openTables(app, select, areaCode) {
  const tree = app.tree;
  const district = tree[0].code;
  invalidate(); // edits since the last opening change the tables
  const code = areaCode || (await areaInView(app.map, tree, app.asOf)).code;
  const state = { area: code, tab: 'list', built: null };
  const body = dialog('tables-dialog', t('x_tables'));
  body.innerHTML = `<div class="x-controls">
      <label>${t('x_area')} <select id="tables-area">${areaOptions(tree, code)}</select></label>
      <span class="x-tabs" role="tablist">
        <button type="button" data-tab="list">${t('x_tab_list')}</button>
        <button type="button" data-tab="towns">${t('x_tab_towns')}</button>
        <button type="button" data-tab="communities">${t('x_tab_communities')}</button>
      </span>
      <span class="x-export"><button type="button" id="tables-csv">${t('x_save_csv')}</button>
      <button type="button" id="tables-xlsx">${t('x_save_xlsx')}</button></span>
    </div>
    <p class="muted" id="tables-note"></p>
    <div class="x-table-wrap" id="tables-out"><p class="muted">${t('loading')}</p></div>`;
  const render = async () => {
    const data = await load(district, app.asOf);
    state.built = tables(data, tree, state.area);
    const tab = state.built[state.tab];
    body.querySelector('#tables-out').innerHTML = tableHtml(tab);
    body.querySelector('#tables-note').textContent = `${state.built.areaName} · ${tab.title} · ${t('as_of')} ${app.asOf || today()} · ${tab.rows.length} ${t('x_rows')}`;
    for (const b of body.querySelectorAll('[data-tab]')) b.classList.toggle('active', b.dataset.tab === state.tab);
  };
  const save = (kind) => {
    const tab = state.built?.[state.tab];
    if (!tab) return;
    const rows = [tab.head, ...tab.rows];
    const base = `${state.built.areaName}-${tab.title}-${app.asOf || today()}`;
    if (kind === 'csv') saveBlob(`${base}.csv`, csvBlob(rows));
    else saveBlob(`${base}.xlsx`, xlsxBlob(tab.title, rows));
  };
  body.querySelector('#tables-area').addEventListener('change', (e) => { state.area = e.target.value; render().catch((err) => flash(err.message)); });
  for (const b of body.querySelectorAll('[data-tab]')) b.addEventListener('click', () => { state.tab = b.dataset.tab; render().catch((err) => flash(err.message)); });
  // A row of the grid list shows that grid on the map (its card, the map fitted to it).
  body.querySelector('#tables-out').addEventListener('click', (e) => {
    const tr = e.target.closest('tr[data-id]');
    if (!tr || !select) return;
    document.getElementById('tables-dialog').hidden = true;
    select(tr.dataset.id).catch((err) => flash(err.message));
  });
  body.querySelector('#tables-csv').addEventListener('click', () => save('csv'));
  body.querySelector('#tables-xlsx').addEventListener('click', () => save('xlsx'));
  await render();
}

/** Opens the export dialog: the grids of the area in view as GeoJSON, GeoPackage or Shapefile. */
export async function openExport(app) {
  const tree = app.tree;
  // GET /export takes layer, area and as_of (no bbox): "the grids in view" are the grids of the
  // admin area the view shows (community zoomed in, street/town, else the district) — the same
  // area the statistics panel reports on.
  const inView = await areaInView(app.map, tree, app.asOf);
  const body = dialog('export-dialog', t('x_export'));
  body.innerHTML = `<div class="x-controls x-col">
      <label>${t('x_area')} <select id="export-area"><option value="view">${t('x_export_view')}</option>${areaOptions(tree, inView.code)}</select></label>
      <label>${t('layer')} <select id="export-layer"><option value="">${t('x_all_layers')}</option>
        ${['base', 'micro', 'special', 'composite'].map((l) => `<option value="${l}">${t(l)}</option>`).join('')}</select></label>
      <label>${t('x_format')} <select id="export-format"><option value="geojson">GeoJSON</option><option value="gpkg">GeoPackage</option><option value="shp">Shapefile (zip)</option></select></label>
      <button type="button" id="export-go" class="x-primary">${t('x_download')}</button>
      <p class="muted">${t('x_export_note')}</p>
      <p id="export-msg" role="status"></p></div>`;
  body.querySelector('#export-go').addEventListener('click', async () => {
    const msg = body.querySelector('#export-msg');
    const area = body.querySelector('#export-area').value;
    const format = body.querySelector('#export-format').value;
    msg.textContent = t('loading');
    try {
      if (area === 'view') {
        // Exactly the view: /grids takes a bbox (GeoJSON only; /export takes areas, not boxes).
        if (format !== 'geojson') { msg.textContent = t('x_export_view_geojson'); return; }
        const layer = body.querySelector('#export-layer').value;
        const fc = (await get('/grids', { bbox: viewBbox(app.map).join(','), layer, as_of: app.asOf })).body;
        const blob = new Blob([JSON.stringify(fc)], { type: 'application/geo+json' });
        saveBlob(`${t('x_print_view')}-${app.asOf || today()}.geojson`, blob);
        msg.textContent = `${t('x_downloaded')}: ${fc.features.length} · ${Math.ceil(blob.size / 1024)} KB`;
        return;
      }
      const { blob, name } = await fetchFile('/export', { format, area, layer: body.querySelector('#export-layer').value, as_of: app.asOf });
      const ext = name.includes('.') ? name.slice(name.lastIndexOf('.')) : '';
      saveBlob(`${area}-${app.asOf || today()}${ext}`, blob);
      msg.textContent = `${t('x_downloaded')}: ${area}${ext} (${Math.ceil(blob.size / 1024)} KB)`;
    } catch (e) {
      msg.textContent = e.explain ? e.explain() : e.message;
    }
  });
}
