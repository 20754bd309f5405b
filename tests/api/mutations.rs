//! The rules of each change, over HTTP: bad input is a clear error and changes nothing; the
//! history and the audit trail are append-only and say who did what.
use plan_api::auth::Role;
use sea_orm::{ConnectionTrait, Statement};
use serde_json::{json, Value};

use crate::helpers::{
    action, apply, both_engines, error_code, paged_codes, token, Engine, TestApp,
};

const RECORD: &str = "mutation($in: RecordRagUpdateInput!) { recordRagUpdate(input: $in) {
    action { version rag { status note effectiveDate } } ragUpdate { status previousStatus note effectiveDate author source } } }";

/// Every row of `table`, as text, in id order (to prove nothing was edited or deleted).
async fn rows(app: &TestApp, table: &str) -> Vec<String> {
    let backend = app.db.get_database_backend();
    let cast = match backend {
        sea_orm::DbBackend::Postgres => "CAST(t.* AS TEXT)".to_string(),
        _ => "t.id || '|' || t.action_id || '|' || t.status || '|' || COALESCE(t.note, '') || '|' || t.effective_date || '|' || t.recorded_at || '|' || t.author".to_string(),
    };
    let sql = if table == "audit_event" {
        match backend {
            sea_orm::DbBackend::Postgres => "SELECT CAST(t.* AS TEXT) AS r FROM audit_event t WHERE t.operation <> 'importPlan' ORDER BY t.id".to_string(),
            _ => "SELECT t.id || '|' || t.operation || '|' || COALESCE(t.before, '') || '|' || COALESCE(t.after, '') AS r FROM audit_event t WHERE t.operation <> 'importPlan' ORDER BY t.id".to_string(),
        }
    } else {
        format!("SELECT {cast} AS r FROM {table} t ORDER BY t.id")
    };
    app.db
        .query_all_raw(Statement::from_string(backend, sql))
        .await
        .expect("rows")
        .iter()
        .map(|r| r.try_get::<String>("", "r").expect("r"))
        .collect()
}

/// Every test here runs with the server's clock at 23:30 UTC on a summer day, when England
/// (on BST) is already on the next date: a rule that used the UTC date would be a day behind.
fn late_summer_evening() -> chrono::DateTime<chrono::Utc> {
    "2026-07-15T23:30:00Z".parse().expect("instant")
}

/// The date in England at `late_summer_evening`.
const ENGLAND_TODAY: &str = "2026-07-16";

async fn spawn(engine: Engine) -> TestApp {
    let app = TestApp::spawn_at(engine, late_summer_evening()).await;
    assert_eq!(app.today().to_string(), ENGLAND_TODAY);
    app
}

/// Asserts a BAD_USER_INPUT whose message mentions `words`, with nothing internal in it.
fn assert_bad(body: &Value, words: &str) {
    assert_eq!(
        error_code(body).as_deref(),
        Some("BAD_USER_INPUT"),
        "{body:#}"
    );
    let msg = body["errors"][0]["message"].as_str().unwrap_or_default();
    assert!(
        msg.contains(words),
        "message {msg:?} should mention {words:?}"
    );
    for internal in ["SELECT", "INSERT", "sqlx", "database", "panicked", "src/"] {
        assert!(!msg.contains(internal), "leaked {internal:?}: {msg}");
    }
}

