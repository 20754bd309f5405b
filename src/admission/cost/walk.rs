//! The walk over an operation's selections that adds up its `Measure`: lists multiply what
//! they hold (pages by `first`, plain lists by their maximum), fragments are measured once,
//! introspection is priced over the real schema, and every argument is checked against its
//! bound on the way.
use std::collections::HashMap;

use async_graphql::parser::types::{
    ExecutableDocument, Field, OperationDefinition, OperationType, Selection, SelectionSet,
};
use async_graphql::{Name, Value, Variables};

use super::introspection::{self, Root};
use super::lists::{list_maximum, value_width};
use super::shape::{FieldShape, SchemaShape, TypeShape};
use super::{CostLimits, Measure};
use crate::admission::bounds;
use crate::error::Refusal;

/// Measures one operation of a parsed document with the request's variables; refuses an
/// argument over its bound.
pub fn measure(
    shape: &SchemaShape,
    limits: &CostLimits,
    doc: &ExecutableDocument,
    op: &OperationDefinition,
    variables: &Variables,
) -> Result<Measure, Refusal> {
    let root = match op.ty {
        OperationType::Query => &shape.query,
        OperationType::Mutation => &shape.mutation,
        OperationType::Subscription => &shape.subscription,
    };
    let mut walker = Walker {
        shape,
        limits,
        doc,
        op,
        variables,
        fragments: HashMap::new(),
        breach: None,
        groups: None,
        introspection_left: limits.max_cost,
    };
    let sub = walker.set(
        &op.selection_set.node,
        shape.types.get(root).map(|t| (root.as_str(), t)),
        None,
        Mode::Data,
    );
    if let Some(breach) = walker.breach {
        return Err(breach);
    }
    Ok(Measure {
        cost: sub.cost,
        nodes: sub.nodes,
        depth: sub.depth,
        root_fields: sub.top_fields,
        bytes: sub.bytes.saturating_add(2),
    })
}

/// A page's `after` cursor must point within `paging::MAX_OFFSET`: offsets reach SQL as 64-bit
/// integers. One that does not decode at all is the resolver's to refuse.
fn cursor_in_range(parent: &str, f: &Field, arg: &Name, value: &Value) -> Result<(), Refusal> {
    let Value::String(after) = value else {
        return Ok(());
    };
    if arg.as_str() != "after" {
        return Ok(());
    }
    match crate::paging::cursor_offset(after) {
        Some(n) if n >= crate::paging::MAX_OFFSET => Err(Refusal::InputBound {
            input: format!("{parent}.{}(after)", f.name.node),
            unit: "as its offset",
            got: n,
            limit: crate::paging::MAX_OFFSET - 1,
        }),
        _ => Ok(()),
    }
}

/// How a subtree counts: data fields multiply and count depth; fields the schema does not
/// have (validation refuses them later) count 1 each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Mode {
    Data,
    Flat,
}

/// The measure of one selection set, per one instance of its parent.
#[derive(Debug, Default, Clone, Copy)]
struct Sub {
    cost: u64,
    nodes: u64,
    depth: u64,
    bytes: u64,
    /// Fields at this set's own level (fragments flattened): the root fields of an operation.
    top_fields: u64,
}

impl Sub {
    fn add(&mut self, other: Sub) {
        self.cost = self.cost.saturating_add(other.cost);
        self.nodes = self.nodes.saturating_add(other.nodes);
        self.depth = self.depth.max(other.depth);
        self.bytes = self.bytes.saturating_add(other.bytes);
        self.top_fields = self.top_fields.saturating_add(other.top_fields);
    }
}

type FragmentKey = (Name, Option<u64>, Mode);
/// A type as the walk knows it: its name and shape.
type Parent<'a> = Option<(&'a str, &'a TypeShape)>;

struct Walker<'a> {
    shape: &'a SchemaShape,
    limits: &'a CostLimits,
    doc: &'a ExecutableDocument,
    op: &'a OperationDefinition,
    variables: &'a Variables,
    /// Measured fragments; `None` while one is being measured (a cycle reads as empty).
    fragments: HashMap<FragmentKey, Option<Sub>>,
    /// The first argument found over its bound.
    breach: Option<Refusal>,
    /// Groups of the summary being walked, from its `groupBy`.
    groups: Option<u64>,
    /// What introspection may still cost: each `__schema`/`__type` is priced within what the
    /// ones before it left, so many aliases of one cost no more to price than one at the limit.
    introspection_left: u64,
}

