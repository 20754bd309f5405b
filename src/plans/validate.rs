//! Referential and semantic checks of a plan file, before anything touches the database.
//!
//! Every problem is collected (not just the first) and named by its JSON path, so that whoever
//! edits a plan file can fix it in one pass.
use std::collections::HashSet;

use super::format::{Action, PlanFile, FORMAT_VERSION};
use crate::actions::LifecycleState;

/// Returns every problem found; empty means the file can be imported.
pub fn problems(file: &PlanFile) -> Vec<String> {
    let mut out = Vec::new();
    let mut bad = |path: String, msg: String| out.push(format!("{path}: {msg}"));

    if file.format_version != FORMAT_VERSION {
        bad(
            "format_version".into(),
            format!(
                "is {}, this server reads version {FORMAT_VERSION}",
                file.format_version
            ),
        );
    }
    let slug = &file.plan.slug;
    if slug.is_empty()
        || !slug
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    {
        bad(
            "plan.slug".into(),
            format!("{slug:?} must be non-empty lowercase letters, digits and '-'"),
        );
    }
    for (field, value) in [
        ("plan.title", &file.plan.title),
        ("plan.version", &file.plan.version),
        ("plan.authority", &file.plan.authority),
    ] {
        if value.trim().is_empty() {
            bad(field.into(), "must not be empty".into());
        }
    }

    sizes(file, &mut bad);
    let keys = Keys::of(file, &mut bad);
    unique(
        &mut bad,
        "rag_scale",
        file.rag_scale.iter().map(|r| r.status.as_str().to_string()),
    );
    person_references(file, &keys, &mut bad);
    for (i, a) in file.actions.iter().enumerate() {
        let at = |f: &str| action_path(i, a, f);
        if a.code.trim().is_empty() {
            bad(at("code"), "must not be empty".into());
        }
        action_references(i, a, &keys, &mut bad);
        if let Some(last) = a.moves.last() {
            if last.to != a.workstream {
                bad(
                    at("workstream"),
                    format!(
                        "is {:?} but the last move goes to {:?}",
                        a.workstream, last.to
                    ),
                );
            }
        }
        if a.state == LifecycleState::Removed
            && a.removed_reason
                .as_deref()
                .is_none_or(|r| r.trim().is_empty())
        {
            bad(
                at("removed_reason"),
                "a removed action needs a reason".into(),
            );
        }
        if a.state == LifecycleState::Active && a.removed_reason.is_some() {
            bad(
                at("removed_reason"),
                "only a removed action has a removal reason".into(),
            );
        }
        if let Some(d) = a.rag.effective_date {
            if d > file.plan.as_of {
                bad(
                    at("rag.effective_date"),
                    format!("{d} is after the plan's as_of {}", file.plan.as_of),
                );
            }
        }
    }
    out
}

/// Every text and list of the file within the bounds an API write has too (`plans::MAX_*`),
/// so that what the door's cost estimate promises holds for imported plans.
fn sizes(file: &PlanFile, bad: &mut impl FnMut(String, String)) {
    use super::{MAX_CATALOGUE, MAX_ITEMS, MAX_LEADS, MAX_LINKS, MAX_TEXT_CHARS};
    let Ok(json) = serde_json::to_value(file) else {
        return;
    };
    // Iteratively, with the path of each value: a file nests a few levels only, but nothing
    // here recurses as deep as a file says.
    let mut stack = vec![(String::new(), &json)];
    while let Some((path, value)) = stack.pop() {
        match value {
            serde_json::Value::String(s) => {
                if s.contains('\0') {
                    // PostgreSQL's text cannot hold it.
                    bad(path.clone(), "holds a NUL character".into());
                }
                let chars = s.chars().count();
                if chars > MAX_TEXT_CHARS {
                    bad(
                        path,
                        format!("is {chars} characters long, the most is {MAX_TEXT_CHARS}"),
                    );
                }
            }
            serde_json::Value::Array(items) => {
                let in_action = path.starts_with("actions[");
                let key = path.rsplit('.').next().unwrap_or(&path);
                let max = match (in_action, key) {
                    (false, "actions") => MAX_CATALOGUE * 10,
                    (false, "people" | "references" | "evidence_sources") => MAX_CATALOGUE,
                    (true, "leads" | "references") | (_, "aliases") => MAX_LEADS,
                    (true, "links") => MAX_LINKS,
                    _ => MAX_ITEMS,
                };
                if items.len() > max {
                    bad(
                        path.clone(),
                        format!("has {} items, the most is {max}", items.len()),
                    );
                }
                for (i, item) in items.iter().enumerate() {
                    stack.push((format!("{path}[{i}]"), item));
                }
            }
            serde_json::Value::Object(fields) => {
                for (k, v) in fields {
                    let at = if path.is_empty() {
                        k.clone()
                    } else {
                        format!("{path}.{k}")
                    };
                    stack.push((at, v));
                }
            }
            _ => {}
        }
    }
    // Links into one action: as many as an API write allows.
    let mut into: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    for a in &file.actions {
        for to in &a.links {
            *into.entry(to.as_str()).or_default() += 1;
        }
    }
    for (code, n) in into {
        if n > MAX_LINKS {
            bad(
                format!("actions[code={code}]"),
                format!("{n} actions link to it, the most is {MAX_LINKS}"),
            );
        }
    }
}

/// The cross-reference rules of [`problems`] alone: each catalogue's keys are non-empty and
/// unique, every name a reference or action uses is an entry of its catalogue and is listed once,
/// and no action links to itself. The text converter checks its output with these; the other
/// rules (the RAG table, RAG dates, lifecycle) are left to the importer's [`problems`].
pub fn reference_problems(file: &PlanFile) -> Vec<String> {
    let mut out = Vec::new();
    let mut bad = |path: String, msg: String| out.push(format!("{path}: {msg}"));
    let keys = Keys::of(file, &mut bad);
    person_references(file, &keys, &mut bad);
    for (i, a) in file.actions.iter().enumerate() {
        action_references(i, a, &keys, &mut bad);
    }
    out
}

