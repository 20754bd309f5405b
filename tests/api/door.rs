//! The door, tried as an outside caller would, over every transport: each fault that was found
//! on the way in is refused cleanly (a coded error, never INTERNAL) and quickly, while other
//! clients are served; the real binary stays up and small throughout.
use std::time::{Duration, Instant};

use base64::Engine as _;
use plan_api::auth::{Role, TokenRequest};
use serde_json::{json, Value};

use crate::helpers::*;

const PLAN: &str = "herefordshire-2012";
const NORMAL: &str =
    "{ plan(slug: \"herefordshire-2012\") { actions(first: 5) { nodes { code rag { status } } } } }";

/// A request as every transport can send it.
struct Case {
    name: &'static str,
    /// Who sends it (`None`: no token; the WebSocket needs one, and uses a partner's).
    role: Option<Role>,
    query: String,
    variables: Value,
    /// The refusal's code.
    code: &'static str,
}

fn partner() -> String {
    token(Role::Partner, &[], &["HSCB"])
}

/// `__type(name: "Node") { possibleTypes { interfaces { possibleTypes … } } } }`, `levels`
/// lists deep, asking for names and descriptions at each.
fn introspection_bomb(levels: usize) -> String {
    let mut inner = "name".to_string();
    for i in 0..levels {
        let list = if (levels - 1 - i) % 2 == 0 {
            "possibleTypes"
        } else {
            "interfaces"
        };
        inner = format!("{list} {{ name kind description {inner} }}");
    }
    format!("__type(name: \"Node\") {{ {inner} }}")
}

/// `{ ...f0 } fragment f0 on Query { ...f1 } … fragment fN on Query { __typename }`.
fn chained_fragments(n: usize) -> String {
    let mut q = String::from("{ ...f0 }\n");
    for i in 0..n {
        q.push_str(&format!("fragment f{i} on Query {{ ...f{} }}\n", i + 1));
    }
    q.push_str(&format!("fragment f{n} on Query {{ __typename }}\n"));
    q
}

