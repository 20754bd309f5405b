//! Converts the flattened text of the Herefordshire improvement plan
//! (`data/source/herefordshire-improvement-plan-v2.2.txt`) into a [`PlanFile`]
//! (`data/herefordshire-2012.json`).
//!
//! The source (see `GLOSSARY.md` beside the seed) is a text rendering of the published plan: a
//! preamble of headed lists, then tab-separated action rows under "Theme N:" headings that repeat on
//! every page. Rows that crossed a page break continue on following lines. General rules are
//! implemented as code; every decision that applies to particular actions or spellings is a
//! commented constant or table in `decisions.rs`, so a reviewer can check each one against the
//! source.
//!
//! [`convert`] never panics: any input it cannot read is reported as a [`ConvertError`] naming the
//! 1-based line and what was wrong.
//!
//! One job per file: `document.rs` reads the layout into a preamble and raw action rows;
//! `action.rs` turns a row into an [`Action`] through the cell parsers (`content.rs`, `dates.rs`,
//! `leads.rs`, `ofsted.rs`, `rag_cell.rs`, `references.rs`, all on `text.rs`); this file
//! assembles the plan and checks its cross-references with `validate.rs`.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;

use super::format::*;
use entity::ReferenceKind;

mod action;
mod content;
mod dates;
mod decisions;
mod document;
mod leads;
mod ofsted;
mod rag_cell;
mod references;
#[cfg(test)]
mod tests;
mod text;

use action::build_action;
use decisions::{
    AS_OF, AUTHORITY, EVIDENCE_SPLITS, OBJECTIVE_ITEM_SPLITS, OUTCOME_SPLITS, PEOPLE,
    PERSON_REFERENCES, SLUG,
};
use document::{parse_preamble, parse_rows, theme_heading};

/// Why the text could not be converted: the 1-based line and what was wrong there.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct ConvertError {
    /// 1-based line number (the line after the last one for problems of the whole text).
    pub line: usize,
    pub message: String,
}

fn fail<T>(line: usize, message: impl Into<String>) -> Result<T, ConvertError> {
    Err(ConvertError {
        line,
        message: message.into(),
    })
}

