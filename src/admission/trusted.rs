//! Trusted (persisted) documents: the allow-list mode for locked-down deployments.
//!
//! When `PLAN_API_TRUSTED_DOCUMENTS` names a folder or a manifest, only the documents in it run.
//! Clients refer to one by its SHA-256, either as `documentId: "sha256:<hex>"` (the
//! GraphQL-over-HTTP persisted-documents proposal) or Apollo's
//! `extensions.persistedQuery.sha256Hash`; sending the full text of a registered document works
//! too. Sources:
//! - a folder: every `*.graphql` file in it is one document;
//! - a JSON file: Apollo's persisted query manifest (`{"format":
//!   "apollo-persisted-query-manifest", "operations": [{"id", "body"}]}`) or a plain
//!   `{"<sha256>": "<document>"}` map (GraphQL Code Generator's `persisted-documents.json`).
//!
//! Every id is checked against the hash of its text at startup, so a manifest cannot make one
//! hash run another document.
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use sha2::{Digest, Sha256};

#[derive(Debug, Default)]
pub struct TrustedDocuments {
    by_hash: HashMap<String, Arc<str>>,
}

/// The lower-case hex SHA-256 of a document's text, as clients compute it.
pub fn sha256_hex(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

impl TrustedDocuments {
    /// Loads a folder of `*.graphql` files or a JSON manifest.
    pub fn load(path: &Path) -> Result<Self, String> {
        let mut docs = Self::default();
        if path.is_dir() {
            let entries = std::fs::read_dir(path)
                .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            for entry in entries {
                let p = entry
                    .map_err(|e| format!("cannot read {}: {e}", path.display()))?
                    .path();
                if p.extension().is_some_and(|e| e == "graphql") {
                    let text = std::fs::read_to_string(&p)
                        .map_err(|e| format!("cannot read {}: {e}", p.display()))?;
                    docs.add(None, text, &p.display().to_string())?;
                }
            }
        } else {
            let raw = std::fs::read_to_string(path)
                .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            let json: serde_json::Value = serde_json::from_str(&raw)
                .map_err(|e| format!("{}: not JSON: {e}", path.display()))?;
            let where_ = path.display().to_string();
            match json.get("operations").and_then(|o| o.as_array()) {
                Some(ops) => {
                    for op in ops {
                        let body = op["body"].as_str().ok_or_else(|| {
                            format!("{where_}: an operation without a string `body`")
                        })?;
                        docs.add(op["id"].as_str(), body.to_string(), &where_)?;
                    }
                }
                None => {
                    let map = json.as_object().ok_or_else(|| {
                        format!("{where_}: expected an Apollo manifest or a {{hash: document}} map")
                    })?;
                    for (id, body) in map {
                        let body = body.as_str().ok_or_else(|| {
                            format!("{where_}: {id}: the document is not a string")
                        })?;
                        docs.add(Some(id), body.to_string(), &where_)?;
                    }
                }
            }
        }
        if docs.by_hash.is_empty() {
            return Err(format!("{}: no trusted documents found", path.display()));
        }
        Ok(docs)
    }

    fn add(&mut self, id: Option<&str>, text: String, source: &str) -> Result<(), String> {
        let hash = sha256_hex(&text);
        if let Some(id) = id {
            let id = id
                .strip_prefix("sha256:")
                .unwrap_or(id)
                .to_ascii_lowercase();
            if id != hash {
                return Err(format!(
                    "{source}: id {id} is not the SHA-256 of its document ({hash})"
                ));
            }
        }
        async_graphql::parser::parse_query(&text)
            .map_err(|e| format!("{source}: document {hash} does not parse: {e}"))?;
        self.by_hash.insert(hash, text.into());
        Ok(())
    }

    /// The document registered under `id` (`sha256:<hex>` or bare hex).
    pub fn get(&self, id: &str) -> Option<&Arc<str>> {
        let id = id.strip_prefix("sha256:").unwrap_or(id);
        self.by_hash.get(id).or_else(|| {
            // Hex is case-insensitive; only pay for lower-casing when the id needs it.
            id.bytes()
                .any(|b| b.is_ascii_uppercase())
                .then(|| self.by_hash.get(&id.to_ascii_lowercase()))
                .flatten()
        })
    }

    /// Whether this exact text is registered.
    pub fn contains_text(&self, text: &str) -> bool {
        self.by_hash.contains_key(&sha256_hex(text))
    }

    pub fn len(&self) -> usize {
        self.by_hash.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_hash.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir() -> std::path::PathBuf {
        let mut bytes = [0u8; 8];
        getrandom::fill(&mut bytes).expect("random");
        let dir = std::env::temp_dir().join(format!("plan-api-trusted-{}", hex::encode(bytes)));
        std::fs::create_dir_all(&dir).expect("temp dir");
        dir
    }

    #[test]
    fn a_folder_of_graphql_files_registers_each_by_hash() {
        let dir = temp_dir();
        let text = "{ plans { totalCount } }";
        std::fs::write(dir.join("plans.graphql"), text).expect("write");
        std::fs::write(dir.join("notes.txt"), "not a document").expect("write");
        let docs = TrustedDocuments::load(&dir).expect("loads");
        assert_eq!(docs.len(), 1);
        let hash = sha256_hex(text);
        assert_eq!(docs.get(&hash).map(|d| &**d), Some(text));
        assert_eq!(
            docs.get(&format!("sha256:{}", hash.to_uppercase()))
                .map(|d| &**d),
            Some(text)
        );
        assert!(docs.contains_text(text));
        assert!(!docs.contains_text("{ plans { totalCount }}"));
        std::fs::remove_dir_all(dir).ok();
    }

    #[test]
    fn manifests_are_read_and_their_ids_checked() {
        let dir = temp_dir();
        let text = "query Plans { plans { totalCount } }";
        let hash = sha256_hex(text);
        let apollo = dir.join("apollo.json");
        std::fs::write(
            &apollo,
            serde_json::json!({ "format": "apollo-persisted-query-manifest", "version": 1,
                "operations": [{ "id": hash, "body": text, "name": "Plans", "type": "query" }] })
            .to_string(),
        )
        .expect("write");
        assert_eq!(TrustedDocuments::load(&apollo).expect("apollo").len(), 1);
        let map = dir.join("map.json");
        std::fs::write(&map, serde_json::json!({ hash.clone(): text }).to_string()).expect("write");
        assert_eq!(TrustedDocuments::load(&map).expect("map").len(), 1);
        let forged = dir.join("forged.json");
        std::fs::write(
            &forged,
            serde_json::json!({ hash: "mutation { retireAction }" }).to_string(),
        )
        .expect("write");
        let err = TrustedDocuments::load(&forged).expect_err("forged id");
        assert!(err.contains("not the SHA-256"), "{err}");
        std::fs::remove_dir_all(dir).ok();
    }
}
