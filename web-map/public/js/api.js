// The one place that talks to the JSON API: adds the planner token, parses RFC 9457 problems
// into ApiError so that every panel can show the title, detail and field reasons the same way.

import { language } from './i18n.js';

const TOKEN_KEY = 'wangge.token';

/** The page's language as an Accept-Language value: the service answers its problem and error
 *  texts in it (the same machine-readable `type`/`kind` in both), and the page shows them as
 *  given. */
export function acceptLanguage() {
  return language() === 'en' ? 'en' : 'zh-CN';
}

export function token() {
  return sessionStorage.getItem(TOKEN_KEY) || '';
}

export function setToken(v) {
  if (v) sessionStorage.setItem(TOKEN_KEY, v);
  else sessionStorage.removeItem(TOKEN_KEY);
  // The editable-area outline (editable.js) follows the token.
  window.dispatchEvent(new CustomEvent('wangge:token-changed'));
}

export class ApiError extends Error {
  constructor(status, problem) {
    super(problem.detail || problem.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
  }

  /** Title, detail and each field's reason, as plain lines for the user. */
  explain() {
    const p = this.problem;
    const lines = [];
    if (p.title) lines.push(`${p.title} (${this.status})`);
    if (p.detail && p.detail !== p.title) lines.push(p.detail);
    for (const e of p.errors || []) lines.push(`${e.field ? e.field + ': ' : ''}${e.reason}`);
    return lines.join('\n');
  }
}

function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params || {})) {
    if (v !== undefined && v !== null && v !== '') q.set(k, v);
  }
  const s = q.toString();
  return s ? `?${s}` : '';
}

/** fetch + JSON + problem handling. Returns {body, etag}. */
export async function request(method, path, { params, body, ifMatch, signal } = {}) {
  const headers = { Accept: 'application/json, application/geo+json', 'Accept-Language': acceptLanguage() };
  const tok = token();
  if (tok) headers.Authorization = `Bearer ${tok}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (ifMatch) headers['If-Match'] = ifMatch;
  const res = await fetch(`/api/v1${path}${query(params)}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    signal,
  });
  const text = await res.text();
  let json = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = { title: text.slice(0, 200) };
  }
  if (res.status === 401 && tok) {
    // The stored token is unknown or revoked: drop it and read anonymously (the page says so),
    // so that a mistyped token never stops viewing.
    setToken('');
    window.dispatchEvent(new CustomEvent('wangge:token-dropped'));
    return request(method, path, { params, body, ifMatch, signal });
  }
  if (!res.ok) throw new ApiError(res.status, json || { title: res.statusText });
  return { body: json, etag: res.headers.get('ETag') };
}

export const get = (path, params, opts = {}) => request('GET', path, { ...opts, params });

/**
 * Whether the service knows `secret` (any read with it as the Bearer token: an unknown or
 * revoked token is refused with 401 on every route). Returns {ok, status, problem}.
 */
export async function checkToken(secret) {
  const res = await fetch('/api/v1/areas', { headers: { Accept: 'application/json', 'Accept-Language': acceptLanguage(), Authorization: `Bearer ${secret}` } });
  let problem = null;
  if (!res.ok) problem = await res.json().catch(() => null);
  return { ok: res.ok, status: res.status, problem };
}
