//! Importing plan files: idempotent, updates in place with history kept, and all-or-nothing.
use plan_api::plans::{import_plan_file, HEREFORDSHIRE_PLAN_JSON};
use sea_orm::{ConnectionTrait, Statement};
use serde_json::{json, Value};

use crate::helpers::{action, apply, both_engines, Engine, TestApp};

const TABLES: [&str; 20] = [
    "plan",
    "rag_level",
    "theme",
    "workstream",
    "person",
    "source_reference",
    "evidence_source",
    "action",
    "action_lead",
    "action_reference",
    "action_evidence",
    "action_descriptor",
    "action_link",
    "milestone",
    "timescale_extension",
    "workstream_move",
    "removal_proposal",
    "rag_update",
    "action_state_change",
    "audit_event",
];

/// Every table's row count plus every action's version and update time: any write shows here.
async fn fingerprint(app: &TestApp) -> Vec<String> {
    let backend = app.db.get_database_backend();
    let mut out = Vec::new();
    for t in TABLES {
        let row = app
            .db
            .query_one_raw(Statement::from_string(
                backend,
                format!("SELECT COUNT(*) AS n FROM {t}"),
            ))
            .await
            .expect("count")
            .expect("row");
        let n: i64 = row.try_get("", "n").expect("n");
        out.push(format!("{t}={n}"));
    }
    let rows = app
        .db
        .query_all_raw(Statement::from_string(
            backend,
            "SELECT code, version, updated_at, rag_status FROM action ORDER BY id".to_string(),
        ))
        .await
        .expect("actions");
    for r in rows {
        let code: String = r.try_get("", "code").expect("code");
        let version: i32 = r.try_get("", "version").expect("version");
        let rag: String = r.try_get("", "rag_status").expect("rag");
        out.push(format!("{code}:{version}:{rag}"));
    }
    out
}

fn shipped() -> Value {
    serde_json::from_str(HEREFORDSHIRE_PLAN_JSON).expect("shipped plan is JSON")
}

fn action_mut<'a>(plan: &'a mut Value, code: &str) -> &'a mut Value {
    plan["actions"]
        .as_array_mut()
        .expect("actions")
        .iter_mut()
        .find(|a| a["code"] == code)
        .expect("action in shipped plan")
}

#[apply(both_engines)]
async fn reimporting_the_same_file_changes_nothing(on: Engine) {
    let Some(engine) = on.available() else { return };
    let app = TestApp::spawn(engine).await;
    let before = fingerprint(&app).await;
    let report = import_plan_file(&app.db, HEREFORDSHIRE_PLAN_JSON.as_bytes(), "again.json")
        .await
        .map_err(|e| e.detail())
        .expect("import");
    assert!(report.is_noop(), "{report:?}");
    assert_eq!(
        report.actions_unchanged,
        before.iter().filter(|l| l.contains(':')).count()
    );
    assert_eq!(fingerprint(&app).await, before);
}

#[apply(both_engines)]
async fn a_changed_file_updates_in_place_and_keeps_history(on: Engine) {
    let Some(engine) = on.available() else { return };
    let app = TestApp::spawn(engine).await;
    let before = action(&app, "1.2", "id version rag { status }").await;
    assert_eq!(before["rag"]["status"], "AMBER");

    // The next version of the plan, a month on.
    let mut plan = shipped();
    plan["plan"]["as_of"] = json!("2013-02-28");
    let a = action_mut(&mut plan, "1.2");
    a["rag"] = json!({ "status": "GREEN", "note": "Strategy complete", "effective_date": "2013-02-20", "raw": "Green 20.02.13 - Strategy complete" });
    a["objective"] = json!("Aggregate learning for Service User Involvement (revised)");
    let bytes = serde_json::to_vec(&plan).expect("json");
    let report = import_plan_file(&app.db, &bytes, "v2.3.json")
        .await
        .map_err(|e| e.detail())
        .expect("import");
    assert_eq!(
        (
            report.actions_updated,
            report.rag_updates,
            report.actions_created
        ),
        (1, 1, 0),
        "{report:?}"
    );

    let after = action(
        &app,
        "1.2",
        "id version objective rag { status note effectiveDate }
         ragHistory(first: 10) { totalCount edges { node { status previousStatus note effectiveDate author source } } }",
    )
    .await;
    assert_eq!(after["id"], before["id"], "updated in place");
    assert_eq!(
        after["version"],
        before["version"].as_i64().expect("version") + 1
    );
    assert_eq!(
        after["objective"],
        "Aggregate learning for Service User Involvement (revised)"
    );
    assert_eq!(
        after["rag"],
        json!({ "status": "GREEN", "note": "Strategy complete", "effectiveDate": "2013-02-20" })
    );
    let history = &after["ragHistory"];
    assert_eq!(history["totalCount"], 2);
    let newest = &history["edges"][0]["node"];
    assert_eq!(newest["status"], "GREEN");
    assert_eq!(newest["previousStatus"], "AMBER");
    assert!(newest["source"]
        .as_str()
        .unwrap_or_default()
        .contains("v2.3.json"));
    assert_eq!(history["edges"][1]["node"]["status"], "AMBER");

    // And importing the changed file again is a no-op.
    let again = import_plan_file(&app.db, &bytes, "v2.3.json")
        .await
        .map_err(|e| e.detail())
        .expect("import");
    assert!(again.is_noop(), "{again:?}");
}

