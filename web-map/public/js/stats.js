// Statistics of the area in view, drawn as plain SVG bars (no chart library, works offline).
// "The area in view" is the admin area under the map centre, at a level that fits the zoom:
// community when zoomed in, town in the middle, the district when zoomed out.

import { get } from './api.js';
import { t, onLanguage } from './i18n.js';
import { esc } from './util.js';
import { STATUS_COLOURS, BAND_COLOURS } from './layers.js';

let el = null;
let last = null; // {area, stats, staffing}

function bandOf(g) {
  if (!g.standard) return 'none';
  if (g.households < g.standard[0]) return 'below';
  if (g.households > g.standard[1]) return 'above';
  return 'within';
}

/** Horizontal bars of households per base grid, with the standard band shaded behind them. */
function householdsChart(grids) {
  const base = grids.filter((g) => g.layer === 'base');
  if (!base.length) return `<p class="muted">–</p>`;
  // A town or the district has hundreds of base grids: one bar each would be unreadable, so
  // above a screenful the chart counts grids below / within / above their band instead.
  if (base.length > 40) return bandCountChart(base);
  // Each bar is labelled with its grid's name (the community's name left out: it is the same
  // for every bar of a community), the full code and name in the tooltip.
  const W = 290, row = 13, left = 92, right = 34;
  // A town's chart mixes communities: their grids are told apart by the community's first two
  // characters (阜上·第1网格).
  const mixed = new Set(base.map((g) => g.code.slice(0, 12))).size > 1;
  const short = (n) => {
    const name = String(n || '');
    const m = name.match(/(第[^第]*网格.*)$/);
    let v = m ? m[1] : name;
    if (m && mixed) v = `${name.slice(0, 2)}·${v}`;
    return v.length > 9 ? `${v.slice(0, 8)}…` : v;
  };
  const max = Math.max(...base.map((g) => Math.max(g.households, g.standard ? g.standard[1] : 0)), 1);
  const x = (v) => left + ((W - left - right) * v) / max;
  const H = base.length * row + 14;
  const bars = base.map((g, i) => {
    const y = i * row;
    const band = g.standard ? `<rect x="${x(g.standard[0])}" y="${y}" width="${x(g.standard[1]) - x(g.standard[0])}" height="${row - 1}" fill="#e0e0e0"/>` : '';
    return `${band}<text class="bar-name" x="0" y="${y + row - 3}">${esc(short(g.name))}<title>${esc(g.code)} ${esc(g.name)}</title></text><rect x="${left}" y="${y + 2}" width="${x(g.households) - left}" height="${row - 5}" fill="${BAND_COLOURS[bandOf(g)]}"><title>${esc(g.code)} ${esc(g.name)}: ${g.households}</title></rect>
      <text x="${x(g.households) + 3}" y="${y + row - 3}">${g.households}</text>`;
  }).join('');
  return `<svg class="chart" width="${W}" height="${H}" role="img" aria-label="${t('households_per_grid')}">${bars}
    <text x="${left}" y="${H - 2}">0</text><text x="${W - right}" y="${H - 2}">${max}</text></svg>`;
}

function bandCountChart(base) {
  const counts = { below: 0, within: 0, above: 0, no_standard: 0 };
  for (const g of base) counts[bandOf(g) === 'none' ? 'no_standard' : bandOf(g)]++;
  const max = Math.max(...Object.values(counts), 1);
  const row = 18;
  const colour = { ...BAND_COLOURS, no_standard: BAND_COLOURS.none };
  const rows = Object.entries(counts).map(([k, v], i) => `<text x="0" y="${i * row + 12}">${t(k)}</text>
    <rect x="80" y="${i * row + 2}" width="${(170 * v) / max}" height="${row - 6}" fill="${colour[k]}"/>
    <text x="${84 + (170 * v) / max}" y="${i * row + 12}">${v}</text>`).join('');
  return `<svg class="chart" width="290" height="${4 * row}" role="img" aria-label="${t('households_per_grid')}">${rows}</svg>`;
}

