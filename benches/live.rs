//! Live-update latency: from a committed `recordRagUpdate` to a GraphQL subscriber and to a
//! webhook receiver, over N events (default 1,000), on SQLite and (with `BENCH_PG`) PostgreSQL.
//!
//! ```sh
//! cargo bench --bench live
//! BENCH_PG=postgres://postgres@127.0.0.1:5432/test cargo bench --bench live
//! ```
//! Each event is one status change, sent one after another over HTTP. Latency is measured
//! from the moment the mutation's response arrived (the change had committed by then) to the
//! moment the event arrived; the time from sending the mutation is printed too (an upper
//! bound that includes the write itself). `BENCH_EVENTS` changes N.
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use plan_api::auth::{AuthSettings, KeySource, Role, TokenRequest};
use plan_api::config::{Limits, Serving};
use plan_api::startup::App;
use sea_orm::ConnectionTrait;
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

const SECRET: &str = "plan-api-bench-secret-0123456789abcdef0123456789";
type Arrivals = Arc<Mutex<HashMap<String, Instant>>>;

fn main() {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async {
        let n: usize = std::env::var("BENCH_EVENTS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(1000);
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/target/bench");
        std::fs::create_dir_all(dir).expect("target/bench");
        let file = format!("{dir}/live-latency.sqlite");
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{file}{suffix}"));
        }
        run("SQLite", &format!("sqlite://{file}?mode=rwc"), n).await;
        if let Ok(admin_url) = std::env::var("BENCH_PG") {
            let admin = sea_orm::Database::connect(&admin_url)
                .await
                .expect("BENCH_PG");
            let name = "plan_live_latency";
            admin
                .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .await
                .expect("drop");
            admin
                .execute_unprepared(&format!("CREATE DATABASE {name}"))
                .await
                .expect("create");
            let base = admin_url
                .rsplit_once('/')
                .map_or(admin_url.as_str(), |(b, _)| b);
            run("PostgreSQL", &format!("{base}/{name}"), n).await;
            let _ = admin
                .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .await;
        }
    });
}