#[apply(both_engines)]
async fn an_action_dropped_from_the_file_is_removed_not_deleted(on: Engine) {
    let Some(engine) = on.available() else { return };
    let app = TestApp::spawn(engine).await;
    let mut plan = shipped();
    let list = plan["actions"].as_array_mut().expect("actions");
    list.retain(|a| a["code"] != "5.12");
    let bytes = serde_json::to_vec(&plan).expect("json");
    let report = import_plan_file(&app.db, &bytes, "smaller.json")
        .await
        .map_err(|e| e.detail())
        .expect("import");
    assert_eq!(report.actions_removed, 1, "{report:?}");
    let a = action(
        &app,
        "5.12",
        "state removedReason ragHistory { totalCount }",
    )
    .await;
    assert_eq!(a["state"], "REMOVED");
    assert!(a["removedReason"]
        .as_str()
        .unwrap_or_default()
        .contains("smaller.json"));
    assert_eq!(a["ragHistory"]["totalCount"], 1, "history kept");
}

/// Each bad file: how to break the shipped plan, and what the error must mention.
fn bad_files() -> Vec<(&'static str, Vec<u8>, &'static str)> {
    let good = shipped();
    let mut cases: Vec<(&'static str, Vec<u8>, &'static str)> = Vec::new();
    let text = HEREFORDSHIRE_PLAN_JSON.as_bytes();
    cases.push(("truncated", text[..text.len() / 2].to_vec(), "line"));
    cases.push(("not JSON", b"plan: yes".to_vec(), "line 1"));
    cases.push(("empty", Vec::new(), "line"));
    let mut edit = |what: &'static str, needle: &'static str, f: &dyn Fn(&mut Value)| {
        let mut v = good.clone();
        // Every bad file also renames the plan, so a half-written import would show.
        v["plan"]["title"] = json!("HALF WRITTEN");
        f(&mut v);
        cases.push((what, serde_json::to_vec_pretty(&v).expect("json"), needle));
    };
    edit("unknown field", "unknown field", &|v| {
        v["plan"]["colour"] = json!("red")
    });
    edit("wrong type", "actions[3].theme", &|v| {
        v["actions"][3]["theme"] = json!("three")
    });
    edit("bad status", "actions[0].rag.status", &|v| {
        v["actions"][0]["rag"]["status"] = json!("PURPLE")
    });
    edit("bad date", "as_of", &|v| {
        v["plan"]["as_of"] = json!("31/01/2013")
    });
    edit("unknown lead", "unknown person \"XYZ\"", &|v| {
        v["actions"][0]["leads"] = json!(["XYZ"])
    });
    edit("duplicate code", "appears more than once", &|v| {
        let first = v["actions"][0].clone();
        v["actions"].as_array_mut().expect("actions").push(first);
    });
    edit("dangling link", "unknown action \"9.99\"", &|v| {
        v["actions"][0]["links"] = json!(["9.99"])
    });
    edit("wrong version", "format_version", &|v| {
        v["format_version"] = json!(99)
    });
    edit("future RAG date", "after the plan's as_of", &|v| {
        v["actions"][0]["rag"]["effective_date"] = json!("2030-01-01")
    });
    cases
}

#[apply(both_engines)]
async fn malformed_files_are_refused_and_nothing_is_written(on: Engine) {
    let Some(engine) = on.available() else { return };
    let app = TestApp::spawn(engine).await;
    let before = fingerprint(&app).await;
    for (what, bytes, needle) in bad_files() {
        let err = import_plan_file(&app.db, &bytes, "bad.json")
            .await
            .expect_err(what);
        assert_eq!(err.code(), "BAD_USER_INPUT", "{what}");
        let msg = err.detail();
        assert!(
            msg.contains(needle),
            "{what}: {msg:?} should mention {needle:?}"
        );
        assert!(
            msg.contains("bad.json"),
            "{what}: {msg:?} should name the file"
        );
    }
    assert_eq!(
        fingerprint(&app).await,
        before,
        "a refused file changed the database"
    );
    let d = app
        .data(
            r#"{ plan(slug: "herefordshire-2012") { title } }"#,
            json!({}),
        )
        .await;
    assert_ne!(d["plan"]["title"], "HALF WRITTEN");
}

#[apply(both_engines)]
async fn upgrading_dates_earlier_removals_by_their_day(on: Engine) {
    let Some(engine) = on.available() else { return };
    use migration::{Migrator, MigratorTrait};
    let database = crate::helpers::TestDb::new(engine).await;
    let db = plan_api::db::connect(&database.url).await.expect("connect");
    // A database from before lifecycle history, holding an action removed on 5 March 2024:
    // the plan imported by today's code, then the later migrations rolled back.
    Migrator::up(&db, None).await.expect("migrate");
    import_plan_file(&db, HEREFORDSHIRE_PLAN_JSON.as_bytes(), "x.json")
        .await
        .expect("import");
    let later = Migrator::get_applied_migrations(&db)
        .await
        .expect("applied")
        .len()
        - 2;
    Migrator::down(&db, Some(later as u32))
        .await
        .expect("roll back to 2");
    let backend = db.get_database_backend();
    db.execute_raw(Statement::from_string(
        backend,
        "UPDATE action SET state = 'removed', updated_at = '2024-03-05T22:30:00+00:00' WHERE code = '1.1'",
    ))
    .await
    .expect("remove");
    Migrator::up(&db, None).await.expect("migrate");
    let row = db
        .query_one_raw(Statement::from_string(
            backend,
            "SELECT CAST(effective_date AS TEXT) AS d, state FROM action_state_change",
        ))
        .await
        .expect("query")
        .expect("one row");
    assert_eq!(row.try_get::<String>("", "d").expect("d"), "2024-03-05");
    assert_eq!(
        row.try_get::<String>("", "state").expect("state"),
        "removed"
    );
    db.close().await.ok();
}