impl<'a> Walker<'a> {
    fn type_named(&self, name: &Name) -> Parent<'a> {
        let shape: &'a SchemaShape = self.shape;
        shape
            .types
            .get_key_value(name)
            .map(|(n, t)| (n.as_str(), t))
    }

    /// `page` is the page size when `set` is the selection of a connection.
    fn set(
        &mut self,
        set: &SelectionSet,
        parent: Parent<'a>,
        page: Option<u64>,
        mode: Mode,
    ) -> Sub {
        let mut total = Sub::default();
        for item in &set.items {
            match &item.node {
                Selection::Field(f) => {
                    let mut sub = self.field(&f.node, parent, page, mode);
                    sub.top_fields = 1;
                    total.add(sub);
                }
                Selection::FragmentSpread(s) => {
                    let name = &s.node.fragment_name.node;
                    total.add(self.fragment(name, page, mode));
                }
                Selection::InlineFragment(i) => {
                    let ty = match (&i.node.type_condition, mode) {
                        (_, Mode::Flat) => None,
                        (Some(c), Mode::Data) => self.type_named(&c.node.on.node),
                        (None, Mode::Data) => parent,
                    };
                    total.add(self.set(&i.node.selection_set.node, ty, page, mode));
                }
            }
        }
        total
    }

    fn fragment(&mut self, name: &Name, page: Option<u64>, mode: Mode) -> Sub {
        let key = (name.clone(), page, mode);
        if let Some(known) = self.fragments.get(&key) {
            return known.unwrap_or_default();
        }
        let doc: &'a ExecutableDocument = self.doc;
        let Some(def) = doc.fragments.get(name) else {
            return Sub::default();
        };
        self.fragments.insert(key.clone(), None);
        let ty = match mode {
            Mode::Data => self.type_named(&def.node.type_condition.node.on.node),
            Mode::Flat => None,
        };
        let sub = self.set(&def.node.selection_set.node, ty, page, mode);
        self.fragments.insert(key, Some(sub));
        sub
    }

    fn field(&mut self, f: &Field, parent: Parent<'a>, page: Option<u64>, mode: Mode) -> Sub {
        let name = &f.name.node;
        let children = &f.selection_set.node;
        // `"key":` and a comma.
        let key_bytes = f.alias.as_ref().unwrap_or(&f.name).node.len() as u64 + 4;
        if name.as_str() == "__typename" {
            return Sub {
                cost: 1,
                bytes: key_bytes + 40,
                ..Sub::default()
            };
        }
        if mode == Mode::Data && matches!(name.as_str(), "__schema" | "__type") {
            return self.introspection(f, key_bytes);
        }
        let found = match (mode, parent) {
            (Mode::Data, Some((parent_name, p))) => p.fields.get(name).map(|s| (parent_name, p, s)),
            _ => None,
        };
        let Some((parent_name, parent_shape, shape)) = found else {
            let sub = self.set(children, None, None, Mode::Flat);
            let depth = if mode == Mode::Data { sub.depth + 1 } else { 0 };
            return Sub {
                cost: sub.cost.saturating_add(1),
                depth,
                bytes: sub.bytes.saturating_add(key_bytes + 4),
                ..sub
            };
        };
        self.check_arguments(f, parent_name, shape);
        let shape: &'a FieldShape = shape;
        let listed = shape.object_list || shape.scalar_list;
        let count = if !listed {
            1
        } else if parent_shape.connection && (name == "edges" || name == "nodes") {
            page.unwrap_or(self.limits.default_page_size)
        } else if name == "ragTrend" {
            self.trend_points(f)
        } else if parent_name == "RagSummary" && name == "groups" {
            self.groups.unwrap_or(crate::plans::MAX_CATALOGUE as u64)
        } else {
            list_maximum(parent_name, name).unwrap_or(self.limits.default_page_size)
        };
        let saved_groups = self.groups;
        if matches!(name.as_str(), "ragSummary" | "ragTrend") {
            self.groups = Some(self.group_count(f));
        }
        let one = if shape.object_list || (!listed && !children.items.is_empty()) {
            let child_page = shape.paged.then(|| self.page_size(f));
            let ty = self.type_named(&shape.ty);
            let sub = self.set(children, ty, child_page, Mode::Data);
            // An object: its fields within `{}`.
            Sub {
                bytes: sub.bytes.saturating_add(2),
                ..sub
            }
        } else {
            Sub {
                bytes: value_width(shape.ty.as_str()),
                ..Sub::default()
            }
        };
        self.groups = saved_groups;
        let own_nodes = if shape.object_list { count } else { 0 };
        // A list: `[]` and a comma per item; a scalar list's items cost 1 each.
        let (per_item_cost, list_bytes) = if listed {
            (one.cost.max(1), 2 + count)
        } else {
            (one.cost, 0)
        };
        Sub {
            cost: count.saturating_mul(per_item_cost).saturating_add(1),
            nodes: count.saturating_mul(one.nodes).saturating_add(own_nodes),
            depth: one.depth + 1,
            bytes: count
                .saturating_mul(one.bytes)
                .saturating_add(list_bytes + key_bytes),
            top_fields: 0,
        }
    }

    /// `__schema` and `__type`, priced over the schema's own introspection answer.
    fn introspection(&mut self, f: &Field, key_bytes: u64) -> Sub {
        let name = introspection::type_name(self.arg(f, "name"));
        let root = if f.name.node.as_str() == "__schema" {
            Root::Schema
        } else {
            Root::Type(name.as_deref())
        };
        let priced = self.shape.introspection.price(
            self.doc,
            &f.selection_set.node,
            root,
            self.introspection_left,
        );
        self.introspection_left = self.introspection_left.saturating_sub(priced.cost);
        Sub {
            cost: priced.cost.saturating_add(1),
            nodes: priced.nodes,
            // Introspection does not count towards the depth limit (GraphiQL's own query is
            // 13 levels deep); its size is priced exactly instead.
            depth: 0,
            bytes: priced.bytes.saturating_add(key_bytes),
            top_fields: 0,
        }
    }

    /// Every argument against its bound; the first one over is kept.
    fn check_arguments(&mut self, f: &Field, parent: &str, shape: &FieldShape) {
        if self.breach.is_some() {
            return;
        }
        for (arg, _) in &f.arguments {
            let Some(ty) = shape.args.get(&arg.node) else {
                continue;
            };
            let Some(value) = self.arg(f, &arg.node) else {
                continue;
            };
            let checked = bounds::check_argument(
                self.shape,
                parent,
                f.name.node.as_str(),
                &arg.node,
                ty,
                &value,
            )
            .and_then(|()| cursor_in_range(parent, f, &arg.node, &value));
            if let Err(r) = checked {
                self.breach = Some(r);
                return;
            }
        }
    }

    /// An argument's value, variables resolved (to their defaults when not sent).
    fn arg(&self, f: &Field, name: &str) -> Option<Value> {
        let v = f.get_argument(name)?;
        v.node
            .clone()
            .into_const_with(|var| self.variable(&var).ok_or(()))
            .ok()
    }

    fn variable(&self, var: &Name) -> Option<Value> {
        if let Some(v) = self.variables.get(var) {
            return Some(v.clone());
        }
        self.op
            .variable_definitions
            .iter()
            .find(|d| d.node.name.node == *var)
            .and_then(|d| d.node.default_value.as_ref())
            .map(|d| d.node.clone())
    }

    /// How many groups a summary with this `groupBy` can have: one per theme, work stream
    /// or person of the plan; none without `groupBy`.
    fn group_count(&self, f: &Field) -> u64 {
        let by = match self.arg(f, "groupBy") {
            None | Some(Value::Null) => return 0,
            Some(Value::Enum(e)) => e.to_string(),
            Some(Value::String(s)) => s,
            Some(_) => return crate::plans::MAX_CATALOGUE as u64,
        };
        match by.as_str() {
            "THEME" | "WORKSTREAM" => crate::plans::MAX_ITEMS as u64,
            _ => crate::plans::MAX_CATALOGUE as u64,
        }
    }

    /// `first`, as the resolvers will apply it (a value they refuse counts as the maximum).
    fn page_size(&self, f: &Field) -> u64 {
        match self.arg(f, "first") {
            None | Some(Value::Null) => self.limits.default_page_size,
            Some(Value::Number(n)) => n.as_u64().map_or(self.limits.max_page_size, |n| {
                n.min(self.limits.max_page_size)
            }),
            Some(_) => self.limits.max_page_size,
        }
    }

    /// The points `ragTrend(from:, to:, interval:)` returns, at most its own limit.
    fn trend_points(&self, f: &Field) -> u64 {
        let max_points = crate::rag::MAX_TREND_POINTS as u64;
        let date = |n: &str| match self.arg(f, n) {
            Some(Value::String(s)) => chrono::NaiveDate::parse_from_str(&s, "%Y-%m-%d").ok(),
            _ => None,
        };
        let interval = match self.arg(f, "interval") {
            Some(Value::Enum(e)) => e.to_string(),
            // An enum value sent in the JSON variables arrives as a string.
            Some(Value::String(s)) => s,
            _ => return max_points,
        };
        // Each step's fewest days, so that the estimate is never short: a month is at least
        // 28 days, a quarter at least 84 (89, in fact) and a year at least 365.
        let step_days = match interval.as_str() {
            "WEEK" => 7,
            "FORTNIGHT" => 14,
            "MONTH" => 28,
            "QUARTER" => 84,
            "YEAR" => 365,
            _ => return max_points,
        };
        match (date("from"), date("to")) {
            (Some(from), Some(to)) if to >= from => {
                let days = (to - from).num_days() as u64;
                (days / step_days + 1).min(max_points)
            }
            (Some(_), Some(_)) => 1,
            _ => max_points,
        }
    }
}
#[cfg(test)]
mod tests {
    use super::*;
    use crate::admission::cost::select_operation;
    use crate::admission::cost::tests::limits;

