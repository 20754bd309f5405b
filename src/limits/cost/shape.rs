//! The schema as the cost estimate needs it: each type's fields, what they return, and which
//! are lists of objects or pages, read from the served SDL.
use std::collections::HashMap;

use async_graphql::parser::types::{BaseType, TypeKind, TypeSystemDefinition};
use async_graphql::Name;

/// A field as the estimate needs it: what it returns and whether it pages.
#[derive(Debug, Clone)]
pub(super) struct FieldShape {
    /// The named type it returns (inside any list).
    pub(super) ty: Name,
    /// A list of objects (lists of scalars cost 1 like any scalar).
    pub(super) object_list: bool,
    /// It takes `first` (a connection).
    pub(super) paged: bool,
}

#[derive(Debug, Default, Clone)]
pub(super) struct TypeShape {
    pub(super) fields: HashMap<Name, FieldShape>,
    /// A Relay connection type: its `edges` and `nodes` are as long as the page.
    pub(super) connection: bool,
}

/// The schema's types, fields and list-ness, read once from the served SDL at startup.
#[derive(Debug, Clone)]
pub struct SchemaShape {
    pub(super) types: HashMap<Name, TypeShape>,
    pub(super) query: Name,
    pub(super) mutation: Name,
    pub(super) subscription: Name,
}

impl SchemaShape {
    /// Reads the SDL the server serves. Panics only on a broken SDL, which is a bug.
    pub fn from_sdl(sdl: &str) -> Self {
        let doc = async_graphql::parser::parse_schema(sdl)
            .expect("BUG: the server's own SDL does not parse");
        let mut composite = std::collections::HashSet::new();
        for def in &doc.definitions {
            if let TypeSystemDefinition::Type(t) = def {
                if matches!(
                    t.node.kind,
                    TypeKind::Object(_) | TypeKind::Interface(_) | TypeKind::Union(_)
                ) {
                    composite.insert(t.node.name.node.clone());
                }
            }
        }
        let mut shape = Self {
            types: HashMap::new(),
            query: Name::new("Query"),
            mutation: Name::new("Mutation"),
            subscription: Name::new("Subscription"),
        };
        for def in doc.definitions {
            match def {
                TypeSystemDefinition::Schema(s) => {
                    if let Some(q) = s.node.query {
                        shape.query = q.node;
                    }
                    if let Some(m) = s.node.mutation {
                        shape.mutation = m.node;
                    }
                    if let Some(m) = s.node.subscription {
                        shape.subscription = m.node;
                    }
                }
                TypeSystemDefinition::Type(t) => {
                    let fields = match &t.node.kind {
                        TypeKind::Object(o) => &o.fields,
                        TypeKind::Interface(i) => &i.fields,
                        _ => continue,
                    };
                    let name = t.node.name.node.clone();
                    let mut ts = TypeShape {
                        connection: name.ends_with("Connection"),
                        ..Default::default()
                    };
                    for f in fields {
                        let mut ty = &f.node.ty.node;
                        let mut list = false;
                        let named = loop {
                            match &ty.base {
                                BaseType::Named(n) => break n.clone(),
                                BaseType::List(inner) => {
                                    list = true;
                                    ty = inner;
                                }
                            }
                        };
                        let paged = f.node.arguments.iter().any(|a| a.node.name.node == "first");
                        ts.fields.insert(
                            f.node.name.node.clone(),
                            FieldShape {
                                object_list: list && composite.contains(&named),
                                ty: named,
                                paged,
                            },
                        );
                    }
                    shape.types.insert(name, ts);
                }
                _ => {}
            }
        }
        shape
    }
}
