//! `/graphql` as the GraphQL-over-HTTP specification has it, with the door checks in the order
//! that spends least on requests that are refused:
//!
//! 1. `Accept` negotiation (406), method and `Content-Type` (405, 415), body size (413);
//! 2. the bearer token (401) and the caller's token bucket (429);
//! 3. the request's JSON, once (400); a trusted document by id;
//! 4. the GraphQL document, parsed once and handed to async-graphql already parsed;
//! 5. mutations over GET (405), then the cost limits: all before any database work;
//! 6. execution under the request timeout.
//!
//! Status codes: with `application/graphql-response+json`, a request that fails before
//! execution (parse, validation, a cost limit) is 400 with no `data` entry, and one that ran is
//! 200. With `application/json` (the legacy type, for older clients) every well-formed
//! GraphQL response is 200. HTTP-level refusals (401, 405, 406, 413, 415, 429, 504) have their
//! own status under both, with a GraphQL-shaped body.
use std::net::SocketAddr;
use std::time::Instant;

use async_graphql::{ServerError, Variables};
use axum::{
    body::{Body, Bytes},
    extract::{ConnectInfo, Request, State as AxumState},
    http::{header, HeaderMap, HeaderName, HeaderValue, Method, StatusCode},
    response::{IntoResponse, Response},
};
use serde::Deserialize;

use super::{bearer_principal, HttpState};
use crate::error::{AppError, Refusal};
use crate::graphql::request_catalogues;
use crate::limits::{cost, rate::Caller, rate::RateDecision};
use crate::observability::{self, Outcome};

/// The two response types of the spec.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Media {
    GraphqlResponseJson,
    Json,
}

impl Media {
    fn content_type(self) -> HeaderValue {
        match self {
            Self::GraphqlResponseJson => {
                HeaderValue::from_static("application/graphql-response+json; charset=utf-8")
            }
            Self::Json => HeaderValue::from_static("application/json; charset=utf-8"),
        }
    }
}

/// Picks the response type from `Accept`. No header means `application/json` (what clients
/// written before the spec expect); `application/graphql-response+json` wins a tie, as the
/// spec recommends. `None` when neither is acceptable.
pub fn negotiate(accept: Option<&str>) -> Option<Media> {
    let Some(accept) = accept.map(str::trim).filter(|a| !a.is_empty()) else {
        return Some(Media::Json);
    };
    let (mut gql, mut json) = (0.0f32, 0.0f32);
    for range in accept.split(',') {
        let mut parts = range.split(';');
        let ty = parts.next().unwrap_or("").trim().to_ascii_lowercase();
        let mut q = 1.0f32;
        let mut utf8 = true;
        for p in parts {
            let Some((k, v)) = p.split_once('=') else {
                continue;
            };
            let (k, v) = (k.trim(), v.trim().trim_matches('"'));
            if k.eq_ignore_ascii_case("q") {
                q = v.parse().unwrap_or(0.0);
            } else if k.eq_ignore_ascii_case("charset") {
                utf8 = v.eq_ignore_ascii_case("utf-8") || v.eq_ignore_ascii_case("utf8");
            }
        }
        if !utf8 {
            continue;
        }
        match ty.as_str() {
            "application/graphql-response+json" => gql = gql.max(q),
            "application/json" => json = json.max(q),
            "application/*" | "*/*" => {
                // A wildcard accepts both; the legacy type keeps old clients working.
                json = json.max(q);
            }
            _ => {}
        }
    }
    if gql > 0.0 && gql >= json {
        Some(Media::GraphqlResponseJson)
    } else if json > 0.0 {
        Some(Media::Json)
    } else {
        None
    }
}

/// A request's parameters, from a POST body or a GET query string.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Params {
    query: Option<String>,
    operation_name: Option<String>,
    variables: Option<Variables>,
    extensions: Option<Extensions>,
    document_id: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Extensions {
    persisted_query: Option<PersistedQuery>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct PersistedQuery {
    sha256_hash: String,
}

/// GET parameters: `variables` and `extensions` are JSON inside the query string.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct GetParams {
    query: Option<String>,
    operation_name: Option<String>,
    variables: Option<String>,
    extensions: Option<String>,
    document_id: Option<String>,
}

