//! The "By when" cell: milestone expressions and their due dates, agreed extensions and
//! removal proposals.

use std::sync::LazyLock;

use chrono::{Months, NaiveDate};
use regex::Regex;

use super::decisions::{table_lookup, BARE_WITHIN};
use super::text::{collapse, consumed, eat_ci, eat_digits, eat_word, re};
use crate::plans::format::{Extension, Milestone, RemovalProposal};

static EXTENSION: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?i)\bextension\s+to\s+timescale\s+agreed\b"));
static REMOVAL: LazyLock<Regex> = LazyLock::new(|| re(r"(?i)\bremove\s+from\s+plan\b"));

const MONTH_NAMES: &[(&str, u32)] = &[
    ("january", 1),
    ("february", 2),
    ("march", 3),
    ("april", 4),
    ("june", 6),
    ("july", 7),
    ("august", 8),
    ("september", 9),
    ("sept", 9),
    ("october", 10),
    ("november", 11),
    ("december", 12),
    ("jan", 1),
    ("feb", 2),
    ("mar", 3),
    ("apr", 4),
    ("may", 5),
    ("jun", 6),
    ("jul", 7),
    ("aug", 8),
    ("sep", 9),
    ("oct", 10),
    ("nov", 11),
    ("dec", 12),
];

/// A month name (full or abbreviated, any case) not followed by a letter.
fn eat_month(s: &str) -> Option<(u32, &str)> {
    MONTH_NAMES.iter().find_map(|(name, m)| {
        let rest = eat_ci(s, name)?;
        (!rest.starts_with(|c: char| c.is_alphabetic())).then_some((*m, rest))
    })
}

/// A two-digit (20yy) or four-digit year not followed by another digit.
fn eat_year(s: &str) -> Option<(i32, &str)> {
    let (digits, rest) = eat_digits(s)?;
    let n: i32 = digits.parse().ok()?;
    match digits.len() {
        2 => Some((2000 + n, rest)),
        4 => Some((n, rest)),
        _ => None,
    }
}

/// `Jan 13`, `Jan13`, `Feb 2013`, `March13`.
fn eat_month_year(s: &str) -> Option<((i32, u32), &str)> {
    let (m, rest) = eat_month(s)?;
    let (y, rest) = eat_year(rest.trim_start())?;
    Some(((y, m), rest))
}

/// A dash between range ends or after "Stage N": `-`, `–` or `—`, spaces around optional.
fn eat_dash(s: &str) -> Option<&str> {
    let t = s.trim_start();
    let rest = t
        .strip_prefix('-')
        .or_else(|| t.strip_prefix('–'))
        .or_else(|| t.strip_prefix('—'))?;
    Some(rest.trim_start())
}

/// The last day of a month.
pub(crate) fn month_end(year: i32, month: u32) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(year, month, 1)?
        .checked_add_months(Months::new(1))?
        .pred_opt()
}

/// `dd.mm.yy` (or `dd.mm.yyyy`); two-digit years are 20yy.
pub(crate) fn parse_dotted_date(d: &str, m: &str, y: &str) -> Option<NaiveDate> {
    let day: u32 = d.parse().ok()?;
    let month: u32 = m.parse().ok()?;
    let mut year: i32 = y.parse().ok()?;
    if y.len() == 2 {
        year += 2000;
    }
    NaiveDate::from_ymd_opt(year, month, day)
}

fn milestone(label: &str, due: Option<NaiveDate>) -> Milestone {
    Milestone {
        label: collapse(label),
        due,
    }
}

