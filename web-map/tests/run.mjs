// Browser tests of the web map: node web-map/tests/run.mjs <path to the wangge binary>
//
// Starts `wangge serve` on a free port with a fresh data folder (the demo district 屯溪区 is
// imported on first start) and an admin token, creates planner tokens through the API, and
// drives the page in headless chromium: layers render, a click shows the grid's card, a split
// and a shared-boundary move made through the UI are saved and leave no gap or overlap, an
// edit outside a planner's areas shows the service's reason, a micro grid drawn with snapping is
// previewed, saved and found by lookup, a merge and a status change are saved, a save on a stale
// ETag shows the conflict and keeps the drawing, and the as-of date shows the 2023 layout of a
// redrawn village. Screenshots go to
// target/web-map-screenshots/ (or $WEB_MAP_SCREENSHOTS). Helpers live in lib.mjs; further suites
// are the suite-*.mjs files, run after these on the same server.

import fs from 'node:fs';
import path from 'node:path';
import assert from 'node:assert/strict';
import { launch } from './browser.mjs';
import {
  here,
  repo,
  binary,
  shots,
  ADMIN,
  COMMUNITY,
  OTHER,
  THIRD,
  VILLAGE,
  freePort,
  startServer,
  api,
  planner,
  partitionProblems,
  innerSharedVertex,
  settle,
  view,
  screen,
  clickAt,
  centroid,
  waitSteps,
  setToken,
  selectGrid,
  previewAndSave,
  startTool,
  clickNear,
  previewEdit,
  hasVertex,
  renderedBase,
  results,
  test,
} from './lib.mjs';


