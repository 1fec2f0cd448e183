// The planner token box. The token lives in sessionStorage only: it is gone when the tab closes
// and is never written into the page address or local storage. A token is checked with the
// service before it is kept: a mistyped one is refused with a message and not stored.

import { token, setToken, checkToken } from './api.js';
import { t, onLanguage } from './i18n.js';

export function mountSettings(el, changed) {
  let note = null; // {kind: 'ok'|'error', key}
  const render = () => {
    el.innerHTML = `<h2>${t('settings')}</h2>
      <label>${t('token')}<input id="token-input" type="password" autocomplete="off" value=""></label>
      <div class="tools" style="margin-top:4px"><button type="button" id="token-save">${t('save_token')}</button>
      <button type="button" id="token-clear">${t('clear_token')}</button></div>
      <p class="${note?.kind === 'error' ? 'error-box' : 'muted'}" id="token-state">${note ? t(note.key) : token() ? t('token_saved') : ''}</p>
      <p class="muted">${t('basemap_note')}</p>`;
    el.querySelector('#token-save').addEventListener('click', async () => {
      const v = el.querySelector('#token-input').value.trim();
      if (!v) return;
      let check;
      try {
        check = await checkToken(v);
      } catch {
        check = { ok: false, status: 0 };
      }
      if (check.ok) {
        setToken(v);
        note = { kind: 'ok', key: 'token_saved' };
      } else {
        note = { kind: 'error', key: check.status === 401 ? 'token_refused' : 'token_unchecked' };
      }
      render();
      changed();
    });
    el.querySelector('#token-clear').addEventListener('click', () => {
      note = null;
      setToken('');
      render();
      changed();
    });
  };
  // A stored token the service no longer knows is dropped by api.js: say so here.
  window.addEventListener('wangge:token-dropped', () => {
    note = { kind: 'error', key: 'token_dropped' };
    render();
    changed();
  });
  onLanguage(render);
  render();
}
