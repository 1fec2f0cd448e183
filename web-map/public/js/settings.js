// The planner token box. The token lives in sessionStorage only: it is gone when the tab closes
// and is never written into the page address or local storage.

import { token, setToken } from './api.js';
import { t, onLanguage } from './i18n.js';

export function mountSettings(el, changed) {
  const render = () => {
    el.innerHTML = `<h2>${t('settings')}</h2>
      <label>${t('token')}<input id="token-input" type="password" autocomplete="off" value=""></label>
      <div class="tools" style="margin-top:4px"><button type="button" id="token-save">${t('save_token')}</button>
      <button type="button" id="token-clear">${t('clear_token')}</button></div>
      <p class="muted" id="token-state">${token() ? t('token_saved') : ''}</p>
      <p class="muted">${t('basemap_note')}</p>`;
    el.querySelector('#token-save').addEventListener('click', () => {
      setToken(el.querySelector('#token-input').value.trim());
      render();
      changed();
    });
    el.querySelector('#token-clear').addEventListener('click', () => {
      setToken('');
      render();
      changed();
    });
  };
  onLanguage(render);
  render();
}
