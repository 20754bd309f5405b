// Opens the intranet board (examples/intranet-board/index.html), served from an origin other
// than the API's, in headless Chromium (Debian's, never a downloaded one) with a viewer token,
// and checks that it follows the plan live:
// 1. it connects (`#status` says live) and shows the same Red count as the API;
// 2. an admin sets an action Red through the API: within 10 s the page counts one more Red,
//    lists the action and names it in `#last-event`; set back, the page follows again;
// 3. in a second tab whose WebSocket the check drops, the page reconnects by itself and shows
//    a change made while it was disconnected (events are not replayed: it must re-read);
// and fails if the page requested anything from a host other than its own and the API's,
// broke its Content-Security-Policy or threw.
//
//   node board.mjs <api base url> <page url> <viewer token> <admin token>
//   e.g. node board.mjs http://127.0.0.1:8000 http://127.0.0.1:8123/ "$VIEWER" "$ADMIN"
// BOARD_SCREENSHOT=board.png keeps a screenshot of the board showing the Red action;
// BOARD_PLAN picks the plan (default herefordshire-2012).
import { createHash } from 'node:crypto';
import { chromium } from 'playwright-core';

const [apiArg, pageArg, viewer, admin] = process.argv.slice(2);
if (!apiArg || !pageArg || !viewer || !admin) {
  console.error('usage: node board.mjs <api base url> <page url> <viewer token> <admin token>');
  process.exit(2);
}
const api = apiArg.replace(/\/+$/, '');
const plan = process.env.BOARD_PLAN ?? 'herefordshire-2012';
const apiOrigin = new URL(api).origin;
const pageOrigin = new URL(pageArg).origin;
const problems = [];
const requests = [];
const summary = [];
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function boardUrl() {
  const u = new URL(pageArg);
  u.search = new URLSearchParams({ api, plan }).toString();
  u.hash = `token=${encodeURIComponent(viewer)}`;
  return u.href;
}

async function gql(token, query, variables) {
  const res = await fetch(`${api}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = await res.json().catch(() => null);
  if (!res.ok || !body?.data || body.errors) {
    throw new Error(`POST ${api}/graphql answered ${res.status}: ${JSON.stringify(body)}`);
  }
  return body.data;
}

function watch(page, tab) {
  page.on('request', (r) => requests.push(r.url()));
  page.on('websocket', (ws) => requests.push(ws.url()));
  page.on('pageerror', (e) => problems.push(`${tab}: page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' || /Content.Security.Policy|Refused to/i.test(m.text())) {
      problems.push(`${tab}: console ${m.type()}: ${m.text()}`);
    }
  });
}

// What the page shows, by the ids the page keeps for this purpose.
const readBoard = (page) =>
  page.evaluate(() => {
    const text = (id) => document.getElementById(id)?.textContent.trim() ?? null;
    const error = document.getElementById('error');
    return {
      status: text('status'),
      red: text('red-count-total') === '' ? null : Number(text('red-count-total')),
      codes: [...document.querySelectorAll('#red-actions li')].map((li) => li.dataset.code),
      last: text('last-event'),
      renders: Number(document.getElementById('board')?.dataset.renders ?? 0),
      error: error && !error.hidden ? error.textContent : '',
    };
  });

// graphql-transport-ws acknowledges the connection, not the subscription: the server starts
// listening when it handles the page's `subscribe`, just after `connection_ack`. A change
// committed in between is, rightly, not an event for it. Changes here wait that moment out.
const settle = () => new Promise((r) => setTimeout(r, 500));

async function waitFor(page, what, ok, timeout) {
  const start = Date.now();
  for (;;) {
    const s = await readBoard(page);
    if (ok(s)) return Date.now() - start;
    if (Date.now() - start > timeout) {
      throw new Error(`${what}: not seen within ${timeout} ms; the page shows ${JSON.stringify(s)}`);
    }
    await sleep(50);
  }
}

