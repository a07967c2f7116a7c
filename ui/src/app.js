// passgate's web console. Vanilla JS; bundled with chart.js by esbuild
// (scripts/build-ui.sh) and served from the binary under /ui/.
//
// The gateway key lives in sessionStorage only and goes to the admin API in the
// x-passgate-key header: never in a URL, never written to the console.
import { Chart, BarController, BarElement, CategoryScale, LinearScale, Tooltip, Legend } from 'chart.js';

Chart.register(BarController, BarElement, CategoryScale, LinearScale, Tooltip, Legend);

const KEY_STORAGE = 'passgate.key';
const LIVE_INTERVAL_MS = 2000;
const LOGS_PAGE_SIZE = 50;
const CREDENTIALS = ['server', 'oauth', 'byok', 'bearer', 'none'];
const CREDENTIAL_COLORS = { server: '#1f4e8c', oauth: '#2e9d5b', byok: '#e0a100', bearer: '#8e44ad', none: '#8a939e' };
const PALETTE = ['#1f4e8c', '#e0a100', '#2e9d5b', '#c0392b', '#8e44ad', '#16a0a0', '#d35400', '#7f8c8d', '#2c3e50', '#b8860b'];

const state = {
  key: null,
  admin: false,
  keys: new Map(), // key_id → record (admin)
  range: null,
  charts: {},
  newKey: null, // the full key just created, until "Done" or leaving the page
};

const $ = (id) => document.getElementById(id);

// ---------------------------------------------------------------- DOM helpers

function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k === 'text') el.textContent = v;
    else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

function showError(id, message) {
  const el = $(id);
  el.textContent = message || '';
  el.hidden = !message;
}

const intFormat = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const fmtInt = (n) => (n === null || n === undefined ? '–' : intFormat.format(n));
function fmtUsd(n) {
  if (n === null || n === undefined) return '–';
  const digits = Math.abs(n) >= 1 ? 2 : 6;
  return '$' + new Intl.NumberFormat('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits }).format(n);
}
function fmtTime(iso) {
  if (!iso) return '–';
  return iso.replace('T', ' ').replace(/(\.\d+)?Z$/, '');
}
function fmtDuration(ms) {
  if (ms === null || ms === undefined) return '–';
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}
const isoSeconds = (d) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');
const isoDate = (d) => d.toISOString().slice(0, 10);

// ---------------------------------------------------------------- API

class ApiError extends Error {
  constructor(status, type, message) {
    super(message);
    this.status = status;
    this.type = type;
  }
}

async function api(path, { method = 'GET', body } = {}) {
  const headers = { accept: 'application/json', 'x-passgate-key': state.key || '' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  let res;
  try {
    res = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: 'no-store',
      credentials: 'omit',
      referrerPolicy: 'no-referrer',
    });
  } catch {
    throw new ApiError(0, 'network', 'The gateway cannot be reached. Check that it is running, then try again.');
  }
  let data = null;
  try {
    data = await res.json();
  } catch {
    data = null;
  }
  if (!res.ok) {
    const e = (data && data.error) || {};
    throw new ApiError(res.status, e.type || '', e.message || res.statusText || `status ${res.status}`);
  }
  return data;
}

// An API failure in words (the API's message kept where it helps).
function describe(err) {
  if (!(err instanceof ApiError)) return `Something went wrong in the console: ${err && err.message ? err.message : err}`;
  const msg = err.message ? ` (${err.message})` : '';
  switch (err.status) {
    case 0: return err.message;
    case 400: return `The gateway did not accept this request${msg}.`;
    case 401: return 'That key is not valid for this gateway.';
    case 403: return `This key may not do that${msg}.`;
    case 404: return `Not found${msg}.`;
    case 405: return `The gateway does not allow this here${msg}.`;
    case 413: return 'That request is too large for the gateway.';
    case 429: return `Too many requests right now${msg}. Wait a moment and try again.`;
    default:
      if (err.status >= 500) return `The gateway could not answer${msg}. Try again in a moment.`;
      return `The gateway answered ${err.status}${msg}.`;
  }
}

// A 401 in the middle of a session: the key was revoked or expired.
function handleAuthLoss(err) {
  if (err instanceof ApiError && err.status === 401) {
    signOut('That key is not valid for this gateway (any more). Sign in again.');
    return true;
  }
  return false;
}

function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}

// ---------------------------------------------------------------- sign in / out

