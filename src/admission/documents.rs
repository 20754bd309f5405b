//! Parsed queries, kept by their text. Clients (dashboards, scripts, partner systems) send the
//! same few documents over and over; parsing one again costs more than copying the parsed
//! form. Every request is still checked against the cost limits and validated against the
//! schema with its own variables, so a kept document is trusted no more than a fresh one.
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
    /// The parsed form of `text`: a copy of the kept one, or parsed now (and kept when `keep`
    /// and it parses; the server keeps only authenticated clients' documents).
    pub fn parse(
        &self,
        text: &str,
        keep: bool,
    ) -> Result<ExecutableDocument, async_graphql::parser::Error> {
        let keep = keep && text.len() <= MAX_CACHED_LEN;
        if keep {
            if let Some(doc) = self
                .documents
                .read()
                .ok()
                .and_then(|docs| docs.get(text).cloned())
            {
                return Ok(doc);
            }
        }
        let doc = async_graphql::parser::parse_query(text)?;
        if keep {
            if let Ok(mut docs) = self.documents.write() {
                if docs.len() >= MAX_DOCUMENTS {
                    docs.clear();
                }
                docs.insert(text.into(), doc.clone());
            }
        }
        Ok(doc)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kept(cache: &DocumentCache) -> Option<usize> {
        cache.documents.read().map(|d| d.len()).ok()
    }

    #[test]
    fn a_document_is_kept_once_and_errors_and_strangers_are_not() {
        let cache = DocumentCache::default();
        let q = "{ plans { totalCount } }";
        let first = cache.parse(q, true).expect("parses");
        let again = cache.parse(q, true).expect("parses");
        assert_eq!(kept(&cache), Some(1));
        assert_eq!(format!("{first:?}"), format!("{again:?}"));

        assert!(cache.parse("{ plans { ", true).is_err());
        assert!(cache
            .parse("{ plan(slug: \"x\") { title } }", false)
            .is_ok());
        assert_eq!(kept(&cache), Some(1));
    }
}
