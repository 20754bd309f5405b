//! The RAG cell: a status, optionally the date it took effect, and a note.

use std::sync::LazyLock;

use regex::Regex;

use super::dates::parse_dotted_date;
use super::text::{collapse, re};
use crate::plans::format::Rag;
use crate::rag::RagStatus;

static RAG_CELL: LazyLock<Regex> =
    LazyLock::new(|| re(r"^(?i:(red|amber|green|grey|blue))\b\s*(.*)$"));
static DOTTED_DATE: LazyLock<Regex> =
    LazyLock::new(|| re(r"^(\d{1,2})\.(\d{1,2})\.(\d{4}|\d{2})\b\s*(.*)$"));

/// `Green 21.11.12 - note`, `Amber - note`, `Green – note`, `blue`.
pub(crate) fn parse_rag(cell: &str) -> Result<Rag, String> {
    let raw = collapse(cell);
    let Some(c) = RAG_CELL.captures(&raw) else {
        return Err(format!("RAG cell {raw:?} does not start with a RAG status"));
    };
    let word = c.get(1).map_or("", |m| m.as_str());
    let status = RagStatus::parse(word).ok_or_else(|| format!("unknown RAG status {word:?}"))?;
    let mut rest = c.get(2).map_or("", |m| m.as_str()).to_string();
    let mut effective_date = None;
    if let Some(d) = DOTTED_DATE.captures(&rest) {
        let part = |i: usize| d.get(i).map_or("", |m| m.as_str());
        effective_date = Some(
            parse_dotted_date(part(1), part(2), part(3))
                .ok_or_else(|| format!("impossible date in RAG cell {raw:?}"))?,
        );
        rest = part(4).to_string();
    }
    let note = rest
        .trim_start_matches(|c: char| c == '-' || c == '–' || c == '—' || c.is_whitespace())
        .trim();
    Ok(Rag {
        status,
        note: (!note.is_empty()).then(|| note.to_string()),
        effective_date,
        raw,
    })
}

#[cfg(test)]
mod tests {
    use super::super::tests::date;
    use super::*;

    #[test]
    fn rag_cells() {
        let r = parse_rag("Green 21.11.12 - This has been shared with the front end. More.")
            .expect("ok");
        assert_eq!(r.status, RagStatus::Green);
        assert_eq!(r.effective_date, Some(date(2012, 11, 21)));
        assert_eq!(
            r.note.as_deref(),
            Some("This has been shared with the front end. More.")
        );
        let r = parse_rag("Green 07.01.13").expect("ok");
        assert_eq!((r.effective_date, r.note), (Some(date(2013, 1, 7)), None));
        let r = parse_rag("Green – TM intensive support programme").expect("ok");
        assert_eq!(r.note.as_deref(), Some("TM intensive support programme"));
        assert_eq!(r.effective_date, None);
        let r = parse_rag("Green - Started see PMe").expect("ok");
        assert_eq!(r.note.as_deref(), Some("Started see PMe"));
        assert_eq!(r.raw, "Green - Started see PMe");
        assert_eq!(parse_rag("blue").expect("ok").status, RagStatus::Blue);
        assert_eq!(parse_rag("red").expect("ok").status, RagStatus::Red);
        assert!(parse_rag("").is_err());
        assert!(parse_rag("Greenish").is_err());
        assert!(parse_rag("Green 32.01.13").is_err());
    }
}
