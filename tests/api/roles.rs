//! The role × operation matrix: every kind of token, every mutation (and the audit log), on an
//! action in its scope and one outside it, over HTTP on both databases. The expectations are
//! written out here as a table, independently of `auth::policy`, and every refused call must
//! leave the database as it was.
use plan_api::auth::Role;
use sea_orm::{ConnectionTrait, Statement};
use serde_json::{json, Value};

use crate::helpers::{action, apply, both_engines, token, token_with, Engine, TestApp};

#[derive(Debug, Clone, Copy, PartialEq)]
enum Outcome {
    Ok,
    Forbidden,
    NotFound,
}
use Outcome::{Forbidden as F, NotFound as N, Ok as O};

#[derive(Debug, Clone, Copy, PartialEq)]
enum Op {
    RecordRagUpdate,
    RecordRagUpdates,
    UpdateMilestones,
    UpdateObjective,
    ExtendDeadline,
    AddEvidence,
    LinkActions,
    UnlinkActions,
    RetireAction,
    ReinstateAction,
    MoveAction,
    CreateAction,
    ImportPlan,
    AuditLog,
}

/// Principals, in the order of the table's columns.
const WHO: [&str; 6] = [
    "viewer",
    "lead (by person)",
    "lead (by work stream)",
    "integration",
    "partner",
    "admin",
];

/// Expected outcomes per principal (columns as `WHO`), in scope and out of scope.
/// Out of scope: admin/viewer tokens limited to another plan; lead, integration and partner
/// tokens on an action outside their leads/work streams.
#[rustfmt::skip]
const TABLE: [(Op, [Outcome; 6], [Outcome; 6]); 14] = [
    //                       viewer lead/p lead/w integ partner admin     viewer lead/p lead/w integ partner admin
    (Op::RecordRagUpdate,  [F, O, O, O, F, O],                      [N, F, F, F, N, N]),
    (Op::RecordRagUpdates, [F, O, O, O, F, O],                      [N, F, F, F, N, N]),
    (Op::UpdateMilestones, [F, O, O, F, F, O],                      [N, F, F, F, N, N]),
    (Op::UpdateObjective,  [F, F, F, F, F, O],                      [N, F, F, F, N, N]),
    (Op::ExtendDeadline,   [F, O, O, F, F, O],                      [N, F, F, F, N, N]),
    (Op::AddEvidence,      [F, O, O, O, O, O],                      [N, F, F, F, N, N]),
    (Op::LinkActions,      [F, F, F, F, F, O],                      [N, F, F, F, N, N]),
    (Op::UnlinkActions,    [F, F, F, F, F, O],                      [N, F, F, F, N, N]),
    (Op::RetireAction,     [F, F, F, F, F, O],                      [N, F, F, F, N, N]),
    (Op::ReinstateAction,  [F, F, F, F, F, O],                      [N, F, F, F, N, N]),
    (Op::MoveAction,       [F, F, F, F, F, O],                      [N, F, F, F, N, N]),
    (Op::CreateAction,     [F, F, F, F, F, O],                      [F, F, F, F, F, N]),
    (Op::ImportPlan,       [F, F, F, F, F, O],                      [F, F, F, F, F, F]),
    (Op::AuditLog,         [F, F, F, F, F, O],                      [F, F, F, F, F, O]),
];

struct Principal {
    name: &'static str,
    token: String,
    /// The same role limited to another plan (admin, viewer), else the same token.
    outside_token: String,
    in_scope: &'static str,
    out_of_scope: &'static str,
}

