// Issue 18 part A: phones (sheets, thumb-sized controls, "which grid am I in" with the position's
// CRS), lists/tables with CSV and XLSX, GIS export of the area in view, and the printed map sheet
// (PDF through print CSS, PNG composed on a canvas).

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { ADMIN, OTHER, shots, settle, view, api as apiJson } from './lib.mjs';

const TOWN = '341002001'; // 昱东街道
const HERE = [118.315, 29.71]; // inside 荷花池社区第1网格 area (the lookup decides which grid)

/** The page size in whole points from pdfinfo's answer. */
/** Closes any dialog left open by a failed test (it would cover the map's controls). */
async function closeDialogs(page) {
  await page.evaluate(() => document.querySelectorAll('.x-dialog').forEach((d) => { d.hidden = true; }));
}

const pageSize = (info) => (/Page size:\s+([\d.]+) x ([\d.]+)/.exec(info) || []).slice(1, 3).map((v) => Math.round(Number(v)));

async function download(page, click) {
  const [d] = await Promise.all([page.waitForEvent('download', { timeout: 30_000 }), click()]);
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'weba-dl-')), d.suggestedFilename());
  await d.saveAs(file);
  return file;
}

/** Tap targets smaller than 44×44 CSS px among the visible controls matching `selector`. */
async function smallTargets(page, selector) {
  return page.$$eval(selector, (els) => els.filter((e) => {
    const r = e.getBoundingClientRect();
    const s = getComputedStyle(e);
    if (!r.width || !r.height || s.visibility === 'hidden' || r.top >= innerHeight || r.bottom <= 0) return false;
    return r.height < 43.5 || r.width < 43.5; // sub-pixel layout may give 43.99
  }).map((e) => `${e.id || e.className || e.tagName} ${e.textContent.trim().slice(0, 12)} ${Math.round(e.getBoundingClientRect().width)}×${Math.round(e.getBoundingClientRect().height)}`));
}

