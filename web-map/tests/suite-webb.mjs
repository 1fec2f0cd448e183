// Issue 18, part B: the defects found (as-of date, token, search, conflict reload, impact in
// view, split pieces, vertex moves, status change, card), the keyboard, and the missing tools
// (reroute a boundary along a line, measure). Runs after run.mjs on the same server, on its own
// two communities: 阜上社区 (planner D) and 柏树街社区 (planner E).

import assert from 'node:assert/strict';
import path from 'node:path';
import {
  shots, settle, view, screen, clickAt, waitSteps, selectGrid, startTool, previewEdit, partitionProblems,
  hasVertex,
} from './lib.mjs';

const D_AREA = '341002001004'; // 阜上社区
const E_AREA = '341002002001'; // 柏树街社区
const VILLAGE = '341002100200'; // redrawn in 2024

const ringOf = (g) => (g.geometry.type === 'Polygon' ? g.geometry.coordinates[0] : g.geometry.coordinates[0][0]);
const key = (c) => `${c[0]},${c[1]}`;

/** Planar area (local metres, equirectangular) as an independent check of the card's figure. */
function planarArea(ring) {
  const lat0 = (ring.reduce((s, p) => s + p[1], 0) / ring.length) * Math.PI / 180;
  const m = 6378137 * Math.PI / 180;
  const pts = ring.map(([x, y]) => [x * m * Math.cos(lat0), y * m]);
  let s = 0;
  for (let i = 0; i < pts.length; i++) {
    const [a, b] = [pts[i], pts[(i + 1) % pts.length]];
    s += a[0] * b[1] - b[0] * a[1];
  }
  return Math.abs(s / 2);
}

async function dry(api, base, token, method, path, body) {
  try {
    return await api(base, method, `${path}${path.includes('?') ? '&' : '?'}dry_run=true`, { token, body });
  } catch {
    return null;
  }
}