impl GetParams {
    fn into_params(self) -> Result<Params, Refusal> {
        let json = |what: &str, s: Option<String>| -> Result<Option<serde_json::Value>, Refusal> {
            match s.as_deref().map(str::trim) {
                None | Some("") => Ok(None),
                Some(s) => serde_json::from_str(s)
                    .map(Some)
                    .map_err(|e| Refusal::BadRequest(format!("`{what}` is not JSON: {e}"))),
            }
        };
        let variables = match json("variables", self.variables)? {
            None | Some(serde_json::Value::Null) => None,
            Some(v @ serde_json::Value::Object(_)) => Some(Variables::from_json(v)),
            Some(_) => return Err(Refusal::BadRequest("`variables` must be an object".into())),
        };
        let extensions = match json("extensions", self.extensions)? {
            None => None,
            Some(v) => Some(
                serde_json::from_value(v)
                    .map_err(|e| Refusal::BadRequest(format!("`extensions`: {e}")))?,
            ),
        };
        Ok(Params {
            query: self.query,
            operation_name: self.operation_name.filter(|n| !n.is_empty()),
            variables,
            extensions,
            document_id: self.document_id,
        })
    }
}

/// A finished answer and what the access log and metrics say about it.
struct Answer {
    response: Response,
    outcome: Outcome,
}

pub(super) async fn graphql(AxumState(state): AxumState<HttpState>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let peer = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0);
    let (method, headers, raw_query) = (parts.method, parts.headers, parts.uri.query());
    let started = Instant::now();
    let mut outcome = Outcome::default();
    let media = negotiate(headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()));
    let answer = match media {
        None => {
            let accept = headers
                .get(header::ACCEPT)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default();
            refusal(
                Media::Json,
                &AppError::Refused(Refusal::NotAcceptable(accept.to_string())),
                outcome,
            )
        }
        Some(media) => {
            run(
                &state,
                peer,
                media,
                &method,
                &headers,
                raw_query,
                body,
                &mut outcome,
            )
            .await
        }
    };
    observability::record_graphql(&state.observe, &answer.outcome, &answer.response, started);
    let mut response = answer.response;
    response.extensions_mut().insert(answer.outcome);
    response
}

#[allow(clippy::too_many_arguments)]
async fn run(
    state: &HttpState,
    peer: Option<SocketAddr>,
    media: Media,
    method: &Method,
    headers: &HeaderMap,
    raw_query: Option<&str>,
    body: Body,
    outcome: &mut Outcome,
) -> Answer {
    let serving = &state.serving;
    let refuse = |r: Refusal, outcome: &mut Outcome| {
        refusal(media, &AppError::Refused(r), std::mem::take(outcome))
    };

    // 1. Content type and declared size, before reading anything.
    if method == Method::POST {
        let ct = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        if !is_json(ct) {
            return refuse(Refusal::UnsupportedMediaType(ct.to_string()), outcome);
        }
        let declared = headers
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        if declared.is_some_and(|n| n > serving.max_body_bytes) {
            return refuse(
                Refusal::PayloadTooLarge {
                    limit: serving.max_body_bytes,
                },
                outcome,
            );
        }
    }

    // 2. Who, and whether they may send another request now: before the body is read.
    let principal = match bearer_principal(&state.verifier, headers) {
        Ok(p) => p,
        Err(e) => return refusal(media, &e, std::mem::take(outcome)),
    };
    if let Some(p) = &principal {
        outcome.subject = Some(p.sub.clone());
    }
    let caller = match (&principal, peer) {
        (Some(p), _) => Some(Caller::Subject(p.role, &p.sub)),
        (None, Some(addr)) => Some(Caller::Anonymous(addr.ip())),
        (None, None) => None,
    };
    let decision = caller.and_then(|c| serving.rate.check(c));
    if let Some(d) = decision.filter(|d| !d.allowed) {
        let mut answer = refuse(
            Refusal::RateLimited {
                retry_after_secs: d.retry_after_secs,
            },
            outcome,
        );
        rate_headers(answer.response.headers_mut(), &d);
        return answer;
    }

    // 3. The body, up to the limit (a chunked body has no declared size).
    let body = if method == Method::POST {
        match axum::body::to_bytes(body, serving.max_body_bytes as usize).await {
            Ok(b) => Some(b),
            Err(e) => {
                let too_large = std::error::Error::source(&e)
                    .is_some_and(|s| s.is::<http_body_util::LengthLimitError>());
                let r = if too_large {
                    Refusal::PayloadTooLarge {
                        limit: serving.max_body_bytes,
                    }
                } else {
                    Refusal::BadRequest("the request body could not be read".into())
                };
                return refuse(r, outcome);
            }
        }
    } else {
        None
    };
    let mut answer = execute(state, media, method, body, raw_query, principal, outcome).await;
    if let Some(d) = decision {
        rate_headers(answer.response.headers_mut(), &d);
    }
    answer
}