/// One milestone expression at the start of `s` (already trimmed) → milestones and the rest.
fn eat_milestone(s: &str) -> Result<Option<(Vec<Milestone>, &str)>, String> {
    let bad_date = || format!("impossible date in {s:?}");
    // `Stage 1 – Nov 12`
    if let Some(r) = eat_word(s, "Stage") {
        if let Some((_, r)) = eat_digits(r.trim_start()) {
            if let Some(((y, m), rest)) = eat_dash(r).and_then(eat_month_year) {
                let due = month_end(y, m).ok_or_else(bad_date)?;
                return Ok(Some((vec![milestone(consumed(s, rest), Some(due))], rest)));
            }
        }
        return Ok(None);
    }
    // `2012 onwards`
    if let Some((_, r)) = eat_digits(s) {
        if let Some(rest) = eat_word(r.trim_start(), "onwards") {
            return Ok(Some((vec![milestone(consumed(s, rest), None)], rest)));
        }
    }
    // `Within 3 months (Jan 13)`, `3 months (Jan 13)`, bare `Within 6 months`
    let after_within = eat_word(s, "Within").map(str::trim_start);
    if let Some((_, r)) = eat_digits(after_within.unwrap_or(s)) {
        let r = r.trim_start();
        if let Some(r) = eat_word(r, "months").or_else(|| eat_word(r, "month")) {
            if let Some(inner) = r.trim_start().strip_prefix('(') {
                let ((y, m), r) = match eat_month_year(inner.trim_start()) {
                    Some(v) => v,
                    None => return Ok(None),
                };
                let Some(rest) = r.trim_start().strip_prefix(')') else {
                    return Ok(None);
                };
                let due = month_end(y, m).ok_or_else(bad_date)?;
                return Ok(Some((vec![milestone(consumed(s, rest), Some(due))], rest)));
            }
            let label = collapse(consumed(s, r));
            let Some(&(y, m)) = table_lookup(BARE_WITHIN, &label) else {
                return Err(format!("no due date known for {label:?}"));
            };
            let due = month_end(y, m).ok_or_else(bad_date)?;
            return Ok(Some((vec![milestone(&label, Some(due))], r)));
        }
        return Ok(None);
    }
    // `By 19.10.12`
    if let Some(r) = eat_word(s, "By") {
        let r = r.trim_start();
        let Some((d, r)) = eat_digits(r) else {
            return Ok(None);
        };
        let Some((mo, r)) = r.strip_prefix('.').and_then(eat_digits) else {
            return Ok(None);
        };
        let Some((y, rest)) = r.strip_prefix('.').and_then(eat_digits) else {
            return Ok(None);
        };
        if y.len() != 2 && y.len() != 4 {
            return Ok(None);
        }
        let due = parse_dotted_date(d, mo, y).ok_or_else(bad_date)?;
        return Ok(Some((vec![milestone(consumed(s, rest), Some(due))], rest)));
    }
    // `Immediate`, `Immediate Dec 12`
    if let Some(r) = eat_word(s, "Immediate") {
        if let Some(((y, m), rest)) = eat_month_year(r.trim_start()) {
            let due = month_end(y, m).ok_or_else(bad_date)?;
            return Ok(Some((vec![milestone(consumed(s, rest), Some(due))], rest)));
        }
        return Ok(Some((vec![milestone(consumed(s, r), None)], r)));
    }
    // `Completed`
    if let Some(rest) = eat_word(s, "Completed") {
        return Ok(Some((vec![milestone(consumed(s, rest), None)], rest)));
    }
    // Month forms.
    let Some((m1, r)) = eat_month(s) else {
        return Ok(None);
    };
    let year1 = eat_year(r.trim_start());
    let after_start = year1.map_or(r, |(_, r)| r);
    // A range `Oct 12 – Dec 12`, `Sept-Oct 12`: one milestone due at its end.
    if let Some(((y2, m2), rest)) = eat_dash(after_start).and_then(eat_month_year) {
        let due = month_end(y2, m2).ok_or_else(bad_date)?;
        return Ok(Some((vec![milestone(consumed(s, rest), Some(due))], rest)));
    }
    match year1 {
        Some((y1, rest)) => {
            let due = month_end(y1, m1).ok_or_else(bad_date)?;
            Ok(Some((vec![milestone(consumed(s, rest), Some(due))], rest)))
        }
        None => {
            // `Sept and Oct 12`: two milestones, the first taking the second's year.
            let first = consumed(s, r);
            let Some(r2) = eat_word(r.trim_start(), "and").map(str::trim_start) else {
                return Ok(None);
            };
            let Some(((y2, m2), rest)) = eat_month_year(r2) else {
                return Ok(None);
            };
            let due1 = month_end(y2, m1).ok_or_else(bad_date)?;
            let due2 = month_end(y2, m2).ok_or_else(bad_date)?;
            Ok(Some((
                vec![
                    milestone(first, Some(due1)),
                    milestone(consumed(r2, rest), Some(due2)),
                ],
                rest,
            )))
        }
    }
}

