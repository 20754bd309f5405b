//! Cost limits: hostile or careless queries are refused before any database work, quickly,
//! with a code and the numbers behind it, while other clients are served as usual.
use std::time::{Duration, Instant};

use plan_api::auth::Role;
use serde_json::{json, Value};

use crate::helpers::{apply, both_engines, error_code, token, Engine, TestApp};

const PLAN: &str = r#"plan(slug: "herefordshire-2012")"#;

/// The issue's 2.5 KB query: 30 aliases of a page of actions with links of links and a page
/// of history each (answered with 29.6 MB after 8.2 s before there were limits).
fn thirty_heavy_aliases() -> String {
    let fields: String = (0..30)
        .map(|i| {
            format!(
                "a{i}: actions(first: 100) {{ nodes {{ code links {{ code links {{ code }} }} \
                 ragHistory(first: 100) {{ edges {{ node {{ status note effectiveDate }} }} }} }} }} "
            )
        })
        .collect();
    format!("{{ {PLAN} {{ {fields} }} }}")
}

/// `n` aliased root fields.
fn aliases(n: usize) -> String {
    let fields: String = (0..n)
        .map(|i| format!("p{i}: {PLAN} {{ title }} "))
        .collect();
    format!("{{ {fields} }}")
}

fn thousand_aliases() -> String {
    aliases(1000)
}

/// Fields nested `depth` deep: `plan { actions { nodes { links { links ... { code } } } } }`.
fn nested(depth: usize) -> String {
    let links = depth - 4;
    format!(
        "{{ {PLAN} {{ actions(first: 1) {{ nodes {{ {}code{} }} }} }} }}",
        "links { ".repeat(links),
        " }".repeat(links)
    )
}

/// The issue's four-level `links` nesting with a page of history at the bottom.
fn four_levels_of_links() -> String {
    format!(
        "{{ {PLAN} {{ actions(first: 100) {{ nodes {{ links {{ links {{ links {{ links {{ \
         ragHistory(first: 100) {{ edges {{ node {{ status }} }} }} }} }} }} }} }} }} }} }}"
    )
}

async fn post_timed(app: &TestApp, query: &str) -> (u16, Value, Duration) {
    let started = Instant::now();
    let res = app
        .client
        .post(app.url("/graphql"))
        .bearer_auth(&app.admin_token)
        .header("accept", "application/graphql-response+json")
        .json(&json!({ "query": query }))
        .send()
        .await
        .expect("request");
    let status = res.status().as_u16();
    let elapsed = started.elapsed();
    (status, res.json().await.expect("json"), elapsed)
}

/// POSTs a JSON body of `size` bytes over a raw connection, writing it while reading the
/// answer; returns the status, the body and the time to the status line.
async fn upload(app: &TestApp, size: usize, chunked: bool) -> (u16, String, Duration) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let stream = tokio::net::TcpStream::connect(app.addr)
        .await
        .expect("connect");
    let (mut rd, mut wr) = stream.into_split();
    let length = if chunked {
        "transfer-encoding: chunked".to_string()
    } else {
        format!("content-length: {size}")
    };
    let head = format!(
        "POST /graphql HTTP/1.1\r\nhost: {}\r\nauthorization: Bearer {}\r\n\
         content-type: application/json\r\n{length}\r\n\r\n",
        app.addr, app.admin_token
    );
    let started = Instant::now();
    wr.write_all(head.as_bytes()).await.expect("head");
    let writer = tokio::spawn(async move {
        let spaces = vec![b' '; 64 * 1024];
        let chunk = if chunked {
            let mut c = format!("{:x}\r\n", spaces.len()).into_bytes();
            c.extend_from_slice(&spaces);
            c.extend_from_slice(b"\r\n");
            c
        } else {
            spaces.clone()
        };
        let mut sent = 0;
        while sent < size {
            // The server closes the connection once it has answered: stop there.
            if wr.write_all(&chunk).await.is_err() {
                return;
            }
            sent += spaces.len();
        }
        if chunked {
            let _ = wr.write_all(b"0\r\n\r\n").await;
        }
    });
    let mut answer = Vec::new();
    let mut buf = [0u8; 4096];
    let mut elapsed = None;
    loop {
        match rd.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                elapsed.get_or_insert_with(|| started.elapsed());
                answer.extend_from_slice(&buf[..n]);
                let text = String::from_utf8_lossy(&answer);
                if let Some((head, body)) = text.split_once("\r\n\r\n") {
                    let len = head
                        .lines()
                        .find_map(|l| {
                            l.to_ascii_lowercase()
                                .strip_prefix("content-length:")
                                .map(|v| v.trim().to_string())
                        })
                        .and_then(|v| v.parse::<usize>().ok());
                    if len.is_some_and(|len| body.len() >= len) {
                        break;
                    }
                }
            }
        }
    }
    writer.abort();
    let text = String::from_utf8_lossy(&answer).to_string();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (status, body, elapsed.unwrap_or_default())
}

