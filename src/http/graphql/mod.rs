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
mod request;
pub(super) mod response;

use std::net::SocketAddr;
use std::time::Instant;

use async_graphql::ServerError;
use axum::{
    body::{Body, Bytes},
    extract::{ConnectInfo, Request, State as AxumState},
    http::{header, HeaderMap, HeaderValue, Method},
    response::Response,
};

use self::request::{document_text, is_json, Params};
pub use self::request::{negotiate, Media};
use self::response::{graphql_answer, rate_headers, refusal, refusal_error, set_code, Answer};
use super::{bearer_principal, HttpState};
use crate::error::{AppError, Refusal};
use crate::limits::{cost, rate::Caller};
use crate::observability::{self, Outcome};
use crate::plans::catalogue::Catalogues;

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
    let mut params = match Params::parse(body, raw_query) {
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
        .data(Catalogues::new(state.db.clone(), state.catalogues.clone()));
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