/// Milestones in the order written.
pub(crate) fn parse_milestones(text: &str) -> Result<Vec<Milestone>, String> {
    let mut out = Vec::new();
    let mut rest = text.trim_start();
    while !rest.is_empty() {
        match eat_milestone(rest)? {
            Some((items, r)) if r.len() < rest.len() => {
                out.extend(items);
                rest = r.trim_start();
            }
            _ => return Err(format!("unrecognised by-when text {rest:?}")),
        }
    }
    Ok(out)
}

/// The parsed "By when" cell.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct ByWhen {
    pub milestones: Vec<Milestone>,
    pub extensions: Vec<Extension>,
    pub removal: Option<RemovalProposal>,
}

/// Parses a cleaned "By when" cell: "Extension to timescale agreed [Mon yy]" becomes an
/// [`Extension`] (agreed on the last day of the month named), "Remove from plan" a
/// [`RemovalProposal`]; the rest are milestones.
pub(crate) fn parse_by_when(text: &str) -> Result<ByWhen, String> {
    let mut out = ByWhen::default();
    let mut rest = text.to_string();
    while let Some(m) = EXTENSION.find(&rest) {
        let (start, end) = (m.start(), m.end());
        let after = rest.get(end..).unwrap_or("");
        let (agreed_on, tail) = match eat_month_year(after.trim_start()) {
            Some(((y, mo), tail)) => (
                Some(month_end(y, mo).ok_or_else(|| format!("impossible date in {after:?}"))?),
                tail,
            ),
            None => (None, after),
        };
        let stop = rest.len() - tail.len();
        out.extensions.push(Extension {
            raw: collapse(rest.get(start..stop).unwrap_or("")),
            agreed_on,
            new_due: None,
            reason: None,
        });
        rest = format!(
            "{} {}",
            rest.get(..start).unwrap_or(""),
            rest.get(stop..).unwrap_or("")
        );
    }
    if let Some(m) = REMOVAL.find(&rest) {
        out.removal = Some(RemovalProposal {
            raw: collapse(m.as_str()),
        });
        rest = format!(
            "{} {}",
            rest.get(..m.start()).unwrap_or(""),
            rest.get(m.end()..).unwrap_or("")
        );
        if REMOVAL.is_match(&rest) {
            return Err("\"Remove from plan\" given twice".into());
        }
    }
    out.milestones = parse_milestones(&rest)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::super::tests::date;
    use super::super::text::clean;
    use super::*;

    fn labels_and_dues(text: &str) -> Vec<(String, Option<NaiveDate>)> {
        parse_milestones(text)
            .expect("milestones parse")
            .into_iter()
            .map(|m| (m.label, m.due))
            .collect()
    }

    fn one(label: &str, due: Option<NaiveDate>) -> Vec<(String, Option<NaiveDate>)> {
        vec![(label.to_string(), due)]
    }

    #[test]
    fn month_ends_and_dotted_dates() {
        assert_eq!(month_end(2013, 2), Some(date(2013, 2, 28)));
        assert_eq!(month_end(2012, 12), Some(date(2012, 12, 31)));
        assert_eq!(month_end(2012, 13), None);
        assert_eq!(
            parse_dotted_date("19", "10", "12"),
            Some(date(2012, 10, 19))
        );
        assert_eq!(parse_dotted_date("07", "01", "13"), Some(date(2013, 1, 7)));
        assert_eq!(parse_dotted_date("31", "02", "13"), None);
    }

    #[test]
    fn month_year_forms() {
        for (text, due) in [
            ("Jan 13", date(2013, 1, 31)),
            ("Jan13", date(2013, 1, 31)),
            ("Feb 2013", date(2013, 2, 28)),
            ("March13", date(2013, 3, 31)),
            ("Sept 12", date(2012, 9, 30)),
            ("August 12", date(2012, 8, 31)),
            ("Mar 13", date(2013, 3, 31)),
            ("Feb13", date(2013, 2, 28)),
        ] {
            assert_eq!(labels_and_dues(text), one(text, Some(due)), "{text}");
        }
    }

    #[test]
    fn ranges_are_one_milestone_due_at_the_end() {
        for (text, due) in [
            ("Oct 12 – Dec 12", date(2012, 12, 31)),
            ("Sept-Oct 12", date(2012, 10, 31)),
            ("Oct-Dec 12", date(2012, 12, 31)),
            ("Nov 12 – Jan 13", date(2013, 1, 31)),
            ("Oct 12- Dec 12", date(2012, 12, 31)),
        ] {
            assert_eq!(labels_and_dues(text), one(text, Some(due)), "{text}");
        }
    }

    #[test]
    fn several_milestones_in_order() {
        assert_eq!(
            labels_and_dues("Sept 12 Oct 12 Dec 12"),
            vec![
                ("Sept 12".to_string(), Some(date(2012, 9, 30))),
                ("Oct 12".to_string(), Some(date(2012, 10, 31))),
                ("Dec 12".to_string(), Some(date(2012, 12, 31))),
            ]
        );
        assert_eq!(
            labels_and_dues("Sept and Oct 12"),
            vec![
                ("Sept".to_string(), Some(date(2012, 9, 30))),
                ("Oct 12".to_string(), Some(date(2012, 10, 31))),
            ]
        );
        assert_eq!(
            labels_and_dues("Stage 1 – Nov 12 Stage 2 – March 13"),
            vec![
                ("Stage 1 – Nov 12".to_string(), Some(date(2012, 11, 30))),
                ("Stage 2 – March 13".to_string(), Some(date(2013, 3, 31))),
            ]
        );
    }

    #[test]
    fn within_immediate_and_undated_milestones() {
        for (text, due) in [
            ("Within 6 months (April 2013)", Some(date(2013, 4, 30))),
            ("Within 3 months (Jan 13)", Some(date(2013, 1, 31))),
            ("3 months (Jan 13)", Some(date(2013, 1, 31))),
            ("Within 3 months", Some(date(2013, 1, 31))),
            ("Within 6 months", Some(date(2013, 4, 30))),
            ("Immediate Dec 12", Some(date(2012, 12, 31))),
            ("By 19.10.12", Some(date(2012, 10, 19))),
            ("Immediate", None),
            ("2012 onwards", None),
            ("Completed", None),
        ] {
            assert_eq!(labels_and_dues(text), one(text, due), "{text}");
        }
        assert!(parse_milestones("Within 9 months").is_err());
        assert!(parse_milestones("soon").is_err());
        assert!(parse_milestones("Sept").is_err());
        assert!(parse_milestones("By 31.02.13").is_err());
    }

    #[test]
    fn extensions_and_removal_are_not_milestones() {
        let b = parse_by_when("Oct 12 – Dec 12 Extension to timescale agreed Jan 13").expect("ok");
        assert_eq!(b.milestones.len(), 1);
        assert_eq!(
            b.extensions,
            vec![Extension {
                raw: "Extension to timescale agreed Jan 13".into(),
                agreed_on: Some(date(2013, 1, 31)),
                new_due: None,
                reason: None,
            }]
        );
        let b = parse_by_when("Oct 12- Dec 12 Extension to timescale agreed Jan13").expect("ok");
        assert_eq!(b.extensions[0].agreed_on, Some(date(2013, 1, 31)));
        let b = parse_by_when(&clean(
            "Within 3 months (Jan 13) <i>Extension to timescale</i> agreed",
        ))
        .expect("ok");
        assert_eq!(b.milestones.len(), 1);
        assert_eq!(b.extensions[0].raw, "Extension to timescale agreed");
        assert_eq!(b.extensions[0].agreed_on, None);
        let b = parse_by_when("Feb 13 Remove from plan").expect("ok");
        assert_eq!(
            labels_and_dues("Feb 13"),
            vec![(b.milestones[0].label.clone(), b.milestones[0].due)]
        );
        assert_eq!(
            b.removal,
            Some(RemovalProposal {
                raw: "Remove from plan".into()
            })
        );
        assert!(b.extensions.is_empty());
    }
}
