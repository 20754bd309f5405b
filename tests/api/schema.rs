//! `schema.graphql` is the committed contract: it must equal what the server serves.
use serde_json::json;

use crate::helpers::{Engine, TestApp};

#[test]
fn committed_schema_matches_the_served_schema() {
    let committed = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql"))
        .expect("schema.graphql at the repository root");
    let served = plan_api::graphql::sdl();
    assert!(
        committed == served,
        "schema.graphql is stale: run `cargo run -- export-schema > schema.graphql`"
    );
}

#[tokio::test]
async fn the_running_server_serves_the_exported_schema() {
    let app = TestApp::spawn(Engine::Sqlite).await;
    let data = app
        .data(
            "{ __schema { types { name } } __type(name: \"Action\") { fields { name } } }",
            json!({}),
        )
        .await;
    let types: Vec<&str> = data["__schema"]["types"]
        .as_array()
        .expect("types")
        .iter()
        .filter_map(|t| t["name"].as_str())
        .collect();
    let sdl = plan_api::graphql::sdl();
    for t in types.iter().filter(|t| !t.starts_with("__")) {
        assert!(
            sdl.contains(&format!("type {t} "))
                || sdl.contains(&format!("enum {t} "))
                || sdl.contains(&format!("input {t} "))
                || sdl.contains(&format!("scalar {t}"))
                || sdl.contains(&format!("interface {t} "))
                || ["String", "Int", "Boolean", "ID", "Float"].contains(t),
            "served type {t} missing from the exported SDL"
        );
    }
    for f in data["__type"]["fields"].as_array().expect("fields") {
        let name = f["name"].as_str().expect("name");
        assert!(
            sdl.contains(&format!("\t{name}")),
            "Action.{name} missing from the SDL"
        );
    }
}