async function signIn(key) {
  state.key = key;
  try {
    await api('/key/list?size=1');
    state.admin = true;
  } catch (err) {
    if (err instanceof ApiError && err.status === 403) {
      state.admin = false;
    } else {
      state.key = null;
      throw err;
    }
  }
  sessionStorage.setItem(KEY_STORAGE, key);
  $('nav').hidden = false;
  $('nav-keys').hidden = !state.admin;
  $('who').hidden = false;
  $('who').textContent = state.admin ? 'Signed in with the master key' : "Signed in with a gateway key: its own spend only";
  $('sign-out').hidden = false;
  $('filter-key-label').hidden = !state.admin;
  if (state.admin) await loadKeys().catch(() => {});
}

function signOut(message) {
  stopLive();
  sessionStorage.removeItem(KEY_STORAGE);
  state.key = null;
  state.admin = false;
  state.keys.clear();
  state.newKey = null;
  for (const c of Object.values(state.charts)) c.destroy();
  state.charts = {};
  $('nav').hidden = true;
  $('who').hidden = true;
  $('sign-out').hidden = true;
  $('keys-table').tBodies[0].replaceChildren();
  $('logs-table').tBodies[0].replaceChildren();
  hideNewKey();
  $('keys-status').textContent = '';
  $('signin-key').value = '';
  showError('signin-error', message || '');
  if (location.hash !== '' && location.hash !== '#/signin') history.replaceState(null, '', '#/signin');
  route();
}

$('signin-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const key = $('signin-key').value.trim();
  if (!key) {
    showError('signin-error', 'Give a gateway key.');
    return;
  }
  $('signin-submit').disabled = true;
  showError('signin-error', '');
  try {
    await signIn(key);
    $('signin-key').value = '';
    if (location.hash === '#/overview') route();
    else location.hash = '#/overview';
  } catch (err) {
    showError('signin-error', describe(err));
    $('signin-key').focus();
    $('signin-key').select(); // typing replaces the wrong key
  } finally {
    $('signin-submit').disabled = false;
  }
});

$('sign-out').addEventListener('click', () => signOut('Signed out.'));

// ---------------------------------------------------------------- routing

const PAGES = ['overview', 'keys', 'logs'];

