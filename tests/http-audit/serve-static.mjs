// Serves a folder over HTTP on 127.0.0.1 (GET and HEAD only, nothing outside the folder), so
// that a page can be opened from an origin other than the API's. Prints its base URL, e.g.
// `http://127.0.0.1:41234/`, as its first line; port 0 (the default) picks a free port.
//
//   node serve-static.mjs examples/intranet-board [port]
import { createServer } from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import { extname, join, resolve, sep } from 'node:path';

const root = resolve(process.argv[2] ?? '.');
const port = Number(process.argv[3] ?? 0);
const types = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.json': 'application/json',
  '.md': 'text/markdown; charset=utf-8',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
};

const server = createServer(async (req, res) => {
  const send = (status, body, headers = {}) => {
    res.writeHead(status, { 'cache-control': 'no-store', 'x-content-type-options': 'nosniff', ...headers });
    res.end(req.method === 'HEAD' ? undefined : body);
  };
  if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'method not allowed\n', { allow: 'GET, HEAD' });
  let file;
  try {
    file = resolve(join(root, decodeURIComponent(new URL(req.url, 'http://localhost').pathname)));
  } catch {
    return send(400, 'bad request\n');
  }
  if (file !== root && !file.startsWith(root + sep)) return send(404, 'not found\n');
  try {
    if ((await stat(file)).isDirectory()) file = join(file, 'index.html');
    const body = await readFile(file);
    send(200, body, { 'content-type': types[extname(file)] ?? 'application/octet-stream' });
  } catch {
    send(404, 'not found\n', { 'content-type': 'text/plain; charset=utf-8' });
  }
});
server.listen(port, '127.0.0.1', () => console.log(`http://127.0.0.1:${server.address().port}/`));
for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => process.exit(0));