fn cases() -> Vec<Case> {
    let words = "a ".repeat(50_000);
    let unknown: Vec<String> = (0..200_000).map(|i| i.to_string()).collect();
    let far = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode("offset:9223372036854775807");
    let actions = |args: &str| {
        format!("{{ plan(slug: \"{PLAN}\") {{ actions({args}) {{ edges {{ cursor node {{ code }} }} }} }} }}")
    };
    vec![
        Case {
            name: "search with 50,000 words",
            role: Some(Role::Partner),
            query: actions("filter: { search: $s }").replace("{ plan", "query($s: String) { plan"),
            variables: json!({ "s": words }),
            code: "BAD_USER_INPUT",
        },
        Case {
            name: "search with 17 words",
            role: Some(Role::Partner),
            query: actions(&format!(
                "filter: {{ search: \"{}\" }}",
                "w ".repeat(17).trim()
            )),
            variables: json!({}),
            code: "BAD_USER_INPUT",
        },
        Case {
            name: "an introspection bomb, 9 lists deep",
            role: None,
            query: format!("{{ {} }}", introspection_bomb(9)),
            variables: json!({}),
            code: "QUERY_TOO_COMPLEX",
        },
        Case {
            name: "15 aliases of an introspection bomb 7 lists deep",
            role: None,
            query: format!(
                "{{ {} }}",
                (0..15)
                    .map(|i| format!("a{i}: {}", introspection_bomb(7)))
                    .collect::<Vec<_>>()
                    .join(" ")
            ),
            variables: json!({}),
            code: "QUERY_TOO_COMPLEX",
        },
        Case {
            name: "a cursor at offset i64::MAX",
            role: Some(Role::Partner),
            query: actions(&format!("first: 5, after: \"{far}\"")),
            variables: json!({}),
            code: "BAD_USER_INPUT",
        },
        Case {
            name: "200,000 unknown leads",
            role: Some(Role::Partner),
            query: actions("filter: { leads: $l }")
                .replace("{ plan", "query($l: [String!]) { plan"),
            variables: json!({ "l": unknown }),
            code: "BAD_USER_INPUT",
        },
        Case {
            name: "a list literal 1,000 deep",
            role: Some(Role::Partner),
            query: format!(
                "{{ plan(slug: {}1{}) {{ title }} }}",
                "[".repeat(1000),
                "]".repeat(1000)
            ),
            variables: json!({}),
            code: "NESTING_LIMIT",
        },
        Case {
            name: "variables 100 deep",
            role: Some(Role::Partner),
            query: actions("filter: $f").replace("{ plan", "query($f: ActionFilter) { plan"),
            variables: {
                let mut v = json!(1);
                for _ in 0..100 {
                    v = json!([v]);
                }
                json!({ "f": { "leads": v } })
            },
            code: "NESTING_LIMIT",
        },
        Case {
            name: "a document of 150 KB",
            role: None,
            query: format!("{{ __typename }}\n# {}", "x".repeat(150 * 1024)),
            variables: json!({}),
            code: "DOCUMENT_TOO_LARGE",
        },
        Case {
            // Chained spreads once overflowed the cost walk's stack at about 2,000.
            name: "150 chained fragments",
            role: Some(Role::Partner),
            query: chained_fragments(150),
            variables: json!({}),
            code: "FRAGMENT_LIMIT",
        },
        Case {
            name: "2,100 chained fragments",
            role: Some(Role::Partner),
            query: chained_fragments(2_100),
            variables: json!({}),
            code: "TOKEN_LIMIT",
        },
        Case {
            name: "a NUL in a search",
            role: Some(Role::Partner),
            query: actions("filter: { search: $s }").replace("{ plan", "query($s: String) { plan"),
            variables: json!({ "s": "care\u{0}plan" }),
            code: "BAD_USER_INPUT",
        },
    ]
}

fn token_of(role: Option<Role>) -> Option<String> {
    role.map(|r| match r {
        Role::Partner => partner(),
        r => token(r, &[], &[]),
    })
}

/// Whether the case fits a URL a client can send at all (reqwest refuses longer ones).
fn fits_a_url(case: &Case) -> bool {
    case.query.len() + case.variables.to_string().len() < 48 * 1024
}

/// A refusal over HTTP: its code, whether anything leaked, and how long it took.
async fn over_http(app_url: &str, case: &Case, get: bool) -> (u16, Value, Duration) {
    let client = reqwest::Client::new();
    let mut req = if get {
        client.get(app_url).query(&[
            ("query", case.query.clone()),
            ("variables", case.variables.to_string()),
        ])
    } else {
        client
            .post(app_url)
            .json(&json!({ "query": case.query, "variables": case.variables }))
    };
    if let Some(t) = token_of(case.role) {
        req = req.bearer_auth(t);
    }
    let started = Instant::now();
    let res = req.send().await.expect("request");
    let status = res.status().as_u16();
    let body: Value = res.json().await.unwrap_or(Value::Null);
    (status, body, started.elapsed())
}

fn assert_refused(name: &str, code: &str, body: &Value) {
    let got = body["errors"][0]["extensions"]["code"].as_str();
    let shown: String = body.to_string().chars().take(600).collect();
    assert_eq!(got, Some(code), "{name}: {shown}");
    assert!(
        body.get("data").is_none_or(Value::is_null),
        "{name}: {shown}"
    );
    let message = body["errors"][0]["message"].as_str().unwrap_or_default();
    assert!(
        message.len() < 1_200,
        "{name}: a {}-byte message",
        message.len()
    );
}

/// The best of three, so that a scheduling hiccup on a shared machine is not the refusal's cost.
fn best(times: &[Duration]) -> Duration {
    times.iter().min().copied().unwrap_or_default()
}