function route() {
  let page = (location.hash.match(/^#\/(\w+)/) || [])[1] || 'overview';
  if (!state.key) page = 'signin';
  else if (!PAGES.includes(page) || (page === 'keys' && !state.admin)) page = 'overview';
  for (const p of ['signin', ...PAGES]) $(`page-${p}`).hidden = p !== page;
  for (const p of PAGES) {
    const a = $(`nav-${p}`);
    if (p === page) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  if (page !== 'logs') stopLive();
  if (page !== 'keys' && state.newKey) hideNewKey();
  document.title = `passgate console: ${page === 'signin' ? 'sign in' : page}`;
  if (page === 'signin') $('signin-key').focus();
  else {
    const title = $(`${page}-title`);
    if (document.activeElement === document.body || document.activeElement === null) title.focus({ preventScroll: true });
  }
  if (page === 'overview') loadOverview();
  if (page === 'keys') loadKeys().catch(() => {});
  if (page === 'logs') loadLogs(true);
}

window.addEventListener('hashchange', () => {
  route();
  const page = (location.hash.match(/^#\/(\w+)/) || [])[1];
  if (page && $(`${page}-title`) && !$(`page-${page}`).hidden) $(`${page}-title`).focus({ preventScroll: true });
});

// ---------------------------------------------------------------- overview

const DAY = 86400000;
const PRESETS = { '48h': 2 * DAY, '7d': 7 * DAY, '30d': 30 * DAY };

function presetRange(name) {
  const now = Date.now();
  const start = new Date(now - PRESETS[name]);
  return { preset: name, params: { start_date: isoSeconds(start) }, start, end: new Date(now), unit: PRESETS[name] <= 2 * DAY ? 'hour' : 'day' };
}

function customRange(from, to) {
  // Dates in UTC; the API's end_date date includes that whole day.
  const start = new Date(`${from}T00:00:00Z`);
  const endDay = new Date(`${to}T00:00:00Z`);
  const end = new Date(endDay.getTime() + DAY);
  const unit = end - start <= 2 * DAY ? 'hour' : 'day';
  return { preset: null, params: { start_date: from, end_date: to }, start, end: new Date(Math.min(end.getTime(), Date.now())), unit };
}

function setPresetButtons(name) {
  for (const b of document.querySelectorAll('[data-preset]')) b.setAttribute('aria-pressed', String(b.dataset.preset === name));
}

for (const b of document.querySelectorAll('[data-preset]')) {
  b.addEventListener('click', () => {
    state.range = presetRange(b.dataset.preset);
    loadOverview();
  });
}

$('range-form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  const from = $('range-from').value;
  const to = $('range-to').value;
  if (!from || !to) return showError('overview-error', 'Give both dates.');
  if (to < from) return showError('overview-error', 'The end date is before the start date.');
  state.range = customRange(from, to);
  loadOverview();
});

$('chart-metric').addEventListener('change', () => {
  if (state.lastSeries) drawCharts(state.lastSeries);
});

// Every bucket label between start and end, as the API names them.
function buckets(range) {
  const out = [];
  if (range.unit === 'hour') {
    const t = new Date(range.start);
    t.setUTCMinutes(0, 0, 0);
    for (; t <= range.end && out.length < 2000; t.setUTCHours(t.getUTCHours() + 1)) out.push(isoDate(t) + 'T' + String(t.getUTCHours()).padStart(2, '0') + ':00Z');
  } else {
    const t = new Date(range.start);
    t.setUTCHours(0, 0, 0, 0);
    for (; t <= range.end && out.length < 2000; t.setUTCDate(t.getUTCDate() + 1)) out.push(isoDate(t));
  }
  return out;
}

// Rows {group: bucket, split, requests, cost_usd, …} over time, split by `dim`:
// one report, split_by doing the stacking on the gateway.
async function splitSeries(range, dim) {
  const r = await api('/spend/report' + query({ ...range.params, group_by: range.unit, split_by: dim }));
  return r.rows;
}

function chartData(range, rows, dim) {
  const labels = buckets(range);
  for (const r of rows) if (!labels.includes(r.group)) labels.push(r.group);
  labels.sort();
  const metric = $('chart-metric').value;
  let splits = [...new Set(rows.map((r) => r.split || '(none)'))];
  if (dim === 'credential') splits.sort((a, b) => (CREDENTIALS.indexOf(a) + 99) % 99 - (CREDENTIALS.indexOf(b) + 99) % 99);
  else {
    const total = (s) => rows.filter((r) => (r.split || '(none)') === s).reduce((t, r) => t + (r[metric] || 0), 0);
    splits.sort((a, b) => total(b) - total(a));
  }
  const datasets = splits.map((s, i) => {
    const data = labels.map(() => 0);
    for (const r of rows) if ((r.split || '(none)') === s) data[labels.indexOf(r.group)] += r[metric] || 0;
    const color = dim === 'credential' ? CREDENTIAL_COLORS[s] || PALETTE[i % PALETTE.length] : PALETTE[i % PALETTE.length];
    const label = dim === 'credential' && s === 'server' ? 'server (organisation)' : s;
    return { label, data, backgroundColor: color, borderWidth: 0, stack: 'all' };
  });
  return { labels, datasets };
}

function drawChart(canvasId, data, metric) {
  const money = metric === 'cost_usd';
  const options = {
    responsive: true,
    maintainAspectRatio: false,
    animation: false,
    interaction: { mode: 'index', intersect: false },
    scales: {
      x: { stacked: true, ticks: { maxRotation: 0, autoSkip: true } },
      y: { stacked: true, beginAtZero: true, ticks: { precision: money ? undefined : 0, callback: (v) => (money ? `$${Number(v.toPrecision(3))}` : fmtInt(v)) } },
    },
    plugins: {
      legend: { position: 'bottom' },
      tooltip: { callbacks: { label: (c) => `${c.dataset.label}: ${money ? fmtUsd(c.parsed.y) : fmtInt(c.parsed.y)}` } },
    },
  };
  const existing = state.charts[canvasId];
  if (existing) {
    existing.data = data;
    existing.options = options;
    existing.update();
  } else {
    state.charts[canvasId] = new Chart($(canvasId), { type: 'bar', data, options });
  }
  $(canvasId).setAttribute('aria-label', `${money ? 'Spend (USD)' : 'Requests'} over time by ${canvasId === 'chart-model' ? 'model' : 'credential kind'}: ${data.datasets.map((d) => d.label).join(', ') || 'no data'}`);
}

function drawCharts(all) {
  const metric = $('chart-metric').value;
  for (const [dim, canvasId] of [['credential', 'chart-credential'], ['model', 'chart-model']]) {
    drawChart(canvasId, chartData(all.range, all[dim], dim), metric);
  }
}

function topTable(tableId, nameTitle, rows, nameOf) {
  const table = $(tableId);
  const head = h('thead', {}, h('tr', {}, h('th', { scope: 'col', text: nameTitle }), h('th', { scope: 'col', class: 'num', text: 'Requests' }), h('th', { scope: 'col', class: 'num', text: 'Cost (USD)' }), h('th', { scope: 'col', class: 'num', text: 'Tokens in / out', title: 'input tokens / output tokens' })));
  const body = h('tbody');
  const top = [...rows].sort((a, b) => (b.cost_usd || 0) - (a.cost_usd || 0) || b.requests - a.requests).slice(0, 10);
  if (!top.length) body.append(h('tr', {}, h('td', { colspan: 4, class: 'empty', text: 'No requests in this range.' })));
  for (const r of top) {
    body.append(h('tr', {}, h('td', {}, nameOf(r.group)), h('td', { class: 'num', text: fmtInt(r.requests) }), h('td', { class: 'num', text: fmtUsd(r.cost_usd) }), h('td', { class: 'num', text: `${fmtInt(r.input_tokens)} / ${fmtInt(r.output_tokens)}` })));
  }
  table.replaceChildren(head, body);
}

function setStat(id, value, text) {
  const el = $(id);
  el.dataset.value = String(value);
  el.textContent = text;
}

let overviewGeneration = 0;

async function loadOverview() {
  if (!state.key) return;
  if (!state.range) state.range = presetRange('7d');
  const range = state.range;
  const gen = ++overviewGeneration;
  setPresetButtons(range.preset);
  $('range-from').value = isoDate(range.start);
  $('range-to').value = isoDate(range.end);
  const totals = $('totals');
  totals.dataset.startDate = range.params.start_date;
  totals.dataset.endDate = range.params.end_date || '';
  totals.setAttribute('aria-busy', 'true');
  $('range-label').textContent = `${fmtTime(isoSeconds(range.start))} to ${range.params.end_date ? fmtTime(isoSeconds(range.end)) : 'now'} (UTC), by ${range.unit}`;
  showError('overview-error', '');
  const report = (groupBy) => api('/spend/report' + query({ ...range.params, group_by: groupBy }));
  try {
    const [byKey, byUser, byClient, byCredential, byModel] = await Promise.all([
      report('key'),
      report('end_user'),
      report('client'),
      splitSeries(range, 'credential'),
      splitSeries(range, 'model'),
    ]);
    if (gen !== overviewGeneration) return;
    const t = byKey.totals;
    setStat('total-requests', t.requests, fmtInt(t.requests));
    setStat('total-cost', t.cost_usd, fmtUsd(t.cost_usd));
    setStat('total-input', t.input_tokens, fmtInt(t.input_tokens));
    setStat('total-output', t.output_tokens, fmtInt(t.output_tokens));
    setStat('total-cache-write', t.cache_creation_input_tokens, fmtInt(t.cache_creation_input_tokens));
    setStat('total-cache-read', t.cache_read_input_tokens, fmtInt(t.cache_read_input_tokens));
    $('unpriced-note').hidden = !t.unpriced_requests;
    $('unpriced-note').textContent = t.unpriced_requests ? `${fmtInt(t.unpriced_requests)} request(s) have no known price and are not in the cost.` : '';
    totals.dataset.loaded = 'true';
    state.lastSeries = { range, credential: byCredential, model: byModel };
    drawCharts(state.lastSeries);
    const keyName = (id) => {
      const k = state.keys.get(id);
      return k && k.key_alias ? h('span', { title: id }, k.key_alias) : h('code', { text: id || '(none)' });
    };
    const plain = (v) => (v ? v : h('span', { class: 'muted', text: '(none)' }));
    topTable('top-keys', 'Key', byKey.rows, keyName);
    topTable('top-end-users', 'End user', byUser.rows, plain);
    topTable('top-clients', 'Client', byClient.rows, plain);
  } catch (err) {
    if (gen !== overviewGeneration || handleAuthLoss(err)) return;
    showError('overview-error', describe(err));
  } finally {
    if (gen === overviewGeneration) totals.removeAttribute('aria-busy');
  }
}

// ---------------------------------------------------------------- keys

function keyState(k) {
  if (k.revoked) return 'revoked';
  if (k.expires_at && Date.parse(k.expires_at) <= Date.now()) return 'expired';
  return 'active';
}

async function loadKeys() {
  if (!state.admin) return;
  showError('keys-error', '');
  try {
    const all = [];
    for (let page = 1; page <= 50; page++) {
      const r = await api('/key/list' + query({ page, size: 100 }));
      all.push(...r.keys);
      if (!r.has_more) break;
    }
    state.keys = new Map(all.map((k) => [k.key_id, k]));
    renderKeys();
    fillKeyFilter();
  } catch (err) {
    if (handleAuthLoss(err)) return;
    showError('keys-error', describe(err));
    throw err;
  }
}

function limitsText(k) {
  const parts = [];
  if (k.rpm_limit !== null && k.rpm_limit !== undefined) parts.push(`${fmtInt(k.rpm_limit)} rpm`);
  if (k.tpm_limit !== null && k.tpm_limit !== undefined) parts.push(`${fmtInt(k.tpm_limit)} tpm`);
  if (k.max_parallel_requests !== null && k.max_parallel_requests !== undefined) parts.push(`${fmtInt(k.max_parallel_requests)} parallel`);
  return parts.length ? parts.join(' · ') : 'none';
}

// /key/list gives every record its spend this period and the next reset.
function budgetCell(k) {
  const td = h('td', { class: 'budget' });
  if (k.max_budget === null || k.max_budget === undefined) {
    td.append(h('span', { class: 'muted', text: 'no budget' }), h('small', { text: `${fmtUsd(k.spend)} spent` }));
    return td;
  }
  const label = `${fmtUsd(k.spend)} of ${fmtUsd(k.max_budget)}`;
  td.append(h('meter', { min: 0, max: k.max_budget || 1, high: (k.max_budget || 1) * 0.8, optimum: 0, value: Math.min(k.spend, k.max_budget || 1), 'aria-label': `Budget used: ${label}`, title: label }));
  td.append(' ', label);
  td.append(h('small', { text: k.budget_reset_at ? `resets ${fmtTime(k.budget_reset_at)} UTC` : 'lifetime budget' }));
  return td;
}

function renderKeys() {
  const body = $('keys-table').tBodies[0];
  const rows = [];
  const keys = [...state.keys.values()].sort((a, b) => (b.created_at || '').localeCompare(a.created_at || ''));
  for (const k of keys) {
    const st = keyState(k);
    const tr = h('tr', { 'data-key-id': k.key_id },
      h('td', {}, k.key_alias ? k.key_alias : h('span', { class: 'muted', text: '(no alias)' })),
      h('td', {}, h('code', { text: k.key_prefix })),
      h('td', {}, h('span', { class: `state state-${st}`, text: st })),
      h('td', { text: k.allowed_credentials && k.allowed_credentials.length ? k.allowed_credentials.join(', ') : 'all' }),
      h('td', { class: 'limits', text: limitsText(k) }),
      budgetCell(k),
      h('td', {}, h('div', { class: 'actions' },
        h('button', { type: 'button', class: 'secondary', 'aria-expanded': 'false', 'data-action': 'edit', 'aria-label': `Edit limits of ${k.key_alias || k.key_prefix}`, onclick: (ev) => toggleEdit(ev.currentTarget, k) }, 'Edit limits'),
        h('button', { type: 'button', class: 'danger', 'data-action': 'revoke', disabled: st === 'revoked', 'aria-label': `Revoke ${k.key_alias || k.key_prefix}`, onclick: () => confirmRevoke(k) }, 'Revoke'))));
    rows.push(tr);
  }
  if (!rows.length) rows.push(h('tr', {}, h('td', { colspan: 7, class: 'empty', text: 'No keys yet. Create one above.' })));
  body.replaceChildren(...rows);
}

function numberOrNull(value, integer) {
  const v = String(value).trim();
  if (v === '') return null;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0 || (integer && !Number.isInteger(n))) throw new Error(integer ? 'Limits are whole numbers of 0 or more.' : 'A budget is a number of 0 or more.');
  return n;
}

function toggleEdit(button, k) {
  const tr = button.closest('tr');
  const next = tr.nextElementSibling;
  if (next && next.classList.contains('edit-row')) {
    next.remove();
    button.setAttribute('aria-expanded', 'false');
    button.focus();
    return;
  }
  button.setAttribute('aria-expanded', 'true');
  const val = (v) => (v === null || v === undefined ? '' : String(v));
  const error = h('p', { class: 'error', role: 'alert', hidden: true });
  const form = h('form', { method: 'post', class: 'edit-form', 'aria-label': `Limits of ${k.key_alias || k.key_prefix}` },
    h('label', {}, 'Requests a minute', h('input', { name: 'rpm_limit', type: 'number', min: 0, step: 1, value: val(k.rpm_limit) })),
    h('label', {}, 'Tokens a minute', h('input', { name: 'tpm_limit', type: 'number', min: 0, step: 1, value: val(k.tpm_limit) })),
    h('label', {}, 'Parallel requests', h('input', { name: 'max_parallel_requests', type: 'number', min: 0, step: 1, value: val(k.max_parallel_requests) })),
    h('label', {}, 'Budget (USD)', h('input', { name: 'max_budget', type: 'number', min: 0, step: 0.01, value: val(k.max_budget) })),
    h('div', { class: 'buttons' }, h('button', { type: 'submit' }, 'Save'), h('button', { type: 'button', class: 'secondary', onclick: () => toggleEdit(button, k) }, 'Cancel')),
    error);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const f = new FormData(form);
    let body;
    try {
      body = {
        key_id: k.key_id,
        rpm_limit: numberOrNull(f.get('rpm_limit'), true),
        tpm_limit: numberOrNull(f.get('tpm_limit'), true),
        max_parallel_requests: numberOrNull(f.get('max_parallel_requests'), true),
        max_budget: numberOrNull(f.get('max_budget'), false),
      };
    } catch (err) {
      error.textContent = err.message;
      error.hidden = false;
      return;
    }
    form.querySelector('button[type=submit]').disabled = true;
    try {
      await api('/key/update', { method: 'POST', body });
      $('keys-status').textContent = `Limits of ${k.key_alias || k.key_prefix} saved.`;
      await loadKeys();
      const row = document.querySelector(`#keys-table tr[data-key-id="${CSS.escape(k.key_id)}"] [data-action=edit]`);
      if (row) row.focus();
    } catch (err) {
      if (handleAuthLoss(err)) return;
      error.textContent = describe(err);
      error.hidden = false;
      form.querySelector('button[type=submit]').disabled = false;
    }
  });
  tr.after(h('tr', { class: 'edit-row' }, h('td', { colspan: 7 }, form)));
  form.querySelector('input').focus();
}

function confirmRevoke(k) {
  const dialog = $('confirm-dialog');
  $('confirm-text').textContent = `Revoke the key ${k.key_alias ? `"${k.key_alias}" ` : ''}(${k.key_prefix})? Requests with it are refused at once. This cannot be undone.`;
  dialog.returnValue = '';
  dialog.onclose = async () => {
    dialog.onclose = null;
    if (dialog.returnValue !== 'confirm') return;
    try {
      const r = await api('/key/delete', { method: 'POST', body: { key_ids: [k.key_id] } });
      $('keys-status').textContent = r.deleted_keys && r.deleted_keys.includes(k.key_id) ? `Key ${k.key_alias || k.key_prefix} revoked.` : `Key ${k.key_alias || k.key_prefix} was not found.`;
      await loadKeys();
    } catch (err) {
      if (handleAuthLoss(err)) return;
      showError('keys-error', describe(err));
    }
  };
  dialog.showModal();
  $('confirm-cancel').focus();
}

$('create-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const form = ev.currentTarget;
  const f = new FormData(form);
  const body = {};
  try {
    const alias = String(f.get('key_alias') || '').trim();
    if (alias) body.key_alias = alias;
    const creds = f.getAll('allowed_credentials').map(String);
    if (creds.length) body.allowed_credentials = creds;
    for (const name of ['rpm_limit', 'tpm_limit', 'max_parallel_requests']) {
      const v = numberOrNull(f.get(name), true);
      if (v !== null) body[name] = v;
    }
    const budget = numberOrNull(f.get('max_budget'), false);
    if (budget !== null) body.max_budget = budget;
    if (f.get('budget_duration')) body.budget_duration = String(f.get('budget_duration'));
    if (f.get('duration')) body.duration = String(f.get('duration'));
  } catch (err) {
    showError('keys-error', err.message);
    return;
  }
  $('create-submit').disabled = true;
  showError('keys-error', '');
  try {
    const created = await api('/key/generate', { method: 'POST', body });
    showNewKey(created.key);
    form.reset();
    $('keys-status').textContent = `Key ${created.key_alias || created.key_prefix} created.`;
    await loadKeys();
  } catch (err) {
    if (handleAuthLoss(err)) return;
    showError('keys-error', describe(err));
  } finally {
    $('create-submit').disabled = false;
  }
});