async fn run(engine: &str, url: &str, n: usize) {
    let db = plan_api::db::connect(url).await.expect("connect");
    plan_api::db::prepare(&db).await.expect("migrate and seed");
    let auth = AuthSettings {
        key: KeySource::Secret(SECRET.into()),
        issuer: "plan-api".into(),
        audience: "plan-api".into(),
    };
    let token = auth
        .issuer()
        .expect("issuer")
        .issue(&TokenRequest {
            sub: "bench".into(),
            role: Role::Admin,
            name: None,
            leads: vec![],
            workstreams: vec![],
            plans: vec![],
            ttl: Duration::from_secs(3600),
        })
        .expect("token");
    let limits = Limits::new(100);
    let mut serving = Serving::defaults(limits);
    serving.rate = plan_api::admission::RatePolicy::unlimited();
    serving.webhooks.allowed_hosts = vec!["127.0.0.1".into()];
    let app = App::with_serving(
        db,
        "127.0.0.1:0".parse().expect("addr"),
        limits,
        Arc::new(auth.verifier().expect("verifier")),
        serving,
    )
    .await
    .expect("bind");
    let addr = app.local_addr().expect("addr");
    tokio::spawn(app.run_until(std::future::pending()));
    let endpoint = format!("http://{addr}/graphql");
    let client = reqwest::Client::new();
    let gql = |query: &'static str, variables: Value| {
        let (client, endpoint, token) = (client.clone(), endpoint.clone(), token.clone());
        async move {
            let v: Value = client
                .post(&endpoint)
                .bearer_auth(&token)
                .json(&json!({"query": query, "variables": variables}))
                .send()
                .await
                .expect("post")
                .json()
                .await
                .expect("json");
            assert!(v.get("errors").is_none(), "{v}");
            v
        }
    };

    // The webhook receiver: notes when each history entry's event arrives.
    let hooked: Arrivals = Arc::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let hook_url = format!("http://{}/hook", listener.local_addr().expect("addr"));
    {
        let hooked = hooked.clone();
        let receiver = axum::Router::new().route(
            "/hook",
            axum::routing::post(move |body: axum::Json<Value>| {
                let hooked = hooked.clone();
                async move {
                    let at = Instant::now();
                    if let Some(id) = body["ragUpdate"]["id"].as_str() {
                        hooked.lock().expect("lock").insert(id.to_string(), at);
                    }
                    axum::http::StatusCode::NO_CONTENT
                }
            }),
        );
        tokio::spawn(async move { axum::serve(listener, receiver).await });
    }
    gql(
        "mutation($i: CreateWebhookInput!) { createWebhook(input: $i) { webhook { id } } }",
        json!({"i": {"plan": "herefordshire-2012", "url": hook_url, "events": ["RAG_UPDATED"],
                     "secret": "bench-secret-0123456789"}}),
    )
    .await;

    // The subscriber.
    let heard: Arrivals = Arc::default();
    let mut req = format!("ws://{addr}/graphql/ws")
        .into_client_request()
        .expect("request");
    req.headers_mut().insert(
        "sec-websocket-protocol",
        "graphql-transport-ws".parse().expect("header"),
    );
    let (mut ws, _) = tokio_tungstenite::connect_async_with_config(req, None, true)
        .await
        .expect("ws");
    ws.send(Message::text(
        json!({"type": "connection_init", "payload": {"token": token}}).to_string(),
    ))
    .await
    .expect("init");
    ws.next().await.expect("ack").expect("ack");
    ws.send(Message::text(
        json!({"id": "1", "type": "subscribe", "payload": {
            "query": "subscription { ragUpdated(plan: \"herefordshire-2012\") { ragUpdate { id } } }"}})
        .to_string(),
    ))
    .await
    .expect("subscribe");
    {
        let heard = heard.clone();
        tokio::spawn(async move {
            while let Some(Ok(Message::Text(t))) = ws.next().await {
                let at = Instant::now();
                let v: Value = serde_json::from_str(t.as_str()).expect("json");
                if let Some(id) = v["payload"]["data"]["ragUpdated"]["ragUpdate"]["id"].as_str() {
                    heard.lock().expect("lock").insert(id.to_string(), at);
                }
            }
        });
    }
    tokio::time::sleep(Duration::from_millis(300)).await;

    let ids: Vec<String> = gql(
        "{ plan(slug: \"herefordshire-2012\") { actions(first: 100, filter: { state: ACTIVE, rag: [RED, AMBER, GREEN, GREY] }) { nodes { id } } } }",
        json!({}),
    )
    .await["data"]["plan"]["actions"]["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .map(|a| a["id"].as_str().expect("id").to_string())
        .collect();
    // The first events load the plan's catalogue and warm the pools; they are not counted.
    let warm_up = 50;
    let mut sent = Vec::with_capacity(n);
    let mut started = Instant::now();
    for i in 0..n + warm_up {
        if i == warm_up {
            tokio::time::sleep(Duration::from_millis(200)).await;
            sent.clear();
            started = Instant::now();
        }
        let status = if (i / ids.len()) % 2 == 0 {
            "GREEN"
        } else {
            "AMBER"
        };
        let t0 = Instant::now();
        let v = gql(
            "mutation($id: ID!, $s: RagStatus!) { recordRagUpdate(input: { actionId: $id, status: $s }) { ragUpdate { id } } }",
            json!({"id": ids[i % ids.len()], "s": status}),
        )
        .await;
        let t1 = Instant::now();
        let id = v["data"]["recordRagUpdate"]["ragUpdate"]["id"]
            .as_str()
            .expect("id")
            .to_string();
        sent.push((id, t0, t1));
    }
    let writing = started.elapsed();
    let until = Instant::now() + Duration::from_secs(30);
    let all_in = |a: &Arrivals| {
        let a = a.lock().expect("lock");
        sent.iter().all(|(id, _, _)| a.contains_key(id))
    };
    while Instant::now() < until && !(all_in(&heard) && all_in(&hooked)) {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    println!(
        "{engine}: {n} status changes in {:.1} s ({:.0}/s), one after another",
        writing.as_secs_f64(),
        n as f64 / writing.as_secs_f64()
    );
    for (what, arrivals) in [("subscriber", &heard), ("webhook receiver", &hooked)] {
        let arrivals = arrivals.lock().expect("lock");
        let mut after_commit = Vec::new();
        let mut after_send = Vec::new();
        for (id, t0, t1) in &sent {
            if let Some(at) = arrivals.get(id) {
                after_commit.push(at.saturating_duration_since(*t1));
                after_send.push(at.saturating_duration_since(*t0));
            }
        }
        println!(
            "  to the {what}: {}/{n} arrived; after the commit p50 {} p99 {} max {}; after sending p50 {} p99 {}",
            after_commit.len(),
            ms(pct(&mut after_commit, 50.0)),
            ms(pct(&mut after_commit, 99.0)),
            ms(pct(&mut after_commit, 100.0)),
            ms(pct(&mut after_send, 50.0)),
            ms(pct(&mut after_send, 99.0)),
        );
    }
}

fn pct(v: &mut [Duration], p: f64) -> Duration {
    if v.is_empty() {
        return Duration::ZERO;
    }
    v.sort_unstable();
    let i = ((p / 100.0) * (v.len() - 1) as f64).round() as usize;
    v[i.min(v.len() - 1)]
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}