async fn execute(
    state: &HttpState,
    media: Media,
    method: &Method,
    body: Option<Bytes>,
    raw_query: Option<&str>,
    principal: Option<crate::auth::Principal>,
    outcome: &mut Outcome,
) -> Answer {
    let serving = &state.serving;
    let refuse = |r: Refusal, outcome: &mut Outcome| {
        refusal(media, &AppError::Refused(r), std::mem::take(outcome))
    };

    // 3. The request's parameters, parsed once.
    let params = match body {
        Some(bytes) => serde_json::from_slice::<Params>(&bytes).map_err(|e| {
            Refusal::BadRequest(format!("the request body is not a GraphQL request: {e}"))
        }),
        None => serde_urlencoded::from_str::<GetParams>(raw_query.unwrap_or(""))
            .map_err(|e| Refusal::BadRequest(format!("bad query string: {e}")))
            .and_then(GetParams::into_params),
    };
    let mut params = match params {
        Ok(p) => p,
        Err(r) => return refuse(r, outcome),
    };
    let text = match document_text(serving, &mut params) {
        Ok(t) => t,
        Err(r) => return refuse(r, outcome),
    };
    outcome.operation = params.operation_name.clone();

    // 4. The document, parsed once (or not at all: authenticated clients' documents are
    // kept parsed, see `graphql::documents`).
    let doc = match state.documents.parse(&text, principal.is_some()) {
        Ok(doc) => doc,
        Err(e) => {
            let mut err = ServerError::from(e);
            set_code(&mut err, "BAD_USER_INPUT");
            outcome.codes.push("BAD_USER_INPUT");
            return graphql_answer(media, None, vec![err], true, std::mem::take(outcome));
        }
    };

    // 5. Mutations over GET, then what the operation may cost.
    let variables = params.variables.unwrap_or_default();
    if let Some(op) = cost::select_operation(&doc, params.operation_name.as_deref()) {
        let ty = op.node.ty;
        outcome.kind = Some(ty);
        if outcome.operation.is_none() {
            outcome.operation = operation_name(&doc, params.operation_name.as_deref());
        }
        // GET (and HEAD, which axum routes to GET handlers) may only read.
        if *method != Method::POST && ty != async_graphql::parser::types::OperationType::Query {
            let mut answer = refuse(Refusal::MutationOverGet, outcome);
            answer
                .response
                .headers_mut()
                .insert(header::ALLOW, HeaderValue::from_static("POST"));
            return answer;
        }
        let measure = cost::measure(&state.shape, &serving.cost, &doc, &op.node, &variables);
        if let Err(r) = serving.cost.check(&measure) {
            let err = AppError::Refused(r);
            outcome.codes.push(err.code());
            return graphql_answer(
                media,
                None,
                vec![refusal_error(&err)],
                true,
                std::mem::take(outcome),
            );
        }
        outcome.cost = Some(measure.cost);
    }

    // 6. Execution, under the timeout.
    let mut request = async_graphql::Request::new(text)
        .variables(variables)
        .data(request_catalogues(&state.db, &state.catalogues));
    if let Some(name) = params.operation_name {
        request = request.operation_name(name);
    }
    request.set_parsed_query(doc);
    if let Some(p) = principal {
        request = request.data(p);
    }
    let res =
        match tokio::time::timeout(serving.request_timeout, state.schema.execute(request)).await {
            Ok(res) => res,
            Err(_) => {
                let limit_secs = serving.request_timeout.as_secs().max(1);
                return refuse(Refusal::Timeout { limit_secs }, outcome);
            }
        };
    let mut errors = res.errors;
    for err in &mut errors {
        // Parse and validation errors come from async-graphql without a code; they are the
        // client's mistakes, so they get BAD_USER_INPUT like every other input error.
        let ext = err.extensions.get_or_insert_with(Default::default);
        if ext.get("code").is_none() {
            ext.set("code", "BAD_USER_INPUT");
        }
        if let Some(async_graphql::Value::String(code)) = ext.get("code") {
            outcome.codes.push(observability::code_label(code));
        }
    }
    // A response without data whose errors all point at no field failed before execution
    // (parse, validation, operation or variable errors): a request error.
    let request_error = res.data == async_graphql::Value::Null
        && !errors.is_empty()
        && errors.iter().all(|e| e.path.is_empty());
    let data = (!request_error).then_some(res.data);
    graphql_answer(media, data, errors, request_error, std::mem::take(outcome))
}

