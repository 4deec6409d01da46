// api.js - the JSON API client: bearer token from sessionStorage, JSON errors as ApiError,
// a time limit on every request.

const TOKEN_KEY = 'mamori.token';
const TIMEOUT_MS = 15000;

export function getToken() {
  try { return sessionStorage.getItem(TOKEN_KEY); } catch (_) { return null; }
}
export function setToken(tok) { sessionStorage.setItem(TOKEN_KEY, tok); }
export function clearToken() { try { sessionStorage.removeItem(TOKEN_KEY); } catch (_) { /* ignore */ } }

// An error answer: status, message, pointer (RFC 6901 into the request body, or null), and
// the whole error object (the CSV import puts its bad rows there).
export class ApiError extends Error {
  constructor(status, message, pointer, body) {
    super(message);
    this.status = status;
    this.pointer = pointer ?? null;
    this.body = body ?? null;
  }
}

// request('GET', '/api/v1/assets', {query: {limit: 20}}) -> parsed JSON (or text for CSV).
export async function request(method, path, opts = {}) {
  const url = new URL(path, location.origin);
  for (const [k, v] of Object.entries(opts.query ?? {})) {
    if (v !== undefined && v !== null && v !== '') url.searchParams.set(k, v);
  }
  const headers = { Accept: 'application/json' };
  const tok = opts.token ?? getToken();
  if (tok) headers.Authorization = `Bearer ${tok}`;
  let body;
  if (opts.raw !== undefined) {
    body = opts.raw;
    headers['Content-Type'] = opts.contentType ?? 'text/csv';
  } else if (opts.json !== undefined) {
    body = JSON.stringify(opts.json);
    headers['Content-Type'] = 'application/json';
  }
  const ctl = new AbortController();
  const timer = setTimeout(() => ctl.abort(), TIMEOUT_MS);
  let res;
  try {
    res = await fetch(url, { method, headers, body, signal: ctl.signal, cache: 'no-store' });
  } catch (e) {
    throw new ApiError(0, e.name === 'AbortError' ? 'timeout' : 'network', null, null);
  } finally {
    clearTimeout(timer);
  }
  const type = res.headers.get('Content-Type') ?? '';
  let data = null;
  if (res.status !== 204) {
    const text = await res.text();
    if (type.includes('json')) {
      try { data = text ? JSON.parse(text) : null; } catch (_) { data = null; }
    } else {
      data = text;
    }
  }
  if (!res.ok) {
    const err = data && typeof data === 'object' ? (data.error ?? data) : {};
    throw new ApiError(res.status, err.message ?? `HTTP ${res.status}`, err.pointer, data);
  }
  return data;
}

export const api = {
  get: (p, query) => request('GET', p, { query }),
  post: (p, json) => request('POST', p, { json }),
  put: (p, json) => request('PUT', p, { json }),
};

// Every item of a list endpoint ({items, total, limit, offset, next_after}), page by page
// (bounded by max).
export async function listAll(path, query = {}, max = 5000) {
  const out = [];
  for (;;) {
    const page = await api.get(path, { ...query, limit: 1000, offset: out.length });
    const items = Array.isArray(page) ? page : (page?.items ?? []);
    out.push(...items);
    const total = Array.isArray(page) ? out.length : (page?.total ?? out.length);
    if (!items.length || out.length >= total || out.length >= max) return out;
  }
}
