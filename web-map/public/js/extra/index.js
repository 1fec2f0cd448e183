// The tools of issue 18 part A, mounted from main.js in one call: a map control with
// "which grid am I in", lists and tables, export and print; and the phone layout (sheets, bar).

import { t, onLanguage } from '../i18n.js';
import { flash } from '../util.js';
import { openTables, openExport } from './tables.js';
import { openPrint } from './print.js';
import { mountPhone, openLocate } from './phone.js';

class ToolsControl {
  constructor(app, select) {
    this.app = app;
    this.select = select;
  }

  onAdd() {
    this.el = document.createElement('div');
    this.el.className = 'maplibregl-ctrl maplibregl-ctrl-group x-tools';
    this.render();
    return this.el;
  }

  render() {
    const run = (f) => () => f().catch((e) => flash(e.explain ? e.explain() : e.message));
    this.el.innerHTML = `<button type="button" id="x-open-locate" title="${t('x_locate')}">${t('x_locate_short')}</button>
      <button type="button" id="x-open-tables" title="${t('x_tables')}">${t('x_tables_short')}</button>
      <button type="button" id="x-open-export" title="${t('x_export')}">${t('x_export_short')}</button>
      <button type="button" id="x-open-print" title="${t('x_print')}">${t('x_print_short')}</button>`;
    this.el.querySelector('#x-open-locate').addEventListener('click', () => openLocate(this.app, this.select));
    this.el.querySelector('#x-open-tables').addEventListener('click', run(() => openTables(this.app, this.select)));
    this.el.querySelector('#x-open-export').addEventListener('click', run(() => openExport(this.app)));
    this.el.querySelector('#x-open-print').addEventListener('click', run(() => openPrint(this.app)));
  }

  onRemove() {
    this.el.remove();
  }
}

/** `select(id)` shows a grid's card and fits the map to it. */
export function mountExtras(app, select) {
  const control = new ToolsControl(app, select);
  app.map.addControl(control, 'top-left');
  const phone = mountPhone(app, select);
  onLanguage(() => { control.render(); phone.render(); });
}