function showNewKey(key) {
  state.newKey = key;
  $('new-key-value').value = key;
  $('new-key-setup').textContent = `export ANTHROPIC_BASE_URL=${location.origin}/anthropic\nexport ANTHROPIC_CUSTOM_HEADERS="x-passgate-key: ${key}"`;
  $('copy-status').textContent = '';
  $('new-key-panel').hidden = false;
  $('new-key-title').focus();
}

function hideNewKey() {
  state.newKey = null;
  $('new-key-value').value = '';
  $('new-key-setup').textContent = '';
  $('copy-status').textContent = '';
  $('new-key-panel').hidden = true;
}

async function copyText(text) {
  try {
    if (navigator.clipboard && window.isSecureContext) {
      await navigator.clipboard.writeText(text);
      return true;
    }
  } catch {
    /* fall back below */
  }
  const area = h('textarea', { readonly: true, class: 'sr-only' });
  area.value = text;
  document.body.append(area);
  area.select();
  let ok = false;
  try {
    ok = document.execCommand('copy');
  } catch {
    ok = false;
  }
  area.remove();
  return ok;
}

$('copy-key').addEventListener('click', async () => {
  const ok = await copyText($('new-key-value').value);
  $('copy-status').textContent = ok ? 'Key copied.' : 'Copying failed: select the key and copy it by hand.';
  if (!ok) $('new-key-value').select();
});
$('copy-setup').addEventListener('click', async () => {
  const ok = await copyText($('new-key-setup').textContent);
  $('copy-status').textContent = ok ? 'Setup lines copied.' : 'Copying failed: select the lines and copy them by hand.';
});
$('new-key-done').addEventListener('click', () => {
  hideNewKey();
  $('keys-title').focus();
});

