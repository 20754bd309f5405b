//! What a `/graphql` request says: the response type it accepts, whether its body is JSON,
//! its parameters (from a POST body or a GET query string) and the document text to run.
use async_graphql::Variables;
use axum::{body::Bytes, http::HeaderValue};
use serde::Deserialize;

use crate::error::Refusal;
use crate::http::Serving;

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

/// A request's parameters, from a POST body or a GET query string.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Params {
    query: Option<String>,
    pub(super) operation_name: Option<String>,
    pub(super) variables: Option<Variables>,
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

impl Params {
    /// The parameters of a POST body, or else of the GET query string.
    pub(super) fn parse(body: Option<Bytes>, raw_query: Option<&str>) -> Result<Self, Refusal> {
        match body {
            Some(bytes) => serde_json::from_slice::<Params>(&bytes).map_err(|e| {
                Refusal::BadRequest(format!("the request body is not a GraphQL request: {e}"))
            }),
            None => serde_urlencoded::from_str::<GetParams>(raw_query.unwrap_or(""))
                .map_err(|e| Refusal::BadRequest(format!("bad query string: {e}")))
                .and_then(GetParams::into_params),
        }
    }
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

/// The text to run: by trusted-document id, or as sent (then, in allow-list mode, only when it
/// is registered). The sent text is moved out of `params`, not copied.
pub(super) fn document_text(serving: &Serving, params: &mut Params) -> Result<String, Refusal> {
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