#[apply(both_engines)]
async fn hostile_queries_are_refused_quickly_while_others_are_served(on: Engine) {
    let Some(engine) = on.available() else { return };
    let app = TestApp::spawn(engine).await;
    let viewer = token(Role::Viewer, &[], &[]);
    // Another client's ordinary query, over and over, for as long as the hostile ones run.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let other = {
        let client = reqwest::Client::new();
        let url = app.url("/graphql");
        let stop = stop.clone();
        tokio::spawn(async move {
            let mut served = 0;
            while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                let res = client
                        .post(&url)
                        .bearer_auth(&viewer)
                        .json(&json!({ "query": "{ plan(slug: \"herefordshire-2012\") { actions(first: 5) { nodes { code rag { status } } } } }" }))
                        .send()
                        .await
                        .expect("ordinary request");
                assert_eq!(res.status(), 200);
                let body: Value = res.json().await.expect("json");
                assert_eq!(
                    body["data"]["plan"]["actions"]["nodes"]
                        .as_array()
                        .map(Vec::len),
                    Some(5),
                    "{body:#}"
                );
                served += 1;
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            served
        })
    };

    // (what, query, code, extensions it must carry)
    type Case = (
        &'static str,
        String,
        &'static str,
        &'static [(&'static str, u64)],
    );
    let cases: [Case; 6] = [
        (
            "30 heavy aliases",
            thirty_heavy_aliases(),
            "QUERY_TOO_COMPLEX",
            &[("limit", 50_000)],
        ),
        (
            // Refused before it is parsed: 1,000 aliases are over 10,000 tokens.
            "1,000 aliases",
            thousand_aliases(),
            "TOKEN_LIMIT",
            &[("limit", 5000)],
        ),
        (
            "31 aliases",
            aliases(31),
            "ALIAS_LIMIT",
            &[("aliases", 31), ("limit", 30)],
        ),
        (
            "depth 20",
            nested(20),
            "DEPTH_LIMIT",
            &[("depth", 20), ("limit", 12)],
        ),
        (
            // Refused before it is parsed: its braces nest deeper than any document may.
            "depth 50",
            nested(50),
            "NESTING_LIMIT",
            &[("limit", 40)],
        ),
        (
            "four levels of links",
            four_levels_of_links(),
            "QUERY_TOO_COMPLEX",
            &[("limit", 50_000)],
        ),
    ];
    for (name, query, code, details) in cases {
        app.reset_statements();
        // The best of three: the server shares two cores with the other client and with
        // the other tests of this binary, and a scheduling hiccup is not the refusal's cost.
        let mut times = Vec::new();
        for _ in 0..3 {
            let (status, body, elapsed) = post_timed(&app, &query).await;
            assert_eq!(status, 400, "{name}: {body:#}");
            assert_eq!(error_code(&body).as_deref(), Some(code), "{name}: {body:#}");
            assert!(
                body.get("data").is_none(),
                "{name}: no data entry: {body:#}"
            );
            let ext = &body["errors"][0]["extensions"];
            for (k, v) in details {
                assert_eq!(ext[*k], *v, "{name}: extensions.{k}: {body:#}");
            }
            times.push(elapsed);
        }
        let best = times.iter().min().copied().unwrap_or_default();
        assert!(
            best < Duration::from_millis(100),
            "{name}: refused after {times:?}"
        );
        println!("{name}: refused with {code} in {times:?}");
    }
    let cost = {
        let (_, body, _) = post_timed(&app, &thirty_heavy_aliases()).await;
        body["errors"][0]["extensions"]["cost"]
            .as_u64()
            .expect("cost")
    };
    assert!(cost > 1_000_000, "the 30 aliases cost {cost}");

    // 10 MB: refused from its Content-Length, before it is read. Sent as a browser or curl
    // would, the body streaming while the answer is read (an HTTP client that only reads
    // after writing everything sees the connection close under it instead).
    let mut times = Vec::new();
    for _ in 0..3 {
        let (status, body, elapsed) = upload(&app, 10 * 1024 * 1024, false).await;
        times.push(elapsed);
        assert_eq!(status, 413, "{body}");
        let body: Value = serde_json::from_str(&body).expect("json");
        assert_eq!(error_code(&body).as_deref(), Some("PAYLOAD_TOO_LARGE"));
        assert_eq!(body["errors"][0]["extensions"]["limit"], 2 * 1024 * 1024);
    }
    let best = times.iter().min().copied().unwrap_or_default();
    assert!(
        best < Duration::from_millis(100),
        "10 MB body refused after {times:?}"
    );
    println!("10 MB body: refused with 413 in {times:?}");

    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    let served = other.await.expect("the other client");
    assert!(served > 0, "the other client was not served meanwhile");
}

