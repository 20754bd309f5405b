//! Tokens: every way a bearer token can be wrong is UNAUTHENTICATED and leaks nothing; the
//! configured key's algorithm is the only one accepted.
use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
use plan_api::auth::{AuthSettings, KeySource, Role};
use plan_api::config::Limits;
use serde_json::{json, Value};

use crate::helpers::{test_auth, token, Engine, TestApp, TEST_SECRET};

const QUERY: &str = r#"{ plan(slug: "herefordshire-2012") { action(code: "1.1") { code } } }"#;

fn now() -> u64 {
    jsonwebtoken::get_current_timestamp()
}

fn claims() -> Value {
    json!({
        "sub": "someone", "role": "viewer", "iss": "plan-api", "aud": "plan-api",
        "iat": now(), "exp": now() + 600,
    })
}

fn with(mut base: Value, changes: Value) -> Value {
    for (k, v) in changes.as_object().expect("object") {
        if v.is_null() {
            base.as_object_mut().expect("object").remove(k);
        } else {
            base[k] = v.clone();
        }
    }
    base
}

fn hs(alg: Algorithm, claims: &Value, secret: &str) -> String {
    encode(
        &Header::new(alg),
        claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .expect("encode")
}

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/tests/fixtures/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .expect(name)
}

fn rs256(claims: &Value) -> String {
    let key = EncodingKey::from_rsa_pem(&fixture("rsa-private.pem")).expect("rsa key");
    encode(&Header::new(Algorithm::RS256), claims, &key).expect("encode")
}

fn es256(claims: &Value) -> String {
    let key = EncodingKey::from_ec_pem(&fixture("ec-private.pem")).expect("ec key");
    encode(&Header::new(Algorithm::ES256), claims, &key).expect("encode")
}

/// `{"alg":"none"}` with valid claims and an empty signature.
fn unsigned(claims: &Value) -> String {
    use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine as _};
    format!(
        "{}.{}.",
        URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    )
}

/// Asserts a request was refused as UNAUTHENTICATED with nothing of the plan, the key or the
/// token in the answer.
fn assert_refused(what: &str, token: &str, status: u16, body: &Value) {
    assert_eq!(status, 401, "{what}: status, body {body:#}");
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "UNAUTHENTICATED",
        "{what}: {body:#}"
    );
    assert!(
        body.get("data").is_none_or(Value::is_null),
        "{what}: {body:#}"
    );
    let text = body.to_string();
    for secret in [TEST_SECRET, "BEGIN", "Set of clearly articulated"] {
        assert!(!text.contains(secret), "{what} leaked {secret:?}: {text}");
    }
    if token.len() > 20 {
        assert!(!text.contains(token), "{what} echoed the token: {text}");
    }
}

#[tokio::test]
async fn every_bad_token_is_unauthenticated_and_leaks_nothing() {
    let app = TestApp::spawn(Engine::Sqlite).await;
    let base = claims();
    let long_ago = now() - 3600;
    let cases: Vec<(&str, String)> = vec![
        (
            "expired",
            hs(
                Algorithm::HS256,
                &with(base.clone(), json!({ "exp": long_ago })),
                TEST_SECRET,
            ),
        ),
        (
            "not yet valid",
            hs(
                Algorithm::HS256,
                &with(base.clone(), json!({ "nbf": now() + 3600 })),
                TEST_SECRET,
            ),
        ),
        (
            "wrong signature",
            hs(
                Algorithm::HS256,
                &base,
                "another-secret-of-sufficient-length-0123456789",
            ),
        ),
        (
            "wrong alg (HS384, same secret)",
            hs(Algorithm::HS384, &base, TEST_SECRET),
        ),
        ("wrong alg (RS256)", rs256(&base)),
        ("alg none", unsigned(&base)),
        (
            "wrong issuer",
            hs(
                Algorithm::HS256,
                &with(base.clone(), json!({ "iss": "evil" })),
                TEST_SECRET,
            ),
        ),
        (
            "wrong audience",
            hs(
                Algorithm::HS256,
                &with(base.clone(), json!({ "aud": "other-api" })),
                TEST_SECRET,
            ),
        ),
        (
            "no exp",
            hs(
                Algorithm::HS256,
                &with(base.clone(), json!({ "exp": null })),
                TEST_SECRET,
            ),
        ),
        (
            "no sub",
            hs(
                Algorithm::HS256,
                &with(base.clone(), json!({ "sub": null })),
                TEST_SECRET,
            ),
        ),
        (
            "unknown role",
            hs(
                Algorithm::HS256,
                &with(base.clone(), json!({ "role": "root" })),
                TEST_SECRET,
            ),
        ),
        (
            "role missing",
            hs(
                Algorithm::HS256,
                &with(base.clone(), json!({ "role": null })),
                TEST_SECRET,
            ),
        ),
        ("garbage", "not.a.jwt".to_string()),
        ("random text", "hello".to_string()),
    ];
    for (what, token) in &cases {
        let (status, body) = app
            .graphql_with(Some(&format!("Bearer {token}")), QUERY, json!({}))
            .await;
        assert_refused(what, token, status, &body);
    }
    for header in ["Basic dXNlcjpwYXNz", "Bearer", "Bearer   ", "token abc"] {
        let (status, body) = app.graphql_with(Some(header), QUERY, json!({})).await;
        assert_refused(header, header, status, &body);
    }

    // Within the leeway, a just-expired token still works (clocks drift).
    let grace = hs(
        Algorithm::HS256,
        &with(base.clone(), json!({ "exp": now() - 5 })),
        TEST_SECRET,
    );
    let body = app.graphql_as(&grace, QUERY, json!({})).await;
    assert_eq!(body["data"]["plan"]["action"]["code"], "1.1", "{body:#}");
    // `aud` as a list, as some identity providers send it.
    let listed = hs(
        Algorithm::HS256,
        &with(base.clone(), json!({ "aud": ["x", "plan-api"] })),
        TEST_SECRET,
    );
    let body = app.graphql_as(&listed, QUERY, json!({})).await;
    assert_eq!(body["data"]["plan"]["action"]["code"], "1.1", "{body:#}");
}

