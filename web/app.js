// app.js - the mamori portal: one page, hash routes, plain ES modules, no build step.
// Pages: sign in, assets (list, add/edit, history, CSV import/export), incident reports
// (initial report on one screen, updates, final, versions), deadlines, analyst dashboard.
import { t, getLang, setLang, applyStatic, sectorName, categoryName, SECTORS, CATEGORIES } from './i18n.js';
import { api, request, getToken, setToken, clearToken, ApiError, listAll } from './api.js';
import { stackedBars, dataTable } from './charts.js';

const main = document.getElementById('main');
const statusEl = document.getElementById('status');
let me = null; // {name, role, org}
const PAGE = 20;

// ---------- small DOM helpers ----------

function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k === 'text') el.textContent = v;
    else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k in el && typeof v !== 'string') el[k] = v;
    else el.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

let uid = 0;
const nextId = (p) => `${p}-${++uid}`;

function say(msg, kind = 'info') {
  statusEl.className = `status ${kind}`;
  statusEl.textContent = '';
  // a fresh text node so screen readers announce a repeated message too
  setTimeout(() => { statusEl.textContent = msg; }, 10);
}
function clearStatus() { statusEl.className = 'status'; statusEl.textContent = ''; }

function page(titleKey, ...children) {
  const h1 = h('h1', { tabindex: '-1', id: 'page-title' }, typeof titleKey === 'string' ? t(titleKey) : titleKey);
  main.replaceChildren(h1, ...children);
  return h1;
}

function fmtTime(iso) {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  return d.toLocaleString(getLang() === 'ja' ? 'ja-JP' : 'en-GB', {
    timeZone: 'Asia/Tokyo', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit',
  }) + ' JST';
}
function fmtDate(iso) {
  if (!iso) return '—';
  return String(iso).slice(0, 10);
}

// <input type=datetime-local> value (local time) <-> RFC 3339 UTC
function localToUtc(v) {
  if (!v) return '';
  const d = new Date(v);
  return Number.isNaN(d.getTime()) ? v : d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
function nowLocal() {
  const d = new Date();
  d.setSeconds(0, 0);
  const off = d.getTimezoneOffset() * 60000;
  return new Date(d.getTime() - off).toISOString().slice(0, 16);
}
function utcToLocal(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  return new Date(d.getTime() - d.getTimezoneOffset() * 60000).toISOString().slice(0, 16);
}

function errorText(e) {
  if (e instanceof ApiError) {
    if (e.status === 0) return t('network_error');
    if (e.status === 404) return t('not_found');
    if (e.status === 403) return t('forbidden');
    if (e.status === 401) return t('session_expired');
    return `${t('error')} ${e.status}: ${e.message}`;
  }
  return `${t('error')}: ${e.message ?? e}`;
}

// A failed load: a 401 sends the user to sign in; anything else is said on the page.
function failed(e) {
  if (e instanceof ApiError && e.status === 401) {
    signOut(t('session_expired'));
    return;
  }
  const msg = errorText(e);
  page('error', h('p', { class: 'error-text', id: 'page-error' }, msg));
  say(msg, 'error');
}

// ---------- forms: fields from a table, errors placed by JSON pointer ----------
//
// field: {key, label, type: text|textarea|select|checkbox|date|datetime|email|list|indicators,
//         options: [[value, labelKey]], required, help, unconfirmable}
// The request body's field is `key`; an error pointer "/key/..." lands next to it.

function fieldControl(f, value, idp) {
  const id = `${idp}-${f.key}`;
  const common = { id, name: f.key, 'data-key': f.key, 'data-pointer': f.ptr ?? `/${f.key}` };
  if (f.required) { common.required = true; common['aria-required'] = 'true'; }
  const describedBy = [];
  if (f.help) describedBy.push(`${id}-help`);
  describedBy.push(`${id}-err`);
  common['aria-describedby'] = describedBy.join(' ');
  let ctl;
  switch (f.type) {
    case 'textarea':
    case 'indicators':
      ctl = h('textarea', { ...common, rows: f.type === 'indicators' ? 4 : 3 });
      ctl.value = value ?? '';
      break;
    case 'select':
      ctl = h('select', common, f.required ? null : h('option', { value: '' }, `— ${t('choose')} —`),
        ...f.options.map(([v, lk]) => h('option', { value: v }, typeof lk === 'function' ? lk(v) : t(lk))));
      ctl.value = value ?? (f.required ? f.options[0][0] : '');
      break;
    case 'orgref': {
      const listId = `${id}-list`;
      ctl = h('input', { ...common, type: 'text', list: listId, inputmode: 'text' });
      ctl.value = value === undefined || value === null ? '' : String(value);
      ctl._datalist = h('datalist', { id: listId }, ...(f.choices ?? []).map(([v, label]) => h('option', { value: v }, label)));
      break;
    }
    case 'orgids': {
      const sel = (value ?? []).map(Number);
      ctl = h('fieldset', { ...common, class: 'checks', tabindex: '-1' }, h('legend', {}, t(f.label)),
        ...(f.choices ?? []).map((o) => {
          const cid = `${id}-${o.id}`;
          const cb = h('input', { type: 'checkbox', id: cid, value: String(o.id), 'data-org': o.id });
          cb.checked = sel.includes(Number(o.id));
          return h('div', {}, cb, ' ', h('label', { for: cid }, `${o.name} (#${o.id})`));
        }));
      break;
    }
    case 'checkbox':
      ctl = h('input', { ...common, type: 'checkbox' });
      ctl.checked = !!value;
      break;
    case 'date':
      ctl = h('input', { ...common, type: 'date' });
      ctl.value = value ? fmtDate(value) : '';
      break;
    case 'datetime':
      ctl = h('input', { ...common, type: 'datetime-local', step: 60 });
      ctl.value = value ? utcToLocal(value) : '';
      break;
    case 'email':
      ctl = h('input', { ...common, type: 'text', autocomplete: 'email' });
      ctl.value = value ?? '';
      break;
    default:
      ctl = h('input', { ...common, type: 'text' });
      ctl.value = Array.isArray(value) ? value.join(', ') : (value ?? '');
  }
  return ctl;
}

function fieldRow(f, value, idp, unconfirmed) {
  const ctl = fieldControl(f, value, idp);
  const id = ctl.id;
  const label = h('label', { for: id }, t(f.label),
    f.required ? h('span', { class: 'req' }, ` (${t('required')})`) : null);
  const row = h('div', { class: `field field-${f.type}`, 'data-field': f.key },
    f.type === 'checkbox' ? [ctl, ' ', label] : f.type === 'orgids' ? [ctl] : [label, ctl, ctl._datalist],
    f.help ? h('p', { class: 'help', id: `${id}-help` }, t(f.help)) : null,
    h('p', { class: 'field-error', id: `${id}-err`, hidden: true }));
  if (f.unconfirmable) {
    const uid2 = `${id}-unconfirmed`;
    const cb = h('input', { type: 'checkbox', id: uid2, 'data-unconfirmed': f.key });
    cb.checked = !!unconfirmed?.includes(f.key);
    row.append(h('div', { class: 'unconfirmed' }, cb, ' ',
      h('label', { for: uid2 }, `${t('unconfirmed_mark')} (${t(f.label)})`)));
  }
  return row;
}

function clearErrors(form) {
  for (const p of form.querySelectorAll('.field-error')) { p.hidden = true; p.textContent = ''; }
  for (const c of form.querySelectorAll('[aria-invalid]')) c.removeAttribute('aria-invalid');
  form.querySelector('.form-errors')?.replaceChildren();
}

// The control an error's JSON pointer names: the one whose data-pointer is the longest prefix
// ("/indicators/2/value" -> the indicators field; "/exemption/reason" -> the reason field).
function controlFor(form, ptr) {
  if (typeof ptr !== 'string' || ptr.length < 2) return null;
  let best = null, bestLen = 0;
  for (const el of form.querySelectorAll('[data-pointer]')) {
    const p = el.dataset.pointer;
    if ((ptr === p || ptr.startsWith(`${p}/`)) && p.length > bestLen) { best = el; bestLen = p.length; }
  }
  return best;
}

// Show an API error next to the field(s) its JSON pointer(s) name: error.errors lists every
// problem ({pointer, message}); error.pointer the first. Returns true when a field took one.
function showFieldError(form, e) {
  const summary = form.querySelector('.form-errors');
  const problems = Array.isArray(e.body?.error?.errors) && e.body.error.errors.length
    ? e.body.error.errors : [{ pointer: e.pointer, message: e.message }];
  let first = null;
  const links = [];
  for (const pr of problems) {
    const target = controlFor(form, pr.pointer);
    if (!target) continue;
    const err = form.querySelector(`#${CSS.escape(target.id)}-err`);
    if (!err) continue;
    const line = pr.pointer && /^\/indicators\/(\d+)/.exec(pr.pointer);
    const msg = line ? `${t('line_n', { n: Number(line[1]) + 1 })}: ${pr.message}` : pr.message;
    err.textContent = err.hidden ? msg : `${err.textContent} / ${msg}`;
    err.hidden = false;
    target.setAttribute('aria-invalid', 'true');
    links.push(h('li', {}, h('a', { href: `#${target.id}`, onclick: (ev) => { ev.preventDefault(); target.focus(); } }, `${labelOf(form, target)}: ${msg}`)));
    first ??= target;
  }
  if (first) {
    summary?.replaceChildren(h('p', {}, t('fix_fields')), h('ul', {}, ...links));
    first.closest('details')?.setAttribute('open', '');
    first.focus();
    say(`${t('fix_fields')} ${problems.map((p) => p.message).join('; ')}`, 'error');
    return true;
  }
  summary?.replaceChildren(h('p', {}, errorText(e)));
  say(errorText(e), 'error');
  return false;
}

function labelOf(form, el) {
  const l = form.querySelector(`label[for="${CSS.escape(el.id)}"]`) ?? el.querySelector?.('legend');
  return (l?.firstChild?.textContent ?? el.name ?? '').trim();
}

function formBox(id, children, submitLabel, onsubmit) {
  const form = h('form', { id, novalidate: true, class: 'form' },
    h('div', { class: 'form-errors', role: 'alert' }),
    children,
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, t(submitLabel))));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    const btn = form.querySelector('button[type=submit]');
    btn.disabled = true;
    try {
      await onsubmit(form);
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) signOut(t('session_expired'));
      else showFieldError(form, e);
    } finally {
      btn.disabled = false;
    }
  });
  return form;
}