#[apply(both_engines)]
async fn each_fault_is_refused_with_its_code_in_under_100_ms_over_http(on: Engine) {
    let Some(engine) = on.available() else { return };
    let app = TestApp::spawn(engine).await;
    let url = app.url("/graphql");
    for case in cases() {
        for get in [false, true] {
            if get && !fits_a_url(&case) {
                continue;
            }
            // Inputs over 16 KiB do not fit the URL bound: GET gets 414, a refusal too.
            let mut times = Vec::new();
            for _ in 0..3 {
                let (status, body, elapsed) = over_http(&url, &case, get).await;
                if get && status == 414 {
                    assert_refused(case.name, "URI_TOO_LONG", &body);
                } else {
                    assert_refused(case.name, case.code, &body);
                }
                assert!(status < 500, "{}: {status}", case.name);
                times.push(elapsed);
            }
            assert!(
                best(&times) < Duration::from_millis(100),
                "{} ({}): refused in {:?}",
                case.name,
                if get { "GET" } else { "POST" },
                best(&times)
            );
        }
    }
    // Served meanwhile, and after.
    let d = app.data_as(&partner(), NORMAL, json!({})).await;
    assert!(d["plan"]["actions"]["nodes"].is_array(), "{d}");
}

#[apply(both_engines)]
async fn each_fault_is_refused_with_its_code_in_under_100_ms_over_the_websocket(on: Engine) {
    let Some(engine) = on.available() else { return };
    let app = TestApp::spawn(engine).await;
    let mut socket = Socket::open(app.addr, &partner()).await;
    for (i, case) in cases().iter().enumerate() {
        let mut times = Vec::new();
        for round in 0..3 {
            let id = format!("{i}-{round}");
            // Written before the clock starts: the test's own JSON is not the server's time.
            let text = json!({"id": id, "type": "subscribe", "payload": {"query": case.query, "variables": case.variables}}).to_string();
            let started = Instant::now();
            socket.send_text(text).await;
            let answer = socket.answer(&id, Duration::from_secs(10)).await;
            times.push(started.elapsed());
            let last = answer.last().cloned().unwrap_or(Value::Null);
            assert_eq!(last["type"], "error", "{}: {answer:?}", case.name);
            assert_refused(case.name, case.code, &json!({ "errors": last["payload"] }));
        }
        assert!(
            best(&times) < Duration::from_millis(100),
            "{}: refused in {:?}",
            case.name,
            best(&times)
        );
    }
    // The same socket still runs a normal query.
    socket.subscribe("normal", NORMAL, json!({})).await;
    let answer = socket.answer("normal", Duration::from_secs(10)).await;
    assert_eq!(answer[0]["type"], "next", "{answer:?}");
    assert!(
        answer[0]["payload"]["data"]["plan"].is_object(),
        "{answer:?}"
    );
    assert_eq!(
        answer.last().map(|m| m["type"].clone()),
        Some(json!("complete"))
    );
}

#[tokio::test]
async fn a_message_larger_than_a_body_closes_the_socket_with_payload_too_large() {
    let app = TestApp::spawn(Engine::Sqlite).await;
    let mut socket = Socket::open(app.addr, &partner()).await;
    let huge = json!({"id": "1", "type": "subscribe", "payload": {"query": NORMAL, "variables": {"x": "y".repeat(10 << 20)}}});
    socket.send_text(huge.to_string()).await;
    let m = socket.next(Duration::from_secs(10)).await;
    assert_eq!(m["type"], "close", "{m}");
    assert_eq!(m["code"], 1009, "{m}");
    assert!(
        m["reason"]
            .as_str()
            .unwrap_or_default()
            .starts_with("PAYLOAD_TOO_LARGE"),
        "{m}"
    );
    // Over HTTP the same body is 413.
    let res = app
        .client
        .post(app.url("/graphql"))
        .bearer_auth(partner())
        .json(&huge["payload"])
        .send()
        .await
        .expect("post");
    assert_eq!(res.status(), 413);
}

