//! Running cases against a server: in this process (`TestApp`) or the real binary in a child
//! process (so that a crash is a reported failure, not the end of the test binary), with a
//! bystander client whose ordinary queries must keep being served, a wall-clock budget, and
//! the summary.
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use super::cases::{self, Case, Pool, Transport};
use super::check::{check, Bounds, Violation, FAST_REFUSAL};
use super::client::{Answer, Client};
use super::schema::Schema;
use crate::helpers::{Binary, Engine, TestApp, TestDb};

/// The request timeout the suite's servers run with: long enough for any honest answer of the
/// shipped plan, short enough that a run stays within its budget.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);
/// Cases between liveness checks.
const BATCH: usize = 25;
/// Failing cases written out in full per run.
const MAX_SAVED: usize = 200;
/// The slowest the bystander's ordinary query may be while cases run.
const BYSTANDER_PATIENCE_MS: u64 = 2_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    InProcess,
    Child,
}

enum Inner {
    App(Box<TestApp>),
    Child {
        bin: Option<Binary>,
        db: TestDb,
        env: Vec<(String, String)>,
        seen: usize,
    },
}

/// A server under test.
pub struct Server {
    inner: Inner,
    pub target: Target,
    pub restarts: usize,
}

impl Server {
    pub async fn start(engine: Engine, target: Target) -> Self {
        Self::start_with(engine, target, Vec::new(), |_| {}).await
    }

    /// With extra environment for a child (which reads its settings from there), or adjusted
    /// serving settings in process (`adjust` is not applied to a child).
    pub async fn start_with(
        engine: Engine,
        target: Target,
        env: Vec<(String, String)>,
        adjust: impl FnOnce(&mut plan_api::config::Serving),
    ) -> Self {
        let inner = match target {
            Target::InProcess => Inner::App(Box::new(
                TestApp::spawn_adjusted(engine, |s| {
                    s.rate = plan_api::admission::RatePolicy::unlimited();
                    s.webhooks.deliver = false;
                    s.door.request_timeout = REQUEST_TIMEOUT;
                    adjust(s);
                })
                .await,
            )),
            Target::Child => {
                let db = TestDb::new(engine).await;
                let mut env_all = vec![
                    (
                        "PLAN_API_REQUEST_TIMEOUT".to_string(),
                        format!("{}s", REQUEST_TIMEOUT.as_secs()),
                    ),
                    ("PLAN_API_WEBHOOKS".to_string(), "false".to_string()),
                    ("RUST_LOG".to_string(), "warn".to_string()),
                ];
                env_all.extend(env);
                let bin = start_binary(&db.url, &env_all).await;
                Inner::Child {
                    bin: Some(bin),
                    db,
                    env: env_all,
                    seen: 0,
                }
            }
        };
        Self {
            inner,
            target,
            restarts: 0,
        }
    }

    pub fn addr(&self) -> SocketAddr {
        match &self.inner {
            Inner::App(app) => app.addr,
            Inner::Child { bin, .. } => bin
                .as_ref()
                .map_or_else(|| "127.0.0.1:9".parse().expect("addr"), |b| b.addr),
        }
    }

    /// `GET /healthz` answers `ok`.
    pub async fn healthy(&self, http: &reqwest::Client) -> bool {
        let res = http
            .get(format!("http://{}/healthz", self.addr()))
            .timeout(Duration::from_secs(3))
            .send()
            .await;
        match res {
            Ok(r) if r.status() == 200 => r.text().await.is_ok_and(|t| t.trim() == "ok"),
            _ => false,
        }
    }

    /// Lines the child wrote since the last call that say it panicked or crashed, with the
    /// line after each (the panic's message).
    pub fn new_trouble(&mut self) -> Vec<String> {
        let Inner::Child {
            bin: Some(bin),
            seen,
            ..
        } = &mut self.inner
        else {
            return Vec::new();
        };
        let Ok(log) = bin.log.lock() else {
            return Vec::new();
        };
        let mut out = Vec::new();
        let mut i = *seen;
        while i < log.len() {
            let line = &log[i];
            if line.contains("panicked at") || line.contains("overflowed its stack") {
                let next = log.get(i + 1).map(String::as_str).unwrap_or("");
                out.push(format!("{} | {}", line.trim(), next.trim()));
                i += 1;
            }
            i += 1;
        }
        *seen = log.len();
        out
    }

