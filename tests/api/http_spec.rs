//! GraphQL over HTTP as the specification has it: media types, methods, status codes.
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{action, apply, both_engines, error_code, Engine, TestApp};

const GQL: &str = "application/graphql-response+json";

async fn post(
    app: &TestApp,
    accept: Option<&str>,
    content_type: &str,
    body: String,
) -> (StatusCode, String, Value) {
    let mut req = app
        .client
        .post(app.url("/graphql"))
        .bearer_auth(&app.admin_token)
        .header("content-type", content_type)
        .body(body);
    if let Some(a) = accept {
        req = req.header("accept", a);
    }
    let res = req.send().await.expect("request");
    let status = res.status();
    let ct = res
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let body = res.json().await.unwrap_or(Value::Null);
    (status, ct, body)
}

fn q(query: &str) -> String {
    json!({ "query": query }).to_string()
}

#[tokio::test]
async fn the_response_type_follows_accept_with_the_spec_status_codes() {
    let app = TestApp::spawn(Engine::Sqlite).await;
    let ok = q("{ plan(slug: \"herefordshire-2012\") { slug } }");
    let parse_error = q("{ plan(slug: ");
    let invalid = q("{ plan(slug: \"herefordshire-2012\") { noSuchField } }");
    let field_error =
        q("{ plan(slug: \"herefordshire-2012\") { slug actions(first: 1000) { totalCount } } }");
    // (Accept, body, status, content type, has data)
    let cases = [
        (Some(GQL), &ok, 200, GQL, true),
        (Some(GQL), &parse_error, 400, GQL, false),
        (Some(GQL), &invalid, 400, GQL, false),
        (Some(GQL), &field_error, 200, GQL, true),
        (Some("application/json"), &ok, 200, "application/json", true),
        (
            Some("application/json"),
            &parse_error,
            200,
            "application/json",
            false,
        ),
        (
            Some("application/json"),
            &invalid,
            200,
            "application/json",
            false,
        ),
        (None, &invalid, 200, "application/json", false),
        (
            Some("application/graphql-response+json, application/json;q=0.9"),
            &invalid,
            400,
            GQL,
            false,
        ),
        (Some("*/*"), &ok, 200, "application/json", true),
    ];
    for (accept, body, status, ct, has_data) in cases {
        let (s, c, b) = post(&app, accept, "application/json", body.clone()).await;
        assert_eq!(s.as_u16(), status, "{accept:?} {body}: {b:#}");
        assert!(c.starts_with(ct), "{accept:?} {body}: content type {c}");
        assert!(c.contains("charset=utf-8"), "{c}");
        assert_eq!(
            b.get("data").is_some(),
            has_data,
            "{accept:?} {body}: {b:#}"
        );
        if !has_data {
            assert_eq!(error_code(&b).as_deref(), Some("BAD_USER_INPUT"), "{b:#}");
        }
    }
    // Nothing acceptable: 406.
    let (s, _, b) = post(&app, Some("text/html"), "application/json", ok.clone()).await;
    assert_eq!(s, StatusCode::NOT_ACCEPTABLE);
    assert_eq!(error_code(&b).as_deref(), Some("NOT_ACCEPTABLE"));
}

