// The web console (/ui/) in Debian's chromium, driven by playwright-core
// (never a browser download: executablePath is the system's chromium).
// Run by console_e2e_test with:
//   PASSGATE_URL         http://127.0.0.1:PORT (a gateway with master_key and auth.require_key)
//   PASSGATE_MASTER_KEY  its master key
//   PASSGATE_OTHER_KEY   a second gateway key from its config (its rows must stay hidden from other keys)
//   SCREENSHOT_DIR       where each page's PNG goes
//   CHROMIUM             the browser (default /usr/bin/chromium)
// Prints each check as "checks: …"; a failed check prints "FAILED: …" and the
// script goes on, then exits 1.
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const base = process.env.PASSGATE_URL;
const master = process.env.PASSGATE_MASTER_KEY;
const otherKey = process.env.PASSGATE_OTHER_KEY;
const shots = process.env.SCREENSHOT_DIR || 'ui-screenshots';
if (!base || !master || !otherKey) {
  console.error('set PASSGATE_URL, PASSGATE_MASTER_KEY and PASSGATE_OTHER_KEY');
  process.exit(2);
}
mkdirSync(shots, { recursive: true });

let failures = 0;
function check(name, ok, detail = '') {
  if (ok) console.log(`checks: ${name}`);
  else {
    failures++;
    console.log(`FAILED: ${name}${detail ? ` (${detail})` : ''}`);
  }
  return ok;
}

// The whole run is bounded (the gtest kills node after 120 s).
const deadline = setTimeout(() => {
  console.log('FAILED: the console test did not finish within 110 s');
  process.exit(1);
}, 110_000);

async function apiGet(path, key) {
  const res = await fetch(base + path, { headers: { 'x-passgate-key': key } });
  return { status: res.status, body: await res.json().catch(() => null) };
}

// A request shaped like Claude Code's (headers, metadata.user_id).
const userHex = randomBytes(32).toString('hex');
const accountId = randomUUID();
function claudeCode(key, session, agent = 'main') {
  return fetch(`${base}/anthropic/v1/messages`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-passgate-key': key,
      'user-agent': 'claude-cli/2.1.3 (external, cli)',
      'x-claude-code-session-id': session,
      'x-claude-code-agent-id': agent,
      'anthropic-version': '2023-06-01',
      'x-app': 'cli',
    },
    body: JSON.stringify({
      model: 'claude-sonnet-4-5-20250929',
      max_tokens: 64,
      messages: [{ role: 'user', content: 'Say hi' }],
      metadata: { user_id: `user_${userHex}_account_${accountId}_session_${session}` },
    }),
  }).then(async (r) => {
    await r.text();
    return r.status;
  });
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: process.getuid && process.getuid() === 0 ? ['--no-sandbox'] : [],
});
const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: base });
const page = await context.newPage();
page.setDefaultTimeout(10_000);

const consoleTexts = [];
const pageErrors = [];
const requestUrls = [];
const logsRequests = [];
page.on('console', (m) => consoleTexts.push(m.text()));
page.on('pageerror', (e) => pageErrors.push(String(e)));
page.on('request', (r) => {
  requestUrls.push(r.url());
  if (new URL(r.url()).pathname === '/spend/logs') logsRequests.push({ t: Date.now(), url: r.url() });
});