    /// The child's exit status, if it has exited (waiting up to `grace` for it to).
    pub fn exited(&mut self, grace: Duration) -> Option<String> {
        match &mut self.inner {
            Inner::Child { bin: Some(bin), .. } => bin.wait_exit(grace).map(|s| format!("{s}")),
            _ => None,
        }
    }

    /// After a case: a crash of the child (with what it wrote about it), else any panic it
    /// logged; a crashed child is started again.
    pub async fn after_case(
        &mut self,
        http: &reqwest::Client,
        answer_failed: bool,
    ) -> Vec<Violation> {
        let mut out = Vec::new();
        if self.target != Target::Child {
            return out;
        }
        // A connection that broke may mean a dying process: give it a moment to be reaped.
        let grace = if answer_failed && !self.healthy(http).await {
            Duration::from_millis(1_500)
        } else {
            Duration::ZERO
        };
        if let Some(status) = self.exited(grace) {
            let mut detail = format!("the process exited ({status})");
            for line in self.new_trouble() {
                detail.push_str("; ");
                detail.push_str(&line);
            }
            out.push(Violation::new("the server stays up", detail));
            self.restart().await;
            return out;
        }
        for line in self.new_trouble() {
            out.push(Violation::new("the server does not panic", line));
        }
        if answer_failed && !self.healthy(http).await {
            out.push(Violation::new(
                "the server stays up",
                "GET /healthz failed after this case",
            ));
            self.restart().await;
        }
        out
    }

    /// Starts the child again over the same database, after a crash.
    pub async fn restart(&mut self) -> bool {
        let Inner::Child { bin, db, env, seen } = &mut self.inner else {
            return false;
        };
        drop(bin.take());
        *bin = Some(start_binary(&db.url, env).await);
        *seen = 0;
        self.restarts += 1;
        true
    }

    /// Forgets the statements the in-process server recorded (they would pile up).
    pub fn forget_statements(&self) {
        if let Inner::App(app) = &self.inner {
            app.reset_statements();
        }
    }
}

async fn start_binary(url: &str, env: &[(String, String)]) -> Binary {
    let url = url.to_string();
    let env = env.to_vec();
    tokio::task::spawn_blocking(move || {
        let pairs: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        Binary::start(&url, &pairs)
    })
    .await
    .expect("start plan-api")
}

/// Another client, sending an ordinary query every few milliseconds: the server must keep
/// serving it whatever the cases do.
struct Bystander {
    served: Arc<AtomicU64>,
    worst_ms: Arc<AtomicU64>,
    batch_worst_ms: Arc<AtomicU64>,
    failures: Arc<Mutex<Vec<String>>>,
    paused: Arc<AtomicBool>,
    stop: Arc<AtomicBool>,
    addr: Arc<Mutex<SocketAddr>>,
    task: tokio::task::JoinHandle<()>,
}

const ORDINARY: &str = "{ plan(slug: \"herefordshire-2012\") { actions(first: 5) { nodes { code rag { status } } } } }";