    const SDL: &str = r#"
        type Query { plan(slug: String!): Plan plans(first: Int): PlanConnection! }
        type Mutation { touch: Boolean! }
        type Plan { title: String! context: [String!]! actions(first: Int): ActionConnection!
                    ragTrend(from: String!, to: String!, interval: Interval!): [Summary!]! }
        type Summary { total: Int! }
        enum Interval { WEEK FORTNIGHT MONTH QUARTER YEAR }
        type PlanConnection { nodes: [Plan!]! totalCount: Int! }
        type ActionConnection { edges: [ActionEdge!]! nodes: [Action!]! totalCount: Int! }
        type ActionEdge { node: Action! cursor: String! }
        type Action { code: String! links: [Action!]! history(first: Int): ActionConnection! }
    "#;

    fn measure_of(query: &str, vars: serde_json::Value) -> Measure {
        let shape = SchemaShape::from_sdl(SDL);
        let doc = async_graphql::parser::parse_query(query).expect("parses");
        let op = select_operation(&doc, None).expect("one operation");
        let vars = Variables::from_json(vars);
        measure(&shape, &limits(), &doc, &op.node, &vars).expect("within the input bounds")
    }

    #[test]
    fn scalar_fields_cost_one_each_and_scalar_lists_one_per_item() {
        let m = measure_of(r#"{ plan(slug: "x") { title } }"#, serde_json::json!({}));
        assert_eq!(m.cost, 2);
        let m = measure_of(
            r#"{ plan(slug: "x") { title context } }"#,
            serde_json::json!({}),
        );
        // `context` holds at most `MAX_ITEMS` paragraphs.
        assert_eq!(m.cost, 2 + 1 + crate::plans::MAX_ITEMS as u64);
        assert_eq!(m.nodes, 0);
        assert_eq!(m.depth, 2);
        assert_eq!(m.root_fields, 1);
    }

    #[test]
    fn connections_multiply_by_first_and_default_to_the_default_page() {
        let m = measure_of(
            r#"{ plan(slug: "x") { actions(first: 20) { totalCount nodes { code } } } }"#,
            serde_json::json!({}),
        );
        // plan + actions + totalCount + nodes + 20 codes
        assert_eq!(m.cost, 1 + 1 + 1 + 1 + 20);
        assert_eq!(m.nodes, 20);
        let m = measure_of(
            r#"{ plan(slug: "x") { actions { nodes { code } } } }"#,
            serde_json::json!({}),
        );
        assert_eq!(m.nodes, 50);
    }

    #[test]
    fn variables_and_their_defaults_set_the_page() {
        let q =
            r#"query($n: Int = 7) { plan(slug: "x") { actions(first: $n) { nodes { code } } } }"#;
        assert_eq!(measure_of(q, serde_json::json!({ "n": 3 })).nodes, 3);
        assert_eq!(measure_of(q, serde_json::json!({})).nodes, 7);
        // Over the maximum counts as the maximum (the resolver refuses it anyway).
        assert_eq!(measure_of(q, serde_json::json!({ "n": 100000 })).nodes, 100);
    }

    #[test]
    fn nested_lists_multiply() {
        let m = measure_of(
            r#"{ plan(slug: "x") { actions(first: 100) { nodes { links { links { code } } } } } }"#,
            serde_json::json!({}),
        );
        // `links` holds at most `MAX_LINKS` actions.
        let links = crate::plans::MAX_LINKS as u64;
        assert_eq!(m.nodes, 100 + 100 * links + 100 * links * links);
        assert!(m.cost > 10_000, "{m:?}");
    }

    #[test]
    fn trend_points_follow_the_dates() {
        let m = measure_of(
            r#"{ plan(slug: "x") { ragTrend(from: "2013-01-31", to: "2013-07-31", interval: FORTNIGHT) { total } } }"#,
            serde_json::json!({}),
        );
        assert_eq!(m.nodes, 181 / 14 + 1);
        // Never fewer than the trend has: 5 quarter ends from 31 March 2013 (365 days), 5
        // years from 29 February 2012 (1461 days).
        let m = measure_of(
            r#"{ plan(slug: "x") { ragTrend(from: "2013-03-31", to: "2014-03-31", interval: QUARTER) { total } } }"#,
            serde_json::json!({}),
        );
        assert_eq!(m.nodes, 365 / 84 + 1);
        let m = measure_of(
            r#"query($i: Interval!) { plan(slug: "x") { ragTrend(from: "2012-02-29", to: "2016-02-29", interval: $i) { total } } }"#,
            serde_json::json!({ "i": "YEAR" }),
        );
        assert_eq!(m.nodes, 5);
    }

    #[test]
    fn root_fields_are_counted_through_fragments() {
        let m = measure_of(
            r#"{ a: plan(slug: "x") { ...P } b: plan(slug: "y") { ...P } ...R }
               fragment P on Plan { t: title }
               fragment R on Query { c: plan(slug: "z") { title } }"#,
            serde_json::json!({}),
        );
        assert_eq!(m.root_fields, 3);
    }

    #[test]
    fn fragment_bombs_are_measured_in_linear_time_and_cost_a_lot() {
        let mut q = String::from("{ plan(slug: \"x\") { ...F0 } }\n");
        for i in 0..40 {
            q.push_str(&format!(
                "fragment F{i} on Plan {{ ...F{} ...F{} }}\n",
                i + 1,
                i + 1
            ));
        }
        q.push_str("fragment F40 on Plan { title }\n");
        let m = measure_of(&q, serde_json::json!({}));
        assert!(m.cost > 1_000_000_000, "{m:?}");
    }

    #[test]
    fn fragment_cycles_terminate() {
        let m = measure_of(
            "{ plan(slug: \"x\") { ...A } } fragment A on Plan { title ...B } fragment B on Plan { ...A }",
            serde_json::json!({}),
        );
        assert!(m.cost >= 2);
    }

    #[test]
    fn introspection_is_flat_and_does_not_count_depth() {
        let m = measure_of(
            "{ __schema { types { fields { type { ofType { ofType { ofType { ofType { ofType { ofType { ofType { ofType { name } } } } } } } } } } } } }",
            serde_json::json!({}),
        );
        assert_eq!(m.depth, 0);
        assert_eq!(m.nodes, 0);
        assert!(m.cost < 20, "{m:?}");
    }
}