#[tokio::test]
async fn the_websocket_charges_the_rate_bucket_once_per_operation() {
    let app = TestApp::spawn_adjusted(Engine::Sqlite, |s| {
        s.rate = plan_api::admission::RatePolicy::parse("partner=1/h:3").expect("policy");
    })
    .await;
    let mut socket = Socket::open(app.addr, &partner()).await;
    for i in 0..3 {
        let id = i.to_string();
        socket.subscribe(&id, NORMAL, json!({})).await;
        let answer = socket.answer(&id, Duration::from_secs(10)).await;
        assert_eq!(answer[0]["type"], "next", "{i}: {answer:?}");
    }
    socket.subscribe("4", NORMAL, json!({})).await;
    let answer = socket.answer("4", Duration::from_secs(10)).await;
    assert_eq!(answer[0]["type"], "error", "{answer:?}");
    assert_eq!(
        answer[0]["payload"][0]["extensions"]["code"],
        "RATE_LIMITED"
    );
    assert!(answer[0]["payload"][0]["extensions"]["retryAfter"]
        .as_u64()
        .is_some());
    // The same bucket as HTTP's.
    let (status, _) = app
        .graphql_with(Some(&format!("Bearer {}", partner())), NORMAL, json!({}))
        .await;
    assert_eq!(status, 429);
}

