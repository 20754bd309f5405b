//! Concurrent writers: none is lost, stale versions are refused, retries write once.
use std::sync::Arc;
use std::time::Instant;

use sea_orm::{ConnectionTrait, Statement};
use serde_json::{json, Value};
use tokio::task::JoinSet;

use crate::helpers::{action, apply, both_engines, Engine, TestApp};

const RECORD: &str = "mutation($in: RecordRagUpdateInput!) { recordRagUpdate(input: $in) {
    action { id version rag { status note } } ragUpdate { id status previousStatus note } } }";

async fn scalar(app: &TestApp, sql: &str) -> i64 {
    let row = app
        .db
        .query_one_raw(Statement::from_string(
            app.db.get_database_backend(),
            sql.to_string(),
        ))
        .await
        .expect("query")
        .expect("row");
    row.try_get::<i64>("", "n").expect("n")
}

/// Sends every input at once; returns the bodies in input order.
async fn all_at_once(app: &Arc<TestApp>, inputs: Vec<Value>) -> Vec<Value> {
    let mut set = JoinSet::new();
    for (i, input) in inputs.into_iter().enumerate() {
        let app = app.clone();
        set.spawn(async move { (i, app.graphql(RECORD, json!({ "in": input })).await) });
    }
    let mut out = vec![Value::Null; set.len()];
    while let Some(done) = set.join_next().await {
        let (i, body) = done.expect("task");
        out[i] = body;
    }
    out
}

#[apply(both_engines)]
async fn concurrent_updates_are_all_kept(on: Engine) {
    let Some(engine) = on.available() else { return };
    let app = Arc::new(TestApp::spawn(engine).await);
    let a = action(&app, "2.1 (a)", "id version").await;
    let id = a["id"].as_str().expect("id").to_string();
    let action_id: i64 = scalar(
        &app,
        "SELECT CAST(id AS BIGINT) AS n FROM action WHERE code = '2.1 (a)'",
    )
    .await;
    let history_before = scalar(
        &app,
        &format!("SELECT COUNT(*) AS n FROM rag_update WHERE action_id = {action_id}"),
    )
    .await;
    let statuses = ["RED", "AMBER", "GREEN", "BLUE", "GREY"];
    let inputs = (0..50)
        .map(
            |i| json!({ "actionId": id, "status": statuses[i % 5], "note": format!("writer {i}") }),
        )
        .collect();
    let started = Instant::now();
    let bodies = all_at_once(&app, inputs).await;
    let elapsed = started.elapsed();
    for b in &bodies {
        assert!(b.get("errors").is_none(), "a writer failed: {b:#}");
    }
    // Versions handed out are exactly 2..=51: every writer saw the one before it.
    let mut versions: Vec<i64> = bodies
        .iter()
        .map(|b| {
            b["data"]["recordRagUpdate"]["action"]["version"]
                .as_i64()
                .expect("version")
        })
        .collect();
    versions.sort_unstable();
    assert_eq!(versions, (2..=51).collect::<Vec<_>>());

    let history = scalar(
        &app,
        &format!("SELECT COUNT(*) AS n FROM rag_update WHERE action_id = {action_id}"),
    )
    .await;
    assert_eq!(history - history_before, 50, "history rows");
    let audit = scalar(
        &app,
        &format!(
            "SELECT COUNT(*) AS n FROM audit_event WHERE object_type = 'Action' AND object_id = {action_id} AND operation = 'recordRagUpdate'"
        ),
    )
    .await;
    assert_eq!(audit, 50, "audit events");

    // Each entry's previous status is the status of the entry before it: a chain, no gaps.
    let now = action(
        &app,
        "2.1 (a)",
        "version rag { status note } ragHistory(first: 51) { edges { node { status previousStatus note } } }",
    )
    .await;
    assert_eq!(now["version"], 51);
    let edges = now["ragHistory"]["edges"].as_array().expect("edges");
    let latest = &edges[0]["node"];
    assert_eq!(now["rag"]["status"], latest["status"], "current = latest");
    assert_eq!(now["rag"]["note"], latest["note"]);
    for pair in edges.windows(2) {
        assert_eq!(pair[0]["node"]["previousStatus"], pair[1]["node"]["status"]);
    }
    eprintln!(
        "{engine:?}: 50 concurrent recordRagUpdate on one action in {} ms; 50 history rows, 50 audit events, version 1 -> 51",
        elapsed.as_millis()
    );
}