impl Bystander {
    fn start(addr: SocketAddr, token: String) -> Self {
        let served = Arc::new(AtomicU64::new(0));
        let worst_ms = Arc::new(AtomicU64::new(0));
        let batch_worst_ms = Arc::new(AtomicU64::new(0));
        let failures = Arc::new(Mutex::new(Vec::new()));
        let paused = Arc::new(AtomicBool::new(false));
        let stop = Arc::new(AtomicBool::new(false));
        let addr = Arc::new(Mutex::new(addr));
        let task = {
            let (served, worst_ms, batch_worst_ms, failures, paused, stop, addr) = (
                served.clone(),
                worst_ms.clone(),
                batch_worst_ms.clone(),
                failures.clone(),
                paused.clone(),
                stop.clone(),
                addr.clone(),
            );
            tokio::spawn(async move {
                let http = reqwest::Client::new();
                while !stop.load(Ordering::SeqCst) {
                    tokio::time::sleep(Duration::from_millis(25)).await;
                    if paused.load(Ordering::SeqCst) {
                        continue;
                    }
                    let at = *addr.lock().expect("addr");
                    let started = Instant::now();
                    let res = http
                        .post(format!("http://{at}/graphql"))
                        .bearer_auth(&token)
                        .json(&json!({ "query": ORDINARY }))
                        .timeout(Duration::from_secs(10))
                        .send()
                        .await;
                    let ok = match res {
                        Ok(r) if r.status() == 200 => {
                            r.json::<Value>().await.ok().is_some_and(|b| {
                                b["data"]["plan"]["actions"]["nodes"]
                                    .as_array()
                                    .map(Vec::len)
                                    == Some(5)
                            })
                        }
                        _ => false,
                    };
                    let ms = started.elapsed().as_millis() as u64;
                    if paused.load(Ordering::SeqCst) {
                        continue;
                    }
                    if ok {
                        served.fetch_add(1, Ordering::SeqCst);
                        worst_ms.fetch_max(ms, Ordering::SeqCst);
                        batch_worst_ms.fetch_max(ms, Ordering::SeqCst);
                    } else if let Ok(mut f) = failures.lock() {
                        f.push(format!("the ordinary query failed after {ms} ms"));
                    }
                }
            })
        };
        Self {
            served,
            worst_ms,
            batch_worst_ms,
            failures,
            paused,
            stop,
            addr,
            task,
        }
    }

    fn take_failures(&self) -> Vec<String> {
        self.failures
            .lock()
            .map(|mut f| std::mem::take(&mut *f))
            .unwrap_or_default()
    }

    async fn finish(self) -> u64 {
        self.stop.store(true, Ordering::SeqCst);
        let _ = self.task.await;
        self.served.load(Ordering::SeqCst)
    }
}

/// What to run.
pub struct Plan {
    pub name: &'static str,
    pub seed: u64,
    pub budget: Duration,
    pub pool: Pool,
    /// Shares of the budget by transport.
    pub shares: Vec<(Transport, f64)>,
    /// Only this case (a replay).
    pub only: Option<(Transport, u64)>,
}

#[derive(Debug, Default, Clone)]
pub struct TransportStats {
    pub cases: u64,
    pub admitted: u64,
    pub refused: u64,
    pub neither: u64,
    pub time: Duration,
}

/// A case that broke a property.
#[derive(Debug, Clone)]
pub struct Failure {
    pub case_id: String,
    pub kind: String,
    pub transport: &'static str,
    pub caller: &'static str,
    pub violations: Vec<Violation>,
    pub case_json: Value,
    pub file: Option<String>,
}

#[derive(Debug, Default)]
pub struct Report {
    pub name: String,
    pub seed: u64,
    pub per_transport: BTreeMap<&'static str, TransportStats>,
    pub codes: BTreeMap<String, u64>,
    pub kinds: BTreeMap<String, u64>,
    pub slowest_refusal: Option<(Duration, String)>,
    /// Refusals slow once and fast when sent again (scheduling noise, reported).
    pub timing_noise: Vec<String>,
    pub failures: Vec<Failure>,
    pub bystander_served: u64,
    pub bystander_worst_ms: u64,
    pub restarts: usize,
    pub elapsed: Duration,
}

