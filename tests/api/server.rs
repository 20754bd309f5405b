//! The HTTP surface as clients use it.
use serde_json::json;

use crate::helpers::{apply, both_engines, error_code, Engine, TestApp};

#[tokio::test]
async fn health_graphiql_and_get_queries_work() {
    let app = TestApp::spawn(Engine::Sqlite).await;

    let health = app
        .client
        .get(app.url("/healthz"))
        .send()
        .await
        .expect("healthz");
    assert_eq!(health.status(), 200);

    let page = app.client.get(app.url("/")).send().await.expect("graphiql");
    assert_eq!(page.status(), 200);
    assert!(page.text().await.expect("body").contains("graphiql"));

    let res = app
        .client
        .get(app.url("/graphql"))
        .bearer_auth(&app.admin_token)
        .query(&[(
            "query",
            "{ plan(slug: \"herefordshire-2012\") { slug version } }",
        )])
        .send()
        .await
        .expect("GET /graphql");
    assert_eq!(res.status(), 200);
    let body: serde_json::Value = res.json().await.expect("json");
    assert_eq!(body["data"]["plan"]["slug"], "herefordshire-2012");
    assert_eq!(body["data"]["plan"]["version"], "V2.2");
}

#[apply(both_engines)]
async fn node_ids_round_trip_for_every_kind(on: Engine) {
    let Some(engine) = on.available() else { return };
    let app = TestApp::spawn(engine).await;
    let data = app
        .data(
            r#"{ plan(slug: "herefordshire-2012") { id themes { id } workstreams { id } people { id }
                 references { id } action(code: "1.1") { id ragHistory(first: 1) { edges { node { id } } } } } }"#,
            json!({}),
        )
        .await;
    let p = &data["plan"];
    let ids = [
        p["id"].clone(),
        p["themes"][0]["id"].clone(),
        p["workstreams"][0]["id"].clone(),
        p["people"][0]["id"].clone(),
        p["references"][0]["id"].clone(),
        p["action"]["id"].clone(),
        p["action"]["ragHistory"]["edges"][0]["node"]["id"].clone(),
    ];
    for id in ids {
        let d = app
            .data(
                "query($id: ID!) { node(id: $id) { id } }",
                json!({ "id": id }),
            )
            .await;
        assert_eq!(d["node"]["id"], id);
    }
    let d = app
        .data(
            "query($id: ID!) { node(id: $id) { ... on Action { code } } }",
            json!({ "id": p["action"]["id"] }),
        )
        .await;
    assert_eq!(d["node"]["code"], "1.1");
}

#[apply(both_engines)]
async fn malformed_ids_and_cursors_are_bad_input(on: Engine) {
    let Some(engine) = on.available() else { return };
    let app = TestApp::spawn(engine).await;
    for (query, vars) in [
        (
            "query($id: ID!) { node(id: $id) { id } }",
            json!({ "id": "not-an-id" }),
        ),
        (
            r#"query($a: String) { plan(slug: "herefordshire-2012") { actions(first: 2, after: $a) { totalCount } } }"#,
            json!({ "a": "garbage" }),
        ),
    ] {
        let body = app.graphql(query, vars).await;
        assert_eq!(
            error_code(&body).as_deref(),
            Some("BAD_USER_INPUT"),
            "{body:#}"
        );
    }
    let body = app
        .graphql(
            "query($id: ID!) { node(id: $id) { id } }",
            json!({ "id": "QWN0aW9uOjk5OTk5" }),
        )
        .await;
    assert!(body["data"]["node"].is_null(), "{body:#}");
}

#[apply(both_engines)]
async fn pages_follow_cursors_without_gaps_or_overlaps(on: Engine) {
    let Some(engine) = on.available() else { return };
    let app = TestApp::spawn(engine).await;
    let q = r#"query($after: String) { plan(slug: "herefordshire-2012") {
        actions(first: 40, after: $after) { totalCount pageInfo { hasNextPage hasPreviousPage endCursor } edges { node { code } } } } }"#;
    let mut after = serde_json::Value::Null;
    let mut codes = Vec::new();
    let mut total;
    loop {
        let d = app.data(q, json!({ "after": after })).await;
        let conn = &d["plan"]["actions"];
        total = conn["totalCount"].as_u64().expect("totalCount");
        for e in conn["edges"].as_array().expect("edges") {
            codes.push(e["node"]["code"].as_str().expect("code").to_string());
        }
        assert_eq!(conn["pageInfo"]["hasPreviousPage"], !after.is_null());
        if !conn["pageInfo"]["hasNextPage"]
            .as_bool()
            .expect("hasNextPage")
        {
            break;
        }
        after = conn["pageInfo"]["endCursor"].clone();
    }
    assert_eq!(codes.len() as u64, total);
    let unique: std::collections::HashSet<_> = codes.iter().collect();
    assert_eq!(unique.len(), codes.len(), "a code appeared on two pages");
    assert_eq!(codes.first().map(String::as_str), Some("1.1"));
    assert_eq!(codes.last().map(String::as_str), Some("5.12"));
}

#[apply(both_engines)]
async fn page_sizes_over_the_maximum_are_refused(on: Engine) {
    let Some(engine) = on.available() else { return };
    let app = TestApp::spawn(engine).await;
    for first in [101, -1] {
        let body = app
            .graphql(
                r#"query($f: Int) { plan(slug: "herefordshire-2012") { actions(first: $f) { totalCount } } }"#,
                json!({ "f": first }),
            )
            .await;
        assert_eq!(
            error_code(&body).as_deref(),
            Some("BAD_USER_INPUT"),
            "{body:#}"
        );
        let msg = body["errors"][0]["message"].as_str().unwrap_or_default();
        assert!(msg.contains("first"), "{msg}");
    }
}
