//! The walk over an operation's selections that adds up its `Measure`: lists multiply what
//! they hold, fragments are measured once, introspection counts flat.
use std::collections::HashMap;

use async_graphql::parser::types::{
    ExecutableDocument, OperationDefinition, OperationType, Selection, SelectionSet,
};
use async_graphql::{Name, Value, Variables};

use super::shape::{FieldShape, SchemaShape, TypeShape};
use super::{CostLimits, Measure};

/// Measures one operation of a parsed document with the request's variables.
pub fn measure(
    shape: &SchemaShape,
    limits: &CostLimits,
    doc: &ExecutableDocument,
    op: &OperationDefinition,
    variables: &Variables,
) -> Measure {
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
    };
    let sub = walker.set(
        &op.selection_set.node,
        shape.types.get(root),
        None,
        Mode::Data,
    );
    Measure {
        cost: sub.cost,
        nodes: sub.nodes,
        depth: sub.depth,
        aliases: sub.aliases,
        root_fields: sub.top_fields,
    }
}

/// How a subtree counts: data fields multiply and count depth; introspection (and fields the
/// schema does not have, which validation refuses later) count 1 each.
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
    aliases: u64,
    /// Fields at this set's own level (fragments flattened): the root fields of an operation.
    top_fields: u64,
}

impl Sub {
    fn add(&mut self, other: Sub) {
        self.cost = self.cost.saturating_add(other.cost);
        self.nodes = self.nodes.saturating_add(other.nodes);
        self.depth = self.depth.max(other.depth);
        self.aliases = self.aliases.saturating_add(other.aliases);
        self.top_fields = self.top_fields.saturating_add(other.top_fields);
    }
}

type FragmentKey = (Name, Option<u64>, Mode);

struct Walker<'a> {
    shape: &'a SchemaShape,
    limits: &'a CostLimits,
    doc: &'a ExecutableDocument,
    op: &'a OperationDefinition,
    variables: &'a Variables,
    /// Measured fragments; `None` while one is being measured (a cycle reads as empty).
    fragments: HashMap<FragmentKey, Option<Sub>>,
}