pub async fn run(server: &mut Server, schema: &Schema, plan: &Plan) -> Report {
    let tokens = cases::Tokens::mint(plan.budget + Duration::from_secs(3600));
    let client = Client::new(tokens.clone(), REQUEST_TIMEOUT);
    let bounds = Bounds::new(REQUEST_TIMEOUT);
    let http = reqwest::Client::new();
    let bystander = Bystander::start(server.addr(), tokens.viewer.clone());
    let mut report = Report {
        name: plan.name.to_string(),
        seed: plan.seed,
        ..Report::default()
    };
    let in_flight = (server.target == Target::InProcess).then(|| {
        let dir = std::env::temp_dir().join("plan-api-adversarial");
        let _ = std::fs::create_dir_all(&dir);
        dir.join(format!("in-flight-{}.json", std::process::id()))
    });
    if let Some(p) = &in_flight {
        eprintln!(
            "[{}] the case in flight is kept in {}",
            plan.name,
            p.display()
        );
    }
    let started = Instant::now();
    let mut next: BTreeMap<Transport, u64> = BTreeMap::new();
    let mut used: BTreeMap<Transport, Duration> = BTreeMap::new();
    let mut in_batch = 0usize;
    let mut batch_first: Option<String> = None;
    let mut served_at_batch = 0u64;
    let mut restarts_at_batch = 0usize;
    let mut batch_started = Instant::now();
    let mut dead = false;
    loop {
        let (transport, index) = match plan.only {
            Some((t, i)) => {
                if next.contains_key(&t) {
                    break;
                }
                next.insert(t, i + 1);
                (t, i)
            }
            None => {
                if started.elapsed() >= plan.budget {
                    break;
                }
                // The transport furthest behind its share of the time.
                let Some(t) = plan
                    .shares
                    .iter()
                    .filter(|(_, s)| *s > 0.0)
                    .min_by(|a, b| {
                        let ra = used.get(&a.0).map_or(0.0, Duration::as_secs_f64) / a.1;
                        let rb = used.get(&b.0).map_or(0.0, Duration::as_secs_f64) / b.1;
                        ra.total_cmp(&rb)
                    })
                    .map(|(t, _)| *t)
                else {
                    break;
                };
                let i = next.entry(t).or_insert(0);
                *i += 1;
                (t, *i - 1)
            }
        };
        let case = cases::case(schema, plan.seed, transport, plan.pool, index);
        if let Some(path) = &in_flight {
            // Should this process die (a crash in process), the case that killed it is here.
            let _ = std::fs::write(
                path,
                serde_json::to_vec_pretty(&case.to_json(usize::MAX)).unwrap_or_default(),
            );
        }
        let case_started = Instant::now();
        let (answer, violations) = run_case(
            server,
            &client,
            &http,
            &bystander,
            &case,
            &bounds,
            &mut report,
        )
        .await;
        *used.entry(transport).or_default() += case_started.elapsed();
        record(&mut report, &case, &answer, violations, plan.only.is_some());
        batch_first.get_or_insert_with(|| case.id());
        in_batch += 1;
        if server.target == Target::InProcess
            && answer.failure.is_some()
            && !server.healthy(&http).await
        {
            dead = true;
        }
        if in_batch >= BATCH || dead || plan.only.is_some() {
            let ids = format!("{}..{}", batch_first.take().unwrap_or_default(), case.id());
            let mut v = Vec::new();
            if !server.healthy(&http).await {
                v.push(Violation::new(
                    "the server stays up",
                    "GET /healthz did not answer ok",
                ));
                dead = true;
            }
            let served = bystander.served.load(Ordering::SeqCst);
            // After a crash the bystander waited for the restart: the crash is the failure.
            let crashed = server.restarts != restarts_at_batch;
            if served == served_at_batch
                && batch_started.elapsed() > Duration::from_secs(1)
                && !crashed
            {
                v.push(Violation::new(
                    "another client is served meanwhile",
                    format!(
                        "no ordinary query was answered in {:?}",
                        batch_started.elapsed()
                    ),
                ));
            }
            for f in bystander.take_failures().into_iter().filter(|_| !crashed) {
                v.push(Violation::new("another client is served meanwhile", f));
            }
            // An ordinary query takes milliseconds; seconds mean a case starved the server.
            let worst = bystander.batch_worst_ms.swap(0, Ordering::SeqCst);
            if worst > BYSTANDER_PATIENCE_MS && !crashed {
                v.push(Violation::new(
                    "another client is served meanwhile",
                    format!("an ordinary query took {worst} ms"),
                ));
            }
            if !v.is_empty() {
                report.failures.push(Failure {
                    case_id: format!("batch {ids}"),
                    kind: "batch".into(),
                    transport: transport.name(),
                    caller: "-",
                    violations: v,
                    case_json: json!({ "batch": ids }),
                    file: None,
                });
            }
            served_at_batch = served;
            restarts_at_batch = server.restarts;
            batch_started = Instant::now();
            in_batch = 0;
            server.forget_statements();
        }
        if dead {
            if server.target == Target::Child {
                bystander.paused.store(true, Ordering::SeqCst);
                server.restart().await;
                *bystander.addr.lock().expect("addr") = server.addr();
                bystander.take_failures();
                bystander.paused.store(false, Ordering::SeqCst);
                dead = false;
            } else {
                eprintln!(
                    "[{}] the in-process server is down: stopping the run",
                    plan.name
                );
                break;
            }
        }
        if let Some(t) = plan
            .shares
            .iter()
            .find(|(t, _)| *t == transport)
            .map(|(t, _)| *t)
        {
            report.per_transport.entry(t.name()).or_default().time = used[&t];
        }
    }
    if let Some(p) = &in_flight {
        let _ = std::fs::remove_file(p);
    }
    report.bystander_worst_ms = bystander.worst_ms.load(Ordering::SeqCst);
    report.bystander_served = bystander.finish().await;
    report.restarts = server.restarts;
    report.elapsed = started.elapsed();
    report
}

