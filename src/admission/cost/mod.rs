//! The cost of a query, from its parsed document alone, before anything runs.
//!
//! Every field a response may hold costs 1, multiplied by the size of every list around it:
//! a connection's `edges`/`nodes` by its `first` (default and maximum as the resolvers apply
//! them), `ragTrend` by the number of points its dates and interval give, and every other list
//! by its maximum (`lists`: the writes that grow a list refuse to pass it). So the estimate is
//! an upper bound: an admitted answer holds no more fields, list items and bytes than its
//! `Measure` says (the adversarial suite checks this on real answers).
//!
//! Beside the cost (`cost`, fields), the walk counts `nodes` (list items), `bytes` (the JSON
//! the answer can take, each value at its widest), `depth` and `root_fields`, and checks every
//! argument against its bound (`admission::bounds`). Fragments are measured once each and
//! reused, so a "fragment bomb" that spreads fragments exponentially is measured in linear
//! time (and refused for its exponential cost); fragment cycles count as empty here and are
//! refused by validation afterwards.
//!
//! Introspection (`__schema`, `__type`) is priced exactly, over the server's own introspection
//! answer (`introspection`); it does not count towards the depth limit (GraphiQL's own
//! introspection query is 13 levels deep).
mod introspection;
mod lists;
mod shape;
mod walk;

pub use introspection::{Introspection, MODEL_QUERY};
pub use lists::LIST_MAXIMA;
pub(crate) use shape::InputShape;
pub use shape::SchemaShape;
pub use walk::measure;

use async_graphql::parser::types::{DocumentOperations, ExecutableDocument, OperationDefinition};
use async_graphql::Positioned;

use crate::error::Refusal;

/// The configured limits and the sizes the estimate uses.
#[derive(Debug, Clone)]
pub struct CostLimits {
    /// Estimated fields in the response.
    pub max_cost: u64,
    /// Estimated list items in the response.
    pub max_nodes: u64,
    pub max_depth: u64,
    pub max_root_fields: u64,
    /// `first` when a connection is asked for without it.
    pub default_page_size: u64,
    /// The largest `first` the resolvers accept.
    pub max_page_size: u64,
}

impl CostLimits {
    /// The first limit a measure breaks, in the order a client can best act on: structure
    /// (depth, root fields) before size (cost, nodes).
    pub fn check(&self, m: &Measure) -> Result<(), Refusal> {
        if m.depth > self.max_depth {
            return Err(Refusal::DepthLimit {
                depth: m.depth,
                limit: self.max_depth,
            });
        }
        if m.root_fields > self.max_root_fields {
            return Err(Refusal::RootFieldLimit {
                root_fields: m.root_fields,
                limit: self.max_root_fields,
            });
        }
        if m.cost > self.max_cost {
            return Err(Refusal::QueryTooComplex {
                cost: m.cost,
                limit: self.max_cost,
            });
        }
        if m.nodes > self.max_nodes {
            return Err(Refusal::TooManyNodes {
                nodes: m.nodes,
                limit: self.max_nodes,
            });
        }
        Ok(())
    }
}

/// What a document's selected operation may cost.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Measure {
    /// Fields in the answer, at most.
    pub cost: u64,
    /// List items (objects) in the answer, at most.
    pub nodes: u64,
    pub depth: u64,
    pub root_fields: u64,
    /// Bytes of the answer's `data` as JSON, at most.
    pub bytes: u64,
}
/// The operation a request runs: the one named, or the only one.
pub fn select_operation<'d>(
    doc: &'d ExecutableDocument,
    name: Option<&str>,
) -> Option<&'d Positioned<OperationDefinition>> {
    match (&doc.operations, name) {
        (DocumentOperations::Single(op), None) => Some(op),
        (DocumentOperations::Single(_), Some(_)) => None,
        (DocumentOperations::Multiple(ops), Some(n)) => ops.get(n),
        (DocumentOperations::Multiple(ops), None) if ops.len() == 1 => ops.values().next(),
        (DocumentOperations::Multiple(_), None) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The limits the tests measure against (`walk`'s too).
    pub(super) fn limits() -> CostLimits {
        CostLimits {
            max_cost: 50_000,
            max_nodes: 10_000,
            max_depth: 12,
            max_root_fields: 20,
            default_page_size: 50,
            max_page_size: 100,
        }
    }

    #[test]
    fn limits_are_checked_structure_first() {
        let l = limits();
        let m = Measure {
            cost: 1_000_000,
            nodes: 1_000_000,
            depth: 50,
            root_fields: 1000,
            bytes: 0,
        };
        assert_eq!(l.check(&m).map_err(|r| r.code()), Err("DEPTH_LIMIT"));
        let m = Measure { depth: 3, ..m };
        assert_eq!(l.check(&m).map_err(|r| r.code()), Err("ROOT_FIELD_LIMIT"));
        let m = Measure {
            root_fields: 1,
            ..m
        };
        assert_eq!(l.check(&m).map_err(|r| r.code()), Err("QUERY_TOO_COMPLEX"));
        let m = Measure { cost: 10, ..m };
        assert_eq!(l.check(&m).map_err(|r| r.code()), Err("TOO_MANY_NODES"));
        let m = Measure { nodes: 10, ..m };
        assert_eq!(l.check(&m), Ok(()));
    }
}
