//! Test harness: a fresh database per test (a temp SQLite file, or a new PostgreSQL database
//! dropped afterwards), the real server on port 0, and a statement counter on the connection.
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use plan_api::auth::{AuthSettings, KeySource, Role, TokenRequest};
use plan_api::config::{Limits, Serving};
use plan_api::startup::App;
use sea_orm::{ConnectionTrait, Database, DatabaseConnection};
use serde_json::{json, Value};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

impl Engine {
    /// The engine to run a test on, or `None` (with a note) for the PostgreSQL half when
    /// `TEST_DATABASE_URL` is unset: `let Some(engine) = on.available() else { return };`.
    pub fn available(self) -> Option<Self> {
        if self == Engine::Postgres && std::env::var("TEST_DATABASE_URL").is_err() {
            eprintln!("TEST_DATABASE_URL unset: skipping the PostgreSQL half");
            return None;
        }
        Some(self)
    }
}

pub use rstest_reuse::apply;

/// Runs an async test once per engine, as the tests `name::case_1_sqlite` and
/// `name::case_2_postgres`: `#[apply(both_engines)] async fn name(on: Engine)`, whose body starts
/// with `let Some(engine) = on.available() else { return };`.
#[rstest_reuse::template]
#[rstest::rstest]
#[case::sqlite(Engine::Sqlite)]
#[case::postgres(Engine::Postgres)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_engines(#[case] on: Engine) {}

/// A database of its own for one test; removed when dropped.
pub struct TestDb {
    pub url: String,
    cleanup: Cleanup,
}

enum Cleanup {
    File(std::path::PathBuf),
    PgDatabase { admin_url: String, name: String },
}

impl TestDb {
    pub async fn new(engine: Engine) -> Self {
        let id = uuid::Uuid::new_v4().simple().to_string();
        match engine {
            Engine::Sqlite => {
                let path = std::env::temp_dir().join(format!("plan-api-test-{id}.sqlite"));
                Self {
                    url: format!("sqlite://{}?mode=rwc", path.display()),
                    cleanup: Cleanup::File(path),
                }
            }
            Engine::Postgres => {
                let admin_url = std::env::var("TEST_DATABASE_URL").expect("TEST_DATABASE_URL");
                let name = format!("plan_api_test_{id}");
                let admin = Database::connect(&admin_url)
                    .await
                    .expect("connect to TEST_DATABASE_URL");
                admin
                    .execute_unprepared(&format!("CREATE DATABASE {name}"))
                    .await
                    .expect("create test database");
                admin.close().await.ok();
                let url = replace_db_name(&admin_url, &name);
                Self {
                    url,
                    cleanup: Cleanup::PgDatabase { admin_url, name },
                }
            }
        }
    }
}

