//! The real binary's lifecycle: killed with SIGKILL in the middle of a stream of writes it
//! loses nothing it acknowledged and leaves nothing half-written; on SIGTERM it stops cleanly;
//! migrators take turns.
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use plan_api::auth::Role;
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, Statement};
use serde_json::{json, Value};

use crate::helpers::{apply, both_engines, token, Binary, Engine, TestDb};

const RECORD: &str = "mutation($in: RecordRagUpdateInput!) { recordRagUpdate(input: $in) {
    ragUpdate { id status note } } }";

async fn post(client: &reqwest::Client, url: &str, token: &str, query: &str, vars: Value) -> Value {
    client
        .post(url)
        .bearer_auth(token)
        .json(&json!({ "query": query, "variables": vars }))
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("json")
}

async fn rows(db: &DatabaseConnection, sql: &str) -> Vec<sea_orm::QueryResult> {
    db.query_all_raw(Statement::from_string(
        db.get_database_backend(),
        sql.to_string(),
    ))
    .await
    .expect("query")
}

/// What the database holds for the test's writes: history rows and audit events by key.
async fn written(db: &DatabaseConnection) -> (BTreeMap<String, i64>, BTreeMap<String, i64>) {
    let mut history = BTreeMap::new();
    for r in rows(
        db,
        "SELECT note, COUNT(*) AS n FROM rag_update WHERE note LIKE 'crash-test %' GROUP BY note",
    )
    .await
    {
        let note: String = r.try_get("", "note").expect("note");
        let n: i64 = r.try_get("", "n").expect("n");
        history.insert(note.trim_start_matches("crash-test ").to_string(), n);
    }
    let mut audit = BTreeMap::new();
    for r in rows(
        db,
        "SELECT idempotency_key, COUNT(*) AS n FROM audit_event \
         WHERE idempotency_key LIKE 'crash-%' GROUP BY idempotency_key",
    )
    .await
    {
        let key: String = r.try_get("", "idempotency_key").expect("key");
        let n: i64 = r.try_get("", "n").expect("n");
        audit.insert(key, n);
    }
    (history, audit)
}

/// Every action's current status is its latest history entry's.
async fn current_equals_latest(db: &DatabaseConnection) {
    let actions = rows(db, "SELECT id, code, rag_status FROM action").await;
    let latest = rows(
        db,
        "SELECT action_id, status, effective_date, id FROM rag_update ORDER BY action_id, effective_date, id",
    )
    .await;
    let mut last = BTreeMap::new();
    for r in latest {
        let a: i32 = r.try_get("", "action_id").expect("action_id");
        let s: String = r.try_get("", "status").expect("status");
        last.insert(a, s);
    }
    assert!(!actions.is_empty());
    for r in actions {
        let id: i32 = r.try_get("", "id").expect("id");
        let code: String = r.try_get("", "code").expect("code");
        let status: String = r.try_get("", "rag_status").expect("status");
        assert_eq!(
            last.get(&id),
            Some(&status),
            "action {code}: current status is not its latest history entry"
        );
    }
}

