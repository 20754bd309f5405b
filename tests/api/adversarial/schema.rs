//! The served schema as the generator walks it: types, fields, arguments, input fields and
//! enum values, read from `plan_api::graphql::sdl()` (so new fields are fuzzed as soon as they
//! are served).
use std::collections::BTreeMap;

use async_graphql::parser::types::{BaseType, Type, TypeKind, TypeSystemDefinition};

#[derive(Debug, Clone, PartialEq)]
pub enum Ty {
    Named(String),
    List(Box<Ty>),
    NonNull(Box<Ty>),
}

impl Ty {
    fn from_parser(t: &Type) -> Ty {
        let base = match &t.base {
            BaseType::Named(n) => Ty::Named(n.to_string()),
            BaseType::List(inner) => Ty::List(Box::new(Ty::from_parser(inner))),
        };
        if t.nullable {
            base
        } else {
            Ty::NonNull(Box::new(base))
        }
    }

    /// The named type inside any lists and non-nulls.
    pub fn named(&self) -> &str {
        match self {
            Ty::Named(n) => n,
            Ty::List(t) | Ty::NonNull(t) => t.named(),
        }
    }

    pub fn non_null(&self) -> bool {
        matches!(self, Ty::NonNull(_))
    }

    /// The type without its outer `!`.
    pub fn nullable(&self) -> &Ty {
        match self {
            Ty::NonNull(t) => t,
            t => t,
        }
    }

    /// As written in a variable definition: `[String!]!`.
    pub fn render(&self) -> String {
        match self {
            Ty::Named(n) => n.clone(),
            Ty::List(t) => format!("[{}]", t.render()),
            Ty::NonNull(t) => format!("{}!", t.render()),
        }
    }
}

#[derive(Debug, Clone)]
pub struct InputValue {
    pub name: String,
    pub ty: Ty,
    pub has_default: bool,
}

impl InputValue {
    /// Must be given: non-null without a default.
    pub fn required(&self) -> bool {
        self.ty.non_null() && !self.has_default
    }
}

#[derive(Debug, Clone)]
pub struct Field {
    pub name: String,
    pub args: Vec<InputValue>,
    pub ty: Ty,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Object,
    Interface,
    Union,
    Enum,
    Input,
    Scalar,
}

#[derive(Debug, Clone)]
pub struct TypeDef {
    pub kind: Kind,
    pub fields: Vec<Field>,
    pub inputs: Vec<InputValue>,
    pub values: Vec<String>,
    /// Object types of an interface or union.
    pub possible: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct Schema {
    pub types: BTreeMap<String, TypeDef>,
    pub query: String,
    pub mutation: String,
    pub subscription: String,
}

impl Schema {
    /// The schema the server serves.
    pub fn served() -> Self {
        Self::from_sdl(&plan_api::graphql::sdl())
    }

    pub fn from_sdl(sdl: &str) -> Self {
        let doc = async_graphql::parser::parse_schema(sdl).expect("the served SDL parses");
        let mut schema = Schema {
            types: BTreeMap::new(),
            query: "Query".into(),
            mutation: "Mutation".into(),
            subscription: "Subscription".into(),
        };
        let inputs = |list: &[async_graphql::Positioned<
            async_graphql::parser::types::InputValueDefinition,
        >]| {
            list.iter()
                .map(|v| InputValue {
                    name: v.node.name.node.to_string(),
                    ty: Ty::from_parser(&v.node.ty.node),
                    has_default: v.node.default_value.is_some(),
                })
                .collect::<Vec<_>>()
        };
        let mut implements: Vec<(String, String)> = Vec::new();
        for def in &doc.definitions {
            match def {
                TypeSystemDefinition::Schema(s) => {
                    if let Some(q) = &s.node.query {
                        schema.query = q.node.to_string();
                    }
                    if let Some(m) = &s.node.mutation {
                        schema.mutation = m.node.to_string();
                    }
                    if let Some(m) = &s.node.subscription {
                        schema.subscription = m.node.to_string();
                    }
                }
                TypeSystemDefinition::Type(t) => {
                    let name = t.node.name.node.to_string();
                    let fields_of = |fields: &[async_graphql::Positioned<
                        async_graphql::parser::types::FieldDefinition,
                    >]| {
                        fields
                            .iter()
                            .map(|f| Field {
                                name: f.node.name.node.to_string(),
                                args: inputs(&f.node.arguments),
                                ty: Ty::from_parser(&f.node.ty.node),
                            })
                            .collect::<Vec<_>>()
                    };
                    let mut td = TypeDef {
                        kind: Kind::Scalar,
                        fields: Vec::new(),
                        inputs: Vec::new(),
                        values: Vec::new(),
                        possible: Vec::new(),
                    };
                    match &t.node.kind {
                        TypeKind::Scalar => {}
                        TypeKind::Object(o) => {
                            td.kind = Kind::Object;
                            td.fields = fields_of(&o.fields);
                            for i in &o.implements {
                                implements.push((i.node.to_string(), name.clone()));
                            }
                        }
                        TypeKind::Interface(i) => {
                            td.kind = Kind::Interface;
                            td.fields = fields_of(&i.fields);
                        }
                        TypeKind::Union(u) => {
                            td.kind = Kind::Union;
                            td.possible = u.members.iter().map(|m| m.node.to_string()).collect();
                        }
                        TypeKind::Enum(e) => {
                            td.kind = Kind::Enum;
                            td.values = e
                                .values
                                .iter()
                                .map(|v| v.node.value.node.to_string())
                                .collect();
                        }
                        TypeKind::InputObject(i) => {
                            td.kind = Kind::Input;
                            td.inputs = inputs(&i.fields);
                        }
                    }
                    schema.types.insert(name, td);
                }
                TypeSystemDefinition::Directive(_) => {}
            }
        }
        for (interface, object) in implements {
            if let Some(td) = schema.types.get_mut(&interface) {
                td.possible.push(object);
            }
        }
        schema
    }

    pub fn ty(&self, name: &str) -> Option<&TypeDef> {
        self.types.get(name)
    }

    pub fn kind(&self, name: &str) -> Kind {
        self.ty(name).map(|t| t.kind).unwrap_or(Kind::Scalar)
    }

    /// Object, interface or union: needs a selection set.
    pub fn composite(&self, name: &str) -> bool {
        matches!(
            self.kind(name),
            Kind::Object | Kind::Interface | Kind::Union
        )
    }

    pub fn fields(&self, name: &str) -> &[Field] {
        self.ty(name).map(|t| t.fields.as_slice()).unwrap_or(&[])
    }
}

#[test]
fn the_served_schema_is_read() {
    let s = Schema::served();
    assert!(s.fields(&s.query).iter().any(|f| f.name == "plan"));
    assert!(s
        .fields(&s.mutation)
        .iter()
        .any(|f| f.name == "recordRagUpdate"));
    assert!(s
        .fields(&s.subscription)
        .iter()
        .any(|f| f.name == "ragUpdated"));
    let node = s.ty("Node").expect("Node");
    assert!(node.possible.iter().any(|p| p == "Action"), "{node:?}");
    assert_eq!(s.kind("ActionFilter"), Kind::Input);
    assert!(s
        .ty("RagStatus")
        .is_some_and(|t| t.values.contains(&"RED".to_string())));
}
