// Print (issue 18): a map sheet of a community, a street/town or the current view, A4 or A3,
// portrait or landscape, as PDF (the browser's print to PDF of #print-sheet, sized by an @page
// rule) or as a PNG composed on a canvas. The sheet has a title, the drawing date and the as-of
// date of the data, the map with the grid boundaries and each base grid's code and name, a
// legend, a scale bar with the scale, a north arrow and a data source line.
//
// One layout in millimetres (a list of items) is drawn twice: as absolutely placed HTML for print
// (real text, so the PDF is searchable and Chinese renders with the page's CJK font) and on a
// canvas for the PNG. The map picture is the live map's canvas (preserveDrawingBuffer is on),
// taken after fitting the map to the area and waiting for its tiles; the view is restored after.

import { get } from '../api.js';
import { t } from '../i18n.js';
import { esc, flash } from '../util.js';
import { bboxOf, viewBbox } from '../map.js';
import { STATUS_COLOURS } from '../layers.js';
import { areaOptions, areaInView, dialog, today } from './scope.js';
import { saveBlob } from './xlsx.js';

const PAPER = { A4: [210, 297], A3: [297, 420] };
const PNG_DPI = 150;
const MARGIN = 10; // mm
const TITLE = 15; // mm above the map frame
const FOOT = 24; // mm below it: legend, scale, source
const FONT = '"Noto Sans CJK SC", "WenQuanYi Micro Hei", "Microsoft YaHei", sans-serif';

const idle = (map) => new Promise((resolve) => {
  if (map.loaded() && map.areTilesLoaded() && !map.isMoving()) {
    map.once('render', resolve);
    map.triggerRepaint();
  } else map.once('idle', resolve);
});

/** Area-weighted centroid of the largest outer ring (a good enough label point for grids). */
function labelPoint(geometry) {
  const polys = geometry.type === 'Polygon' ? [geometry.coordinates] : geometry.type === 'MultiPolygon' ? geometry.coordinates : [];
  let best = null;
  for (const p of polys) {
    const r = p[0];
    let a = 0, cx = 0, cy = 0;
    for (let i = 0; i < r.length - 1; i++) {
      const f = r[i][0] * r[i + 1][1] - r[i + 1][0] * r[i][1];
      a += f; cx += (r[i][0] + r[i + 1][0]) * f; cy += (r[i][1] + r[i + 1][1]) * f;
    }
    if (a && (!best || Math.abs(a) > best.a)) best = { a: Math.abs(a), c: [cx / (3 * a), cy / (3 * a)] };
  }
  return best?.c || null;
}

function niceMetres(m) {
  const p = 10 ** Math.floor(Math.log10(m));
  const f = m / p;
  return (f >= 5 ? 5 : f >= 2 ? 2 : 1) * p;
}

const textWidth = (s, size) => [...s].reduce((w, ch) => w + (ch.charCodeAt(0) > 0x2e80 ? size : size * 0.56), 0);

/** Captures the map for a scope: {image, size:[w,h], labels:[{text, x, y}], metresPerPx, title}. */
async function capture(app, scope, frameMm) {
  const { map } = app;
  const saved = { center: map.getCenter(), zoom: map.getZoom() };
  // For the capture the map takes the frame's shape at about 100 px per inch of paper (sharper
  // than the screen, and no white bands beside a square map on a landscape sheet); it goes back
  // to its place and view afterwards.
  const container = map.getContainer();
  const savedStyle = container.getAttribute('style') || '';
  const pxPerMm = 4;
  container.style.cssText = `${savedStyle};position:fixed;left:0;top:0;z-index:-1;width:${Math.round(frameMm[0] * pxPerMm)}px;height:${Math.round(frameMm[1] * pxPerMm)}px`;
  map.resize();
  let title;
  let grids;
  try {
    if (scope === 'view') {
      const a = await areaInView(map, app.tree, app.asOf);
      title = `${a.name}${t('x_print_view_suffix')}`;
      grids = (await get('/grids', { layer: 'base', bbox: viewBbox(map).join(','), as_of: app.asOf })).body.features;
    } else {
      const area = (await get(`/areas/${scope}`)).body;
      title = area.properties?.name || scope;
      map.fitBounds(bboxOf(area), { padding: 24, animate: false });
      grids = (await get('/grids', { layer: 'base', area: scope, as_of: app.asOf })).body.features;
    }
    await idle(map);
    const image = map.getCanvas().toDataURL('image/png');
    const c = map.getContainer();
    const size = [c.clientWidth, c.clientHeight];
    const labels = [];
    for (const g of grids) {
      const p = labelPoint(g.geometry);
      if (!p) continue;
      const s = map.project(p);
      if (s.x < 0 || s.y < 0 || s.x > size[0] || s.y > size[1]) continue;
      labels.push({ code: g.properties.code, name: g.properties.name, x: s.x, y: s.y });
    }
    const lat = map.getCenter().lat;
    const metresPerPx = (40075016.686 * Math.cos((lat * Math.PI) / 180)) / (512 * 2 ** map.getZoom());
    const problems = map.getLayer('problems-fill') && map.getLayoutProperty('problems-fill', 'visibility') !== 'none';
    return { image, size, labels, metresPerPx, problems, title: `${title}${t('x_print_title_suffix')}` };
  } finally {
    container.setAttribute('style', savedStyle);
    map.resize();
    map.jumpTo(saved);
  }
}