function readField(form, f) {
  const el = form.querySelector(`[data-key="${CSS.escape(f.key)}"]`);
  if (!el) return undefined;
  switch (f.type) {
    case 'checkbox': return el.checked;
    case 'datetime': return localToUtc(el.value.trim());
    case 'list': return el.value.split(',').map((s) => s.trim()).filter(Boolean);
    case 'orgref': {
      const v = el.value.trim();
      return /^\d+$/.test(v) ? Number(v) : v;
    }
    case 'orgids': return [...el.querySelectorAll('[data-org]')].filter((c) => c.checked).map((c) => Number(c.value));
    case 'indicators': return parseIndicators(el.value);
    default: return el.value.trim();
  }
}

// Indicators: one a line; "type:value" or a bare value whose type is guessed.
const IND_TYPES = ['ipv4', 'ipv6', 'domain', 'url', 'sha256', 'sha1', 'md5', 'email'];
function guessIndicator(v) {
  if (/^\d{1,3}(\.\d{1,3}){3}(\/\d{1,2})?$/.test(v)) return 'ipv4';
  if (/^[0-9a-f:]+(\/\d{1,3})?$/i.test(v) && v.includes(':')) return 'ipv6';
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(v)) return 'url';
  if (/^[0-9a-f]{64}$/i.test(v)) return 'sha256';
  if (/^[0-9a-f]{40}$/i.test(v)) return 'sha1';
  if (/^[0-9a-f]{32}$/i.test(v)) return 'md5';
  if (/^[^@\s]+@[^@\s]+$/.test(v)) return 'email';
  return 'domain';
}
function parseIndicators(text) {
  const out = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line) continue;
    const m = /^([a-z0-9]+):(.*)$/i.exec(line);
    if (m && IND_TYPES.includes(m[1].toLowerCase()) && !m[2].startsWith('//')) {
      out.push({ type: m[1].toLowerCase(), value: m[2].trim() });
    } else {
      out.push({ type: guessIndicator(line), value: line });
    }
  }
  return out;
}
function indicatorsText(list) {
  return (list ?? []).map((i) => (typeof i === 'string' ? i : `${i.type}:${i.value}`)).join('\n');
}

// ---------- sign in / out, header, navigation ----------

function signOut(msg) {
  clearToken();
  me = null;
  updateChrome();
  location.hash = '#/signin';
  say(msg ?? t('signed_out'));
}