async function main() {
  fs.mkdirSync(shots, { recursive: true });
  const server = await startServer();
  const browser = await launch();
  const { page, errors } = browser;
  const failed = [];
  page.on('response', (r) => { if (r.status() >= 400) failed.push(`${r.status()} ${r.url()}`); });
  const shot = (name) => page.screenshot({ path: path.join(shots, `${name}.png`) });
  try {
    const plannerA = await planner(server.base, 'web test planner A', [COMMUNITY]);
    const plannerB = await planner(server.base, 'web test planner B', [OTHER]);

    await test('the page loads without console errors and base grids render', async () => {
      await page.goto(server.base);
      await page.waitForSelector('body[data-ready=true]', { state: 'attached', timeout: 60_000 });
      await settle(page);
      await shot('01-district');
      const n = await page.evaluate(() => window.wangge.map.queryRenderedFeatures({ layers: ['base-fill'] }).length);
      assert.ok(n > 100, `queryRenderedFeatures finds base grids (${n})`);
      assert.ok(await page.evaluate(() => window.wangge.map.getSource('grids')?.type === 'vector'), 'the map draws the vector tiles');
      assert.deepEqual(failed, [], 'no failed requests');
      assert.deepEqual(errors, [], 'no console errors on load');
    });

    await test('clicking a grid shows its card with the right code', async () => {
      await selectGrid(page, server.base, `${COMMUNITY}002`);
      const name = await page.textContent('#card h2');
      assert.match(name, /荷花池社区第2网格/);
      await shot('02-card');
    });

    await test('the English toggle switches the interface', async () => {
      await page.click('#lang-toggle');
      assert.equal(await page.textContent('header h1'), 'Grid service management');
      await shot('03-english');
      await page.click('#lang-toggle');
      assert.equal(await page.textContent('header h1'), '网格化服务管理');
    });

    await test('a split drawn in the UI is saved and the partition stays valid', async () => {
      // Planner A, whose token covers this community: the split re-parents the grid's micro
      // grids onto the new pieces, which the area check resolves within the same change.
      await setToken(page, plannerA);
      const id = `${COMMUNITY}001`;
      await selectGrid(page, server.base, id);
      await startTool(page, 'split');
      // Along the lattice column between its two micro grids: from the top edge to the bottom.
      await clickAt(page, [118.3154679, 29.7108671]);
      await clickAt(page, [118.3154679, 29.7090705]);
      await waitSteps(page, '2');
      const pts = await page.evaluate(() => window.wangge.session.state.points);
      assert.deepEqual(pts, [[118.3154679, 29.7108671], [118.3154679, 29.7090705]], 'both ends snapped to the grid\'s vertices');
      await shot('04-split-drawn');
      const msg = await previewAndSave(page, 'web-map test: split');
      await shot('05-split-saved');
      assert.match(msg, /341002001001005|341002001001006/);
      const gone = await fetch(`${server.base}/api/v1/grids/${id}`);
      assert.equal(gone.status, 404, 'the split grid is retired');
      assert.deepEqual(await partitionProblems(server.base, COMMUNITY), []);
    });

    await test('dragging a shared vertex moves it in every grid and keeps the partition', async () => {
      await setToken(page, plannerA);
      const from = await innerSharedVertex(server.base);
      const sharing = (await api(server.base, 'GET', `/grids?layer=base&area=${COMMUNITY}`)).features
        .filter((g) => JSON.stringify(g.geometry.coordinates).includes(`[${from[0]},${from[1]}]`));
      assert.ok(sharing.length >= 2);
      await selectGrid(page, server.base, sharing[0].id);
      await startTool(page, 'move');
      await view(page, from, 18);
      const p = await screen(page, from);
      await page.mouse.move(p.x, p.y);
      await page.mouse.down();
      await page.mouse.move(p.x + 4, p.y + 3, { steps: 3 });
      await page.mouse.move(p.x + 8, p.y + 6, { steps: 3 });
      await page.mouse.up();
      await waitSteps(page, '1'); // the drag is one unsaved step
      await shot('06-vertex-dragged');
      await previewAndSave(page, 'web-map test: move a shared vertex');
      await shot('07-vertex-saved');
      for (const g of sharing) {
        const now = await api(server.base, 'GET', `/grids/${g.id}`);
        assert.ok(!JSON.stringify(now.geometry.coordinates).includes(`[${from[0]},${from[1]}]`), `${g.id} no longer has the old vertex`);
        assert.ok(now.properties.version > g.properties.version, `${g.id} has a new version`);
      }
      assert.deepEqual(await partitionProblems(server.base, COMMUNITY), []);
    });

    await test('an edit outside the planner’s areas shows the reason', async () => {
      await setToken(page, plannerB);
      await selectGrid(page, server.base, `${COMMUNITY}002`);
      await startTool(page, 'status');
      await page.selectOption('#new-status', 'suspended');
      await page.click('#edit-preview');
      await page.waitForSelector('#edit-panel .error-box', { timeout: 10_000 });
      const text = await page.textContent('#edit-panel .error-box');
      await shot('08-refused');
      assert.match(text, /403/);
      // The service answers in the page's language (Accept-Language zh-CN), naming the areas.
      assert.match(text, /网格 341002001001002 在 荷花池社区居委会，不在您的可编辑范围（上新社区居委会）内/);
      // The planner's choice is kept after the refusal.
      assert.equal(await page.inputValue('#new-status'), 'suspended');
    });

    await test('the validation panel lists problems and zooms to one', async () => {
      await view(page, [118.3154, 29.71], 13);
      await page.waitForSelector('#validation li[data-i], #validation p', { timeout: 10_000 });
      // A locator, not an element handle: the panel re-renders when the view settles, and a
      // locator finds the list item again instead of clicking a detached one.
      const first = page.locator('#validation li[data-i]').first();
      if (await first.count()) {
        await first.click();
        await settle(page);
      }
      await shot('09-validation');
    });


    // ------------------------------------------------ planner C's community (水心亭社区)
    // Base grid 001 is an L of three lattice cells; in its north-east cell a special grid (a
    // market) sits about 20 m inside the cell's edges, and micro and special grids must not
    // overlap: the new micro grid is a strip along the cell's south side, below the market.
    const CELL = { w: 118.3196065, e: 118.3216758, s: 29.7054773 };
    const plannerC = await planner(server.base, 'web test planner C', [THIRD]);

    await test('a micro grid drawn with snapping is previewed, saved and found by lookup', async () => {
      await setToken(page, plannerC);
      if (await page.$('#edit-cancel')) await page.click('#edit-cancel');
      await view(page, [(CELL.w + CELL.e) / 2, CELL.s + 0.0001], 18);
      await startTool(page, 'draw');
      assert.equal(await page.inputValue('#new-layer'), 'micro');
      await page.fill('#new-name', 'web-map test micro');
      await page.press('#new-name', 'Tab');
      const before = (await api(server.base, 'GET', `/grids?layer=micro&area=${THIRD}`)).features.length;
      const cornerSW = [CELL.w, CELL.s]; // a vertex of the parent (base 001)
      const cornerSE = [CELL.e, CELL.s]; // a vertex shared by base 001 and its neighbour 002
      const free = [118.32, 29.7055672]; // midway between the cell's south side and the market
      // Each snapped click lands a few pixels off its target, within the 12 px snap radius.
      await clickNear(page, cornerSW, 5, -4);
      await waitSteps(page, '1');
      await clickNear(page, cornerSE, -4, -5);
      await waitSteps(page, '2');
      await clickNear(page, [CELL.e, 29.7056], -4, 0); // near the edge 001/002: snaps onto it
      await waitSteps(page, '3');
      await clickAt(page, free);
      await waitSteps(page, '4');
      const pts = await page.evaluate(() => window.wangge.session.state.points);
      assert.deepEqual(pts[0], cornerSW, 'the first click snapped to the parent\'s vertex');
      assert.deepEqual(pts[1], cornerSE, 'the second click snapped to the neighbour\'s shared vertex');
      assert.equal(pts[2][0], CELL.e, 'the third click snapped onto the shared edge');
      assert.ok(Math.abs(pts[3][0] - free[0]) < 2e-5 && Math.abs(pts[3][1] - free[1]) < 2e-5, 'the free click stays where it was');
      await shot('10-micro-drawn');
      await previewEdit(page);
      assert.ok(await page.isVisible('#edit-panel [data-field=impact]'), 'the dry-run impact is shown before saving');
      assert.equal((await api(server.base, 'GET', `/grids?layer=micro&area=${THIRD}`)).features.length, before, 'the dry run saved nothing');
      await shot('11-micro-impact');
      await page.fill('#edit-reason', 'web-map test: draw a micro grid');
      await page.click('#edit-save');
      await page.waitForSelector('#edit-panel [data-field=message]', { timeout: 20_000 });
      const msg = await page.textContent('#edit-panel [data-field=message]');
      assert.ok(await page.$('#edit-panel .ok-box'), `the save failed: ${msg}`);
      await shot('12-micro-saved');
      const id = msg.match(/\d{15}W\d{3}/)?.[0];
      assert.ok(id, `the saved message names the new micro grid: ${msg}`);
      const g = await api(server.base, 'GET', `/grids/${id}`);
      assert.equal(g.properties.layer, 'micro');
      assert.equal(g.properties.parent, `${THIRD}001`);
      const parent = await api(server.base, 'GET', `/grids/${THIRD}001`);
      const neighbour = await api(server.base, 'GET', `/grids/${THIRD}002`);
      assert.ok(hasVertex(g.geometry, cornerSW) && hasVertex(parent.geometry, cornerSW), 'the saved grid has a vertex of its parent');
      assert.ok(hasVertex(g.geometry, cornerSE) && hasVertex(neighbour.geometry, cornerSE), 'the saved grid has a vertex of the neighbour');
      const c = centroid(g);
      const hit = await api(server.base, 'GET', `/lookup?lon=${c[0].toFixed(7)}&lat=${c[1].toFixed(7)}`);
      assert.equal(hit.micro?.code, id, 'lookup at its centre finds the new micro grid');
    });

    await test('merging two adjacent base grids in the UI retires one and keeps the partition', async () => {
      await setToken(page, plannerC);
      const keep = `${THIRD}002`;
      const gone = `${THIRD}003`;
      const before = await api(server.base, 'GET', `/grids/${keep}`);
      await selectGrid(page, server.base, keep);
      await startTool(page, 'merge');
      await view(page, [118.3237452, 29.7068], 16);
      await clickAt(page, [118.3266, 29.7064]); // inside grid 003, east of the shared edge
      await waitSteps(page, '1');
      assert.match(await page.textContent('#edit-panel'), new RegExp(gone), 'the second grid is picked');
      await shot('13-merge-picked');
      const msg = await previewAndSave(page, 'web-map test: merge two base grids');
      await shot('14-merge-saved');
      assert.match(msg, new RegExp(keep));
      assert.equal((await fetch(`${server.base}/api/v1/grids/${gone}`)).status, 404, 'the merged-away grid is retired');
      const now = await api(server.base, 'GET', `/grids/${keep}`);
      assert.ok(now.properties.version > before.properties.version, 'the kept grid has a new version');
      assert.deepEqual(await partitionProblems(server.base, THIRD), []);
    });

    await test('a status change to suspended made in the UI is saved', async () => {
      await setToken(page, plannerC);
      const id = `${THIRD}004`;
      await selectGrid(page, server.base, id);
      await startTool(page, 'status');
      await page.selectOption('#new-status', 'suspended');
      await waitSteps(page, '1');
      await previewAndSave(page, 'web-map test: suspend a grid');
      assert.equal((await api(server.base, 'GET', `/grids/${id}`)).properties.status, 'suspended');
      await page.waitForFunction((code) => document.querySelector('#card [data-field=code]')?.textContent === code
        && document.querySelector('#card [data-field=status]')?.textContent === '暂停使用', id, { timeout: 10_000 });
      await shot('15-status-suspended');
    });

    await test('a conflicting save shows the conflict and keeps the planner\u2019s drawing', async () => {
      await setToken(page, plannerC);
      const id = `${THIRD}001`;
      await selectGrid(page, server.base, id); // the UI keeps the grid's ETag
      await startTool(page, 'split');
      await view(page, [118.3196065, 29.7045790], 17);
      await clickAt(page, [118.3196065, 29.7054773]);
      await clickAt(page, [118.3196065, 29.7036807]);
      await waitSteps(page, '2');
      const drawn = await page.evaluate(() => structuredClone(window.wangge.session.state.points));
      await previewEdit(page);
      // Another planner changes the grid behind the UI's back (a correct If-Match of its own).
      const cur = await fetch(`${server.base}/api/v1/grids/${id}`);
      const etag = cur.headers.get('ETag');
      assert.ok(etag, 'the grid has an ETag');
      const put = await fetch(`${server.base}/api/v1/grids/${id}/status?reason=${encodeURIComponent('behind the UI')}`, {
        method: 'PUT',
        headers: { Authorization: `Bearer ${plannerC}`, 'Content-Type': 'application/json', 'If-Match': etag },
        body: JSON.stringify({ status: 'reserved' }),
      });
      assert.equal(put.status, 200, `the API change is saved: ${await put.clone().text()}`);
      await page.fill('#edit-reason', 'web-map test: split on a stale version');
      await page.click('#edit-save');
      await page.waitForSelector('#edit-panel .error-box', { timeout: 20_000 });
      const text = await page.textContent('#edit-panel .error-box');
      await shot('16-conflict');
      assert.match(text, /冲突/, 'the conflict is explained');
      assert.match(text, /412|409/, 'with the service\u2019s status');
      assert.ok(await page.$('#edit-reload'), 'the reload button is offered');
      assert.deepEqual(await page.evaluate(() => window.wangge.session.state.points), drawn, 'the drawing is kept');
      assert.equal(await page.evaluate(() => window.wangge.session.state.tool), 'split');
      assert.equal(await page.textContent('[data-field=steps]'), '2');
      assert.equal((await api(server.base, 'GET', `/grids/${id}`)).properties.status, 'reserved', 'nothing of the stale edit was saved');
      // Reloading takes the new version and keeps the drawing, so the planner can go on.
      await page.click('#edit-reload');
      await page.waitForFunction(() => !document.querySelector('#edit-panel .error-box'), null, { timeout: 10_000 });
      assert.deepEqual(await page.evaluate(() => window.wangge.session.state.points), drawn, 'the drawing survives the reload');
      await previewEdit(page);
      await page.click('#edit-cancel');
    });

    await test('the as-of date shows the 2023 layout, and clearing it shows today\u2019s', async () => {
      if (await page.$('#edit-cancel')) await page.click('#edit-cancel');
      const area = await api(server.base, 'GET', `/areas/${VILLAGE}`);
      await page.evaluate((g) => {
        const b = [Infinity, Infinity, -Infinity, -Infinity];
        const walk = (c) => {
          if (typeof c[0] === 'number') {
            b[0] = Math.min(b[0], c[0]); b[1] = Math.min(b[1], c[1]); b[2] = Math.max(b[2], c[0]); b[3] = Math.max(b[3], c[1]);
          } else c.forEach(walk);
        };
        walk(g.geometry.coordinates);
        window.wangge.map.fitBounds(b, { padding: 40, animate: false });
      }, area);
      await settle(page);
      const today = await renderedBase(page, VILLAGE);
      assert.ok(today.length > 0, 'the village\u2019s base grids are drawn');
      assert.ok(today.every(([, v]) => v >= 2), `today the village\u2019s grids are redrawn (${JSON.stringify(today)})`);
      await shot('17-as-of-today');
      await page.fill('#as-of', '2023-06-01');
      await page.waitForFunction((pre) => {
        const fs = window.wangge.map.queryRenderedFeatures({ layers: ['base-fill'] })
          .filter((f) => String(f.properties.code).startsWith(pre));
        return fs.length > 0 && fs.every((f) => f.properties.version === 1);
      }, VILLAGE, { timeout: 20_000 }).catch(async () => assert.fail(`still ${JSON.stringify(await renderedBase(page, VILLAGE))}`));
      await settle(page);
      const then = await renderedBase(page, VILLAGE);
      assert.ok(then.every(([, v]) => v === 1), `on 2023-06-01 only version 1 is drawn (${JSON.stringify(then)})`);
      await shot('18-as-of-2023');
      await page.fill('#as-of', '');
      await page.waitForFunction((pre) => {
        const fs = window.wangge.map.queryRenderedFeatures({ layers: ['base-fill'] })
          .filter((f) => String(f.properties.code).startsWith(pre));
        return fs.length > 0 && fs.every((f) => f.properties.version >= 2);
      }, VILLAGE, { timeout: 20_000 }).catch(async () => assert.fail(`after clearing: ${JSON.stringify(await renderedBase(page, VILLAGE))}`));
      assert.equal(await page.evaluate(() => window.wangge.asOf), null, 'the date is cleared');
      await shot('19-as-of-cleared');
    });

    // The refused edit answers 403 and the conflicting save 412, which the browser logs as failed
    // resources: those are expected.
    assert.deepEqual(errors.filter((e) => !/status of (403|409|412)/.test(e)), [], 'no console errors during the run');

    // Further suites: every web-map/tests/suite-*.mjs exports `run(ctx)` and registers its tests
    // with ctx.test; they share the server (the core tests above ran first) and may open their own
    // pages (ctx.launch, e.g. with a phone viewport).
    const suites = fs.readdirSync(here).filter((f) => /^suite-.*\.mjs$/.test(f)).sort();
    for (const file of suites) {
      const suite = await import(path.join(here, file));
      await suite.run({ server, browser, page, errors, shot, test, launch, api, planner });
    }
  } catch (e) {
    results.push({ name: 'setup', ok: false });
    console.log(`FAIL ${e.stack || e}`);
  } finally {
    await browser.close().catch(() => {});
    server.stop();
  }
  const bad = results.filter((r) => !r.ok);
  console.log(`${results.length - bad.length}/${results.length} passed; screenshots in ${shots}`);
  process.exit(bad.length ? 1 : 0);
}

main();