/** Paper size [W, H] and the map frame's size in mm (the layout below uses the same numbers). */
function frameOf({ paper, orientation }) {
  let [W, H] = PAPER[paper];
  if (orientation === 'landscape') [W, H] = [H, W];
  return { W, H, frame: [W - 2 * MARGIN, H - 2 * MARGIN - TITLE - FOOT] };
}

/** The sheet as items in millimetres. */
function layout(cap, { paper, orientation }, asOf) {
  const { W, H, frame: [fw, fh] } = frameOf({ paper, orientation });
  const m = MARGIN;
  const items = [];
  const frame = { x: m, y: m + TITLE, w: fw, h: fh };
  items.push({ type: 'text', x: W / 2, y: m, size: 7, bold: true, align: 'center', text: cap.title, role: 'title' });
  items.push({ type: 'text', x: W - m, y: m + 9, size: 3, align: 'right', text: `${t('x_print_date')}：${today()}　${t('x_print_asof')}：${asOf || today()}` });
  const s = Math.min(frame.w / cap.size[0], frame.h / cap.size[1]); // mm per screen pixel
  const iw = cap.size[0] * s, ih = cap.size[1] * s;
  const ix = frame.x + (frame.w - iw) / 2, iy = frame.y + (frame.h - ih) / 2;
  items.push({ type: 'image', x: ix, y: iy, w: iw, h: ih, src: cap.image });
  items.push({ type: 'rect', x: frame.x, y: frame.y, w: frame.w, h: frame.h, stroke: '#17324d', width: 0.4 });
  // Labels: code over name, at the grid's centroid; a label that would overlap a placed one is
  // left out (a street's dense centre), so every printed label is legible.
  const size = paper === 'A3' ? 3.2 : 2.8;
  const placed = [];
  for (const l of cap.labels) {
    const x = ix + l.x * s, y = iy + l.y * s;
    const w = Math.max(textWidth(l.code, size * 0.85), textWidth(l.name, size));
    const box = [x - w / 2, y - size, x + w / 2, y + size * 1.1];
    if (box[0] < frame.x || box[2] > frame.x + frame.w || box[1] < frame.y || box[3] > frame.y + frame.h) continue;
    if (placed.some((b) => b[0] < box[2] && box[0] < b[2] && b[1] < box[3] && box[1] < b[3])) continue;
    placed.push(box);
    items.push({ type: 'text', x, y: y - size, size, align: 'center', halo: true, text: l.name, role: 'label' });
    items.push({ type: 'text', x, y: y + size * 0.1, size: size * 0.85, align: 'center', halo: true, text: l.code, colour: '#37474f' });
  }
  // North arrow in the map's top-right corner (the map is never rotated: dragRotate is unused).
  items.push({ type: 'north', x: frame.x + frame.w - 10, y: frame.y + 3, size: 12 });
  // Footer: legend, scale bar, source.
  const fy = frame.y + frame.h + 3;
  let lx = m;
  items.push({ type: 'text', x: lx, y: fy, size: 3, bold: true, text: t('x_legend') });
  lx += 12;
  for (const k of ['active', 'reserved', 'suspended']) {
    items.push({ type: 'rect', x: lx, y: fy, w: 5, h: 3.2, fill: STATUS_COLOURS[k], stroke: '#37474f', width: 0.2 });
    items.push({ type: 'text', x: lx + 6.5, y: fy, size: 3, text: `${t('base')}·${t(k)}` });
    lx += 8 + textWidth(`${t('base')}·${t(k)}`, 3) + 4;
  }
  items.push({ type: 'rect', x: lx, y: fy + 1.4, w: 6, h: 0.4, fill: '#1565c0' });
  items.push({ type: 'text', x: lx + 7.5, y: fy, size: 3, text: t('x_legend_community') });
  lx += 9 + textWidth(t('x_legend_community'), 3) + 4;
  items.push({ type: 'rect', x: lx, y: fy + 1.5, w: 6, h: 0.25, fill: '#37474f' });
  items.push({ type: 'text', x: lx + 7.5, y: fy, size: 3, text: t('x_legend_grid') });
  if (cap.problems) {
    // The validation problems layer is on: its red areas are on the map, so in the legend too.
    lx += 9 + textWidth(t('x_legend_grid'), 3) + 4;
    items.push({ type: 'rect', x: lx, y: fy, w: 5, h: 3.2, fill: '#f0a0a0', stroke: '#d50000', width: 0.3 });
    items.push({ type: 'text', x: lx + 6.5, y: fy, size: 3, text: t('problems') });
  }
  const metresPerMm = cap.metresPerPx / s;
  const bar = niceMetres(30 * metresPerMm);
  const barMm = bar / metresPerMm;
  const sy = fy + 7;
  items.push({ type: 'rect', x: m, y: sy, w: barMm / 2, h: 1.6, fill: '#17324d', stroke: '#17324d', width: 0.2, role: 'scalebar' });
  items.push({ type: 'rect', x: m + barMm / 2, y: sy, w: barMm / 2, h: 1.6, fill: '#ffffff', stroke: '#17324d', width: 0.2 });
  const denom = Math.round((metresPerMm * 1000) / 100) * 100;
  items.push({ type: 'text', x: m + barMm + 3, y: sy - 0.6, size: 3, text: `${bar >= 1000 ? `${bar / 1000} km` : `${bar} m`}　${t('x_scale')} 1:${denom.toLocaleString('en')}` });
  items.push({ type: 'text', x: m, y: H - m - 4, size: 2.8, colour: '#5a6b7c', text: `${t('x_source')}：${app_district_name}${t('x_source_rest')}` });
  return { W, H, items, scale: denom };
}

