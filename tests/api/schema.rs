//! `schema.graphql` is the committed contract: it must equal what the server serves, and every
//! item of it says what it is.
use async_graphql::parser::types::{
    ConstDirective, FieldDefinition, InputValueDefinition, TypeKind, TypeSystemDefinition,
};
use async_graphql::parser::Positioned;
use async_graphql::{Name, Value as GqlValue};
use serde_json::{json, Value};

use crate::helpers::{Engine, TestApp};

const COMMITTED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql");
const STALE: &str = "schema.graphql is stale: run `cargo run -- export-schema > schema.graphql`";

/// Scalars every GraphQL schema has; the SDL leaves them out and they need no description.
const BUILT_IN_SCALARS: [&str; 5] = ["String", "Int", "Float", "Boolean", "ID"];

/// Everything the SDL says about types, as introspection can tell it.
const INTROSPECTION: &str = "
fragment TypeRef on __Type { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } }
fragment InputValue on __InputValue { name description type { ...TypeRef } defaultValue }
{
  __schema {
    queryType { name } mutationType { name } subscriptionType { name }
    types {
      kind name description
      fields(includeDeprecated: true) {
        name description args { ...InputValue } type { ...TypeRef } isDeprecated deprecationReason
      }
      inputFields { ...InputValue }
      interfaces { name }
      possibleTypes { name }
      enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason }
    }
  }
}";

fn committed() -> String {
    std::fs::read_to_string(COMMITTED).expect("schema.graphql at the repository root")
}

/// The running server's `__schema`, the types of the SDL only (no `__*` nor built-in scalars).
async fn served_schema(app: &TestApp) -> Value {
    let mut schema = app.data(INTROSPECTION, json!({})).await["__schema"].clone();
    let types = schema["types"].as_array().expect("types").clone();
    schema["types"] = Value::Array(
        types
            .into_iter()
            .filter(|t| {
                let name = t["name"].as_str().expect("type name");
                !name.starts_with("__") && !BUILT_IN_SCALARS.contains(&name)
            })
            .collect(),
    );
    schema
}

fn list(v: &Value) -> &[Value] {
    v.as_array().map(Vec::as_slice).unwrap_or_default()
}

fn name(v: &Value) -> &str {
    v["name"].as_str().expect("name")
}

#[test]
fn committed_schema_matches_the_served_schema() {
    let served = plan_api::graphql::sdl();
    assert!(committed() == served, "{STALE}");
}

/// Every type, field, argument, input field and enum value the server serves has a
/// description: the schema is read by people who never see the source.
#[tokio::test]
async fn every_schema_item_has_a_description() {
    let app = TestApp::spawn(Engine::Sqlite).await;
    let schema = served_schema(&app).await;
    let mut missing = Vec::new();
    let mut items = 0;
    let mut check = |what: String, v: &Value| {
        items += 1;
        if v["description"]
            .as_str()
            .is_none_or(|d| d.trim().is_empty())
        {
            missing.push(what);
        }
    };
    for t in list(&schema["types"]) {
        let ty = name(t);
        check(ty.to_string(), t);
        for f in list(&t["fields"]) {
            check(format!("{ty}.{}", name(f)), f);
            for a in list(&f["args"]) {
                check(format!("{ty}.{}({})", name(f), name(a)), a);
            }
        }
        for f in list(&t["inputFields"]) {
            check(format!("{ty}.{}", name(f)), f);
        }
        for v in list(&t["enumValues"]) {
            check(format!("{ty}.{}", name(v)), v);
        }
    }
    assert!(items > 500, "the walk found only {items} items");
    assert!(
        missing.is_empty(),
        "{} of {items} schema items have no description:\n  {}",
        missing.len(),
        missing.join("\n  ")
    );
}

/// The served schema and the committed file, each as one line per fact (a type's kind, a
/// field's type, an argument's default, a description, ...), compared line by line: the
/// file fails this test as soon as the server serves anything it does not say.
#[tokio::test]
async fn the_running_server_serves_the_exported_schema() {
    let app = TestApp::spawn(Engine::Sqlite).await;
    let served = served_facts(&served_schema(&app).await);
    let committed = committed_facts(&committed());
    assert!(
        served.len() > 500,
        "introspection told only {} facts",
        served.len()
    );
    if served != committed {
        let only = |a: &[String], b: &[String]| -> Vec<String> {
            a.iter().filter(|l| !b.contains(l)).cloned().collect()
        };
        let first_difference = served
            .iter()
            .zip(&committed)
            .position(|(s, c)| s != c)
            .unwrap_or(served.len().min(committed.len()));
        panic!(
            "{STALE}\nserved, not in the file:\n  {}\nin the file, not served:\n  {}\nfirst difference at fact {first_difference}: served {:?}, file {:?}",
            only(&served, &committed).join("\n  "),
            only(&committed, &served).join("\n  "),
            served.get(first_difference),
            committed.get(first_difference),
        );
    }
}