/// The text to run: by trusted-document id, or as sent (then, in allow-list mode, only when it
/// is registered). The sent text is moved out of `params`, not copied.
fn document_text(serving: &super::Serving, params: &mut Params) -> Result<String, Refusal> {
    let id = params.document_id.as_deref().or_else(|| {
        params
            .extensions
            .as_ref()
            .and_then(|e| e.persisted_query.as_ref())
            .map(|p| p.sha256_hash.as_str())
    });
    match (&serving.trusted, id, params.query.take()) {
        (Some(docs), Some(id), _) => docs
            .get(id)
            .map(|d| d.to_string())
            .ok_or(Refusal::PersistedQueryNotFound),
        (Some(docs), None, Some(q)) => {
            if docs.contains_text(&q) {
                Ok(q)
            } else {
                Err(Refusal::DocumentNotAllowed)
            }
        }
        (None, Some(id), Some(q)) => {
            // Automatic persisted queries send both: the text must be the one hashed.
            let id = id.strip_prefix("sha256:").unwrap_or(id);
            if crate::limits::trusted::sha256_hex(&q).eq_ignore_ascii_case(id) {
                Ok(q)
            } else {
                Err(Refusal::BadRequest(
                    "the persisted query hash is not the SHA-256 of the query".into(),
                ))
            }
        }
        (None, Some(_), None) => Err(Refusal::PersistedQueryNotFound),
        (_, None, None) => Err(Refusal::BadRequest(
            "missing `query`: send a GraphQL document as the `query` parameter".into(),
        )),
        (None, None, Some(q)) => Ok(q),
    }
}

/// The operation's own name when the request did not name it (`query Dashboard { ... }`).
fn operation_name(
    doc: &async_graphql::parser::types::ExecutableDocument,
    requested: Option<&str>,
) -> Option<String> {
    if requested.is_some() {
        return requested.map(str::to_string);
    }
    match &doc.operations {
        async_graphql::parser::types::DocumentOperations::Multiple(ops) if ops.len() == 1 => {
            ops.keys().next().map(|n| n.to_string())
        }
        _ => None,
    }
}

/// `application/json`, with at most a UTF-8 charset.
fn is_json(content_type: &str) -> bool {
    let mut parts = content_type.split(';');
    let ty = parts.next().unwrap_or("").trim();
    ty.eq_ignore_ascii_case("application/json")
        && parts.all(|p| match p.split_once('=') {
            Some((k, v)) if k.trim().eq_ignore_ascii_case("charset") => {
                let v = v.trim().trim_matches('"');
                v.eq_ignore_ascii_case("utf-8") || v.eq_ignore_ascii_case("utf8")
            }
            _ => true,
        })
}

fn set_code(err: &mut ServerError, code: &'static str) {
    err.extensions
        .get_or_insert_with(Default::default)
        .set("code", code);
}

/// A refusal as a GraphQL error: `extensions.code` and the numbers behind it.
pub(super) fn refusal_error(err: &AppError) -> ServerError {
    let mut e = ServerError::new(err.client_message(), None);
    let ext = e.extensions.get_or_insert_with(Default::default);
    ext.set("code", err.code());
    if let AppError::Refused(r) = err {
        for (k, v) in r.details() {
            ext.set(k, v);
        }
    }
    e
}

