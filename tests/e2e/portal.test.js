// portal.test.js - the mamori portal end to end in Debian's headless Chromium (playwright-core).
// Run by tests/integration/test_e2e.sh, which starts `mamori serve` on a fresh store and sets:
//   MM_URL, MM_LOG_DIR, MM_TOKEN_OPERATOR (Example Power, electricity), MM_TOKEN_ANALYST,
//   MM_TOKEN_MINISTRY_SAME (electricity, gas), MM_TOKEN_MINISTRY_OTHER (finance).
// Tests run in order (later ones use the report filed by an earlier one); every wait is bounded.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { chromium } from 'playwright-core';

const URL = process.env.MM_URL;
const LOG_DIR = process.env.MM_LOG_DIR ?? '/tmp';
const TOK = {
  operator: process.env.MM_TOKEN_OPERATOR,
  analyst: process.env.MM_TOKEN_ANALYST,
  ministrySame: process.env.MM_TOKEN_MINISTRY_SAME,
  ministryOther: process.env.MM_TOKEN_MINISTRY_OTHER,
};
const WAIT = 10000; // ms, any single wait in the browser
const T = { timeout: 90000 }; // per test

let browser;
const state = { reportId: null, summary: `Ransomware on billing servers ${Date.now()}` };

before(async () => {
  assert.ok(URL, 'MM_URL is set (run through tests/integration/test_e2e.sh)');
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    // Playwright gives every launch a fresh temporary user-data dir of its own.
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    timeout: 30000,
  });
});

after(async () => {
  await browser?.close();
});

// A fresh browser context (its own storage) with one page; console errors and failed
// requests are collected so a test can assert there were none.
async function open(opts = {}) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'ja-JP', timezoneId: 'Asia/Tokyo', ...opts });
  context.setDefaultTimeout(WAIT);
  context.setDefaultNavigationTimeout(WAIT);
  // nothing but the server under test: block any other host outright
  await context.route((u) => !u.href.startsWith(URL), (r) => r.abort());
  const page = await context.newPage();
  const problems = [];
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('console', (m) => { if (m.type() === 'error' && !/status of 4\d\d/.test(m.text())) problems.push(`console: ${m.text()}`); });
  return { context, page, problems };
}

async function signIn(page, token, expectName) {
  await page.goto(`${URL}/#/signin`);
  await page.getByLabel(/API トークン|API token/).fill(token);
  await page.locator('#signin-form button[type=submit]').click();
  await page.locator('#who-name').filter({ hasText: expectName }).waitFor();
}

// The visible data table of a chart (opened <details>) as {rowLabel: [cells...]}.
async function chartTable(page, id) {
  const box = page.locator(`#${id}`);
  await box.locator('details > summary').click();
  return box.locator('table').evaluate((t) => {
    const out = {};
    for (const tr of t.tBodies[0].rows) out[tr.cells[0].textContent.trim()] = [...tr.cells].slice(1).map((c) => Number(c.textContent));
    return out;
  });
}