#[tokio::test]
async fn no_token_answers_introspection_only() {
    let app = TestApp::spawn(Engine::Sqlite).await;
    let (status, body) = app.graphql_with(None, QUERY, json!({})).await;
    assert_eq!(status, 200);
    assert_eq!(body["errors"][0]["extensions"]["code"], "UNAUTHENTICATED");
    assert!(body["data"].is_null(), "{body:#}");
    for q in [
        "mutation { recordRagUpdate(input: {actionId: \"QWN0aW9uOjE\", status: AMBER}) { action { id } } }",
        "{ auditLog { totalCount } }",
        "{ node(id: \"QWN0aW9uOjE\") { id } }",
        "{ plans { totalCount } }",
    ] {
        let (_, body) = app.graphql_with(None, q, json!({})).await;
        assert_eq!(body["errors"][0]["extensions"]["code"], "UNAUTHENTICATED", "{q}: {body:#}");
    }
    let (_, body) = app
        .graphql_with(None, "{ __schema { queryType { name } } }", json!({}))
        .await;
    assert_eq!(
        body["data"]["__schema"]["queryType"]["name"], "Query",
        "{body:#}"
    );
    // GraphiQL and health stay open.
    let page = app.client.get(app.url("/")).send().await.expect("graphiql");
    assert_eq!(page.status(), 200);
    let health = app
        .client
        .get(app.url("/healthz"))
        .send()
        .await
        .expect("health");
    assert_eq!(health.status(), 200);
}

fn public_key_settings(file: &str) -> AuthSettings {
    AuthSettings {
        key: KeySource::PublicKeyFile(
            format!("{}/tests/fixtures/{file}", env!("CARGO_MANIFEST_DIR")).into(),
        ),
        ..test_auth()
    }
}

#[tokio::test]
async fn rsa_and_ec_public_keys_verify_their_own_algorithm_only() {
    let base = claims();
    for (file, good, other) in [
        ("rsa-public.pem", rs256(&base), es256(&base)),
        ("ec-public.pem", es256(&base), rs256(&base)),
    ] {
        let app =
            TestApp::spawn_full(Engine::Sqlite, Limits::new(100), public_key_settings(file)).await;
        let body = app.graphql_as(&good, QUERY, json!({})).await;
        assert_eq!(
            body["data"]["plan"]["action"]["code"], "1.1",
            "{file}: {body:#}"
        );

        // Algorithm confusion: HS256 signed with the public key's bytes as the secret.
        let pem = String::from_utf8(fixture(file)).expect("pem");
        let confused = hs(Algorithm::HS256, &base, &pem);
        let shared = token(Role::Admin, &[], &[]);
        for (what, t) in [
            ("HS256 with the public key", confused),
            ("the other key type", other),
            ("an HS256 token for a secret server", shared),
            ("alg none", unsigned(&base)),
        ] {
            let (status, body) = app
                .graphql_with(Some(&format!("Bearer {t}")), QUERY, json!({}))
                .await;
            assert_refused(&format!("{file}: {what}"), &t, status, &body);
        }
    }
}

#[test]
fn a_public_key_server_issues_no_tokens_and_bad_keys_are_refused() {
    assert!(public_key_settings("rsa-public.pem").issuer().is_err());
    let bad = public_key_settings("README.md");
    assert!(bad.verifier().is_err());
}
