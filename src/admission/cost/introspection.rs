//! Introspection priced exactly: the answer to `__schema` and `__type` is a walk over a schema
//! of fixed size, so the door walks the client's selection over the server's own
//! introspection answer (read once at startup) and counts what the real answer will hold,
//! list lengths included, field by field and byte by byte.
//!
//! This is what makes `__type(name: "Node") { possibleTypes { interfaces { possibleTypes …` cost
//! what it returns (a 400-byte document asked for 48 MB when introspection counted 1 a field).
//! A selection on one schema object is priced once and reused wherever the answer repeats it
//! (the same type reached through many lists), so pricing takes time in proportion to the
//! document and the schema, not to the answer; it also stops as soon as it passes its budget.
use std::collections::HashMap;

use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};
use async_graphql::{Name, Value as GqlValue};
use serde_json::Value;

/// The query whose answer is the model: everything introspection can return, deprecated
/// items included (so counts are never short).
pub const MODEL_QUERY: &str = r#"
query IntrospectionModel {
  __schema {
    description
    queryType { name } mutationType { name } subscriptionType { name }
    types { ...T }
    directives { name description locations isRepeatable args(includeDeprecated: true) { ...IV } }
  }
}
fragment T on __Type {
  kind name description specifiedByURL isOneOf
  fields(includeDeprecated: true) {
    name description args(includeDeprecated: true) { ...IV } type { ...R } isDeprecated deprecationReason
  }
  inputFields(includeDeprecated: true) { ...IV }
  interfaces { ...R }
  enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason }
  possibleTypes { ...R }
}
fragment IV on __InputValue { name description type { ...R } defaultValue isDeprecated deprecationReason }
fragment R on __Type {
  kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } }
}
"#;

/// The server's introspection answer, by type name.
#[derive(Debug, Clone, Default)]
pub struct Introspection {
    schema: Value,
    types: HashMap<String, Value>,
}

/// The introspection object types a selection can be on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Schema,
    Type,
    Field,
    InputValue,
    EnumValue,
    Directive,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Schema => "__Schema",
            Kind::Type => "__Type",
            Kind::Field => "__Field",
            Kind::InputValue => "__InputValue",
            Kind::EnumValue => "__EnumValue",
            Kind::Directive => "__Directive",
        }
    }

    /// The kind of object a field of this kind holds, if it holds objects.
    fn child(self, field: &str) -> Option<Kind> {
        Some(match (self, field) {
            (Kind::Schema, "types" | "queryType" | "mutationType" | "subscriptionType") => {
                Kind::Type
            }
            (Kind::Schema, "directives") => Kind::Directive,
            (Kind::Type, "fields") => Kind::Field,
            (Kind::Type, "interfaces" | "possibleTypes" | "ofType") => Kind::Type,
            (Kind::Type, "enumValues") => Kind::EnumValue,
            (Kind::Type, "inputFields") => Kind::InputValue,
            (Kind::Field | Kind::Directive, "args") => Kind::InputValue,
            (Kind::Field | Kind::InputValue, "type") => Kind::Type,
            _ => return None,
        })
    }
}

/// What an introspection selection holds.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Priced {
    /// Fields (leaves and objects) in the answer.
    pub cost: u64,
    /// Objects in lists.
    pub nodes: u64,
    /// Bytes of JSON the answer takes.
    pub bytes: u64,
}

impl Priced {
    fn add(&mut self, other: Priced) {
        self.cost = self.cost.saturating_add(other.cost);
        self.nodes = self.nodes.saturating_add(other.nodes);
        self.bytes = self.bytes.saturating_add(other.bytes);
    }
}

impl Introspection {
    /// Reads the answer to `MODEL_QUERY`.
    pub fn from_answer(data: &Value) -> Self {
        let schema = data.get("__schema").cloned().unwrap_or(Value::Null);
        let types = schema
            .get("types")
            .and_then(Value::as_array)
            .map(|types| {
                types
                    .iter()
                    .filter_map(|t| Some((t.get("name")?.as_str()?.to_string(), t.clone())))
                    .collect()
            })
            .unwrap_or_default();
        Self { schema, types }
    }

