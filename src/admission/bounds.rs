//! Every input has a bound: how long a string, how many items a list, how many words a
//! search may have. Checked at the door on the parsed document with its variables, before
//! any resolver runs, so no SQL is ever built from an unbounded value.
//!
//! One table holds the bounds that differ from the defaults; every other string (and `ID`)
//! gets `DEFAULT_CHARS` and every other list `DEFAULT_ITEMS`. A new argument or input field is
//! therefore bounded the day it is added. `docs/operations.md` carries the table as
//! `markdown()` prints it (a test keeps the two equal).
use async_graphql::{Name, Value};

use super::cost::{InputShape, SchemaShape};
use crate::error::Refusal;

/// Characters in a string no entry names (ids, codes, slugs, keys, names, dates).
pub const DEFAULT_CHARS: usize = 200;
/// Items in a list no entry names (filter lists, webhook scopes).
pub const DEFAULT_ITEMS: usize = 100;
/// Most words `search` takes: each is one `LIKE`.
pub const SEARCH_WORDS: usize = crate::actions::MAX_SEARCH_WORDS;
/// The longest text of a note, reason or objective; imported texts have the same bound.
pub const TEXT_CHARS: usize = crate::plans::MAX_TEXT_CHARS;

/// A bound on one argument or input field. For a list, `chars` bounds each string in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bound {
    pub chars: usize,
    pub items: usize,
    /// Words (split on white space), for `search`.
    pub words: Option<usize>,
}

const fn text(chars: usize) -> Bound {
    Bound {
        chars,
        items: DEFAULT_ITEMS,
        words: None,
    }
}

const fn list(items: usize, chars: usize) -> Bound {
    Bound {
        chars,
        items,
        words: None,
    }
}

/// The bounds that are not the defaults, by `Input.field` or `Type.field(argument)`.
pub const TABLE: &[(&str, Bound, &str)] = &[
    (
        "ActionFilter.search",
        Bound {
            chars: 200,
            items: DEFAULT_ITEMS,
            words: Some(SEARCH_WORDS),
        },
        "words that must all appear",
    ),
    ("RecordRagUpdateInput.note", text(TEXT_CHARS), "a RAG note"),
    ("CreateActionInput.note", text(TEXT_CHARS), "a RAG note"),
    (
        "RecordRagUpdatesInput.updates",
        list(crate::rag::MAX_BATCH, DEFAULT_CHARS),
        "one batch",
    ),
    (
        "ActionLifecycleInput.reason",
        text(TEXT_CHARS),
        "why it is retired or reinstated",
    ),
    (
        "ExtendDeadlineInput.reason",
        text(TEXT_CHARS),
        "why the deadline moves",
    ),
    (
        "MoveActionInput.reason",
        text(TEXT_CHARS),
        "why it changes work stream",
    ),
    ("AddEvidenceInput.what", text(TEXT_CHARS), "the evidence"),
    (
        "CreateActionInput.objective",
        text(TEXT_CHARS),
        "what must be done",
    ),
    (
        "UpdateActionInput.objective",
        text(TEXT_CHARS),
        "what must be done",
    ),
    (
        "CreateActionInput.objectiveItems",
        list(crate::plans::MAX_ITEMS, TEXT_CHARS),
        "as in a plan file",
    ),
    (
        "UpdateActionInput.objectiveItems",
        list(crate::plans::MAX_ITEMS, TEXT_CHARS),
        "as in a plan file",
    ),
    (
        "CreateActionInput.outcomes",
        list(crate::plans::MAX_ITEMS, TEXT_CHARS),
        "as in a plan file",
    ),
    (
        "UpdateActionInput.outcomes",
        list(crate::plans::MAX_ITEMS, TEXT_CHARS),
        "as in a plan file",
    ),
    (
        "CreateActionInput.leads",
        list(crate::plans::MAX_LEADS, DEFAULT_CHARS),
        "as in a plan file",
    ),
    (
        "UpdateActionInput.leads",
        list(crate::plans::MAX_LEADS, DEFAULT_CHARS),
        "as in a plan file",
    ),
    (
        "CreateActionInput.references",
        list(crate::plans::MAX_LEADS, DEFAULT_CHARS),
        "as in a plan file",
    ),
    (
        "UpdateActionInput.references",
        list(crate::plans::MAX_LEADS, DEFAULT_CHARS),
        "as in a plan file",
    ),
    (
        "CreateActionInput.descriptors",
        list(crate::plans::MAX_ITEMS, DEFAULT_CHARS),
        "as in a plan file",
    ),
    (
        "UpdateActionInput.descriptors",
        list(crate::plans::MAX_ITEMS, DEFAULT_CHARS),
        "as in a plan file",
    ),
    (
        "CreateActionInput.milestones",
        list(crate::plans::MAX_ITEMS, DEFAULT_CHARS),
        "as in a plan file",
    ),
    (
        "UpdateActionInput.milestones",
        list(crate::plans::MAX_ITEMS, DEFAULT_CHARS),
        "as in a plan file",
    ),
    ("MilestoneInput.label", text(500), "a milestone"),
    ("CreateWebhookInput.url", text(2048), "a receiver's URL"),
    ("UpdateWebhookInput.url", text(2048), "a receiver's URL"),
    (
        "CreateWebhookInput.description",
        text(500),
        "what it is for",
    ),
    (
        "UpdateWebhookInput.description",
        text(500),
        "what it is for",
    ),
    (
        "ImportPlanInput.planJson",
        text(crate::config::defaults::MAX_BODY_BYTES as usize),
        "a whole plan file: the request body bounds it",
    ),
];