fn principals() -> Vec<Principal> {
    let elsewhere = ["another-plan"];
    vec![
        Principal {
            name: WHO[0],
            token: token(Role::Viewer, &[], &[]),
            outside_token: token_with(Role::Viewer, &[], &[], &elsewhere),
            in_scope: "1.1",
            out_of_scope: "1.1",
        },
        Principal {
            name: WHO[1],
            token: token(Role::Lead, &["KOM"], &[]),
            outside_token: token(Role::Lead, &["KOM"], &[]),
            in_scope: "1.1",
            out_of_scope: "1.7",
        },
        Principal {
            name: WHO[2],
            token: token(Role::Lead, &[], &["HSCB"]),
            outside_token: token(Role::Lead, &[], &["HSCB"]),
            in_scope: "1.7",
            out_of_scope: "1.1",
        },
        Principal {
            name: WHO[3],
            token: token(Role::Integration, &[], &["Practice"]),
            outside_token: token(Role::Integration, &[], &["Practice"]),
            in_scope: "1.1",
            out_of_scope: "1.7",
        },
        Principal {
            name: WHO[4],
            token: token(Role::Partner, &[], &["HSCB"]),
            outside_token: token(Role::Partner, &[], &["HSCB"]),
            in_scope: "1.7",
            out_of_scope: "1.1",
        },
        Principal {
            name: WHO[5],
            token: token(Role::Admin, &[], &[]),
            outside_token: token_with(Role::Admin, &[], &[], &elsewhere),
            in_scope: "1.1",
            out_of_scope: "1.1",
        },
    ]
}

/// The request for `op` on action `id` (with `other` as a second action of the same plan).
fn request(op: Op, id: &str, other: &str, plan: &str, n: usize) -> (String, Value) {
    let key = format!("matrix-{n}");
    let q = |s: &str| s.to_string();
    match op {
        Op::RecordRagUpdate => (
            q("mutation($id: ID!, $key: String) { recordRagUpdate(input: {actionId: $id, status: AMBER, note: \"matrix\", idempotencyKey: $key}) { action { id } } }"),
            json!({ "id": id, "key": key }),
        ),
        Op::RecordRagUpdates => (
            q("mutation($id: ID!, $key: String) { recordRagUpdates(input: {updates: [{actionId: $id, status: GREEN, note: \"matrix\", idempotencyKey: $key}]}) { results { action { id } error { code message } } } }"),
            json!({ "id": id, "key": key }),
        ),
        Op::UpdateMilestones => (
            q("mutation($id: ID!, $key: String) { updateAction(input: {actionId: $id, milestones: [{label: \"Mar 30\", due: \"2030-03-31\"}], idempotencyKey: $key}) { action { id } } }"),
            json!({ "id": id, "key": key }),
        ),
        Op::UpdateObjective => (
            q("mutation($id: ID!, $key: String) { updateAction(input: {actionId: $id, objective: \"Rewritten\", idempotencyKey: $key}) { action { id } } }"),
            json!({ "id": id, "key": key }),
        ),
        Op::ExtendDeadline => (
            q("mutation($id: ID!, $key: String, $due: Date!) { extendDeadline(input: {actionId: $id, newDueDate: $due, reason: \"agreed\", idempotencyKey: $key}) { action { id } } }"),
            // Every extension must be later than the last.
            json!({ "id": id, "key": key, "due": format!("{}-01-01", 2031 + n) }),
        ),
        Op::AddEvidence => (
            q("mutation($id: ID!, $key: String) { addEvidence(input: {actionId: $id, what: \"Case file audit\", idempotencyKey: $key}) { action { id } } }"),
            json!({ "id": id, "key": key }),
        ),
        Op::LinkActions | Op::UnlinkActions => (
            format!(
                "mutation($id: ID!, $other: ID!, $key: String) {{ {}(input: {{fromId: $id, toId: $other, idempotencyKey: $key}}) {{ from {{ id }} }} }}",
                if op == Op::LinkActions { "linkActions" } else { "unlinkActions" }
            ),
            json!({ "id": id, "other": other, "key": key }),
        ),
        Op::RetireAction | Op::ReinstateAction => (
            format!(
                "mutation($id: ID!, $key: String) {{ {}(input: {{actionId: $id, reason: \"matrix\", idempotencyKey: $key}}) {{ action {{ id }} }} }}",
                if op == Op::RetireAction { "retireAction" } else { "reinstateAction" }
            ),
            json!({ "id": id, "key": key }),
        ),
        Op::MoveAction => (
            q("mutation($id: ID!, $key: String) { moveAction(input: {actionId: $id, workstream: \"Commissioning\", idempotencyKey: $key}) { action { id } } }"),
            json!({ "id": id, "key": key }),
        ),
        Op::CreateAction => (
            q("mutation($plan: ID!, $key: String, $code: String!) { createAction(input: {planId: $plan, code: $code, theme: 1, workstream: \"Practice\", objective: \"New\", idempotencyKey: $key}) { action { id } } }"),
            json!({ "plan": plan, "key": key, "code": format!("9.{n}") }),
        ),
        Op::ImportPlan => {
            // A revised plan file (new title), so that the import changes something.
            let mut file: Value =
                serde_json::from_str(plan_api::plans::HEREFORDSHIRE_PLAN_JSON).expect("plan json");
            file["plan"]["title"] = json!(format!("Revision {n}"));
            (
                q("mutation($json: String!) { importPlan(input: {planJson: $json, fileName: \"rev.json\"}) { plan { id } planUpdated } }"),
                json!({ "json": file.to_string() }),
            )
        }
        Op::AuditLog => (q("{ auditLog(first: 1) { totalCount } }"), json!({})),
    }
}

