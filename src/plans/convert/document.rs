//! The text's layout: the preamble of headed lists, then tab-separated action rows under
//! "Theme N:" headings, with rows that crossed a page break joined back together. Cells are
//! kept as written; `action.rs` reads them.

use std::sync::LazyLock;

use regex::Regex;

use super::decisions::{
    Column, BARE_CONTINUATIONS, PREAMBLE_SKIPPED, SEC_AIMS, SEC_CONTEXT, SEC_EVIDENCE, SEC_LEVELS,
    SEC_MEASURES, SEC_RAG, SEC_REFKEY, SEC_WORKSTREAMS,
};
use super::text::{append_cell, clean, collapse, re};
use super::{fail, ConvertError};
use crate::plans::format::{EvidenceCategory, RagLevel, Theme};
use crate::rag::RagStatus;

static THEME_HEADING: LazyLock<Regex> = LazyLock::new(|| re(r"^Theme\s+(\d{1,6})\s*:\s*(.+)$"));
static REFKEY_LINE: LazyLock<Regex> = LazyLock::new(|| re(r"^(AA\d{1,6}):\s*(.+)$"));
static ACTION_NUMBER: LazyLock<Regex> =
    LazyLock::new(|| re(r"^(\d{1,6}\.\d{1,6}(?: \([a-z]\))?)(?:\s+(Link to\b.*))?$"));
static EVIDENCE_NUMBERED: LazyLock<Regex> = LazyLock::new(|| re(r"^(\d{1,6})\.\s+(.+)$"));

pub(super) const COLUMNS: usize = 9;
pub(super) const C_NUMBER: usize = 0;
pub(super) const C_REFERENCE: usize = 1;
pub(super) const C_OBJECTIVE: usize = 2;
pub(super) const C_OUTCOME: usize = 3;
pub(super) const C_EVIDENCE: usize = 4;
pub(super) const C_LEAD: usize = 5;
pub(super) const C_BY_WHEN: usize = 6;
pub(super) const C_RAG: usize = 7;
pub(super) const C_OFSTED: usize = 8;

/// An action row with its continuations, cells as written (tags kept).
pub(super) struct RawAction {
    pub(super) line: usize,
    pub(super) theme: i32,
    pub(super) code: String,
    /// `cells[C_NUMBER]` holds the number cell's text after the code ("Link to ...").
    pub(super) cells: [String; COLUMNS],
}

fn is_blank(line: &str) -> bool {
    line.trim().is_empty()
}

pub(super) fn theme_heading(line: &str) -> Option<(Option<i32>, String)> {
    let t = clean(line);
    let c = THEME_HEADING.captures(&t)?;
    let n = c.get(1)?.as_str().parse::<i32>().ok();
    Some((n, c.get(2)?.as_str().trim().to_string()))
}

