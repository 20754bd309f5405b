// The Node half of bench/run.sh (no npm dependencies; Node 20's fetch).
//
//   node harness.mjs prepare CONFIG.json   writes one wrk Lua data file per target (request
//                                          bodies, headers, W4 ids), probes every workload once
//                                          on every target (any error fails, body printed) and
//                                          checks that all targets return the same data for
//                                          W1-W3.
//   node harness.mjs report META.json RESULTS.jsonl OUT_PREFIX
//                                          medians per cell, ratios ours/theirs; prints the
//                                          markdown and writes OUT_PREFIX.md and OUT_PREFIX.json.
import { readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { dirname } from "node:path";

const [, , command, ...args] = process.argv;

function die(msg) {
  console.error(`harness: ${msg}`);
  process.exit(1);
}

// ---------------------------------------------------------------------------------------------
// The workloads: the exact GraphQL each side is sent (bench/README.md quotes these).

/** GraphQL string literal. */
const lit = (s) => JSON.stringify(s);

export function planApiQueries(c) {
  const plan = lit(c.plan);
  return {
    w1: `{ plan(slug: ${plan}) { actions(filter: { workstreams: [${lit(c.workstream)}] }, first: 15) { nodes { code objective rag { status } theme { title } ragHistory(first: 3) { edges { node { status effectiveDate note author } } } } } } }`,
    w2: `{ plan(slug: ${plan}) { ragSummary(groupBy: THEME) { total counts { status count } groups { key label total counts { status count } } } } }`,
    w3: `{ plan(slug: ${plan}) { action(code: ${lit(c.w3Code)}) { code objective references { code title } ragHistory(first: 100) { totalCount edges { node { status previousStatus note effectiveDate recordedAt author } } } } } }`,
    w4: `mutation W4($id: ID!, $status: RagStatus!) { recordRagUpdate(input: { actionId: $id, status: $status, note: "load test" }) { action { id version rag { status } } ragUpdate { id status } } }`,
  };
}

export function postgraphileQueries(c) {
  const p = c.pg;
  return {
    w1: `{ allActions(condition: { planId: ${p.planId}, workstreamId: ${p.workstreamId} }, first: 15, orderBy: [POSITION_ASC, ROW_ID_ASC]) { nodes { code objective ragStatus themeByThemeId { title } ragUpdatesByActionId(first: 3, orderBy: [EFFECTIVE_DATE_DESC, ROW_ID_DESC]) { edges { node { status effectiveDate note author } } } } } }`,
    w2: `{ planRagSummaryByTheme(planId: ${p.planId}) { nodes { themeNumber themeTitle status count } } }`,
    w3: `{ actionByPlanIdAndCode(planId: ${p.planId}, code: ${lit(c.w3Code)}) { code objective actionReferencesByActionId { nodes { sourceReferenceByReferenceId { code title } } } ragUpdatesByActionId(first: 100, orderBy: [EFFECTIVE_DATE_DESC, ROW_ID_DESC]) { totalCount edges { node { status previousStatus note effectiveDate recordedAt author } } } } }`,
    w4: `mutation W4($id: Int!, $status: String!) { recordRagUpdate(input: { actionId: $id, status: $status, note: "load test" }) { result { rowId status actionByActionId { rowId version ragStatus } } } }`,
  };
}

/** The W4 body split around the action id and the status, for Lua to concatenate. */
function w4Parts(query, idIsString) {
  const marker = "\u0000";
  const body = JSON.stringify({ query, variables: { id: "ID" + marker, status: "ST" + marker } });
  const idQ = JSON.stringify("ID" + marker);
  const stQ = JSON.stringify("ST" + marker);
  const [before, rest] = body.split(idQ);
  const [middle, after] = rest.split(stQ);
  const q = idIsString ? '"' : "";
  return [before + q, q + middle + '"', '"' + after];
}

// ---------------------------------------------------------------------------------------------
// HTTP

async function post(target, body) {
  const headers = { "content-type": "application/json" };
  if (target.token) headers.authorization = `Bearer ${target.token}`;
  const res = await fetch(target.url, { method: "POST", headers, body });
  const text = await res.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, text, json };
}