#[tokio::test]
async fn in_trusted_documents_mode_an_unregistered_document_is_refused_on_every_transport() {
    let dir = std::env::temp_dir().join(format!("plan-api-door-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).expect("dir");
    std::fs::write(dir.join("normal.graphql"), NORMAL).expect("write");
    let state = "{ plan(slug: \"herefordshire-2012\") { action(code: \"1.1\") { state } } }";
    std::fs::write(dir.join("state.graphql"), state).expect("write");
    let docs = plan_api::admission::TrustedDocuments::load(&dir).expect("load");
    let app = TestApp::spawn_adjusted(Engine::Sqlite, move |s| {
        s.trusted = Some(std::sync::Arc::new(docs));
        s.rate = plan_api::admission::RatePolicy::unlimited();
    })
    .await;
    let admin = app.admin_token.clone();
    let unregistered = [
        "{ plans { totalCount } }",
        "mutation { retireAction(input: { actionId: \"QWN0aW9uOjE\", reason: \"x\" }) { action { code } } }",
        "subscription { ragUpdated(plan: \"herefordshire-2012\") { eventId } }",
    ];
    for q in unregistered {
        let (_, body) = app
            .graphql_with(Some(&format!("Bearer {admin}")), q, json!({}))
            .await;
        assert_eq!(
            error_code(&body).as_deref(),
            Some("DOCUMENT_NOT_ALLOWED"),
            "POST {q}: {body:#}"
        );
        let res = app
            .client
            .get(app.url("/graphql"))
            .bearer_auth(&admin)
            .query(&[("query", q)])
            .send()
            .await
            .expect("get");
        let body: Value = res.json().await.expect("json");
        assert_eq!(
            error_code(&body).as_deref(),
            Some("DOCUMENT_NOT_ALLOWED"),
            "GET {q}: {body:#}"
        );
        let mut socket = Socket::open(app.addr, &admin).await;
        socket.subscribe("1", q, json!({})).await;
        let answer = socket.answer("1", Duration::from_secs(10)).await;
        assert_eq!(answer[0]["type"], "error", "WS {q}: {answer:?}");
        assert_eq!(
            answer[0]["payload"][0]["extensions"]["code"],
            "DOCUMENT_NOT_ALLOWED"
        );
    }
    // Nothing was retired.
    let d = app.data(state, json!({})).await;
    assert_eq!(d["plan"]["action"]["state"], "ACTIVE");
    // The registered document runs over the socket too.
    let mut socket = Socket::open(app.addr, &admin).await;
    socket.subscribe("1", NORMAL, json!({})).await;
    let answer = socket.answer("1", Duration::from_secs(10)).await;
    assert_eq!(answer[0]["type"], "next", "{answer:?}");
    std::fs::remove_dir_all(dir).ok();
}

#[tokio::test]
async fn a_token_subject_holds_at_most_its_share_of_sockets() {
    let app = TestApp::spawn_adjusted(Engine::Sqlite, |s| {
        s.sockets.max_connections = 2;
        s.rate = plan_api::admission::RatePolicy::unlimited();
    })
    .await;
    let a = Socket::open(app.addr, &partner()).await;
    let _b = Socket::open(app.addr, &partner()).await;
    let mut c = Socket::connect(app.addr).await;
    c.send_json(json!({"type": "connection_init", "payload": {"token": partner()}}))
        .await;
    let m = c.next(Duration::from_secs(5)).await;
    assert_eq!(m["type"], "close", "{m}");
    assert_eq!(m["code"], 4429, "{m}");
    assert!(
        m["reason"]
            .as_str()
            .unwrap_or_default()
            .starts_with("TOO_MANY_CONNECTIONS"),
        "{m}"
    );
    // Another subject is not affected, and a closed socket frees its place.
    let _other = Socket::open(app.addr, &token(Role::Viewer, &[], &[])).await;
    drop(a);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let _again = Socket::open(app.addr, &partner()).await;
}

#[tokio::test]
async fn a_client_that_says_nothing_is_closed_after_the_idle_timeout() {
    let app = TestApp::spawn_adjusted(Engine::Sqlite, |s| {
        s.sockets.ping_every = Duration::from_millis(200);
        s.sockets.idle_timeout = Duration::from_millis(700);
    })
    .await;
    let mut socket = Socket::open(app.addr, &partner()).await;
    // Not reading means not answering pings either.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let m = socket.next(Duration::from_secs(5)).await;
    // The close frame, or (when the client's pong met the closed socket first) a broken pipe.
    let closed = (m["type"] == "close" && m["code"] == 1001)
        || (m["type"] == "gone" && m["why"] != "timeout");
    assert!(closed, "{m}");
    // A client that reads (and so answers pings) stays.
    let mut live = Socket::open(app.addr, &partner()).await;
    let m = live.next(Duration::from_millis(1500)).await;
    assert_eq!(m["type"], "gone", "still open after 1.5 s: {m}");
    assert_eq!(m["why"], "timeout");
}

#[tokio::test]
async fn the_token_s_expiry_closes_a_socket_whose_client_stopped_reading() {
    let app = TestApp::spawn(Engine::Sqlite).await;
    let short = test_auth()
        .issuer()
        .expect("issuer")
        .issue(&TokenRequest {
            sub: "short-lived".into(),
            role: Role::Admin,
            name: None,
            leads: vec![],
            workstreams: vec![],
            plans: vec![],
            ttl: Duration::from_secs(3),
        })
        .expect("token");
    let mut socket = Socket::open(app.addr, &short).await;
    // Ask for far more than the socket's buffers hold, and read none of it.
    let big = format!("{{ {} }}", introspection_bomb(7));
    let started = Instant::now();
    for i in 0..60 {
        socket.subscribe(&i.to_string(), &big, json!({})).await;
    }
    // The server gave up on this client at the token's expiry: reading now drains what was
    // buffered, then the stream ends, within a few seconds of the expiry.
    tokio::time::sleep(Duration::from_secs(4)).await;
    loop {
        let m = socket.next(Duration::from_secs(5)).await;
        if matches!(m["type"].as_str(), Some("close" | "gone")) {
            assert_ne!(m["why"], "timeout", "still sending: {m}");
            break;
        }
    }
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "closed after {:?}",
        started.elapsed()
    );
}

#[apply(both_engines)]
async fn csv_cells_that_would_run_as_formulas_are_guarded_unless_raw_is_asked_for(on: Engine) {
    let Some(engine) = on.available() else { return };
    let app = TestApp::spawn(engine).await;
    let id = app
        .data(
            "{ plan(slug: \"herefordshire-2012\") { action(code: \"1.1\") { id } } }",
            json!({}),
        )
        .await["plan"]["action"]["id"]
        .clone();
    let note = "=HYPERLINK(\"http://evil.example/\",\"Click\")";
    app.data(
        "mutation($id: ID!, $n: String) { recordRagUpdate(input: { actionId: $id, status: RED, note: $n }) { action { code } } }",
        json!({ "id": id, "n": note }),
    )
    .await;
    let csv = |extra: &'static str| {
        let req = app
            .client
            .get(app.url(&format!("/export/actions.csv?plan={PLAN}{extra}")))
            .bearer_auth(&app.admin_token);
        async move {
            req.send()
                .await
                .expect("export")
                .text()
                .await
                .expect("text")
        }
    };
    let guarded = csv("").await;
    assert!(guarded.contains("\"'=HYPERLINK("), "{guarded}");
    assert!(!guarded.contains(",\"=HYPERLINK("), "{guarded}");
    let raw = csv("&raw=1").await;
    assert!(raw.contains("\"=HYPERLINK("), "{raw}");
    let history = app
        .client
        .get(app.url(&format!("/export/rag-history.csv?plan={PLAN}")))
        .bearer_auth(&app.admin_token)
        .send()
        .await
        .expect("export")
        .text()
        .await
        .expect("text");
    assert!(history.contains("\"'=HYPERLINK("), "{history}");
}