#[apply(both_engines)]
async fn acknowledged_writes_survive_kill_9_and_nothing_is_half_written(on: Engine) {
    let Some(engine) = on.available() else { return };
    let database = TestDb::new(engine).await;
    let mut server = Binary::start(&database.url, &[]);
    let admin = token(Role::Admin, &[], &[]);
    let client = reqwest::Client::new();
    let url = server.url("/graphql");
    let d = post(
        &client,
        &url,
        &admin,
        "{ plan(slug: \"herefordshire-2012\") { actions(first: 40) { nodes { id state } } } }",
        json!({}),
    )
    .await;
    let ids: Vec<String> = d["data"]["plan"]["actions"]["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .filter(|n| n["state"] == "ACTIVE")
        .map(|n| n["id"].as_str().expect("id").to_string())
        .take(12)
        .collect();
    assert_eq!(ids.len(), 12);

    // Four writers, each on actions of its own, write until the server dies under them.
    let sent: Arc<Mutex<Vec<(String, Value)>>> = Arc::default();
    let acked: Arc<Mutex<BTreeSet<String>>> = Arc::default();
    let mut writers = Vec::new();
    for w in 0..4 {
        let (client, url, admin) = (client.clone(), url.clone(), admin.clone());
        let (sent, acked) = (sent.clone(), acked.clone());
        let mine: Vec<String> = ids.iter().skip(w).step_by(4).cloned().collect();
        writers.push(tokio::spawn(async move {
            for i in 0.. {
                let key = format!("crash-{w}-{i}");
                let status = ["AMBER", "GREEN", "RED"][i % 3];
                let input = json!({ "in": {
                        "actionId": mine[i % mine.len()], "status": status,
                        "note": format!("crash-test {key}"), "idempotencyKey": key } });
                sent.lock()
                    .expect("sent")
                    .push((key.clone(), input.clone()));
                let res = client
                    .post(&url)
                    .bearer_auth(&admin)
                    .json(&json!({ "query": RECORD, "variables": input }))
                    .send()
                    .await;
                let Ok(res) = res else { return };
                let Ok(body) = res.json::<Value>().await else {
                    return;
                };
                assert!(body.get("errors").is_none(), "{body:#}");
                assert_eq!(
                    body["data"]["recordRagUpdate"]["ragUpdate"]["status"],
                    status
                );
                acked.lock().expect("acked").insert(key);
            }
        }));
    }
    let until = std::time::Instant::now() + Duration::from_secs(120);
    while acked.lock().expect("acked").len() < 60 {
        assert!(std::time::Instant::now() < until, "writes too slow");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    server.kill9();
    for w in writers {
        w.await.expect("writer");
    }
    let acked = acked.lock().expect("acked").clone();
    let sent = sent.lock().expect("sent").clone();
    assert!(sent.len() > acked.len(), "the kill interrupted nothing");

    // After a restart: every acknowledged write is there, with its audit event; no write
    // is there without its audit event or the reverse; statuses match the history.
    let server = Binary::start(&database.url, &[]);
    let db = Database::connect(&database.url).await.expect("connect");
    let (history, audit) = written(&db).await;
    for key in &acked {
        assert_eq!(history.get(key), Some(&1), "acknowledged {key} lost");
    }
    assert_eq!(
        history.keys().collect::<Vec<_>>(),
        audit.keys().collect::<Vec<_>>(),
        "history rows and audit events disagree"
    );
    assert!(audit.values().all(|n| *n == 1), "{audit:?}");
    current_equals_latest(&db).await;

    // Every unacknowledged write, sent again with its key, lands exactly once.
    let url = server.url("/graphql");
    for (key, input) in sent.iter().filter(|(k, _)| !acked.contains(k)) {
        let body = post(&client, &url, &admin, RECORD, input.clone()).await;
        assert!(body.get("errors").is_none(), "{key}: {body:#}");
    }
    let (history, audit) = written(&db).await;
    assert_eq!(history.len(), sent.len());
    assert!(history.values().chain(audit.values()).all(|n| *n == 1));
    assert_eq!(
        history.keys().collect::<Vec<_>>(),
        audit.keys().collect::<Vec<_>>()
    );
    current_equals_latest(&db).await;
    db.close().await.ok();
    println!(
        "{engine:?}: {} acknowledged, {} in flight at the kill",
        acked.len(),
        sent.len() - acked.len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_fails_readiness_finishes_in_flight_requests_and_exits_0() {
    let database = TestDb::new(Engine::Sqlite).await;
    let mut server = Binary::start(
        &database.url,
        &[
            ("PLAN_API_SHUTDOWN_DELAY", "1s"),
            ("PLAN_API_SHUTDOWN_GRACE", "10s"),
        ],
    );
    let client = reqwest::Client::new();
    let admin = token(Role::Admin, &[], &[]);
    let ready = client
        .get(server.url("/readyz"))
        .send()
        .await
        .expect("readyz");
    assert_eq!(ready.status(), 200);
    // A request in flight when the signal arrives: a year of weekly trends by lead.
    let slow = {
        let (client, url, admin) = (client.clone(), server.url("/graphql"), admin.clone());
        tokio::spawn(async move {
            post(&client, &url, &admin,
                "{ plan(slug: \"herefordshire-2012\") { ragTrend(from: \"2012-11-01\", to: \"2013-10-31\", interval: WEEK, groupBy: LEAD) { asOf total } } }",
                json!({})).await
        })
    };
    tokio::time::sleep(Duration::from_millis(5)).await;
    server.terminate();
    tokio::time::sleep(Duration::from_millis(200)).await;
    // During the delay it still answers, but says it is not ready.
    let res = client
        .get(server.url("/readyz"))
        .send()
        .await
        .expect("readyz while stopping");
    assert_eq!(res.status(), 503);
    assert_eq!(res.text().await.expect("text"), "shutting down");
    let body = slow.await.expect("in-flight request");
    assert!(body["data"]["plan"]["ragTrend"].is_array(), "{body:#}");
    let status = tokio::task::spawn_blocking(move || {
        let s = server.wait_exit(Duration::from_secs(20));
        (s, server)
    })
    .await
    .expect("wait");
    let (status, server) = status;
    let status = status.expect("plan-api did not exit");
    assert!(status.success(), "exit status {status:?}");
    let log = server.log.lock().expect("log").join("\n");
    assert!(log.contains("shutting down"), "{log}");
}

#[apply(both_engines)]
async fn concurrent_migrators_take_turns_beside_a_serving_replica(on: Engine) {
    let Some(engine) = on.available() else { return };
    let database = TestDb::new(engine).await;
    // A replica serving...
    let server = Binary::start(&database.url, &[]);
    // ...while three `plan-api migrate` run at once.
    let runs: Vec<_> = (0..3)
        .map(|_| {
            std::process::Command::new(env!("CARGO_BIN_EXE_plan-api"))
                .arg("migrate")
                .env("PLAN_API_DATABASE_URL", &database.url)
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .expect("migrate")
        })
        .collect();
    for run in runs {
        let out = run.wait_with_output().expect("migrate");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let client = reqwest::Client::new();
    let res = client
        .get(server.url("/readyz"))
        .send()
        .await
        .expect("readyz");
    assert_eq!(res.status(), 200);
}

#[tokio::test]
async fn two_replicas_starting_together_load_the_plan_once() {
    let database = TestDb::new(Engine::Sqlite).await;
    let url = database.url.clone();
    let (a, b) = tokio::join!(
        tokio::task::spawn_blocking({
            let url = url.clone();
            move || Binary::start(&url, &[])
        }),
        tokio::task::spawn_blocking(move || Binary::start(&url, &[]))
    );
    let (_a, _b) = (a.expect("a"), b.expect("b"));
    let db = Database::connect(&database.url).await.expect("connect");
    let r = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT COUNT(*) AS n FROM plan".to_string(),
        ))
        .await
        .expect("query")
        .expect("row");
    assert_eq!(r.try_get::<i64>("", "n").expect("n"), 1);
}