function statusChart(grids) {
  const counts = { active: 0, reserved: 0, suspended: 0 };
  for (const g of grids) if (g.layer === 'base') counts[g.status] = (counts[g.status] || 0) + 1;
  const max = Math.max(...Object.values(counts), 1);
  const W = 290, row = 18;
  const rows = Object.entries(counts).map(([k, v], i) => `<text x="0" y="${i * row + 12}">${t(k)}</text>
    <rect x="70" y="${i * row + 2}" width="${(180 * v) / max}" height="${row - 6}" fill="${STATUS_COLOURS[k]}"/>
    <text x="${74 + (180 * v) / max}" y="${i * row + 12}">${v}</text>`).join('');
  return `<svg class="chart" width="${W}" height="${3 * row}" role="img" aria-label="${t('grids_by_status')}">${rows}</svg>`;
}

function staffingChart(s) {
  // Workers per grid: how many grids have 0, 1, 2, 3+ workers.
  const buckets = [0, 0, 0, 0];
  for (const g of s.per_grid || []) buckets[Math.min(g.workers, 3)]++;
  const max = Math.max(...buckets, 1);
  const row = 18;
  const rows = buckets.map((v, i) => `<text x="0" y="${i * row + 12}">${i === 3 ? '3+' : i}</text>
    <rect x="30" y="${i * row + 2}" width="${(200 * v) / max}" height="${row - 6}" fill="${i === 0 ? '#e53935' : '#5c6bc0'}"/>
    <text x="${34 + (200 * v) / max}" y="${i * row + 12}">${v}</text>`).join('');
  return `<svg class="chart" width="290" height="${4 * row}" role="img" aria-label="${t('staffing')}">${rows}</svg>`;
}

function render() {
  if (!last) {
    el.innerHTML = `<h2>${t('stats')}</h2><p class="muted">${t('loading')}</p>`;
    return;
  }
  const { area, stats, staffing } = last;
  el.innerHTML = `<h2>${t('stats')}</h2>
    <p>${t('area_in_view')}: <b data-field="area">${esc(area.name)}</b> <span class="muted">${esc(area.code)}</span></p>
    <h3>${t('households_per_grid')}</h3>${householdsChart(stats.grids || [])}
    <h3>${t('grids_by_status')}</h3>${statusChart(stats.grids || [])}
    <h3>${t('staffing')}</h3>
    ${last.past ? `<p class="muted" data-field="staffing-note">${t('staffing_past_note')}</p>` : ''}
    <dl class="kv"><dt>${t('workers_per_grid')}</dt><dd>${(staffing.workers_per_grid ?? 0).toFixed(2)}</dd>
      <dt>${t('grids_without_worker')}</dt><dd>${(staffing.grids_without_worker || []).length} / ${staffing.grids}</dd></dl>
    ${staffingChart(staffing)}`;
}

export function mountStats(element) {
  el = element;
  onLanguage(render);
  render();
}

/** The admin area for the map's centre and zoom, or null outside the district. */
async function areaInView(map, fallback, asOf) {
  const c = map.getCenter();
  try {
    const { body } = await get('/lookup', { lon: c.lng.toFixed(7), lat: c.lat.toFixed(7), as_of: asOf });
    const z = map.getZoom();
    return (z >= 15 && body.community) || (z >= 13 && body.town) || body.district || fallback;
  } catch {
    return fallback; // the centre lies outside every grid
  }
}

let seq = 0;
/** Statistics of the area in view for date `asOf`; returns that area (the validation uses it). */
export async function refreshStats(map, district, asOf) {
  const mine = ++seq;
  const area = await areaInView(map, district, asOf);
  if (!area) return null;
  const [stats, staffing] = await Promise.all([get('/stats', { area: area.code, as_of: asOf }), get('/staffing', { area: area.code })]);
  if (mine !== seq) return area; // a newer view answered first
  let staff = staffing.body;
  if (asOf) {
    // /staffing has no as_of: keep the grids that existed on the date (people are today's).
    const ids = new Set((stats.body.grids || []).filter((g) => g.layer === 'base').map((g) => g.id));
    const per = (staff.per_grid || []).filter((g) => ids.has(g.grid));
    const workers = per.reduce((a, g) => a + g.workers, 0);
    staff = {
      ...staff,
      per_grid: per,
      grids: ids.size,
      workers_per_grid: ids.size ? workers / ids.size : 0,
      grids_without_worker: [...ids].filter((id) => !per.some((g) => g.grid === id && g.workers > 0)),
    };
  }
  last = { area, stats: stats.body, staffing: staff, past: !!asOf };
  render();
  return area;
}