#[apply(both_engines)]
async fn stale_versions_conflict_and_only_one_wins(on: Engine) {
    let Some(engine) = on.available() else { return };
    let app = Arc::new(TestApp::spawn(engine).await);
    let a = action(&app, "3.1", "id version").await;
    let id = a["id"].as_str().expect("id").to_string();
    let v = a["version"].as_i64().expect("version");
    let inputs = (0..10)
        .map(|i| {
            json!({ "actionId": id, "status": "AMBER", "note": format!("racer {i}"), "expectedVersion": v })
        })
        .collect();
    let bodies = all_at_once(&app, inputs).await;
    let won = bodies.iter().filter(|b| b.get("errors").is_none()).count();
    let conflicts = bodies
        .iter()
        .filter(|b| b["errors"][0]["extensions"]["code"] == "VERSION_CONFLICT")
        .count();
    assert_eq!((won, conflicts), (1, 9), "{bodies:#?}");
    let after = action(&app, "3.1", "version ragHistory { totalCount }").await;
    assert_eq!(after["version"], v + 1);
    assert_eq!(after["ragHistory"]["totalCount"], 2);
    let msg = bodies
        .iter()
        .find_map(|b| b["errors"][0]["message"].as_str())
        .expect("message");
    assert!(msg.contains(&format!("version {}", v + 1)), "{msg}");
    eprintln!("{engine:?}: 10 racers on expectedVersion {v}: 1 won, 9 VERSION_CONFLICT");
}

#[apply(both_engines)]
async fn idempotent_retries_write_once(on: Engine) {
    let Some(engine) = on.available() else { return };
    let app = Arc::new(TestApp::spawn(engine).await);
    let a = action(&app, "4.1", "id").await;
    let id = a["id"].as_str().expect("id").to_string();
    let input =
        json!({ "actionId": id, "status": "RED", "note": "slipped", "idempotencyKey": "sync-42" });
    // Ten copies at once (a client retrying on timeouts), then one more later.
    let mut bodies = all_at_once(&app, vec![input.clone(); 10]).await;
    bodies.push(app.graphql(RECORD, json!({ "in": input })).await);
    let first = &bodies[0]["data"]["recordRagUpdate"];
    assert!(!first.is_null(), "{:#}", bodies[0]);
    for b in &bodies {
        assert_eq!(
            b["data"]["recordRagUpdate"]["ragUpdate"], first["ragUpdate"],
            "every retry answers the first result: {b:#}"
        );
    }
    let after = action(&app, "4.1", "version ragHistory { totalCount }").await;
    assert_eq!(after["version"], 2, "written once");
    assert_eq!(after["ragHistory"]["totalCount"], 2);
    assert_eq!(
        scalar(
            &app,
            "SELECT COUNT(*) AS n FROM audit_event WHERE operation = 'recordRagUpdate'"
        )
        .await,
        1,
        "one audit event"
    );

    // Same key, different input: refused, nothing written.
    let other =
        json!({ "actionId": id, "status": "AMBER", "note": "x", "idempotencyKey": "sync-42" });
    let body = app.graphql(RECORD, json!({ "in": other })).await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
        "{body:#}"
    );
    assert_eq!(action(&app, "4.1", "version").await["version"], 2);
    // The key belongs to its token subject: another subject may use the same key.
    let t = crate::helpers::token(plan_api::auth::Role::Lead, &[], &["*"]);
    let body = app.graphql_as(&t, RECORD, json!({ "in": other })).await;
    assert_eq!(
        body["data"]["recordRagUpdate"]["action"]["version"], 3,
        "{body:#}"
    );
}

#[apply(both_engines)]
async fn crossing_links_queue_instead_of_deadlocking(on: Engine) {
    let Some(engine) = on.available() else { return };
    let app = Arc::new(TestApp::spawn(engine).await);
    let (nodes, _) =
        crate::helpers::paged_actions(&app, &Value::Null, "id links { code } linkedFrom { code }")
            .await;
    // Actions linked to nothing yet, so every link below is new.
    let ids: Vec<Value> = nodes
        .iter()
        .filter(|n| n["links"] == json!([]) && n["linkedFrom"] == json!([]))
        .map(|n| n["id"].clone())
        .collect();
    assert!(ids.len() >= 40, "{} unlinked actions", ids.len());
    let link =
        "mutation($a: ID!, $b: ID!) { linkActions(input: {fromId: $a, toId: $b}) { from { id } } }";
    let mut set = JoinSet::new();
    // A links B while B links A, for twenty pairs at once.
    for pair in ids[..40].chunks(2) {
        for (a, b) in [(&pair[0], &pair[1]), (&pair[1], &pair[0])] {
            let (app, a, b) = (app.clone(), a.clone(), b.clone());
            set.spawn(async move { app.graphql(link, json!({ "a": a, "b": b })).await });
        }
    }
    let mut ok = 0;
    while let Some(done) = set.join_next().await {
        let body = done.expect("task");
        assert!(body.get("errors").is_none(), "{body:#}");
        ok += 1;
    }
    assert_eq!(ok, 40);
}
