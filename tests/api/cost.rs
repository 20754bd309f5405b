//! What a request costs the database: statements per request for the benchmark's workloads
//! (bench/README.md), and history reads that do not grow with the history.
use chrono::NaiveDate;
use entity::RagStatus;
use sea_orm::{ConnectionTrait, EntityTrait, Set, Statement};
use serde_json::{json, Value};

use crate::helpers::{apply, both_engines, Engine, TestApp};

/// W1: a partner's board: 15 actions of one work stream with their latest 3 entries.
pub const W1: &str = r#"query W1($plan: String!, $ws: String!) {
  plan(slug: $plan) {
    actions(filter: { workstreams: [$ws] }, first: 15) {
      nodes {
        code objective rag { status } theme { title }
        ragHistory(first: 3) { edges { node { status effectiveDate note author } } }
      }
    }
  }
}"#;

/// W2: a dashboard tile: RAG counts by theme.
pub const W2: &str = r#"query W2($plan: String!) {
  plan(slug: $plan) {
    ragSummary(groupBy: THEME) {
      total counts { status count }
      groups { key label total counts { status count } }
    }
  }
}"#;

/// W3: one action with its references and its whole history.
pub const W3: &str = r#"query W3($plan: String!, $code: String!) {
  plan(slug: $plan) {
    action(code: $code) {
      code objective references { code title }
      ragHistory(first: 100) {
        totalCount
        edges { node { status previousStatus note effectiveDate recordedAt author } }
      }
    }
  }
}"#;

/// W4: an integration script records a status.
pub const W4: &str = r#"mutation W4($id: ID!, $status: RagStatus!, $note: String) {
  recordRagUpdate(input: { actionId: $id, status: $status, note: $note }) {
    action { id version rag { status } }
    ragUpdate { id status }
  }
}"#;

const PLAN: &str = "herefordshire-2012";

fn w1_vars() -> Value {
    json!({ "plan": PLAN, "ws": "Practice" })
}

fn w3_vars() -> Value {
    json!({ "plan": PLAN, "code": "3.5" })
}

/// One action's 20 latest entries and the history's length.
const LATEST_20: &str = r#"query($plan: String!, $code: String!) {
  plan(slug: $plan) {
    action(code: $code) {
      ragHistory(first: 20) { totalCount edges { node { status effectiveDate } } }
    }
  }
}"#;

/// Statements one request runs, once the server has the plan's catalogue in memory (the
/// steady state: the first request after start or after an import loads it).
async fn statements(app: &TestApp, query: &str, vars: Value) -> usize {
    app.data(query, vars.clone()).await;
    app.reset_statements();
    app.data(query, vars).await;
    app.statement_count()
}

#[apply(both_engines)]
async fn each_workload_takes_a_fixed_number_of_statements(on: Engine) {
    let Some(engine) = on.available() else { return };
    let app = TestApp::spawn(engine).await;

    let d = app.data(W1, w1_vars()).await;
    let nodes = d["plan"]["actions"]["nodes"].as_array().expect("nodes");
    assert_eq!(nodes.len(), 15);
    assert!(nodes.iter().all(|n| n["theme"]["title"].is_string()));
    // one: the page, each action's 3 latest entries and the plan's catalogue version
    assert_eq!(statements(&app, W1, w1_vars()).await, 1, "W1");

    let d = app.data(W2, json!({ "plan": PLAN })).await;
    assert_eq!(d["plan"]["ragSummary"]["total"], 125);
    // one: the counts, with the plan's catalogue version
    assert_eq!(statements(&app, W2, json!({ "plan": PLAN })).await, 1, "W2");

    let d = app.data(W3, w3_vars()).await;
    assert_eq!(d["plan"]["action"]["code"], "3.5");
    assert_eq!(d["plan"]["action"]["ragHistory"]["totalCount"], 1);
    // the action with its history and the plan's catalogue version; its references
    assert_eq!(statements(&app, W3, w3_vars()).await, 2, "W3");

    let id = d["plan"]["action"]["id"].clone();
    let id = match id {
        Value::Null => app
            .data(
                r#"{ plan(slug: "herefordshire-2012") { action(code: "3.5") { id } } }"#,
                json!({}),
            )
            .await["plan"]["action"]["id"]
            .clone(),
        id => id,
    };
    app.reset_statements();
    let d = app
        .data(
            W4,
            json!({ "id": id, "status": "AMBER", "note": "On track after review" }),
        )
        .await;
    assert_eq!(d["recordRagUpdate"]["ragUpdate"]["status"], "AMBER");
    let w4 = app.statement_count();
    eprintln!("{engine:?}: W4 took {w4} statements");
    // lock and read the action, append the entry, update the action, append the audit
    // event. Not counted: BEGIN, COMMIT, and SQLite's taking of its write lock.
    assert_eq!(w4, 4, "W4");
}

