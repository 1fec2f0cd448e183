// Helpers shared by the browser-test suites: the server under test, the API, and page
// helpers that wait for the map. Suites are run.mjs (the core) and every suite-*.mjs.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';

export const here = path.dirname(fileURLToPath(import.meta.url));
export const repo = path.resolve(here, '../..');
export const binary = process.argv[2] || path.join(repo, 'target/debug/wangge');
export const shots = process.env.WEB_MAP_SCREENSHOTS || path.join(repo, 'target/web-map-screenshots');
export const ADMIN = 'web-map-test-admin-secret-0001';
export const COMMUNITY = '341002001001'; // 荷花池社区: planner A may edit here
export const OTHER = '341002001002'; // 上新社区: planner B's only area
export const THIRD = '341002001003'; // 水心亭社区: planner C's area (draw, merge, status, conflict)
export const VILLAGE = '341002100200'; // redrawn in 2024: its base grids have version 1 from 2023

export function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

export async function startServer(extraArgs = []) {
  const port = await freePort();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'wangge-web-'));
  const child = spawn(binary, ['serve', '--bind', `127.0.0.1:${port}`, '--data-dir', dataDir, ...extraArgs], {
    cwd: repo,
    env: { ...process.env, WANGGE_ADMIN_TOKEN: ADMIN, WANGGE_WEB_DIR: path.join(repo, 'web-map') },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  child.stderr.on('data', (d) => { log += d; });
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 180_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the server exited (${child.exitCode}):\n${log}`);
    try {
      if ((await fetch(`${base}/health`)).ok) break;
    } catch { /* not listening yet */ }
    if (Date.now() > deadline) throw new Error(`the server did not become ready:\n${log}`);
    await new Promise((r) => setTimeout(r, 300));
  }
  const stop = () => {
    child.kill('SIGTERM');
    fs.rmSync(dataDir, { recursive: true, force: true });
  };
  return { base, stop };
}

export async function api(base, method, p, { token, body } = {}) {
  const headers = {};
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body) headers['Content-Type'] = 'application/json';
  const res = await fetch(`${base}/api/v1${p}`, { method, headers, body: body ? JSON.stringify(body) : undefined });
  const json = await res.json();
  if (!res.ok) throw new Error(`${method} ${p}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

export async function planner(base, name, areas) {
  return (await api(base, 'POST', '/tokens', { token: ADMIN, body: { name, role: 'planner', areas } })).secret;
}

/** Gap and overlap problems of an area (the partition must stay exact after every edit). */
export async function partitionProblems(base, area) {
  const fc = await api(base, 'GET', `/validation?area=${area}`);
  return fc.features.filter((f) => ['gap', 'overlap'].includes(f.properties.kind));
}

/** A vertex shared by two base grids of the community and not on the community's outline. */
export async function innerSharedVertex(base) {
  const grids = (await api(base, 'GET', `/grids?layer=base&area=${COMMUNITY}`)).features;
  const outline = new Set();
  const area = await api(base, 'GET', `/areas/${COMMUNITY}`);
  const walk = (c) => (typeof c[0] === 'number' ? outline.add(`${c[0]},${c[1]}`) : c.forEach(walk));
  walk(area.geometry.coordinates);
  const count = new Map();
  for (const g of grids) {
    const seen = new Set();
    const visit = (c) => {
      if (typeof c[0] === 'number') seen.add(`${c[0]},${c[1]}`);
      else c.forEach(visit);
    };
    visit(g.geometry.coordinates);
    for (const k of seen) count.set(k, (count.get(k) || 0) + 1);
  }
  const key = [...count.entries()].find(([k, n]) => n >= 2 && !outline.has(k))?.[0];
  assert.ok(key, 'the community has an inner vertex shared by two base grids');
  return key.split(',').map(Number);
}

// ---------------------------------------------------------------- page helpers

export async function settle(page) {
  await page.waitForFunction(() => window.wangge?.map && !window.wangge.map.isMoving() && window.wangge.map.loaded(), null, { timeout: 30_000 });
  await page.evaluate(() => new Promise((r) => { const m = window.wangge.map; if (m.areTilesLoaded()) r(); else m.once('idle', r); }));
}

export async function view(page, center, zoom) {
  await page.evaluate(([c, z]) => window.wangge.map.jumpTo({ center: c, zoom: z }), [center, zoom]);
  await settle(page);
  await page.waitForTimeout(400); // the panels and snap targets follow moveend
}

/** Page coordinates of a lon/lat. */
export async function screen(page, lngLat) {
  return page.evaluate((c) => {
    const p = window.wangge.map.project(c);
    const r = window.wangge.map.getCanvas().getBoundingClientRect();
    return { x: r.left + p.x, y: r.top + p.y };
  }, lngLat);
}

export async function clickAt(page, lngLat) {
  const p = await screen(page, lngLat);
  await page.mouse.click(p.x, p.y);
}

export function centroid(feature) {
  const ring = feature.geometry.type === 'Polygon' ? feature.geometry.coordinates[0] : feature.geometry.coordinates[0][0];
  const pts = ring.slice(0, -1);
  return [pts.reduce((s, p) => s + p[0], 0) / pts.length, pts.reduce((s, p) => s + p[1], 0) / pts.length];
}

/** Clicks wait for the snap targets, so steps appear a little after the click. */
export async function waitSteps(page, n) {
  await page.waitForFunction((v) => document.querySelector('[data-field=steps]')?.textContent === v, n, { timeout: 15_000 })
    .catch(async () => assert.fail(`expected ${n} unsaved steps, saw ${await page.textContent('[data-field=steps]')}`));
}

export async function setToken(page, secret) {
  await page.fill('#token-input', secret);
  await page.click('#token-save');
  // The page checks the token with the service before it keeps it.
  await page.waitForFunction((v) => sessionStorage.getItem('wangge.token') === v, secret, { timeout: 10_000 });
}

/** Shows the whole grid, then clicks it (after leaving any edit tool, whose clicks are steps). */
export async function selectGrid(page, base, id) {
  if (await page.$('#edit-cancel')) await page.click('#edit-cancel');
  const f = await api(base, 'GET', `/grids/${id}`);
  const c = centroid(f);
  await page.evaluate((g) => {
    const b = [Infinity, Infinity, -Infinity, -Infinity];
    for (const [x, y] of g.geometry.coordinates.flat(2).length ? g.geometry.coordinates.flat(g.geometry.type === 'Polygon' ? 1 : 2) : []) {
      b[0] = Math.min(b[0], x); b[1] = Math.min(b[1], y); b[2] = Math.max(b[2], x); b[3] = Math.max(b[3], y);
    }
    window.wangge.map.fitBounds(b, { padding: 60, animate: false });
  }, f);
  await settle(page);
  await page.waitForTimeout(400);
  await clickAt(page, c);
  await page.waitForFunction((code) => document.querySelector('#card [data-field=code]')?.textContent === code, id, { timeout: 10_000 });
  return f;
}

export async function previewAndSave(page, reason) {
  await page.click('#edit-preview');
  await page.waitForSelector('#edit-panel [data-field=impact], #edit-panel .error-box', { timeout: 20_000 });
  const err = await page.$('#edit-panel .error-box');
  if (err) throw new Error(`the dry run was refused: ${await err.textContent()}`);
  await page.fill('#edit-reason', reason);
  await page.click('#edit-save');
  await page.waitForSelector('#edit-panel [data-field=message]', { timeout: 20_000 });
  const msg = await page.textContent('#edit-panel [data-field=message]');
  assert.ok(await page.$('#edit-panel .ok-box'), `the save failed: ${msg}`);
  return msg;
}

/**
 * Starts an edit tool and waits until the panel shows it active. The panel re-renders on every
 * session change (a card loading, a token saved), and a click on a button replaced meanwhile is
 * lost: the click is repeated until the tool is on.
 */
export async function startTool(page, tool) {
  for (let i = 0; i < 5; i++) {
    if (await page.evaluate((t) => window.wangge.session.state.tool === t, tool)) return;
    await page.click(`[data-tool=${tool}]`);
    try {
      await page.waitForFunction((t) => window.wangge.session.state.tool === t, tool, { timeout: 2_000 });
      return;
    } catch { /* the click hit a replaced button: again */ }
  }
  assert.fail(`the ${tool} tool did not start`);
}

/** Clicks a few pixels off a lon/lat (to prove that snapping pulls the click back). */
export async function clickNear(page, lngLat, dx, dy) {
  const p = await screen(page, lngLat);
  await page.mouse.click(p.x + dx, p.y + dy);
}

/** Runs the dry run and waits for its impact (throws with the refusal's text). */
export async function previewEdit(page) {
  await page.click('#edit-preview');
  await page.waitForSelector('#edit-panel [data-field=impact], #edit-panel .error-box', { timeout: 20_000 });
  const err = await page.$('#edit-panel .error-box');
  if (err) throw new Error(`the dry run was refused: ${await err.textContent()}`);
}

export function hasVertex(geometry, v) {
  return JSON.stringify(geometry.coordinates).includes(`[${v[0]},${v[1]}]`);
}

/** The vector-tile base grids drawn on screen whose code starts with `prefix`. */
export async function renderedBase(page, prefix) {
  return page.evaluate((pre) => {
    const seen = new Map();
    for (const f of window.wangge.map.queryRenderedFeatures({ layers: ['base-fill'] })) {
      if (String(f.properties.code).startsWith(pre)) seen.set(f.properties.code, f.properties.version);
    }
    return [...seen.entries()].sort();
  }, prefix);
}

// ---------------------------------------------------------------- the tests

export const results = [];
export async function test(name, f) {
  const t0 = Date.now();
  try {
    await f();
    results.push({ name, ok: true });
    console.log(`ok   ${name} (${Date.now() - t0} ms)`);
  } catch (e) {
    results.push({ name, ok: false });
    console.log(`FAIL ${name}\n${e.stack || e}`);
  }
}
