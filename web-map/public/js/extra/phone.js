// Phones (issue 18): below 700 px the two side panels become bottom sheets opened from a bar of
// thumb-sized buttons (≥ 44 px), so the map takes the screen; a selected grid's card opens its
// sheet. "Which grid am I in" asks the browser for the position and sends it to GET /lookup.
//
// Coordinates: the W3C Geolocation API (navigator.geolocation) gives WGS84, which /lookup takes
// as it is (crs=wgs84). Positions copied from Chinese map apps and SDKs are not WGS84: AMap
// (高德) and Tencent give GCJ-02, Baidu BD-09, and official GIS CGCS2000 — off by up to hundreds
// of metres for the first two. The user picks the system of the position (kept in
// localStorage); /lookup converts with crs=gcj02|bd09|cgcs2000 and says how uncertain it is.
// The position can also be typed (lon,lat), e.g. read off a Chinese map app.

import { get } from '../api.js';
import { t } from '../i18n.js';
import { esc, flash } from '../util.js';
import { maplibregl } from '../map.js';

const CRS_KEY = 'wangge.locate.crs';
const CRSES = ['wgs84', 'gcj02', 'bd09', 'cgcs2000'];
const phone = () => window.matchMedia('(max-width: 700px)').matches;

let marker = null;

function sheets() {
  return { side: document.getElementById('side'), stats: document.getElementById('side-right') };
}

/** Opens one sheet (or none) on a phone. */
export function openSheet(which) {
  const s = sheets();
  for (const [k, el] of Object.entries(s)) el.classList.toggle('x-open', k === which);
  for (const b of document.querySelectorAll('#x-bar [data-sheet]')) b.classList.toggle('active', b.dataset.sheet === which);
  // The map keeps what it centres on (a selected grid) above the open sheet.
  const map = window.wangge?.map;
  if (map && phone()) {
    const bar = document.getElementById('x-bar')?.offsetHeight || 0;
    const h = which ? Math.max(0, s[which].offsetHeight - bar) : 0;
    map.setPadding({ top: 0, left: 0, right: 0, bottom: h });
  }
}

function currentSheet() {
  const s = sheets();
  return Object.keys(s).find((k) => s[k].classList.contains('x-open')) || null;
}

/** The position of the device (WGS84 from the browser). */
function position() {
  return new Promise((resolve, reject) => {
    if (!navigator.geolocation) { reject(new Error(t('x_no_geolocation'))); return; }
    navigator.geolocation.getCurrentPosition((p) => resolve([p.coords.longitude, p.coords.latitude, p.coords.accuracy]),
      (e) => reject(new Error(`${t('x_no_geolocation')} (${e.message || e.code})`)), { enableHighAccuracy: true, timeout: 15_000, maximumAge: 30_000 });
  });
}

function box() {
  let el = document.getElementById('locate-box');
  if (!el) {
    el = document.createElement('div');
    el.id = 'locate-box';
    el.setAttribute('role', 'status');
    document.body.append(el);
  }
  el.hidden = false;
  return el;
}

/** Looks up a position given in `crs` and shows the answer; selects the base grid found. */
export async function lookupAt(app, select, lon, lat, crs, accuracy) {
  const el = box();
  const { body } = await get('/lookup', { lon: lon.toFixed(7), lat: lat.toFixed(7), crs, as_of: app.asOf });
  const at = body.position || [lon, lat]; // the point in WGS84, after the service's conversion
  if (!marker) marker = new maplibregl.Marker({ color: '#d50000' });
  marker.setLngLat(at).addTo(app.map);
  const g = body.base;
  const chain = [body.community?.name, body.town?.name].filter(Boolean).map(esc).join(' · ');
  el.dataset.grid = '';
  el.innerHTML = `<button type="button" class="x-close" aria-label="${t('close')}">✕</button>
    ${g ? `<b>${t('x_you_are_in')}</b> <span data-field="locate-grid">${esc(g.name)}</span> <span class="muted">${esc(g.code)}</span><br>${chain}`
    : `<b>${t('x_in_no_grid')}</b>${body.nearest ? ` · ${t('x_nearest')}: ${esc(body.nearest.name || body.nearest.code || '')}` : ''}`}
    <div class="muted">${t('x_crs')}: ${esc(crs.toUpperCase())}${accuracy ? ` · ±${Math.round(accuracy)} m` : ''}${body.uncertain ? ` · ${t('x_near_boundary')}` : ''}</div>`;
  el.querySelector('.x-close').addEventListener('click', () => { el.hidden = true; marker?.remove(); });
  if (g) {
    await select(g.id);
  } else {
    app.map.easeTo({ center: at, zoom: Math.max(app.map.getZoom(), 15) });
  }
  el.dataset.grid = g?.code || '-'; // tests wait for this: the answer is shown and selected
  return body;
}