impl<'a> Walker<'a> {
    /// `page` is the page size when `set` is the selection of a connection.
    fn set(
        &mut self,
        set: &SelectionSet,
        parent: Option<&'a TypeShape>,
        page: Option<u64>,
        mode: Mode,
    ) -> Sub {
        let mut total = Sub::default();
        for item in &set.items {
            match &item.node {
                Selection::Field(f) => {
                    let f = &f.node;
                    let mut sub = self.field(f, parent, page, mode);
                    sub.aliases = sub.aliases.saturating_add(u64::from(f.alias.is_some()));
                    sub.top_fields = 1;
                    total.add(sub);
                }
                Selection::FragmentSpread(s) => {
                    let name = &s.node.fragment_name.node;
                    total.add(self.fragment(name, page, mode));
                }
                Selection::InlineFragment(i) => {
                    let shape: &'a SchemaShape = self.shape;
                    let ty = match &i.node.type_condition {
                        Some(c) => shape.types.get(&c.node.on.node),
                        None => parent,
                    };
                    let ty = if mode == Mode::Data { ty } else { None };
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
        let Some(def) = self.doc.fragments.get(name) else {
            return Sub::default();
        };
        self.fragments.insert(key.clone(), None);
        let shape: &'a SchemaShape = self.shape;
        let ty = match mode {
            Mode::Data => shape.types.get(&def.node.type_condition.node.on.node),
            Mode::Flat => None,
        };
        let sub = self.set(&def.node.selection_set.node, ty, page, mode);
        self.fragments.insert(key, Some(sub));
        sub
    }

    fn field(
        &mut self,
        f: &async_graphql::parser::types::Field,
        parent: Option<&'a TypeShape>,
        page: Option<u64>,
        mode: Mode,
    ) -> Sub {
        let name = &f.name.node;
        let children = &f.selection_set.node;
        if name.starts_with("__") {
            // `__typename` is a leaf; `__schema`/`__type` are introspection.
            let sub = self.set(children, None, None, Mode::Flat);
            return Sub {
                cost: sub.cost.saturating_add(1),
                depth: 0,
                ..sub
            };
        }
        let shape: &'a FieldShape = match (mode, parent.and_then(|p| p.fields.get(name))) {
            (Mode::Data, Some(s)) => s,
            _ => {
                let sub = self.set(children, None, None, Mode::Flat);
                let depth = if mode == Mode::Data { sub.depth + 1 } else { 0 };
                return Sub {
                    cost: sub.cost.saturating_add(1),
                    depth,
                    ..sub
                };
            }
        };
        let in_connection = parent.is_some_and(|p| p.connection);
        let count = if !shape.object_list {
            1
        } else if in_connection && (name == "edges" || name == "nodes") {
            page.unwrap_or(self.limits.default_page_size)
        } else if name == "ragTrend" {
            self.trend_points(f)
        } else if name == "results" {
            // `recordRagUpdates` answers per item, at most this many.
            crate::rag::MAX_BATCH as u64
        } else {
            self.limits.list_estimate
        };
        let child_page = shape.paged.then(|| self.page_size(f));
        let schema: &'a SchemaShape = self.shape;
        let ty = schema.types.get(&shape.ty);
        let sub = self.set(children, ty, child_page, Mode::Data);
        let own_nodes = if shape.object_list { count } else { 0 };
        Sub {
            cost: count.saturating_mul(sub.cost).saturating_add(1),
            nodes: count.saturating_mul(sub.nodes).saturating_add(own_nodes),
            depth: sub.depth + 1,
            aliases: sub.aliases,
            top_fields: 0,
        }
    }

    /// An argument's value, variables resolved (to their defaults when not sent).
    fn arg(&self, f: &async_graphql::parser::types::Field, name: &str) -> Option<Value> {
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

    /// `first`, as the resolvers will apply it (a value they refuse counts as the maximum).
    fn page_size(&self, f: &async_graphql::parser::types::Field) -> u64 {
        match self.arg(f, "first") {
            None | Some(Value::Null) => self.limits.default_page_size,
            Some(Value::Number(n)) => n.as_u64().map_or(self.limits.max_page_size, |n| {
                n.min(self.limits.max_page_size)
            }),
            Some(_) => self.limits.max_page_size,
        }
    }

    /// The points `ragTrend(from:, to:, interval:)` returns, at most 200 (its own limit).
    fn trend_points(&self, f: &async_graphql::parser::types::Field) -> u64 {
        const MAX_POINTS: u64 = 200;
        let date = |n: &str| match self.arg(f, n) {
            Some(Value::String(s)) => chrono::NaiveDate::parse_from_str(&s, "%Y-%m-%d").ok(),
            _ => None,
        };
        let interval = match self.arg(f, "interval") {
            Some(Value::Enum(e)) => e.to_string(),
            // An enum value sent in the JSON variables arrives as a string.
            Some(Value::String(s)) => s,
            _ => return MAX_POINTS,
        };
        // Each step's fewest days, so that the estimate is never short: a month is at least
        // 28 days, a quarter at least 84 (89, in fact) and a year at least 365.
        let step_days = match interval.as_str() {
            "WEEK" => 7,
            "FORTNIGHT" => 14,
            "MONTH" => 28,
            "QUARTER" => 84,
            "YEAR" => 365,
            _ => return MAX_POINTS,
        };
        match (date("from"), date("to")) {
            (Some(from), Some(to)) if to >= from => {
                let days = (to - from).num_days() as u64;
                (days / step_days + 1).min(MAX_POINTS)
            }
            (Some(_), Some(_)) => 1,
            _ => MAX_POINTS,
        }
    }
}
#[cfg(test)]
mod tests {
    use super::*;
    use crate::limits::cost::select_operation;
    use crate::limits::cost::tests::limits;

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
        measure(&shape, &limits(), &doc, &op.node, &vars)
    }

    #[test]
    fn scalar_fields_cost_one_each() {
        let m = measure_of(
            r#"{ plan(slug: "x") { title context } }"#,
            serde_json::json!({}),
        );
        assert_eq!(m.cost, 3);
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
        assert_eq!(m.nodes, 100 + 100 * 10 + 100 * 10 * 10);
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
    fn aliases_and_root_fields_are_counted_through_fragments() {
        let m = measure_of(
            r#"{ a: plan(slug: "x") { ...P } b: plan(slug: "y") { ...P } ...R }
               fragment P on Plan { t: title }
               fragment R on Query { c: plan(slug: "z") { title } }"#,
            serde_json::json!({}),
        );
        assert_eq!(m.root_fields, 3);
        assert_eq!(m.aliases, 3 + 2);
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