let app_district_name = '';

function toHtml({ W, H, items }) {
  const el = (i) => {
    if (i.type === 'text') {
      const tx = i.align === 'center' ? 'translateX(-50%)' : i.align === 'right' ? 'translateX(-100%)' : '';
      return `<div class="ps-text${i.halo ? ' ps-halo' : ''}"${i.role ? ` data-role="${i.role}"` : ''} style="left:${i.x}mm;top:${i.y}mm;font-size:${i.size}mm;line-height:${i.size * 1.1}mm;${i.bold ? 'font-weight:bold;' : ''}${i.colour ? `color:${i.colour};` : ''}transform:${tx}">${esc(i.text)}</div>`;
    }
    if (i.type === 'image') return `<img class="ps-map" alt="" src="${i.src}" style="left:${i.x}mm;top:${i.y}mm;width:${i.w}mm;height:${i.h}mm">`;
    if (i.type === 'rect') return `<div class="ps-rect"${i.role ? ` data-role="${i.role}"` : ''} style="left:${i.x}mm;top:${i.y}mm;width:${i.w}mm;height:${i.h}mm;${i.fill ? `background:${i.fill};` : ''}${i.stroke ? `border:${i.width}mm solid ${i.stroke};` : ''}"></div>`;
    if (i.type === 'north') {
      return `<svg class="ps-north" data-role="north" viewBox="0 0 20 30" style="left:${i.x - i.size / 3}mm;top:${i.y}mm;width:${(i.size * 2) / 3}mm;height:${i.size}mm">
        <polygon points="10,2 17,24 10,19 3,24" fill="#17324d"/><polygon points="10,2 10,19 3,24" fill="#fff" stroke="#17324d" stroke-width="0.8"/>
        <text x="10" y="30" text-anchor="middle" font-size="7" font-weight="bold">N</text></svg>`;
    }
    return '';
  };
  return `<div class="ps-page" style="width:${W}mm;height:${H - 0.5}mm">${items.map(el).join('')}</div>`;
}

