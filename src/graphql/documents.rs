//! Parsed queries, kept by their text. Clients (dashboards, scripts, partner systems) send the
//! same few documents over and over; parsing one again costs more than copying the parsed
//! form. Every request is still validated against the schema, with its own variables, and
//! still goes through the schema's depth and directive checks, so a cached document is
//! trusted no more than a fresh one.
use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use async_graphql::parser::types::ExecutableDocument;

/// Documents kept at most; when full, the cache starts over. A server's clients send a few
/// dozen distinct documents, so this is not reached in use; the bound (with the length limit,
/// a few MB at most) stops a client that sends endless distinct queries from growing the
/// server's memory. Only authenticated requests' documents are kept.
const MAX_DOCUMENTS: usize = 256;
/// Longer texts are parsed every time rather than kept.
const MAX_CACHED_LEN: usize = 8 * 1024;

/// The server's parsed documents. Cheap to clone.
#[derive(Clone, Default)]
pub struct DocumentCache {
    documents: Arc<RwLock<HashMap<Box<str>, ExecutableDocument>>>,
}

impl DocumentCache {
    /// Gives the request its parsed document, from the cache or parsed now. A text that does
    /// not parse is left alone: the schema parses it again and reports the error as usual.
    pub fn prepare(&self, request: &mut async_graphql::Request) {
        if request.query.len() > MAX_CACHED_LEN {
            return;
        }
        let cached = self
            .documents
            .read()
            .ok()
            .and_then(|docs| docs.get(request.query.as_str()).cloned());
        if let Some(doc) = cached {
            request.set_parsed_query(doc);
            return;
        }
        let Ok(doc) = async_graphql::parser::parse_query(&request.query) else {
            return;
        };
        if let Ok(mut docs) = self.documents.write() {
            if docs.len() >= MAX_DOCUMENTS {
                docs.clear();
            }
            docs.insert(request.query.as_str().into(), doc.clone());
        }
        request.set_parsed_query(doc);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_document_is_parsed_once_and_bad_text_is_left_to_the_schema() {
        let cache = DocumentCache::default();
        let mut a = async_graphql::Request::new("{ plans { totalCount } }");
        cache.prepare(&mut a);
        let mut b = async_graphql::Request::new("{ plans { totalCount } }");
        cache.prepare(&mut b);
        assert_eq!(cache.documents.read().map(|d| d.len()).ok(), Some(1));
        assert!(b.parsed_query().is_ok());

        let mut bad = async_graphql::Request::new("{ plans { ");
        cache.prepare(&mut bad);
        assert_eq!(cache.documents.read().map(|d| d.len()).ok(), Some(1));
        assert!(bad.parsed_query().is_err());
    }
}