/// Converts the plan text into a plan file. Never panics; see [`ConvertError`].
pub fn convert(text: &str) -> Result<PlanFile, ConvertError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let lines: Vec<&str> = text
        .split('\n')
        .map(|l| l.strip_suffix('\r').unwrap_or(l))
        .collect();
    let Some(body_start) = lines.iter().position(|l| theme_heading(l).is_some()) else {
        return fail(
            lines.len(),
            "no \"Theme N:\" heading: the plan has no actions",
        );
    };
    let pre = parse_preamble(&lines, body_start)?;
    let mut themes = Vec::new();
    let raw_actions = parse_rows(&lines, body_start, &mut themes)?;
    let end_line = lines.len();
    if raw_actions.is_empty() {
        return fail(end_line, "the plan has no action rows");
    }

    let people: Vec<Person> = PEOPLE
        .iter()
        .map(|(code, name, aliases)| Person {
            code: code.to_string(),
            name: name.to_string(),
            aliases: aliases.iter().map(|a| a.to_string()).collect(),
        })
        .collect();
    let mut references: Vec<Reference> = pre
        .refkey
        .iter()
        .map(|(code, title)| Reference {
            code: code.clone(),
            title: title.clone(),
            kind: ReferenceKind::Document,
            person: None,
        })
        .collect();
    for (code, title, person) in PERSON_REFERENCES {
        references.push(Reference {
            code: code.to_string(),
            title: title.to_string(),
            kind: ReferenceKind::Person,
            person: Some(person.to_string()),
        });
    }
    let reference_codes: Vec<String> = references.iter().map(|r| r.code.clone()).collect();

    let mut actions = Vec::with_capacity(raw_actions.len());
    let mut evidence_sources: Vec<EvidenceSource> = Vec::new();
    // Evidence items that differ only in case (`Audit`/`audit`, `Data`/`data`) are one source,
    // spelt as first seen.
    let mut by_folded: HashMap<String, usize> = HashMap::new();
    let mut seen_codes: HashSet<String> = HashSet::new();
    for raw in &raw_actions {
        if !seen_codes.insert(raw.code.clone()) {
            return fail(raw.line, format!("action {} is numbered twice", raw.code));
        }
        let built = build_action(raw, &reference_codes, &pre.workstreams)?;
        let mut action = built.action;
        let mut names = Vec::new();
        for (name, cat) in built.evidence {
            let key = name.to_lowercase();
            let idx = match by_folded.get(&key) {
                Some(&i) => i,
                None => {
                    evidence_sources.push(EvidenceSource {
                        name: name.clone(),
                        category: cat,
                    });
                    by_folded.insert(key, evidence_sources.len() - 1);
                    evidence_sources.len() - 1
                }
            };
            let canonical = evidence_sources
                .get(idx)
                .map_or(name.clone(), |s| s.name.clone());
            if !names.contains(&canonical) {
                names.push(canonical);
            }
        }
        action.evidence = names;
        actions.push((raw.line, action));
    }

    // Links: a link to a number that has only lettered sub-actions (2.1 → 2.1 (a)..(e), 5.4)
    // names all of them.
    let codes: Vec<String> = actions.iter().map(|(_, a)| a.code.clone()).collect();
    for (line, action) in &mut actions {
        let mut resolved = Vec::new();
        for link in &action.links {
            let targets: Vec<String> = if codes.contains(link) {
                vec![link.clone()]
            } else {
                let prefix = format!("{link} (");
                codes
                    .iter()
                    .filter(|c| c.starts_with(&prefix))
                    .cloned()
                    .collect()
            };
            if targets.is_empty() {
                return fail(
                    *line,
                    format!(
                        "action {}: link to {link}, which is not an action",
                        action.code
                    ),
                );
            }
            for t in targets {
                if t != action.code && !resolved.contains(&t) {
                    resolved.push(t);
                }
            }
        }
        action.links = resolved;
    }

    // Every per-action table entry must name an action of this plan.
    let tables = [OBJECTIVE_ITEM_SPLITS, OUTCOME_SPLITS, EVIDENCE_SPLITS];
    for table in tables {
        for (code, _) in table {
            if !codes.iter().any(|c| c == code) {
                return fail(
                    end_line,
                    format!("hand table names action {code}, which is missing"),
                );
            }
        }
    }

    let (y, m, d) = AS_OF;
    let Some(as_of) = NaiveDate::from_ymd_opt(y, m, d) else {
        return fail(end_line, "invalid as-of date");
    };
    let plan = PlanFile {
        format_version: FORMAT_VERSION,
        plan: PlanMeta {
            slug: SLUG.to_string(),
            title: pre.title,
            version: pre.version,
            authority: AUTHORITY.to_string(),
            as_of,
            context: pre.context,
            levels_of_need: pre.levels,
            priority_aims: pre.aims,
            outcome_measures: pre.measures,
            evidence_categories: pre.evidence,
        },
        rag_scale: pre.rag,
        themes,
        workstreams: pre
            .workstreams
            .into_iter()
            .map(|name| Workstream { name })
            .collect(),
        people,
        references,
        evidence_sources,
        actions: actions.into_iter().map(|(_, a)| a).collect(),
    };
    // Cross-references by validate.rs's rules, which the importer applies too. Reading the text
    // resolves most names already; this catches the rest (a move from an unlisted stream).
    let problems = super::validate::reference_problems(&plan);
    if !problems.is_empty() {
        return fail(end_line, problems.join("; "));
    }
    Ok(plan)
}

/// Converts bytes; text that is not UTF-8 is an error naming the line of the first bad byte.
pub fn convert_bytes(bytes: &[u8]) -> Result<PlanFile, ConvertError> {
    match std::str::from_utf8(bytes) {
        Ok(text) => convert(text),
        Err(e) => {
            let good = bytes.get(..e.valid_up_to()).unwrap_or(bytes);
            let line = good.iter().filter(|b| **b == b'\n').count() + 1;
            fail(line, "the text is not valid UTF-8")
        }
    }
}

/// Pretty JSON with a trailing newline; field order is the structs' order, so it is deterministic.
pub fn to_json(plan: &PlanFile) -> String {
    // PlanFile holds only strings, numbers, dates and lists, so serialisation cannot fail.
    let mut s = serde_json::to_string_pretty(plan).expect("PlanFile serialises to JSON");
    s.push('\n');
    s
}