#[apply(both_engines)]
async fn exports_are_held_to_the_same_door(on: Engine) {
    let Some(engine) = on.available() else { return };
    let app = TestApp::spawn(engine).await;
    let get = |query: String, token: Option<String>| {
        let mut req = app
            .client
            .get(app.url(&format!("/export/actions.csv?{query}")));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        async move {
            let res = req.send().await.expect("export");
            let status = res.status().as_u16();
            (status, res.json::<Value>().await.unwrap_or(Value::Null))
        }
    };
    let leads: String = (0..500)
        .map(|i| format!("L{i}"))
        .collect::<Vec<_>>()
        .join(",");
    let cases = [
        (format!("plan={PLAN}"), None, 401, "UNAUTHENTICATED"),
        (
            format!("plan={PLAN}&leads={leads}"),
            Some(partner()),
            400,
            "BAD_USER_INPUT",
        ),
        (
            format!("plan={PLAN}&search={}", "a+".repeat(17)),
            Some(partner()),
            400,
            "BAD_USER_INPUT",
        ),
        (
            format!("plan={PLAN}&search={}", "x".repeat(20_000)),
            Some(partner()),
            414,
            "URI_TOO_LONG",
        ),
        (
            format!("plan={PLAN}&search=a%00b"),
            Some(partner()),
            400,
            "BAD_USER_INPUT",
        ),
        (
            format!("plan={PLAN}&{}=1", "z".repeat(5_000)),
            Some(partner()),
            400,
            "BAD_USER_INPUT",
        ),
    ];
    for (query, token, status, code) in cases {
        let started = Instant::now();
        let (got, body) = get(query.clone(), token).await;
        let q: String = query.chars().take(60).collect();
        assert_eq!(got, status, "{q}: {body:#}");
        assert_refused(&q, code, &body);
        assert!(
            started.elapsed() < Duration::from_millis(100),
            "{q}: {:?}",
            started.elapsed()
        );
    }
}