#[tokio::test]
async fn only_json_bodies_are_executed() {
    let app = TestApp::spawn(Engine::Sqlite).await;
    let body = q("{ __typename }");
    for ct in [
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "application/graphql",
    ] {
        let (s, _, b) = post(&app, Some(GQL), ct, body.clone()).await;
        assert_eq!(s, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{ct}");
        assert_eq!(
            error_code(&b).as_deref(),
            Some("UNSUPPORTED_MEDIA_TYPE"),
            "{ct}"
        );
    }
    let (s, _, b) = post(&app, Some(GQL), "application/json; charset=utf-8", body).await;
    assert_eq!(s, StatusCode::OK, "{b:#}");
    // Well-formed JSON that is not a GraphQL request: 400 under both types.
    for (raw, why) in [
        ("{\"query\": 1}", "query not a string"),
        ("[1, 2]", "not an object"),
        ("{\"variables\": {}}", "no query"),
        (
            "{\"query\": \"{ __typename }\", \"variables\": 3}",
            "variables not an object",
        ),
        ("{not json", "not JSON"),
    ] {
        for accept in [GQL, "application/json"] {
            let (s, _, b) = post(&app, Some(accept), "application/json", raw.into()).await;
            assert_eq!(s, StatusCode::BAD_REQUEST, "{why} ({accept}): {b:#}");
            assert_eq!(error_code(&b).as_deref(), Some("BAD_REQUEST"), "{why}");
        }
    }
}

#[apply(both_engines)]
async fn a_mutation_over_get_is_405_and_changes_nothing(on: Engine) {
    let Some(engine) = on.available() else { return };
    let app = TestApp::spawn(engine).await;
    let before = action(&app, "1.1", "id state version").await;
    let id = before["id"].as_str().expect("id");
    let mutation = format!(
            "mutation {{ retireAction(input: {{ actionId: \"{id}\", reason: \"test\" }}) {{ action {{ state }} }} }}"
        );
    for accept in [GQL, "application/json"] {
        app.reset_statements();
        let res = app
            .client
            .get(app.url("/graphql"))
            .bearer_auth(&app.admin_token)
            .header("accept", accept)
            .query(&[("query", mutation.as_str())])
            .send()
            .await
            .expect("GET");
        assert_eq!(res.status(), StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(
            res.headers().get("allow").and_then(|v| v.to_str().ok()),
            Some("POST")
        );
        let body: Value = res.json().await.expect("json");
        assert_eq!(error_code(&body).as_deref(), Some("METHOD_NOT_ALLOWED"));
        assert_eq!(app.statement_count(), 0, "the GET touched the database");
    }
    // HEAD is routed like GET: it may not write either.
    let res = app
        .client
        .head(app.url("/graphql"))
        .bearer_auth(&app.admin_token)
        .query(&[("query", mutation.as_str())])
        .send()
        .await
        .expect("HEAD");
    assert_eq!(res.status(), StatusCode::METHOD_NOT_ALLOWED);
    let after = action(&app, "1.1", "id state version").await;
    assert_eq!(after, before, "the action changed");
    // The same over POST works, so the GET was refused for its method alone.
    let d = app.data(&mutation, json!({})).await;
    assert_eq!(d["retireAction"]["action"]["state"], "REMOVED");
}

#[tokio::test]
async fn get_runs_queries_with_json_encoded_variables() {
    let app = TestApp::spawn(Engine::Sqlite).await;
    let res = app
        .client
        .get(app.url("/graphql"))
        .bearer_auth(&app.admin_token)
        .header("accept", GQL)
        .query(&[
            (
                "query",
                "query Slug($s: String!) { plan(slug: $s) { slug } }",
            ),
            ("variables", "{\"s\": \"herefordshire-2012\"}"),
            ("operationName", "Slug"),
        ])
        .send()
        .await
        .expect("GET");
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.expect("json");
    assert_eq!(
        body["data"]["plan"]["slug"], "herefordshire-2012",
        "{body:#}"
    );
    let res = app
        .client
        .get(app.url("/graphql"))
        .query(&[("query", "{ __typename }"), ("variables", "{oops")])
        .send()
        .await
        .expect("GET");
    assert_eq!(res.status(), 400);
}

#[tokio::test]
async fn a_bad_token_is_still_401_and_other_methods_405() {
    let app = TestApp::spawn(Engine::Sqlite).await;
    let res = app
        .client
        .post(app.url("/graphql"))
        .header("authorization", "Bearer not-a-token")
        .header("accept", GQL)
        .json(&json!({ "query": "{ __typename }" }))
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), 401);
    assert!(res.headers().contains_key("www-authenticate"));
    let res = app
        .client
        .put(app.url("/graphql"))
        .json(&json!({ "query": "{ __typename }" }))
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), 405);
}

#[tokio::test]
async fn trusted_documents_mode_runs_only_registered_documents() {
    let dir = std::env::temp_dir().join(format!(
        "plan-api-trusted-{}",
        uuid::Uuid::new_v4().simple()
    ));
    std::fs::create_dir_all(&dir).expect("dir");
    let registered = "query Slug { plan(slug: \"herefordshire-2012\") { slug } }";
    std::fs::write(dir.join("slug.graphql"), registered).expect("write");
    let docs = plan_api::admission::TrustedDocuments::load(&dir).expect("load");
    let hash = plan_api::admission::trusted::sha256_hex(registered);
    let app = TestApp::spawn_adjusted(Engine::Sqlite, move |s| {
        s.trusted = Some(std::sync::Arc::new(docs));
        s.rate = plan_api::admission::RatePolicy::unlimited();
    })
    .await;
    let send = |body: Value| {
        let req = app
            .client
            .post(app.url("/graphql"))
            .bearer_auth(&app.admin_token)
            .json(&body);
        async move {
            let res = req.send().await.expect("request");
            (
                res.status().as_u16(),
                res.json::<Value>().await.expect("json"),
            )
        }
    };
    for body in [
        json!({ "documentId": format!("sha256:{hash}") }),
        json!({ "extensions": { "persistedQuery": { "version": 1, "sha256Hash": hash } } }),
        json!({ "query": registered }),
    ] {
        let (status, b) = send(body.clone()).await;
        assert_eq!(status, 200, "{body}: {b:#}");
        assert_eq!(
            b["data"]["plan"]["slug"], "herefordshire-2012",
            "{body}: {b:#}"
        );
    }
    let (_, b) = send(json!({ "documentId": "sha256:0000" })).await;
    assert_eq!(error_code(&b).as_deref(), Some("PERSISTED_QUERY_NOT_FOUND"));
    let (_, b) = send(json!({ "query": "{ plans { totalCount } }" })).await;
    assert_eq!(error_code(&b).as_deref(), Some("DOCUMENT_NOT_ALLOWED"));
    std::fs::remove_dir_all(dir).ok();
}

#[tokio::test]
async fn request_ids_are_echoed_or_generated() {
    let app = TestApp::spawn(Engine::Sqlite).await;
    let res = app
        .client
        .get(app.url("/healthz"))
        .header("x-request-id", "abc-123")
        .send()
        .await
        .expect("request");
    assert_eq!(
        res.headers()
            .get("x-request-id")
            .and_then(|v| v.to_str().ok()),
        Some("abc-123")
    );
    let mut ids = std::collections::HashSet::new();
    for _ in 0..3 {
        let res = app
            .client
            .post(app.url("/graphql"))
            .json(&json!({ "query": "{ __typename }" }))
            .send()
            .await
            .expect("request");
        let id = res
            .headers()
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .expect("a generated id")
            .to_string();
        assert!(ids.insert(id), "ids repeat");
    }
}