function navItems() {
  const r = me?.role;
  const items = [['#/', 'nav_home']];
  if (r === 'operator' || r === 'supplier') {
    items.push(['#/assets', 'nav_assets'], ['#/assets/import', 'nav_import'], ['#/reports', 'nav_reports'],
      ['#/reports/new', 'nav_new_report'], ['#/deadlines', 'nav_deadlines']);
  } else if (r === 'ministry') {
    items.push(['#/dashboard', 'nav_dashboard'], ['#/reports', 'nav_reports'], ['#/assets', 'nav_assets'],
      ['#/deadlines', 'nav_deadlines']);
  } else if (r === 'analyst' || r === 'committee') {
    items.push(['#/dashboard', 'nav_dashboard'], ['#/reports', 'nav_reports'], ['#/assets', 'nav_assets'],
      ['#/deadlines', 'nav_deadlines']);
  }
  return items;
}

function updateChrome() {
  applyStatic();
  const who = document.getElementById('who');
  const nav = document.getElementById('nav');
  if (!me) {
    who.hidden = true;
    nav.hidden = true;
    return;
  }
  who.hidden = false;
  document.getElementById('who-name').textContent = me.name;
  document.getElementById('who-role').textContent = t(`role_${me.role}`);
  document.getElementById('who-org').textContent = me.org ? `, ${me.org}` : '';
  nav.hidden = false;
  const here = location.hash || '#/';
  document.getElementById('nav-list').replaceChildren(...navItems().map(([href, key]) =>
    h('li', {}, h('a', { href, 'aria-current': href === here ? 'page' : null }, t(key)))));
}

function signinPage() {
  const id = 'signin-token';
  const form = h('form', { id: 'signin-form', class: 'form narrow' },
    h('p', {}, t('signin_help')),
    h('div', { class: 'field' },
      h('label', { for: id }, t('token')),
      h('input', { id, name: 'token', type: 'password', autocomplete: 'off', required: true, 'aria-required': 'true', 'aria-describedby': `${id}-err` }),
      h('p', { class: 'field-error', id: `${id}-err`, hidden: true })),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, t('sign_in'))));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const input = form.querySelector('input');
    const err = form.querySelector('.field-error');
    const tok = input.value.trim();
    err.hidden = true;
    input.removeAttribute('aria-invalid');
    try {
      const who = await request('GET', '/api/v1/me', { token: tok });
      setToken(tok);
      me = who;
      say(`${t('signed_in_as')}: ${me.name}`);
      const dest = sessionStorage.getItem('mamori.after') || '#/';
      sessionStorage.removeItem('mamori.after');
      if (location.hash === dest) route(); else location.hash = dest;
    } catch (e) {
      err.textContent = e instanceof ApiError && e.status === 401 ? t('signin_failed') : errorText(e);
      err.hidden = false;
      input.setAttribute('aria-invalid', 'true');
      input.focus();
      say(err.textContent, 'error');
    }
  });
  page('signin_title', form);
}

function homePage() {
  const dl = h('dl', { class: 'kv', id: 'me' },
    h('dt', {}, t('me_name')), h('dd', { id: 'me-name' }, me.name),
    h('dt', {}, t('me_role')), h('dd', { id: 'me-role' }, t(`role_${me.role}`)),
    h('dt', {}, t('me_org')), h('dd', { id: 'me-org' }, me.org || t('none')));
  const links = h('ul', { class: 'tiles' }, ...navItems().slice(1).map(([href, key]) =>
    h('li', {}, h('a', { href }, t(key)))));
  page('home_title', dl, links);
}

// ---------- assets ----------

const CLOUD = ['none', 'IaaS', 'PaaS', 'SaaS'].map((v) => [v, () => v]);
// The asset document of docs/registry.md. ptr: the JSON pointer an error names (default /key).
function assetFields(settings, orgs, editing) {
  const cats = (settings?.categories ?? CATEGORIES).map((c) => [c, categoryName]);
  const suppliers = orgs.filter((o) => o.type === 'supplier');
  const ministries = orgs.filter((o) => o.type === 'ministry');
  const operators = orgs.filter((o) => o.type === 'operator');
  const f = [
    { key: 'name', label: 'f_name', type: 'text' },
    { key: 'category', label: 'f_category', type: 'select', required: true, options: cats },
    { key: 'vendor', label: 'f_vendor', type: 'text', required: true },
    { key: 'product', label: 'f_product', type: 'text', required: true },
    { key: 'product_version', label: 'f_version', type: 'text' },
    { key: 'cpe', label: 'f_cpe', type: 'text', help: 'f_cpe_help' },
    { key: 'role', label: 'f_role', type: 'textarea' },
    { key: 'connected_to_specified_facility', label: 'f_facility', type: 'checkbox' },
    { key: 'managed_by', label: 'f_managed_by', type: 'orgref', help: 'f_managed_by_help',
      choices: [['self', t('managed_self')], ...suppliers.map((o) => [String(o.id), o.name])] },
    { key: 'cloud_form', label: 'f_cloud', type: 'select', required: true, options: CLOUD },
    { key: 'in_service_from', label: 'f_in_service_from', type: 'date', required: true },
    { key: 'retired_at', label: 'f_retired_at', type: 'date' },
    { key: 'exempt', label: 'f_exempt', type: 'checkbox', ptr: '/exemption' },
    { key: 'exempt_reason', label: 'f_exempt_reason', type: 'text', ptr: '/exemption/reason' },
    { key: 'receiving_ministry', label: 'f_receiving_ministry', type: 'orgref', help: 'f_org_id_help',
      choices: ministries.map((o) => [String(o.id), o.name]) },
  ];
  if (me.role === 'supplier') {
    f.push({ key: 'operators', label: 'f_operators', type: 'orgids', required: true, choices: operators });
  }
  if (editing) f.push({ key: 'changed_at', label: 'f_effective_at', type: 'date' });
  return f;
}

// A form's values -> an asset document.
function assetDoc(form, fields) {
  const doc = {};
  for (const f of fields) {
    const v = readField(form, f);
    if (f.key === 'exempt' || f.key === 'exempt_reason') continue;
    if (f.type === 'checkbox') doc[f.key] = v;
    else if (Array.isArray(v)) { if (v.length) doc[f.key] = v; }
    else if (v !== '' && v !== undefined) doc[f.key] = v;
  }
  if (readField(form, { key: 'exempt', type: 'checkbox' })) {
    doc.exemption = { custom_product: true, reason: readField(form, { key: 'exempt_reason', type: 'text' }) };
  }
  return doc;
}

function assetStatus(a) {
  if (a.exemption) return t('exempt');
  return a.retired_at ? t('retired') : t('in_service');
}