async function waitFor(fn, arg, ms = 8000) {
  try {
    await page.waitForFunction(fn, arg, { timeout: ms });
    return true;
  } catch {
    return false;
  }
}
const text = (sel) => page.locator(sel).innerText();
async function shot(name) {
  await page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
  console.log(`screenshot: ${join(shots, `${name}.png`)}`);
}
async function signInWith(key, { keyboard = false } = {}) {
  await page.waitForSelector('#signin-key', { state: 'visible' });
  if (keyboard) {
    await page.keyboard.type(key);
    await page.keyboard.press('Enter');
  } else {
    await page.fill('#signin-key', key);
    await page.click('#signin-submit');
  }
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

try {
  // ------------------------------------------------------------ sign in
  const first = await page.goto(`${base}/ui/`);
  const headers = first.headers();
  check('the page is served with a strict content-security-policy', (headers['content-security-policy'] || '').includes("script-src 'self'"));
  await page.waitForSelector('#signin-key', { state: 'visible' });
  check('the sign-in field has the focus (keyboard first)', await page.evaluate(() => document.activeElement && document.activeElement.id === 'signin-key'));
  await shot('01-sign-in');

  await signInWith('sk-pg-this-is-not-a-valid-key-000000');
  const wrongShown = await waitFor(() => !document.getElementById('signin-error').hidden);
  check('a wrong key is refused with a message in words', wrongShown && (await text('#signin-error')) === 'That key is not valid for this gateway.', wrongShown ? await text('#signin-error') : 'no message');
  check('a wrong key is not kept', await page.evaluate(() => sessionStorage.length === 0));
  await shot('02-sign-in-wrong-key');

  await page.focus('#signin-key');
  await signInWith(master, { keyboard: true });
  check('the master key signs in (typed, Enter)', await waitFor(() => !document.getElementById('page-overview').hidden));
  check('the master key sees the Keys page in the navigation', await page.locator('#nav-keys').isVisible());
  check('the key is kept in sessionStorage only', await page.evaluate((k) => sessionStorage.getItem('passgate.key') === k && localStorage.length === 0 && !document.cookie && !location.href.includes(k), master));

  // ------------------------------------------------------------ keys: create
  await page.click('#nav-keys');
  await page.waitForSelector('#page-keys:not([hidden])');
  await page.click('#create-details summary');
  await page.fill('#create-alias', 'console-alice');
  await page.check('input[name=allowed_credentials][value=server]');
  await page.check('input[name=allowed_credentials][value=oauth]');
  await page.fill('input[name=rpm_limit]', '500');
  await page.fill('input[name=max_budget]', '5');
  await page.selectOption('select[name=budget_duration]', '1d');
  await page.selectOption('select[name=duration]', '30d');
  await page.click('#create-submit');
  await page.waitForSelector('#new-key-panel:not([hidden])');
  const aliceKey = await page.inputValue('#new-key-value');
  check('the new key is shown once, in full', /^sk-pg-\S{20,}$/.test(aliceKey), aliceKey.slice(0, 8));
  const setup = await text('#new-key-setup');
  check('the Claude Code setup lines name this gateway and the key',
    setup.includes(`export ANTHROPIC_BASE_URL=${base}/anthropic`) && setup.includes(`export ANTHROPIC_CUSTOM_HEADERS="x-passgate-key: ${aliceKey}"`), setup);
  await page.click('#copy-key');
  await waitFor(() => document.getElementById('copy-status').textContent.length > 0);
  const clip = await page.evaluate(() => navigator.clipboard.readText().catch(() => ''));
  check('the copy button puts the key on the clipboard', clip === aliceKey, await text('#copy-status'));
  const aliceRow = '#keys-table tbody tr:has-text("console-alice")';
  await page.waitForSelector(aliceRow);
  check('the key is listed: alias, active, credentials, limits, budget',
    (await page.locator(`${aliceRow} .state`).innerText()) === 'active' &&
    /oauth, server|server, oauth/.test(await page.locator(aliceRow).innerText()) &&
    (await page.locator(`${aliceRow} .limits`).innerText()).includes('500 rpm') &&
    (await page.locator(`${aliceRow} .budget`).innerText()).includes('of $5.00'),
    await page.locator(aliceRow).innerText());
  await shot('03-keys-new-key-shown-once');

  await page.reload();
  await page.waitForSelector('#page-keys:not([hidden])');
  await page.waitForSelector(aliceRow);
  check('after a reload the session holds and the full key is gone from the page',
    (await page.locator('#new-key-panel').isHidden()) && !(await page.content()).includes(aliceKey));

  // ------------------------------------------------------------ traffic
  const sessionA = randomUUID();
  const sessionB = randomUUID();
  const statuses = [];
  statuses.push(await claudeCode(aliceKey, sessionA, 'main'));
  statuses.push(await claudeCode(aliceKey, sessionA, 'subagent-1'));
  for (let i = 0; i < 52; i++) statuses.push(await claudeCode(aliceKey, sessionB, 'main'));
  statuses.push(await claudeCode(otherKey, randomUUID(), 'main'));
  statuses.push(await claudeCode(otherKey, randomUUID(), 'main'));
  check('56 Claude Code-shaped requests through the gateway (54 with the new key, 2 with another)', statuses.every((s) => s === 200), statuses.filter((s) => s !== 200).join(','));
  // Spend rows are written in the background: wait until the API has them all.
  for (let i = 0; i < 50; i++) {
    const r = await apiGet('/spend/report?group_by=key', master);
    if (r.body && r.body.totals && r.body.totals.requests >= 56) break;
    await sleep(200);
  }

  // ------------------------------------------------------------ logs
  await page.click('#nav-logs');
  await page.waitForSelector('#page-logs:not([hidden])');
  await waitFor(() => document.querySelectorAll('#logs-table tbody tr').length >= 50);
  const firstPage = await page.locator('#logs-table tbody tr').count();
  check('Logs: the newest 50 rows, with an Older button', firstPage === 50 && (await page.locator('#logs-older').isVisible()), `${firstPage} rows`);
  await page.click('#logs-older');
  await waitFor(() => document.querySelectorAll('#logs-table tbody tr').length >= 56);
  const ids = await page.$$eval('#logs-table tbody tr', (rows) => rows.map((r) => r.dataset.requestId));
  const times = await page.$$eval('#logs-table tbody tr td:first-child', (tds) => tds.map((t) => t.title));
  check('Older adds the older rows, none twice, newest first', ids.length === 56 && new Set(ids).size === 56 && times.every((t, i) => i === 0 || times[i - 1] >= t), `${ids.length} rows`);
  check('Older pages with the cursor (before=)', logsRequests.some((r) => r.url.includes('before=')));
  check('the Logs table names the key by its alias', (await page.locator('#logs-table tbody').innerText()).includes('console-alice'));
  await shot('04-logs');

  await page.fill('#filter-session', sessionA);
  await page.click('#logs-apply');
  const filtered = await waitFor(() => document.querySelectorAll('#logs-table tbody tr').length === 2 && document.getElementById('logs-error').hidden, null, 5000);
  const filteredText = await page.locator('#logs-table tbody').innerText();
  const sessions = await page.$$eval('#logs-table td[data-field=session_id]', (tds) => tds.map((t) => t.dataset.value));
  check('Logs filtered by session: exactly its 2 requests, with session, end user and client', filtered &&
    sessions.length === 2 && sessions.every((v) => v === sessionA) &&
    (await page.$$eval('#logs-table tbody tr', (rows) => rows.every((r) => r.cells[10].textContent !== '–' && r.cells[12].textContent !== '–'))),
    (await page.locator('#logs-error').isVisible()) ? await text('#logs-error') : filteredText.slice(0, 300));
  await shot('05-logs-filtered-by-session');

  // Live: rows newer than the newest shown, every 2 s at most, paused while hidden.
  await page.click('#logs-clear');
  await waitFor(() => document.querySelectorAll('#logs-table tbody tr').length === 50);
  await page.check('#live-toggle');
  const liveFrom = Date.now();
  await claudeCode(aliceKey, sessionA, 'main');
  const liveRow = await waitFor(() => document.querySelectorAll('#logs-table tbody tr').length === 51, null, 9000);
  check('Live shows a new request without a reload', liveRow);
  await sleep(4500);
  const polls = logsRequests.filter((r) => r.t >= liveFrom).map((r) => r.t);
  const gaps = polls.slice(1).map((t, i) => t - polls[i]);
  check('Live polls no more often than every 2 s', polls.length >= 2 && gaps.every((g) => g >= 1900), `gaps ${gaps.join(',')}`);
  check('Live asks only for rows newer than the newest shown (after=)', logsRequests.some((r) => r.t >= liveFrom && r.url.includes('after=')));
  await page.evaluate(() => {
    Object.defineProperty(document, 'visibilityState', { value: 'hidden', configurable: true });
    document.dispatchEvent(new Event('visibilitychange'));
  });
  const hiddenFrom = Date.now();
  await sleep(4500);
  check('Live stops while the tab is hidden', logsRequests.filter((r) => r.t > hiddenFrom + 300).length === 0);
  await page.evaluate(() => {
    Object.defineProperty(document, 'visibilityState', { value: 'visible', configurable: true });
    document.dispatchEvent(new Event('visibilitychange'));
  });
  const shownFrom = Date.now();
  await sleep(2500);
  check('Live resumes when the tab is shown again', logsRequests.some((r) => r.t >= shownFrom));
  await page.uncheck('#live-toggle');

  // ------------------------------------------------------------ overview
  await page.click('#nav-overview');
  await page.waitForSelector('#page-overview:not([hidden])');
  await page.click('[data-preset="48h"]');
  await waitFor(() => document.getElementById('totals').dataset.loaded === 'true' && !document.getElementById('totals').hasAttribute('aria-busy'));
  async function compareTotals(key, who) {
    const shown = await page.evaluate(() => {
      const v = (id) => Number(document.getElementById(id).dataset.value);
      const t = (id) => document.getElementById(id).textContent;
      const el = document.getElementById('totals');
      return {
        start: el.dataset.startDate, end: el.dataset.endDate,
        requests: v('total-requests'), cost: v('total-cost'), input: v('total-input'), output: v('total-output'),
        cacheWrite: v('total-cache-write'), cacheRead: v('total-cache-read'),
        requestsText: t('total-requests'), costText: t('total-cost'),
      };
    });
    const q = new URLSearchParams({ start_date: shown.start, group_by: 'key' });
    if (shown.end) q.set('end_date', shown.end);
    const api = await apiGet(`/spend/report?${q}`, key);
    const t = api.body.totals;
    check(`Overview totals (${who}) equal /spend/report's totals for the same range`,
      shown.requests === t.requests && Math.abs(shown.cost - t.cost_usd) < 1e-12 && shown.input === t.input_tokens &&
      shown.output === t.output_tokens && shown.cacheWrite === t.cache_creation_input_tokens && shown.cacheRead === t.cache_read_input_tokens &&
      shown.requestsText.replace(/,/g, '') === String(t.requests) && Math.abs(Number(shown.costText.replace(/[$,]/g, '')) - t.cost_usd) < 5e-7,
      `page ${JSON.stringify(shown)} api ${JSON.stringify(t)}`);
    return t;
  }
  const adminTotals = await compareTotals(master, 'master key');
  check('the master key sees every key\'s requests in the totals', adminTotals.requests >= 57, `${adminTotals.requests}`);
  const aria = (id) => page.locator(`#${id}`).getAttribute('aria-label');
  await waitFor(() => document.getElementById('chart-model').getAttribute('aria-label').includes('claude'));
  check('the credential chart is stacked by kind (server)', (await aria('chart-credential')).includes('server (organisation)'), await aria('chart-credential'));
  check('the model chart is stacked by model', (await aria('chart-model')).includes('claude-sonnet-4-5-20250929'), await aria('chart-model'));
  const reports = requestUrls.map((u) => new URL(u)).filter((u) => u.pathname === '/spend/report').map((u) => u.searchParams);
  check('charts by hour for 48 h, split in one call (split_by, group_by=hour)',
    ['credential', 'model'].every((d) => reports.some((q) => q.get('group_by') === 'hour' && q.get('split_by') === d)) && (await page.locator('#overview-error').isHidden()));
  check('Top keys lists the new key', (await page.locator('#top-keys').innerText()).includes('console-alice'));
  const users = await page.locator('#top-end-users').innerText();
  const clients = await page.locator('#top-clients').innerText();
  check('Top end users and Top clients are filled', !/No requests/.test(users) && !/No requests/.test(clients) && users.split('\n').length > 1, `${users.slice(0, 200)} | ${clients.slice(0, 200)}`);
  await shot('06-overview-48h');
  await page.click('[data-preset="7d"]');
  await waitFor(() => document.querySelector('[data-preset="7d"]').getAttribute('aria-pressed') === 'true' && !document.getElementById('totals').hasAttribute('aria-busy'));
  await compareTotals(master, 'master key, 7 d');
  await shot('07-overview-7d');

  // A phone-sized screen: nothing wider than the screen.
  await page.setViewportSize({ width: 390, height: 844 });
  await sleep(300);
  check('on a phone-sized screen the page does not scroll sideways', await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1));
  await shot('08-overview-phone');
  await page.setViewportSize({ width: 1280, height: 900 });

  // ------------------------------------------------------------ keys: update limits
  await page.click('#nav-keys');
  await page.waitForSelector(aliceRow);
  check('the budget bar shows what the key spent this period, from /key/list alone', await page.locator(`${aliceRow} meter`).evaluate((m) => m.value > 0 && m.max === 5) && !requestUrls.some((u) => new URL(u).pathname === '/key/info'));
  await page.click(`${aliceRow} [data-action=edit]`);
  await page.fill('.edit-row input[name=rpm_limit]', '700');
  await page.fill('.edit-row input[name=max_parallel_requests]', '2');
  await page.click('.edit-row button[type=submit]');
  await waitFor(() => [...document.querySelectorAll('#keys-table tbody tr')].some((r) => r.textContent.includes('console-alice') && r.querySelector('.limits').textContent.includes('700 rpm')));
  const listed = (await apiGet('/key/list?size=100', master)).body.keys.find((k) => k.key_alias === 'console-alice');
  check('an inline edit updates the limits (POST /key/update)', listed.rpm_limit === 700 && listed.max_parallel_requests === 2 && listed.max_budget === 5 &&
    (await page.locator(`${aliceRow} .limits`).innerText()).includes('700 rpm · 2 parallel'), JSON.stringify(listed));
  await shot('09-keys-limits-updated');

  // ------------------------------------------------------------ a key that is not the master
  await page.click('#sign-out');
  await page.waitForSelector('#page-signin:not([hidden])');
  check('signing out clears the key from the tab', await page.evaluate(() => sessionStorage.length === 0));
  await signInWith(aliceKey);
  await page.waitForSelector('#page-overview:not([hidden])');
  check('a gateway key that is not the master has no Keys page', await page.locator('#nav-keys').isHidden());
  await waitFor(() => document.getElementById('totals').dataset.loaded === 'true' && !document.getElementById('totals').hasAttribute('aria-busy'));
  const ownTotals = await compareTotals(aliceKey, 'own key');
  check('a gateway key sees only its own requests', ownTotals.requests === 55, `${ownTotals.requests}`);
  await shot('10-overview-own-key');
  await page.evaluate(() => { location.hash = '#/keys'; });
  await sleep(300);
  check('#/keys with a gateway key shows the Overview instead', (await page.locator('#page-keys').isHidden()) && (await page.locator('#page-overview').isVisible()));
  await page.click('#nav-logs');
  await waitFor(() => document.querySelectorAll('#logs-table tbody tr').length === 50);
  const keyCells = await page.$$eval('#logs-table tbody tr', (rows) => rows.map((r) => r.cells[1].textContent));
  check('its Logs show its own rows only', keyCells.length === 50 && keyCells.every((c) => c === 'console-alice'), [...new Set(keyCells)].join(','));
  check('the key filter is hidden for a gateway key', await page.locator('#filter-key-label').isHidden());
  await shot('11-logs-own-key');

  // ------------------------------------------------------------ revoke
  await page.click('#sign-out');
  await signInWith(master);
  await page.waitForSelector('#page-overview:not([hidden])');
  await page.click('#nav-keys');
  await page.waitForSelector(aliceRow);
  await page.click(`${aliceRow} [data-action=revoke]`);
  await page.waitForSelector('#confirm-dialog[open]');
  check('revoking asks first, naming the key', (await text('#confirm-text')).includes('console-alice'));
  await shot('12-keys-revoke-confirm');
  await page.click('#confirm-cancel');
  await sleep(300);
  check('Cancel keeps the key', (await page.locator(`${aliceRow} .state`).innerText()) === 'active' && (await claudeCode(aliceKey, sessionA)) === 200);
  await page.click(`${aliceRow} [data-action=revoke]`);
  await page.waitForSelector('#confirm-dialog[open]');
  await page.click('#confirm-ok');
  await waitFor(() => [...document.querySelectorAll('#keys-table tbody tr')].some((r) => r.textContent.includes('console-alice') && r.querySelector('.state').textContent === 'revoked'));
  check('the key is revoked (POST /key/delete) and shown as revoked', (await page.locator(`${aliceRow} .state`).innerText()) === 'revoked' && (await page.locator(`${aliceRow} [data-action=revoke]`).isDisabled()));
  check('a revoked key is refused by the gateway', (await claudeCode(aliceKey, sessionA)) === 401);
  await shot('13-keys-revoked');

  // ------------------------------------------------------------ hygiene
  const secrets = [master, aliceKey, otherKey];
  check('no key was written to the browser console', consoleTexts.every((t) => secrets.every((s) => !t.includes(s))));
  check('no key was ever put in a URL', requestUrls.every((u) => secrets.every((s) => !u.includes(s))));
  check('no script errors on the page', pageErrors.length === 0, pageErrors.join(' | '));
} catch (err) {
  failures++;
  console.log(`FAILED: the console test stopped: ${err && err.stack ? err.stack : err}${err && err.cause ? ` (cause: ${err.cause})` : ''}`);
  await shot('zz-failure').catch(() => {});
} finally {
  clearTimeout(deadline);
  await browser.close();
}
console.log(failures ? `${failures} check(s) failed` : 'all console checks passed');
process.exit(failures ? 1 : 0);
