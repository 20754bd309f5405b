//! The lead cell: the people who lead an action (canonical codes), its work stream, and a move
//! from one work stream to another.

use std::sync::LazyLock;

use regex::Regex;

use super::decisions::{
    table_lookup, LEAD_NOTES, LEAD_WORKSTREAM_DEFAULTS, PEOPLE, WORKSTREAM_WORDS,
};
use super::text::re;
use crate::plans::format::Move;

static MOVE: LazyLock<Regex> = LazyLock::new(|| re(r"(?i)\bmoved\s+to\s+([A-Za-z&]+)"));

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LeadToken {
    Person(&'static str),
    Workstream(&'static str),
    Note,
}

/// Every spelling that may occur in a lead cell, longest first.
static LEAD_TOKENS: LazyLock<Vec<(&'static str, LeadToken)>> = LazyLock::new(|| {
    let mut v: Vec<(&'static str, LeadToken)> = Vec::new();
    for (code, name, aliases) in PEOPLE {
        v.push((code, LeadToken::Person(code)));
        v.push((name, LeadToken::Person(code)));
        for a in *aliases {
            v.push((a, LeadToken::Person(code)));
        }
    }
    for (word, ws) in WORKSTREAM_WORDS {
        v.push((word, LeadToken::Workstream(ws)));
    }
    for n in LEAD_NOTES {
        v.push((n, LeadToken::Note));
    }
    v.sort_by_key(|t| std::cmp::Reverse(t.0.len()));
    v
});

/// Scans a lead cell fragment into person codes and work streams named outside brackets
/// (`JRoberts MASH (HSCB)`: the bracketed HSCB is a secondary affiliation, the stream is MASH).
fn scan_lead(s: &str) -> Result<(Vec<&'static str>, Vec<&'static str>), String> {
    let mut people = Vec::new();
    let mut streams = Vec::new();
    let mut depth = 0usize;
    let mut rest = s;
    loop {
        while let Some(c) = rest.chars().next() {
            match c {
                '(' => depth += 1,
                ')' => depth = depth.saturating_sub(1),
                c if c.is_whitespace() || c == '/' || c == ',' => {}
                _ => break,
            }
            rest = rest.get(c.len_utf8()..).unwrap_or("");
        }
        if rest.is_empty() {
            break;
        }
        let found = LEAD_TOKENS.iter().find_map(|(spelling, tok)| {
            let r = rest.strip_prefix(spelling)?;
            (!r.starts_with(|c: char| c.is_alphanumeric())).then_some((*tok, r))
        });
        let Some((tok, r)) = found else {
            let shown: String = rest.chars().take(30).collect();
            return Err(format!("unrecognised text in lead cell: {shown:?}"));
        };
        match tok {
            LeadToken::Person(code) => {
                if !people.contains(&code) {
                    people.push(code);
                }
            }
            LeadToken::Workstream(ws) if depth == 0 => {
                if !streams.contains(&ws) {
                    streams.push(ws);
                }
            }
            LeadToken::Workstream(_) | LeadToken::Note => {}
        }
        rest = r;
    }
    Ok((people, streams))
}

fn canonical_workstream(word: &str) -> Option<&'static str> {
    WORKSTREAM_WORDS
        .iter()
        .find(|(w, _)| w.eq_ignore_ascii_case(word))
        .map(|(_, ws)| *ws)
}

/// The parsed lead cell.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Leads {
    pub people: Vec<String>,
    pub workstream: String,
    pub moves: Vec<Move>,
}