/// A type reference as the SDL writes it: `[String!]!`.
fn type_ref(t: &Value) -> String {
    match t["kind"].as_str().expect("kind") {
        "NON_NULL" => format!("{}!", type_ref(&t["ofType"])),
        "LIST" => format!("[{}]", type_ref(&t["ofType"])),
        _ => name(t).to_string(),
    }
}

fn describe(facts: &mut Vec<String>, at: &str, description: Option<&str>) {
    if let Some(d) = description {
        facts.push(format!("{at} description: {d:?}"));
    }
}

fn deprecated(facts: &mut Vec<String>, at: &str, v: &Value) {
    if v["isDeprecated"] == true {
        let reason = v["deprecationReason"].as_str().unwrap_or_default();
        facts.push(format!("{at} deprecated: {reason:?}"));
    }
}

/// `at`'s input value: type, default and description.
fn input_value(facts: &mut Vec<String>, at: &str, v: &Value) {
    let default = v["defaultValue"]
        .as_str()
        .map(|d| format!(" = {d}"))
        .unwrap_or_default();
    facts.push(format!("{at}: {}{default}", type_ref(&v["type"])));
    describe(facts, at, v["description"].as_str());
}

/// The facts introspection tells, types in name order (as the SDL has them), the rest in the
/// served order.
fn served_facts(schema: &Value) -> Vec<String> {
    let mut facts = Vec::new();
    for root in ["queryType", "mutationType", "subscriptionType"] {
        let root_name = schema[root]["name"].as_str().unwrap_or("-");
        facts.push(format!("schema {root}: {root_name}"));
    }
    let mut types: Vec<&Value> = list(&schema["types"]).iter().collect();
    types.sort_by(|a, b| name(a).cmp(name(b)));
    for t in types {
        let ty = name(t);
        let kind = t["kind"].as_str().expect("kind");
        facts.push(format!("{kind} {ty}"));
        describe(&mut facts, ty, t["description"].as_str());
        let names = |v: &Value| list(v).iter().map(name).collect::<Vec<_>>().join(", ");
        if matches!(kind, "OBJECT" | "INTERFACE") {
            facts.push(format!("{ty} implements: {}", names(&t["interfaces"])));
        }
        if kind == "UNION" {
            facts.push(format!("{ty} members: {}", names(&t["possibleTypes"])));
        }
        for f in list(&t["fields"]) {
            let at = format!("{ty}.{}", name(f));
            facts.push(format!("{at}: {}", type_ref(&f["type"])));
            describe(&mut facts, &at, f["description"].as_str());
            deprecated(&mut facts, &at, f);
            for a in list(&f["args"]) {
                input_value(&mut facts, &format!("{at}({})", name(a)), a);
            }
        }
        for f in list(&t["inputFields"]) {
            input_value(&mut facts, &format!("{ty}.{}", name(f)), f);
        }
        for v in list(&t["enumValues"]) {
            let at = format!("{ty}.{}", name(v));
            facts.push(format!("{at} (enum value)"));
            describe(&mut facts, &at, v["description"].as_str());
            deprecated(&mut facts, &at, v);
        }
    }
    facts
}