// ---------------------------------------------------------------- logs

// Rows are paged with the API's cursors: `before` the oldest shown for Older,
// `after` the newest shown for Live. A cursor is a strict position, so neither
// can return a row already shown.
const logs = {
  rows: [],
  nextBefore: null, // the cursor of the next older page; null at the end
  generation: 0,
  live: false,
  timer: null,
  lastPoll: 0,
  filters: {},
};

function fillKeyFilter() {
  const select = $('filter-key');
  const current = select.value;
  const opts = [h('option', { value: '' }, 'all keys')];
  for (const k of [...state.keys.values()].sort((a, b) => (a.key_alias || '').localeCompare(b.key_alias || ''))) {
    opts.push(h('option', { value: k.key_id }, `${k.key_alias || '(no alias)'} · ${k.key_prefix}`));
  }
  select.replaceChildren(...opts);
  select.value = current;
}

function readFilters() {
  const f = new FormData($('logs-filters'));
  const out = {};
  for (const name of ['key_id', 'end_user', 'session_id', 'model', 'status', 'outcome', 'credential']) {
    const v = String(f.get(name) || '').trim();
    if (v && !(name === 'key_id' && !state.admin)) out[name] = v;
  }
  // datetime-local values, read as UTC.
  for (const name of ['start_date', 'end_date']) {
    const v = String(f.get(name) || '');
    if (v) out[name] = (v.length === 16 ? `${v}:00` : v) + 'Z';
  }
  return out;
}