fn outcome(op: Op, body: &Value) -> Result<Outcome, String> {
    let code = if op == Op::RecordRagUpdates && body["errors"].is_null() {
        body["data"]["recordRagUpdates"]["results"][0]["error"]["code"].as_str()
    } else {
        body["errors"][0]["extensions"]["code"].as_str()
    };
    match code {
        None if !body["data"].is_null() => Ok(O),
        Some("FORBIDDEN") => Ok(F),
        Some("NOT_FOUND") => Ok(N),
        _ => Err(format!("unexpected answer {body}")),
    }
}

async fn count(app: &TestApp, table: &str) -> i64 {
    let row = app
        .db
        .query_one_raw(Statement::from_string(
            app.db.get_database_backend(),
            format!("SELECT COUNT(*) AS n FROM {table}"),
        ))
        .await
        .expect("count")
        .expect("row");
    row.try_get::<i64>("", "n").expect("n")
}

#[apply(both_engines)]
async fn role_operation_matrix(on: Engine) {
    let Some(engine) = on.available() else { return };
    let app = TestApp::spawn(engine).await;
    let mut ids = std::collections::HashMap::new();
    for code in ["1.1", "1.2", "1.7", "1.8"] {
        ids.insert(code, action(&app, code, "id").await["id"].clone());
    }
    // The scopes the table assumes, checked against the plan itself.
    let one_one = action(&app, "1.1", "leads { code } workstream { name }").await;
    assert_eq!(one_one["workstream"]["name"], "Practice");
    assert!(one_one["leads"].to_string().contains("\"KOM\""));
    let one_seven = action(&app, "1.7", "leads { code } workstream { name }").await;
    assert_eq!(one_seven["workstream"]["name"], "HSCB");
    assert!(!one_seven["leads"].to_string().contains("\"KOM\""));
    let plan = app
        .data(r#"{ plan(slug: "herefordshire-2012") { id } }"#, json!({}))
        .await["plan"]["id"]
        .clone();

    let mut n = 0;
    let mut cells = 0;
    let mut writes_ok = 0;
    let mut failures = Vec::new();
    for (col, p) in principals().into_iter().enumerate() {
        for in_scope in [false, true] {
            let code = if in_scope { p.in_scope } else { p.out_of_scope };
            let token = if in_scope { &p.token } else { &p.outside_token };
            // The second action of a link: another action the principal can see.
            let other = if code == "1.7" {
                &ids["1.8"]
            } else {
                &ids["1.2"]
            };
            for (op, inside, outside) in TABLE {
                n += 1;
                cells += 1;
                let expected = if in_scope { inside[col] } else { outside[col] };
                let audit_before = count(&app, "audit_event").await;
                let history_before = count(&app, "rag_update").await;
                let id = ids[code].as_str().expect("id");
                let (query, vars) = request(
                    op,
                    id,
                    other.as_str().expect("id"),
                    plan.as_str().expect("id"),
                    n,
                );
                let body = app.graphql_as(token, &query, vars).await;
                let got = outcome(op, &body);
                if got.as_ref() != Ok(&expected) {
                    failures.push(format!(
                        "{} {:?} on {code} ({}): expected {expected:?}, got {got:?}",
                        p.name,
                        op,
                        if in_scope { "in scope" } else { "out of scope" }
                    ));
                }
                let audit_after = count(&app, "audit_event").await;
                let history_after = count(&app, "rag_update").await;
                if expected == O && op != Op::AuditLog {
                    writes_ok += 1;
                    assert_eq!(
                        audit_after,
                        audit_before + 1,
                        "{} {op:?}: one audit event",
                        p.name
                    );
                } else {
                    // Refused (or a read): nothing written, not even history.
                    assert_eq!(
                        audit_after, audit_before,
                        "{} {op:?} wrote an audit event",
                        p.name
                    );
                    assert_eq!(
                        history_after, history_before,
                        "{} {op:?} wrote history",
                        p.name
                    );
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {cells} cells wrong:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert_eq!(cells, 14 * 6 * 2);
    eprintln!("{engine:?}: {cells} matrix cells, {writes_ok} permitted writes");
}

#[apply(both_engines)]
async fn integration_tokens_must_send_idempotency_keys(on: Engine) {
    let Some(engine) = on.available() else { return };
    let app = TestApp::spawn(engine).await;
    let id = action(&app, "1.1", "id").await["id"].clone();
    let t = token(Role::Integration, &[], &["Practice"]);
    let q = "mutation($id: ID!, $key: String) { recordRagUpdate(input: {actionId: $id, status: AMBER, note: \"n\", idempotencyKey: $key}) { action { version } } }";
    let events = count(&app, "audit_event").await;
    let body = app.graphql_as(&t, q, json!({ "id": id })).await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
        "{body:#}"
    );
    assert!(body["errors"][0]["message"]
        .as_str()
        .unwrap_or("")
        .contains("idempotencyKey"));
    assert_eq!(count(&app, "audit_event").await, events, "nothing audited");
    let body = app
        .graphql_as(&t, q, json!({ "id": id, "key": "sync-1" }))
        .await;
    assert_eq!(
        body["data"]["recordRagUpdate"]["action"]["version"], 2,
        "{body:#}"
    );
}

#[apply(both_engines)]
async fn a_retry_is_refused_once_the_token_lost_the_action(on: Engine) {
    let Some(engine) = on.available() else { return };
    let app = TestApp::spawn(engine).await;
    let partner = token(Role::Partner, &[], &["HSCB"]);
    let id = action(&app, "1.7", "id").await["id"].clone();
    let q = "mutation($id: ID!) { addEvidence(input: {actionId: $id, what: \"Minutes\", idempotencyKey: \"p-1\"}) { action { objective rag { note } } } }";
    let first = app.graphql_as(&partner, q, json!({ "id": id })).await;
    assert!(first.get("errors").is_none(), "{first:#}");
    // The action leaves the partner's work stream; a retry of the same request must not
    // hand it back.
    app.data(
        "mutation($id: ID!) { moveAction(input: {actionId: $id, workstream: \"Practice\"}) { action { id } } }",
        json!({ "id": id }),
    )
    .await;
    let retry = app.graphql_as(&partner, q, json!({ "id": id })).await;
    assert_eq!(
        retry["errors"][0]["extensions"]["code"], "NOT_FOUND",
        "{retry:#}"
    );
    assert!(retry["data"].is_null());
}
