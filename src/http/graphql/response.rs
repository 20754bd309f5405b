//! How `/graphql` answers: GraphQL responses (their status by media type), HTTP-level
//! refusals with a GraphQL-shaped body, and the rate-limit headers.
use async_graphql::ServerError;
use axum::{
    http::{header, HeaderMap, HeaderName, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
};

use super::request::Media;
use crate::admission::rate::RateDecision;
use crate::error::AppError;
use crate::observability::Outcome;

/// A finished answer and what the access log and metrics say about it.
pub(super) struct Answer {
    pub(super) response: Response,
    pub(super) outcome: Outcome,
}

/// An HTTP-level refusal: its own status under both media types, a GraphQL-shaped body.
pub(super) fn refusal(media: Media, err: &AppError, mut outcome: Outcome) -> Answer {
    outcome.codes.push(err.code());
    Answer {
        response: crate::http::error_response(err, media.content_type()),
        outcome,
    }
}

/// A GraphQL response: 400 for a request error under `application/graphql-response+json`,
/// else 200; no `data` entry when execution never started.
pub(super) fn graphql_answer(
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
pub(super) fn rate_headers(h: &mut HeaderMap, d: &RateDecision) {
    const LIMIT: HeaderName = HeaderName::from_static("ratelimit-limit");
    const REMAINING: HeaderName = HeaderName::from_static("ratelimit-remaining");
    const RESET: HeaderName = HeaderName::from_static("ratelimit-reset");
    h.insert(LIMIT, HeaderValue::from(d.limit));
    h.insert(REMAINING, HeaderValue::from(d.remaining));
    h.insert(RESET, HeaderValue::from(d.reset_secs));
}
