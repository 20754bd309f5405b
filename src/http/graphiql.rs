//! GraphiQL, served by the server itself: pinned production builds of GraphiQL and React
//! (`assets/graphiql/`, refreshed by `scripts/refresh-graphiql.sh`) compiled into the binary,
//! so the page works without internet access and no CDN can change the code that runs where
//! people paste their tokens.
//!
//! The page's Content-Security-Policy allows scripts, styles and requests from this origin
//! only, and no inline script (the start-up script is `init.js`). Assets live under a path
//! that contains the hash of their contents, so browsers may cache them for a year.
use std::sync::OnceLock;

use axum::{
    extract::Path,
    http::{header, HeaderMap, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
};
use sha2::{Digest, Sha256};

struct Asset {
    name: &'static str,
    content_type: &'static str,
    bytes: &'static [u8],
}

macro_rules! asset {
    ($name:literal, $ty:expr) => {
        Asset {
            name: $name,
            content_type: $ty,
            bytes: include_bytes!(concat!("../../assets/graphiql/", $name)),
        }
    };
}

const JS: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";

static ASSETS: [Asset; 6] = [
    asset!("react.production.min.js", JS),
    asset!("react-dom.production.min.js", JS),
    asset!("graphiql.min.js", JS),
    asset!("graphiql.min.css", CSS),
    asset!("init.js", JS),
    asset!("page.css", CSS),
];

const PAGE_TEMPLATE: &str = include_str!("../../assets/graphiql/index.html");

/// Everything from this origin, nothing inline, nothing from elsewhere; GraphiQL's CSS embeds
/// its fonts and icons as `data:` URLs.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
    img-src 'self' data:; font-src 'self' data:; connect-src 'self'; \
    base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// The assets' version: the first 12 hex digits of the hash of all of them.
fn version() -> &'static str {
    static VERSION: OnceLock<String> = OnceLock::new();
    VERSION.get_or_init(|| {
        let mut h = Sha256::new();
        for a in &ASSETS {
            h.update(a.name.as_bytes());
            h.update(a.bytes);
        }
        hex::encode(h.finalize())[..12].to_string()
    })
}

fn page_html() -> &'static str {
    static PAGE: OnceLock<String> = OnceLock::new();
    PAGE.get_or_init(|| PAGE_TEMPLATE.replace("{{VERSION}}", version()))
}

fn security_headers(h: &mut HeaderMap) {
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
}

/// `GET /`: the GraphiQL page.
pub(super) async fn page() -> Response {
    let mut res = (StatusCode::OK, page_html()).into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    // The page names the current asset version, so it must not be cached for long.
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    security_headers(h);
    res
}

/// `GET /assets/{version}/{file}`: immutable for the version in the path.
pub(super) async fn asset(Path(path): Path<String>) -> Response {
    let Some((ver, name)) = path.split_once('/') else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let Some(a) = ASSETS.iter().find(|a| a.name == name) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let mut res = (StatusCode::OK, a.bytes).into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(a.content_type),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(if ver == version() {
            "public, max-age=31536000, immutable"
        } else {
            // A page from before an upgrade: serve today's file, but do not pin it.
            "no-cache"
        }),
    );
    security_headers(h);
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_names_only_same_origin_versioned_assets() {
        let html = page_html();
        assert!(!html.contains("{{VERSION}}"));
        assert!(!html.contains("http://") && !html.contains("https://"));
        assert!(!html.contains("<script>"), "no inline script");
        for a in &ASSETS {
            if a.name != "page.css" || html.contains("page.css") {
                assert!(
                    html.contains(&format!("/assets/{}/{}", version(), a.name)),
                    "{}",
                    a.name
                );
            }
        }
    }
}