/// Adds `n` entries to each action's history, newer than what it has, and keeps
/// `history_count` as the write path does.
async fn grow_history(app: &TestApp, action_ids: &[i32], n: usize, from: NaiveDate) {
    let now = chrono::Utc::now();
    let mut rows = Vec::new();
    for &id in action_ids {
        for k in 0..n {
            rows.push(entity::rag_update::ActiveModel {
                action_id: Set(id),
                status: Set(if k % 2 == 0 {
                    RagStatus::Amber
                } else {
                    RagStatus::Green
                }),
                previous_status: Set(Some(if k % 2 == 0 {
                    RagStatus::Green
                } else {
                    RagStatus::Amber
                })),
                note: Set((k % 3 == 0).then(|| format!("Review {k}"))),
                effective_date: Set(from + chrono::Days::new(k as u64)),
                recorded_at: Set(now),
                author: Set("cost-test".into()),
                source: Set("cost-test".into()),
                ..Default::default()
            });
        }
    }
    for chunk in rows.chunks(500) {
        entity::rag_update::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(&app.db)
            .await
            .expect("insert history");
    }
    app.db
        .execute_unprepared(
            "UPDATE action SET history_count = \
             (SELECT COUNT(*) FROM rag_update r WHERE r.action_id = action.id)",
        )
        .await
        .expect("count history");
    // As autovacuum would after so many new rows: the planner's statistics follow the table.
    app.db.execute_unprepared("ANALYZE").await.expect("analyze");
}

/// Rows PostgreSQL reads from `rag_update` to run `stmt`, from `EXPLAIN ANALYZE`: the rows each
/// scan of the table returned or filtered out, times its loops.
async fn rows_read_pg(app: &TestApp, stmt: &Statement) -> u64 {
    let explain = Statement {
        sql: format!("EXPLAIN (ANALYZE, FORMAT JSON) {}", stmt.sql),
        ..stmt.clone()
    };
    let row = app
        .db
        .query_one_raw(explain)
        .await
        .expect("explain")
        .expect("a plan");
    let plan: Value = row.try_get("", "QUERY PLAN").expect("plan json");
    fn walk(node: &Value) -> u64 {
        let own = if node["Relation Name"] == "rag_update" {
            let n = |k: &str| node[k].as_f64().unwrap_or(0.0);
            ((n("Actual Rows") + n("Rows Removed by Filter") + n("Rows Removed by Index Recheck"))
                * n("Actual Loops"))
            .round() as u64
        } else {
            0
        };
        own + node["Plans"]
            .as_array()
            .map(|ps| ps.iter().map(walk).sum())
            .unwrap_or(0)
    }
    walk(&plan[0]["Plan"])
}

