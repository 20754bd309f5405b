//! What operators and browsers see: rate limits, CORS, readiness and metrics.
use std::time::Duration;

use plan_api::admission::RatePolicy;
use plan_api::auth::Role;
use serde_json::{json, Value};

use crate::helpers::{apply, both_engines, error_code, token, Engine, TestApp};

const QUERY: &str = "{ plan(slug: \"herefordshire-2012\") { slug } }";

#[apply(both_engines)]
async fn the_rate_limit_answers_429_with_retry_after_and_recovers(on: Engine) {
    let Some(engine) = on.available() else { return };
    let app = TestApp::spawn_adjusted(engine, |s| {
        s.rate = RatePolicy::parse("partner=1/s:3").expect("policy");
    })
    .await;
    let partner = token(Role::Partner, &[], &["HSCB"]);
    let send = |t: String| {
        let req = app
            .client
            .post(app.url("/graphql"))
            .bearer_auth(t)
            .json(&json!({ "query": QUERY }));
        async move { req.send().await.expect("request") }
    };
    // Three at once (the burst), then 429. Time passes between requests and refills the
    // bucket a little (1 a second), so a slow machine may get one more in.
    let mut remaining = Vec::new();
    let res = loop {
        let res = send(partner.clone()).await;
        assert_eq!(res.headers()["ratelimit-limit"], "3");
        if res.status() == 429 || remaining.len() == 6 {
            break res;
        }
        assert_eq!(res.status(), 200);
        remaining.push(
            res.headers()["ratelimit-remaining"]
                .to_str()
                .expect("text")
                .parse::<u64>()
                .expect("number"),
        );
    };
    assert_eq!(res.status(), 429, "never limited: {remaining:?}");
    assert!(
        remaining.len() >= 3 && remaining[..3] == [2, 1, 0],
        "{remaining:?}"
    );
    let retry: u64 = res.headers()["retry-after"]
        .to_str()
        .expect("text")
        .parse()
        .expect("seconds");
    assert_eq!(retry, 1, "Retry-After");
    assert_eq!(res.headers()["ratelimit-remaining"], "0");
    let body: Value = res.json().await.expect("json");
    assert_eq!(error_code(&body).as_deref(), Some("RATE_LIMITED"));
    assert_eq!(body["errors"][0]["extensions"]["retryAfter"], retry);

    // Another subject, and another role, have buckets of their own.
    let other = plan_api::auth::AuthSettings {
        ..crate::helpers::test_auth()
    }
    .issuer()
    .expect("issuer")
    .issue(&plan_api::auth::TokenRequest {
        sub: "another-partner".into(),
        role: Role::Partner,
        name: None,
        leads: vec![],
        workstreams: vec!["HSCB".into()],
        plans: vec![],
        ttl: Duration::from_secs(600),
    })
    .expect("token");
    assert_eq!(send(other).await.status(), 200);
    assert_eq!(send(app.admin_token.clone()).await.status(), 200);
    // CSV exports draw on the same bucket.
    let res = app
        .client
        .get(app.url("/export/actions.csv?plan=herefordshire-2012"))
        .bearer_auth(&partner)
        .send()
        .await
        .expect("export");
    assert_eq!(res.status(), 429);

    tokio::time::sleep(Duration::from_millis(1100)).await;
    let res = send(partner.clone()).await;
    assert_eq!(res.status(), 200, "the bucket refilled");
}

#[tokio::test]
async fn requests_without_a_token_are_limited_by_address() {
    let app = TestApp::spawn_adjusted(Engine::Sqlite, |s| {
        s.rate = RatePolicy::parse("anonymous=1/m:2").expect("policy");
    })
    .await;
    let statuses = {
        let mut v = Vec::new();
        for _ in 0..3 {
            let res = app
                .client
                .post(app.url("/graphql"))
                .json(&json!({ "query": "{ __typename }" }))
                .send()
                .await
                .expect("request");
            v.push(res.status().as_u16());
        }
        v
    };
    assert_eq!(statuses, [200, 200, 429]);
    // A token has its own bucket.
    let (status, _) = app
        .graphql_with(
            Some(&format!("Bearer {}", app.admin_token)),
            QUERY,
            json!({}),
        )
        .await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn cors_preflights_are_answered_for_allowed_origins_only() {
    let app = TestApp::spawn_adjusted(Engine::Sqlite, |s| {
        s.cors_origins = vec!["https://intranet.example.gov.uk".into()];
        s.rate = RatePolicy::unlimited();
    })
    .await;
    let preflight = |origin: &'static str| {
        app.client
            .request(reqwest::Method::OPTIONS, app.url("/graphql"))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header(
                "access-control-request-headers",
                "authorization, content-type",
            )
            .send()
    };
    let res = preflight("https://intranet.example.gov.uk")
        .await
        .expect("preflight");
    assert!(res.status().is_success(), "{}", res.status());
    let h = res.headers();
    assert_eq!(
        h["access-control-allow-origin"],
        "https://intranet.example.gov.uk"
    );
    let allowed = h["access-control-allow-headers"]
        .to_str()
        .expect("text")
        .to_ascii_lowercase();
    assert!(
        allowed.contains("authorization") && allowed.contains("content-type"),
        "{allowed}"
    );
    assert!(h["access-control-allow-methods"]
        .to_str()
        .expect("text")
        .contains("POST"));

    let res = preflight("https://evil.example.com")
        .await
        .expect("preflight");
    let cors: Vec<_> = res
        .headers()
        .keys()
        .filter(|k| k.as_str().starts_with("access-control-"))
        .collect();
    assert!(cors.is_empty(), "CORS headers for another origin: {cors:?}");

    // The actual request from the allowed origin carries the header; others do not.
    for (origin, allowed) in [
        ("https://intranet.example.gov.uk", true),
        ("https://evil.example.com", false),
    ] {
        let res = app
            .client
            .post(app.url("/graphql"))
            .header("origin", origin)
            .bearer_auth(&app.admin_token)
            .json(&json!({ "query": QUERY }))
            .send()
            .await
            .expect("request");
        assert_eq!(
            res.headers().get("access-control-allow-origin").is_some(),
            allowed,
            "{origin}"
        );
    }
}