function logRow(r) {
  const keyLabel = r.key_alias || (state.keys.get(r.key_id) || {}).key_alias || r.key_id || '–';
  const tokensIn = r.input_tokens === null || r.input_tokens === undefined ? null : r.input_tokens + (r.cache_creation_input_tokens || 0) + (r.cache_read_input_tokens || 0);
  return h('tr', { 'data-request-id': r.request_id },
    h('td', { title: r.started_at, text: fmtTime(r.started_at) }),
    h('td', { title: r.key_id || '', text: keyLabel }),
    h('td', { text: r.model || '–' }),
    h('td', { text: r.credential || '–' }),
    h('td', { class: 'num', text: r.status }),
    h('td', { text: r.outcome }),
    h('td', { class: 'num', title: `input ${fmtInt(r.input_tokens)}, cache write ${fmtInt(r.cache_creation_input_tokens)}, cache read ${fmtInt(r.cache_read_input_tokens)}`, text: fmtInt(tokensIn) }),
    h('td', { class: 'num', text: fmtInt(r.output_tokens) }),
    h('td', { class: 'num', text: fmtUsd(r.cost_usd) }),
    h('td', { class: 'num', text: fmtDuration(r.duration_ms) }),
    idCell('end_user', r.end_user),
    idCell('session_id', r.session_id),
    h('td', { text: r.client || '–' }));
}

