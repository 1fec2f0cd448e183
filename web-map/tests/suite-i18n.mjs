// Issue 18, "Chinese throughout": the service answers problems and errors in the page's
// language (the page sends Accept-Language), a refusal names areas by their Chinese names, and a
// planner's editable area is outlined on the map before they try an edit. Runs after run.mjs on
// the same server with its own planner of 荷花池社区 (341002001001).

import assert from 'node:assert/strict';
import { settle, selectGrid, startTool, setToken } from './lib.mjs';

const MINE = '341002001001'; // 荷花池社区居委会
const OTHER_GRID = '341002001002003'; // in 上新社区居委会

export async function run({ server, page, shot, test, api, planner }) {
  const base = server.base;
  const plannerI = await planner(base, '测试规划员I', [MINE]);
  const languages = [];
  const onRequest = (r) => {
    if (r.url().includes('/api/v1/')) languages.push(r.headers()['accept-language']);
  };

  async function fresh(query = '') {
    await page.goto(`${base}/${query}`);
    await page.waitForSelector('body[data-ready=true]', { state: 'attached', timeout: 60_000 });
    await settle(page);
  }

  await test('i18n: the planner’s editable area is outlined and named before any edit', async () => {
    await fresh();
    page.on('request', onRequest);
    await setToken(page, plannerI);
    await page.waitForFunction(() => /荷花池社区居委会/.test(document.querySelector('#editable-note [data-field=editable-area]')?.textContent || ''), null, { timeout: 10_000 });
    assert.equal(await page.textContent('#editable-note'), '可编辑范围：荷花池社区居委会');
    // The outline is the community's own geometry, drawn on the map.
    const area = await api(base, 'GET', `/areas/${MINE}`);
    await page.evaluate((g) => {
      const b = [Infinity, Infinity, -Infinity, -Infinity];
      for (const [x, y] of g.geometry.coordinates.flat(g.geometry.type === 'Polygon' ? 1 : 2)) {
        b[0] = Math.min(b[0], x); b[1] = Math.min(b[1], y); b[2] = Math.max(b[2], x); b[3] = Math.max(b[3], y);
      }
      window.wangge.map.fitBounds(b, { padding: 80, animate: false });
    }, area);
    await settle(page);
    await page.waitForTimeout(500);
    const drawn = await page.evaluate(() => window.wangge.map.queryRenderedFeatures({ layers: ['editable-area-line'] }).map((f) => f.properties.code));
    assert.ok(drawn.length > 0 && drawn.every((c) => c === MINE), `the outline of ${MINE} is drawn: ${JSON.stringify(drawn)}`);
    await shot('i18n-01-editable-area');
  });

  await test('i18n: a refusal is in Chinese and names both areas, not codes or token ids', async () => {
    await selectGrid(page, base, OTHER_GRID);
    await startTool(page, 'status');
    await page.selectOption('#new-status', 'reserved');
    await page.click('#edit-preview');
    await page.waitForSelector('#edit-panel .error-box', { timeout: 10_000 });
    const text = await page.textContent('#edit-panel .error-box');
    await shot('i18n-02-refused-zh');
    assert.match(text, /403/);
    assert.match(text, new RegExp(`网格 ${OTHER_GRID} 在 上新社区居委会，不在您的可编辑范围（荷花池社区居委会）内`));
    assert.doesNotMatch(text, /token|outside/i, `no English, no token id: ${text}`);
    // The outline stays on the map next to the refusal.
    assert.ok(await page.evaluate(() => window.wangge.map.getLayer('editable-area-line') !== undefined));
    assert.ok(languages.length > 0 && languages.every((l) => l === 'zh-CN'), `every API call asked for zh-CN: ${[...new Set(languages)]}`);
    await page.keyboard.press('Escape');
  });

  await test('i18n: in English the page asks for English and shows the service’s English texts', async () => {
    languages.length = 0;
    await page.click('#lang-toggle');
    await page.waitForFunction(() => /Editable area/.test(document.querySelector('#editable-note')?.textContent || ''), null, { timeout: 10_000 });
    // The validation list is asked for again in English, and its messages are the English ones.
    const asked = page.waitForRequest((r) => r.url().includes('/api/v1/validation') && r.headers()['accept-language'] === 'en', { timeout: 15_000 });
    await asked;
    await settle(page);
    await page.waitForTimeout(500);
    const messages = await page.$$eval('#validation li[data-i]', (lis) => lis.map((li) => li.textContent.split('\n').pop()));
    const han = messages.filter((m) => /[\u4e00-\u9fff]/.test(m));
    assert.deepEqual(han, [], `no Chinese problem messages in English: ${messages.slice(0, 3)}`);
    await selectGrid(page, base, OTHER_GRID);
    await startTool(page, 'status');
    await page.selectOption('#new-status', 'reserved');
    await page.click('#edit-preview');
    await page.waitForSelector('#edit-panel .error-box', { timeout: 10_000 });
    const text = await page.textContent('#edit-panel .error-box');
    await shot('i18n-03-refused-en');
    assert.doesNotMatch(text, /不在您的可编辑范围/, text);
    assert.match(text, /outside/, text);
    assert.ok(languages.includes('en') && !languages.includes('zh-CN'), `API calls asked for en: ${[...new Set(languages)]}`);
    await page.keyboard.press('Escape');
    await page.click('#lang-toggle');
    page.off('request', onRequest);
  });
}