async function toPng({ W, H, items }) {
  const k = PNG_DPI / 25.4;
  const canvas = document.createElement('canvas');
  canvas.width = Math.round(W * k);
  canvas.height = Math.round(H * k);
  const g = canvas.getContext('2d');
  g.fillStyle = '#fff';
  g.fillRect(0, 0, canvas.width, canvas.height);
  for (const i of items) {
    if (i.type === 'image') {
      const img = new Image();
      img.src = i.src;
      await img.decode();
      g.drawImage(img, i.x * k, i.y * k, i.w * k, i.h * k);
    } else if (i.type === 'rect') {
      if (i.fill) { g.fillStyle = i.fill; g.fillRect(i.x * k, i.y * k, i.w * k, i.h * k); }
      if (i.stroke) { g.strokeStyle = i.stroke; g.lineWidth = i.width * k; g.strokeRect(i.x * k, i.y * k, i.w * k, i.h * k); }
    } else if (i.type === 'text') {
      g.font = `${i.bold ? 'bold ' : ''}${i.size * k}px ${FONT}`;
      g.textAlign = i.align || 'left';
      g.textBaseline = 'top';
      if (i.halo) { g.strokeStyle = '#fff'; g.lineWidth = 0.6 * k; g.lineJoin = 'round'; g.strokeText(i.text, i.x * k, i.y * k); }
      g.fillStyle = i.colour || '#1d2733';
      g.fillText(i.text, i.x * k, i.y * k);
    } else if (i.type === 'north') {
      const u = (i.size * k) / 30; // the SVG's 20×30 box
      const ox = i.x * k - 10 * u, oy = i.y * k;
      const poly = (pts, fill) => {
        g.beginPath();
        pts.forEach(([x, y], j) => (j ? g.lineTo(ox + x * u, oy + y * u) : g.moveTo(ox + x * u, oy + y * u)));
        g.closePath();
        g.fillStyle = fill; g.fill();
        g.strokeStyle = '#17324d'; g.lineWidth = 0.8 * u; g.stroke();
      };
      poly([[10, 2], [17, 24], [10, 19], [3, 24]], '#17324d');
      poly([[10, 2], [10, 19], [3, 24]], '#fff');
      g.font = `bold ${7 * u}px ${FONT}`; g.textAlign = 'center'; g.textBaseline = 'alphabetic'; g.fillStyle = '#17324d';
      g.fillText('N', ox + 10 * u, oy + 30 * u);
    }
  }
  return new Promise((resolve) => canvas.toBlob(resolve, 'image/png'));
}

/** Builds the sheet (HTML for print, with its @page size) and returns {sheet, png: () => Blob}. */
export async function buildSheet(app, opts) {
  app_district_name = app.tree[0]?.name || '';
  const cap = await capture(app, opts.scope, frameOf(opts).frame);
  const lay = layout(cap, opts, app.asOf);
  let sheet = document.getElementById('print-sheet');
  if (!sheet) {
    sheet = document.createElement('div');
    sheet.id = 'print-sheet';
    document.body.append(sheet);
  }
  sheet.innerHTML = toHtml(lay);
  sheet.dataset.title = cap.title;
  sheet.dataset.scale = String(lay.scale);
  let page = document.getElementById('print-page-style');
  if (!page) {
    page = document.createElement('style');
    page.id = 'print-page-style';
    document.head.append(page);
  }
  page.textContent = `@page { size: ${opts.paper} ${opts.orientation}; margin: 0; }`;
  return { sheet, layout: lay, png: () => toPng(lay), title: cap.title };
}

/** The print dialog. */
export async function openPrint(app) {
  const inView = await areaInView(app.map, app.tree, app.asOf);
  const body = dialog('print-dialog', t('x_print'));
  body.innerHTML = `<div class="x-controls x-col">
      <label>${t('x_print_scope')} <select id="print-scope"><option value="view">${t('x_print_view')}</option>${areaOptions(app.tree, inView.code)}</select></label>
      <label>${t('x_paper')} <select id="print-paper"><option>A4</option><option>A3</option></select></label>
      <label>${t('x_orientation')} <select id="print-orientation"><option value="portrait">${t('x_portrait')}</option><option value="landscape">${t('x_landscape')}</option></select></label>
      <span><button type="button" id="print-pdf" class="x-primary">${t('x_print_pdf')}</button>
      <button type="button" id="print-png">${t('x_print_png')}</button></span>
      <p class="muted">${t('x_print_note')}</p>
      <p id="print-msg" role="status"></p>
      <img id="print-preview" alt="" hidden></div>`;
  const opts = () => ({
    scope: body.querySelector('#print-scope').value,
    paper: body.querySelector('#print-paper').value,
    orientation: body.querySelector('#print-orientation').value,
  });
  const msg = body.querySelector('#print-msg');
  const run = async (kind) => {
    msg.textContent = t('loading');
    try {
      const built = await buildSheet(app, opts());
      const png = await built.png();
      const preview = body.querySelector('#print-preview');
      preview.src = URL.createObjectURL(png);
      preview.hidden = false;
      msg.textContent = `${built.title} · 1:${built.layout.scale.toLocaleString('en')}`;
      if (kind === 'png') saveBlob(`${built.title}-${app.asOf || today()}.png`, png);
      else window.print();
    } catch (e) {
      msg.textContent = e.explain ? e.explain() : e.message;
      flash(e.message);
    }
  };
  body.querySelector('#print-pdf').addEventListener('click', () => run('pdf'));
  body.querySelector('#print-png').addEventListener('click', () => run('png'));
}