async function assetsPage(query) {
  const offset = Math.max(0, Number(query.get('offset')) || 0);
  let data;
  try {
    data = await api.get('/api/v1/assets', { limit: PAGE, offset });
  } catch (e) { return failed(e); }
  const items = data?.items ?? [];
  const canWrite = me.role === 'operator' || me.role === 'supplier';
  const head = h('div', { class: 'toolbar' },
    canWrite ? h('a', { href: '#/assets/new', class: 'button' }, t('asset_add')) : null,
    canWrite ? h('a', { href: '#/assets/import', class: 'button' }, t('nav_import')) : null,
    h('button', { type: 'button', onclick: exportCsv }, t('export_csv')));
  let body;
  if (!items.length) {
    body = h('p', { id: 'assets-empty' }, t('assets_empty'));
  } else {
    body = h('table', { class: 'list', id: 'assets-table' },
      h('caption', {}, t('assets_title'), data.total !== undefined ? ` (${data.total} ${t('assets_total')})` : ''),
      h('thead', {}, h('tr', {}, ...['f_id', 'f_category', 'f_vendor', 'f_product', 'f_version', 'f_status', 'f_due_at', '']
        .map((k) => h('th', { scope: 'col' }, k ? t(k) : '')))),
      h('tbody', {}, ...items.map((a) => h('tr', { 'data-id': a.id },
        h('td', {}, h('a', { href: `#/assets/${a.id}` }, String(a.id))),
        h('td', {}, categoryName(a.category)),
        h('td', {}, a.vendor ?? ''),
        h('td', {}, a.product ?? ''),
        h('td', {}, a.product_version ?? ''),
        h('td', {}, assetStatus(a)),
        h('td', {}, fmtDate(a.due_at)),
        h('td', {}, canWrite ? h('a', { href: `#/assets/${a.id}/edit`, 'aria-label': `${t('edit')} ${a.id}` }, t('edit')) : null)))));
  }
  const total = data?.total ?? items.length;
  const pager = h('nav', { class: 'pager', 'aria-label': t('pages') },
    offset > 0 ? h('a', { href: `#/assets?offset=${Math.max(0, offset - PAGE)}`, id: 'assets-prev' }, t('prev_page')) : null,
    items.length ? h('span', {}, t('range', { from: offset + 1, to: offset + items.length, total })) : null,
    offset + items.length < total ? h('a', { href: `#/assets?offset=${offset + PAGE}`, id: 'assets-next' }, t('next_page')) : null);
  page('assets_title', head, body, pager);
}

async function exportCsv() {
  try {
    const text = await request('GET', '/api/v1/assets/export', { query: { format: 'csv' } });
    const blob = new Blob([typeof text === 'string' ? text : JSON.stringify(text)], { type: 'text/csv' });
    const a = h('a', { href: URL.createObjectURL(blob), download: 'assets.csv' });
    document.body.append(a);
    a.click();
    a.remove();
  } catch (e) { say(errorText(e), 'error'); }
}

let settingsCache = null;
async function loadSettings() {
  if (!settingsCache) {
    try { settingsCache = await api.get('/api/v1/settings'); } catch (_) { settingsCache = null; }
  }
  return settingsCache;
}
async function loadOrgs() {
  try { return (await api.get('/api/v1/orgs'))?.items ?? []; } catch (_) { return []; }
}

async function assetFormPage(id) {
  let cur = {};
  if (id) {
    try { cur = await api.get(`/api/v1/assets/${id}`); } catch (e) { return failed(e); }
  }
  const [settings, orgs] = await Promise.all([loadSettings(), loadOrgs()]);
  const fields = assetFields(settings, orgs, !!id);
  const values = { ...cur, exempt: !!cur.exemption, exempt_reason: cur.exemption?.reason };
  if (!id) values.cloud_form = 'none';
  const form = formBox('asset-form', fields.map((f) => fieldRow(f, values[f.key], 'asset')), 'save', async (fm) => {
    const doc = assetDoc(fm, fields);
    const res = id ? await api.put(`/api/v1/assets/${id}`, doc) : await api.post('/api/v1/assets', doc);
    say(t('saved'));
    location.hash = `#/assets/${res?.id ?? id}`;
  });
  page(id ? 'asset_edit_title' : 'asset_new_title', form);
}

function kvList(obj, keys) {
  const dl = h('dl', { class: 'kv' });
  for (const [k, label, fmt] of keys) {
    const v = obj[k];
    if (v === undefined || v === null || v === '' || (Array.isArray(v) && !v.length)) continue;
    dl.append(h('dt', {}, t(label)), h('dd', { 'data-key': k }, fmt ? fmt(v) : (Array.isArray(v) ? v.join(', ') : String(v))));
  }
  return dl;
}

const yesNo = (v) => (v ? t('yes') : t('no'));
const ASSET_SHOW = [
  ['name', 'f_name'], ['category', 'f_category', categoryName], ['vendor', 'f_vendor'], ['product', 'f_product'],
  ['product_version', 'f_version'], ['cpe', 'f_cpe'], ['role', 'f_role'],
  ['connected_to_specified_facility', 'f_facility', yesNo],
  ['managed_by', 'f_managed_by', (v) => (v === 'self' ? t('managed_self') : `${t('managed_supplier')} #${v}`)],
  ['cloud_form', 'f_cloud'], ['in_service_from', 'f_in_service_from', fmtDate],
  ['retired_at', 'f_retired_at', fmtDate], ['exemption', 'f_exempt_reason', (v) => v.reason ?? ''],
  ['operators', 'f_operators', (v) => v.map((x) => `#${x}`).join(', ')],
  ['receiving_ministry', 'f_receiving_ministry', (v) => `#${v}`],
  ['effective_at', 'f_effective_at', fmtDate], ['filed_at', 'f_filed_at', fmtTime], ['filed_by', 'f_filed_by'],
  ['due_at', 'f_due_at', fmtDate], ['forwarded_to_cabinet_office_at', 'f_forwarded_at', fmtDate],
];

async function assetPage(id) {
  let a, hist;
  try {
    [a, hist] = await Promise.all([api.get(`/api/v1/assets/${id}`), api.get(`/api/v1/assets/${id}/history`)]);
  } catch (e) { return failed(e); }
  const versions = Array.isArray(hist) ? hist : (hist?.items ?? hist?.versions ?? []);
  const canWrite = me.role === 'operator' || me.role === 'supplier';
  page(h('span', {}, `${t('asset_detail_title')} ${id}: ${a.vendor ?? ''} ${a.product ?? ''}`),
    canWrite ? h('div', { class: 'toolbar' }, h('a', { href: `#/assets/${id}/edit`, class: 'button' }, t('edit'))) : null,
    h('section', { 'aria-labelledby': 'cur-h' }, h('h2', { id: 'cur-h' }, t('version_n', { n: a.version ?? '' })), kvList(a, ASSET_SHOW)),
    h('section', { 'aria-labelledby': 'hist-h', id: 'asset-history' }, h('h2', { id: 'hist-h' }, t('asset_history_title')),
      h('ol', { reversed: true, class: 'versions' }, ...versions.slice().reverse().map((v) =>
        h('li', {}, h('details', {}, h('summary', {}, `${t('version_n', { n: v.version })} — ${fmtTime(v.filed_at)} ${v.filed_by ?? ''}`),
          kvList(v, ASSET_SHOW)))))));
}

