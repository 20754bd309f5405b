// The GraphQL-over-HTTP audit of the `graphql-http` package against a running server.
// Prints every result that is not a pass and a summary line; exits 1 on any MUST failure.
//
//   node audit.mjs http://127.0.0.1:8000/graphql
import { auditServer } from 'graphql-http';

const url = process.argv[2];
if (!url) {
  console.error('usage: node audit.mjs <graphql url>');
  process.exit(2);
}
const results = await auditServer({ url });
let ok = 0;
let warn = 0;
let error = 0;
for (const r of results) {
  if (r.status === 'ok') {
    ok += 1;
    continue;
  }
  if (r.status === 'warn') warn += 1;
  else error += 1;
  let detail = '';
  if (r.response) {
    const body = await r.response.text().catch(() => '');
    detail = ` [${r.response.status} ${r.response.headers.get('content-type') ?? ''}] ${body.slice(0, 200)}`;
  }
  console.log(`${r.status === 'warn' ? 'WARN (SHOULD)' : 'FAIL (MUST)'}: ${r.name}: ${r.reason ?? ''}${detail}`);
}
console.log(`graphql-http audit: ${ok} passed, ${warn} warnings, ${error} MUST failures`);
process.exit(error > 0 ? 1 : 0);