/// The keys of the catalogues that references and actions name entries of.
struct Keys {
    themes: HashSet<String>,
    workstreams: HashSet<String>,
    people: HashSet<String>,
    references: HashSet<String>,
    evidence: HashSet<String>,
    codes: HashSet<String>,
}

impl Keys {
    /// Collects the keys, reporting empty and repeated ones.
    fn of(file: &PlanFile, bad: &mut impl FnMut(String, String)) -> Self {
        Self {
            themes: unique(
                bad,
                "themes",
                file.themes.iter().map(|t| t.number.to_string()),
            ),
            workstreams: unique(
                bad,
                "workstreams",
                file.workstreams.iter().map(|w| w.name.clone()),
            ),
            people: unique(bad, "people", file.people.iter().map(|p| p.code.clone())),
            references: unique(
                bad,
                "references",
                file.references.iter().map(|r| r.code.clone()),
            ),
            evidence: unique(
                bad,
                "evidence_sources",
                file.evidence_sources.iter().map(|e| e.name.clone()),
            ),
            codes: unique(bad, "actions", file.actions.iter().map(|a| a.code.clone())),
        }
    }
}

/// The JSON path of field `f` of action `i`, with its code for whoever reads the message.
fn action_path(i: usize, a: &Action, f: &str) -> String {
    format!("actions[{i}] ({}).{f}", a.code)
}

/// A person-kind reference names a known person.
fn person_references(file: &PlanFile, keys: &Keys, bad: &mut impl FnMut(String, String)) {
    for (i, r) in file.references.iter().enumerate() {
        if let Some(p) = &r.person {
            if !keys.people.contains(p.as_str()) {
                bad(
                    format!("references[{i}].person"),
                    format!("unknown person {p:?}"),
                );
            }
        }
    }
}

/// Every name action `i` uses resolves, once, and it does not link to itself.
fn action_references(i: usize, a: &Action, keys: &Keys, bad: &mut impl FnMut(String, String)) {
    let at = |f: &str| action_path(i, a, f);
    if !keys.themes.contains(a.theme.to_string().as_str()) {
        bad(at("theme"), format!("unknown theme {}", a.theme));
    }
    if !keys.workstreams.contains(a.workstream.as_str()) {
        bad(
            at("workstream"),
            format!("unknown work stream {:?}", a.workstream),
        );
    }
    for (set, values, what, field) in [
        (&keys.people, &a.leads, "person", "leads"),
        (&keys.references, &a.references, "reference", "references"),
        (&keys.evidence, &a.evidence, "evidence source", "evidence"),
        (&keys.codes, &a.links, "action", "links"),
    ] {
        let mut seen = HashSet::new();
        for v in values {
            if !set.contains(v.as_str()) {
                bad(at(field), format!("unknown {what} {v:?}"));
            }
            if !seen.insert(v) {
                bad(at(field), format!("{v:?} is listed twice"));
            }
        }
    }
    if a.links.contains(&a.code) {
        bad(at("links"), "an action cannot link to itself".into());
    }
    for (j, m) in a.moves.iter().enumerate() {
        for (end, name) in [("from", &m.from), ("to", &m.to)] {
            if !keys.workstreams.contains(name.as_str()) {
                bad(
                    at(&format!("moves[{j}].{end}")),
                    format!("unknown work stream {name:?}"),
                );
            }
        }
    }
}

/// Checks a catalogue's keys are non-empty and unique; returns them for lookups.
fn unique<'a>(
    bad: &mut impl FnMut(String, String),
    list: &str,
    keys: impl Iterator<Item = String> + 'a,
) -> HashSet<String> {
    let mut set = HashSet::new();
    for (i, k) in keys.enumerate() {
        if k.trim().is_empty() {
            bad(format!("{list}[{i}]"), "key must not be empty".into());
        } else if !set.insert(k.clone()) {
            bad(
                format!("{list}[{i}]"),
                format!("{k:?} appears more than once"),
            );
        }
    }
    set
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seed() -> PlanFile {
        serde_json::from_str(crate::plans::HEREFORDSHIRE_PLAN_JSON).expect("seed parses")
    }

    #[test]
    fn reference_problems_are_the_cross_reference_rules_of_problems() {
        let mut file = seed();
        assert_eq!(problems(&file), Vec::<String>::new());
        assert_eq!(reference_problems(&file), Vec::<String>::new());

        // Rules other than cross-references: only `problems` has them.
        file.plan.title = " ".into();
        file.rag_scale.push(file.rag_scale[0].clone());
        file.actions[0].rag.effective_date = file.plan.as_of.succ_opt();
        assert_eq!(problems(&file).len(), 3, "{:?}", problems(&file));
        assert_eq!(reference_problems(&file), Vec::<String>::new());

        // Cross-references: both report them in the same words.
        file.people.push(file.people[0].clone());
        file.actions[1].leads.push("NOBODY".into());
        let code = file.actions[1].code.clone();
        let refs = reference_problems(&file);
        assert_eq!(
            refs,
            vec![
                format!(
                    "people[{}]: {:?} appears more than once",
                    file.people.len() - 1,
                    file.people[0].code
                ),
                format!("actions[1] ({code}).leads: unknown person \"NOBODY\""),
            ]
        );
        let all = problems(&file);
        assert_eq!(all.len(), 5, "{all:?}");
        assert!(refs.iter().all(|r| all.contains(r)), "{all:?}");
    }
}
