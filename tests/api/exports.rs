//! CSV exports: read back by a strict CSV reader, they hold the same rows as the API.
use plan_api::auth::Role;
use serde_json::{json, Value};

use crate::helpers::{action, apply, both_engines, paged_actions, token, Engine, TestApp};

/// Parses CSV text strictly, as a BI script or spreadsheet import would: every record as wide
/// as the first, and a leading UTF-8 byte-order mark dropped (as Python's `utf-8-sig` does).
fn csv_rows(csv: &[u8]) -> Vec<Vec<String>> {
    let csv = csv.strip_prefix("\u{feff}".as_bytes()).unwrap_or(csv);
    csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(false)
        .from_reader(csv)
        .records()
        .map(|r| {
            r.expect("a well-formed CSV record")
                .iter()
                .map(str::to_string)
                .collect()
        })
        .collect()
}

async fn get(app: &TestApp, token: Option<&str>, path: &str) -> (u16, Vec<u8>, Option<String>) {
    let mut req = app.client.get(app.url(path));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let res = req.send().await.expect("request");
    let status = res.status().as_u16();
    let ctype = res
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    (status, res.bytes().await.expect("body").to_vec(), ctype)
}

fn records(rows: &[Vec<String>]) -> Vec<serde_json::Map<String, Value>> {
    let header = &rows[0];
    rows[1..]
        .iter()
        .map(|r| {
            assert_eq!(r.len(), header.len(), "ragged row {r:?}");
            header
                .iter()
                .cloned()
                .zip(r.iter().map(|v| json!(v)))
                .collect()
        })
        .collect()
}

#[apply(both_engines)]
async fn action_csv_rows_equal_the_api(on: Engine) {
    let Some(engine) = on.available() else { return };
    let app = TestApp::spawn(engine).await;
    let sel = "id code theme { number } workstream { name } objective leads { code } rag { status note effectiveDate } dueDate state version";
    for (query, filter) in [
        ("", Value::Null),
        (
            "&themes=3&rag=RED,AMBER",
            json!({ "themes": [3], "rag": ["RED", "AMBER"] }),
        ),
        (
            "&workstreams=Practice&workstreams=HSCB&search=audit",
            json!({ "workstreams": ["Practice", "HSCB"], "search": "audit" }),
        ),
        (
            "&leads=J.Rez&dueBefore=2013-06-01",
            json!({ "leads": ["J.Rez"], "dueBefore": "2013-06-01" }),
        ),
    ] {
        let (status, body, ctype) = get(
            &app,
            Some(&app.admin_token),
            &format!("/export/actions.csv?plan=herefordshire-2012{query}"),
        )
        .await;
        assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
        assert_eq!(ctype.as_deref(), Some("text/csv; charset=utf-8"));
        let rows = csv_rows(&body);
        assert_eq!(rows[0][0], "code");
        let got = records(&rows);
        let (want, _) = paged_actions(&app, &filter, sel).await;
        assert_eq!(got.len(), want.len(), "{query}");
        for (g, w) in got.iter().zip(&want) {
            let leads: Vec<&str> = w["leads"]
                .as_array()
                .expect("leads")
                .iter()
                .map(|l| l["code"].as_str().expect("c"))
                .collect();
            assert_eq!(g["id"], w["id"]);
            assert_eq!(g["code"], w["code"]);
            assert_eq!(g["theme"], json!(w["theme"]["number"].to_string()));
            assert_eq!(g["workstream"], w["workstream"]["name"]);
            assert_eq!(g["objective"], w["objective"], "quoting round-trips");
            assert_eq!(g["leads"], json!(leads.join(" ")));
            assert_eq!(g["rag_status"], w["rag"]["status"]);
            assert_eq!(
                g["rag_note"],
                json!(w["rag"]["note"].as_str().unwrap_or(""))
            );
            assert_eq!(g["rag_effective_date"], w["rag"]["effectiveDate"]);
            assert_eq!(g["due_date"], json!(w["dueDate"].as_str().unwrap_or("")));
            assert_eq!(g["state"], w["state"]);
            assert_eq!(g["version"], json!(w["version"].to_string()));
        }
    }
    // Quoting was exercised: some objective holds a comma.
    let (_, body, _) = get(
        &app,
        Some(&app.admin_token),
        "/export/actions.csv?plan=herefordshire-2012",
    )
    .await;
    let text = String::from_utf8(body).expect("utf-8");
    assert!(text.contains(",\""), "some field is quoted");
    assert!(text.ends_with("\r\n"));

    // A spreadsheet's byte-order mark on request.
    let (_, body, _) = get(
        &app,
        Some(&app.admin_token),
        "/export/actions.csv?plan=herefordshire-2012&bom=1",
    )
    .await;
    assert!(body.starts_with("\u{feff}code,".as_bytes()));
    assert_eq!(csv_rows(&body).len(), 126);
}