/// Parses a cleaned lead cell: person codes (deduplicated, first-seen order), the work stream,
/// and a move (`MOVED TO PRACTICE`: from the stream named before it; the action's stream is the
/// destination).
pub(crate) fn parse_leads(text: &str) -> Result<Leads, String> {
    let (before, mv) = match MOVE.captures(text) {
        Some(c) => {
            let whole = c.get(0).map(|m| (m.start(), m.end(), m.as_str()));
            let Some((start, end, raw)) = whole else {
                return Err("bad move".into());
            };
            let word = c.get(1).map_or("", |m| m.as_str());
            let to = canonical_workstream(word)
                .ok_or_else(|| format!("move to unknown work stream {word:?}"))?;
            let after = text.get(end..).unwrap_or("");
            let (after_people, after_streams) = scan_lead(after)?;
            if !after_people.is_empty() || !after_streams.is_empty() {
                return Err(format!("text after {raw:?} in lead cell"));
            }
            (text.get(..start).unwrap_or(""), Some((raw, to)))
        }
        None => (text, None),
    };
    let (people, streams) = scan_lead(before)?;
    let named = match streams.as_slice() {
        [] => table_lookup(LEAD_WORKSTREAM_DEFAULTS, text).copied(),
        [one] => Some(*one),
        _ => return Err(format!("lead cell names several work streams: {streams:?}")),
    };
    let (workstream, moves) = match (named, mv) {
        (Some(from), Some((raw, to))) => (
            to,
            vec![Move {
                raw: raw.to_string(),
                from: from.to_string(),
                to: to.to_string(),
            }],
        ),
        (Some(ws), None) => (ws, Vec::new()),
        (None, _) => return Err(format!("lead cell {text:?} names no work stream")),
    };
    Ok(Leads {
        people: people.into_iter().map(String::from).collect(),
        workstream: workstream.to_string(),
        moves,
    })
}

#[cfg(test)]
mod tests {
    use super::super::tests::s;
    use super::super::text::clean;
    use super::*;

    fn leads(text: &str) -> (Vec<String>, String, Vec<(String, String, String)>) {
        let l = parse_leads(text).expect("leads parse");
        let moves = l.moves.into_iter().map(|m| (m.raw, m.from, m.to)).collect();
        (l.people, l.workstream, moves)
    }

    #[test]
    fn lead_cells() {
        assert_eq!(
            leads("KOM Practice"),
            (s(&["KOM"]), "Practice".into(), vec![])
        );
        assert_eq!(leads("QA DM"), (s(&["DM"]), "QA".into(), vec![]));
        assert_eq!(
            leads("Practice/ KOM"),
            (s(&["KOM"]), "Practice".into(), vec![])
        );
        assert_eq!(
            leads("CB C&C"),
            (s(&["CB"]), "Commissioning".into(), vec![])
        );
        assert_eq!(leads("Pme QA").0, s(&["PMe"]));
        assert_eq!(leads("J. Rez Workforce").0, s(&["JRez"]));
        assert_eq!(
            leads("J.Rez/JD/CB/ KOM Workforce"),
            (s(&["JRez", "JD", "CB", "KOM"]), "Workforce".into(), vec![])
        );
        assert_eq!(
            leads("JRoberts MASH (HSCB)"),
            (s(&["JRoberts"]), "MASH".into(), vec![])
        );
        assert_eq!(leads("J. Roberts MASH").0, s(&["JRoberts"]));
        assert_eq!(
            leads("DM/AC/ Buy in support HSCB"),
            (s(&["DM", "AC"]), "HSCB".into(), vec![])
        );
        assert_eq!(leads("Practice"), (vec![], "Practice".into(), vec![]));
        assert_eq!(
            leads("JD"),
            (s(&["JD"]), "Strengthening Governance".into(), vec![])
        );
        assert_eq!(
            leads("DM/Sarah Cox HSCB DM/Sarah Cox DM/Lynne Renton HSCB"),
            (s(&["DM", "SC", "LR"]), "HSCB".into(), vec![])
        );
        assert_eq!(
            leads("DM/Andy Churcher John Roughton HSCB"),
            (s(&["DM", "AC", "JRou"]), "HSCB".into(), vec![])
        );
        assert_eq!(
            leads("DM HSCB MOVED TO PRACTICE"),
            (
                s(&["DM"]),
                "Practice".into(),
                vec![("MOVED TO PRACTICE".into(), "HSCB".into(), "Practice".into())]
            )
        );
        assert_eq!(
            leads(&clean("DM/Debbie McMillan HSCB <i>Moved to Practice</i>")),
            (
                s(&["DM", "DMcM"]),
                "Practice".into(),
                vec![("Moved to Practice".into(), "HSCB".into(), "Practice".into())]
            )
        );
        assert!(parse_leads("KOM").is_err(), "no work stream");
        assert!(parse_leads("Nobody Practice").is_err());
        assert!(parse_leads("KOM Practice QA").is_err(), "two work streams");
        assert!(parse_leads("KOM Practice MOVED TO NOWHERE").is_err());
    }
}