#[apply(both_engines)]
async fn rag_rules_refuse_bad_changes_and_change_nothing(on: Engine) {
    let Some(engine) = on.available() else { return };
    let app = spawn(engine).await;
    let a = action(&app, "1.2", "id version rag { status effectiveDate }").await;
    let id = a["id"].clone();
    assert_ne!(a["rag"]["status"], "RED");
    let history = rows(&app, "rag_update").await;
    // The day after the date in England is in the future, whatever the UTC date says.
    let tomorrow = (app.today() + chrono::Duration::days(1)).to_string();
    let cases = [
        (
            json!({ "actionId": id, "status": "RED" }),
            "note is required",
        ),
        (
            json!({ "actionId": id, "status": "RED", "note": "   " }),
            "note is required",
        ),
        (
            json!({ "actionId": id, "status": "AMBER", "effectiveDate": tomorrow }),
            "future",
        ),
        (
            json!({ "actionId": id, "status": "AMBER", "effectiveDate": "2012-01-01" }),
            "before the current status",
        ),
        (
            json!({ "actionId": "UGxhbjox", "status": "AMBER" }),
            "not the id of an object of type Action",
        ),
        (
            json!({ "actionId": "nonsense", "status": "AMBER" }),
            "not a valid id",
        ),
        (
            json!({ "actionId": id, "status": "AMBER", "note": "x".repeat(10_001) }),
            "longer than",
        ),
        (
            json!({ "actionId": id, "status": "AMBER", "idempotencyKey": "" }),
            "idempotencyKey",
        ),
    ];
    for (input, words) in cases {
        let body = app.graphql(RECORD, json!({ "in": input })).await;
        assert_bad(&body, words);
    }
    let body = app
        .graphql(
            RECORD,
            json!({ "in": { "actionId": id, "status": "PURPLE" } }),
        )
        .await;
    assert_eq!(
        error_code(&body).as_deref(),
        Some("BAD_USER_INPUT"),
        "{body:#}"
    );
    assert_eq!(rows(&app, "rag_update").await, history, "history untouched");
    assert_eq!(
        action(&app, "1.2", "version").await["version"],
        a["version"]
    );
    assert!(rows(&app, "audit_event").await.is_empty());

    // Back-dating to a review date between the current status and today is allowed.
    let review = "2013-03-15";
    let d = app
        .data(RECORD, json!({ "in": { "actionId": id, "status": "RED", "note": "  missed the March review  ", "effectiveDate": review } }))
        .await;
    let r = &d["recordRagUpdate"];
    assert_eq!(r["ragUpdate"]["effectiveDate"], review);
    assert_eq!(
        r["ragUpdate"]["note"], "missed the March review",
        "notes are trimmed"
    );
    assert_eq!(r["ragUpdate"]["previousStatus"], a["rag"]["status"]);
    assert_eq!(r["ragUpdate"]["author"], "test-admin");
    assert_eq!(r["ragUpdate"]["source"], "api");
    assert_eq!(r["action"]["rag"]["status"], "RED");
    // RED to RED needs no new note; then BLUE, and leaving BLUE needs one.
    app.data(RECORD, json!({ "in": { "actionId": id, "status": "RED" } }))
        .await;
    app.data(
        RECORD,
        json!({ "in": { "actionId": id, "status": "BLUE", "note": "done" } }),
    )
    .await;
    let body = app
        .graphql(
            RECORD,
            json!({ "in": { "actionId": id, "status": "GREEN" } }),
        )
        .await;
    assert_bad(&body, "leaves BLUE");
    let d = app
        .data(
            RECORD,
            json!({ "in": { "actionId": id, "status": "GREEN", "note": "reopened after audit" } }),
        )
        .await;
    assert_eq!(d["recordRagUpdate"]["ragUpdate"]["previousStatus"], "BLUE");
    assert_eq!(
        d["recordRagUpdate"]["action"]["rag"]["effectiveDate"],
        ENGLAND_TODAY
    );

    // The earlier history is exactly as it was: appended to, never edited.
    let after = rows(&app, "rag_update").await;
    assert_eq!(after.len(), history.len() + 4);
    assert_eq!(after[..history.len()], history[..]);
}

#[apply(both_engines)]
async fn removed_actions_take_no_rag_updates(on: Engine) {
    let Some(engine) = on.available() else { return };
    let app = spawn(engine).await;
    let id = action(&app, "1.3", "id").await["id"].clone();
    let retire = "mutation($id: ID!, $r: String!) { retireAction(input: {actionId: $id, reason: $r}) { action { state removedReason version } } }";
    let body = app.graphql(retire, json!({ "id": id, "r": " " })).await;
    assert_bad(&body, "reason");
    let d = app
        .data(retire, json!({ "id": id, "r": "merged into 1.4" }))
        .await;
    assert_eq!(d["retireAction"]["action"]["state"], "REMOVED");
    assert_eq!(
        d["retireAction"]["action"]["removedReason"],
        "merged into 1.4"
    );
    let body = app.graphql(retire, json!({ "id": id, "r": "again" })).await;
    assert_bad(&body, "already removed");
    let body = app
        .graphql(
            RECORD,
            json!({ "in": { "actionId": id, "status": "AMBER" } }),
        )
        .await;
    assert_bad(&body, "removed");
    let reinstate = "mutation($id: ID!) { reinstateAction(input: {actionId: $id, reason: \"board asked\"}) { action { state removedReason } } }";
    let d = app.data(reinstate, json!({ "id": id })).await;
    assert_eq!(d["reinstateAction"]["action"]["state"], "ACTIVE");
    assert!(d["reinstateAction"]["action"]["removedReason"].is_null());
    app.data(
        RECORD,
        json!({ "in": { "actionId": id, "status": "AMBER" } }),
    )
    .await;
}

