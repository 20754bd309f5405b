// PostGraphile v5 over plan-api's own PostgreSQL database, as a council's IT team would run it:
// the amber preset, schema `public`, production settings, no watch mode, no GraphiQL, no
// explain. One Node process (WORKERS=1, the default) or a `node:cluster` primary with
// WORKERS workers sharing the port. Every Node process serving GraphQL has its own pg pool of
// POOL_SIZE (10) connections.
//
// Settings (environment): DATABASE_URL (required), PORT (5678), HOST (127.0.0.1), WORKERS (1),
// POOL_SIZE (10). Answers GraphQL at POST /graphql.
import cluster from "node:cluster";
import { createServer } from "node:http";

import { postgraphile } from "postgraphile";
import { makePgService } from "postgraphile/adaptors/pg";
import { grafserv } from "postgraphile/grafserv/node";
import { PostGraphileAmberPreset } from "postgraphile/presets/amber";
import { makeJSONPgSmartTagsPlugin } from "postgraphile/utils";

const env = process.env;
const connectionString = env.DATABASE_URL;
if (!connectionString) {
  console.error("server.mjs: DATABASE_URL is required");
  process.exit(2);
}
const port = Number(env.PORT ?? 5678);
const host = env.HOST ?? "127.0.0.1";
const workers = Number(env.WORKERS ?? 1);
const poolSize = Number(env.POOL_SIZE ?? 10);

if (workers > 1 && cluster.isPrimary) {
  // The primary only forks and supervises; the workers share the listening socket.
  console.log(`postgraphile primary ${process.pid}: forking ${workers} workers`);
  for (let i = 0; i < workers; i++) cluster.fork();
  cluster.on("exit", (worker, code, signal) => {
    console.error(`worker ${worker.process.pid} exited (${signal ?? code}); stopping`);
    process.exit(1);
  });
  const stop = () => {
    for (const w of Object.values(cluster.workers ?? {})) w?.kill("SIGTERM");
    process.exit(0);
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
} else {
  await serve();
}

async function serve() {
  /** @type {GraphileConfig.Preset} */
  const preset = {
    extends: [PostGraphileAmberPreset],
    // plan-api declares its natural keys as unique *indexes* (not constraints), which
    // PostGraphile does not turn into lookups; this smart tag (kept outside the database, so
    // plan-api's schema is untouched) gives `actionByPlanIdAndCode`, as a user would add.
    plugins: [
      makeJSONPgSmartTagsPlugin({
        version: 1,
        config: { class: { action: { tags: { unique: "plan_id,code" } } } },
      }),
    ],
    pgServices: [
      makePgService({
        connectionString,
        schemas: ["public"],
        poolConfig: { max: poolSize },
      }),
    ],
    grafserv: {
      host,
      port,
      graphqlPath: "/graphql",
      graphiql: false,
      graphiqlOnGraphQLGET: false,
      watch: false,
      websockets: false,
    },
    grafast: { explain: false },
  };
  const pgl = postgraphile(preset);
  const serv = pgl.createServ(grafserv);
  const server = createServer();
  server.keepAliveTimeout = 65_000;
  server.on("error", (e) => {
    console.error(e);
    process.exit(1);
  });
  await serv.addTo(server);
  // Build the schema before accepting connections, so readiness means "ready to answer".
  await pgl.getSchema();
  server.listen({ host, port, exclusive: false }, () => {
    console.log(`postgraphile ${process.pid} listening on http://${host}:${port}/graphql (pool ${poolSize})`);
  });
  const stop = async () => {
    server.close();
    await pgl.release();
    process.exit(0);
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}
