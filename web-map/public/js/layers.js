// The data layers, the layer switcher and the legend. Grids are coloured either by status
// (active / reserved / suspended) or by households against the standard band of their layer
// (below / within / above); the switch only rewrites the fill-color expression.

import { t, onLanguage } from './i18n.js';
import { sourceOf, available, GRID_LAYERS } from './data.js';

export const STATUS_COLOURS = { active: '#4caf50', reserved: '#ffb300', suspended: '#9e9e9e' };
// Problems on the map: errors red, warnings amber, information grey-blue.
const SEVERITY_COLOUR = ['match', ['get', 'severity'], 'warning', '#ef8f00', 'info', '#607d8b', '#d50000'];
export const BAND_COLOURS = { below: '#42a5f5', within: '#66bb6a', above: '#e53935', none: '#cfd8dc' };

const GROUPS = ['admin', 'base', 'micro', 'special', 'composite', 'buildings', 'problems'];
// Composite grids overlay whole base grids; they start hidden so base grids stay readable.
const visible = { admin: true, base: true, micro: false, special: true, composite: false, buildings: true, problems: true };
let colourBy = 'status';

const LINE_WIDTH = { base: 1.2, micro: 0.8, special: 1.2, composite: 2.5 };
const OPACITY = { base: 0.45, micro: 0.35, special: 0.55, composite: 0.15 };

function statusColour() {
  return ['match', ['get', 'status'], 'reserved', STATUS_COLOURS.reserved, 'suspended', STATUS_COLOURS.suspended, STATUS_COLOURS.active];
}

function bandColour() {
  const h = ['to-number', ['get', 'households'], 0];
  return ['case',
    ['!', ['has', 'band_min']], BAND_COLOURS.none,
    ['<', h, ['to-number', ['get', 'band_min']]], BAND_COLOURS.below,
    ['>', h, ['to-number', ['get', 'band_max']]], BAND_COLOURS.above,
    BAND_COLOURS.within];
}

function src(name) {
  const s = sourceOf(name);
  return s.sourceLayer ? { source: s.source, 'source-layer': s.sourceLayer } : { source: s.source };
}

/** Layer ids per group (used for visibility and for queryRenderedFeatures). */
export const layerIds = {
  admin: ['communities-line', 'towns-line', 'districts-line'],
  base: ['base-fill', 'base-line'],
  micro: ['micro-fill', 'micro-line'],
  special: ['special-fill', 'special-line'],
  composite: ['composite-fill', 'composite-line'],
  buildings: ['buildings-fill'],
  problems: ['problems-fill', 'problems-line', 'problems-point'],
};

/** The fill layers a click can select, topmost first. */
export const clickableLayers = ['special-fill', 'micro-fill', 'base-fill', 'composite-fill'];

export function addLayers(map) {
  map.addLayer({ id: 'buildings-fill', type: 'fill', ...src('buildings'), paint: { 'fill-color': '#8d8d8d', 'fill-opacity': 0.55 }, minzoom: 14 });
  for (const layer of ['composite', 'base', 'micro', 'special']) {
    map.addLayer({ id: `${layer}-fill`, type: 'fill', ...src(layer), paint: { 'fill-color': statusColour(), 'fill-opacity': OPACITY[layer] } });
    map.addLayer({
      id: `${layer}-line`, type: 'line', ...src(layer),
      paint: { 'line-color': layer === 'composite' ? '#6a1b9a' : '#37474f', 'line-width': LINE_WIDTH[layer], ...(layer === 'micro' ? { 'line-dasharray': [2, 2] } : {}) },
    });
  }
  map.addLayer({ id: 'communities-line', type: 'line', ...src('communities'), paint: { 'line-color': '#1565c0', 'line-width': 1.5 } });
  map.addLayer({ id: 'towns-line', type: 'line', ...src('towns'), paint: { 'line-color': '#0d47a1', 'line-width': 2.5 } });
  map.addLayer({ id: 'districts-line', type: 'line', ...src('districts'), paint: { 'line-color': '#002171', 'line-width': 3.5 } });
  map.addLayer({ id: 'problems-fill', type: 'fill', ...src('problems'), filter: ['==', ['geometry-type'], 'Polygon'], paint: { 'fill-color': SEVERITY_COLOUR, 'fill-opacity': 0.35 } });
  map.addLayer({ id: 'problems-line', type: 'line', ...src('problems'), filter: ['!=', ['geometry-type'], 'Point'], paint: { 'line-color': SEVERITY_COLOUR, 'line-width': 2 } });
  map.addLayer({ id: 'problems-point', type: 'circle', ...src('problems'), filter: ['==', ['geometry-type'], 'Point'], paint: { 'circle-color': SEVERITY_COLOUR, 'circle-radius': 5 } });
  applyVisibility(map);
}

function applyVisibility(map) {
  for (const g of GROUPS) {
    for (const id of layerIds[g]) {
      if (map.getLayer(id)) map.setLayoutProperty(id, 'visibility', visible[g] ? 'visible' : 'none');
    }
  }
}

function applyColours(map) {
  const expr = colourBy === 'band' ? bandColour() : statusColour();
  for (const layer of GRID_LAYERS) map.setPaintProperty(`${layer}-fill`, 'fill-color', expr);
}

function legendRows() {
  const rows = colourBy === 'band'
    ? [['below', BAND_COLOURS.below], ['within', BAND_COLOURS.within], ['above', BAND_COLOURS.above], ['no_standard', BAND_COLOURS.none]]
    : [['active', STATUS_COLOURS.active], ['reserved', STATUS_COLOURS.reserved], ['suspended', STATUS_COLOURS.suspended]];
  rows.push(['problems', '#d50000']);
  return rows.map(([k, c]) => `<span class="swatch" style="background:${c}"></span><span>${t(k)}</span>`).join('');
}

/** Renders the switcher into `el` and keeps it in sync with the map. */
export function mountSwitcher(map, el) {
  const render = () => {
    el.innerHTML = `<h2>${t('layers')}</h2>
      ${GROUPS.filter(available).map((g) => `<label class="layer-row"><input type="checkbox" data-group="${g}" ${visible[g] ? 'checked' : ''}> ${t(g)}</label>`).join('')}
      <h3>${t('colour_by')}</h3>
      <label class="layer-row"><input type="radio" name="colour" value="status" ${colourBy === 'status' ? 'checked' : ''}> ${t('by_status')}</label>
      <label class="layer-row"><input type="radio" name="colour" value="band" ${colourBy === 'band' ? 'checked' : ''}> ${t('by_band')}</label>
      <div class="legend">${legendRows()}</div>`;
  };
  el.addEventListener('change', (e) => {
    const g = e.target.dataset.group;
    if (g) {
      visible[g] = e.target.checked;
      applyVisibility(map);
    } else if (e.target.name === 'colour') {
      colourBy = e.target.value;
      applyColours(map);
      render();
    }
  });
  onLanguage(render);
  render();
}