/// Sends a case, checks it, and sends it once more if only its timing failed.
async fn run_case(
    server: &mut Server,
    client: &Client,
    http: &reqwest::Client,
    bystander: &Bystander,
    case: &Case,
    bounds: &Bounds,
    report: &mut Report,
) -> (Answer, Vec<Violation>) {
    let mut answer = client.send(server.addr(), case).await;
    let mut violations = check(case, &answer, bounds);
    if !violations.is_empty() && violations.iter().all(|v| v.property == FAST_REFUSAL) {
        let first = answer.elapsed;
        let again = client.send(server.addr(), case).await;
        let v2 = check(case, &again, bounds);
        if v2.iter().all(|v| v.property != FAST_REFUSAL) {
            report.timing_noise.push(format!(
                "{} ({}): refused in {first:?}, then in {:?}",
                case.id(),
                case.kind,
                again.elapsed
            ));
        } else {
            violations = v2
                .into_iter()
                .map(|mut v| {
                    if v.property == FAST_REFUSAL {
                        v.detail = format!("{} (first try: {first:?})", v.detail);
                    }
                    v
                })
                .collect();
            answer = again;
        }
        if violations.iter().all(|v| v.property != FAST_REFUSAL) {
            violations.clear();
        }
    }
    let restarts = server.restarts;
    violations.extend(server.after_case(http, answer.failure.is_some()).await);
    if server.restarts != restarts {
        bystander.paused.store(true, Ordering::SeqCst);
        *bystander.addr.lock().expect("addr") = server.addr();
        bystander.take_failures();
        bystander.paused.store(false, Ordering::SeqCst);
    }
    (answer, violations)
}

fn record(
    report: &mut Report,
    case: &Case,
    answer: &Answer,
    violations: Vec<Violation>,
    replay: bool,
) {
    let t = report
        .per_transport
        .entry(case.transport.name())
        .or_default();
    t.cases += 1;
    if answer.admitted() {
        t.admitted += 1;
    } else if answer.refused() {
        t.refused += 1;
        if report
            .slowest_refusal
            .as_ref()
            .is_none_or(|(d, _)| answer.elapsed > *d)
        {
            report.slowest_refusal =
                Some((answer.elapsed, format!("{} ({})", case.id(), case.kind)));
        }
    } else {
        t.neither += 1;
    }
    *report.kinds.entry(case.kind.clone()).or_default() += 1;
    for c in answer.codes() {
        *report.codes.entry(c).or_default() += 1;
    }
    if let Some(s) = answer.status {
        *report.codes.entry(format!("HTTP {s}")).or_default() += 1;
    }
    if let Some((c, _)) = &answer.ws_close {
        *report.codes.entry(format!("WS close {c}")).or_default() += 1;
    }
    if replay {
        eprintln!(
            "replayed {}:\n{:#}\nanswer: HTTP {:?}, {} bytes in {:?}, close {:?}, failure {:?}\n{}",
            case.id(),
            case.to_json(4_000),
            answer.status,
            answer.bytes,
            answer.elapsed,
            answer.ws_close,
            answer.failure,
            answer
                .payloads
                .iter()
                .map(|p| cases::shorten(&p.to_string(), 2_000))
                .collect::<Vec<_>>()
                .join("\n")
        );
    }
    if violations.is_empty() {
        return;
    }
    // The first cases in full beside the report; a long run's later ones are replayed by id.
    let file = (report.failures.len() < MAX_SAVED)
        .then(|| save_case(case))
        .flatten();
    report.failures.push(Failure {
        case_id: case.id(),
        kind: case.kind.clone(),
        transport: case.transport.name(),
        caller: case.caller.name(),
        violations,
        case_json: case.to_json(400),
        file,
    });
}