/// The bound of `key` (`Input.field` or `Type.field(argument)`).
pub fn bound_of(key: &str) -> Bound {
    TABLE
        .iter()
        .find(|(k, _, _)| *k == key)
        .map(|(_, b, _)| *b)
        .unwrap_or(Bound {
            chars: DEFAULT_CHARS,
            items: DEFAULT_ITEMS,
            words: None,
        })
}

/// Checks an argument's value (variables already substituted) against its bounds, and every
/// field of an input object in it against theirs.
pub(crate) fn check_argument(
    shape: &SchemaShape,
    parent: &str,
    field: &str,
    arg: &Name,
    ty: &InputShape,
    value: &Value,
) -> Result<(), Refusal> {
    check(shape, &format!("{parent}.{field}({arg})"), ty, value)
}

fn check(shape: &SchemaShape, key: &str, ty: &InputShape, value: &Value) -> Result<(), Refusal> {
    let bound = bound_of(key);
    match value {
        Value::List(items) => {
            // A list where one value belongs is refused by validation; it is bounded anyway.
            let limit = if ty.list {
                bound.items
            } else {
                bound.items.min(DEFAULT_ITEMS)
            };
            if items.len() > limit {
                return Err(breach(key, "items", items.len(), limit));
            }
            // Items of the list: the same bound's strings, or input objects of the item type.
            let item = InputShape {
                ty: ty.ty.clone(),
                list: false,
            };
            items
                .iter()
                .try_for_each(|v| check_one(shape, key, &bound, &item, v))
        }
        v => check_one(shape, key, &bound, ty, v),
    }
}

fn check_one(
    shape: &SchemaShape,
    key: &str,
    bound: &Bound,
    ty: &InputShape,
    value: &Value,
) -> Result<(), Refusal> {
    match value {
        Value::String(s) => {
            // PostgreSQL's text cannot hold NUL (it refuses the whole statement), and no text
            // of a plan needs one: refused on every engine alike.
            if s.contains('\0') {
                let nuls = s.matches('\0').count();
                return Err(breach(key, "NUL characters", nuls, 0));
            }
            // Bytes bound characters from above: count only when they could pass the bound.
            if s.len() > bound.chars {
                let chars = s.chars().count();
                if chars > bound.chars {
                    return Err(breach(key, "characters", chars, bound.chars));
                }
            }
            if let Some(max) = bound.words {
                let words = s.split_whitespace().take(max + 1).count();
                if words > max {
                    let all = s.split_whitespace().count();
                    return Err(breach(key, "words", all, max));
                }
            }
            Ok(())
        }
        Value::Object(fields) => {
            let Some(input) = shape.inputs.get(&ty.ty) else {
                // Not an input object here: validation refuses it later.
                return Ok(());
            };
            for (name, v) in fields {
                if let Some(field_ty) = input.get(name) {
                    check(shape, &format!("{}.{name}", ty.ty), field_ty, v)?;
                }
            }
            Ok(())
        }
        // A list where one value belongs: validation refuses it, but its size is still bounded.
        Value::List(items) if items.len() > bound.items => {
            Err(breach(key, "items", items.len(), bound.items))
        }
        _ => Ok(()),
    }
}