async function importPage() {
  const id = 'import-file';
  const result = h('div', { id: 'import-result', 'aria-live': 'polite' });
  const form = h('form', { id: 'import-form', class: 'form' },
    h('p', {}, t('import_help')),
    h('div', { class: 'field' }, h('label', { for: id }, t('import_file')),
      h('input', { id, type: 'file', accept: '.csv,text/csv', required: true, 'aria-required': 'true' })),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, t('import_submit'))));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    result.replaceChildren();
    const file = form.querySelector('input[type=file]').files[0];
    if (!file) { say(t('import_choose'), 'error'); return; }
    const btn = form.querySelector('button');
    btn.disabled = true;
    try {
      const text = await file.text();
      const res = await request('POST', '/api/v1/assets/import', { raw: text, contentType: 'text/csv' });
      const n = res?.imported ?? res?.count ?? res?.ids?.length ?? res?.items?.length ?? 0;
      result.replaceChildren(h('p', { class: 'ok-text' }, t('import_ok', { n })));
      say(t('import_ok', { n }));
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) { signOut(t('session_expired')); return; }
      const rows = importErrors(e);
      result.replaceChildren(h('div', { class: 'error-box', role: 'alert' },
        h('p', {}, rows.length ? t('import_rejected') : errorText(e)),
        rows.length ? h('ul', { id: 'import-errors' }, ...rows.map((r) => h('li', { 'data-row': r.row ?? '' },
          r.row !== undefined ? `${t('import_row', { row: r.row })}${r.column ? ` (${r.column})` : ''}: ` : '', r.message))) : null));
      say(rows.length ? `${t('import_rejected')} ${rows.length}` : errorText(e), 'error');
    } finally {
      btn.disabled = false;
    }
  });
  page('import_title', form, result);
}