    /// Prices `__schema { … }` (or `__type(name:) { … }` when `type_name` is given: `None` inside
    /// means the name was not a literal or variable string, and the dearest type is priced).
    /// Stops once `cost` passes `budget`; the result is then only known to be over it.
    pub fn price(
        &self,
        doc: &ExecutableDocument,
        set: &SelectionSet,
        root: Root<'_>,
        budget: u64,
    ) -> Priced {
        let mut walk = Walk {
            model: self,
            doc,
            priced: Priced::default(),
            budget,
            // Visits of selections that add nothing (empty fragments) are bounded too.
            work: budget.saturating_mul(4).max(1024),
            active: Vec::new(),
            known: HashMap::new(),
            spent: 0,
        };
        match root {
            Root::Schema => walk.object(set, &self.schema, Kind::Schema),
            Root::Type(Some(name)) => match self.types.get(name) {
                Some(t) => walk.object(set, t, Kind::Type),
                None => walk.leaf(&Value::Null),
            },
            Root::Type(None) => {
                // Unknown name: as dear as the dearest type.
                let mut dearest = Priced::default();
                for t in self.types.values() {
                    let mut w = walk.fork();
                    w.object(set, t, Kind::Type);
                    if w.priced.cost > dearest.cost {
                        dearest = w.priced;
                    }
                    if dearest.cost > budget {
                        break;
                    }
                }
                walk.priced = dearest;
            }
        }
        walk.priced
    }
}

/// Where an introspection selection starts.
pub enum Root<'a> {
    Schema,
    Type(Option<&'a str>),
}

struct Walk<'a> {
    model: &'a Introspection,
    doc: &'a ExecutableDocument,
    priced: Priced,
    budget: u64,
    work: u64,
    /// Fragments being walked (a cycle reads as empty; validation refuses it later).
    active: Vec<Name>,
    /// What a selection set (by address) holds on a schema object (by address).
    known: HashMap<(usize, usize), Priced>,
    /// Fields counted so far, in all: what the budget is held against.
    spent: u64,
}

