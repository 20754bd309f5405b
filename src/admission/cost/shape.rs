//! The schema as the cost estimate needs it: each type's fields, what they return, and which
//! are lists of objects or pages, read from the served SDL.
use std::collections::HashMap;

use async_graphql::parser::types::{BaseType, TypeKind, TypeSystemDefinition};
use async_graphql::Name;

/// A field as the estimate needs it: what it returns and whether it pages.
#[derive(Debug, Clone)]
pub(crate) struct FieldShape {
    /// The named type it returns (inside any list).
    pub(crate) ty: Name,
    /// A list of objects (lists of scalars cost 1 like any scalar).
    pub(crate) object_list: bool,
    /// A list of scalars or enums.
    pub(crate) scalar_list: bool,
    /// It takes `first` (a connection).
    pub(crate) paged: bool,
    /// Its arguments' types, for the input bounds.
    pub(crate) args: HashMap<Name, InputShape>,
}

/// The type of an argument or an input field.
#[derive(Debug, Clone)]
pub(crate) struct InputShape {
    /// The named type (inside any list).
    pub(crate) ty: Name,
    pub(crate) list: bool,
}

#[derive(Debug, Default, Clone)]
pub(crate) struct TypeShape {
    pub(crate) fields: HashMap<Name, FieldShape>,
    /// A Relay connection type: its `edges` and `nodes` are as long as the page.
    pub(crate) connection: bool,
}

/// The schema's types, fields and list-ness, read once from the served SDL at startup.
#[derive(Debug, Clone)]
pub struct SchemaShape {
    pub(crate) types: HashMap<Name, TypeShape>,
    /// Input object types: each field's type.
    pub(crate) inputs: HashMap<Name, HashMap<Name, InputShape>>,
    pub(crate) query: Name,
    pub(crate) mutation: Name,
    pub(crate) subscription: Name,
    /// The schema's introspection answer, which prices `__schema` and `__type`.
    pub(crate) introspection: super::Introspection,
}

/// The named type inside any list wrappers, and whether there was a list.
fn unwrap(mut ty: &async_graphql::parser::types::Type) -> (Name, bool) {
    let mut list = false;
    loop {
        match &ty.base {
            BaseType::Named(n) => return (n.clone(), list),
            BaseType::List(inner) => {
                list = true;
                ty = inner;
            }
        }
    }
}

fn input_shape(ty: &async_graphql::parser::types::Type) -> InputShape {
    let (ty, list) = unwrap(ty);
    InputShape { ty, list }
}

impl SchemaShape {
    /// The shape with the schema's introspection answer (to `MODEL_QUERY`), which prices
    /// introspection; without it every introspection field would read as null.
    pub fn with_introspection(mut self, answer: &serde_json::Value) -> Self {
        self.introspection = super::Introspection::from_answer(answer);
        self
    }

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
            inputs: HashMap::new(),
            introspection: super::Introspection::default(),
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
                        TypeKind::InputObject(i) => {
                            let fields = i
                                .fields
                                .iter()
                                .map(|f| (f.node.name.node.clone(), input_shape(&f.node.ty.node)))
                                .collect();
                            shape.inputs.insert(t.node.name.node.clone(), fields);
                            continue;
                        }
                        _ => continue,
                    };
                    let name = t.node.name.node.clone();
                    let mut ts = TypeShape {
                        connection: name.ends_with("Connection"),
                        ..Default::default()
                    };
                    for f in fields {
                        let (named, list) = unwrap(&f.node.ty.node);
                        let paged = f.node.arguments.iter().any(|a| a.node.name.node == "first");
                        let args = f
                            .node
                            .arguments
                            .iter()
                            .map(|a| (a.node.name.node.clone(), input_shape(&a.node.ty.node)))
                            .collect();
                        let object = composite.contains(&named);
                        ts.fields.insert(
                            f.node.name.node.clone(),
                            FieldShape {
                                object_list: list && object,
                                scalar_list: list && !object,
                                ty: named,
                                paged,
                                args,
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