fn breach(key: &str, unit: &'static str, got: usize, limit: usize) -> Refusal {
    Refusal::InputBound {
        input: key.to_string(),
        unit,
        got: got as u64,
        limit: limit as u64,
    }
}

/// The most items any list input may have: what the table allows its longest list.
pub fn longest_list() -> usize {
    TABLE
        .iter()
        .map(|(_, b, _)| b.items)
        .fold(DEFAULT_ITEMS, usize::max)
}

/// The shape of a request's variables, before they are read as GraphQL values: how deeply
/// they nest (counted without recursion) and whether any list is longer than any input
/// allows. Refused here, 200,000 codes cost a glance instead of a conversion.
pub fn check_json(value: &serde_json::Value, max_depth: usize) -> Result<(), Refusal> {
    let max_items = longest_list();
    let mut stack = vec![(value, 0usize)];
    while let Some((v, depth)) = stack.pop() {
        let depth = depth + 1;
        match v {
            serde_json::Value::Array(a) => {
                if a.len() > max_items {
                    return Err(breach(
                        "a list in the variables",
                        "items",
                        a.len(),
                        max_items,
                    ));
                }
                if depth > max_depth {
                    return Err(nesting(depth, max_depth));
                }
                stack.extend(a.iter().map(|c| (c, depth)));
            }
            serde_json::Value::Object(o) => {
                if depth > max_depth {
                    return Err(nesting(depth, max_depth));
                }
                stack.extend(o.values().map(|c| (c, depth)));
            }
            _ => {}
        }
    }
    Ok(())
}

fn nesting(depth: usize, limit: usize) -> Refusal {
    Refusal::NestingLimit {
        depth: depth as u64,
        limit: limit as u64,
    }
}