// The page's script runs only if the Content-Security-Policy in the page allows its hash.
const html = await (await fetch(pageArg)).text();
const script = html.match(/<script>([\s\S]*?)<\/script>/)?.[1];
const hash = script === undefined ? null : `sha256-${createHash('sha256').update(script).digest('base64')}`;
if (!hash || !html.includes(`script-src '${hash}'`)) {
  console.log(
    `FAIL board: the page's Content-Security-Policy does not allow its script; set script-src '${hash}' ` +
      'in examples/intranet-board/index.html (see its README)',
  );
  process.exit(1);
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ],
});
try {
  const context = await browser.newContext({ viewport: { width: 1200, height: 900 } });

  // 1. Connects and shows what the API says.
  const page = await context.newPage();
  watch(page, 'board');
  let start = Date.now();
  await page.goto(boardUrl(), { waitUntil: 'load' });
  await waitFor(page, 'the board, live', (s) => s.status === 'live' && s.renders > 0 && Number.isInteger(s.red), 15000);
  summary.push(`live in ${Date.now() - start} ms`);
  await settle();
  if (page.url().includes(viewer)) problems.push('the token stays in the address bar');
  const counts = await gql(viewer, 'query($plan: String!) { plan(slug: $plan) { ragSummary { counts { status count } } } }', { plan });
  const redNow = counts.plan.ragSummary.counts.find((c) => c.status === 'RED')?.count ?? 0;
  const shown = await readBoard(page);
  if (shown.red !== redNow) problems.push(`the page shows ${shown.red} Red actions, the API counts ${redNow}`);
  if (shown.codes.length !== Math.min(redNow, 100)) {
    problems.push(`the page lists ${shown.codes.length} Red actions, the API counts ${redNow}`);
  }
  const before = shown.red;

  // 2. Follows changes made through the API.
  const picked = await gql(
    admin,
    `query($plan: String!) { plan(slug: $plan) {
       actions(filter: { rag: [AMBER, GREEN, GREY], state: ACTIVE }, first: 1) { nodes { id code rag { status } } }
     } }`,
    { plan },
  );
  const action = picked.plan.actions.nodes[0];
  if (!action) throw new Error(`no action of ${plan} is Amber, Green or Grey`);
  const { code } = action;
  const old = action.rag.status;
  const record = async (status, note) => {
    const d = await gql(
      admin,
      'mutation($input: RecordRagUpdateInput!) { recordRagUpdate(input: $input) { action { code rag { status } } } }',
      { input: { actionId: action.id, status, note } },
    );
    if (d.recordRagUpdate.action.rag.status !== status) {
      throw new Error(`recordRagUpdate left ${code} ${d.recordRagUpdate.action.rag.status}, not ${status}`);
    }
  };
  const lastShows = (s, status) => s.last.includes(`${code} → ${status}`);
  const isRed = (s) => s.red === before + 1 && s.codes.includes(code);
  const isBack = (s) => s.red === before && !s.codes.includes(code);

  start = Date.now();
  await record('RED', 'Board check: set Red to see the intranet board follow');
  await waitFor(page, `${code} set Red`, (s) => isRed(s) && lastShows(s, 'RED'), 10000);
  summary.push(`${code} ${old} → RED shown in ${Date.now() - start} ms`);
  if (process.env.BOARD_SCREENSHOT) await page.screenshot({ path: process.env.BOARD_SCREENSHOT, fullPage: true });

  start = Date.now();
  await record(old, 'Board check: back to the status it had');
  await waitFor(page, `${code} set back to ${old}`, (s) => isBack(s) && lastShows(s, old), 10000);
  summary.push(`back to ${old} in ${Date.now() - start} ms`);

  // 3. Reconnects after a dropped connection and re-reads what it missed. The check sits
  // between this tab and the server (its WebSocket still connects from the page's origin).
  const tab = await context.newPage();
  watch(tab, 'reconnect tab');
  const routes = [];
  await tab.routeWebSocket(
    (u) => u.pathname.endsWith('/graphql/ws'),
    (ws) => {
      requests.push(ws.url());
      routes.push({ page: ws, server: ws.connectToServer() });
    },
  );
  await tab.goto(boardUrl(), { waitUntil: 'load' });
  await waitFor(tab, 'the second tab, live', (s) => s.status === 'live' && s.red === before, 15000);
  await settle();
  if (routes.length !== 1) throw new Error(`expected the tab to open 1 WebSocket, it opened ${routes.length}`);
  await routes[0].page.close({ code: 1012, reason: 'dropped by the board check' });
  await waitFor(tab, 'the tab noticing the dropped connection', (s) => s.status !== 'live', 5000);
  start = Date.now();
  await record('RED', 'Board check: set Red while the board is disconnected');
  await waitFor(tab, `the tab back live, showing ${code} Red`, (s) => s.status === 'live' && isRed(s), 15000);
  summary.push(`after a dropped connection live again with the missed change in ${Date.now() - start} ms`);
  if (routes.length !== 2) problems.push(`expected one reconnection, the tab opened ${routes.length} WebSockets`);
  await settle();
  await record(old, 'Board check: back to the status it had');
  await waitFor(tab, `the reconnected tab following ${code} back to ${old}`, (s) => isBack(s) && lastShows(s, old), 10000);
  await waitFor(page, `the first tab following ${code} back to ${old}`, (s) => isBack(s) && lastShows(s, old), 10000);

  for (const [p, tabName] of [[page, 'board'], [tab, 'reconnect tab']]) {
    const s = await readBoard(p);
    if (s.error) problems.push(`${tabName} shows an error: ${s.error}`);
  }
} catch (e) {
  problems.unshift(e.message); // the step that failed leads the summary
} finally {
  await browser.close();
}

const allowed = new Set([pageOrigin, apiOrigin]);
const foreign = [...new Set(requests)].filter((u) => {
  if (/^(data|blob|about):/.test(u)) return false;
  return !allowed.has(new URL(u.replace(/^ws/, 'http')).origin);
});
for (const u of foreign) problems.push(`requested from another host: ${u}`);
summary.push(`${requests.length} requests, all to ${pageOrigin} or ${apiOrigin}: ${foreign.length === 0}`);

for (const p of problems) console.log(`FAIL: ${p}`);
if (problems.length) {
  console.log(`FAIL board: ${problems[0]}${problems.length > 1 ? ` (and ${problems.length - 1} more)` : ''}`);
  process.exit(1);
}
console.log(`PASS board: ${summary.join('; ')}`);