/// SQLite reads the history only through its `(action_id, effective_date, id)` index, newest
/// first, stopping at the LIMIT: no scan of the table and no sort of an action's history.
async fn assert_history_read_by_index_sqlite(app: &TestApp, stmt: &Statement) {
    let explain = Statement {
        sql: format!("EXPLAIN QUERY PLAN {}", stmt.sql),
        ..stmt.clone()
    };
    let rows = app.db.query_all_raw(explain).await.expect("explain");
    // (id, parent, detail): the plan is a tree.
    let nodes: Vec<(i64, i64, String)> = rows
        .iter()
        .map(|r| {
            (
                r.try_get::<i64>("", "id").expect("id"),
                r.try_get::<i64>("", "parent").expect("parent"),
                r.try_get::<String>("", "detail").expect("detail"),
            )
        })
        .collect();
    let details: Vec<String> = nodes.iter().map(|n| n.2.clone()).collect();
    let text = details.join("\n");
    // `SCAN a`, `SCAN r` are the statement's own subqueries (a page; one action's latest
    // entries); a scan of the history table itself is what must never happen.
    assert!(
        !details
            .iter()
            .any(|d| d.starts_with("SCAN rag_update") || d.starts_with("SCAN h ")),
        "a scan of the history:\n{text}\n{}",
        stmt.sql
    );
    assert!(
        text.contains("INDEX ix_rag_update_action_effective (action_id=?)"),
        "the history is not read through its index:\n{text}"
    );
    // Where the history is read, it is read in order: no sort beside the index search (a
    // sort of the page itself, elsewhere in the plan, is fine).
    for (_, parent, detail) in &nodes {
        if detail.contains("ix_rag_update_action_effective") {
            assert!(
                !nodes
                    .iter()
                    .any(|(_, p, d)| p == parent && d.contains("TEMP B-TREE")),
                "an action's history is sorted:\n{text}"
            );
        }
    }
}

#[apply(both_engines)]
async fn history_reads_do_not_grow_when_the_history_grows_tenfold(on: Engine) {
    let Some(engine) = on.available() else { return };
    let app = TestApp::spawn(engine).await;
    let d = app.data(W1, w1_vars()).await;
    let codes: Vec<String> = d["plan"]["actions"]["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .map(|n| n["code"].as_str().expect("code").to_string())
        .chain(["3.5".to_string()])
        .collect();
    // The plan ages: every action's history grows, as fortnightly boards would make it.
    let ids: Vec<i32> = entity::action::Entity::find()
        .all(&app.db)
        .await
        .expect("actions")
        .into_iter()
        .map(|a| a.id)
        .collect();
    assert_eq!(ids.len(), 125);
    assert_eq!(codes.len(), 16);

    let start = NaiveDate::from_ymd_opt(2013, 1, 1).expect("date");
    let mut read = Vec::new();
    // 49 entries each (one imported + 48), then 490 (+441 more).
    for (extra, total) in [(48, 49), (441, 490)] {
        let from = start + chrono::Days::new(if total == 49 { 0 } else { 48 });
        grow_history(&app, &ids, extra, from).await;
        let mut per_workload = Vec::new();
        for (query, vars) in [(W1, w1_vars()), (W3, w3_vars()), (LATEST_20, w3_vars())] {
            app.data(query, vars.clone()).await;
            app.reset_statements();
            let d = app.data(query, vars).await;
            if query != W1 {
                assert_eq!(d["plan"]["action"]["ragHistory"]["totalCount"], total);
                let edges = d["plan"]["action"]["ragHistory"]["edges"]
                    .as_array()
                    .expect("edges")
                    .len();
                let first = if query == W3 { 100 } else { 20 };
                assert_eq!(edges, total.min(first));
            }
            let mut rows = 0;
            for stmt in app.executed_statements() {
                if !stmt.sql.contains("rag_update") {
                    continue;
                }
                match engine {
                    Engine::Postgres => rows += rows_read_pg(&app, &stmt).await,
                    Engine::Sqlite => assert_history_read_by_index_sqlite(&app, &stmt).await,
                }
            }
            per_workload.push(rows);
        }
        eprintln!(
            "{engine:?}: {total} entries per action: rows of history read by W1, W3, \
                 latest 20: {per_workload:?}"
        );
        read.push(per_workload);
    }
    if engine == Engine::Postgres {
        // What is read is what is returned, plus one row to tell whether more follow: W1
        // (15 + 1 actions) x (3 + 1 entries); W3 the whole history up to its page of 100
        // (+1); the latest 20 (+1). The tenfold history costs nothing more.
        assert_eq!(read[0], vec![16 * 4, 49, 21], "49 entries per action");
        assert_eq!(read[1], vec![16 * 4, 101, 21], "490 entries per action");
    }
}

const ORDERED: &str = r#"query($order: ActionOrder, $after: String) {
  plan(slug: "herefordshire-2012") {
    actions(first: 20, after: $after, orderBy: $order) {
      pageInfo { hasNextPage endCursor }
      nodes { code }
    }
  }
}"#;