export async function run(ctx) {
  const { server, test, launch } = ctx;
  const base = server.base;
  const shotOf = (page) => (name) => page.screenshot({ path: path.join(shots, `${name}.png`) });

  // ------------------------------------------------------------------ phones
  await test('weba: at 390×844 the map takes the screen, panels are sheets and controls are thumb-sized', async () => {
    const phone = await launch({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    const { page } = phone;
    const shot = shotOf(page);
    try {
      await phone.context.grantPermissions(['geolocation'], { origin: base });
      await phone.context.setGeolocation({ longitude: HERE[0], latitude: HERE[1], accuracy: 12 });
      await page.goto(base);
      await page.waitForSelector('body[data-ready=true]', { state: 'attached', timeout: 60_000 });
      await settle(page);
      const box = await page.evaluate(() => {
        const r = window.wangge.map.getCanvas().getBoundingClientRect();
        const side = document.getElementById('side').getBoundingClientRect();
        const right = document.getElementById('side-right').getBoundingClientRect();
        return { w: r.width, h: r.height, sideTop: side.top, rightTop: right.top };
      });
      assert.ok(box.w >= 388, `the map is the screen's width (${box.w} px)`);
      assert.ok(box.h >= 600, `the map is most of the screen's height (${box.h} px)`);
      assert.ok(box.sideTop >= 844 && box.rightTop >= 844, `the panels are closed sheets below the screen (${box.sideTop}, ${box.rightTop})`);
      assert.deepEqual(await smallTargets(page, '#x-bar button, header button, header input, .maplibregl-ctrl button'), [], 'bar, header and map controls are ≥ 44 px');
      await shot('weba-01-phone-map');

      // Search with a thumb: results are tall enough, a tap opens the card in its sheet.
      await page.tap('#search');
      await page.fill('#search', '上新社区第2网格');
      await page.waitForSelector('#search-results li');
      assert.deepEqual(await smallTargets(page, '#search-results li'), [], 'search results are ≥ 44 px');
      await shot('weba-02-phone-search');
      await page.tap('#search-results li');
      await page.waitForFunction(() => document.querySelector('#card [data-field=code]')?.textContent === '341002001002002', null, { timeout: 15_000 });
      await page.waitForFunction(() => document.getElementById('side').getBoundingClientRect().top < innerHeight - 100, null, { timeout: 5_000 });
      assert.deepEqual(await smallTargets(page, '#card button'), [], 'the card\'s buttons are ≥ 44 px');
      await page.waitForTimeout(300);
      await shot('weba-03-phone-card-sheet');

      // The statistics sheet.
      await page.tap('#x-bar [data-sheet=stats]');
      await page.waitForFunction(() => document.getElementById('side-right').classList.contains('x-open')
        && document.getElementById('side-right').getBoundingClientRect().top < innerHeight - 100);
      assert.ok(!(await page.evaluate(() => document.getElementById('side').classList.contains('x-open'))), 'one sheet at a time');
      await page.waitForTimeout(300);
      await shot('weba-04-phone-stats-sheet');
      await page.tap('#x-bar [data-sheet=stats]');

      // Which grid am I in: the browser's (WGS84) position goes to /lookup with crs=wgs84.
      const expected = await apiJson(base, 'GET', `/lookup?lon=${HERE[0]}&lat=${HERE[1]}&crs=wgs84`);
      await page.tap('#x-locate');
      await page.waitForSelector('#locate-crs');
      assert.deepEqual(await smallTargets(page, '#locate-box button, #locate-box select, #locate-box input'), [], 'the locate controls are ≥ 44 px');
      await page.selectOption('#locate-crs', 'wgs84');
      const [req] = await Promise.all([page.waitForRequest(/\/api\/v1\/lookup\?.*crs=wgs84/), page.tap('#locate-go')]);
      assert.match(req.url(), /lon=118\.315/);
      await page.waitForFunction((c) => document.querySelector('#locate-box')?.dataset.grid === c, expected.base.code, { timeout: 15_000 });
      await page.waitForFunction((c) => document.querySelector('#card [data-field=code]')?.textContent === c, expected.base.code, { timeout: 15_000 });
      assert.match(await page.textContent('#locate-box'), new RegExp(expected.base.name));
      await settle(page);
      await page.waitForTimeout(300);
      await shot('weba-05-phone-locate-wgs84');

      // The same numbers read off a Chinese map app are GCJ-02: the lookup converts them, and
      // lands elsewhere (GCJ-02 is offset by hundreds of metres).
      const gcj = await apiJson(base, 'GET', `/lookup?lon=${HERE[0]}&lat=${HERE[1]}&crs=gcj02`);
      assert.notDeepEqual(gcj.position, expected.position, 'GCJ-02 is converted by the service');
      await page.tap('#x-locate');
      await page.selectOption('#locate-crs', 'gcj02');
      await page.fill('#locate-lonlat', `${HERE[0]},${HERE[1]}`);
      const [req2] = await Promise.all([page.waitForRequest(/\/api\/v1\/lookup\?.*crs=gcj02/), page.tap('#locate-typed')]);
      assert.match(req2.url(), /lat=29\.71/);
      await page.waitForFunction((c) => document.querySelector('#locate-box')?.dataset.grid === c, gcj.base?.code || '-', { timeout: 15_000 });
      assert.notEqual(gcj.base?.code, expected.base.code, 'the GCJ-02 reading of the same numbers is another grid');
      await page.waitForFunction((c) => document.querySelector('#card [data-field=code]')?.textContent === c, gcj.base.code, { timeout: 15_000 });
      assert.ok(await page.evaluate(() => !!document.querySelector('.maplibregl-marker')), 'the position is marked on the map');
      assert.match(await page.textContent('#locate-box'), /GCJ02/);
      assert.equal(await page.evaluate(() => localStorage.getItem('wangge.locate.crs')), 'gcj02', 'the choice is kept');
      await settle(page);
      await shot('weba-06-phone-locate-gcj02');
      // The tables fill the phone's screen and scroll sideways.
      await page.tap('#x-open-tables');
      await page.waitForSelector('#tables-dialog table.x-table');
      const d = await page.$eval('#tables-dialog', (e) => { const r = e.getBoundingClientRect(); return [r.width, r.height]; });
      assert.deepEqual(d, [390, 844], 'the tables dialog takes the screen');
      assert.deepEqual(await smallTargets(page, '#tables-dialog button, #tables-dialog select'), [], 'its controls are ≥ 44 px');
      await shot('weba-07-phone-tables');
      await page.tap('#tables-dialog .x-close');
      assert.deepEqual(phone.errors, [], 'no console errors on the phone');
    } finally {
      await phone.close();
    }
  });

  // ------------------------------------------------------------------ tables, CSV, XLSX, export
  const { page } = ctx;
  const shot = shotOf(page);

  await test('weba: a refused position says so in Chinese and the typed position still works', async () => {
    await page.evaluate(() => {
      navigator.geolocation.getCurrentPosition = (ok, fail) => fail({ code: 1, message: 'User denied Geolocation' });
    });
    await page.click('#x-open-locate');
    await page.selectOption('#locate-crs', 'wgs84');
    await page.click('#locate-go');
    await page.waitForFunction(() => document.getElementById('status-line').textContent.includes('无法获取本机位置'), null, { timeout: 5_000 });
    const expected = await apiJson(base, 'GET', `/lookup?lon=${HERE[0]}&lat=${HERE[1]}`);
    await page.fill('#locate-lonlat', `${HERE[0]}，${HERE[1]}`); // a full-width comma, as typed on a Chinese keyboard
    await page.click('#locate-typed');
    await page.waitForFunction((c) => document.querySelector('#locate-box')?.dataset.grid === c, expected.base.code, { timeout: 15_000 });
    await page.click('#locate-box .x-close');
  });
  await test('weba: grid list and per-street/per-community tables with workers and ratios, saved as CSV and XLSX', async () => {
    // One grid worker on 上新社区第1网格, so the worker columns and ratios are not all zero.
    await apiJson(base, 'POST', '/people', { token: ADMIN, body: { name: '测试网格员', role: 'grid_worker', grids: [`${OTHER}001`] } });
    const grids = (await apiJson(base, 'GET', `/grids?area=${OTHER}`)).features;
    const baseCount = grids.filter((g) => g.properties.layer === 'base').length;
    const area = await apiJson(base, 'GET', `/areas/${OTHER}`);
    const ring = area.geometry.type === 'Polygon' ? area.geometry.coordinates[0] : area.geometry.coordinates[0][0];
    const c = [ring.reduce((s, p) => s + p[0], 0) / ring.length, ring.reduce((s, p) => s + p[1], 0) / ring.length];
    const look = await apiJson(base, 'GET', `/lookup?lon=${c[0]}&lat=${c[1]}`);
    assert.equal(look.community?.code, OTHER, 'the community\'s vertex mean lies in it');
    if (await page.$('#edit-cancel')) await page.click('#edit-cancel');
    await view(page, c, 16);
    await page.click('#x-open-tables');
    await page.waitForSelector('#tables-dialog table.x-table');
    assert.equal(await page.$eval('#tables-area', (s) => s.value), OTHER, 'the dialog opens on the community in view');
    assert.equal(await page.$eval('#tables-dialog table', (t) => Number(t.dataset.rows)), grids.length, 'one row per grid of the community');
    const row = await page.$$eval('#tables-dialog tbody tr', (trs, code) => trs.map((tr) => [...tr.cells].map((td) => td.textContent)).find((r) => r[0] === code), `${OTHER}001`);
    assert.equal(row[2], '基础网格');
    assert.equal(row[4], '正常');
    const workers = (await apiJson(base, 'GET', `/stats?area=${OTHER}`)).grids.find((g) => g.id === `${OTHER}001`).workers;
    assert.ok(workers >= 1);
    assert.equal(row[8], String(workers), 'the worker is counted on its grid');
    assert.ok(Number(row[6]) > 0 && Number(row[7]) > 0, 'households and residents');
    await shot('weba-08-grid-list');

    // Per community within the street.
    await page.selectOption('#tables-area', TOWN);
    await page.click('#tables-dialog [data-tab=communities]');
    await page.waitForFunction(() => document.querySelector('#tables-note').textContent.includes('按社区'));
    const head = await page.$$eval('#tables-dialog thead th', (ths) => ths.map((th) => th.textContent));
    const rows = await page.$$eval('#tables-dialog tbody tr', (trs) => trs.map((tr) => [...tr.cells].map((td) => td.textContent)));
    const col = (name) => head.findIndex((h) => h.startsWith(name));
    const mine = rows.find((r) => r[1] === OTHER);
    assert.ok(mine, 'a row for 上新社区');
    assert.equal(mine[0], '上新社区居委会');
    assert.equal(Number(mine[col('基础网格')]), baseCount);
    assert.equal(Number(mine[col('网格员')]), workers);
    assert.equal(mine[col('网格员配备比')], `${((100 * workers) / baseCount).toFixed(2)}%`);
    assert.ok(col('专属网格·') > 0, 'special grids by category');
    for (const h of ['城市网格', '农村网格', '微网格', '预留', '暂停使用', '网格员配备率']) assert.ok(col(h) >= 0, `column ${h}`);
    const town = await apiJson(base, 'GET', `/stats?area=${TOWN}`);
    const total = rows[rows.length - 1];
    assert.equal(total[0], '合计');
    assert.equal(Number(total[col('基础网格')]), town.grids.filter((g) => g.layer === 'base').length, 'the total matches /stats of the street');
    assert.equal(Number(total[col('微网格')]), town.grids.filter((g) => g.layer === 'micro').length);
    await shot('weba-09-community-table');

    // Per street for the district: one row per town plus the total.
    await page.selectOption('#tables-area', '341002');
    await page.click('#tables-dialog [data-tab=towns]');
    await page.waitForFunction(() => document.querySelector('#tables-note').textContent.includes('按街道'));
    const townRows = await page.$$eval('#tables-dialog tbody tr', (trs) => trs.map((tr) => [...tr.cells].map((td) => td.textContent)));
    const tree = await apiJson(base, 'GET', '/areas');
    assert.equal(townRows.length, tree[0].children.length + 1);
    assert.ok(townRows.some((r) => r[0] === '屯光镇' && Number(r[col('农村网格')]) > 0), 'rural grids of a town');
    await shot('weba-10-street-table');

    // CSV: UTF-8 with BOM, Chinese intact.
    const csv = fs.readFileSync(await download(page, () => page.click('#tables-csv')));
    assert.deepEqual([...csv.subarray(0, 3)], [0xef, 0xbb, 0xbf], 'the CSV starts with a UTF-8 BOM');
    const text = csv.toString('utf8');
    assert.match(text, /区域,编码,基础网格/);
    assert.match(text, /昱东街道,341002001,/);
    assert.equal(text.trim().split('\r\n').length, townRows.length + 1);

    // XLSX: a well-formed package (unzip lists it; python parses every part) with the table.
    const xlsx = await download(page, () => page.click('#tables-xlsx'));
    assert.match(path.basename(xlsx), /\.xlsx$/);
    const listing = execFileSync('unzip', ['-l', xlsx]).toString();
    for (const p of ['[Content_Types].xml', 'xl/workbook.xml', 'xl/worksheets/sheet1.xml', '_rels/.rels']) assert.ok(listing.includes(p), `${p} in the XLSX`);
    execFileSync('unzip', ['-tq', xlsx]); // CRCs
    const check = execFileSync('python3', ['-c', `
import sys, zipfile, xml.etree.ElementTree as ET
z = zipfile.ZipFile(sys.argv[1])
assert z.testzip() is None
for n in z.namelist():
    ET.fromstring(z.read(n))
ns = {'m': 'http://schemas.openxmlformats.org/spreadsheetml/2006/main'}
sheet = ET.fromstring(z.read('xl/worksheets/sheet1.xml'))
rows = sheet.findall('.//m:row', ns)
cells = [''.join(t.text or '' for t in c.iter('{%s}t' % ns['m'])) or (c.findtext('m:v', '', ns)) for c in rows[1]]
print(len(rows), cells[0], cells[1])
`, xlsx]).toString().trim();
    assert.equal(check, `${townRows.length + 1} 昱东街道 341002001`);

    // The list follows the as-of date: the village redrawn in 2024 lists its 2023 grids then.
    const VILLAGE = '341002100200';
    // Same codes, new boundaries: the households of its base grids differ between the dates.
    const households = async (q) => (await apiJson(base, 'GET', `/stats?area=${VILLAGE}${q}`)).grids.filter((g) => g.layer === 'base').map((g) => `${g.code}:${g.households}`).sort();
    const then = await households('&as_of=2023-06-01');
    assert.notDeepEqual(then, await households(''), 'the village was redrawn');
    await page.click('#tables-dialog .x-close');
    await page.fill('#as-of', '2023-06-01');
    await page.click('#x-open-tables');
    await page.waitForSelector('#tables-dialog table.x-table');
    await page.selectOption('#tables-area', VILLAGE);
    await page.waitForFunction(() => document.querySelector('#tables-note').textContent.includes('2023-06-01'));
    const listed = async () => page.$$eval('#tables-dialog tbody tr', (trs) => trs.map((tr) => [...tr.cells].map((td) => td.textContent)).filter((r) => r[2] === '基础网格').map((r) => `${r[0]}:${r[6]}`).sort());
    assert.deepEqual(await listed(), then, 'the base grids and households of 2023-06-01');
    await page.click('#tables-dialog .x-close');
    await page.fill('#as-of', '');
    await page.waitForFunction(() => window.wangge.asOf === null);

    // A row of the list shows its grid.
    await page.click('#x-open-tables');
    await page.waitForSelector('#tables-dialog tr[data-id]');
    await page.selectOption('#tables-area', OTHER);
    await page.waitForFunction((c) => !!document.querySelector(`#tables-dialog tr[data-id="${c}"]`), `${OTHER}003`);
    await page.click(`#tables-dialog tr[data-id="${OTHER}003"]`);
    await page.waitForFunction((c) => document.querySelector('#card [data-field=code]')?.textContent === c, `${OTHER}003`, { timeout: 15_000 });
    assert.ok(await page.$eval('#tables-dialog', (d) => d.hidden), 'the dialog closes on the chosen grid');
  }).finally(() => closeDialogs(page));

  await test('weba: the grids of the area in view export as GeoJSON, GeoPackage and Shapefile', async () => {
    await page.click('#x-open-export');
    await page.waitForSelector('#export-go');
    assert.equal(await page.$eval('#export-area', (s) => s.value), OTHER, 'defaults to the community in view');
    const expected = (await apiJson(base, 'GET', `/grids?area=${OTHER}`)).features.length;
    await page.selectOption('#export-format', 'geojson');
    const gj = JSON.parse(fs.readFileSync(await download(page, () => page.click('#export-go')), 'utf8'));
    assert.equal(gj.type, 'FeatureCollection');
    assert.equal(gj.features.length, expected);
    assert.ok(gj.features.every((f) => String(f.properties.code).startsWith(OTHER)));
    await page.selectOption('#export-format', 'gpkg');
    const gpkg = await download(page, () => page.click('#export-go'));
    assert.match(path.basename(gpkg), /\.gpkg$/);
    assert.equal(fs.readFileSync(gpkg).subarray(0, 15).toString(), 'SQLite format 3', 'a GeoPackage (SQLite) file');
    await page.selectOption('#export-format', 'shp');
    const shp = await download(page, () => page.click('#export-go'));
    const list = execFileSync('unzip', ['-l', shp]).toString();
    assert.match(list, /\.shp/);
    assert.match(list, /\.dbf/);
    await page.waitForFunction(() => /已下载/.test(document.querySelector('#export-msg').textContent));
    // Exactly the grids in view (GeoJSON from /grids?bbox=); other formats are refused in words.
    const bbox = await page.evaluate(() => { const b = window.wangge.map.getBounds(); return [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map((v) => +v.toFixed(7)); });
    const inView = (await apiJson(base, 'GET', `/grids?bbox=${bbox.join(',')}`)).features.length;
    await page.selectOption('#export-area', 'view');
    await page.click('#export-go');
    await page.waitForFunction(() => /GeoJSON/.test(document.querySelector('#export-msg').textContent));
    await page.selectOption('#export-format', 'geojson');
    const vj = JSON.parse(fs.readFileSync(await download(page, () => page.click('#export-go')), 'utf8'));
    assert.equal(vj.features.length, inView, 'the grids in view');
    assert.ok(inView > 0);
    await shot('weba-11-export');
    await page.click('#export-dialog .x-close');
  }).finally(() => closeDialogs(page));

  // ------------------------------------------------------------------ print
  await test('weba: a community map sheet prints to PDF (Chinese title, grid names, scale) and to PNG', async () => {
    const before = await page.evaluate(() => [window.wangge.map.getCenter().toArray(), window.wangge.map.getZoom()]);
    await page.click('#x-open-print');
    await page.waitForSelector('#print-scope');
    await page.selectOption('#print-scope', OTHER);
    await page.selectOption('#print-paper', 'A4');
    await page.selectOption('#print-orientation', 'landscape');
    const pngFile = await download(page, () => page.click('#print-png'));
    const png = fs.readFileSync(pngFile);
    assert.equal(png.subarray(1, 4).toString(), 'PNG');
    const [w, h] = [png.readUInt32BE(16), png.readUInt32BE(20)];
    assert.deepEqual([w, h], [Math.round((297 * 150) / 25.4), Math.round((210 * 150) / 25.4)], 'A4 landscape at 150 dpi');
    await page.waitForSelector('#print-preview:not([hidden])');
    await shot('weba-12-print-dialog');
    const after = await page.evaluate(() => [window.wangge.map.getCenter().toArray(), window.wangge.map.getZoom()]);
    assert.ok(Math.abs(after[1] - before[1]) < 1e-6, 'the view is restored after the capture');
    const labels = await page.$$eval('#print-sheet [data-role=label]', (els) => els.map((e) => e.textContent));
    assert.ok(labels.includes('上新社区第1网格'), `grid names on the sheet (${labels.join(', ')})`);
    for (const r of ['title', 'north', 'scalebar']) assert.ok(await page.$(`#print-sheet [data-role=${r}]`), `${r} on the sheet`);

    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weba-pdf-'));
    const pdf = path.join(dir, 'sheet.pdf');
    await page.pdf({ path: pdf, preferCSSPageSize: true, printBackground: true });
    const text = execFileSync('pdftotext', ['-layout', pdf, '-']).toString();
    assert.match(text, /上新社区居委会网格分布图/, 'the Chinese title is text in the PDF');
    assert.match(text, /上新社区第1网格/, 'a grid name');
    assert.match(text, new RegExp(`${OTHER}001`), 'a grid code');
    assert.match(text, /比例尺 1:[\d,]+/);
    assert.match(text, /数据来源/);
    assert.match(text, /数据日期/);
    const info = execFileSync('pdfinfo', [pdf]).toString();
    assert.match(info, /Pages:\s+1\b/, 'one page');
    assert.deepEqual(pageSize(info), [842, 595], 'A4 landscape');
    await page.emulateMedia({ media: 'print' });
    await page.screenshot({ path: path.join(shots, 'weba-13-print-sheet-a4-landscape.png'), fullPage: true });
    await page.emulateMedia({ media: 'screen' });

    // A3 portrait of the street.
    await page.selectOption('#print-scope', TOWN);
    await page.selectOption('#print-paper', 'A3');
    await page.selectOption('#print-orientation', 'portrait');
    const png3 = fs.readFileSync(await download(page, () => page.click('#print-png')));
    assert.deepEqual([png3.readUInt32BE(16), png3.readUInt32BE(20)], [Math.round((297 * 150) / 25.4), Math.round((420 * 150) / 25.4)], 'A3 portrait');
    await page.pdf({ path: pdf, preferCSSPageSize: true, printBackground: true });
    assert.deepEqual(pageSize(execFileSync('pdfinfo', [pdf]).toString()), [842, 1191], 'A3 portrait');
    assert.match(execFileSync('pdftotext', [pdf, '-']).toString(), /昱东街道网格分布图/);
    await page.emulateMedia({ media: 'print' });
    await page.screenshot({ path: path.join(shots, 'weba-14-print-sheet-a3-street.png'), fullPage: true });
    await page.emulateMedia({ media: 'screen' });

    // The current view, as it is on screen.
    await page.selectOption('#print-scope', 'view');
    await page.selectOption('#print-paper', 'A4');
    await page.click('#print-png'); // builds the sheet (the PNG download is not awaited)
    await page.waitForFunction(() => /当前视图/.test(document.querySelector('#print-msg').textContent), null, { timeout: 30_000 });
    await page.pdf({ path: pdf, preferCSSPageSize: true, printBackground: true });
    assert.deepEqual(pageSize(execFileSync('pdfinfo', [pdf]).toString()), [595, 842], 'A4 portrait');
    assert.match(execFileSync('pdftotext', [pdf, '-']).toString(), /（当前视图）网格分布图/);
    await page.click('#print-dialog .x-close');
  }).finally(() => closeDialogs(page));
}