// A long id (end user, session) shortened, as a button that filters by it.
function idCell(field, value) {
  if (!value) return h('td', { text: '–' });
  const short = value.length > 12 ? `${value.slice(0, 8)}…` : value;
  const label = field === 'session_id' ? 'session' : 'end user';
  return h('td', { 'data-field': field, 'data-value': value },
    h('button', { type: 'button', class: 'link mono', title: value, 'aria-label': `Show only ${label} ${value}`, onclick: () => {
      const input = $('logs-filters').elements[field];
      input.value = value;
      loadLogs(true);
    } }, short));
}

function renderLogs(prepended) {
  const body = $('logs-table').tBodies[0];
  if (prepended) body.prepend(...prepended.map(logRow));
  else body.replaceChildren(...logs.rows.map(logRow));
  $('logs-empty').hidden = logs.rows.length > 0;
  $('logs-older').hidden = !logs.nextBefore;
}

async function loadLogs(reset) {
  if (!state.key) return;
  const gen = ++logs.generation;
  logs.lastPoll = Date.now();
  if (reset) logs.filters = readFilters();
  showError('logs-error', '');
  $('logs-table').setAttribute('aria-busy', 'true');
  try {
    const data = await api('/spend/logs' + query({ ...logs.filters, size: LOGS_PAGE_SIZE }));
    if (gen !== logs.generation) return;
    logs.rows = data.logs;
    logs.nextBefore = data.next_before;
    renderLogs();
  } catch (err) {
    if (gen !== logs.generation || handleAuthLoss(err)) return;
    logs.rows = [];
    logs.nextBefore = null;
    renderLogs();
    showError('logs-error', describe(err));
  } finally {
    if (gen === logs.generation) $('logs-table').removeAttribute('aria-busy');
  }
  if (logs.live) scheduleLive();
}