/// The table as `docs/operations.md` shows it.
pub fn markdown() -> String {
    let mut out = String::from("| input | bound | |\n|---|---|---|\n");
    out.push_str(&format!(
        "| any other string or `ID` | {DEFAULT_CHARS} characters | |\n| any other list | {DEFAULT_ITEMS} items | |\n"
    ));
    for (key, b, why) in TABLE {
        let mut what = Vec::new();
        if b.items != DEFAULT_ITEMS {
            what.push(format!("{} items", b.items));
        }
        if b.chars != DEFAULT_CHARS || b.items == DEFAULT_ITEMS {
            let each = if b.items != DEFAULT_ITEMS {
                " each"
            } else {
                ""
            };
            what.push(format!("{} characters{each}", b.chars));
        }
        if let Some(w) = b.words {
            what.push(format!("{w} words"));
        }
        out.push_str(&format!("| `{key}` | {} | {why} |\n", what.join(", ")));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape() -> SchemaShape {
        SchemaShape::from_sdl(&crate::graphql::sdl())
    }

    fn arg_check(
        shape: &SchemaShape,
        parent: &str,
        field: &str,
        arg: &str,
        v: serde_json::Value,
    ) -> Result<(), Refusal> {
        let f = &shape.types[&Name::new(parent)].fields[&Name::new(field)];
        let name = Name::new(arg);
        let ty = &f.args[&name];
        check_argument(
            shape,
            parent,
            field,
            &name,
            ty,
            &Value::from_json(v).expect("json"),
        )
    }

    #[test]
    fn every_key_of_the_table_is_an_input_of_the_schema() {
        let shape = shape();
        for (key, _, _) in TABLE {
            let (ty, field) = key.split_once('.').expect("Type.field");
            assert!(
                shape
                    .inputs
                    .get(&Name::new(ty))
                    .is_some_and(|f| f.contains_key(&Name::new(field))),
                "{key} is not an input field of the served schema"
            );
        }
    }

    /// Each bound of the table, and the defaults, refuse one over and admit the bound itself.
    #[test]
    fn each_bound_refuses_one_more_than_it_allows() {
        let shape = shape();
        for (key, b, _) in TABLE {
            let (ty, field) = key.split_once('.').expect("Type.field");
            let field_ty = &shape.inputs[&Name::new(ty)][&Name::new(field)];
            let at = |n: usize| {
                if field_ty.list {
                    Value::List(vec![Value::String("x".into()); n])
                } else {
                    Value::String("x".repeat(n))
                }
            };
            let limit = if field_ty.list { b.items } else { b.chars };
            // Lists of input objects hold objects, not strings; their count is what is bounded.
            assert!(
                check(&shape, key, field_ty, &at(limit)).is_ok(),
                "{key} at its bound"
            );
            let err = check(&shape, key, field_ty, &at(limit + 1)).expect_err(key);
            assert_eq!(err.code(), "BAD_USER_INPUT");
            assert!(err.message().contains(key), "{}", err.message());
        }
        // Defaults: a plan slug and a filter's list of leads.
        assert!(arg_check(
            &shape,
            "Query",
            "plan",
            "slug",
            serde_json::json!("x".repeat(DEFAULT_CHARS))
        )
        .is_ok());
        let err = arg_check(
            &shape,
            "Query",
            "plan",
            "slug",
            serde_json::json!("x".repeat(DEFAULT_CHARS + 1)),
        )
        .expect_err("slug");
        assert!(
            err.message().contains("Query.plan(slug)"),
            "{}",
            err.message()
        );
        let leads: Vec<String> = (0..200_000).map(|i| format!("X{i}")).collect();
        let err = arg_check(
            &shape,
            "Plan",
            "actions",
            "filter",
            serde_json::json!({ "leads": leads }),
        )
        .expect_err("leads");
        assert_eq!(
            err.details()[0],
            (
                "input",
                crate::error::Detail::Text("ActionFilter.leads".into())
            )
        );
    }

    #[test]
    fn search_words_are_bounded_and_counted_once() {
        let shape = shape();
        let words = "a ".repeat(50_000);
        let err = arg_check(
            &shape,
            "Plan",
            "actions",
            "filter",
            serde_json::json!({ "search": words }),
        )
        .expect_err("words");
        // Characters first: 100,000 of them.
        assert!(err.message().contains("characters"), "{}", err.message());
        let words = "a ".repeat(SEARCH_WORDS + 1);
        let err = arg_check(
            &shape,
            "Plan",
            "actions",
            "filter",
            serde_json::json!({ "search": words }),
        )
        .expect_err("words");
        assert!(err.message().contains("words"), "{}", err.message());
        let ok = "a ".repeat(SEARCH_WORDS);
        assert!(arg_check(
            &shape,
            "Plan",
            "actions",
            "filter",
            serde_json::json!({ "search": ok })
        )
        .is_ok());
    }

    #[test]
    fn nested_inputs_are_checked_in_lists_of_objects() {
        let shape = shape();
        let update = serde_json::json!({ "actionId": "x", "status": "RED", "note": "n".repeat(TEXT_CHARS + 1) });
        let err = arg_check(
            &shape,
            "Mutation",
            "recordRagUpdates",
            "input",
            serde_json::json!({ "updates": [update] }),
        )
        .expect_err("note");
        assert!(
            err.message().contains("RecordRagUpdateInput.note"),
            "{}",
            err.message()
        );
    }

    #[test]
    fn the_docs_carry_the_table_as_the_code_has_it() {
        let docs = include_str!("../../docs/operations.md");
        let table = markdown();
        assert!(
            docs.contains(&table),
            "docs/operations.md (Input bounds) should hold this table:\n{table}"
        );
    }

    #[test]
    fn variables_are_looked_at_without_recursion_before_they_are_read() {
        let mut v = serde_json::json!(1);
        for _ in 0..100_000 {
            v = serde_json::Value::Array(vec![v]);
        }
        let code = |v: &serde_json::Value, depth| check_json(v, depth).map_err(|r| r.code());
        assert_eq!(code(&v, 40), Err("NESTING_LIMIT"));
        // Dropping such a value recurses in serde_json: leak it rather than test the drop.
        std::mem::forget(v);
        let shallow = serde_json::json!({ "a": [1, { "b": 2 }] });
        assert_eq!(code(&shallow, 3), Ok(()));
        assert_eq!(code(&shallow, 2), Err("NESTING_LIMIT"));
        let long = serde_json::json!({ "l": vec!["x"; longest_list() + 1] });
        assert_eq!(code(&long, 40), Err("BAD_USER_INPUT"));
        assert_eq!(longest_list(), crate::rag::MAX_BATCH);
    }
}