test('operator signs in with a token and sees who they are; the token lives in sessionStorage', T, async () => {
  const { context, page, problems } = await open();
  try {
    await page.goto(`${URL}/`);
    assert.equal(await page.locator('html').getAttribute('lang'), 'ja');
    await page.locator('#signin-form').waitFor();
    // a wrong token is refused with a message next to the field
    await page.getByLabel('API トークン').fill('not-a-token');
    await page.locator('#signin-form button[type=submit]').click();
    await page.locator('#signin-token[aria-invalid=true]').waitFor();
    await signIn(page, TOK.operator, 'op1');
    await page.goto(`${URL}/#/`);
    await page.locator('#me-org').filter({ hasText: 'Example Power' }).waitFor();
    assert.equal(await page.evaluate(() => sessionStorage.getItem('mamori.token')), TOK.operator);
    assert.equal(await page.evaluate(() => localStorage.getItem('mamori.token')), null);
    // sign out clears it
    await page.locator('#sign-out').click();
    await page.locator('#signin-form').waitFor();
    assert.equal(await page.evaluate(() => sessionStorage.getItem('mamori.token')), null);
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});

test('operator files an initial report on one screen and sees it and its deadline, then an update and a final report', T, async () => {
  const { context, page, problems } = await open();
  try {
    await signIn(page, TOK.operator, 'op1');
    const started = Date.now();
    await page.goto(`${URL}/#/reports/new`);
    const form = page.locator('#report-form');
    await form.waitFor();
    // one screen: four required fields, the rest collapsed; kind and aware_at have defaults
    assert.equal(await form.locator('[aria-required=true]').count(), 4);
    assert.equal(await page.locator('#report-more').evaluate((d) => d.open), false);
    assert.equal(await page.getByLabel('種別').inputValue(), 'statutory');
    assert.match(await page.getByLabel(/^認知日時/).inputValue(), /^\d{4}-\d\d-\d\dT\d\d:\d\d$/);
    // an error is shown next to its field (the server's JSON pointer): a bad indicator
    await page.getByLabel(/^概要/).fill(state.summary);
    await page.getByLabel('連絡先').fill('soc@example.jp');
    await page.locator('#report-more > summary').click();
    await page.getByLabel(/^痕跡情報/).fill('203.0.113.7\nipv4:999.1.1.1');
    await page.locator('#report-form button[type=submit]').click();
    const indErr = page.locator('#rep-indicators-err');
    await indErr.waitFor({ state: 'visible' });
    assert.match(await indErr.textContent(), /2 行目/);
    assert.equal(await page.locator('#rep-indicators').getAttribute('aria-invalid'), 'true');
    // fix it, mark the summary unconfirmed, submit
    await page.getByLabel(/^痕跡情報/).fill('203.0.113.7\nevil.example.com');
    await page.locator('[data-unconfirmed=summary]').check();
    await page.locator('#report-form button[type=submit]').click();
    await page.waitForURL(/#\/reports\/\d+$/);
    assert.ok(Date.now() - started < 60000, 'filed in under a minute');
    state.reportId = Number(page.url().match(/#\/reports\/(\d+)$/)[1]);
    const versions = page.locator('#report-versions > li');
    await versions.first().waitFor();
    assert.equal(await versions.count(), 1);
    assert.equal(await versions.first().getAttribute('data-stage'), 'initial');
    assert.match(await versions.first().textContent(), /evil\.example\.com/);
    await page.locator('.status').filter({ hasText: String(state.reportId) }).waitFor();
    // it is in the list
    await page.goto(`${URL}/#/reports`);
    await page.locator(`#reports-table tr[data-id="${state.reportId}"]`).filter({ hasText: state.summary }).waitFor();
    // the deadlines page lists its final report as due
    await page.goto(`${URL}/#/deadlines`);
    const dueRow = page.locator('#deadlines-reports tr').filter({ has: page.locator(`a[href="#/reports/${state.reportId}"]`) });
    await dueRow.first().waitFor();
    assert.match(await dueRow.first().textContent(), /確報/);
    // an update, then the final report: versions are kept
    await page.goto(`${URL}/#/reports/${state.reportId}`);
    await page.getByLabel('段階').selectOption('update');
    await page.getByLabel(/^攻撃経路/).selectOption('email');
    await page.locator('#version-form button[type=submit]').click();
    await page.locator('#report-versions > li').nth(1).waitFor();
    await page.getByLabel('段階').selectOption('final');
    await page.getByLabel(/^概要/).fill(`${state.summary} (final)`);
    await page.locator('#version-form button[type=submit]').click();
    await page.locator('#report-versions > li[data-stage=final]').waitFor();
    assert.equal(await page.locator('#report-versions > li').count(), 3);
    assert.deepEqual(await page.locator('#report-versions > li').evaluateAll((ls) => ls.map((l) => l.dataset.stage)),
      ['initial', 'update', 'final']);
    assert.equal(await page.locator('#version-form').count(), 0, 'no form once the final report is in');
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});

test('analyst sees the report in the list and on the dashboard (counts and charts include it)', T, async () => {
  assert.ok(state.reportId, 'a report was filed');
  const { context, page, problems } = await open();
  try {
    await signIn(page, TOK.analyst, 'an1');
    await page.goto(`${URL}/#/reports`);
    await page.locator(`#reports-table tr[data-id="${state.reportId}"]`).waitFor();
    await page.goto(`${URL}/#/dashboard`);
    for (const id of ['chart-week', 'chart-sector', 'chart-overdue']) {
      await page.locator(`#${id} svg[role=img]`).waitFor();
      // each chart has an accessible name and a text alternative
      assert.ok((await page.locator(`#${id} svg title`).first().textContent()).length > 0);
    }
    const week = await chartTable(page, 'chart-week');
    const weekTotals = Object.values(week).map((r) => r[2]);
    assert.ok(weekTotals.reduce((a, b) => a + b, 0) >= 1, `week table counts the report: ${JSON.stringify(week)}`);
    const sector = await chartTable(page, 'chart-sector');
    assert.ok(sector['電気'], `sector table has electricity: ${JSON.stringify(sector)}`);
    assert.ok(sector['電気'][0] >= 1, 'one statutory report in electricity');
    // the chart draws a bar for it
    assert.ok(await page.locator('#chart-sector svg rect.s-statutory').count() >= 1);
    assert.ok(await page.locator('#chart-week svg rect.s-statutory').count() >= 1);
    await page.screenshot({ path: path.join(LOG_DIR, 'dashboard.png'), fullPage: true });
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});

test('the ministry of the same sector sees the report; a ministry of another sector does not (not listed, direct URL not found)', T, async () => {
  assert.ok(state.reportId, 'a report was filed');
  {
    const { context, page } = await open();
    try {
      await signIn(page, TOK.ministrySame, 'meti1');
      await page.goto(`${URL}/#/reports/${state.reportId}`);
      await page.locator('#report-meta').waitFor();
      await page.goto(`${URL}/#/reports`);
      await page.locator(`#reports-table tr[data-id="${state.reportId}"]`).waitFor();
    } finally {
      await context.close();
    }
  }
  const { context, page } = await open();
  try {
    await signIn(page, TOK.ministryOther, 'fsa1');
    await page.goto(`${URL}/#/reports`);
    await page.locator('#reports-table, #reports-empty').first().waitFor();
    assert.equal(await page.locator(`#reports-table tr[data-id="${state.reportId}"]`).count(), 0);
    assert.equal(await page.getByText(state.summary).count(), 0);
    await page.goto(`${URL}/#/reports/${state.reportId}`);
    await page.locator('#page-error').waitFor();
    assert.match(await page.locator('#page-error').textContent(), /見つかりません/);
    assert.equal(await page.getByText(state.summary).count(), 0);
    // and its dashboard does not count it
    await page.goto(`${URL}/#/dashboard`);
    await page.locator('#chart-sector svg').waitFor();
    const sector = await chartTable(page, 'chart-sector');
    assert.equal(sector['電気'], undefined, `no electricity row for the finance ministry: ${JSON.stringify(sector)}`);
  } finally {
    await context.close();
  }
});

test('an asset form error is shown next to its field; a good asset is added and has a version history', T, async () => {
  const { context, page, problems } = await open();
  try {
    await signIn(page, TOK.operator, 'op1');
    await page.goto(`${URL}/#/assets/new`);
    await page.getByLabel(/^機器の区分/).selectOption('server');
    await page.getByLabel(/^ベンダー/).fill('Apache');
    await page.getByLabel(/^製品/).fill('HTTP Server');
    await page.getByLabel(/^CPE/).fill('cpe:not-valid');
    await page.getByLabel(/^使用開始日/).fill('2025-04-01');
    await page.locator('#asset-form button[type=submit]').click();
    await page.locator('#asset-cpe-err').waitFor({ state: 'visible' });
    assert.equal(await page.locator('#asset-cpe').getAttribute('aria-invalid'), 'true');
    await page.getByLabel(/^CPE/).fill('cpe:2.3:a:apache:http_server:2.4.58:*:*:*:*:*:*:*');
    await page.locator('#asset-form button[type=submit]').click();
    await page.waitForURL(/#\/assets\/\d+$/);
    const id = page.url().match(/#\/assets\/(\d+)$/)[1];
    await page.locator('#asset-history li').first().waitFor();
    // edit: a second version
    await page.goto(`${URL}/#/assets/${id}/edit`);
    await page.getByLabel(/^バージョン/).fill('2.4.59');
    await page.locator('#asset-form button[type=submit]').click();
    await page.waitForURL(new RegExp(`#/assets/${id}$`));
    await page.locator('#asset-history li').nth(1).waitFor();
    assert.equal(await page.locator('#asset-history li').count(), 2);
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});

test('a CSV import with one bad row is rejected whole: the bad row is shown and the asset list is unchanged', T, async () => {
  const { context, page, problems } = await open();
  try {
    await signIn(page, TOK.operator, 'op1');
    const listIds = async () => {
      await page.goto(`${URL}/#/assets`);
      await page.locator('#assets-table, #assets-empty').first().waitFor();
      return page.locator('#assets-table tbody tr').evaluateAll((rs) => rs.map((r) => r.dataset.id));
    };
    const before = await listIds();
    const header = 'name,category,vendor,product,product_version,cpe,in_service_from';
    const bad = [header,
      'web-1,server,Apache,HTTP Server,2.4.58,cpe:2.3:a:apache:http_server:2.4.58:*:*:*:*:*:*:*,2025-01-01',
      'fw-1,toaster,Fortinet,FortiGate,7.2,,2025-02-01',
      'db-1,server,PostgreSQL,PostgreSQL,16,,2025-03-01'].join('\n') + '\n';
    await page.goto(`${URL}/#/assets/import`);
    await page.getByLabel(/^CSV ファイル/).setInputFiles({ name: 'assets.csv', mimeType: 'text/csv', buffer: Buffer.from(bad) });
    await page.locator('#import-form button[type=submit]').click();
    const errs = page.locator('#import-errors li');
    await errs.first().waitFor();
    const rows = await errs.evaluateAll((ls) => ls.map((l) => l.dataset.row));
    assert.deepEqual(rows, ['3'], `only row 3 (the header is row 1) is bad: ${rows}`);
    assert.match(await errs.first().textContent(), /3 行目/);
    assert.match(await page.locator('#import-result').textContent(), /何も登録されていません/);
    assert.deepEqual(await listIds(), before, 'nothing was imported');
    // the same file with the row fixed imports every row
    await page.goto(`${URL}/#/assets/import`);
    await page.getByLabel(/^CSV ファイル/).setInputFiles({ name: 'assets.csv', mimeType: 'text/csv', buffer: Buffer.from(bad.replace('toaster', 'security_device')) });
    await page.locator('#import-form button[type=submit]').click();
    await page.locator('#import-result .ok-text').filter({ hasText: '3 件' }).waitFor();
    assert.equal((await listIds()).length, before.length + 3);
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});

test('the language switch changes the labels to English and back to Japanese', T, async () => {
  const { context, page, problems } = await open();
  try {
    await signIn(page, TOK.operator, 'op1');
    await page.goto(`${URL}/#/reports/new`);
    await page.locator('#report-form').waitFor();
    assert.equal(await page.locator('html').getAttribute('lang'), 'ja');
    await page.getByLabel(/^概要/).waitFor();
    await page.locator('#lang').click();
    await page.locator('html[lang=en]').waitFor();
    await page.getByLabel(/^Summary/).waitFor();
    await page.locator('#page-title').filter({ hasText: 'File an initial report' }).waitFor();
    assert.ok(await page.locator('nav#nav').getByText('Incident reports').isVisible());
    assert.equal(await page.locator('#sign-out').textContent(), 'Sign out');
    // it stays English after a reload (kept in localStorage), and switches back
    await page.reload();
    await page.locator('html[lang=en]').waitFor();
    await page.getByLabel(/^Summary/).waitFor();
    await page.locator('#lang').click();
    await page.locator('html[lang=ja]').waitFor();
    await page.getByLabel(/^概要/).waitFor();
    assert.ok(await page.locator('nav#nav').getByText('インシデント報告').isVisible());
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});

test('keyboard only: skip link, tab order reaches the form, visible focus', T, async () => {
  const { context, page } = await open();
  try {
    await signIn(page, TOK.operator, 'op1');
    await page.goto(`${URL}/#/reports/new`);
    await page.locator('#report-form').waitFor();
    // the skip link is the first element in the page's tab order and shows when focused
    const first = await page.evaluate(() => [...document.querySelectorAll('a[href], button, input, select, textarea, [tabindex]')]
      .find((el) => el.tabIndex >= 0 && !el.closest('[hidden]'))?.id);
    assert.equal(first, 'skip-link');
    await page.locator('#skip-link').focus();
    const top = await page.locator('#skip-link').evaluate((a) => a.getBoundingClientRect().top);
    assert.ok(top >= 0, 'skip link is on screen when focused');
    await page.keyboard.press('Enter');
    assert.equal(await page.evaluate(() => document.activeElement.id), 'main');
    // from the main landmark, Tab reaches the form's first field
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement.id), 'rep-kind');
    // focus ring on a control
    await page.locator('#rep-summary').focus();
    await page.keyboard.press('Shift+Tab');
    await page.keyboard.press('Tab');
    const outline = await page.locator('#rep-summary').evaluate((el) => getComputedStyle(el).outlineStyle);
    assert.notEqual(outline, 'none');
    // every input, select and textarea has a label
    const unlabeled = await page.evaluate(() => [...document.querySelectorAll('input, select, textarea')]
      .filter((el) => !(el.labels && el.labels.length) && !el.getAttribute('aria-label')).map((el) => el.id));
    assert.deepEqual(unlabeled, []);
  } finally {
    await context.close();
  }
});
