// The measuring tool: a map control with "测距" (distance) and "测面积" (area). Clicks add points;
// the length (m / km) or the area (m² / km²) is geodesic (geo.js), shown on the map as it grows.
// Esc ends it, Ctrl+Z takes back the last point (keys.js); while it is on, clicks do not select.

import { t, onLanguage } from './i18n.js';
import { lineLength, ringArea, formatLength, formatArea } from './geo.js';
import { draftFeatures } from './edit/geometry.js';

let map = null;
let mode = null; // null | 'distance' | 'area'
let points = [];
let box = null;
let buttons = null;

const EMPTY = { type: 'FeatureCollection', features: [] };

export function measuring() {
  return mode !== null;
}

/** The current result in metres or square metres (for tests). */
export function value() {
  if (mode === 'distance') return lineLength(points);
  if (mode === 'area') return ringArea(points);
  return 0;
}

function render() {
  map.getSource('measure')?.setData(mode ? draftFeatures(points, mode === 'area') : EMPTY);
  for (const b of buttons.querySelectorAll('button')) {
    b.classList.toggle('active', b.dataset.measure === mode);
    b.textContent = t(`measure_${b.dataset.measure}`);
    b.title = t(`measure_${b.dataset.measure}`);
  }
  if (!mode) {
    box.hidden = true;
    return;
  }
  box.hidden = false;
  const v = mode === 'distance' ? formatLength(lineLength(points)) : formatArea(ringArea(points));
  const enough = points.length >= (mode === 'distance' ? 2 : 3);
  box.innerHTML = `<b>${t(`measure_${mode}`)}</b> <span data-field="measure-value">${enough ? v : '–'}</span><br><span class="muted">${t('measure_hint')}</span>`;
}

export function stop() {
  mode = null;
  points = [];
  render();
}

export function undoPoint() {
  points.pop();
  render();
}

export function handleMeasureClick(e) {
  if (!mode) return false;
  points.push([+e.lngLat.lng.toFixed(7), +e.lngLat.lat.toFixed(7)]);
  render();
  return true;
}

class MeasureControl {
  onAdd() {
    buttons = document.createElement('div');
    buttons.className = 'maplibregl-ctrl maplibregl-ctrl-group measure-ctrl';
    buttons.innerHTML = '<button type="button" data-measure="distance"></button><button type="button" data-measure="area"></button>';
    buttons.addEventListener('click', (e) => {
      const m = e.target.closest('button')?.dataset.measure;
      if (!m) return;
      const was = mode;
      stop();
      if (was !== m) mode = m;
      render();
    });
    return buttons;
  }

  onRemove() {
    buttons.remove();
  }
}

export function mountMeasure(theMap, container) {
  map = theMap;
  map.addSource('measure', { type: 'geojson', data: EMPTY });
  map.addLayer({ id: 'measure-fill', type: 'fill', source: 'measure', filter: ['==', ['geometry-type'], 'Polygon'], paint: { 'fill-color': '#00838f', 'fill-opacity': 0.15 } });
  map.addLayer({ id: 'measure-line', type: 'line', source: 'measure', filter: ['!=', ['geometry-type'], 'Point'], paint: { 'line-color': '#00838f', 'line-width': 2.5 } });
  map.addLayer({ id: 'measure-point', type: 'circle', source: 'measure', filter: ['==', ['geometry-type'], 'Point'], paint: { 'circle-radius': 4, 'circle-color': '#fff', 'circle-stroke-color': '#00838f', 'circle-stroke-width': 2 } });
  map.addControl(new MeasureControl(), 'top-right');
  box = document.createElement('div');
  box.id = 'measure-box';
  box.hidden = true;
  container.appendChild(box);
  onLanguage(render);
  render();
}