fn list_item(line: &str) -> Option<String> {
    let t = line.trim();
    let rest = t
        .strip_prefix("- ")
        .or_else(|| t.strip_prefix('•'))
        .or_else(|| t.strip_prefix('-'))?;
    let item = clean(rest);
    (!item.is_empty()).then_some(item)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Section {
    Title,
    Version,
    None,
    Context,
    Levels,
    Aims,
    Measures,
    Evidence,
    RefKey,
    Rag,
    Workstreams,
}

pub(super) struct Preamble {
    pub(super) title: String,
    pub(super) version: String,
    pub(super) context: Vec<String>,
    pub(super) levels: Vec<String>,
    pub(super) aims: Vec<String>,
    pub(super) measures: Vec<String>,
    pub(super) evidence: Vec<EvidenceCategory>,
    pub(super) refkey: Vec<(String, String)>,
    pub(super) rag: Vec<RagLevel>,
    pub(super) workstreams: Vec<String>,
}

pub(super) fn parse_preamble(lines: &[&str], end: usize) -> Result<Preamble, ConvertError> {
    let mut p = Preamble {
        title: String::new(),
        version: String::new(),
        context: Vec::new(),
        levels: Vec::new(),
        aims: Vec::new(),
        measures: Vec::new(),
        evidence: Vec::new(),
        refkey: Vec::new(),
        rag: Vec::new(),
        workstreams: Vec::new(),
    };
    let mut section = Section::Title;
    for (idx, raw) in lines.iter().enumerate().take(end) {
        let n = idx + 1;
        if is_blank(raw) {
            continue;
        }
        let t = clean(raw);
        match section {
            Section::Title => {
                p.title = t;
                section = Section::Version;
                continue;
            }
            Section::Version => {
                p.version = t;
                section = Section::None;
                continue;
            }
            _ => {}
        }
        let heading = match t.as_str() {
            SEC_CONTEXT => Some(Section::Context),
            SEC_LEVELS => Some(Section::Levels),
            SEC_AIMS => Some(Section::Aims),
            SEC_MEASURES => Some(Section::Measures),
            SEC_EVIDENCE => Some(Section::Evidence),
            SEC_REFKEY => Some(Section::RefKey),
            SEC_RAG => Some(Section::Rag),
            SEC_WORKSTREAMS => Some(Section::Workstreams),
            _ => None,
        };
        if let Some(s) = heading {
            section = s;
            continue;
        }
        if PREAMBLE_SKIPPED.contains(&t.as_str()) {
            continue;
        }
        // The reference key is printed after its heading and again before each theme's pages;
        // the first printing wins (later ones drop "in" from AA6's title).
        if let Some(c) = REFKEY_LINE.captures(&t) {
            if section == Section::RefKey || section == Section::Workstreams {
                let code = c.get(1).map_or("", |m| m.as_str()).to_string();
                let title = c.get(2).map_or("", |m| m.as_str()).trim().to_string();
                if !p.refkey.iter().any(|(k, _)| *k == code) {
                    p.refkey.push((code, title));
                }
                continue;
            }
        }
        let unexpected = || fail(n, format!("unexpected text in the preamble: {t:?}"));
        match section {
            Section::Context => match list_item(raw) {
                // "We will enhance:" items are context entries of their own.
                Some(item) => p.context.push(item),
                None => p.context.push(t),
            },
            Section::Levels => match list_item(raw) {
                Some(item) => p.levels.push(item),
                None => return unexpected(),
            },
            Section::Aims => match list_item(raw) {
                Some(item) => p.aims.push(item),
                None => return unexpected(),
            },
            Section::Measures => match list_item(raw) {
                Some(item) => p.measures.push(item),
                None => return unexpected(),
            },
            Section::Evidence => {
                let Some(c) = EVIDENCE_NUMBERED.captures(&t) else {
                    return unexpected();
                };
                let Ok(number) = c.get(1).map_or("", |m| m.as_str()).parse::<i32>() else {
                    return unexpected();
                };
                let title = c.get(2).map_or("", |m| m.as_str()).trim().to_string();
                p.evidence.push(EvidenceCategory { number, title });
            }
            Section::Rag => {
                let mut cells = raw.split('\t').map(clean).filter(|c| !c.is_empty());
                let (Some(word), Some(descriptor), None) =
                    (cells.next(), cells.next(), cells.next())
                else {
                    return fail(
                        n,
                        format!("RAG table row {t:?} is not a status and descriptor"),
                    );
                };
                let Some(status) = RagStatus::parse(&word) else {
                    return fail(n, format!("unknown RAG status {word:?} in the RAG table"));
                };
                p.rag.push(RagLevel { status, descriptor });
            }
            Section::Workstreams => {
                if !raw.contains('\t') {
                    return unexpected();
                }
                for cell in raw.split('\t').map(clean).filter(|c| !c.is_empty()) {
                    if !p.workstreams.contains(&cell) {
                        p.workstreams.push(cell);
                    }
                }
            }
            _ => return unexpected(),
        }
    }
    let line = end + 1;
    let missing = |what: &str| fail(line, format!("the preamble has no {what}"));
    if p.title.is_empty() {
        return missing("title");
    }
    if p.version.is_empty() {
        return missing("version");
    }
    for (list, name) in [
        (&p.context, SEC_CONTEXT),
        (&p.levels, SEC_LEVELS),
        (&p.aims, SEC_AIMS),
        (&p.measures, SEC_MEASURES),
    ] {
        if list.is_empty() {
            return missing(&format!("{name:?} items"));
        }
    }
    if p.evidence.is_empty() {
        return missing(&format!("{SEC_EVIDENCE:?} items"));
    }
    if p.refkey.is_empty() {
        return missing("reference key");
    }
    if p.rag.is_empty() {
        return missing("RAG table");
    }
    if p.workstreams.is_empty() {
        return missing("work streams");
    }
    Ok(p)
}

/// Reads the action rows after the preamble.
pub(super) fn parse_rows(
    lines: &[&str],
    start: usize,
    themes: &mut Vec<Theme>,
) -> Result<Vec<RawAction>, ConvertError> {
    let mut actions: Vec<RawAction> = Vec::new();
    let mut theme: Option<i32> = None;
    for (idx, raw) in lines.iter().enumerate().skip(start) {
        let n = idx + 1;
        if is_blank(raw) {
            continue;
        }
        if let Some((number, title)) = theme_heading(raw) {
            let Some(number) = number.filter(|k| *k > 0) else {
                return fail(n, "theme number out of range");
            };
            match themes.iter().find(|t| t.number == number) {
                Some(t) if t.title != title => {
                    return fail(
                        n,
                        format!(
                            "theme {number} is titled {title:?} here but {:?} before",
                            t.title
                        ),
                    );
                }
                Some(_) => {}
                None => themes.push(Theme { number, title }),
            }
            theme = Some(number);
            continue;
        }
        if REFKEY_LINE.is_match(raw.trim()) {
            continue; // repeated reference key
        }
        if !raw.contains('\t') {
            let text = clean(raw);
            let Some(last) = actions.last_mut() else {
                return fail(n, format!("text {text:?} before any action row"));
            };
            let Some(&(_, _, column)) = BARE_CONTINUATIONS
                .iter()
                .find(|(code, t, _)| *code == last.code && *t == text)
            else {
                return fail(
                    n,
                    format!(
                        "unexpected text {text:?} outside the table (after action {})",
                        last.code
                    ),
                );
            };
            let col = match column {
                Column::Outcome => C_OUTCOME,
                Column::Evidence => C_EVIDENCE,
            };
            append_cell(&mut last.cells[col], &text);
            continue;
        }
        let cells: Vec<&str> = raw.split('\t').map(str::trim).collect();
        let first = collapse(cells.first().copied().unwrap_or(""));
        let number = ACTION_NUMBER.captures(&first);
        if cells.len() != COLUMNS {
            let kind = if number.is_some() { "action" } else { "table" };
            return fail(
                n,
                format!("{kind} row has {} cells, expected {COLUMNS}", cells.len()),
            );
        }
        if cells.iter().all(|c| c.chars().all(|ch| ch == '-')) {
            continue; // separator row (or an empty one)
        }
        if first.is_empty() && cells[1] == "Reference" {
            continue; // repeated header row
        }
        if let Some(c) = number {
            let Some(theme) = theme else {
                return fail(n, "action row before any theme heading");
            };
            let code = c.get(1).map_or("", |m| m.as_str()).to_string();
            let mut row: [String; COLUMNS] = Default::default();
            row[C_NUMBER] = c.get(2).map_or("", |m| m.as_str()).to_string();
            for (dst, src) in row.iter_mut().zip(cells.iter()).skip(1) {
                *dst = src.to_string();
            }
            actions.push(RawAction {
                line: n,
                theme,
                code,
                cells: row,
            });
        } else {
            let Some(last) = actions.last_mut() else {
                return fail(n, "continuation row before any action row");
            };
            for (dst, src) in last.cells.iter_mut().zip(cells.iter()) {
                append_cell(dst, src);
            }
        }
    }
    Ok(actions)
}