/// An HTTP-level refusal: its own status under both media types, a GraphQL-shaped body.
fn refusal(media: Media, err: &AppError, mut outcome: Outcome) -> Answer {
    let status = super::status_of(err);
    outcome.codes.push(err.code());
    let body = serde_json::json!({ "errors": [refusal_error(err)] });
    let mut response = (status, body.to_string()).into_response();
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, media.content_type());
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    match err {
        AppError::Unauthenticated(_) => {
            h.insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer error=\"invalid_token\""),
            );
        }
        AppError::Refused(Refusal::RateLimited { retry_after_secs }) => {
            h.insert(header::RETRY_AFTER, HeaderValue::from(*retry_after_secs));
        }
        _ => {}
    }
    Answer { response, outcome }
}

/// A GraphQL response: 400 for a request error under `application/graphql-response+json`,
/// else 200; no `data` entry when execution never started.
fn graphql_answer(
    media: Media,
    data: Option<async_graphql::Value>,
    errors: Vec<ServerError>,
    request_error: bool,
    outcome: Outcome,
) -> Answer {
    #[derive(serde::Serialize)]
    struct Body<'a> {
        #[serde(skip_serializing_if = "<[_]>::is_empty")]
        errors: &'a [ServerError],
        #[serde(skip_serializing_if = "Option::is_none")]
        data: Option<&'a async_graphql::Value>,
    }
    let status = if request_error && media == Media::GraphqlResponseJson {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let json = match serde_json::to_vec(&Body {
        errors: &errors,
        data: data.as_ref(),
    }) {
        Ok(j) => j,
        Err(e) => {
            return refusal(media, &AppError::internal(e), outcome);
        }
    };
    let mut response = (status, json).into_response();
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, media.content_type());
    // Answers depend on the token's scope: no shared cache may keep them.
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    h.insert(
        header::VARY,
        HeaderValue::from_static("accept, authorization"),
    );
    Answer { response, outcome }
}

/// `RateLimit-Limit/Remaining/Reset` (draft-ietf-httpapi-ratelimit-headers, the widely
/// implemented three-header form).
fn rate_headers(h: &mut HeaderMap, d: &RateDecision) {
    const LIMIT: HeaderName = HeaderName::from_static("ratelimit-limit");
    const REMAINING: HeaderName = HeaderName::from_static("ratelimit-remaining");
    const RESET: HeaderName = HeaderName::from_static("ratelimit-reset");
    h.insert(LIMIT, HeaderValue::from(d.limit));
    h.insert(REMAINING, HeaderValue::from(d.remaining));
    h.insert(RESET, HeaderValue::from(d.reset_secs));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_headers_pick_the_response_type() {
        use Media::*;
        for (accept, want) in [
            (None, Some(Json)),
            (Some(""), Some(Json)),
            (Some("application/json"), Some(Json)),
            (
                Some("application/graphql-response+json"),
                Some(GraphqlResponseJson),
            ),
            (
                Some("application/graphql-response+json, application/json;q=0.9"),
                Some(GraphqlResponseJson),
            ),
            (
                Some("application/json, application/graphql-response+json;q=0.5"),
                Some(Json),
            ),
            (
                Some("application/graphql-response+json;charset=utf-8"),
                Some(GraphqlResponseJson),
            ),
            (Some("*/*"), Some(Json)),
            (
                Some("text/html,application/xhtml+xml,*/*;q=0.8"),
                Some(Json),
            ),
            (Some("text/html"), None),
            (Some("application/json;charset=iso-8859-1"), None),
            (Some("application/json;q=0"), None),
        ] {
            assert_eq!(negotiate(accept), want, "{accept:?}");
        }
    }

    #[test]
    fn only_json_bodies_are_accepted() {
        for ct in [
            "application/json",
            "application/json; charset=utf-8",
            "Application/JSON;charset=\"UTF-8\"",
        ] {
            assert!(is_json(ct), "{ct}");
        }
        for ct in [
            "",
            "text/plain",
            "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=x",
            "application/json; charset=latin1",
            "application/graphql",
        ] {
            assert!(!is_json(ct), "{ct}");
        }
    }
}