export async function run({ server, page, errors, shot, test, api, planner, launch }) {
  const base = server.base;
  const plannerD = await planner(base, '测试规划员D', [D_AREA]);
  const plannerE = await planner(base, '测试规划员E', [E_AREA]);
  const requests = [];
  page.on('request', (r) => requests.push(r.url()));
  const firstErrors = errors.length;

  async function saveToken(secret) {
    await page.fill('#token-input', secret);
    await page.click('#token-save');
    // Kept once the service has answered the check.
    await page.waitForFunction((v) => sessionStorage.getItem('wangge.token') === v
      && /令牌已保存|Token kept/.test(document.querySelector('#token-state')?.textContent || ''), secret, { timeout: 10_000 });
  }

  async function fresh() {
    await page.goto(base);
    await page.waitForSelector('body[data-ready=true]', { state: 'attached', timeout: 60_000 });
    await settle(page);
  }

  async function search(q) {
    await page.fill('#search', '');
    await page.fill('#search', q);
    await page.waitForSelector('#search-results:not([hidden]) li', { timeout: 10_000 });
    return page.$$eval('#search-results li', (lis) => lis.map((li) => li.textContent));
  }

  await fresh();

  // ------------------------------------------------------------------------------ token
  await test('webb: a mistyped token is refused and not kept; a bad stored token falls back to anonymous viewing', async () => {
    await page.click('#token-clear'); // the core tests leave a planner's token
    await page.fill('#token-input', 'not-a-real-token-123');
    await page.click('#token-save');
    await page.waitForFunction(() => /无效/.test(document.querySelector('#token-state')?.textContent || ''), null, { timeout: 10_000 });
    assert.equal(await page.evaluate(() => sessionStorage.getItem('wangge.token')), null, 'the bad token is not stored');
    assert.match(await page.textContent('#edit-panel'), /令牌/, 'editing still asks for a token');
    await shot('webb-01-token-refused');
    // A stored token that the service does not know (revoked, mistyped earlier): viewing works.
    await page.evaluate(() => sessionStorage.setItem('wangge.token', 'revoked-or-mistyped'));
    await fresh();
    const n = await page.evaluate(() => window.wangge.map.queryRenderedFeatures({ layers: ['base-fill'] }).length);
    assert.ok(n > 100, `the map draws the grids with a bad stored token (${n})`);
    assert.ok(await page.evaluate(() => window.wangge.map.getSource('grids')?.type === 'vector'), 'still from the vector tiles');
    assert.equal(await page.evaluate(() => sessionStorage.getItem('wangge.token')), null, 'the bad token is dropped');
    await page.waitForFunction(() => /匿名/.test(document.querySelector('#status-line')?.textContent || ''), null, { timeout: 5_000 });
    assert.match(await page.textContent('#token-state'), /匿名/, 'the settings box says the token was dropped');
    await shot('webb-02-token-dropped');
    await saveToken(plannerD);
    assert.match(await page.textContent('#token-state'), /已保存/);
    assert.equal(await page.evaluate(() => sessionStorage.getItem('wangge.token')), plannerD);
  });

  // ------------------------------------------------------------------------------ split
  // A base grid of 柏树街社区 and a cut along a lattice line that the service accepts.
  const eGrids = (await api(base, 'GET', `/grids?layer=base&area=${E_AREA}`)).features;
  let cut = null;
  for (const g of eGrids.filter((x) => x.properties.status === 'active')) {
    const ring = ringOf(g);
    const xs = [...new Set(ring.map((p) => p[0]))].sort((a, b) => a - b);
    const ys = [...new Set(ring.map((p) => p[1]))].sort((a, b) => a - b);
    const lines = [
      ...xs.slice(1, -1).map((x) => [[x, ys[ys.length - 1]], [x, ys[0]]]),
      ...ys.slice(1, -1).map((y) => [[xs[0], y], [xs[xs.length - 1], y]]),
    ].filter((l) => l.every((c) => ring.some((p) => key(p) === key(c))));
    for (const line of lines) {
      const r = await dry(api, base, plannerE, 'POST', `/grids/${g.id}/split`, { line });
      const created = r?.changed.features.filter((f) => f.properties.change === 'created') || [];
      const per = created.map((f) => r.impact.buildings_moved.filter((b) => b.to === f.id).length);
      if (created.length === 2 && per.every((n) => n > 0)) {
        cut = { grid: g, line, created: created.map((f) => f.id) };
        break;
      }
    }
    if (cut) break;
  }

  await test('webb: a split previews each piece with its own households, on the map', async () => {
    assert.ok(cut, 'a base grid of 柏树街社区 can be cut along a lattice line');
    await saveToken(plannerE);
    const stats = (await api(base, 'GET', `/stats?area=${E_AREA}`)).grids.find((g) => g.id === cut.grid.id);
    await selectGrid(page, base, cut.grid.id);
    await startTool(page, 'split');
    await clickAt(page, cut.line[0]);
    await clickAt(page, cut.line[1]);
    await waitSteps(page, '2');
    await previewEdit(page);
    const pieces = await page.$$eval('[data-field=pieces] li', (lis) => lis.map((li) => ({
      code: li.dataset.code, households: Number(li.querySelector('[data-field=piece-households]').textContent),
    })));
    assert.equal(pieces.length, 2, 'two pieces are listed');
    assert.deepEqual(pieces.map((p) => p.code).sort(), [...cut.created].sort());
    assert.ok(pieces.every((p) => Number.isFinite(p.households) && p.households < stats.households), `each piece has its own households, not the whole grid's ${stats.households}: ${JSON.stringify(pieces)}`);
    assert.equal(pieces[0].households + pieces[1].households, stats.households, 'the pieces add up to the grid');
    const drawn = await page.evaluate(() => window.wangge.map.queryRenderedFeatures({ layers: ['edit-preview-fill'] }).map((f) => f.properties.code));
    assert.deepEqual([...new Set(drawn)].sort(), [...cut.created].sort(), 'both pieces are drawn on the map');
    await shot('webb-03-split-pieces');
    await page.fill('#edit-reason', '测试：拆分网格');
    await page.click('#edit-save');
    await page.waitForSelector('#edit-panel .ok-box', { timeout: 20_000 });
    const msg = await page.textContent('#edit-panel .ok-box');
    assert.match(msg, new RegExp(`${cut.created[0]} \\S+`), `the save names the new grids with their names: ${msg}`);
    assert.match(msg, /新建/);
    assert.match(msg, new RegExp(`撤销：${cut.grid.id} ${cut.grid.properties.name}`));
    await shot('webb-04-split-saved');
  });

  // ------------------------------------------------------------------------------ search
  await test('webb: search is fresh after edits, finds composite grids and areas, says no results, and works by keyboard', async () => {
    // The index is rebuilt after the save (in the background): the open result list follows it.
    await search(cut.created[0]);
    await page.waitForFunction((c) => document.querySelector('#search-results li')?.textContent.startsWith(c), cut.created[0], { timeout: 10_000 })
      .catch(() => assert.fail('a grid created in the page is found'));
    let hits;
    hits = await search(cut.grid.id);
    assert.ok(!hits.some((h) => h.startsWith(`${cut.grid.id} `)), `the retired grid is gone: ${hits}`);
    hits = await search('城管网格');
    assert.ok(hits.length > 0 && hits.every((h) => /多网融合/.test(h)), `composite grids are found: ${hits.slice(0, 3)}`);
    hits = await search('阜上社区');
    assert.match(hits[0], /341002001004 · 阜上社区居委会/, 'a community is found');
    hits = await search('昱东街道');
    assert.match(hits[0], /341002001 · 昱东街道/, 'a street is found');
    hits = await search('没有这个网格xyz');
    assert.deepEqual(hits, ['无结果']);
    await shot('webb-05-search-none');
    // Arrow keys: the third hit for 阜上社区 is chosen with ↓ ↓ Enter.
    hits = await search(`${D_AREA}00`);
    const third = hits[2].split(' · ')[0];
    await page.press('#search', 'ArrowDown');
    await page.press('#search', 'ArrowDown');
    assert.match(await page.textContent('#search-results li.active'), new RegExp(third));
    await shot('webb-06-search-keys');
    await page.press('#search', 'Enter');
    await page.waitForFunction((c) => document.querySelector('#card [data-field=code]')?.textContent === c, third, { timeout: 10_000 });
    // A composite grid's card shows its members and their figures, not "–".
    hits = await search('341002001001CG01');
    await page.press('#search', 'Enter');
    await page.waitForFunction(() => document.querySelector('#card [data-field=code]')?.textContent === '341002001001CG01', null, { timeout: 10_000 });
    const hh = await page.textContent('#card [data-field=households]');
    assert.match(hh, /^\d+/, `the composite card has households: ${hh}`);
    assert.match(await page.textContent('#card [data-field=members]'), /荷花池社区/);
    await shot('webb-07-composite-card');
  });

  // ------------------------------------------------------------------------------ as-of
  await test('webb: a past date drives statistics, staffing, search and the card, and turns editing off in Chinese', async () => {
    await saveToken(plannerE);
    // The piece created today did not exist in 2023: its card closes when the date changes.
    await search(cut.created[0]);
    await page.press('#search', 'Enter');
    await page.waitForFunction((c) => document.querySelector('#card [data-field=code]')?.textContent === c, cut.created[0], { timeout: 10_000 });
    requests.length = 0;
    await page.fill('#as-of', '2023-06-01');
    await page.waitForFunction(() => document.querySelector('#card').hidden, null, { timeout: 10_000 });
    assert.match(await page.textContent('#status-line'), /不存在/, 'the page says why the card closed');
    assert.match(await page.textContent('[data-field=past-view]'), /2023-06-01.*不能编辑/, 'the edit panel explains that a past view is read-only');
    assert.equal(await page.$('[data-tool]'), null, 'no edit tool is offered');
    await view(page, [118.3154, 29.71], 15.5);
    await page.waitForTimeout(800);
    assert.ok(requests.some((u) => /\/api\/v1\/stats\?.*as_of=2023-06-01/.test(u)), 'the statistics ask for the date');
    assert.ok(await page.$('[data-field=staffing-note]'), 'the staffing says it counts the grids of that date');
    const hits = await search(cut.created[0]);
    assert.deepEqual(hits, ['无结果'], 'search does not find a grid that did not exist then');
    // The card of a grid that existed then shows that version.
    await search(`${VILLAGE}001`);
    await page.press('#search', 'Enter');
    await page.waitForFunction(() => /2023-01-01 → 2024-01-01/.test(document.querySelector('#card .history')?.textContent || ''), null, { timeout: 10_000 });
    const v = await page.evaluate(() => window.wangge.session.grid?.feature.properties.version);
    assert.equal(v, 1, 'the card holds the 2023 version');
    await shot('webb-08-as-of-past');
    await page.fill('#as-of', '');
    await page.waitForFunction(() => !!document.querySelector('[data-tool]'), null, { timeout: 10_000 });
    await page.waitForFunction(() => window.wangge.session.grid?.feature.properties.version === 2, null, { timeout: 10_000 });
  });

  // ------------------------------------------------------------------------------ status change
  await test('webb: a status change does not count the reserved summary, names the grid, and the card shows reason and author', async () => {
    await saveToken(plannerD);
    const id = `${D_AREA}003`;
    const g = await api(base, 'GET', `/grids/${id}`);
    const apiDry = await dry(api, base, plannerD, 'PUT', `/grids/${id}/status`, { status: 'reserved' });
    assert.ok(apiDry.impact.problems_created.features.some((p) => p.properties.kind === 'status_summary'), 'the service reports the summary (what the page must not count)');
    const real = apiDry.impact.problems_created.features.filter((p) => p.properties.kind !== 'status_summary').length;
    await selectGrid(page, base, id);
    await startTool(page, 'status');
    await page.selectOption('#new-status', 'reserved');
    await waitSteps(page, '1');
    await previewEdit(page);
    assert.equal(await page.textContent('[data-field=problems_created]'), String(real), 'the summary is not a new problem');
    // The Save button is in view after the preview (the panel scrolled to it).
    const inView = await page.evaluate(() => {
      const side = document.querySelector('#side').getBoundingClientRect();
      const b = document.querySelector('#edit-save').getBoundingClientRect();
      const i = document.querySelector('[data-field=impact]').getBoundingClientRect();
      return b.top >= side.top && b.bottom <= side.bottom && i.top >= side.top - 1;
    });
    assert.ok(inView, 'the impact and the Save button are scrolled into view');
    await shot('webb-09-status-impact');
    await page.fill('#edit-reason', '测试：预留网格');
    await page.click('#edit-save');
    await page.waitForSelector('#edit-panel .ok-box', { timeout: 20_000 });
    const msg = await page.textContent('#edit-panel .ok-box');
    assert.match(msg, new RegExp(`更新：${id} ${g.properties.name}`), `the message names the grid: ${msg}`);
    await page.waitForFunction(() => /测试：预留网格/.test(document.querySelector('#card .history')?.textContent || ''), null, { timeout: 10_000 });
    const last = await page.$$eval('#card .history li', (lis) => lis[lis.length - 1].textContent);
    assert.match(last, /测试：预留网格/, 'the history has the reason');
    assert.match(last, /测试规划员D/, 'and the author');
    // The card's area, geodesic, agrees with a planar computation within 0.5 %.
    const areaText = await page.textContent('#card [data-field=grid-area]');
    const shown = Number(areaText.replace(/[^\d.]/g, '')) * (/km²/.test(areaText) ? 1e6 : 1);
    const expect = planarArea(ringOf(g));
    assert.ok(Math.abs(shown - expect) / expect < 0.005, `area ${areaText} vs ${expect.toFixed(0)} m²`);
    await shot('webb-10-status-saved-card');
  });

  await test('webb: warnings are amber and errors red; chart bars have grid names; statistics and validation cover one area', async () => {
    await view(page, [118.318, 29.703], 15.5);
    await page.waitForFunction(() => document.querySelector('[data-field=validation-area]')
      && document.querySelector('[data-field=area]')
      && document.querySelector('[data-field=validation-area]').textContent === document.querySelector('[data-field=area]').textContent, null, { timeout: 10_000 })
      .catch(async () => assert.fail(`stats ${await page.textContent('[data-field=area]')} vs validation ${await page.textContent('#validation h2')}`));
    const names = await page.$$eval('#stats svg text.bar-name', (ts) => ts.map((t) => t.textContent));
    assert.ok(names.length > 0 && names.every((n) => /网格/.test(n)), `bars are named: ${names.slice(0, 4)}`);
    // Severity colours, in the list and on the map.
    const colours = await page.evaluate(() => {
      const c = (sel) => { const e = document.querySelector(sel); return e ? getComputedStyle(e).borderLeftColor : null; };
      return { warning: c('#validation li.sev-warning'), error: c('#validation li.sev-error') };
    });
    if (colours.warning) assert.equal(colours.warning, 'rgb(239, 143, 0)');
    if (colours.error) assert.equal(colours.error, 'rgb(198, 40, 40)');
    const paint = await page.evaluate(() => JSON.stringify(window.wangge.map.getPaintProperty('problems-fill', 'fill-color')));
    assert.match(paint, /severity.*warning.*#ef8f00/, `the map colours problems by severity: ${paint}`);
    assert.doesNotMatch(await page.textContent('#validation'), /· (warning|error|info)\b/, 'severities are in Chinese');
    await shot('webb-11-stats-validation');
  });

  // ------------------------------------------------------------------------------ conflict
  await test('webb: after a conflict, 重新加载网格 shows the current status on card and map', async () => {
    await saveToken(plannerD);
    const id = `${D_AREA}004`;
    await selectGrid(page, base, id);
    await startTool(page, 'status');
    await page.selectOption('#new-status', 'suspended');
    await previewEdit(page);
    const cur = await fetch(`${base}/api/v1/grids/${id}`);
    const put = await fetch(`${base}/api/v1/grids/${id}/status?reason=behind`, {
      method: 'PUT',
      headers: { Authorization: `Bearer ${plannerD}`, 'Content-Type': 'application/json', 'If-Match': cur.headers.get('ETag') },
      body: JSON.stringify({ status: 'reserved' }),
    });
    assert.equal(put.status, 200);
    await page.fill('#edit-reason', '测试：冲突');
    await page.click('#edit-save');
    await page.waitForSelector('#edit-reload', { timeout: 20_000 });
    assert.equal(await page.textContent('#card [data-field=status]'), '正常', 'before reloading the card is stale');
    await page.click('#edit-reload');
    await page.waitForFunction(() => document.querySelector('#card [data-field=status]')?.textContent === '预留', null, { timeout: 10_000 });
    await settle(page);
    const onMap = await page.evaluate((code) => window.wangge.map.queryRenderedFeatures({ layers: ['base-fill'] })
      .filter((f) => f.properties.code === code).map((f) => f.properties.status), id);
    assert.ok(onMap.length && onMap.every((s) => s === 'reserved'), `the map agrees: ${onMap}`);
    await shot('webb-12-conflict-reloaded');
    await page.keyboard.press('Escape');
  });

  // ------------------------------------------------------------------------------ vertex moves
  const dGrids = (await api(base, 'GET', `/grids?layer=base&area=${D_AREA}`)).features;
  const outline = new Set();
  const dArea = await api(base, 'GET', `/areas/${D_AREA}`);
  const walk = (c) => (typeof c[0] === 'number' ? outline.add(key(c)) : c.forEach(walk));
  walk(dArea.geometry.coordinates);
  const count = new Map();
  for (const g of dGrids) for (const k of new Set(ringOf(g).map(key))) count.set(k, (count.get(k) || 0) + 1);
  const inner = [...count.entries()].filter(([k, n]) => n >= 2 && !outline.has(k)).map(([k]) => k.split(',').map(Number));

  await test('webb: vertex moves: outlines follow the drag, several vertices in one edit, a refusal shown once and marked', async () => {
    await saveToken(plannerD);
    // Two inner vertices of one grid whose small moves the service accepts.
    const DX = 0.00004, DY = 0.00003;
    let grid = null;
    let pair = null;
    for (const g of dGrids) {
      const mine = inner.filter((v) => hasVertex(g.geometry, v));
      const ok = [];
      for (const v of mine) {
        if (await dry(api, base, plannerD, 'POST', '/boundaries/move', { from: v, to: [+(v[0] + DX).toFixed(7), +(v[1] + DY).toFixed(7)] })) ok.push(v);
      }
      if (ok.length >= 2) { grid = g; pair = ok.slice(0, 2); break; }
    }
    assert.ok(pair, 'a grid with two movable inner vertices');
    await selectGrid(page, base, grid.id);
    await startTool(page, 'move');
    const drag = async (v, hold) => {
      await view(page, v, 19);
      const p = await screen(page, v);
      const q = await screen(page, [v[0] + DX, v[1] + DY]);
      await page.mouse.move(p.x, p.y);
      await page.mouse.down();
      await page.mouse.move((p.x + q.x) / 2, (p.y + q.y) / 2, { steps: 3 });
      await page.mouse.move(q.x, q.y, { steps: 3 });
      if (hold) await hold();
      await page.mouse.up();
    };
    await drag(pair[0], async () => {
      // While the button is held: the grids sharing the vertex are drawn with it where the pointer is.
      await page.waitForFunction(() => window.wangge.map.queryRenderedFeatures({ layers: ['edit-line'] }).length >= 2, null, { timeout: 5_000 })
        .catch(() => assert.fail('the outlines of the grids sharing the vertex do not follow the drag'));
      await shot('webb-13-dragging');
    });
    await waitSteps(page, '1');
    await drag(pair[1]);
    await waitSteps(page, '2');
    assert.match(await page.textContent('[data-field=moves]'), /2/);
    await view(page, [(pair[0][0] + pair[1][0]) / 2, (pair[0][1] + pair[1][1]) / 2], 16.5);
    await shot('webb-14-two-vertices');
    await previewEdit(page);
    await page.fill('#edit-reason', '测试：移动两个顶点');
    await page.click('#edit-save');
    await page.waitForSelector('#edit-panel .ok-box', { timeout: 20_000 });
    const now = await api(base, 'GET', `/grids/${grid.id}`);
    for (const v of pair) assert.ok(!hasVertex(now.geometry, v), `vertex ${v} moved`);
    assert.deepEqual(await partitionProblems(base, D_AREA), []);
    // A refused move: a vertex dragged far across the community.
    const v = inner.find((x) => hasVertex(now.geometry, x)) || ringOf(now)[1];
    await selectGrid(page, base, grid.id);
    await startTool(page, 'move');
    await view(page, v, 16);
    const p = await screen(page, v);
    await page.mouse.move(p.x, p.y);
    await page.mouse.down();
    await page.mouse.move(p.x + 150, p.y + 120, { steps: 5 });
    await page.mouse.move(p.x + 300, p.y + 240, { steps: 5 });
    await page.mouse.up();
    await waitSteps(page, '1');
    await page.click('#edit-preview');
    await page.waitForSelector('#edit-panel .error-box', { timeout: 20_000 });
    const text = await page.textContent('#edit-panel .error-box');
    const lines = text.split('\n').map((l) => l.trim()).filter(Boolean);
    assert.match(lines[0], /修改被拒绝|输入有误/, `a Chinese title: ${lines[0]}`);
    assert.equal(new Set(lines).size, lines.length, `no line twice: ${text}`);
    for (const [i, l] of lines.entries()) {
      assert.ok(lines.every((x, j) => i === j || !x.includes(l)), `"${l}" is not repeated in another line`);
    }
    assert.match(text, /红圈/);
    await settle(page);
    const marks = await page.evaluate(() => window.wangge.map.queryRenderedFeatures({ layers: ['edit-refused-point'] }).length);
    assert.ok(marks > 0, 'the refused place is marked on the map');
    await shot('webb-15-move-refused');
    await page.keyboard.press('Escape');
  });

  // ------------------------------------------------------------------------------ keyboard
  await test('webb: Ctrl+Z undoes the last unsaved step and Esc cancels the tool', async () => {
    await saveToken(plannerD);
    await selectGrid(page, base, `${D_AREA}001`);
    await startTool(page, 'split');
    const ring = ringOf(await api(base, 'GET', `/grids/${D_AREA}001`));
    await clickAt(page, ring[0]);
    await waitSteps(page, '1');
    await clickAt(page, ring[1]);
    await waitSteps(page, '2');
    await page.locator('#map canvas').focus().catch(() => {});
    await page.keyboard.press('Control+z');
    await waitSteps(page, '1');
    assert.equal(await page.evaluate(() => window.wangge.session.state.points.length), 1);
    await shot('webb-16-ctrl-z');
    await page.keyboard.press('Escape');
    await page.waitForFunction(() => window.wangge.session.state.tool === null, null, { timeout: 5_000 });
    assert.equal(await page.$('[data-field=steps]'), null, 'the tool is closed');
  });

  // ------------------------------------------------------------------------------ reroute
  await test('webb: a shared boundary is rerouted along a drawn line', async () => {
    await saveToken(plannerD);
    const grids = (await api(base, 'GET', `/grids?layer=base&area=${D_AREA}`)).features.filter((g) => g.properties.status === 'active' || true);
    let plan = null;
    for (const a of grids) {
      for (const b of grids) {
        if (a.id >= b.id) continue;
        const ra = ringOf(a).slice(0, -1);
        const bset = new Set(ringOf(b).map(key));
        const shared = ra.filter((c) => bset.has(key(c)));
        if (shared.length !== 2) continue;
        // One straight shared edge: its two ends, bent 15 m into b at the middle.
        const [p, q] = shared;
        const cb = ringOf(b).slice(0, -1).reduce((s, c, _, arr) => [s[0] + c[0] / arr.length, s[1] + c[1] / arr.length], [0, 0]);
        const mid = [(p[0] + q[0]) / 2, (p[1] + q[1]) / 2];
        const d = [cb[0] - mid[0], cb[1] - mid[1]];
        const len = Math.hypot(d[0], d[1]);
        const m = [+(mid[0] + (d[0] / len) * 0.00015).toFixed(7), +(mid[1] + (d[1] / len) * 0.00015).toFixed(7)];
        const path = [p, m, q];
        if (await dry(api, base, plannerD, 'POST', '/boundaries/reroute', { a: a.id, b: b.id, path })) {
          plan = { a, b, path };
          break;
        }
      }
      if (plan) break;
    }
    assert.ok(plan, 'two neighbouring grids whose boundary can be rerouted');
    await selectGrid(page, base, plan.a.id);
    await startTool(page, 'reroute');
    const [p, m, q] = plan.path;
    await view(page, m, 17);
    const cb = ringOf(plan.b).slice(0, -1).reduce((s, c, _, arr) => [s[0] + c[0] / arr.length, s[1] + c[1] / arr.length], [0, 0]);
    await clickAt(page, [(m[0] + cb[0]) / 2, (m[1] + cb[1]) / 2]); // inside b: the neighbour
    await waitSteps(page, '1');
    assert.match(await page.textContent('#edit-panel'), new RegExp(plan.b.id));
    for (const [i, c] of [p, m, q].entries()) {
      await clickAt(page, c);
      await waitSteps(page, String(i + 2)).catch(async (e) => {
        await shot('webb-17-reroute-failed');
        console.log(JSON.stringify({ plan: plan.path, c, screen: await screen(page, c), state: await page.evaluate(() => ({ tool: window.wangge.session.state.tool, pts: window.wangge.session.state.points, other: window.wangge.session.state.other?.feature.id, grid: window.wangge.session.grid?.feature.id })) }));
        throw e;
      });
    }
    const pts = await page.evaluate(() => window.wangge.session.state.points);
    assert.deepEqual([pts[0], pts[2]], [p, q], 'the ends snap to the shared boundary\u2019s ends');
    await shot('webb-17-reroute-drawn');
    await previewEdit(page);
    await page.fill('#edit-reason', '测试：沿线调整边界');
    await page.click('#edit-save');
    await page.waitForSelector('#edit-panel .ok-box', { timeout: 20_000 });
    const a2 = await api(base, 'GET', `/grids/${plan.a.id}`);
    const b2 = await api(base, 'GET', `/grids/${plan.b.id}`);
    assert.ok(a2.properties.version > plan.a.properties.version && b2.properties.version > plan.b.properties.version, 'both grids have a new version');
    assert.ok(hasVertex(a2.geometry, pts[1]) && hasVertex(b2.geometry, pts[1]), 'both follow the drawn line');
    assert.deepEqual(await partitionProblems(base, D_AREA), []);
    await shot('webb-18-reroute-saved');
  });

  // ------------------------------------------------------------------------------ measure
  await test('webb: the measuring tool gives geodesic distances and areas', async () => {
    await view(page, [118.305, 29.705], 14.5);
    const before = await page.evaluate(() => window.wangge.session.grid?.feature.id ?? null);
    await page.click('.measure-ctrl [data-measure=distance]');
    await clickAt(page, [118.3, 29.7]);
    await clickAt(page, [118.31, 29.7]);
    // 0.01° of longitude at 29.7° N on the WGS84-radius sphere: 966.9 m (clicks are pixels: 1 %).
    const d = await page.textContent('[data-field=measure-value]');
    assert.match(d, /^\d+ m$/, `distance ${d}`);
    assert.ok(Math.abs(parseFloat(d) - 966.9) < 10, `distance ${d}`);
    assert.equal(await page.evaluate(() => window.wangge.session.grid?.feature.id ?? null), before, 'measuring clicks do not select grids');
    await shot('webb-19-measure-distance');
    await page.click('.measure-ctrl [data-measure=area]');
    const square = [[118.3, 29.7], [118.31, 29.7], [118.31, 29.71], [118.3, 29.71]];
    for (const c of square) await clickAt(page, c);
    const a = await page.textContent('[data-field=measure-value]');
    const want = planarArea(square);
    const got = Number(a.replace(/[^\d.]/g, '')) * (/km²/.test(a) ? 1e6 : 1);
    assert.ok(Math.abs(got - want) / want < 0.01, `area ${a} vs ${want.toFixed(0)} m²`);
    await shot('webb-20-measure-area');
    await page.keyboard.press('Control+z');
    assert.notEqual(await page.textContent('[data-field=measure-value]'), a, 'Ctrl+Z takes back a point');
    await page.keyboard.press('Escape');
    assert.ok(await page.$eval('#measure-box', (b) => b.hidden), 'Esc ends measuring');
  });

  await test('webb: the new texts switch to English', async () => {
    await saveToken(plannerD);
    await page.click('#lang-toggle');
    try {
      assert.equal(await page.textContent('.measure-ctrl [data-measure=distance]'), 'Distance');
      assert.equal(await page.textContent('[data-tool=reroute]'), 'Reroute boundary');
      // The last save's message (the reroute) follows the language too.
      assert.match(await page.textContent('#edit-panel .ok-box'), /^Saved\nUpdated: \d{15} /);
      await page.fill('#search', '没有这个网格xyz');
      await page.waitForFunction(() => document.querySelector('#search-results li')?.textContent === 'No results', null, { timeout: 5_000 });
      await page.fill('#search', '');
      await selectGrid(page, base, `${D_AREA}003`);
      assert.match(await page.textContent('#card'), /Area\s*[\d,.]+ (m²|km²)/);
      await shot('webb-21-english');
    } finally {
      await page.click('#lang-toggle');
    }
    assert.equal(await page.textContent('[data-tool=reroute]'), '沿线调整边界');
  });

  // ------------------------------------------------------------------------------ phone
  await test('webb: phone screenshot of search and the card', async () => {
    const phone = await launch({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    try {
      await phone.page.goto(base);
      await phone.page.waitForSelector('body[data-ready=true]', { state: 'attached', timeout: 60_000 });
      await phone.page.fill('#search', '没有这个网格xyz');
      await phone.page.waitForSelector('#search-results li', { timeout: 10_000 });
      assert.equal(await phone.page.textContent('#search-results li'), '无结果');
      await phone.page.screenshot({ path: path.join(shots, 'webb-22-phone-search.png') });
    } finally {
      await phone.close();
    }
  });

  const mine = errors.slice(firstErrors).filter((e) => !/status of (400|401|403|409|412|422)/.test(e));
  await test('webb: no unexpected console errors', async () => {
    assert.deepEqual(mine, []);
  });
}