#[apply(both_engines)]
async fn refused_queries_touch_no_database(on: Engine) {
    let Some(engine) = on.available() else { return };
    let app = TestApp::spawn(engine).await;
    for query in [thirty_heavy_aliases(), thousand_aliases(), nested(50)] {
        app.reset_statements();
        let body = app.graphql(&query, json!({})).await;
        assert!(error_code(&body).is_some(), "{body:#}");
        assert_eq!(app.statement_count(), 0, "a refused query ran SQL");
    }
}

#[tokio::test]
async fn a_chunked_body_over_the_limit_is_413_too() {
    let app = TestApp::spawn(Engine::Sqlite).await;
    let (status, body, _) = upload(&app, 3 * 1024 * 1024, true).await;
    assert_eq!(status, 413, "{body}");
    let body: Value = serde_json::from_str(&body).expect("json");
    assert_eq!(error_code(&body).as_deref(), Some("PAYLOAD_TOO_LARGE"));
    // Under the limit, the same way of sending works.
    let (status, body, _) = upload(&app, 64 * 1024, true).await;
    assert_eq!(status, 400, "{body}");
    let body: Value = serde_json::from_str(&body).expect("json");
    assert_eq!(
        error_code(&body).as_deref(),
        Some("BAD_REQUEST"),
        "spaces are not a request"
    );
}

#[tokio::test]
async fn refusals_follow_the_legacy_media_type_rules_too() {
    // With `application/json` (no Accept header), a well-formed GraphQL response is 200,
    // as the spec asks for clients written before it.
    let app = TestApp::spawn(Engine::Sqlite).await;
    let (status, body) = app
        .graphql_with(
            Some(&format!("Bearer {}", app.admin_token)),
            &aliases(31),
            json!({}),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(error_code(&body).as_deref(), Some("ALIAS_LIMIT"));
    assert!(body.get("data").is_none(), "{body:#}");
}

#[tokio::test]
async fn fragments_cannot_hide_cost() {
    let app = TestApp::spawn(Engine::Sqlite).await;
    let mut q = format!("{{ {PLAN} {{ ...F0 }} }}\n");
    for i in 0..30 {
        q.push_str(&format!(
            "fragment F{i} on Plan {{ ...F{} ...F{} }}\n",
            i + 1,
            i + 1
        ));
    }
    q.push_str("fragment F30 on Plan { title }\n");
    let started = Instant::now();
    let body = app.graphql(&q, json!({})).await;
    assert_eq!(
        error_code(&body).as_deref(),
        Some("QUERY_TOO_COMPLEX"),
        "{body:#}"
    );
    assert!(started.elapsed() < Duration::from_millis(500));
}

#[tokio::test]
async fn the_limits_are_configurable() {
    let app = TestApp::spawn_adjusted(Engine::Sqlite, |s| {
        s.door.cost.max_cost = 500;
        s.door.cost.max_depth = 3;
        s.rate = plan_api::admission::RatePolicy::unlimited();
    })
    .await;
    let body = app
        .graphql(
            &format!("{{ {PLAN} {{ actions(first: 100) {{ nodes {{ code }} }} }} }}"),
            json!({}),
        )
        .await;
    assert_eq!(
        error_code(&body).as_deref(),
        Some("DEPTH_LIMIT"),
        "{body:#}"
    );
    let body = app
        .graphql(
            &format!("{{ {PLAN} {{ actions(first: 100) {{ totalCount }} }} }}"),
            json!({}),
        )
        .await;
    assert!(body.get("errors").is_none(), "{body:#}");
    let body = app
        .graphql(
            &format!("{{ {PLAN} {{ people {{ code name }} themes {{ title }} }} }}"),
            json!({}),
        )
        .await;
    assert!(body.get("errors").is_none(), "{body:#}");
    let body = app
        .graphql(
            "{ plans(first: 100) { nodes { title version authority slug id } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        error_code(&body).as_deref(),
        Some("QUERY_TOO_COMPLEX"),
        "{body:#}"
    );
    assert_eq!(body["errors"][0]["extensions"]["limit"], 500);
}

#[tokio::test]
async fn slow_requests_time_out() {
    let app = TestApp::spawn_adjusted(Engine::Sqlite, |s| {
        s.door.request_timeout = Duration::from_millis(1);
        s.rate = plan_api::admission::RatePolicy::unlimited();
    })
    .await;
    let res = app
        .client
        .post(app.url("/graphql"))
        .bearer_auth(&app.admin_token)
        .json(&json!({ "query": format!("{{ {PLAN} {{ ragTrend(from: \"2012-11-01\", to: \"2013-10-31\", interval: WEEK, groupBy: WORKSTREAM) {{ asOf groups {{ key total }} }} actions(first: 100) {{ nodes {{ code links {{ code }} ragHistory(first: 20) {{ edges {{ node {{ status }} }} }} }} }} }} }}") }))
        .send()
        .await
        .expect("request");
    let status = res.status();
    let body: Value = res.json().await.expect("json");
    assert_eq!(status, 504, "{body:#}");
    assert_eq!(error_code(&body).as_deref(), Some("TIMEOUT"), "{body:#}");
}