#[apply(both_engines)]
async fn batch_updates_report_each_item(on: Engine) {
    let Some(engine) = on.available() else { return };
    let app = spawn(engine).await;
    let ids: Vec<Value> = [
        action(&app, "1.4", "id").await["id"].clone(),
        action(&app, "1.5", "id").await["id"].clone(),
        action(&app, "1.6", "id").await["id"].clone(),
    ]
    .to_vec();
    let history = rows(&app, "rag_update").await.len();
    let q = "mutation($u: [RecordRagUpdateInput!]!) { recordRagUpdates(input: {updates: $u}) {
        succeeded failed results { index actionId action { code rag { status } } ragUpdate { status } error { code message } } } }";
    let d = app
        .data(
            q,
            json!({ "u": [
                { "actionId": ids[0], "status": "GREEN" },
                { "actionId": ids[1], "status": "RED" },
                { "actionId": "QWN0aW9uOjk5OTk5", "status": "GREEN" },
                { "actionId": ids[2], "status": "BLUE", "note": "complete" },
            ] }),
        )
        .await;
    let p = &d["recordRagUpdates"];
    assert_eq!(
        (p["succeeded"].as_i64(), p["failed"].as_i64()),
        (Some(2), Some(2)),
        "{p:#}"
    );
    let r = p["results"].as_array().expect("results");
    assert_eq!(r[0]["action"]["code"], "1.4");
    assert_eq!(r[0]["ragUpdate"]["status"], "GREEN");
    assert_eq!(r[1]["error"]["code"], "BAD_USER_INPUT");
    assert!(r[1]["action"].is_null());
    assert_eq!(r[2]["error"]["code"], "NOT_FOUND");
    assert_eq!(r[3]["action"]["rag"]["status"], "BLUE");
    assert_eq!(r[3]["index"], 3);
    assert_eq!(rows(&app, "rag_update").await.len(), history + 2);
    let too_many: Vec<Value> = (0..501)
        .map(|_| json!({ "actionId": ids[0], "status": "GREEN" }))
        .collect();
    let body = app.graphql(q, json!({ "u": too_many })).await;
    // Refused at the door, by the bound of `RecordRagUpdatesInput.updates`.
    assert_bad(&body, "more than 500 items");
}

#[apply(both_engines)]
async fn audit_events_say_who_did_what(on: Engine) {
    let Some(engine) = on.available() else { return };
    let app = spawn(engine).await;
    let lead = token(Role::Lead, &["KOM"], &[]);
    let id = action(&app, "1.1", "id").await["id"].clone();
    app.data_as(
        &lead,
        RECORD,
        json!({ "in": { "actionId": id, "status": "RED", "note": "staffing gap", "idempotencyKey": "k-1" } }),
    )
    .await;
    let q = "query($f: AuditLogFilter) { auditLog(filter: $f, first: 10) { totalCount edges { node {
        occurredAt actor { sub role name } operation objectType objectId before after idempotencyKey } } } }";
    let d = app.data(q, json!({ "f": { "object": id } })).await;
    assert_eq!(d["auditLog"]["totalCount"], 1);
    let e = &d["auditLog"]["edges"][0]["node"];
    assert_eq!(
        e["actor"],
        json!({ "sub": "test-lead", "role": "lead", "name": "Test lead" })
    );
    assert_eq!(e["operation"], "recordRagUpdate");
    assert_eq!(e["objectType"], "Action");
    assert_eq!(e["objectId"], id);
    assert_eq!(e["before"]["rag"]["status"], "GREEN");
    assert_eq!(e["after"]["rag"]["status"], "RED");
    assert_eq!(e["after"]["rag"]["note"], "staffing gap");
    assert_eq!(
        e["after"]["version"],
        e["before"]["version"].as_i64().expect("v") + 1
    );
    assert_eq!(e["idempotencyKey"], "k-1");
    // Filters: by actor, by operation, by plan, by time.
    for (f, n) in [
        (json!({ "actor": "test-lead" }), 1),
        (json!({ "actor": "someone-else" }), 0),
        (
            json!({ "operation": "recordRagUpdate", "plan": "herefordshire-2012" }),
            1,
        ),
        (json!({ "operation": "moveAction" }), 0),
        (json!({ "until": "2000-01-01T00:00:00Z" }), 0),
    ] {
        let d = app.data(q, json!({ "f": f })).await;
        assert_eq!(d["auditLog"]["totalCount"], n, "{f}");
    }
    let body = app.graphql(q, json!({ "f": { "plan": "nope" } })).await;
    assert_bad(&body, "unknown plan");
}