#[tokio::test]
async fn without_configured_origins_there_are_no_cors_headers() {
    let app = TestApp::spawn(Engine::Sqlite).await;
    let res = app
        .client
        .request(reqwest::Method::OPTIONS, app.url("/graphql"))
        .header("origin", "https://intranet.example.gov.uk")
        .header("access-control-request-method", "POST")
        .send()
        .await
        .expect("preflight");
    assert!(res.headers().get("access-control-allow-origin").is_none());
}

#[apply(both_engines)]
async fn readiness_and_metrics_answer_and_count_requests(on: Engine) {
    let Some(engine) = on.available() else { return };
    let app = TestApp::spawn(engine).await;
    let res = app
        .client
        .get(app.url("/readyz"))
        .send()
        .await
        .expect("readyz");
    assert_eq!(res.status(), 200);
    assert_eq!(res.text().await.expect("text"), "ready");
    assert_eq!(
        app.client
            .get(app.url("/healthz"))
            .send()
            .await
            .expect("healthz")
            .status(),
        200
    );

    // An operation name of this test's own, so that other tests' requests (the recorder is
    // shared by the whole test process) cannot be what is counted.
    let op = format!("MetricsProbe{}", uuid::Uuid::new_v4().simple());
    let counted = |text: &str| -> u64 {
        text.lines()
            .filter(|l| {
                l.starts_with("plan_api_graphql_requests_total{")
                    && l.contains(&format!("operation=\"{op}\""))
                    && l.contains("status=\"200\"")
            })
            .filter_map(|l| l.rsplit(' ').next()?.parse::<u64>().ok())
            .sum()
    };
    for _ in 0..2 {
        let d = app
            .data(
                &format!("query {op} {{ plan(slug: \"herefordshire-2012\") {{ slug }} }}"),
                json!({}),
            )
            .await;
        assert_eq!(d["plan"]["slug"], "herefordshire-2012");
    }
    let body = app.graphql("{ x", json!({})).await;
    assert_eq!(error_code(&body).as_deref(), Some("BAD_USER_INPUT"));

    let res = app
        .client
        .get(app.url("/metrics"))
        .send()
        .await
        .expect("metrics");
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-type"]
        .to_str()
        .expect("text")
        .starts_with("text/plain"));
    let text = res.text().await.expect("text");
    assert_eq!(counted(&text), 2, "{text}");
    for needle in [
        "plan_api_graphql_request_duration_seconds_bucket{",
        "plan_api_graphql_errors_total{code=\"BAD_USER_INPUT\"}",
        "plan_api_db_pool_connections{state=\"idle\"}",
        "plan_api_db_pool_max_connections",
        "plan_api_http_requests_total{status=\"200\"}",
    ] {
        assert!(text.contains(needle), "no {needle} in\n{text}");
    }
}

#[tokio::test]
async fn refusals_are_counted_by_code() {
    let app = TestApp::spawn(Engine::Sqlite).await;
    let read = |text: &str, code: &str| -> u64 {
        text.lines()
            .find(|l| {
                l.starts_with(&format!(
                    "plan_api_refused_requests_total{{code=\"{code}\"}}"
                ))
            })
            .and_then(|l| l.rsplit(' ').next()?.parse().ok())
            .unwrap_or(0)
    };
    let metrics = || async {
        app.client
            .get(app.url("/metrics"))
            .send()
            .await
            .expect("metrics")
            .text()
            .await
            .expect("text")
    };
    let before = read(&metrics().await, "UNSUPPORTED_MEDIA_TYPE");
    let res = app
        .client
        .post(app.url("/graphql"))
        .header("content-type", "text/plain")
        .body("{\"query\": \"{ __typename }\"}")
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), 415);
    // Other tests in this process may refuse the same way meanwhile: at least one more.
    assert!(read(&metrics().await, "UNSUPPORTED_MEDIA_TYPE") > before);
}