async function gql(target, query, variables, what) {
  const r = await post(target, JSON.stringify({ query, variables }));
  if (r.status !== 200 || !r.json || r.json.errors || r.text.includes('"errors"')) {
    die(
      `${what} on ${target.name} (${target.url}) failed: HTTP ${r.status}\n` +
        `  query: ${query}\n  variables: ${JSON.stringify(variables ?? null)}\n  body: ${r.text.slice(0, 4000)}`,
    );
  }
  return r.json.data;
}

/** code -> global id of every action of the plan, read through plan-api's own API. */
async function planApiActionIds(target, plan) {
  const out = new Map();
  let after = null;
  for (;;) {
    const data = await gql(
      target,
      `query Ids($plan: String!, $after: String) { plan(slug: $plan) { actions(first: 100, after: $after) { pageInfo { hasNextPage endCursor } nodes { id code state } } } }`,
      { plan, after },
      "listing the plan's actions",
    );
    if (!data.plan) die(`plan ${plan} does not exist on ${target.name} (PLAN must be one of the generated plans)`);
    for (const n of data.plan.actions.nodes) out.set(n.code, n);
    if (!data.plan.actions.pageInfo.hasNextPage) return out;
    after = data.plan.actions.pageInfo.endCursor;
  }
}

// ---------------------------------------------------------------------------------------------
// Normalising both sides' answers to one shape, to compare them.

const nonZero = (counts) =>
  Object.fromEntries(
    counts
      .filter((c) => Number(c.count) > 0)
      .map((c) => [c.status, Number(c.count)])
      .sort(([a], [b]) => a.localeCompare(b)),
  );

const time = (t) => (t == null ? null : new Date(t).toISOString());

function normalise(kind, w, data) {
  if (kind === "plan-api") {
    if (w === "w1") {
      return data.plan.actions.nodes.map((a) => ({
        code: a.code,
        objective: a.objective,
        status: a.rag.status,
        theme: a.theme.title,
        history: a.ragHistory.edges.map(({ node: h }) => ({ ...h })),
      }));
    }
    if (w === "w2") {
      const s = data.plan.ragSummary;
      return {
        total: nonZero(s.counts),
        groups: s.groups.map((g) => ({ key: g.key, label: g.label, counts: nonZero(g.counts) })),
      };
    }
    if (w === "w3") {
      const a = data.plan.action;
      if (!a) die(`W3: plan-api has no action ${JSON.stringify(data)} (set W3_CODE to an action code of the plan)`);
      return {
        code: a.code,
        objective: a.objective,
        references: a.references.map((r) => ({ code: r.code, title: r.title })).sort((x, y) => x.code.localeCompare(y.code)),
        totalCount: a.ragHistory.totalCount,
        history: a.ragHistory.edges.map(({ node: h }) => ({ ...h, recordedAt: time(h.recordedAt) })),
      };
    }
  } else {
    if (w === "w1") {
      return data.allActions.nodes.map((a) => ({
        code: a.code,
        objective: a.objective,
        status: a.ragStatus,
        theme: a.themeByThemeId.title,
        history: a.ragUpdatesByActionId.edges.map(({ node: h }) => ({ ...h })),
      }));
    }
    if (w === "w2") {
      const rows = data.planRagSummaryByTheme.nodes;
      const total = {};
      const groups = new Map();
      for (const r of rows) {
        if (r.themeNumber == null) {
          total[r.status] = r.count;
        } else {
          const key = String(r.themeNumber);
          if (!groups.has(key)) groups.set(key, { key, label: r.themeTitle, counts: {} });
          groups.get(key).counts[r.status] = r.count;
        }
      }
      const sortObj = (o) => Object.fromEntries(Object.entries(o).sort(([a], [b]) => a.localeCompare(b)));
      return {
        total: sortObj(total),
        groups: [...groups.values()].map((g) => ({ ...g, counts: sortObj(g.counts) })),
      };
    }
    if (w === "w3") {
      const a = data.actionByPlanIdAndCode;
      if (!a) die("W3: PostGraphile found no such action (set W3_CODE to an action code of the plan)");
      return {
        code: a.code,
        objective: a.objective,
        references: a.actionReferencesByActionId.nodes
          .map((n) => ({ code: n.sourceReferenceByReferenceId.code, title: n.sourceReferenceByReferenceId.title }))
          .sort((x, y) => x.code.localeCompare(y.code)),
        totalCount: a.ragUpdatesByActionId.totalCount,
        history: a.ragUpdatesByActionId.edges.map(({ node: h }) => ({ ...h, recordedAt: time(h.recordedAt) })),
      };
    }
  }
  throw new Error(`no normaliser for ${kind} ${w}`);
}