#[tokio::test]
async fn the_common_clients_introspection_queries_pass_without_a_token() {
    let app = TestApp::spawn(Engine::Sqlite).await;
    for file in [
        "graphql-js-default.graphql",
        "graphql-js-all-options.graphql",
    ] {
        let path = format!(
            "{}/tests/fixtures/introspection/{file}",
            env!("CARGO_MANIFEST_DIR")
        );
        let query = std::fs::read_to_string(&path).expect("fixture");
        let (status, body) = app.graphql_with(None, &query, json!({})).await;
        assert_eq!(status, 200, "{file}: {body:#}");
        assert!(body.get("errors").is_none(), "{file}: {body:#}");
        let types = body["data"]["__schema"]["types"].as_array().map(Vec::len);
        assert!(types.unwrap_or(0) > 50, "{file}: {types:?}");
    }
}

/// What `/proc` says of a process's memory: its resident size now and at its peak (kB).
fn memory_kb(pid: i32) -> (u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|n| n.parse().ok())
            .unwrap_or(0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

#[apply(both_engines)]
async fn the_real_server_stays_up_and_under_200_mb_while_every_fault_is_tried(on: Engine) {
    let Some(engine) = on.available() else { return };
    let db = TestDb::new(engine).await;
    let server = Binary::start(&db.url, &[]);
    let url = server.url("/graphql");
    // Another client, served all along.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let served = {
        let (url, stop) = (url.clone(), stop.clone());
        tokio::spawn(async move {
            let client = reqwest::Client::new();
            let (mut ok, mut slowest) = (0u32, Duration::ZERO);
            while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                let started = Instant::now();
                let res = client
                    .post(&url)
                    .bearer_auth(partner())
                    .json(&json!({ "query": NORMAL }))
                    .send()
                    .await
                    .expect("normal request");
                let body: Value = res.json().await.expect("json");
                assert!(body.get("errors").is_none(), "{body:#}");
                ok += 1;
                slowest = slowest.max(started.elapsed());
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            (ok, slowest)
        })
    };
    let mut socket = Socket::open(server.addr, &partner()).await;
    for round in 0..3 {
        for (i, case) in cases().iter().enumerate() {
            for get in [false, true] {
                if get && !fits_a_url(case) {
                    continue;
                }
                let (status, body, _) = over_http(&url, case, get).await;
                assert!(status < 500, "{}: {status} {body:#}", case.name);
                assert_ne!(
                    error_code(&body).as_deref(),
                    Some("INTERNAL"),
                    "{}",
                    case.name
                );
            }
            let id = format!("{round}-{i}");
            socket
                .subscribe(&id, &case.query, case.variables.clone())
                .await;
            let answer = socket.answer(&id, Duration::from_secs(10)).await;
            assert_eq!(
                answer.last().map(|m| m["type"].clone()),
                Some(json!("error")),
                "{}",
                case.name
            );
        }
        // The anonymous 400-byte introspection query that once cost 2 GB, 15 times over.
        let admitted = format!("{{ {} }}", introspection_bomb(7));
        let mut runs = Vec::new();
        for _ in 0..15 {
            let url = url.clone();
            let q = admitted.clone();
            runs.push(tokio::spawn(async move {
                let res = reqwest::Client::new()
                    .post(&url)
                    .json(&json!({ "query": q }))
                    .send()
                    .await
                    .expect("request");
                res.status().as_u16()
            }));
        }
        for r in runs {
            assert!(r.await.expect("task") < 500);
        }
    }
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    let (ok, slowest) = served.await.expect("normal client");
    let health = reqwest::get(server.url("/healthz")).await.expect("healthz");
    assert_eq!(health.text().await.expect("text"), "ok");
    let (rss, peak) = memory_kb(server.pid());
    eprintln!("{engine:?}: served {ok} normal requests meanwhile (slowest {slowest:?}); RSS {rss} kB, peak {peak} kB");
    assert!(ok > 0, "the other client was not served");
    assert!(peak < 200 * 1024, "peak RSS {peak} kB");
    let panics = reqwest::get(server.url("/metrics"))
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text");
    assert!(
        !panics.contains("plan_api_panics_total"),
        "a request panicked"
    );
}
