//! Live updates: subscriptions over graphql-transport-ws and webhooks, against the real
//! server, on both engines (two replicas on PostgreSQL only).
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use hmac::{Hmac, Mac};
use plan_api::auth::{Role, TokenRequest};
use sea_orm::{ConnectionTrait, Database};
use serde_json::{json, Value};
use sha2::Sha256;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

use crate::helpers::*;

const PLAN: &str = "herefordshire-2012";
const SUB_RAG: &str = "subscription($plan: String!) { ragUpdated(plan: $plan) { eventId action { id code } ragUpdate { status note } } }";
const SUB_CHANGED: &str = "subscription($plan: String!) { actionChanged(plan: $plan) { eventId operation action { code workstream { name } } } }";
const RECORD: &str = "mutation($id: ID!, $s: RagStatus!, $n: String) { recordRagUpdate(input: { actionId: $id, status: $s, note: $n }) { action { code } } }";

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A graphql-transport-ws client.
struct Sub {
    ws: Ws,
}

impl Sub {
    /// Connects and sends `connection_init` with `token`; returns the socket before the ack.
    async fn open(addr: std::net::SocketAddr, token: &str) -> Ws {
        let mut req = format!("ws://{addr}/graphql/ws")
            .into_client_request()
            .expect("request");
        req.headers_mut().insert(
            "sec-websocket-protocol",
            "graphql-transport-ws".parse().expect("header"),
        );
        let (mut ws, _) = tokio_tungstenite::connect_async(req)
            .await
            .expect("connect");
        ws.send(Message::text(
            json!({"type": "connection_init", "payload": {"token": token}}).to_string(),
        ))
        .await
        .expect("init");
        ws
    }

    /// Connected, acknowledged, and subscribed to `query` as id "1".
    async fn start(addr: std::net::SocketAddr, token: &str, query: &str, vars: Value) -> Self {
        let mut ws = Self::open(addr, token).await;
        let ack = next_json(&mut ws, Duration::from_secs(5))
            .await
            .expect("ack");
        assert_eq!(ack["type"], "connection_ack", "{ack}");
        ws.send(Message::text(
            json!({"id": "1", "type": "subscribe", "payload": {"query": query, "variables": vars}})
                .to_string(),
        ))
        .await
        .expect("subscribe");
        // The server starts listening as it handles `subscribe`; a ping round trip after it
        // proves it has.
        ws.send(Message::text(json!({"type": "ping"}).to_string()))
            .await
            .expect("ping");
        let pong = next_json(&mut ws, Duration::from_secs(5))
            .await
            .expect("pong");
        assert_eq!(pong["type"], "pong", "{pong}");
        tokio::time::sleep(Duration::from_millis(100)).await;
        Self { ws }
    }

    /// The next `next` payload's data, or None after `limit`.
    async fn event(&mut self, limit: Duration) -> Option<Value> {
        let msg = next_json(&mut self.ws, limit).await?;
        assert_eq!(msg["type"], "next", "{msg}");
        assert!(msg["payload"].get("errors").is_none(), "{msg}");
        Some(msg["payload"]["data"].clone())
    }
}

async fn next_json(ws: &mut Ws, limit: Duration) -> Option<Value> {
    let until = Instant::now() + limit;
    loop {
        let left = until.checked_duration_since(Instant::now())?;
        match tokio::time::timeout(left, ws.next()).await {
            Ok(Some(Ok(Message::Text(t)))) => {
                return Some(serde_json::from_str(t.as_str()).expect("json"))
            }
            Ok(Some(Ok(Message::Close(frame)))) => {
                return Some(json!({"type": "close", "code": frame.map(|f| u16::from(f.code))}))
            }
            Ok(Some(Ok(_))) => continue,
            _ => return None,
        }
    }
}