$('logs-older').addEventListener('click', async () => {
  const gen = logs.generation;
  const button = $('logs-older');
  button.disabled = true;
  try {
    const data = await api('/spend/logs' + query({ ...logs.filters, before: logs.nextBefore, size: LOGS_PAGE_SIZE }));
    if (gen !== logs.generation) return;
    logs.rows.push(...data.logs);
    logs.nextBefore = data.next_before;
    $('logs-table').tBodies[0].append(...data.logs.map(logRow));
    $('logs-older').hidden = !logs.nextBefore;
  } catch (err) {
    if (!handleAuthLoss(err)) showError('logs-error', describe(err));
  } finally {
    button.disabled = false;
  }
});

$('logs-filters').addEventListener('submit', (ev) => {
  ev.preventDefault();
  loadLogs(true);
});
$('logs-filters').addEventListener('reset', () => setTimeout(() => loadLogs(true), 0));

// Live: one request for rows newer than the newest shown, then the next one
// 2 s after the last started (never more often), only while the tab is visible.
async function pollLive() {
  logs.timer = null;
  if (!logs.live || document.visibilityState !== 'visible' || $('page-logs').hidden || !state.key) return;
  logs.lastPoll = Date.now();
  const gen = logs.generation;
  try {
    const newest = logs.rows[0];
    if (!newest) {
      await loadLogs(false);
      return;
    }
    const data = await api('/spend/logs' + query({ ...logs.filters, after: newest.cursor, size: 100 }));
    if (gen !== logs.generation) return;
    if (data.has_more) {
      await loadLogs(false); // more new rows than one answer holds: start again from the newest
      return;
    }
    addFresh(data.logs);
    $('live-status').textContent = `Updated ${new Date().toISOString().slice(11, 19)} UTC`;
  } catch (err) {
    if (handleAuthLoss(err)) return;
    $('live-status').textContent = describe(err);
  }
  if (gen === logs.generation) scheduleLive();
}

function addFresh(fresh) {
  if (!fresh.length) return;
  logs.rows.unshift(...fresh);
  renderLogs(fresh);
}

function scheduleLive() {
  if (logs.timer !== null || !logs.live || document.visibilityState !== 'visible' || $('page-logs').hidden) return;
  const wait = Math.max(0, logs.lastPoll + LIVE_INTERVAL_MS - Date.now());
  logs.timer = setTimeout(pollLive, Math.max(wait, 1));
}

function stopLive(keepToggle) {
  if (logs.timer !== null) clearTimeout(logs.timer);
  logs.timer = null;
  if (!keepToggle) {
    logs.live = false;
    $('live-toggle').checked = false;
    $('live-status').textContent = '';
  }
}

$('live-toggle').addEventListener('change', (ev) => {
  logs.live = ev.currentTarget.checked;
  if (logs.live) {
    $('live-status').textContent = 'Live: checking for new rows every 2 s.';
    scheduleLive();
  } else {
    stopLive();
    $('live-status').textContent = 'Live off.';
  }
});

document.addEventListener('visibilitychange', () => {
  if (document.visibilityState !== 'visible') {
    stopLive(true);
    if (logs.live) $('live-status').textContent = 'Live paused while the tab is hidden.';
  } else if (logs.live) {
    $('live-status').textContent = 'Live: checking for new rows every 2 s.';
    scheduleLive();
  }
});

// ---------------------------------------------------------------- start

async function start() {
  const saved = sessionStorage.getItem(KEY_STORAGE);
  if (saved) {
    try {
      await signIn(saved);
    } catch (err) {
      sessionStorage.removeItem(KEY_STORAGE);
      showError('signin-error', describe(err));
    }
  }
  route();
}

start();