/// The whole case (every byte of it) beside the report, for a replay by hand.
fn save_case(case: &Case) -> Option<String> {
    let dir = std::env::temp_dir().join("plan-api-adversarial");
    std::fs::create_dir_all(&dir).ok()?;
    let path = dir.join(format!(
        "seed-{}-{}.json",
        case.seed,
        case.id().replace(':', "-")
    ));
    let full = case.to_json(usize::MAX);
    std::fs::write(&path, serde_json::to_vec_pretty(&full).ok()?).ok()?;
    Some(path.display().to_string())
}

impl Report {
    pub fn print(&self) {
        eprintln!(
            "\n==== adversarial: {} (seed {}), {:?} ====",
            self.name, self.seed, self.elapsed
        );
        for (t, s) in &self.per_transport {
            eprintln!(
                "  {t:>4}: {:>5} cases in {:>6.1?}: {:>5} admitted, {:>5} refused, {:>3} neither",
                s.cases, s.time, s.admitted, s.refused, s.neither
            );
        }
        let codes: Vec<String> = self.codes.iter().map(|(c, n)| format!("{c} {n}")).collect();
        eprintln!("  answers by code: {}", codes.join(", "));
        if let Some((d, id)) = &self.slowest_refusal {
            eprintln!("  slowest refusal: {d:?} ({id})");
        }
        eprintln!(
            "  bystander: {} ordinary queries served, slowest {} ms; restarts after crashes: {}",
            self.bystander_served, self.bystander_worst_ms, self.restarts
        );
        if !self.timing_noise.is_empty() {
            eprintln!(
                "  slow once, fast when sent again ({}):",
                self.timing_noise.len()
            );
            for n in self.timing_noise.iter().take(20) {
                eprintln!("    {n}");
            }
        }
        let mut kinds: Vec<(&String, &u64)> = self.kinds.iter().collect();
        kinds.sort_by(|a, b| b.1.cmp(a.1));
        eprintln!(
            "  families: {}",
            kinds
                .iter()
                .map(|(k, n)| format!("{k} {n}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        if self.failures.is_empty() {
            eprintln!("  no property broken");
            return;
        }
        eprintln!("{}", self.failure_text());
    }

    /// Failures grouped by (property, family, transport): how many, which cases, and the
    /// first case in full.
    pub fn failure_text(&self) -> String {
        type Key = (String, String, String);
        let mut groups: BTreeMap<Key, Vec<(&Failure, &Violation)>> = BTreeMap::new();
        for f in &self.failures {
            for v in &f.violations {
                groups
                    .entry((
                        v.property.to_string(),
                        f.kind.clone(),
                        f.transport.to_string(),
                    ))
                    .or_default()
                    .push((f, v));
            }
        }
        let mut out = format!(
            "  {} failing cases, {} kinds of failure:\n",
            self.failures.len(),
            groups.len()
        );
        for ((property, kind, transport), items) in &groups {
            let (first, v) = items[0];
            let others: Vec<&str> = items
                .iter()
                .skip(1)
                .take(8)
                .map(|(f, _)| f.case_id.as_str())
                .collect();
            out.push_str(&format!(
                "\n  ✗ {property} — {kind} over {transport}: {} case(s){}\n    {}: {} [caller {}]\n",
                items.len(),
                if others.is_empty() { String::new() } else { format!(" (also {})", others.join(", ")) },
                first.case_id,
                v.detail,
                first.caller
            ));
            out.push_str(&format!(
                "    case: {}\n",
                serde_json::to_string(&first.case_json).unwrap_or_default()
            ));
            if let Some(file) = &first.file {
                out.push_str(&format!("    every byte of it: {file}\n"));
            }
        }
        out
    }
}