/** The first path where two JSON values differ, or null. */
function firstDifference(a, b, path = "$") {
  if (typeof a !== typeof b || Array.isArray(a) !== Array.isArray(b) || (a === null) !== (b === null)) {
    return { path, a, b };
  }
  if (Array.isArray(a)) {
    if (a.length !== b.length) return { path: `${path}.length`, a: a.length, b: b.length };
    for (let i = 0; i < a.length; i++) {
      const d = firstDifference(a[i], b[i], `${path}[${i}]`);
      if (d) return d;
    }
    return null;
  }
  if (a && typeof a === "object") {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])];
    for (const k of keys) {
      const d = firstDifference(a[k], b[k], `${path}.${k}`);
      if (d) return d;
    }
    return null;
  }
  return a === b ? null : { path, a, b };
}

/** What must match between two datasets generated alike (the statuses are random walks). */
function shape(w, n) {
  if (w === "w1") return n.map((a) => ({ code: a.code, objective: a.objective, theme: a.theme, history: a.history.length }));
  if (w === "w2") {
    const sum = (o) => Object.values(o).reduce((s, x) => s + x, 0);
    return { total: sum(n.total), groups: n.groups.map((g) => ({ key: g.key, label: g.label, total: sum(g.counts) })) };
  }
  return { code: n.code, objective: n.objective, references: n.references, totalCount: n.totalCount, history: n.history.length };
}

function summarise(w, n) {
  if (w === "w1") {
    const h = n.reduce((s, a) => s + a.history.length, 0);
    return `${n.length} actions (${n.map((a) => a.code).join(" ")}), ${h} history entries`;
  }
  if (w === "w2") {
    const total = Object.values(n.total).reduce((s, x) => s + x, 0);
    return `${total} actions in ${n.groups.length} themes, totals ${JSON.stringify(n.total)}`;
  }
  return `action ${n.code}, ${n.references.length} reference(s), history totalCount ${n.totalCount}, ${n.history.length} entries read`;
}

// ---------------------------------------------------------------------------------------------