impl<'a> Walk<'a> {
    fn fork(&self) -> Walk<'a> {
        Walk {
            model: self.model,
            doc: self.doc,
            priced: Priced::default(),
            budget: self.budget,
            work: self.work,
            active: Vec::new(),
            known: HashMap::new(),
            spent: 0,
        }
    }

    fn over(&self) -> bool {
        self.spent > self.budget || self.work == 0
    }

    fn count(&mut self, n: u64) {
        self.priced.cost = self.priced.cost.saturating_add(n);
        self.spent = self.spent.saturating_add(n);
    }

    fn leaf(&mut self, v: &Value) {
        // A list of enum names (`locations`) costs 1 an item, as every scalar list does.
        let items = v.as_array().map_or(0, Vec::len) as u64;
        self.count(1 + items);
        self.priced.bytes = self.priced.bytes.saturating_add(json_len(v));
    }

    /// The fields `set` selects on `obj` (an object of `kind`), with `{}` around them: priced
    /// once per pair, then reused.
    fn object(&mut self, set: &SelectionSet, obj: &Value, kind: Kind) {
        let key = (
            set as *const SelectionSet as usize,
            obj as *const Value as usize,
        );
        if let Some(known) = self.known.get(&key).copied() {
            self.priced.add(known);
            self.spent = self.spent.saturating_add(known.cost);
            self.work = self.work.saturating_sub(1);
            return;
        }
        let outer = std::mem::take(&mut self.priced);
        self.priced.bytes = self.priced.bytes.saturating_add(2);
        self.selections(set, obj, kind);
        let this = std::mem::replace(&mut self.priced, outer);
        // Priced in a context of its own: the fragments being walked outside it do not
        // change what it holds (a cycle is refused by validation anyway).
        self.known.insert(key, this);
        self.priced.add(this);
    }

    fn selections(&mut self, set: &SelectionSet, obj: &Value, kind: Kind) {
        for item in &set.items {
            if self.over() {
                return;
            }
            self.work = self.work.saturating_sub(1);
            match &item.node {
                Selection::Field(f) => {
                    let f = &f.node;
                    let key = f.alias.as_ref().unwrap_or(&f.name).node.as_str();
                    // `"key":` and a comma.
                    self.priced.bytes = self.priced.bytes.saturating_add(key.len() as u64 + 4);
                    let name = f.name.node.as_str();
                    if name == "__typename" {
                        self.leaf(&Value::String(kind.name().into()));
                        continue;
                    }
                    let value = obj.get(name).unwrap_or(&Value::Null);
                    match kind.child(name) {
                        Some(child) => self.value(&f.selection_set.node, value, child),
                        None => self.leaf(value),
                    }
                }
                Selection::FragmentSpread(s) => {
                    let name = &s.node.fragment_name.node;
                    let Some(def) = self.doc.fragments.get(name) else {
                        continue;
                    };
                    if !applies(&def.node.type_condition.node.on.node, kind)
                        || self.active.contains(name)
                    {
                        continue;
                    }
                    self.active.push(name.clone());
                    self.selections(&def.node.selection_set.node, obj, kind);
                    self.active.pop();
                }
                Selection::InlineFragment(i) => {
                    let on = i.node.type_condition.as_ref().map(|c| &c.node.on.node);
                    if on.is_none_or(|on| applies(on, kind)) {
                        self.selections(&i.node.selection_set.node, obj, kind);
                    }
                }
            }
        }
    }

    /// A field holding objects of `kind`: null, one, or a list of them.
    fn value(&mut self, set: &SelectionSet, value: &Value, kind: Kind) {
        match value {
            Value::Array(items) => {
                self.count(1);
                self.priced.bytes = self.priced.bytes.saturating_add(2);
                for item in items {
                    if self.over() {
                        return;
                    }
                    self.priced.nodes = self.priced.nodes.saturating_add(1);
                    self.priced.bytes = self.priced.bytes.saturating_add(1);
                    self.one(set, item, kind);
                }
            }
            Value::Null => self.leaf(value),
            one => {
                self.count(1);
                self.one(set, one, kind);
            }
        }
    }

    fn one(&mut self, set: &SelectionSet, item: &Value, kind: Kind) {
        if kind == Kind::Type {
            // A named type is answered in full; wrappers (NON_NULL, LIST) as they are.
            let named = item
                .get("name")
                .and_then(Value::as_str)
                .and_then(|n| self.model.types.get(n));
            if let Some(full) = named {
                return self.object(set, full, kind);
            }
        }
        if item.is_object() {
            self.object(set, item, kind);
        } else {
            // `locations` of a directive: enum names.
            self.leaf(item);
        }
    }
}

/// Whether a fragment on `on` applies to an object of `kind`.
fn applies(on: &Name, kind: Kind) -> bool {
    !on.starts_with("__") || on.as_str() == kind.name()
}

/// The length of a value as JSON (an upper bound for strings: escapes counted as written).
fn json_len(v: &Value) -> u64 {
    match v {
        Value::Null => 4,
        Value::Bool(b) => {
            if *b {
                4
            } else {
                5
            }
        }
        Value::String(s) => {
            serde_json::to_string(s).map_or(s.len() as u64 * 6 + 2, |j| j.len() as u64)
        }
        other => other.to_string().len() as u64,
    }
}

/// A `__type(name:)` argument as the walk needs it.
pub fn type_name(value: Option<GqlValue>) -> Option<String> {
    match value {
        Some(GqlValue::String(s)) => Some(s),
        _ => None,
    }
}