/// The same facts, as the committed SDL states them.
fn committed_facts(sdl: &str) -> Vec<String> {
    let doc = async_graphql::parser::parse_schema(sdl).expect("schema.graphql parses");
    let mut facts = Vec::new();
    let mut roots = [None, None, None];
    let mut types = Vec::new();
    for def in doc.definitions {
        match def {
            TypeSystemDefinition::Schema(s) => {
                let s = s.node;
                roots =
                    [s.query, s.mutation, s.subscription].map(|r| r.map(|n| n.node.to_string()));
            }
            TypeSystemDefinition::Type(t) => types.push(t.node),
            TypeSystemDefinition::Directive(_) => {}
        }
    }
    for (root, root_name) in ["queryType", "mutationType", "subscriptionType"]
        .iter()
        .zip(roots)
    {
        let root_name = root_name.unwrap_or_else(|| "-".to_string());
        facts.push(format!("schema {root}: {root_name}"));
    }
    types.sort_by(|a, b| a.name.node.cmp(&b.name.node));
    let text = |d: &Option<Positioned<String>>| d.as_ref().map(|d| d.node.clone());
    let deprecation = |directives: &[Positioned<ConstDirective>]| {
        directives
            .iter()
            .find(|d| d.node.name.node == "deprecated")
            .map(|d| match d.node.get_argument("reason").map(|r| &r.node) {
                Some(GqlValue::String(r)) => r.clone(),
                _ => "No longer supported".to_string(),
            })
    };
    let input = |facts: &mut Vec<String>, at: &str, v: &InputValueDefinition| {
        let default = v
            .default_value
            .as_ref()
            .map(|d| format!(" = {}", d.node))
            .unwrap_or_default();
        facts.push(format!("{at}: {}{default}", v.ty.node));
        describe(facts, at, text(&v.description).as_deref());
    };
    let fields = |facts: &mut Vec<String>, ty: &str, fields: &[Positioned<FieldDefinition>]| {
        for f in fields {
            let f = &f.node;
            let at = format!("{ty}.{}", f.name.node);
            facts.push(format!("{at}: {}", f.ty.node));
            describe(facts, &at, text(&f.description).as_deref());
            if let Some(reason) = deprecation(&f.directives) {
                facts.push(format!("{at} deprecated: {reason:?}"));
            }
            for a in &f.arguments {
                input(facts, &format!("{at}({})", a.node.name.node), &a.node);
            }
        }
    };
    let names = |v: &[Positioned<Name>]| {
        v.iter()
            .map(|n| n.node.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    };
    for t in &types {
        let ty = t.name.node.as_str();
        let kind = match &t.kind {
            TypeKind::Scalar => "SCALAR",
            TypeKind::Object(_) => "OBJECT",
            TypeKind::Interface(_) => "INTERFACE",
            TypeKind::Union(_) => "UNION",
            TypeKind::Enum(_) => "ENUM",
            TypeKind::InputObject(_) => "INPUT_OBJECT",
        };
        facts.push(format!("{kind} {ty}"));
        describe(&mut facts, ty, text(&t.description).as_deref());
        match &t.kind {
            TypeKind::Scalar => {}
            TypeKind::Object(o) => {
                facts.push(format!("{ty} implements: {}", names(&o.implements)));
                fields(&mut facts, ty, &o.fields);
            }
            TypeKind::Interface(i) => {
                facts.push(format!("{ty} implements: {}", names(&i.implements)));
                fields(&mut facts, ty, &i.fields);
            }
            TypeKind::Union(u) => facts.push(format!("{ty} members: {}", names(&u.members))),
            TypeKind::Enum(e) => {
                for v in &e.values {
                    let at = format!("{ty}.{}", v.node.value.node);
                    facts.push(format!("{at} (enum value)"));
                    describe(&mut facts, &at, text(&v.node.description).as_deref());
                    if let Some(reason) = deprecation(&v.node.directives) {
                        facts.push(format!("{at} deprecated: {reason:?}"));
                    }
                }
            }
            TypeKind::InputObject(i) => {
                for f in &i.fields {
                    input(&mut facts, &format!("{ty}.{}", f.node.name.node), &f.node);
                }
            }
        }
    }
    facts
}

#[test]
fn a_stale_committed_schema_is_told_apart() {
    // What the running-server test compares: a file missing a field, with a field's type
    // changed, or with a description reworded gives different facts.
    let sdl = committed();
    let facts = committed_facts(&sdl);
    let field =
        "\t\"\"\"\n\tThe actions of this page, without cursors.\n\t\"\"\"\n\tnodes: [Action!]!\n";
    let without = sdl.replacen(field, "", 1);
    assert_ne!(without, sdl, "the test edit applies");
    assert_ne!(committed_facts(&without), facts);
    let retyped = sdl.replacen("\tnodes: [Action!]!\n", "\tnodes: [Action!]\n", 1);
    assert_ne!(retyped, sdl, "the test edit applies");
    assert_ne!(committed_facts(&retyped), facts);
    let reworded = sdl.replacen("Plans on this server, by slug.", "Plans.", 1);
    assert_ne!(reworded, sdl, "the test edit applies");
    assert_ne!(committed_facts(&reworded), facts);
}
