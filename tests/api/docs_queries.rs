//! Every query the documentation shows (each ```graphql block of README.md and docs/*.md, and
//! the `{"query": ...}` bodies of its curl examples) runs under the default limits, with room to
//! spare: at most half of each size limit.
use plan_api::admission::{self, cost, document, SchemaShape};
use plan_api::config::{Limits, Serving};
use serde_json::{json, Map, Value};

use crate::helpers::{action, apply, both_engines, Engine, TestApp};

/// Codes that mean "refused by a limit" or "not a valid request".
const REFUSED: [&str; 6] = [
    "QUERY_TOO_COMPLEX",
    "TOO_MANY_NODES",
    "DEPTH_LIMIT",
    "ALIAS_LIMIT",
    "ROOT_FIELD_LIMIT",
    "BAD_REQUEST",
];

fn documentation() -> Vec<(String, String)> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = vec![root.join("README.md")];
    let mut docs: Vec<_> = std::fs::read_dir(root.join("docs"))
        .expect("docs/")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    docs.sort();
    files.extend(docs);
    files
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).expect("read");
            (p.display().to_string(), text)
        })
        .collect()
}

/// The documents a markdown text shows.
fn queries(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut block: Option<String> = None;
    for line in text.lines() {
        match &mut block {
            None if line.trim_start().starts_with("```graphql") => block = Some(String::new()),
            Some(b) if line.trim_start().starts_with("```") => {
                out.push(std::mem::take(b));
                block = None;
            }
            Some(b) => {
                b.push_str(line);
                b.push('\n');
            }
            None => {
                // curl examples: -d '{"query":"..."}'
                if let Some(start) = line.find("-d '{") {
                    let rest = &line[start + 4..];
                    if let Some(end) = rest.rfind('\'') {
                        if let Ok(v) = serde_json::from_str::<Value>(&rest[..end]) {
                            if let Some(q) = v["query"].as_str() {
                                out.push(q.to_string());
                            }
                        }
                    }
                }
            }
        }
    }
    out
}

#[test]
fn the_documentation_shows_queries() {
    let n: usize = documentation().iter().map(|(_, t)| queries(t).len()).sum();
    assert!(n >= 5, "found only {n} documented queries");
}

#[test]
fn documented_queries_use_at_most_half_of_each_limit() {
    let door = Serving::defaults(Limits::new(100)).door;
    let limits = door.cost;
    let half = document::DocumentLimits {
        max_operations: admission::fixed::MAX_OPERATIONS / 2,
        max_fragments: admission::fixed::MAX_FRAGMENTS / 2,
        max_directives: admission::fixed::MAX_DIRECTIVES / 2,
        max_aliases: door.max_aliases / 2,
    };
    let shape = SchemaShape::from_sdl(&plan_api::graphql::sdl());
    for (file, text) in documentation() {
        for q in queries(&text) {
            let doc = async_graphql::parser::parse_query(&q)
                .unwrap_or_else(|e| panic!("{file}: a documented query does not parse: {e}\n{q}"));
            let op = cost::select_operation(&doc, None).expect("one operation");
            let m = cost::measure(&shape, &limits, &doc, &op.node, &Default::default())
                .unwrap_or_else(|r| panic!("{file}: {}\n{q}", r.message()));
            println!("{file}: {m:?}");
            document::check(&doc, &half).unwrap_or_else(|r| panic!("{file}: {}\n{q}", r.message()));
            assert!(m.cost * 2 <= limits.max_cost, "{file}: {m:?}\n{q}");
            assert!(m.nodes * 2 <= limits.max_nodes, "{file}: {m:?}\n{q}");
            assert!(m.depth * 2 <= limits.max_depth, "{file}: {m:?}\n{q}");
            assert!(
                m.root_fields * 2 <= limits.max_root_fields,
                "{file}: {m:?}\n{q}"
            );
        }
    }
}

/// Values for a documented operation's variables, by type; a new type needs a line here.
fn variables(app_action_id: &str, doc: &async_graphql::parser::types::ExecutableDocument) -> Value {
    let mut vars = Map::new();
    let Some(op) = cost::select_operation(doc, None) else {
        return Value::Object(vars);
    };
    for v in &op.node.variable_definitions {
        if v.node.default_value.is_some() {
            continue;
        }
        let ty = v.node.var_type.node.to_string();
        let value = match ty.trim_end_matches('!') {
            "String" => json!("herefordshire-2012"),
            "ID" => json!(app_action_id),
            "Int" => json!(10),
            "Date" => json!("2013-03-31"),
            "Boolean" => json!(true),
            _ if !ty.ends_with('!') => Value::Null,
            other => panic!("no sample value for a variable of type {other}: add one"),
        };
        vars.insert(v.node.name.node.to_string(), value);
    }
    Value::Object(vars)
}

#[apply(both_engines)]
async fn every_documented_query_is_accepted(on: Engine) {
    let Some(engine) = on.available() else { return };
    let app = TestApp::spawn(engine).await;
    let id = action(&app, "1.1", "id").await["id"]
        .as_str()
        .expect("id")
        .to_string();
    for (file, text) in documentation() {
        for q in queries(&text) {
            let doc = async_graphql::parser::parse_query(&q).expect("parses");
            // Subscriptions run over the WebSocket (tests/api/live.rs); here they are only
            // checked against the limits (the test above).
            if cost::select_operation(&doc, None).is_some_and(|op| {
                op.node.ty == async_graphql::parser::types::OperationType::Subscription
            }) {
                continue;
            }
            let body = app.graphql(&q, variables(&id, &doc)).await;
            for err in body["errors"].as_array().into_iter().flatten() {
                let code = err["extensions"]["code"].as_str().unwrap_or("");
                assert!(!REFUSED.contains(&code), "{file}: refused: {body:#}\n{q}");
                // A request error (no path) means the document itself is wrong.
                assert!(
                    err.get("path").is_some(),
                    "{file}: not a valid request: {body:#}\n{q}"
                );
            }
            assert!(body.get("data").is_some(), "{file}: {body:#}");
        }
    }
}