/// (global id, code, workstream) of the plan's active actions.
async fn actions(app_url: &str, token: &str) -> Vec<(String, String, String)> {
    let d = post(
        app_url,
        token,
        "{ plan(slug: \"herefordshire-2012\") { actions(first: 100) { nodes { id code state workstream { name } } } } }",
        json!({}),
    )
    .await;
    d["data"]["plan"]["actions"]["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .filter(|n| n["state"] == "ACTIVE")
        .map(|n| {
            (
                n["id"].as_str().expect("id").to_string(),
                n["code"].as_str().expect("code").to_string(),
                n["workstream"]["name"].as_str().expect("ws").to_string(),
            )
        })
        .collect()
}

async fn post(url: &str, token: &str, query: &str, variables: Value) -> Value {
    reqwest::Client::new()
        .post(url)
        .bearer_auth(token)
        .json(&json!({"query": query, "variables": variables}))
        .send()
        .await
        .expect("post")
        .json()
        .await
        .expect("json")
}

async fn record(url: &str, token: &str, id: &str, status: &str) -> Value {
    let d = post(
        url,
        token,
        RECORD,
        json!({"id": id, "s": status, "n": "live test"}),
    )
    .await;
    assert!(d.get("errors").is_none(), "{d}");
    d
}

fn short_token(role: Role, ttl: Duration) -> String {
    test_auth()
        .issuer()
        .expect("issuer")
        .issue(&TokenRequest {
            sub: "short".into(),
            role,
            name: None,
            leads: vec![],
            workstreams: vec![],
            plans: vec![],
            ttl,
        })
        .expect("token")
}

#[apply(both_engines)]
async fn subscribers_hear_changes_within_a_second_and_partners_only_their_own(on: Engine) {
    let Some(engine) = on.available() else { return };
    let app = TestApp::spawn(engine).await;
    let url = app.url("/graphql");
    let all = actions(&url, &app.admin_token).await;
    let inside = all
        .iter()
        .find(|a| a.2 == "Practice")
        .expect("a Practice action")
        .clone();
    let outside = all
        .iter()
        .find(|a| a.2 != "Practice")
        .expect("another action")
        .clone();
    let partner = token(Role::Partner, &[], &["Practice"]);
    let vars = json!({"plan": PLAN});
    let mut admin_sub = Sub::start(app.addr, &app.admin_token, SUB_RAG, vars.clone()).await;
    let mut partner_sub = Sub::start(app.addr, &partner, SUB_RAG, vars.clone()).await;

    let t = Instant::now();
    record(&url, &app.admin_token, &outside.0, "GREEN").await;
    record(&url, &app.admin_token, &inside.0, "RED").await;
    let a1 = admin_sub
        .event(Duration::from_secs(1))
        .await
        .expect("admin: first event");
    let a2 = admin_sub
        .event(Duration::from_secs(1))
        .await
        .expect("admin: second event");
    assert!(t.elapsed() < Duration::from_secs(2));
    assert_eq!(a1["ragUpdated"]["action"]["code"], outside.1.as_str());
    assert_eq!(a1["ragUpdated"]["ragUpdate"]["status"], "GREEN");
    assert_eq!(a2["ragUpdated"]["action"]["code"], inside.1.as_str());
    assert!(a2["ragUpdated"]["eventId"].as_i64() > a1["ragUpdated"]["eventId"].as_i64());
    let p1 = partner_sub
        .event(Duration::from_secs(1))
        .await
        .expect("partner: its event");
    assert_eq!(p1["ragUpdated"]["action"]["code"], inside.1.as_str());
    assert_eq!(p1["ragUpdated"]["ragUpdate"]["status"], "RED");
    assert!(
        partner_sub
            .event(Duration::from_millis(500))
            .await
            .is_none(),
        "the partner heard of an action outside its scope"
    );

    // Moved out of the partner's scope: its events end there.
    let mut partner_changes = Sub::start(app.addr, &partner, SUB_CHANGED, vars.clone()).await;
    let other_ws = if outside.2 == "Practice" {
        "HSCB"
    } else {
        outside.2.as_str()
    };
    let moved = post(
            &url,
            &app.admin_token,
            "mutation($id: ID!, $w: String!) { moveAction(input: { actionId: $id, workstream: $w, reason: \"test\" }) { action { code } } }",
            json!({"id": inside.0, "w": other_ws}),
        )
        .await;
    assert!(moved.get("errors").is_none(), "{moved}");
    record(&url, &app.admin_token, &inside.0, "AMBER").await;
    let a3 = admin_sub
        .event(Duration::from_secs(1))
        .await
        .expect("admin hears it");
    assert_eq!(a3["ragUpdated"]["action"]["code"], inside.1.as_str());
    assert!(partner_sub
        .event(Duration::from_millis(500))
        .await
        .is_none());
    assert!(partner_changes
        .event(Duration::from_millis(300))
        .await
        .is_none());
}

#[apply(both_engines)]
async fn a_bad_token_and_an_expired_one_close_the_socket_with_4403(on: Engine) {
    let Some(engine) = on.available() else { return };
    let app = TestApp::spawn(engine).await;
    let mut ws = Sub::open(app.addr, "not-a-token").await;
    let closed = next_json(&mut ws, Duration::from_secs(3))
        .await
        .expect("close");
    assert_eq!(closed["code"], 4403, "{closed}");

    // Valid for 2 s (the verifier allows 30 s of clock skew on connect, not after).
    let short = short_token(Role::Viewer, Duration::from_secs(2));
    let mut sub = Sub::start(app.addr, &short, SUB_RAG, json!({"plan": PLAN})).await;
    let t = Instant::now();
    let closed = next_json(&mut sub.ws, Duration::from_secs(5))
        .await
        .expect("close");
    assert_eq!(closed["code"], 4403, "{closed}");
    assert!(t.elapsed() < Duration::from_secs(4));

    // A subscription over its cost limit is refused before it runs.
    let heavy = "subscription { ragUpdated(plan: \"herefordshire-2012\") { action { actions: links { links { links { links { links { links { links { links { links { links { code } } } } } } } } } } } } }";
    let token = token(Role::Viewer, &[], &[]);
    let mut ws = Sub::open(app.addr, &token).await;
    next_json(&mut ws, Duration::from_secs(3))
        .await
        .expect("ack");
    ws.send(Message::text(
        json!({"id": "9", "type": "subscribe", "payload": {"query": heavy}}).to_string(),
    ))
    .await
    .expect("send");
    let refused = next_json(&mut ws, Duration::from_secs(3))
        .await
        .expect("refusal");
    let code = refused["payload"][0]["extensions"]["code"]
        .as_str()
        .or(refused["payload"]["errors"][0]["extensions"]["code"].as_str())
        .unwrap_or_default()
        .to_string();
    assert!(
        ["DEPTH_LIMIT", "QUERY_TOO_COMPLEX", "TOO_MANY_NODES"].contains(&code.as_str()),
        "{refused}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_through_one_replica_reaches_a_subscriber_of_the_other_and_a_rollback_nothing() {
    if std::env::var("TEST_DATABASE_URL").is_err() {
        eprintln!("TEST_DATABASE_URL unset: skipping (PostgreSQL only)");
        return;
    }
    let database = TestDb::new(Engine::Postgres).await;
    let a = Binary::start(&database.url, &[]);
    let b = Binary::start(&database.url, &[]);
    let admin = token(Role::Admin, &[], &[]);
    let targets = actions(&b.url("/graphql"), &admin).await;
    let mut sub = Sub::start(a.addr, &admin, SUB_RAG, json!({"plan": PLAN})).await;

    let t = Instant::now();
    record(&b.url("/graphql"), &admin, &targets[0].0, "GREEN").await;
    let e = sub
        .event(Duration::from_secs(1))
        .await
        .expect("heard through A");
    assert!(t.elapsed() < Duration::from_secs(2));
    assert_eq!(e["ragUpdated"]["action"]["code"], targets[0].1.as_str());

    // A write that fails (RED needs a note) and a transaction rolled back by hand: nothing.
    let refused = post(
        &b.url("/graphql"),
        &admin,
        RECORD,
        json!({"id": targets[1].0, "s": "RED", "n": null}),
    )
    .await;
    assert!(refused.get("errors").is_some(), "{refused}");
    let db = Database::connect(&database.url).await.expect("connect");
    db.execute_unprepared(
        "BEGIN; \
         INSERT INTO audit_event (plan_id, occurred_at, actor_sub, actor_role, operation, object_type, object_id) \
         SELECT plan_id, now(), 'x', 'admin', 'recordRagUpdate', 'Action', id FROM action LIMIT 1; \
         ROLLBACK;",
    )
    .await
    .expect("rolled back insert");
    assert!(
        sub.event(Duration::from_millis(1000)).await.is_none(),
        "a rollback was announced"
    );

    // Still listening: the next committed change arrives.
    record(&a.url("/graphql"), &admin, &targets[2].0, "AMBER").await;
    let e = sub.event(Duration::from_secs(1)).await.expect("heard");
    assert_eq!(e["ragUpdated"]["action"]["code"], targets[2].1.as_str());
}

/// A delivery as received: its headers and body.
type Delivery = (BTreeMap<String, String>, Vec<u8>);

/// A webhook receiver on a port of its own: records what it is sent, answers `status`
/// (0: never answers).
#[derive(Clone, Default)]
struct Receiver {
    got: Arc<Mutex<Vec<Delivery>>>,
    status: Arc<AtomicU16>,
}

impl Receiver {
    async fn serve(&self, listener: tokio::net::TcpListener) -> tokio::task::JoinHandle<()> {
        let me = self.clone();
        let app = axum::Router::new().route(
            "/hook",
            axum::routing::post(
                move |headers: axum::http::HeaderMap, body: axum::body::Bytes| {
                    let me = me.clone();
                    async move {
                        let h = headers
                            .iter()
                            .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_string()))
                            .collect();
                        me.got.lock().expect("lock").push((h, body.to_vec()));
                        let status = me.status.load(Ordering::SeqCst);
                        if status == 0 {
                            tokio::time::sleep(Duration::from_secs(3600)).await;
                        }
                        axum::http::StatusCode::from_u16(status)
                            .unwrap_or(axum::http::StatusCode::OK)
                    }
                },
            ),
        );
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        })
    }

    /// The events received so far, as JSON bodies.
    fn bodies(&self) -> Vec<Value> {
        self.got
            .lock()
            .expect("lock")
            .iter()
            .map(|(_, b)| serde_json::from_slice(b).expect("json body"))
            .collect()
    }

    async fn wait_for(&self, n: usize, limit: Duration) -> Vec<Value> {
        let until = Instant::now() + limit;
        loop {
            let b = self.bodies();
            if b.len() >= n || Instant::now() > until {
                return b;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Every delivery carries a valid signature over its body, and the body's timestamp.
    fn check_signatures(&self, secret: &str) {
        for (h, body) in self.got.lock().expect("lock").iter() {
            let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("key");
            mac.update(body);
            let want = format!("sha256={}", hex::encode(mac.finalize().into_bytes()));
            assert_eq!(h.get("x-plan-api-signature"), Some(&want));
            let v: Value = serde_json::from_slice(body).expect("json");
            assert_eq!(
                h.get("x-plan-api-timestamp").map(String::as_str),
                Some(v["timestamp"].to_string().as_str())
            );
            assert_eq!(
                h.get("x-plan-api-event-id").map(String::as_str),
                Some(v["eventId"].to_string().as_str())
            );
        }
    }
}

const SECRET: &str = "receiver-secret-0123456789";
const CREATE: &str =
    "mutation($i: CreateWebhookInput!) { createWebhook(input: $i) { webhook { id } } }";

async fn create_webhook(url: &str, admin: &str, input: Value) -> String {
    let d = post(url, admin, CREATE, json!({ "i": input })).await;
    d["data"]["createWebhook"]["webhook"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{d}"))
        .to_string()
}

async fn receiver_webhook_id(app: &TestApp) -> String {
    let d = app.data("{ webhooks { id } }", json!({})).await;
    d["webhooks"][0]["id"]
        .as_str()
        .expect("a webhook")
        .to_string()
}

fn quick_retries(s: &mut plan_api::config::Serving) {
    s.rate = plan_api::admission::RatePolicy::unlimited();
    s.webhooks.retry_base = Duration::from_millis(100);
    s.webhooks.retry_max = Duration::from_millis(800);
    s.webhooks.allowed_hosts = vec!["127.0.0.1".into()];
}

#[apply(both_engines)]
async fn a_receiver_that_was_down_gets_every_event_in_order_signed(on: Engine) {
    let Some(engine) = on.available() else { return };
    let app = TestApp::spawn_adjusted(engine, quick_retries).await;
    let url = app.url("/graphql");
    // A port with nobody listening: the receiver is down.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("addr").port()
    };
    create_webhook(
        &url,
        &app.admin_token,
        json!({"plan": PLAN, "url": format!("http://127.0.0.1:{port}/hook"),
                   "events": ["RAG_UPDATED"], "secret": SECRET}),
    )
    .await;
    let targets = actions(&url, &app.admin_token).await;
    let statuses = ["GREEN", "AMBER", "GREEN"];
    for s in statuses {
        record(&url, &app.admin_token, &targets[0].0, s).await;
        record(&url, &app.admin_token, &targets[1].0, s).await;
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;

    let receiver = Receiver::default();
    receiver.status.store(200, Ordering::SeqCst);
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .expect("the port again");
    let _server = receiver.serve(listener).await;
    let got = receiver.wait_for(6, Duration::from_secs(10)).await;
    assert_eq!(got.len(), 6, "{got:#?}");
    receiver.check_signatures(SECRET);
    for (id, code) in [
        (&targets[0].0, &targets[0].1),
        (&targets[1].0, &targets[1].1),
    ] {
        let mine: Vec<&Value> = got
            .iter()
            .filter(|b| b["action"]["id"] == id.as_str())
            .collect();
        assert_eq!(mine.len(), 3, "{code}");
        let seen: Vec<&str> = mine
            .iter()
            .map(|b| b["ragUpdate"]["status"].as_str().expect("s"))
            .collect();
        assert_eq!(seen, statuses, "{code}: out of order");
        assert!(mine
            .windows(2)
            .all(|w| w[0]["eventId"].as_i64() < w[1]["eventId"].as_i64()));
    }
    // The failed attempts are on record, with what went wrong. The receiver has the last
    // event as soon as it is posted, a moment before the worker commits that it was
    // delivered: wait (briefly) for that commit.
    let mut d = Value::Null;
    for _ in 0..50 {
        d = app
            .data(
                "{ webhooks { id consecutiveFailures pendingDeliveries } }",
                json!({}),
            )
            .await;
        if d["webhooks"][0]["pendingDeliveries"] == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let id = d["webhooks"][0]["id"].as_str().expect("id").to_string();
    assert_eq!(d["webhooks"][0]["pendingDeliveries"], 0, "{d}");
    let d = app
            .data(
                "query($id: ID!) { webhookDeliveries(webhookId: $id, first: 100) { nodes { eventId delivered statusCode error } edges { cursor node { eventId } } totalCount } }",
                json!({"id": id}),
            )
            .await;
    let attempts = d["webhookDeliveries"]["nodes"].as_array().expect("nodes");
    assert_eq!(
        attempts.iter().filter(|a| a["delivered"] == true).count(),
        6
    );
    assert!(attempts
        .iter()
        .any(|a| a["delivered"] == false && a["error"].is_string()));
    // Every connection has edges (the same attempts, with cursors) and a total.
    let edges = d["webhookDeliveries"]["edges"].as_array().expect("edges");
    assert_eq!(edges.len(), attempts.len());
    assert!(edges
        .iter()
        .zip(attempts)
        .all(|(e, a)| e["node"]["eventId"] == a["eventId"] && e["cursor"].is_string()));
    assert_eq!(d["webhookDeliveries"]["totalCount"], json!(attempts.len()));
}

#[apply(both_engines)]
async fn a_partner_webhook_gets_only_its_work_stream(on: Engine) {
    let Some(engine) = on.available() else { return };
    let app = TestApp::spawn_adjusted(engine, quick_retries).await;
    let url = app.url("/graphql");
    let receiver = Receiver::default();
    receiver.status.store(204, Ordering::SeqCst);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let _server = receiver.serve(listener).await;
    create_webhook(
        &url,
        &app.admin_token,
        json!({"plan": PLAN, "url": format!("http://127.0.0.1:{port}/hook"),
                   "events": ["ACTION_CHANGED"], "secret": SECRET,
                   "role": "PARTNER", "workstreams": ["Practice"]}),
    )
    .await;
    let all = actions(&url, &app.admin_token).await;
    let inside: Vec<_> = all.iter().filter(|a| a.2 == "Practice").take(3).collect();
    let outside: Vec<_> = all.iter().filter(|a| a.2 != "Practice").take(3).collect();
    for (i, o) in inside.iter().zip(&outside) {
        record(&url, &app.admin_token, &o.0, "GREEN").await;
        record(&url, &app.admin_token, &i.0, "GREEN").await;
    }
    let got = receiver.wait_for(3, Duration::from_secs(5)).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let got_now = receiver.bodies();
    assert_eq!(got.len(), 3);
    assert_eq!(got_now.len(), 3, "more than the partner's actions arrived");
    for b in &got_now {
        assert!(
            inside.iter().any(|i| b["action"]["id"] == i.0.as_str()),
            "{b}"
        );
        assert_eq!(b["type"], "RAG_UPDATED");
    }
    receiver.check_signatures(SECRET);

    // Refused targets: this server, and cloud metadata.
    for bad in [
        format!("http://{}/graphql", app.addr).replace("127.0.0.1", "localhost"),
        "http://169.254.169.254/latest/meta-data/".to_string(),
    ] {
        let d = post(
            &url,
            &app.admin_token,
            CREATE,
            json!({"i": {"plan": PLAN, "url": bad, "events": ["RAG_UPDATED"], "secret": SECRET}}),
        )
        .await;
        assert_eq!(error_code(&d).as_deref(), Some("BAD_USER_INPUT"), "{d}");
    }
    // Only admins manage webhooks: every other role is refused, whatever the input.
    let id = receiver_webhook_id(&app).await;
    for role in [Role::Viewer, Role::Lead, Role::Integration, Role::Partner] {
        let t = token(role, &["KOM"], &["Practice"]);
        let d = post(&url, &t, "{ webhooks { id } }", json!({})).await;
        assert_eq!(error_code(&d).as_deref(), Some("FORBIDDEN"), "{d}");
        let d = post(
            &url,
            &t,
            CREATE,
            json!({"i": {"plan": PLAN, "url": format!("http://127.0.0.1:{port}/hook"),
                             "events": ["RAG_UPDATED"], "secret": SECRET}}),
        )
        .await;
        assert_eq!(error_code(&d).as_deref(), Some("FORBIDDEN"), "{d}");
        let d = post(
                &url,
                &t,
                "mutation($id: ID!) { updateWebhook(input: { id: $id, active: false }) { webhook { id } } }",
                json!({"id": id}),
            )
            .await;
        assert_eq!(error_code(&d).as_deref(), Some("FORBIDDEN"), "{d}");
        let d = post(
            &url,
            &t,
            "mutation($id: ID!) { deleteWebhook(id: $id) { webhook { id } } }",
            json!({"id": id}),
        )
        .await;
        assert_eq!(error_code(&d).as_deref(), Some("FORBIDDEN"), "{d}");
    }
    // An admin pauses it, then deletes it; the audit trail has all three changes.
    let d = app
            .data(
                "mutation($id: ID!) { updateWebhook(input: { id: $id, active: false }) { webhook { active } } }",
                json!({"id": id}),
            )
            .await;
    assert_eq!(d["updateWebhook"]["webhook"]["active"], false);
    app.data(
        "mutation($id: ID!) { deleteWebhook(id: $id) { webhook { id } } }",
        json!({"id": id}),
    )
    .await;
    let d = app.data("{ webhooks { id } }", json!({})).await;
    assert_eq!(d["webhooks"], json!([]));
    let d = app
        .data(
            "{ auditLog(first: 10) { edges { node { operation } } } }",
            json!({}),
        )
        .await;
    let ops: Vec<&str> = d["auditLog"]["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .filter_map(|n| n["node"]["operation"].as_str())
        .filter(|o| o.ends_with("Webhook"))
        .collect();
    assert_eq!(
        ops,
        ["deleteWebhook", "updateWebhook", "createWebhook"],
        "{d}"
    );
}

#[apply(both_engines)]
async fn a_delivery_cut_by_sigkill_is_sent_again_with_the_same_event_id(on: Engine) {
    let Some(engine) = on.available() else { return };
    let database = TestDb::new(engine).await;
    let env = [
        ("PLAN_API_WEBHOOK_ALLOWED_HOSTS", "127.0.0.1"),
        ("PLAN_API_WEBHOOK_RETRY_BASE", "100ms"),
        ("PLAN_API_WEBHOOK_RETRY_MAX", "500ms"),
        ("PLAN_API_WEBHOOK_TIMEOUT", "60s"),
    ];
    let mut server = Binary::start(&database.url, &env);
    let admin = token(Role::Admin, &[], &[]);
    let url = server.url("/graphql");
    let receiver = Receiver::default(); // status 0: takes the request and never answers
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let _rx = receiver.serve(listener).await;
    create_webhook(
        &url,
        &admin,
        json!({"plan": PLAN, "url": format!("http://127.0.0.1:{port}/hook"),
                   "events": ["RAG_UPDATED"], "secret": SECRET}),
    )
    .await;
    let targets = actions(&url, &admin).await;
    record(&url, &admin, &targets[0].0, "GREEN").await;
    let first = receiver.wait_for(1, Duration::from_secs(5)).await;
    assert_eq!(first.len(), 1, "the delivery did not start");
    let event_id = first[0]["eventId"].clone();

    server.kill9();
    receiver.status.store(200, Ordering::SeqCst);
    let server = Binary::start(&database.url, &env);
    let got = receiver.wait_for(2, Duration::from_secs(10)).await;
    assert_eq!(got.len(), 2, "not delivered again after the restart");
    assert_eq!(
        got[1]["eventId"], event_id,
        "a different event id the second time"
    );
    assert_eq!(got[1]["action"]["id"], targets[0].0.as_str());
    receiver.check_signatures(SECRET);
    // Delivered now: nothing more comes.
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert_eq!(receiver.bodies().len(), 2);
    drop(server);
}

/// A receiver listening on a port of its own, answering 204.
async fn listening_receiver() -> (Receiver, u16, tokio::task::JoinHandle<()>) {
    let receiver = Receiver::default();
    receiver.status.store(204, Ordering::SeqCst);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let server = receiver.serve(listener).await;
    (receiver, port, server)
}

const EVIDENCE: &str = "mutation($id: ID!, $w: String!) { addEvidence(input: { actionId: $id, what: $w }) { action { code } } }";
const PAUSE: &str = "mutation($id: ID!, $a: Boolean!) { updateWebhook(input: { id: $id, active: $a }) { webhook { active pendingDeliveries droppedEvents } } }";

#[apply(both_engines)]
async fn a_paused_webhook_gets_every_event_made_meanwhile_in_order_when_resumed(on: Engine) {
    let Some(engine) = on.available() else { return };
    let app = TestApp::spawn_adjusted(engine, quick_retries).await;
    let url = app.url("/graphql");
    let (receiver, port, _server) = listening_receiver().await;
    let id = create_webhook(
        &url,
        &app.admin_token,
        json!({"plan": PLAN, "url": format!("http://127.0.0.1:{port}/hook"),
               "events": ["ACTION_CHANGED"], "secret": SECRET}),
    )
    .await;
    let d = post(&url, &app.admin_token, PAUSE, json!({"id": id, "a": false})).await;
    assert_eq!(
        d["data"]["updateWebhook"]["webhook"]["active"], false,
        "{d}"
    );
    let all = actions(&url, &app.admin_token).await;
    // Evidence, a status, more evidence: each an event, made while paused.
    let d = post(
        &url,
        &app.admin_token,
        EVIDENCE,
        json!({"id": all[0].0, "w": "minutes of the board"}),
    )
    .await;
    assert!(d.get("errors").is_none(), "{d}");
    record(&url, &app.admin_token, &all[1].0, "AMBER").await;
    let d = post(
        &url,
        &app.admin_token,
        EVIDENCE,
        json!({"id": all[2].0, "w": "an audit"}),
    )
    .await;
    assert!(d.get("errors").is_none(), "{d}");
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(receiver.bodies().is_empty(), "delivered while paused");
    let d = app
        .data(
            "{ webhooks { pendingDeliveries droppedEvents } }",
            json!({}),
        )
        .await;
    assert_eq!(d["webhooks"][0]["pendingDeliveries"], 3, "{d}");
    assert_eq!(d["webhooks"][0]["droppedEvents"], 0, "{d}");
    // Resumed: all three, in the order they were made.
    post(&url, &app.admin_token, PAUSE, json!({"id": id, "a": true})).await;
    let got = receiver.wait_for(3, Duration::from_secs(10)).await;
    assert_eq!(got.len(), 3, "{got:?}");
    let ops: Vec<&str> = got.iter().filter_map(|b| b["operation"].as_str()).collect();
    assert_eq!(
        ops,
        ["addEvidence", "recordRagUpdate", "addEvidence"],
        "{got:?}"
    );
    let ids: Vec<i64> = got.iter().filter_map(|b| b["eventId"].as_i64()).collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "{ids:?}");
    assert_eq!(got[0]["action"]["id"], all[0].0.as_str());
    receiver.check_signatures(SECRET);
}

#[apply(both_engines)]
async fn a_partner_webhook_finds_no_trace_of_an_out_of_scope_action_it_is_linked_to(on: Engine) {
    let Some(engine) = on.available() else { return };
    let app = TestApp::spawn_adjusted(engine, quick_retries).await;
    let url = app.url("/graphql");
    let (receiver, port, _server) = listening_receiver().await;
    create_webhook(
        &url,
        &app.admin_token,
        json!({"plan": PLAN, "url": format!("http://127.0.0.1:{port}/hook"),
               "events": ["ACTION_CHANGED"], "secret": SECRET,
               "role": "PARTNER", "workstreams": ["MASH"]}),
    )
    .await;
    let all = actions(&url, &app.admin_token).await;
    let mash = all.iter().find(|a| a.2 == "MASH").expect("a MASH action");
    let mash_too = all
        .iter()
        .find(|a| a.2 == "MASH" && a.0 != mash.0)
        .expect("a second MASH action");
    let other = all
        .iter()
        .find(|a| a.2 != "MASH")
        .expect("an action elsewhere");
    let link = "mutation($f: ID!, $t: ID!) { linkActions(input: { fromId: $f, toId: $t }) { from { code } } }";
    for to in [other, mash_too] {
        let d = post(
            &url,
            &app.admin_token,
            link,
            json!({"f": mash.0, "t": to.0}),
        )
        .await;
        assert!(d.get("errors").is_none(), "{d}");
    }
    let got = receiver.wait_for(2, Duration::from_secs(10)).await;
    assert_eq!(got.len(), 2, "{got:?}");
    for (h, body) in receiver.got.lock().expect("lock").iter() {
        let text = String::from_utf8_lossy(body);
        assert!(
            !text.contains(&format!("\"{}\"", other.1)),
            "the out-of-scope action {} appears in {text} ({h:?})",
            other.1
        );
    }
    // What the partner can see is still named: the second link, to a MASH action.
    let last = &got[1];
    let links = last["change"]["after"]["links"].as_array().expect("links");
    assert!(links.iter().any(|c| c == mash_too.1.as_str()), "{last}");
}

#[apply(both_engines)]
async fn a_webhook_whose_filter_no_longer_resolves_does_not_hold_up_the_others(on: Engine) {
    let Some(engine) = on.available() else { return };
    let app = TestApp::spawn_adjusted(engine, quick_retries).await;
    let url = app.url("/graphql");
    let (broken, broken_port, _a) = listening_receiver().await;
    let (healthy, healthy_port, _b) = listening_receiver().await;
    for port in [broken_port, healthy_port] {
        create_webhook(
            &url,
            &app.admin_token,
            json!({"plan": PLAN, "url": format!("http://127.0.0.1:{port}/hook"),
                   "events": ["ACTION_CHANGED"], "secret": SECRET}),
        )
        .await;
    }
    // As a re-import that removed a lead would leave it: a stored filter naming nobody.
    app.db
        .execute_unprepared(&format!(
            "UPDATE webhook SET filter = '{{\"leads\": [\"NOBODY\"]}}' WHERE url LIKE '%:{broken_port}/%'"
        ))
        .await
        .expect("break the filter");
    let all = actions(&url, &app.admin_token).await;
    let started = Instant::now();
    record(&url, &app.admin_token, &all[0].0, "AMBER").await;
    let got = healthy.wait_for(1, Duration::from_secs(5)).await;
    assert_eq!(got.len(), 1);
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    record(&url, &app.admin_token, &all[1].0, "AMBER").await;
    let got = healthy.wait_for(2, Duration::from_secs(5)).await;
    assert_eq!(got.len(), 2, "the healthy webhook stopped");
    assert!(broken.bodies().is_empty());
    // The broken one says why, in its deliveries.
    let d = app.data("{ webhooks { id url } }", json!({})).await;
    let hooks = d["webhooks"].as_array().expect("webhooks");
    let id = hooks
        .iter()
        .find(|h| {
            h["url"]
                .as_str()
                .is_some_and(|u| u.contains(&format!(":{broken_port}/")))
        })
        .and_then(|h| h["id"].as_str())
        .expect("the broken webhook");
    let d = app
        .data(
            "query($id: ID!) { webhookDeliveries(webhookId: $id, first: 5) { nodes { delivered error } } }",
            json!({ "id": id }),
        )
        .await;
    let text = d.to_string();
    assert!(text.contains("no longer resolves"), "{d}");
}