async function prepare(configPath) {
  const c = JSON.parse(readFileSync(configPath, "utf8"));
  mkdirSync(c.outDir, { recursive: true });
  const workloads = c.probeWorkloads ?? ["w1", "w2", "w3", "w4"];
  const w4Count = c.w4Count ?? 120;

  // code -> global id on each plan-api target (through its own API).
  const listings = new Map();
  for (const t of c.targets.filter((t) => t.kind === "plan-api")) listings.set(t.name, await planApiActionIds(t, c.plan));

  // W4's actions: the first w4Count active actions of the plan in plan order, leaving out W3's
  // action (so W3 reads the same history all run long). From the database when the run uses
  // PostgreSQL, else from plan-api's listing (which is in plan order).
  let plannedActions;
  if (c.pg?.actions) {
    plannedActions = c.pg.actions.map((a) => ({ code: a.code, active: a.state === "active" }));
  } else {
    plannedActions = [...listings.values().next().value.values()].map((a) => ({ code: a.code, active: a.state === "ACTIVE" }));
  }
  const w4Codes = plannedActions.filter((a) => a.active && a.code !== c.w3Code).slice(0, w4Count).map((a) => a.code);
  if (w4Codes.length < w4Count) die(`plan ${c.plan} has only ${w4Codes.length} active actions besides ${c.w3Code}; W4 wants ${w4Count}`);
  c.w4 = w4Codes;
  writeFileSync(`${c.outDir}/w4-actions.json`, JSON.stringify(w4Codes));
  const pgIdByCode = new Map((c.pg?.actions ?? []).map((a) => [a.code, a.id]));

  for (const t of c.targets) {
    const q = t.kind === "plan-api" ? planApiQueries(c) : postgraphileQueries(c);
    let ids;
    if (t.kind === "plan-api") {
      const byCode = listings.get(t.name);
      ids = w4Codes.map((code) => {
        const a = byCode.get(code);
        if (!a) die(`action ${code} of ${c.plan} is missing on ${t.name}`);
        if (a.state !== "ACTIVE") die(`action ${code} of ${c.plan} is ${a.state} on ${t.name}; W4 needs active actions`);
        return a.id;
      });
    } else {
      ids = w4Codes.map((code) => {
        const id = pgIdByCode.get(code);
        if (id == null) die(`action ${code} of ${c.plan} is missing in the database`);
        return String(id);
      });
    }
    t.queries = q;
    t.w4Ids = ids;
    const headers = { "Content-Type": "application/json" };
    if (t.token) headers.Authorization = `Bearer ${t.token}`;
    const body = (query) => JSON.stringify({ query });
    const long = (s) => {
      if (s.includes("]==]")) die("a request body contains ]==]");
      return `[==[${s}]==]`;
    };
    const lua = [
      `-- ${t.name}: generated by bench/lib/harness.mjs for plan ${c.plan}; do not edit.`,
      "return {",
      `  path = ${long(new URL(t.url).pathname)},`,
      "  headers = {",
      ...Object.entries(headers).map(([k, v]) => `    [ ${long(k)} ] = ${long(v)},`),
      "  },",
      `  w1 = ${long(body(q.w1))},`,
      `  w2 = ${long(body(q.w2))},`,
      `  w3 = ${long(body(q.w3))},`,
      `  w4_parts = { ${w4Parts(q.w4, t.kind === "plan-api").map(long).join(", ")} },`,
      `  w4_ids = { ${ids.map((id) => long(id)).join(", ")} },`,
      "}",
      "",
    ].join("\n");
    writeFileSync(`${c.outDir}/${t.name}.lua`, lua);
    // The same bodies as files, for curl and for the record.
    writeFileSync(`${c.outDir}/${t.name}.queries.json`, JSON.stringify({ ...q, w4Ids: ids }, null, 2));
  }

  // Probe W1-W3 on every target before any write, and compare.
  const probes = {};
  const reference = c.targets.find((t) => t.name === c.referenceTarget) ?? c.targets[0];
  for (const w of workloads.filter((w) => w !== "w4")) {
    probes[w] = {};
    for (const t of c.targets) {
      const data = await gql(t, t.queries[w], undefined, `the ${w.toUpperCase()} probe`);
      probes[w][t.name] = normalise(t.kind, w, data);
    }
    const ref = probes[w][reference.name];
    if (w === "w1" && ref.length !== 15) die(`W1 on ${reference.name} returned ${ref.length} actions, not 15: pick a work stream with at least 15 actions`);
    console.log(`probe ${w.toUpperCase()}: ${summarise(w, ref)}`);
    const same = [reference.name];
    const shaped = [];
    for (const t of c.targets) {
      if (t === reference) continue;
      // Servers over the same database must return the same data; a server over another
      // dataset (plan-api's SQLite file) must return the same shape: the same actions, as many
      // history entries, the same totals.
      const sameDb = t.db === reference.db;
      const a = sameDb ? ref : shape(w, ref);
      const b = sameDb ? probes[w][t.name] : shape(w, probes[w][t.name]);
      const d = firstDifference(a, b);
      if (d) {
        die(
          `${w.toUpperCase()} differs between ${reference.name} and ${t.name} at ${d.path}` +
            `${sameDb ? "" : " (comparing the shape only: they read different datasets)"}:\n` +
            `  ${reference.name}: ${JSON.stringify(d.a)}\n  ${t.name}: ${JSON.stringify(d.b)}\n` +
            `The comparison would not be fair; see ${c.outDir}/probe.json`,
        );
      }
      (sameDb ? same : shaped).push(t.name);
    }
    console.log(`  same data on ${same.join(", ")}${shaped.length ? `; same shape on ${shaped.join(", ")} (another dataset)` : ""}`);
  }
  writeFileSync(`${c.outDir}/probe.json`, JSON.stringify(probes, null, 2));

  if (workloads.includes("w4")) {
    for (const t of c.targets) {
      const variables = { id: t.kind === "plan-api" ? t.w4Ids[0] : Number(t.w4Ids[0]), status: "AMBER" };
      const data = await gql(t, t.queries.w4, variables, "the W4 probe");
      const status = t.kind === "plan-api" ? data.recordRagUpdate.ragUpdate.status : data.recordRagUpdate.result.status;
      if (status !== "AMBER") die(`W4 probe on ${t.name} recorded ${status}, not AMBER`);
    }
    console.log(`probe W4: recordRagUpdate answered on ${c.targets.map((t) => t.name).join(", ")} (${w4Codes.length} actions rotate: ${w4Codes[0]} .. ${w4Codes.at(-1)})`);
  }
}

