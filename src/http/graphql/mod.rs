//! `/graphql` as the GraphQL-over-HTTP specification has it. What is HTTP's own is decided
//! here, in the order that spends least on requests that are refused: `Accept` negotiation
//! (406), then the method and `Content-Type` (415). Everything else, from the body's size to
//! the cost, is the door's (`admission::Door::admit`), the same checks in the same order as
//! for the WebSocket and the exports; then execution under the request timeout.
//!
//! Status codes: with `application/graphql-response+json`, a request that fails before
//! execution (parse, validation, a cost limit) is 400 with no `data` entry, and one that ran is
//! 200. With `application/json` (the legacy type, for older clients) every well-formed
//! GraphQL response is 200. HTTP-level refusals (401, 405, 406, 413, 414, 415, 429, 504) have
//! their own status under both, with a GraphQL-shaped body.
mod request;
pub(super) mod response;

use std::net::SocketAddr;
use std::time::Instant;

use axum::{
    body::Body,
    extract::{ConnectInfo, Request, State as AxumState},
    http::{header, Method},
    response::Response,
};

use self::request::{is_json, params_of_body, params_of_query};
pub use self::request::{negotiate, Media};
use self::response::{graphql_answer, rate_headers, refusal, Answer};
use super::HttpState;
use crate::admission::{Admitted, Ask, Credentials, Knock, Transport, Turned};
use crate::error::{AppError, Refusal};
use crate::observability::{self, Outcome};

pub(super) async fn graphql(AxumState(state): AxumState<HttpState>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let peer = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0);
    let started = Instant::now();
    let accept = parts
        .headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok());
    let answer = match negotiate(accept) {
        None => refusal(
            Media::Json,
            &AppError::Refused(Refusal::NotAcceptable(
                accept.unwrap_or_default().to_string(),
            )),
            Outcome::default(),
        ),
        Some(media) => run(&state, peer, media, &parts, body).await,
    };
    observability::record_graphql(&state.observe, &answer.outcome, &answer.response, started);
    let mut response = answer.response;
    response.extensions_mut().insert(answer.outcome);
    response
}

async fn run(
    state: &HttpState,
    peer: Option<SocketAddr>,
    media: Media,
    parts: &axum::http::request::Parts,
    body: Body,
) -> Answer {
    let post = parts.method == Method::POST;
    let headers = &parts.headers;
    if post {
        let ct = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        if !is_json(ct) {
            let err = AppError::Refused(Refusal::UnsupportedMediaType(ct.to_string()));
            return refusal(media, &err, Outcome::default());
        }
    }
    let door = &state.door;
    let max_body = door.limits.max_body_bytes;
    let knock = Knock {
        transport: if post {
            Transport::Post
        } else {
            Transport::Get
        },
        size: if post {
            headers
                .get(header::CONTENT_LENGTH)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse::<u64>().ok())
        } else {
            Some(parts.uri.to_string().len() as u64)
        },
        credentials: Credentials::Header(headers.get(header::AUTHORIZATION).map(|v| v.as_bytes())),
        peer: peer.map(|p| p.ip()),
    };
    let raw_query = parts.uri.query();
    let read = async move {
        let params = if post {
            // Up to the limit: a chunked body has no declared size.
            let bytes = axum::body::to_bytes(body, max_body as usize)
                .await
                .map_err(|e| {
                    let too_large = std::error::Error::source(&e)
                        .is_some_and(|s| s.is::<http_body_util::LengthLimitError>());
                    AppError::Refused(if too_large {
                        Refusal::PayloadTooLarge { limit: max_body }
                    } else {
                        Refusal::BadRequest("the request body could not be read".into())
                    })
                })?;
            params_of_body(&bytes)
        } else {
            params_of_query(raw_query)
        };
        params.map(Ask::Graphql).map_err(AppError::Refused)
    };
    let admission = door.admit(knock, read).await;
    let facts = admission.facts;
    let mut outcome = Outcome {
        operation: facts.operation,
        kind: facts.kind,
        subject: facts.principal.map(|p| p.sub),
        codes: Vec::new(),
        cost: facts.measure.map(|m| m.cost),
    };
    let mut answer = match admission.result {
        Err(Turned::Door(e)) => refusal(media, &e, outcome),
        Err(Turned::Document(mut errors)) => {
            crate::graphql::finish_errors(&mut errors);
            note_codes(&mut outcome, &errors);
            graphql_answer(media, None, errors, true, outcome)
        }
        Ok(Admitted::Graphql(op)) => match door.execute(*op, state.catalogues()).await {
            Err(e) => refusal(media, &e, outcome),
            Ok(res) => answered(media, res, outcome),
        },
        Ok(Admitted::Export(_)) => refusal(
            media,
            &AppError::Internal("BUG: an export admitted at /graphql".into()),
            outcome,
        ),
    };
    if let Some(d) = facts.rate {
        rate_headers(answer.response.headers_mut(), &d);
    }
    answer
}

/// An executed operation's answer.
fn answered(media: Media, res: async_graphql::Response, mut outcome: Outcome) -> Answer {
    let mut errors = res.errors;
    crate::graphql::finish_errors(&mut errors);
    note_codes(&mut outcome, &errors);
    // A response without data whose errors all point at no field failed before execution
    // (validation, operation or variable errors): a request error.
    let request_error = res.data == async_graphql::Value::Null
        && !errors.is_empty()
        && errors.iter().all(|e| e.path.is_empty());
    let data = (!request_error).then_some(res.data);
    graphql_answer(media, data, errors, request_error, outcome)
}

fn note_codes(outcome: &mut Outcome, errors: &[async_graphql::ServerError]) {
    for err in errors {
        let code = err.extensions.as_ref().and_then(|e| e.get("code"));
        if let Some(async_graphql::Value::String(code)) = code {
            outcome.codes.push(observability::code_label(code));
        }
    }
}
