// Opens the server's GraphiQL page in headless Chromium (Debian's, never a downloaded one),
// checks that the IDE renders and tells how to get a token, puts a token in the Headers pane,
// runs the default query and reads the answer, and fails if the page requested anything from
// another host, broke its Content-Security-Policy or threw.
//
//   node graphiql.mjs http://127.0.0.1:8000/ <token> [screenshot.png]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const [pageUrl, token, screenshot] = process.argv.slice(2);
if (!pageUrl || !token) {
  console.error('usage: node graphiql.mjs <page url> <token> [screenshot.png]');
  process.exit(2);
}
const origin = new URL(pageUrl).origin;
const problems = [];
const requests = [];
const userDataDir = mkdtempSync(join(tmpdir(), 'plan-api-chromium-'));
const context = await chromium.launchPersistentContext(userDataDir, {
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  headless: true,
  args: [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
  ],
});
try {
  const page = context.pages()[0] ?? (await context.newPage());
  page.on('request', (r) => requests.push(r.url()));
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' || /Content.Security.Policy|Refused to/i.test(m.text())) {
      problems.push(`console ${m.type()}: ${m.text()}`);
    }
  });

  const res = await page.goto(pageUrl, { waitUntil: 'load' });
  const csp = res.headers()['content-security-policy'] ?? '';
  if (!csp.includes("script-src 'self'")) problems.push(`weak or missing CSP: ${csp}`);

  // The IDE renders: its editors, and the schema loads through introspection (no token).
  await page.waitForSelector('.graphiql-container .graphiql-query-editor .CodeMirror', { timeout: 30000 });
  const editorText = (selector) =>
    page.evaluate((s) => document.querySelector(s)?.CodeMirror?.getValue() ?? null, selector);
  const query = await editorText('.graphiql-query-editor .CodeMirror');
  if (!query?.includes('plan-api token')) problems.push('the page does not say how to get a token');

  // The token goes into the Headers pane, as a person would put it there.
  await page.getByRole('button', { name: /^headers$/i }).click();
  const headers = '.graphiql-editor-tool .graphiql-editor:not(.hidden) .CodeMirror';
  await page.waitForSelector(headers, { timeout: 10000 });
  await page.evaluate(
    ([s, t]) => document.querySelector(s).CodeMirror.setValue(JSON.stringify({ Authorization: `Bearer ${t}` })),
    [headers, token],
  );

  await page.click('.graphiql-execute-button');
  await page.waitForFunction(
    () => (document.querySelector('.graphiql-response .CodeMirror')?.CodeMirror?.getValue() ?? '').includes('"data"'),
    null,
    { timeout: 30000 },
  );
  const answer = JSON.parse(await editorText('.graphiql-response .CodeMirror'));
  if (answer.errors) problems.push(`the query failed: ${JSON.stringify(answer.errors)}`);
  const plan = answer.data?.plan;
  if (!plan?.title || !(plan.actions?.totalCount > 0)) problems.push(`unexpected answer: ${JSON.stringify(answer)}`);
  else console.log(`GraphiQL ran the query: ${plan.title}, ${plan.actions.totalCount} actions`);

  if (screenshot) await page.screenshot({ path: screenshot, fullPage: true });
} catch (e) {
  problems.push(`check failed: ${e.message}`);
} finally {
  await context.close();
  rmSync(userDataDir, { recursive: true, force: true });
}

const foreign = requests.filter((u) => !u.startsWith('data:') && !u.startsWith('blob:') && new URL(u).origin !== origin);
for (const u of foreign) problems.push(`requested from another host: ${u}`);
console.log(`GraphiQL page: ${requests.length} requests, all to ${origin}: ${foreign.length === 0}`);
if (problems.length) {
  for (const p of problems) console.log(`FAIL: ${p}`);
  process.exit(1);
}
console.log('GraphiQL check: ok');