#[apply(both_engines)]
async fn admin_edits_create_move_extend_and_link(on: Engine) {
    let Some(engine) = on.available() else { return };
    let app = spawn(engine).await;
    let plan = app
        .data(r#"{ plan(slug: "herefordshire-2012") { id } }"#, json!({}))
        .await["plan"]["id"]
        .clone();
    let create = "mutation($in: CreateActionInput!) { createAction(input: $in) { action { id code version theme { number }
        workstream { name } leads { code } leadText references { code } ofstedDescriptors { code area } milestones { label due } dueDate byWhen
        rag { status } ragHistory { totalCount } } ragUpdate { status previousStatus } } }";
    let base = json!({ "planId": plan, "code": "1.11", "theme": 1, "workstream": "practice", "objective": "Publish the threshold guidance",
        "leads": ["J.Rez", "KOM"], "references": ["aa1"], "descriptors": ["3.7", "LG"],
        "milestones": [{ "label": "Jan 14", "due": "2014-01-31" }, { "label": "Mar 14", "due": "2014-03-31" }] });
    let d = app.data(create, json!({ "in": base })).await;
    let a = &d["createAction"]["action"];
    assert_eq!(a["code"], "1.11");
    assert_eq!(a["workstream"]["name"], "Practice");
    assert_eq!(a["leads"], json!([{ "code": "JRez" }, { "code": "KOM" }]));
    assert_eq!(a["leadText"], "JRez, KOM");
    assert_eq!(a["references"], json!([{ "code": "AA1" }]));
    assert_eq!(
        a["ofstedDescriptors"],
        json!([{ "code": "QP3.7", "area": "QP" }, { "code": "LG", "area": "LG" }])
    );
    assert_eq!(a["dueDate"], "2014-03-31");
    assert_eq!(a["byWhen"], "Jan 14; Mar 14");
    assert_eq!(a["rag"]["status"], "GREY");
    assert_eq!(a["ragHistory"]["totalCount"], 1);
    assert_eq!(
        d["createAction"]["ragUpdate"]["previousStatus"],
        Value::Null
    );
    // In plan order: after the last action of theme 1, before theme 2.
    let (codes, total) = paged_codes(&app, &Value::Null).await;
    assert_eq!(total, 126);
    let at = codes.iter().position(|c| c == "1.11").expect("listed");
    assert_eq!(codes[at - 1], "1.10");
    assert!(codes[at + 1].starts_with("2."), "{}", codes[at + 1]);

    // A code the plan already has is a conflict (409), not bad input.
    let mut dup = base.clone();
    dup["code"] = json!("1.1");
    let body = app.graphql(create, json!({ "in": dup })).await;
    assert_eq!(error_code(&body).as_deref(), Some("CONFLICT"), "{body:#}");
    assert!(body["errors"][0]["message"]
        .as_str()
        .unwrap_or_default()
        .contains("already exists"));

    for (change, words) in [
        (json!({ "code": " " }), "`code`"),
        (json!({ "theme": 9 }), "unknown theme"),
        (json!({ "workstream": "Finance" }), "unknown work stream"),
        (json!({ "leads": ["ZZ"] }), "unknown lead"),
        (
            json!({ "descriptors": ["XX9.9"] }),
            "not an Ofsted descriptor",
        ),
        (json!({ "status": "RED" }), "note is required"),
    ] {
        let mut input = base.clone();
        input["code"] = json!("1.12");
        for (k, v) in change.as_object().expect("obj") {
            input[k] = v.clone();
        }
        let body = app.graphql(create, json!({ "in": input })).await;
        assert_bad(&body, words);
    }
    assert_eq!(
        paged_codes(&app, &Value::Null).await.1,
        126,
        "refused creations left nothing"
    );

    let id = a["id"].clone();
    let extend = "mutation($in: ExtendDeadlineInput!) { extendDeadline(input: $in) { action { dueDate version } extension { previousDue newDue reason agreedOn recordedBy } } }";
    let body = app
        .graphql(
            extend,
            json!({ "in": { "actionId": id, "newDueDate": "2014-02-01", "reason": "r" } }),
        )
        .await;
    assert_bad(&body, "must move the date later");
    let d = app
        .data(extend, json!({ "in": { "actionId": id, "newDueDate": "2014-06-30", "reason": "board agreed", "agreedOn": "2014-03-01" } }))
        .await;
    let e = &d["extendDeadline"];
    assert_eq!(e["action"]["dueDate"], "2014-06-30");
    assert_eq!(e["extension"]["previousDue"], "2014-03-31");
    assert_eq!(e["extension"]["agreedOn"], "2014-03-01");
    assert_eq!(e["extension"]["recordedBy"], "test-admin");
    // A later milestone edit keeps the agreed extension in the due date.
    let update = "mutation($in: UpdateActionInput!) { updateAction(input: $in) { action { dueDate milestones { label } objective version } } }";
    let d = app
        .data(update, json!({ "in": { "actionId": id, "milestones": [{ "label": "Apr 14", "due": "2014-04-30" }] } }))
        .await;
    assert_eq!(d["updateAction"]["action"]["dueDate"], "2014-06-30");
    let body = app
        .graphql(update, json!({ "in": { "actionId": id } }))
        .await;
    assert_bad(&body, "nothing to change");
    let body = app
        .graphql(
            update,
            json!({ "in": { "actionId": id, "objective": "", "expectedVersion": 3 } }),
        )
        .await;
    assert_bad(&body, "`objective`");
    let body = app
        .graphql(
            update,
            json!({ "in": { "actionId": id, "objective": "x", "expectedVersion": 1 } }),
        )
        .await;
    assert_eq!(
        error_code(&body).as_deref(),
        Some("VERSION_CONFLICT"),
        "{body:#}"
    );
    // Search sees the new text at once.
    let d = app
        .data(
            update,
            json!({ "in": { "actionId": id, "objective": "Publish the escalation protocol" } }),
        )
        .await;
    assert_eq!(
        d["updateAction"]["action"]["objective"],
        "Publish the escalation protocol"
    );
    let (found, _) = paged_codes(&app, &json!({ "search": "escalation protocol" })).await;
    assert_eq!(found, vec!["1.11"]);

    let mv = "mutation($in: MoveActionInput!) { moveAction(input: $in) { action { workstream { name } moves { from { name } to { name } reason recordedBy } } } }";
    let body = app
        .graphql(
            mv,
            json!({ "in": { "actionId": id, "workstream": "Practice" } }),
        )
        .await;
    assert_bad(&body, "already in work stream");
    let d = app
        .data(
            mv,
            json!({ "in": { "actionId": id, "workstream": "QA", "reason": "QA owns audits" } }),
        )
        .await;
    let m = &d["moveAction"]["action"];
    assert_eq!(m["workstream"]["name"], "QA");
    assert_eq!(m["moves"][0]["from"]["name"], "Practice");
    assert_eq!(m["moves"][0]["reason"], "QA owns audits");

    let other = action(&app, "1.10", "id").await["id"].clone();
    let link = "mutation($a: ID!, $b: ID!) { linkActions(input: {fromId: $a, toId: $b}) { from { links { code } } to { linkedFrom { code } } } }";
    let d = app.data(link, json!({ "a": id, "b": other })).await;
    assert_eq!(
        d["linkActions"]["from"]["links"],
        json!([{ "code": "1.10" }])
    );
    assert_eq!(
        d["linkActions"]["to"]["linkedFrom"],
        json!([{ "code": "1.11" }])
    );
    assert_bad(
        &app.graphql(link, json!({ "a": id, "b": other })).await,
        "already links",
    );
    assert_bad(
        &app.graphql(link, json!({ "a": id, "b": id })).await,
        "itself",
    );
    let unlink = "mutation($a: ID!, $b: ID!) { unlinkActions(input: {fromId: $a, toId: $b}) { from { links { code } } } }";
    let d = app.data(unlink, json!({ "a": id, "b": other })).await;
    assert_eq!(d["unlinkActions"]["from"]["links"], json!([]));
    assert_bad(
        &app.graphql(unlink, json!({ "a": id, "b": other })).await,
        "does not link",
    );

    let evidence = "mutation($in: AddEvidenceInput!) { addEvidence(input: $in) { action { submittedEvidence { what source reference date recordedBy } } } }";
    let body = app
        .graphql(
            evidence,
            json!({ "in": { "actionId": id, "what": "Audit", "date": "2099-01-01" } }),
        )
        .await;
    assert_bad(&body, "future");
    let d = app
        .data(evidence, json!({ "in": { "actionId": id, "what": "Audit of 20 case files", "source": "QA team", "reference": "https://intranet/audit/20", "date": "2014-02-10" } }))
        .await;
    assert_eq!(
        d["addEvidence"]["action"]["submittedEvidence"],
        json!([{ "what": "Audit of 20 case files", "source": "QA team", "reference": "https://intranet/audit/20", "date": "2014-02-10", "recordedBy": "test-admin" }])
    );

    // Re-importing the plan file keeps actions created through the API.
    let report = plan_api::plans::import_plan_file(
        &app.db,
        plan_api::plans::HEREFORDSHIRE_PLAN_JSON.as_bytes(),
        "again.json",
    )
    .await
    .map_err(|e| e.detail())
    .expect("re-import");
    assert!(
        report.is_noop(),
        "creating 1.11 changed none of the imported actions: {report:?}"
    );
    assert_eq!(action(&app, "1.11", "state").await["state"], "ACTIVE");
    // Every change above left exactly one audit event; the first start's import one more,
    // and the re-import, which changed nothing, none.
    let d = app
        .data(
            "{ mine: auditLog(filter: {actor: \"test-admin\"}) { totalCount }
                   imports: auditLog(filter: {operation: \"importPlan\"}) { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(d["mine"]["totalCount"], 8);
    assert_eq!(d["imports"]["totalCount"], 1);
}

#[apply(both_engines)]
async fn admins_import_plans_through_the_api(on: Engine) {
    let Some(engine) = on.available() else { return };
    let app = spawn(engine).await;
    let q = "mutation($json: String!) { importPlan(input: {planJson: $json, fileName: \"hfd-2013.json\"}) {
        plan { slug title } planCreated planUpdated actionsCreated actionsUpdated actionsUnchanged ragUpdates } }";
    // A broken file: a clear error naming the place, nothing changed.
    let body = app
        .graphql(q, json!({ "json": "{\"format_version\": 1, \"plan\": " }))
        .await;
    assert_bad(&body, "hfd-2013.json");
    let mut file: Value =
        serde_json::from_str(plan_api::plans::HEREFORDSHIRE_PLAN_JSON).expect("plan json");
    file["plan"]["title"] = json!("Improvement Plan V2.3");
    file["actions"][0]["rag"]["status"] = json!("BLUE");
    let d = app.data(q, json!({ "json": file.to_string() })).await;
    let r = &d["importPlan"];
    assert_eq!(r["plan"]["title"], "Improvement Plan V2.3");
    assert_eq!(
        (
            r["planUpdated"].as_bool(),
            r["actionsUpdated"].as_u64(),
            r["ragUpdates"].as_u64()
        ),
        (Some(true), Some(1), Some(1))
    );
    assert_eq!(r["actionsUnchanged"], 124);
    // Again: nothing to do.
    let d = app.data(q, json!({ "json": file.to_string() })).await;
    assert_eq!(d["importPlan"]["actionsUnchanged"], 125);
    assert_eq!(d["importPlan"]["planUpdated"], false);
    let d = app
        .data("{ auditLog(filter: {operation: \"importPlan\"}) { edges { node { actor { sub } after } } } }", json!({}))
        .await;
    let events = d["auditLog"]["edges"].as_array().expect("events");
    assert_eq!(
        events.len(),
        2,
        "first start and this import; the no-op wrote nothing"
    );
    assert_eq!(events[0]["node"]["actor"]["sub"], "test-admin");
    assert_eq!(events[0]["node"]["after"]["file"], "hfd-2013.json");
    let viewer = token(Role::Viewer, &[], &[]);
    let body = app
        .graphql_as(&viewer, q, json!({ "json": file.to_string() }))
        .await;
    assert_eq!(error_code(&body).as_deref(), Some("FORBIDDEN"));
}