/// The same page with each action's history read with it (one `ragHistory`), and read on its
/// own (two differently-paged `ragHistory` fields force separate reads).
const WITH_HISTORY: &str = r#"query($order: ActionOrder, $after: String) {
  plan(slug: "herefordshire-2012") {
    actions(first: 20, after: $after, orderBy: $order) {
      nodes { code ragHistory(first: 2) { totalCount pageInfo { hasNextPage } edges { node { id status effectiveDate } } } }
    }
  }
}"#;

const APART: &str = r#"query($order: ActionOrder, $after: String) {
  plan(slug: "herefordshire-2012") {
    actions(first: 20, after: $after, orderBy: $order) {
      edges { node { code
        ragHistory(first: 2) { totalCount pageInfo { hasNextPage } edges { node { id status effectiveDate } } }
        other: ragHistory(first: 1) { totalCount }
      } }
    }
  }
}"#;

#[apply(both_engines)]
async fn history_read_with_a_page_equals_history_read_apart(on: Engine) {
    let Some(engine) = on.available() else { return };
    let app = TestApp::spawn(engine).await;
    // Give some actions more history than a page of it, and a few the same date.
    let ids: Vec<i32> = entity::action::Entity::find()
        .all(&app.db)
        .await
        .expect("actions")
        .into_iter()
        .filter(|a| a.position % 3 == 0)
        .map(|a| a.id)
        .collect();
    let start = NaiveDate::from_ymd_opt(2013, 2, 1).expect("date");
    grow_history(&app, &ids, 3, start).await;
    grow_history(&app, &ids[..5], 2, start).await;
    for field in ["POSITION", "DUE_DATE", "RAG_STATUS", "UPDATED_AT"] {
        for direction in ["ASC", "DESC"] {
            let order = json!({ "field": field, "direction": direction });
            let mut after = Value::Null;
            loop {
                let vars = json!({ "order": order, "after": after });
                let plain = app.data(ORDERED, vars.clone()).await;
                app.reset_statements();
                let with = app.data(WITH_HISTORY, vars.clone()).await;
                // Read with the page: the one statement.
                assert_eq!(app.statement_count(), 1, "{order}");
                let apart = app.data(APART, vars).await;
                let codes = |nodes: &Value| -> Vec<Value> {
                    nodes
                        .as_array()
                        .expect("list")
                        .iter()
                        .map(|n| n["code"].clone())
                        .collect()
                };
                let with_nodes = &with["plan"]["actions"]["nodes"];
                let apart_nodes: Vec<Value> = apart["plan"]["actions"]["edges"]
                    .as_array()
                    .expect("edges")
                    .iter()
                    .map(|e| e["node"].clone())
                    .collect();
                assert_eq!(
                    codes(&plain["plan"]["actions"]["nodes"]),
                    codes(with_nodes),
                    "{order}"
                );
                assert_eq!(
                    codes(with_nodes),
                    codes(&Value::Array(apart_nodes.clone())),
                    "{order}"
                );
                for (w, a) in with_nodes
                    .as_array()
                    .expect("nodes")
                    .iter()
                    .zip(&apart_nodes)
                {
                    assert_eq!(w["ragHistory"], a["ragHistory"], "{order} {}", w["code"]);
                }
                let info = &plain["plan"]["actions"]["pageInfo"];
                if info["hasNextPage"] != true {
                    break;
                }
                after = info["endCursor"].clone();
            }
        }
    }
}
