//! What a parsed document may hold, whatever operation it runs: operations, fragment
//! definitions, directives and aliases, each counted once where it is written.
//!
//! Validation walks every operation and fragment of a document, and the executor every
//! directive, so these bound the work before either starts. (Aliases multiply an answer; the
//! cost estimate prices what they select, this limit keeps documents readable.)
use async_graphql::parser::types::{
    DocumentOperations, ExecutableDocument, Selection, SelectionSet,
};

use crate::error::Refusal;

#[derive(Debug, Clone, Copy)]
pub struct DocumentLimits {
    pub max_operations: u64,
    pub max_fragments: u64,
    pub max_directives: u64,
    pub max_aliases: u64,
}

/// The first limit the document breaks, if any.
pub fn check(doc: &ExecutableDocument, limits: &DocumentLimits) -> Result<(), Refusal> {
    let operations = match &doc.operations {
        DocumentOperations::Single(_) => 1,
        DocumentOperations::Multiple(ops) => ops.len() as u64,
    };
    if operations > limits.max_operations {
        return Err(Refusal::OperationLimit {
            operations,
            limit: limits.max_operations,
        });
    }
    let fragments = doc.fragments.len() as u64;
    if fragments > limits.max_fragments {
        return Err(Refusal::FragmentLimit {
            fragments,
            limit: limits.max_fragments,
        });
    }
    let mut count = Count::default();
    for (_, op) in doc.operations.iter() {
        count.directives += op.node.directives.len() as u64;
        count.directives += op
            .node
            .variable_definitions
            .iter()
            .map(|v| v.node.directives.len() as u64)
            .sum::<u64>();
        count.set(&op.node.selection_set.node);
    }
    for def in doc.fragments.values() {
        count.directives += def.node.directives.len() as u64;
        count.set(&def.node.selection_set.node);
    }
    if count.directives > limits.max_directives {
        return Err(Refusal::DirectiveLimit {
            directives: count.directives,
            limit: limits.max_directives,
        });
    }
    if count.aliases > limits.max_aliases {
        return Err(Refusal::AliasLimit {
            aliases: count.aliases,
            limit: limits.max_aliases,
        });
    }
    Ok(())
}

/// What validation lets through but the specification does not: `__typename` is a leaf, so
/// `{ __typename { x } }` is not a document.
pub fn leaf_with_selections(doc: &ExecutableDocument) -> bool {
    let mut count = Count::default();
    for (_, op) in doc.operations.iter() {
        count.set(&op.node.selection_set.node);
    }
    for def in doc.fragments.values() {
        count.set(&def.node.selection_set.node);
    }
    count.typename_with_selections
}

#[derive(Default)]
struct Count {
    directives: u64,
    aliases: u64,
    typename_with_selections: bool,
}

impl Count {
    /// Recurses once per selection set: the parser allows at most 64 nested, and the text
    /// scan fewer (`scan`), so the depth here is small.
    fn set(&mut self, set: &SelectionSet) {
        for item in &set.items {
            match &item.node {
                Selection::Field(f) => {
                    self.directives += f.node.directives.len() as u64;
                    self.aliases += u64::from(f.node.alias.is_some());
                    self.typename_with_selections |= f.node.name.node == "__typename"
                        && !f.node.selection_set.node.items.is_empty();
                    self.set(&f.node.selection_set.node);
                }
                Selection::FragmentSpread(s) => {
                    self.directives += s.node.directives.len() as u64;
                }
                Selection::InlineFragment(i) => {
                    self.directives += i.node.directives.len() as u64;
                    self.set(&i.node.selection_set.node);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: DocumentLimits = DocumentLimits {
        max_operations: 2,
        max_fragments: 2,
        max_directives: 3,
        max_aliases: 2,
    };

    fn code(text: &str) -> Result<(), &'static str> {
        let doc = async_graphql::parser::parse_query(text).expect("parses");
        check(&doc, &LIMITS).map_err(|r| r.code())
    }

    #[test]
    fn each_kind_is_counted_where_it_is_written() {
        assert_eq!(code("query A { a } query B { b }"), Ok(()));
        assert_eq!(
            code("query A { a } query B { b } query C { c }"),
            Err("OPERATION_LIMIT")
        );
        assert_eq!(
            code("{ ...A } fragment A on Q { a } fragment B on Q { b } fragment C on Q { c }"),
            Err("FRAGMENT_LIMIT")
        );
        assert_eq!(
            code("{ a @skip(if: true) b @skip(if: true) ...F @include(if: true) } fragment F on Q @x { c }"),
            Err("DIRECTIVE_LIMIT")
        );
        assert_eq!(code("{ x: a { y: b { z: c } } }"), Err("ALIAS_LIMIT"));
        // A fragment spread many times counts its aliases once: the cost prices the spreads.
        assert_eq!(
            code("{ ...F ...F ...F } fragment F on Q { x: a y: b }"),
            Ok(())
        );
    }
}
