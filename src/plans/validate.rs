//! Referential and semantic checks of a plan file, before anything touches the database.
//!
//! Every problem is collected (not just the first) and named by its JSON path, so that whoever
//! edits a plan file can fix it in one pass.
use std::collections::HashSet;

use super::format::{LifecycleState, PlanFile, FORMAT_VERSION};

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

    let themes = unique(
        &mut bad,
        "themes",
        file.themes.iter().map(|t| t.number.to_string()),
    );
    let workstreams = unique(
        &mut bad,
        "workstreams",
        file.workstreams.iter().map(|w| w.name.clone()),
    );
    let people = unique(
        &mut bad,
        "people",
        file.people.iter().map(|p| p.code.clone()),
    );
    let references = unique(
        &mut bad,
        "references",
        file.references.iter().map(|r| r.code.clone()),
    );
    let evidence = unique(
        &mut bad,
        "evidence_sources",
        file.evidence_sources.iter().map(|e| e.name.clone()),
    );
    let codes = unique(
        &mut bad,
        "actions",
        file.actions.iter().map(|a| a.code.clone()),
    );
    unique(
        &mut bad,
        "rag_scale",
        file.rag_scale.iter().map(|r| r.status.as_str().to_string()),
    );

    for (i, r) in file.references.iter().enumerate() {
        if let Some(p) = &r.person {
            if !people.contains(p.as_str()) {
                bad(
                    format!("references[{i}].person"),
                    format!("unknown person {p:?}"),
                );
            }
        }
    }
    for (i, a) in file.actions.iter().enumerate() {
        let at = |f: &str| format!("actions[{i}] ({}).{f}", a.code);
        if a.code.trim().is_empty() {
            bad(at("code"), "must not be empty".into());
        }
        if !themes.contains(a.theme.to_string().as_str()) {
            bad(at("theme"), format!("unknown theme {}", a.theme));
        }
        if !workstreams.contains(a.workstream.as_str()) {
            bad(
                at("workstream"),
                format!("unknown work stream {:?}", a.workstream),
            );
        }
        for (set, values, what, field) in [
            (&people, &a.leads, "person", "leads"),
            (&references, &a.references, "reference", "references"),
            (&evidence, &a.evidence, "evidence source", "evidence"),
            (&codes, &a.links, "action", "links"),
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
                if !workstreams.contains(name.as_str()) {
                    bad(
                        at(&format!("moves[{j}].{end}")),
                        format!("unknown work stream {name:?}"),
                    );
                }
            }
        }
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
