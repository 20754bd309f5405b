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

/// What async-graphql's validation lets through (on `__typename`) but the specification does
/// not: a selection on the leaf `__typename`, a directive where none may go (only `@skip` and
/// `@include` go in a document, on fields and fragments), or one repeated on one node.
pub fn invalid(doc: &ExecutableDocument) -> Option<&'static str> {
    let mut count = Count::default();
    for (_, op) in doc.operations.iter() {
        if !op.node.directives.is_empty()
            || op
                .node
                .variable_definitions
                .iter()
                .any(|v| !v.node.directives.is_empty())
        {
            return Some("no directive goes on an operation or a variable here");
        }
        count.set(&op.node.selection_set.node);
    }
    for def in doc.fragments.values() {
        if !def.node.directives.is_empty() {
            return Some("no directive goes on a fragment definition here");
        }
        count.set(&def.node.selection_set.node);
    }
    count.invalid
}

#[derive(Default)]
struct Count {
    directives: u64,
    aliases: u64,
    invalid: Option<&'static str>,
}

/// `@skip` and `@include`, each at most once on a node.
fn directives_problem(
    directives: &[async_graphql::Positioned<async_graphql::parser::types::Directive>],
) -> Option<&'static str> {
    let names: Vec<&str> = directives
        .iter()
        .map(|d| d.node.name.node.as_str())
        .collect();
    if names.iter().any(|n| !matches!(*n, "skip" | "include")) {
        return Some("only @skip and @include go on fields and fragments");
    }
    if (names.len() == 2 && names[0] == names[1]) || names.len() > 2 {
        return Some("a directive may appear once on a field or fragment");
    }
    None
}

impl Count {
    fn note(&mut self, problem: Option<&'static str>) {
        if self.invalid.is_none() {
            self.invalid = problem;
        }
    }

    /// Recurses once per selection set: the parser allows at most 64 nested, and the text
    /// scan fewer (`scan`), so the depth here is small.
    fn set(&mut self, set: &SelectionSet) {
        for item in &set.items {
            match &item.node {
                Selection::Field(f) => {
                    self.directives += f.node.directives.len() as u64;
                    self.aliases += u64::from(f.node.alias.is_some());
                    if f.node.name.node == "__typename"
                        && !f.node.selection_set.node.items.is_empty()
                    {
                        self.invalid = Some("`__typename` is a leaf: it takes no selection");
                    }
                    self.note(directives_problem(&f.node.directives));
                    self.set(&f.node.selection_set.node);
                }
                Selection::FragmentSpread(s) => {
                    self.directives += s.node.directives.len() as u64;
                    self.note(directives_problem(&s.node.directives));
                }
                Selection::InlineFragment(i) => {
                    self.directives += i.node.directives.len() as u64;
                    self.note(directives_problem(&i.node.directives));
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

    #[test]
    fn what_validation_lets_through_on_typename_is_caught() {
        let invalid = |text: &str| {
            invalid(&async_graphql::parser::parse_query(text).expect("parses")).is_some()
        };
        assert!(invalid("{ __typename { x } }"));
        assert!(invalid("{ __typename @skip(if: false) @skip(if: false) }"));
        assert!(invalid("{ __typename @specifiedBy(url: \"x\") }"));
        assert!(invalid("query Q @skip(if: true) { a }"));
        assert!(invalid("{ ...F } fragment F on Q @include(if: true) { a }"));
        assert!(!invalid(
            "{ a @skip(if: false) @include(if: true) b { __typename } ...F @skip(if: true) } fragment F on Q { c }"
        ));
    }
}