// ---------------------------------------------------------------------------------------------
// Report

const median = (xs) => {
  const s = xs.filter((x) => x != null && !Number.isNaN(x)).sort((a, b) => a - b);
  if (!s.length) return null;
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const fmt = (x, d = 1) => (x == null ? "–" : Number(x).toLocaleString("en-GB", { minimumFractionDigits: d, maximumFractionDigits: d }));
const mib = (kb) => (kb == null ? "–" : (kb / 1024).toFixed(1));

function report(metaPath, resultsPath, outPrefix) {
  const meta = JSON.parse(readFileSync(metaPath, "utf8"));
  const rows = readFileSync(resultsPath, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l));
  const key = (r) => `${r.dataset ?? ""}|${r.workload}|${r.conns}|${r.target}`;
  const cells = new Map();
  for (const r of rows) {
    if (!cells.has(key(r))) cells.set(key(r), { dataset: r.dataset, workload: r.workload, conns: r.conns, target: r.target, rounds: [] });
    cells.get(key(r)).rounds.push(r);
  }
  const summary = [...cells.values()].map((c) => ({
    dataset: c.dataset,
    workload: c.workload,
    conns: c.conns,
    target: c.target,
    rounds: c.rounds.length,
    rps: median(c.rounds.map((r) => r.rps)),
    p50_ms: median(c.rounds.map((r) => r.p50_ms)),
    p99_ms: median(c.rounds.map((r) => r.p99_ms)),
    errors: c.rounds.reduce((s, r) => s + r.errors + r.socket_errors.connect + r.socket_errors.read + r.socket_errors.write + r.socket_errors.timeout, 0),
    requests: c.rounds.reduce((s, r) => s + r.requests, 0),
    peak_rss_kb: Math.max(...c.rounds.map((r) => r.peak_rss_kb ?? 0)) || null,
    cpu_ms_per_req: median(c.rounds.map((r) => (r.requests ? r.cpu_ms / r.requests : null))),
    first_error: c.rounds.map((r) => r.first_error).find((e) => e) ?? "",
  }));

  const out = [];
  const p = (s = "") => out.push(s);
  p(`# plan-api load benchmark: ${meta.mode === "curve" ? "cost curve" : "plan-api vs PostGraphile"}`);
  p();
  p(`- date: ${meta.date}`);
  p(`- machine: ${meta.machine}`);
  p(`- plan-api: ${meta.plan_api}`);
  p(`- versions: ${Object.entries(meta.versions).map(([k, v]) => `${k} ${v}`).join("; ")}`);
  p(`- dataset: ${meta.dataset}`);
  p(`- settings: ${meta.settings}`);
  if (meta.notes?.length) for (const n of meta.notes) p(`- ${n}`);
  p();
  p("Medians of the rounds; errors are summed over the rounds (non-200, a body with `\"errors\"`, or a socket error);");
  p("peak RSS is the largest VmHWM over the measured periods (the Node cluster's primary and workers added up);");
  p("CPU is the server's user+system time per request during the measured period (PostgreSQL's own CPU not included).");
  p();

  const targets = meta.targets;
  const workloads = [...new Set(summary.map((s) => s.workload))];
  const conns = [...new Set(summary.map((s) => s.conns))];
  const datasets = [...new Set(summary.map((s) => s.dataset ?? ""))];
  const find = (d, w, c, t) => summary.find((s) => (s.dataset ?? "") === d && s.workload === w && s.conns === c && s.target === t);

  if (meta.mode === "curve") {
    p("| dataset | engine | conns | " + workloads.map((w) => `${w} req/s | ${w} p99 ms`).join(" | ") + " | errors |");
    p("|---|---|---|" + workloads.map(() => "---:|---:").join("|") + "|---:|");
    for (const d of datasets) {
      for (const t of targets) {
        for (const c of conns) {
          const cs = workloads.map((w) => find(d, w, c, t));
          if (cs.every((x) => !x)) continue;
          const errs = cs.reduce((s, x) => s + (x?.errors ?? 0), 0);
          p(`| ${d} | ${t} | ${c} | ${cs.map((x) => `${fmt(x?.rps, 0)} | ${fmt(x?.p99_ms)}`).join(" | ")} | ${errs} |`);
        }
      }
    }
    p();
    // The issue's targets as ratios: req/s kept with the longest history against the
    // shortest (same plans), and p99 with the most plans against the fewest (same history).
    const parsed = datasets
      .map((d) => ({ d, m: /^(\d+)p-u(\d+)$/.exec(d) }))
      .filter((x) => x.m)
      .map((x) => ({ d: x.d, plans: Number(x.m[1]), hist: Number(x.m[2]) }));
    const plansSet = [...new Set(parsed.map((x) => x.plans))].sort((a, b) => a - b);
    const histSet = [...new Set(parsed.map((x) => x.hist))].sort((a, b) => a - b);
    const label = (plans, hist) => parsed.find((x) => x.plans === plans && x.hist === hist)?.d;
    if (histSet.length > 1 || plansSet.length > 1) {
      const [h0, h1] = [histSet[0], histSet.at(-1)];
      const [p0, p1] = [plansSet[0], plansSet.at(-1)];
      if (histSet.length > 1) p(`- req/s with --updates ${h1} over req/s with --updates ${h0}, same plans (the issue's target for W1 and W3, with 10x the history: at least 0.80);`);
      if (plansSet.length > 1) p(`- p99 with ${p1} plans over p99 with ${p0}, same history (the issue's target: at most 1.5).`);
      p();
      const cols = [];
      if (histSet.length > 1) for (const pl of plansSet) cols.push({ head: `req/s ${pl}p: u${h1}/u${h0}`, a: label(pl, h1), b: label(pl, h0), f: "rps" });
      if (plansSet.length > 1) for (const h of histSet) cols.push({ head: `p99 u${h}: ${p1}p/${p0}p`, a: label(p1, h), b: label(p0, h), f: "p99_ms" });
      p("| engine | conns | workload | " + cols.map((x) => x.head).join(" | ") + " |");
      p("|---|---|---|" + cols.map(() => "---:").join("|") + "|");
      for (const t of targets) {
        for (const c of conns) {
          for (const w of workloads) {
            const vals = cols.map((x) => {
              const a = x.a && find(x.a, w, c, t);
              const b = x.b && find(x.b, w, c, t);
              return a && b && b[x.f] ? (a[x.f] / b[x.f]).toFixed(2) : "–";
            });
            if (vals.every((v) => v === "–")) continue;
            p(`| ${t} | ${c} | ${w} | ${vals.join(" | ")} |`);
          }
        }
      }
      p();
    }
  } else {
    p("| workload | conns | server | req/s | p50 ms | p99 ms | errors | peak RSS MiB | CPU ms/req |");
    p("|---|---:|---|---:|---:|---:|---:|---:|---:|");
    for (const w of workloads) {
      for (const c of conns) {
        for (const t of targets) {
          const s = find(datasets[0], w, c, t);
          if (!s) continue;
          p(`| ${w} | ${c} | ${t} | ${fmt(s.rps, 0)} | ${fmt(s.p50_ms)} | ${fmt(s.p99_ms)} | ${s.errors} | ${mib(s.peak_rss_kb)} | ${fmt(s.cpu_ms_per_req, 2)} |`);
        }
      }
    }
    p();
    const ours = targets.filter((t) => t === "api-pg");
    const theirs = targets.filter((t) => t.startsWith("pgl-"));
    if (ours.length && theirs.length) {
      p("Ratios ours/theirs on PostgreSQL (req/s: higher is better for plan-api; p99: lower is better for plan-api).");
      p();
      p("| workload | conns | " + theirs.map((t) => `req/s api-pg/${t} | p99 api-pg/${t}`).join(" | ") + " |");
      p("|---|---:|" + theirs.map(() => "---:|---:").join("|") + "|");
      for (const w of workloads) {
        for (const c of conns) {
          const o = find(datasets[0], w, c, "api-pg");
          if (!o) continue;
          const cols = theirs.map((t) => {
            const x = find(datasets[0], w, c, t);
            if (!x || !x.rps || !x.p99_ms) return "– | –";
            return `${(o.rps / x.rps).toFixed(2)} | ${(o.p99_ms / x.p99_ms).toFixed(2)}`;
          });
          p(`| ${w} | ${c} | ${cols.join(" | ")} |`);
        }
      }
      p();
    }
  }
  const errored = summary.filter((s) => s.errors > 0);
  if (errored.length) {
    p("Cells with errors (first error seen):");
    p();
    for (const s of errored) p(`- ${s.dataset ? s.dataset + " " : ""}${s.workload} c${s.conns} ${s.target}: ${s.errors} errors; ${s.first_error.replace(/\s+/g, " ").slice(0, 300)}`);
    p();
  }
  p("Commands:");
  p();
  p("```sh");
  for (const cmd of meta.commands) p(cmd);
  p("```");
  p();
  const md = out.join("\n");
  mkdirSync(dirname(outPrefix), { recursive: true });
  writeFileSync(`${outPrefix}.md`, md);
  writeFileSync(`${outPrefix}.json`, JSON.stringify({ meta, cells: summary, rounds: rows }, null, 2));
  console.log(md);
}

// ---------------------------------------------------------------------------------------------

try {
  if (command === "prepare") await prepare(args[0]);
  else if (command === "report") report(args[0], args[1], args[2]);
  else die(`unknown command ${command ?? "(none)"}; use prepare or report`);
} catch (e) {
  die(e?.stack ?? String(e));
}