// The bad rows of a rejected import, whatever the error carries them in.
function importErrors(e) {
  const b = e.body ?? {};
  const err = b.error ?? b;
  const list = err.rows ?? err.errors ?? err.details ?? b.rows ?? b.errors ?? [];
  if (!Array.isArray(list)) return [];
  return list.map((r) => ({
    row: r.row ?? r.record ?? r.line,
    column: r.column ?? r.field ?? (r.pointer ? String(r.pointer).replace(/^\//, '') : undefined),
    message: r.message ?? JSON.stringify(r),
  }));
}

// ---------- incident reports ----------

// CISA NCISS functional impact levels and the US-CERT attack vector taxonomy (src/reports/reports.c).
const IMPACT = ['no_impact', 'no_impact_to_services', 'minimal_non_critical', 'minimal_critical',
  'significant_non_critical', 'denial_non_critical', 'significant_critical', 'denial_critical', 'unknown']
  .map((v) => [v, `impact_${v}`]);
const VECTOR = ['attrition', 'web', 'email', 'external_media', 'impersonation', 'improper_usage', 'loss_or_theft',
  'supply_chain', 'unknown', 'other'].map((v) => [v, `vector_${v}`]);
const REPORT_REQUIRED = [
  { key: 'kind', label: 'f_kind', type: 'select', required: true, options: [['statutory', 'kind_statutory'], ['voluntary', 'kind_voluntary']] },
  { key: 'aware_at', label: 'f_aware_at', type: 'datetime', required: true, unconfirmable: true },
  { key: 'summary', label: 'f_summary', type: 'textarea', required: true, unconfirmable: true },
  { key: 'contact', label: 'f_contact', type: 'email', required: true },
];
const REPORT_OPTIONAL = [
  { key: 'detected_at', label: 'f_detected_at', type: 'datetime', unconfirmable: true },
  { key: 'earliest_activity_at', label: 'f_earliest_activity_at', type: 'datetime', unconfirmable: true },
  { key: 'functional_impact', label: 'f_impact', type: 'select', options: IMPACT, unconfirmable: true },
  { key: 'attack_vector', label: 'f_vector', type: 'select', options: VECTOR, unconfirmable: true },
  { key: 'attack_techniques', label: 'f_techniques', type: 'list', help: 'f_techniques_help', unconfirmable: true },
  { key: 'indicators', label: 'f_indicators', type: 'indicators', help: 'f_indicators_help', unconfirmable: true },
];

async function assetChoices(idp, selected = []) {
  let items = [];
  try { items = await listAll('/api/v1/assets', {}, 1000); } catch (_) { items = []; }
  const fs = h('fieldset', { class: 'field checks', 'data-key': 'affected_assets', id: `${idp}-affected_assets`, tabindex: '-1', 'aria-describedby': `${idp}-affected_assets-err` },
    h('legend', {}, t('f_affected_assets')));
  if (!items.length) fs.append(h('p', {}, t('no_assets_to_link')));
  for (const a of items) {
    const cid = `${idp}-asset-${a.id}`;
    const cb = h('input', { type: 'checkbox', id: cid, value: String(a.id), 'data-asset': a.id });
    cb.checked = selected.map(Number).includes(Number(a.id));
    fs.append(h('div', {}, cb, ' ', h('label', { for: cid }, `#${a.id} ${a.vendor ?? ''} ${a.product ?? ''} ${a.version ?? ''}`)));
  }
  fs.append(h('p', { class: 'field-error', id: `${idp}-affected_assets-err`, hidden: true }));
  return fs;
}

function reportDoc(form, fields) {
  const doc = {};
  for (const f of fields) {
    const v = readField(form, f);
    if (Array.isArray(v)) { if (v.length) doc[f.key] = v; } else if (v !== '' && v !== undefined) doc[f.key] = v;
  }
  const assets = [...form.querySelectorAll('[data-asset]')].filter((c) => c.checked).map((c) => Number(c.value));
  if (assets.length) doc.affected_assets = assets;
  const unconfirmed = [...form.querySelectorAll('[data-unconfirmed]')].filter((c) => c.checked).map((c) => c.dataset.unconfirmed);
  if (unconfirmed.length) doc.unconfirmed = unconfirmed;
  return doc;
}

async function newReportPage() {
  const idp = 'rep';
  const optional = [...REPORT_OPTIONAL];
  if (me.role === 'supplier') {
    const ops = (await loadOrgs()).filter((o) => o.type === 'operator');
    optional.push({ key: 'reported_for', label: 'f_reported_for', type: 'orgids', choices: ops });
  }
  const more = h('details', { class: 'more', id: 'report-more' }, h('summary', {}, t('more_fields')),
    ...optional.map((f) => fieldRow(f, undefined, idp)), await assetChoices(idp));
  const form = formBox('report-form', [
    h('p', { class: 'help' }, t('report_new_help')),
    ...REPORT_REQUIRED.map((f) => fieldRow(f, f.key === 'aware_at' ? null : undefined, idp)),
    more,
  ], 'submit', async (fm) => {
    const doc = reportDoc(fm, [...REPORT_REQUIRED, ...optional]);
    const res = await api.post('/api/v1/reports', doc);
    say(t('report_filed', { id: res.id }));
    location.hash = `#/reports/${res.id}`;
  });
  form.querySelector('[data-key=aware_at]').value = nowLocal();
  // a field error inside the collapsed section opens it
  form.addEventListener('invalid', () => {}, true);
  const observer = new MutationObserver(() => {
    if (more.querySelector('[aria-invalid=true]')) more.open = true;
  });
  observer.observe(more, { attributes: true, subtree: true, attributeFilter: ['aria-invalid'] });
  page('report_new_title', form);
  form.querySelector('[data-key=kind]').focus();
}

const REPORT_SHOW = [
  ['aware_at', 'f_aware_at', fmtTime], ['summary', 'f_summary'], ['contact', 'f_contact'],
  ['detected_at', 'f_detected_at', fmtTime], ['earliest_activity_at', 'f_earliest_activity_at', fmtTime],
  ['functional_impact', 'f_impact', (v) => t(`impact_${v}`)], ['attack_vector', 'f_vector', (v) => t(`vector_${v}`)],
  ['dwell_seconds', 'f_dwell', (v) => t('days_n', { n: (v / 86400).toFixed(1) })],
  ['attack_techniques', 'f_techniques'],
  ['indicators', 'f_indicators', (v) => (v ?? []).map((i) => (typeof i === 'string' ? i : `${i.type}: ${i.value}`)).join(', ')],
  ['affected_assets', 'f_affected_assets', (v) => v.map((x) => `#${x}`).join(', ')],
  ['reported_for', 'f_reported_for', (v) => v.map((x) => `#${x}`).join(', ')],
  ['unconfirmed', 'f_unconfirmed', (v) => v.map(fieldLabel).join(', ')],
];

const FIELD_LABELS = {
  aware_at: 'f_aware_at', detected_at: 'f_detected_at', earliest_activity_at: 'f_earliest_activity_at',
  functional_impact: 'f_impact', attack_vector: 'f_vector', attack_techniques: 'f_techniques',
  indicators: 'f_indicators', summary: 'f_summary', contact: 'f_contact', reported_for: 'f_reported_for',
  affected_assets: 'f_affected_assets',
};
function fieldLabel(k) { return FIELD_LABELS[k] ? t(FIELD_LABELS[k]).replace(/[（(].*$/, '') : k; }

let orgNames = new Map();
function orgName(r) {
  const id = r.reporter_org;
  return orgNames.get(Number(id)) ?? (id !== undefined ? `#${id}` : '');
}
async function loadOrgNames() {
  orgNames = new Map((await loadOrgs()).map((o) => [Number(o.id), o.name]));
}

async function reportsPage() {
  let items;
  try { [items] = await Promise.all([listAll('/api/v1/reports', {}, 2000), loadOrgNames()]); } catch (e) { return failed(e); }
  const canFile = me.role === 'operator' || me.role === 'supplier';
  const body = items.length ? h('table', { class: 'list', id: 'reports-table' },
    h('caption', {}, t('reports_title'), ` (${items.length})`),
    h('thead', {}, h('tr', {}, ...['f_id', 'f_kind', 'f_status', 'f_stage', 'f_aware_at', 'f_summary', 'f_reporter']
      .map((k) => h('th', { scope: 'col' }, t(k))))),
    h('tbody', {}, ...items.slice().reverse().map((r) => {
      const doc = r.report ?? {};
      return h('tr', { 'data-id': r.id },
        h('td', {}, h('a', { href: `#/reports/${r.id}` }, String(r.id))),
        h('td', {}, t(`kind_${r.kind}`)),
        h('td', {}, t(`status_${r.status}`)),
        h('td', {}, r.latest_version ? t('version_n', { n: r.latest_version }) : ''),
        h('td', {}, fmtTime(r.aware_at)),
        h('td', { class: 'summary' }, doc.summary ?? r.summary ?? ''),
        h('td', {}, String(orgName(r))));
    }))) : h('p', { id: 'reports-empty' }, t('reports_empty'));
  page('reports_title', canFile ? h('div', { class: 'toolbar' }, h('a', { href: '#/reports/new', class: 'button' }, t('nav_new_report'))) : null, body);
}

async function reportPage(id) {
  let r;
  try { [r] = await Promise.all([api.get(`/api/v1/reports/${id}`), loadOrgNames()]); } catch (e) { return failed(e); }
  const versions = r.versions ?? [];
  const latest = versions.length ? versions[versions.length - 1].report : (r.report ?? {});
  const meta = h('dl', { class: 'kv', id: 'report-meta' },
    h('dt', {}, t('f_id')), h('dd', {}, String(r.id)),
    h('dt', {}, t('f_kind')), h('dd', { 'data-key': 'kind' }, t(`kind_${r.kind}`)),
    h('dt', {}, t('f_status')), h('dd', { 'data-key': 'status' }, t(`status_${r.status}`)),
    h('dt', {}, t('f_reporter')), h('dd', {}, String(orgName(r))),
    h('dt', {}, t('f_aware_at')), h('dd', {}, fmtTime(r.aware_at)),
    h('dt', {}, t('f_created_at')), h('dd', {}, fmtTime(r.created_at)));
  const vlist = h('ol', { class: 'versions', id: 'report-versions' }, ...versions.map((v) =>
    h('li', { 'data-stage': v.stage },
      h('h3', {}, `${t('version_n', { n: v.version })}: ${t(`stage_${v.stage}`)}`,
        h('span', { class: 'muted' }, ` — ${fmtTime(v.submitted_at)} ${v.submitted_by ?? ''}`)),
      kvList(v.report ?? {}, REPORT_SHOW))));
  const parts = [meta, h('section', { 'aria-labelledby': 'ver-h' }, h('h2', { id: 'ver-h' }, t('versions_title')),
    versions.length ? vlist : kvList(latest, REPORT_SHOW))];
  const canFile = me.role === 'operator' || me.role === 'supplier';
  if (canFile && r.status !== 'closed') {
    const idp = 'ver';
    const fields = [
      { key: 'stage', label: 'f_stage', type: 'select', required: true, options: [['update', 'stage_update'], ['final', 'stage_final']] },
      { key: 'summary', label: 'f_summary', type: 'textarea', unconfirmable: true },
      { key: 'contact', label: 'f_contact', type: 'email' },
      ...REPORT_OPTIONAL,
    ];
    const prevUnconfirmed = latest.unconfirmed ?? [];
    const rows = fields.map((f) => fieldRow(f, undefined, idp, prevUnconfirmed));
    const form = formBox('version-form', [h('p', { class: 'help' }, t('add_version_help')), ...rows,
      await assetChoices(idp, latest.affected_assets ?? [])], 'submit', async (fm) => {
      const doc = reportDoc(fm, fields);
      // the unconfirmed list is the whole current list, also when it became empty
      doc.unconfirmed = [...fm.querySelectorAll('[data-unconfirmed]')].filter((c) => c.checked).map((c) => c.dataset.unconfirmed);
      const res = await api.post(`/api/v1/reports/${id}/versions`, doc);
      say(t('version_added', { n: res?.version ?? '' }));
      route();
    });
    parts.push(h('section', { 'aria-labelledby': 'add-h' }, h('h2', { id: 'add-h' }, t('add_version_title')), form));
  } else if (r.status === 'closed') {
    parts.push(h('p', { class: 'muted' }, t('report_closed')));
  }
  page(h('span', {}, `${t('report_detail_title')} ${r.id}`), ...parts);
}

// ---------- deadlines ----------

// overdue: past the deadline and not filed; late: filed after it; due: not yet past it.
function deadlineState(x) {
  if (x.status) return x.status;
  if (x.reason === 'not_forwarded') return 'overdue';
  if (x.reason) return 'late';
  const due = x.due_at ? new Date(x.due_at) : null;
  return due && due < new Date() ? 'overdue' : 'due';
}
function itemsOf(d) { return Array.isArray(d) ? d : (d?.items ?? []); }

function deadlineTable(id, caption, items, describe) {
  if (!items.length) return h('p', { id: `${id}-empty` }, t('deadlines_empty'));
  return h('table', { class: 'list', id },
    h('caption', {}, caption, ` (${items.length})`),
    h('thead', {}, h('tr', {}, ...['f_what', 'f_due', 'f_state'].map((k) => h('th', { scope: 'col' }, t(k))))),
    h('tbody', {}, ...items.map((x) => {
      const st = deadlineState(x);
      return h('tr', { class: st === 'overdue' ? 'overdue' : '' },
        h('td', {}, describe(x)), h('td', {}, fmtTime(x.reason === 'not_forwarded' || x.reason === 'forwarded_late' ? x.forward_due_at : x.due_at)),
        h('td', {}, h('span', { class: `badge ${st}` }, t(st)), x.reason ? ` ${t(`reason_${x.reason}`)}` : ''));
    })));
}
const describeFiling = (x) => h('a', { href: `#/assets/${x.asset_id ?? x.id}` },
  `${t('asset_detail_title')} #${x.asset_id ?? x.id}${x.version ? ` ${t('version_n', { n: x.version })}` : ''}`);
const describeReport = (x) => h('a', { href: `#/reports/${x.incident_id ?? x.id}` },
  `${t('report_detail_title')} #${x.id}${x.stage ? `: ${t(`stage_${x.stage}`)}` : ''}${x.reporter_org ? ` (${orgName(x)})` : ''}`);

async function deadlinesPage() {
  let reg, rep;
  try {
    [reg, rep] = await Promise.all([api.get('/api/v1/registry/overdue'), api.get('/api/v1/reports/overdue', { include_due: 'true' }), loadOrgNames()]);
  } catch (e) { return failed(e); }
  page('deadlines_title',
    h('section', { 'aria-labelledby': 'dl-rep' }, h('h2', { id: 'dl-rep' }, t('deadlines_reports')),
      deadlineTable('deadlines-reports', t('deadlines_reports'), itemsOf(rep), describeReport)),
    h('section', { 'aria-labelledby': 'dl-reg' }, h('h2', { id: 'dl-reg' }, t('deadlines_registry')),
      deadlineTable('deadlines-registry', t('deadlines_registry'), itemsOf(reg), describeFiling)));
}

// ---------- dashboard ----------

// Stats rows -> [{key, statutory, voluntary}], whatever the exact row shape is:
//   {week|sector|key, statutory, voluntary} or {week|sector, kind, count}.
function statRows(d, by) {
  const rows = Array.isArray(d) ? d : (d?.items ?? d?.rows ?? d?.buckets ?? []);
  const map = new Map();
  for (const r of rows) {
    const key = r[by] ?? r.key ?? r.bucket ?? '?';
    const cur = map.get(key) ?? { key, statutory: 0, voluntary: 0 };
    if (r.kind && (r.count !== undefined)) cur[r.kind] = (cur[r.kind] ?? 0) + Number(r.count);
    else {
      cur.statutory += Number(r.statutory ?? r.counts?.statutory ?? 0);
      cur.voluntary += Number(r.voluntary ?? r.counts?.voluntary ?? 0);
    }
    map.set(key, cur);
  }
  return [...map.values()].sort((a, b) => String(a.key).localeCompare(String(b.key)));
}

// ISO week "2026-W48" <-> the Monday it starts on (UTC).
function weekMonday(key) {
  const m = /^(\d{4})-W(\d{2})$/.exec(key);
  if (!m) return null;
  const jan4 = Date.UTC(Number(m[1]), 0, 4);
  const dow = (new Date(jan4).getUTCDay() + 6) % 7;
  return jan4 - dow * 86400000 + (Number(m[2]) - 1) * 7 * 86400000;
}
function weekKey(ms) {
  const d = new Date(ms + 3 * 86400000); // the Thursday of that week decides the year
  const y = d.getUTCFullYear();
  const jan4 = Date.UTC(y, 0, 4);
  const mon1 = jan4 - ((new Date(jan4).getUTCDay() + 6) % 7) * 86400000;
  return `${y}-W${String(Math.floor((ms - mon1) / (7 * 86400000)) + 1).padStart(2, '0')}`;
}
// Weeks without reports are shown as zero, from the first week with data (at most 26 weeks
// back from the last) to the last.
function fillWeeks(rows) {
  const byKey = new Map(rows.map((r) => [r.key, r]));
  const ms = rows.map((r) => weekMonday(r.key)).filter((x) => x !== null);
  if (!ms.length || ms.length !== rows.length) return rows;
  const last = Math.max(...ms);
  const first = Math.max(Math.min(...ms), last - 25 * 7 * 86400000);
  const out = [];
  for (let w = first; w <= last; w += 7 * 86400000) {
    const k = weekKey(w);
    out.push(byKey.get(k) ?? { key: k, statutory: 0, voluntary: 0 });
  }
  return out;
}

function chartSection(id, titleKey, rows, labelOf, headKey) {
  const series = [
    { key: 'statutory', label: t('statutory'), cls: 's-statutory' },
    { key: 'voluntary', label: t('voluntary'), cls: 's-voluntary' },
  ];
  const categories = rows.map((r) => ({ label: labelOf(r.key) }));
  const total = rows.reduce((a, r) => a + r.statutory + r.voluntary, 0);
  const desc = rows.length ? `${t(titleKey)}: ${t('total')} ${total}` : t('no_data');
  const svg = stackedBars({ title: t(titleKey), desc, categories, series, values: rows });
  const table = dataTable({ caption: t(titleKey), headLabel: t(headKey), categories, series, values: rows, totalLabel: t('total') });
  return h('section', { class: 'chart-box', id, 'aria-labelledby': `${id}-h` },
    h('h2', { id: `${id}-h` }, t(titleKey)),
    h('div', { class: 'chart-wrap' }, svg),
    h('details', { class: 'chart-alt' }, h('summary', {}, t('chart_table')), table));
}

async function dashboardPage() {
  let week, sector, reg, rep;
  try {
    [week, sector, rep, reg] = await Promise.all([
      api.get('/api/v1/reports/stats', { by: 'week' }),
      api.get('/api/v1/reports/stats', { by: 'sector' }),
      api.get('/api/v1/reports/overdue', { include_due: 'true' }),
      api.get('/api/v1/registry/overdue'),
    ]);
  } catch (e) { return failed(e); }
  const repItems = itemsOf(rep), regItems = itemsOf(reg);
  const count = (items, st) => items.filter((x) => deadlineState(x) === st).length;
  const od = [
    ['overdue_reports', count(repItems, 'overdue')], ['late_reports', count(repItems, 'late')],
    ['due_reports', count(repItems, 'due')],
    ['overdue_registry', count(regItems, 'overdue')], ['late_registry', count(regItems, 'late')],
  ];
  const odSeries = [{ key: 'n', label: t('count'), cls: 's-overdue' }];
  const odCats = od.map(([k]) => ({ label: t(k) }));
  const odVals = od.map(([, n]) => ({ n }));
  const odSection = h('section', { class: 'chart-box', id: 'chart-overdue', 'aria-labelledby': 'chart-overdue-h' },
    h('h2', { id: 'chart-overdue-h' }, t('chart_overdue')),
    h('div', { class: 'chart-wrap' }, stackedBars({ title: t('chart_overdue'), desc: od.map(([k, n]) => `${t(k)} ${n}`).join(', '), categories: odCats, series: odSeries, values: odVals })),
    h('details', { class: 'chart-alt' }, h('summary', {}, t('chart_table')),
      dataTable({ caption: t('chart_overdue'), headLabel: t('f_what'), categories: odCats, series: odSeries, values: odVals, totalLabel: t('total') })));
  const weekRows = fillWeeks(statRows(week, 'week'));
  const sectorRows = statRows(sector, 'sector');
  page('dashboard_title',
    h('div', { class: 'charts' },
      chartSection('chart-week', 'chart_week', weekRows, (k) => String(k), 'f_week'),
      chartSection('chart-sector', 'chart_sector', sectorRows, (k) => sectorName(k), 'f_sector'),
      odSection));
}

// ---------- router ----------

const routes = [
  [/^\/$/, homePage],
  [/^\/assets$/, assetsPage, true],
  [/^\/assets\/new$/, () => assetFormPage(null)],
  [/^\/assets\/import$/, importPage],
  [/^\/assets\/(\d+)$/, (m) => assetPage(m[1])],
  [/^\/assets\/(\d+)\/edit$/, (m) => assetFormPage(m[1])],
  [/^\/reports$/, reportsPage],
  [/^\/reports\/new$/, newReportPage],
  [/^\/reports\/(\d+)$/, (m) => reportPage(m[1])],
  [/^\/deadlines$/, deadlinesPage],
  [/^\/dashboard$/, dashboardPage],
];

let routing = 0;
async function route() {
  const my = ++routing;
  const raw = location.hash.replace(/^#/, '') || '/';
  const [path, qs] = raw.split('?');
  if (path === '/signin' || !getToken()) {
    if (path !== '/signin' && path !== '/') sessionStorage.setItem('mamori.after', `#${raw}`);
    me = null;
    updateChrome();
    signinPage();
    main.setAttribute('aria-busy', 'false');
    document.getElementById('page-title')?.focus();
    return;
  }
  if (!me) {
    try { me = await api.get('/api/v1/me'); } catch (e) {
      if (e instanceof ApiError && e.status === 401) { signOut(t('session_expired')); return; }
      failed(e);
      return;
    }
  }
  updateChrome();
  main.setAttribute('aria-busy', 'true');
  main.replaceChildren(h('p', { class: 'muted' }, t('loading')));
  let handled = false;
  for (const [re, fn, wantsQuery] of routes) {
    const m = re.exec(path);
    if (m) {
      handled = true;
      await (wantsQuery ? fn(new URLSearchParams(qs ?? '')) : fn(m));
      break;
    }
  }
  if (my !== routing) return;
  if (!handled) page('error', h('p', { id: 'page-error' }, t('not_found')));
  main.setAttribute('aria-busy', 'false');
  document.getElementById('page-title')?.focus();
}

// ---------- start ----------

document.getElementById('lang').addEventListener('click', () => {
  setLang(getLang() === 'ja' ? 'en' : 'ja');
  document.getElementById('lang').setAttribute('lang', getLang() === 'ja' ? 'en' : 'ja');
  route();
});
document.getElementById('sign-out').addEventListener('click', () => signOut());
document.getElementById('skip-link').addEventListener('click', (ev) => {
  ev.preventDefault();
  main.focus();
});
window.addEventListener('hashchange', () => { clearStatus(); route(); });
document.getElementById('lang').setAttribute('lang', getLang() === 'ja' ? 'en' : 'ja');
applyStatic();
route();