/// `postgres://u@h:5432/test?x` -> `postgres://u@h:5432/<name>?x`.
fn replace_db_name(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let scheme_end = base.find("://").map(|i| i + 3).unwrap_or(0);
    let path_start = base[scheme_end..].find('/').map(|i| i + scheme_end);
    let host = match path_start {
        Some(i) => &base[..i],
        None => base,
    };
    match query {
        Some(q) => format!("{host}/{name}?{q}"),
        None => format!("{host}/{name}"),
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        match &self.cleanup {
            Cleanup::File(path) => {
                for suffix in ["", "-wal", "-shm", ".migrate-lock"] {
                    let mut p = path.clone().into_os_string();
                    p.push(suffix);
                    let _ = std::fs::remove_file(p);
                }
            }
            Cleanup::PgDatabase { admin_url, name } => {
                let (admin_url, name) = (admin_url.clone(), name.clone());
                // Drop runs inside the test's runtime; a separate thread gets a runtime of its own.
                let _ = std::thread::spawn(move || {
                    let Ok(rt) = tokio::runtime::Runtime::new() else {
                        return;
                    };
                    rt.block_on(async move {
                        if let Ok(admin) = Database::connect(&admin_url).await {
                            let _ = admin
                                .execute_unprepared(&format!(
                                    "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                                ))
                                .await;
                            let _ = admin.close().await;
                        }
                    });
                })
                .join();
            }
        }
    }
}

/// The HS256 secret test servers verify with.
pub const TEST_SECRET: &str = "plan-api-test-secret-0123456789abcdef-0123456789";

pub fn test_auth() -> AuthSettings {
    AuthSettings {
        key: KeySource::Secret(TEST_SECRET.into()),
        issuer: "plan-api".into(),
        audience: "plan-api".into(),
    }
}

/// A valid token for the test servers: `role` with the given scope claims (plans: all).
pub fn token(role: Role, leads: &[&str], workstreams: &[&str]) -> String {
    token_with(role, leads, workstreams, &[])
}

pub fn token_with(role: Role, leads: &[&str], workstreams: &[&str], plans: &[&str]) -> String {
    let strings = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    test_auth()
        .issuer()
        .expect("issuer")
        .issue(&TokenRequest {
            sub: format!("test-{}", role.as_str()),
            role,
            name: Some(format!("Test {}", role.as_str())),
            leads: strings(leads),
            workstreams: strings(workstreams),
            plans: strings(plans),
            ttl: std::time::Duration::from_secs(600),
        })
        .expect("issue token")
}

/// A running server over a prepared database (migrated, Herefordshire plan loaded).
pub struct TestApp {
    pub addr: SocketAddr,
    pub client: reqwest::Client,
    /// Statements executed on the server's connection since start (or the last `reset`).
    pub statements: Arc<AtomicUsize>,
    /// The statements themselves (with their values), since the last `reset`.
    pub executed: Arc<std::sync::Mutex<Vec<sea_orm::Statement>>>,
    /// A second connection for arranging and checking state directly.
    pub db: DatabaseConnection,
    /// What `graphql` and `data` send: an admin token.
    pub admin_token: String,
    /// The server's clock (the system clock unless the test set another).
    pub clock: plan_api::clock::Clock,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    // Last: dropped after the server and connections are gone.
    _database: TestDb,
}

impl TestApp {
    pub async fn spawn(engine: Engine) -> Self {
        Self::spawn_with(engine, Limits::new(100)).await
    }

    pub async fn spawn_with(engine: Engine, limits: Limits) -> Self {
        Self::spawn_full(engine, limits, test_auth()).await
    }

    pub async fn spawn_full(engine: Engine, limits: Limits, auth: AuthSettings) -> Self {
        Self::spawn_serving(engine, limits, auth, Self::test_serving(limits)).await
    }

    /// A server whose clock reads `now` at start (and runs on from there).
    pub async fn spawn_at(engine: Engine, now: chrono::DateTime<chrono::Utc>) -> Self {
        let limits = Limits::new(100);
        let mut serving = Self::test_serving(limits);
        serving.clock = plan_api::clock::Clock::starting_at(now);
        Self::spawn_serving(engine, limits, test_auth(), serving).await
    }

    fn test_serving(limits: Limits) -> Serving {
        let mut serving = Serving::defaults(limits);
        serving.rate = plan_api::admission::RatePolicy::unlimited();
        // No webhook worker: its occasional poll would land in statement counts. Tests of
        // webhooks start one with `spawn_adjusted`.
        serving.webhooks.deliver = false;
        serving
    }

    /// Today in England by the server's clock.
    pub fn today(&self) -> chrono::NaiveDate {
        self.clock.today()
    }

    /// With serving settings of the test's own (the defaults of the configuration table, as
    /// `Serving::defaults` gives them, changed by `adjust`); rate limits as the defaults say.
    pub async fn spawn_adjusted(engine: Engine, adjust: impl FnOnce(&mut Serving)) -> Self {
        let limits = Limits::new(100);
        let mut serving = Serving::defaults(limits);
        adjust(&mut serving);
        Self::spawn_serving(engine, limits, test_auth(), serving).await
    }

    pub async fn spawn_serving(
        engine: Engine,
        limits: Limits,
        auth: AuthSettings,
        serving: Serving,
    ) -> Self {
        // Server logs (internal errors above all) show in a failing test's output.
        let _ = tracing_subscriber::fmt()
            .with_env_filter("plan_api=warn")
            .with_test_writer()
            .try_init();
        let database = TestDb::new(engine).await;
        let mut server_db = plan_api::db::connect(&database.url).await.expect("connect");
        plan_api::db::prepare(&server_db)
            .await
            .expect("migrate and seed");
        let statements = Arc::new(AtomicUsize::new(0));
        let executed = Arc::new(std::sync::Mutex::new(Vec::new()));
        let counter = statements.clone();
        let log = executed.clone();
        server_db.set_metric_callback(move |info| {
            if std::env::var("TEST_LOG_SQL").is_ok() {
                eprintln!("SQL: {}", info.statement);
            }
            counter.fetch_add(1, Ordering::SeqCst);
            if let Ok(mut log) = log.lock() {
                log.push(info.statement.clone());
            }
        });
        let db = plan_api::db::connect(&database.url).await.expect("connect");
        let verifier = Arc::new(auth.verifier().expect("verifier"));
        let clock = serving.clock;
        let app = App::with_serving(
            server_db,
            "127.0.0.1:0".parse().expect("addr"),
            limits,
            verifier,
            serving,
        )
        .await
        .expect("bind");
        let addr = app.local_addr().expect("addr");
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(app.run_until(async move {
            let _ = rx.await;
        }));
        Self {
            addr,
            client: reqwest::Client::new(),
            statements,
            executed,
            db,
            admin_token: token(Role::Admin, &[], &[]),
            clock,
            shutdown: Some(tx),
            _database: database,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// POSTs a GraphQL request as admin; returns the whole response body.
    pub async fn graphql(&self, query: &str, variables: Value) -> Value {
        self.graphql_as(&self.admin_token, query, variables).await
    }

    /// POSTs a GraphQL request with a bearer token; returns the whole response body.
    pub async fn graphql_as(&self, token: &str, query: &str, variables: Value) -> Value {
        self.graphql_with(Some(&format!("Bearer {token}")), query, variables)
            .await
            .1
    }

    /// POSTs with the given `Authorization` header (or none); returns status and body.
    pub async fn graphql_with(
        &self,
        authorization: Option<&str>,
        query: &str,
        variables: Value,
    ) -> (u16, Value) {
        let mut req = self
            .client
            .post(self.url("/graphql"))
            .json(&json!({ "query": query, "variables": variables }));
        if let Some(a) = authorization {
            req = req.header("authorization", a);
        }
        let res = req.send().await.expect("request");
        let status = res.status().as_u16();
        (status, res.json().await.expect("json body"))
    }

    /// Like `data`, as the holder of `token`.
    pub async fn data_as(&self, token: &str, query: &str, variables: Value) -> Value {
        let body = self.graphql_as(token, query, variables).await;
        assert!(body.get("errors").is_none(), "unexpected errors: {body:#}");
        body["data"].clone()
    }

    /// Like `graphql`, but fails the test on any error and returns `data`.
    pub async fn data(&self, query: &str, variables: Value) -> Value {
        let body = self.graphql(query, variables).await;
        assert!(body.get("errors").is_none(), "unexpected errors: {body:#}");
        body["data"].clone()
    }

    pub fn reset_statements(&self) {
        self.statements.store(0, Ordering::SeqCst);
        if let Ok(mut log) = self.executed.lock() {
            log.clear();
        }
    }

    /// The statements the server ran since the last `reset_statements`.
    pub fn executed_statements(&self) -> Vec<sea_orm::Statement> {
        self.executed.lock().map(|l| l.clone()).unwrap_or_default()
    }

    pub fn statement_count(&self) -> usize {
        self.statements.load(Ordering::SeqCst)
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// The `extensions.code` of the first error, if any.
pub fn error_code(body: &Value) -> Option<String> {
    body["errors"][0]["extensions"]["code"]
        .as_str()
        .map(str::to_string)
}

/// Every action of the shipped plan matching `filter` (JSON, or null for all), following
/// cursors page by page; returns the `selection` of each and the reported `totalCount`.
pub async fn paged_actions(app: &TestApp, filter: &Value, selection: &str) -> (Vec<Value>, u64) {
    let q = format!(
        "query($f: ActionFilter, $after: String) {{ plan(slug: \"herefordshire-2012\") {{
            actions(filter: $f, first: 100, after: $after) {{ totalCount pageInfo {{ hasNextPage endCursor }}
                edges {{ node {{ {selection} }} }} }} }} }}"
    );
    let mut nodes = Vec::new();
    let mut after = Value::Null;
    loop {
        let d = app.data(&q, json!({ "f": filter, "after": after })).await;
        let conn = &d["plan"]["actions"];
        nodes.extend(
            conn["edges"]
                .as_array()
                .expect("edges")
                .iter()
                .map(|e| e["node"].clone()),
        );
        if conn["pageInfo"]["hasNextPage"] != true {
            return (nodes, conn["totalCount"].as_u64().expect("totalCount"));
        }
        after = conn["pageInfo"]["endCursor"].clone();
    }
}

/// The codes of every action matching `filter`, and the reported `totalCount`.
pub async fn paged_codes(app: &TestApp, filter: &Value) -> (Vec<String>, u64) {
    let (nodes, total) = paged_actions(app, filter, "code").await;
    let codes = nodes
        .iter()
        .map(|n| n["code"].as_str().expect("code").to_string())
        .collect();
    (codes, total)
}

/// Fetches one action of the shipped plan by code with the given selection.
pub async fn action(app: &TestApp, code: &str, selection: &str) -> Value {
    let q = format!(
        "query($code: String!) {{ plan(slug: \"herefordshire-2012\") {{ action(code: $code) {{ {selection} }} }} }}"
    );
    let data = app.data(&q, json!({ "code": code })).await;
    let a = data["plan"]["action"].clone();
    assert!(!a.is_null(), "action {code} not found");
    a
}

#[test]
fn database_names_are_replaced() {
    assert_eq!(
        replace_db_name("postgres://postgres@127.0.0.1:5432/test", "x"),
        "postgres://postgres@127.0.0.1:5432/x"
    );
    assert_eq!(
        replace_db_name("postgres://postgres@localhost/test?sslmode=disable", "x"),
        "postgres://postgres@localhost/x?sslmode=disable"
    );
}

/// The real `plan-api` binary, serving a database of the test's, on a port of its own.
pub struct Binary {
    child: std::process::Child,
    pub addr: SocketAddr,
    /// Everything it wrote to stderr so far.
    pub log: Arc<std::sync::Mutex<Vec<String>>>,
    data_dir: std::path::PathBuf,
}

impl Binary {
    /// Starts `plan-api` (it migrates and seeds an empty database) and waits until it listens.
    pub fn start(database_url: &str, env: &[(&str, &str)]) -> Self {
        let data_dir =
            std::env::temp_dir().join(format!("plan-api-bin-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&data_dir).expect("data dir");
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_plan-api"))
            .env("PLAN_API_DATABASE_URL", database_url)
            .env("PLAN_API_BIND", "127.0.0.1:0")
            .env("PLAN_API_JWT_SECRET", TEST_SECRET)
            .env("PLAN_API_DATA_DIR", &data_dir)
            .env("PLAN_API_RATE_LIMITS", "off")
            .env("RUST_LOG", "plan_api=info,warn")
            .envs(env.iter().copied())
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("start plan-api");
        let stderr = child.stderr.take().expect("stderr");
        let log = Arc::new(std::sync::Mutex::new(Vec::new()));
        let (tx, rx) = std::sync::mpsc::channel();
        {
            let log = log.clone();
            std::thread::spawn(move || {
                use std::io::BufRead;
                for line in std::io::BufReader::new(stderr).lines() {
                    let Ok(line) = line else { break };
                    if let Some(rest) = line.split("GraphQL:  http://").nth(1) {
                        let _ = tx.send(rest.trim_end_matches("/graphql").to_string());
                    }
                    if std::env::var("TEST_LOG").is_ok() {
                        eprintln!("plan-api: {line}");
                    }
                    log.lock().expect("log").push(line);
                }
            });
        }
        let addr = match rx.recv_timeout(std::time::Duration::from_secs(120)) {
            Ok(a) => a.parse().expect("address"),
            Err(_) => {
                let _ = child.kill();
                panic!(
                    "plan-api did not start:\n{}",
                    log.lock().expect("log").join("\n")
                );
            }
        };
        Self {
            child,
            addr,
            log,
            data_dir,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub fn pid(&self) -> i32 {
        self.child.id() as i32
    }

    /// SIGKILL: no shutdown of any kind.
    pub fn kill9(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// SIGTERM: the graceful shutdown.
    pub fn terminate(&self) {
        // SAFETY: sends a signal to the child this struct owns.
        unsafe {
            libc::kill(self.pid(), libc::SIGTERM);
        }
    }

    /// Waits for the process to exit, at most `limit`.
    pub fn wait_exit(&mut self, limit: std::time::Duration) -> Option<std::process::ExitStatus> {
        let until = std::time::Instant::now() + limit;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            if std::time::Instant::now() > until {
                return None;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    }
}

impl Drop for Binary {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
        let _ = std::fs::remove_dir_all(&self.data_dir);
    }
}

pub type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A graphql-transport-ws client for tests that hold the protocol to account.
pub struct Socket {
    pub ws: Ws,
}

impl Socket {
    /// Connected and acknowledged with `token`.
    pub async fn open(addr: SocketAddr, token: &str) -> Self {
        let mut s = Self::connect(addr).await;
        s.send_json(json!({"type": "connection_init", "payload": {"token": token}}))
            .await;
        let ack = s.next(std::time::Duration::from_secs(5)).await;
        assert_eq!(ack["type"], "connection_ack", "{ack}");
        s
    }

    /// Connected, nothing sent yet.
    pub async fn connect(addr: SocketAddr) -> Self {
        use tokio_tungstenite::tungstenite::client::IntoClientRequest;
        let mut req = format!("ws://{addr}/graphql/ws")
            .into_client_request()
            .expect("request");
        req.headers_mut().insert(
            "sec-websocket-protocol",
            "graphql-transport-ws".parse().expect("header"),
        );
        let config = tokio_tungstenite::tungstenite::protocol::WebSocketConfig::default()
            .max_message_size(Some(64 << 20))
            .max_frame_size(Some(64 << 20));
        let (ws, _) = tokio_tungstenite::connect_async_with_config(req, Some(config), false)
            .await
            .expect("connect");
        Self { ws }
    }

    pub async fn send_json(&mut self, v: Value) {
        self.send_text(v.to_string()).await;
    }

    pub async fn send_text(&mut self, text: String) {
        use futures_util::SinkExt;
        // A closed socket is what some tests wait for: their reads say so.
        let _ = self
            .ws
            .send(tokio_tungstenite::tungstenite::Message::text(text))
            .await;
    }

    pub async fn subscribe(&mut self, id: &str, query: &str, variables: Value) {
        self.send_json(json!({"id": id, "type": "subscribe", "payload": {"query": query, "variables": variables}}))
            .await;
    }

    /// The next message as JSON; a close frame as `{"type": "close", "code", "reason"}`, and
    /// the end of the stream (or `limit`) as `{"type": "gone"}`.
    pub async fn next(&mut self, limit: std::time::Duration) -> Value {
        use futures_util::StreamExt;
        use tokio_tungstenite::tungstenite::Message;
        let until = std::time::Instant::now() + limit;
        loop {
            let Some(left) = until.checked_duration_since(std::time::Instant::now()) else {
                return json!({"type": "gone", "why": "timeout"});
            };
            match tokio::time::timeout(left, self.ws.next()).await {
                Ok(Some(Ok(Message::Text(t)))) => {
                    return serde_json::from_str(t.as_str()).expect("json message")
                }
                Ok(Some(Ok(Message::Close(frame)))) => {
                    return json!({
                        "type": "close",
                        "code": frame.as_ref().map(|f| u16::from(f.code)),
                        "reason": frame.as_ref().map(|f| f.reason.to_string()),
                    })
                }
                Ok(Some(Ok(_))) => continue,
                Ok(Some(Err(e))) => return json!({"type": "gone", "why": e.to_string()}),
                Ok(None) => return json!({"type": "gone", "why": "end"}),
                Err(_) => return json!({"type": "gone", "why": "timeout"}),
            }
        }
    }

    /// The messages for `id` until its `complete` or `error` (or the socket's end).
    pub async fn answer(&mut self, id: &str, limit: std::time::Duration) -> Vec<Value> {
        let mut got = Vec::new();
        loop {
            let m = self.next(limit).await;
            let ty = m["type"].as_str().unwrap_or_default().to_string();
            if matches!(ty.as_str(), "close" | "gone") {
                got.push(m);
                return got;
            }
            if m["id"] != id {
                continue;
            }
            got.push(m);
            if ty == "complete" || ty == "error" {
                return got;
            }
        }
    }
}