/** The locate panel: the system of the position, the device position, or a typed one. */
export function openLocate(app, select) {
  const el = box();
  const crs = localStorage.getItem(CRS_KEY) || 'wgs84';
  el.dataset.grid = '';
  el.innerHTML = `<button type="button" class="x-close" aria-label="${t('close')}">✕</button>
    <b>${t('x_locate')}</b>
    <label class="x-row">${t('x_crs')} <select id="locate-crs">${CRSES.map((c) => `<option value="${c}"${c === crs ? ' selected' : ''}>${t(`x_crs_${c}`)}</option>`).join('')}</select></label>
    <div class="x-row"><button type="button" id="locate-go" class="x-primary">${t('x_use_my_position')}</button></div>
    <div class="x-row"><input id="locate-lonlat" type="text" inputmode="decimal" placeholder="${t('x_lonlat_placeholder')}"><button type="button" id="locate-typed">${t('x_look_up')}</button></div>`;
  el.querySelector('.x-close').addEventListener('click', () => { el.hidden = true; });
  const chosen = () => {
    const v = el.querySelector('#locate-crs').value;
    localStorage.setItem(CRS_KEY, v);
    return v;
  };
  el.querySelector('#locate-go').addEventListener('click', async () => {
    const c = chosen();
    try {
      const [lon, lat, acc] = await position();
      await lookupAt(app, select, lon, lat, c, acc);
    } catch (e) {
      flash(e.explain ? e.explain() : e.message);
    }
  });
  el.querySelector('#locate-typed').addEventListener('click', async () => {
    const c = chosen();
    const [lon, lat] = el.querySelector('#locate-lonlat').value.split(/[,，\s]+/).map(Number);
    if (!Number.isFinite(lon) || !Number.isFinite(lat)) { flash(t('x_lonlat_placeholder')); return; }
    try {
      await lookupAt(app, select, lon, lat, c);
    } catch (e) {
      flash(e.explain ? e.explain() : e.message);
    }
  });
}

export function mountPhone(app, select) {
  const bar = document.createElement('nav');
  bar.id = 'x-bar';
  const render = () => {
    bar.innerHTML = `<button type="button" data-sheet="side">${t('x_sheet_side')}</button>
      <button type="button" data-sheet="stats">${t('stats')}</button>
      <button type="button" id="x-locate">${t('x_locate_short')}</button>`;
    for (const b of bar.querySelectorAll('[data-sheet]')) {
      b.addEventListener('click', () => openSheet(currentSheet() === b.dataset.sheet ? null : b.dataset.sheet));
    }
    bar.querySelector('#x-locate').addEventListener('click', () => { openSheet(null); openLocate(app, select); });
  };
  render();
  document.body.append(bar);
  // A grid's card opening (a tap on the map, search, locate) opens its sheet on a phone.
  const card = document.getElementById('card');
  new MutationObserver(() => {
    if (phone() && !card.hidden && currentSheet() !== 'side') {
      openSheet('side');
      card.scrollIntoView({ block: 'start' });
    }
  }).observe(card, { attributes: true, attributeFilter: ['hidden'] });
  return { render };
}