#[apply(both_engines)]
async fn history_csv_streams_every_row_with_notes_intact(on: Engine) {
    let Some(engine) = on.available() else { return };
    let app = TestApp::spawn(engine).await;
    let before = action(&app, "3.1", "id rag { status }").await;
    let id = before["id"].clone();
    let awkward = "Slipped, \"again\"\nsee minutes – item 4";
    app.data(
        "mutation($in: RecordRagUpdateInput!) { recordRagUpdate(input: $in) { action { id } } }",
        json!({ "in": { "actionId": id, "status": "RED", "note": awkward, "effectiveDate": "2013-02-20" } }),
    )
    .await;
    // Enough history for several chunks (500 rows each).
    let ids: Vec<Value> = {
        let (nodes, _) = paged_actions(&app, &Value::Null, "id").await;
        nodes.into_iter().map(|n| n["id"].clone()).collect()
    };
    for round in 0..5 {
        let updates: Vec<Value> = ids
            .iter()
            .map(
                |id| json!({ "actionId": id, "status": "AMBER", "note": format!("round {round}") }),
            )
            .collect();
        let d = app
            .data(
                "mutation($u: [RecordRagUpdateInput!]!) { recordRagUpdates(input: {updates: $u}) { succeeded } }",
                json!({ "u": updates }),
            )
            .await;
        assert_eq!(d["recordRagUpdates"]["succeeded"], 125);
    }
    let (status, body, _) = get(
        &app,
        Some(&app.admin_token),
        "/export/rag-history.csv?plan=herefordshire-2012",
    )
    .await;
    assert_eq!(status, 200);
    let rows = records(&csv_rows(&body));
    assert_eq!(rows.len(), 125 + 1 + 5 * 125);
    let mut seen = std::collections::HashSet::new();
    for r in &rows {
        assert!(
            seen.insert(r["id"].as_str().expect("id").to_string()),
            "row twice: {r:?}"
        );
    }
    let note = rows
        .iter()
        .find(|r| r["effective_date"] == "2013-02-20")
        .expect("the awkward note");
    assert_eq!(note["note"], awkward);
    assert_eq!(note["action_code"], "3.1");
    assert_eq!(note["previous_status"], before["rag"]["status"]);
    assert_eq!(note["author"], "test-admin");
    // A period, as the API's ragChanges gives it.
    let (_, body, _) = get(
        &app,
        Some(&app.admin_token),
        "/export/rag-history.csv?plan=herefordshire-2012&from=2013-02-01&to=2013-02-28&themes=3",
    )
    .await;
    let rows = records(&csv_rows(&body));
    let d = app
        .data("{ plan(slug: \"herefordshire-2012\") { ragChanges(from: \"2013-02-01\", to: \"2013-02-28\", filter: {themes: [3]}) { edges { node { ragUpdate { id } } } } } }", json!({}))
        .await;
    let api: Vec<&Value> = d["plan"]["ragChanges"]["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|e| &e["node"]["ragUpdate"]["id"])
        .collect();
    assert_eq!(rows.iter().map(|r| &r["id"]).collect::<Vec<_>>(), api);
}

#[apply(both_engines)]
async fn exports_respect_tokens_scope_and_parameters(on: Engine) {
    let Some(engine) = on.available() else { return };
    let app = TestApp::spawn(engine).await;
    let partner = token(Role::Partner, &[], &["HSCB"]);
    let (status, body, _) = get(
        &app,
        Some(&partner),
        "/export/actions.csv?plan=herefordshire-2012",
    )
    .await;
    assert_eq!(status, 200);
    let rows = records(&csv_rows(&body));
    assert!(!rows.is_empty());
    assert!(
        rows.iter().all(|r| r["workstream"] == "HSCB"),
        "partner sees its own only"
    );
    let (_, body, _) = get(
        &app,
        Some(&partner),
        "/export/rag-history.csv?plan=herefordshire-2012",
    )
    .await;
    assert_eq!(records(&csv_rows(&body)).len(), rows.len());

    for (tok, path, status, code) in [
        (
            None,
            "/export/actions.csv?plan=herefordshire-2012",
            401,
            "UNAUTHENTICATED",
        ),
        (
            Some("garbage"),
            "/export/actions.csv?plan=herefordshire-2012",
            401,
            "UNAUTHENTICATED",
        ),
        (
            Some(app.admin_token.as_str()),
            "/export/actions.csv",
            400,
            "BAD_USER_INPUT",
        ),
        (
            Some(app.admin_token.as_str()),
            "/export/actions.csv?plan=nope",
            404,
            "NOT_FOUND",
        ),
        (
            Some(app.admin_token.as_str()),
            "/export/actions.csv?plan=herefordshire-2012&themes=x",
            400,
            "BAD_USER_INPUT",
        ),
        (
            Some(app.admin_token.as_str()),
            "/export/actions.csv?plan=herefordshire-2012&colour=red",
            400,
            "BAD_USER_INPUT",
        ),
        (
            Some(app.admin_token.as_str()),
            "/export/actions.csv?plan=herefordshire-2012&workstreams=Finance",
            400,
            "BAD_USER_INPUT",
        ),
        (
            Some(app.admin_token.as_str()),
            "/export/rag-history.csv?plan=herefordshire-2012&from=yesterday",
            400,
            "BAD_USER_INPUT",
        ),
        (
            Some(partner.as_str()),
            "/export/actions.csv?plan=herefordshire-2012&rag=PURPLE",
            400,
            "BAD_USER_INPUT",
        ),
    ] {
        let (s, body, _) = get(&app, tok, path).await;
        let body: Value = serde_json::from_slice(&body).expect("json error");
        assert_eq!(s, status, "{path}: {body}");
        assert_eq!(body["errors"][0]["extensions"]["code"], code, "{path}");
    }
    let elsewhere = crate::helpers::token_with(Role::Viewer, &[], &[], &["another-plan"]);
    let (s, _, _) = get(
        &app,
        Some(&elsewhere),
        "/export/actions.csv?plan=herefordshire-2012",
    )
    .await;
    assert_eq!(s, 404, "a plan outside the token looks absent");
}
