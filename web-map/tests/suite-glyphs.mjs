// Issue 18, part D: map labels drawn by MapLibre from glyphs the service renders itself
// (/fonts/{fontstack}/{range}.pbf from the server's CJK font): street and community names at
// district and street zooms, grid codes and then names closer in, all in Chinese, with no
// glyph request failing. Runs after run.mjs on the same server; it only looks, never edits.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { settle, view, centroid, startServer, shots } from './lib.mjs';

const AREA = '341002002001'; // 柏树街社区
const HAN = /[\u4e00-\u9fff]/;

export async function run({ server, browser, page, shot, test, api }) {
  const base = server.base;
  const glyphs = [];
  page.on('response', (r) => { if (r.url().includes('/fonts/')) glyphs.push({ url: r.url(), status: r.status() }); });
  const area = await api(base, 'GET', `/areas/${AREA}`);
  const grids = (await api(base, 'GET', `/grids?layer=base&area=${AREA}`)).features;
  assert.ok(grids.length > 0, 'the community has base grids');

  await page.goto(base);
  await page.waitForSelector('body[data-ready=true]', { state: 'attached', timeout: 60_000 });
  await settle(page);

  /** The label features MapLibre placed on a layer (the symbols it drew). */
  const placed = (layer) => page.evaluate((l) => window.wangge.map.queryRenderedFeatures({ layers: [l] })
    .map((f) => ({ name: f.properties.name, code: f.properties.code })), layer);
  /** Waits until the glyphs of the view arrived and the labels are placed. */
  const labelsSettled = async () => {
    await settle(page);
    await page.waitForTimeout(500);
    await settle(page);
  };

  await test('glyphs: street names in Chinese at zoom 11', async () => {
    await view(page, centroid(area), 11);
    await labelsSettled();
    const towns = await placed('towns-label');
    assert.ok(towns.length > 0, 'street labels placed');
    assert.ok(towns.every((t) => HAN.test(t.name)), `street names: ${JSON.stringify(towns.slice(0, 5))}`);
    await shot('d1-labels-streets-z11');
  });

  await test('glyphs: community names at zoom 13.5', async () => {
    await view(page, centroid(area), 13.5);
    await labelsSettled();
    const communities = await placed('communities-label');
    assert.ok(communities.some((c) => c.code === AREA && c.name === area.properties.name), JSON.stringify(communities));
    assert.ok(communities.every((c) => HAN.test(c.name)));
  });

  await test('glyphs: grid names and codes at zoom 16, rendered from served CJK glyphs', async () => {
    const g = grids[0];
    await view(page, centroid(g), 16);
    await labelsSettled();
    const labels = await placed('base-label');
    const mine = labels.find((l) => l.code === g.properties.code);
    assert.ok(mine, `the grid ${g.properties.code} is labelled: ${JSON.stringify(labels.slice(0, 5))}`);
    assert.equal(mine.name, g.properties.name);
    assert.ok(HAN.test(mine.name), mine.name);
    // The CJK ranges of the names were fetched from the service, and no glyph request failed.
    const failed = glyphs.filter((r) => r.status >= 400);
    assert.deepEqual(failed, [], 'no failed glyph request');
    const ranges = glyphs.map((r) => Number(decodeURIComponent(r.url).match(/\/(\d+)-\d+\.pbf/)?.[1]));
    assert.ok(ranges.some((s) => s >= 0x4e00 && s < 0xa000), `CJK ranges fetched: ${ranges}`);
    assert.ok(glyphs.every((r) => decodeURIComponent(r.url).includes('/fonts/WenQuanYi Micro Hei/')), JSON.stringify(glyphs.slice(0, 3)));
    await shot('d2-labels-grids-z16');
    // Text drew something: the canvas differs from a render without the grid labels.
    const withText = await page.evaluate(() => window.wangge.map.getCanvas().toDataURL());
    await page.evaluate(() => window.wangge.map.setLayoutProperty('base-label', 'visibility', 'none'));
    await settle(page);
    const without = await page.evaluate(() => window.wangge.map.getCanvas().toDataURL());
    await page.evaluate(() => window.wangge.map.setLayoutProperty('base-label', 'visibility', 'visible'));
    await settle(page);
    assert.notEqual(withText, without, 'the labels change the picture');
  });

  await test('reference: a roads file given with --reference draws thin grey lines under the grids', async () => {
    // A "road" across the first grid of the community, in a file of its own (any GDAL format).
    const [x, y] = centroid(grids[0]);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wangge-ref-'));
    const file = path.join(dir, 'roads.geojson');
    fs.writeFileSync(file, JSON.stringify({ type: 'FeatureCollection', features: [
      { type: 'Feature', properties: { name: '测试路' }, geometry: { type: 'LineString', coordinates: [[x - 0.01, y - 0.001], [x + 0.01, y + 0.001]] } },
    ] }));
    const other = await startServer(['--reference', `roads=${file}`]);
    const p = await browser.context.newPage();
    try {
      await p.goto(other.base);
      await p.waitForSelector('body[data-ready=true]', { state: 'attached', timeout: 60_000 });
      await p.waitForFunction(() => window.wangge.map.getLayer('ref-roads-line'), null, { timeout: 20_000 });
      await view(p, [x, y], 16);
      await p.waitForFunction(() => window.wangge.map.queryRenderedFeatures({ layers: ['ref-roads-line'] }).length > 0, null, { timeout: 20_000 });
      const order = await p.evaluate(() => window.wangge.map.getStyle().layers.map((l) => l.id));
      assert.ok(order.indexOf('ref-roads-line') < order.indexOf('base-fill'), `under the grids: ${order.join(' ')}`);
      await p.screenshot({ path: path.join(shots, 'd3-reference-roads-z16.png') });
    } finally {
      await p.close();
      other.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
}

