//! What a `/graphql` request says: the response type it accepts, whether its body is JSON,
//! its parameters (from a POST body or a GET query string) and the document text to run.
use axum::http::HeaderValue;
use serde::Deserialize;

use crate::admission::GraphqlParams;
use crate::error::Refusal;

/// The two response types of the spec.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Media {
    GraphqlResponseJson,
    Json,
}

impl Media {
    pub(super) fn content_type(self) -> HeaderValue {
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

/// The parameters of a POST body.
pub(super) fn params_of_body(bytes: &[u8]) -> Result<GraphqlParams, Refusal> {
    serde_json::from_slice::<GraphqlParams>(bytes)
        .map_err(|e| Refusal::BadRequest(format!("the request body is not a GraphQL request: {e}")))
}

/// The parameters of a GET query string.
pub(super) fn params_of_query(raw_query: Option<&str>) -> Result<GraphqlParams, Refusal> {
    let get = serde_urlencoded::from_str::<GetParams>(raw_query.unwrap_or(""))
        .map_err(|e| Refusal::BadRequest(format!("bad query string: {e}")))?;
    let json = |what: &str, s: Option<String>| -> Result<Option<serde_json::Value>, Refusal> {
        match s.as_deref().map(str::trim) {
            None | Some("") => Ok(None),
            Some(s) => serde_json::from_str(s)
                .map(Some)
                .map_err(|e| Refusal::BadRequest(format!("`{what}` is not JSON: {e}"))),
        }
    };
    let variables = json("variables", get.variables)?;
    let extensions = match json("extensions", get.extensions)? {
        None => None,
        Some(v) => Some(
            serde_json::from_value::<crate::admission::Extensions>(v)
                .map_err(|e| Refusal::BadRequest(format!("`extensions`: {e}")))?,
        ),
    };
    Ok(GraphqlParams {
        query: get.query,
        operation_name: get.operation_name.filter(|n| !n.is_empty()),
        variables,
        extensions,
        document_id: get.document_id,
    })
}

/// `application/json`, with at most a UTF-8 charset.
pub(super) fn is_json(content_type: &str) -> bool {
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
