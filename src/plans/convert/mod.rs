//! Converts the flattened text of the Herefordshire improvement plan
//! (`data/source/herefordshire-improvement-plan-v2.2.txt`) into a [`PlanFile`]
//! (`data/herefordshire-2012.json`).
//!
//! The source (see `GLOSSARY.md` beside the seed) is a text rendering of the published plan: a
//! preamble of headed lists, then tab-separated action rows under "Theme N:" headings that repeat on
//! every page. Rows that crossed a page break continue on following lines. General rules are
//! implemented as code; every decision that applies to particular actions or spellings is a
//! commented constant or table below, so a reviewer can check each one against the source.
//!
//! [`convert`] never panics: any input it cannot read is reported as a [`ConvertError`] naming the
//! 1-based line and what was wrong.

use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

use chrono::{Months, NaiveDate};
use regex::Regex;

use super::format::*;

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

// ---------------------------------------------------------------------------------------------
// Plan-level hand decisions
// ---------------------------------------------------------------------------------------------

/// Stable identifier; the source has none (plans are named by authority and first year).
const SLUG: &str = "herefordshire-2012";
/// The owning authority; the source names the services, not the council, so it is set by hand.
const AUTHORITY: &str = "Herefordshire Council";
/// The plan is undated; its latest dated entries are January 2013 (1.5's `Green 07.01.13`,
/// "Extension to timescale agreed Jan 13"), so it speaks as of the end of that month.
const AS_OF: (i32, u32, u32) = (2013, 1, 31);

/// Section headings of the preamble, exactly as written.
const SEC_CONTEXT: &str = "Outline and context";
const SEC_LEVELS: &str = "The Herefordshire Levels of Need Pathway";
const SEC_AIMS: &str = "Priority Aims";
const SEC_MEASURES: &str = "Outcome measures";
const SEC_EVIDENCE: &str = "Evidence for performance indicators";
const SEC_REFKEY: &str = "Reference key";
const SEC_RAG: &str = "RAG table";
const SEC_WORKSTREAMS: &str =
    "Actions have been separated into work streams. These are colour-coded as follows:";

/// Preamble sentences that format.rs has no field for; they are recognised and left out.
const PREAMBLE_SKIPPED: &[&str] = &[
    // Lead-in of the Levels of Need list; format.rs documents `levels_of_need` as its items.
    "Ensuring children and young people are safeguarded by:",
    // A statement of intent after the evidence categories; there is no field for it.
    "A performance framework will be established to this effect.",
    // Introduces the RAG table, which becomes `rag_scale`.
    "The outcomes are RAG rated and the descriptors are outlined in the following table:",
];

/// People: (code, display name, other spellings). Codes are the plan's initials in one spelling;
/// where the plan gives a full name it is the display name and an alias.
const PEOPLE: &[(&str, &str, &[&str])] = &[
    ("KOM", "KOM", &[]),
    ("DM", "DM", &[]),
    // Spelt `JRez`, `J.Rez`, `J. Rez` in the lead cells.
    ("JRez", "JRez", &["J.Rez", "J. Rez"]),
    // Spelt `PMe` (2.1 (b)) and `Pme` (2.1 (a)).
    ("PMe", "PMe", &["Pme"]),
    ("CB", "CB", &[]),
    // Spelt `JRoberts` and `J. Roberts`.
    ("JRoberts", "J. Roberts", &["J. Roberts"]),
    ("BA", "BA", &[]),
    ("JD", "JD", &[]),
    // Written `Andy Churcher` (1.7, 2.14, 3.10, 4.7) and `AC` (3.9 `DM/AC/`, 4.18 `DM/AC`).
    ("AC", "Andy Churcher", &["Andy Churcher"]),
    // The people below are named only in full; their codes are their initials.
    ("DMcM", "Debbie McMillan", &["Debbie McMillan"]),
    ("LK", "Les Knight", &["Les Knight"]),
    ("LR", "Lynne Renton", &["Lynne Renton"]),
    ("SC", "Sarah Cox", &["Sarah Cox"]),
    ("JRou", "John Roughton", &["John Roughton"]),
];

/// Work-stream words in lead cells → canonical work stream.
const WORKSTREAM_WORDS: &[(&str, &str)] = &[
    ("Practice", "Practice"),
    ("QA", "QA"),
    ("HSCB", "HSCB"),
    ("Workforce", "Workforce"),
    ("MASH", "MASH"),
    ("LAC", "LAC"),
    ("Commissioning", "Commissioning"),
    // The plan's abbreviation for the Commissioning work stream (CB's actions, 2.2 .. 5.12).
    ("C&C", "Commissioning"),
];

/// Phrases in lead cells that are neither a person nor a work stream; kept only in `lead_text`.
const LEAD_NOTES: &[&str] = &[
    // 3.9 `DM/AC/ Buy in support HSCB`: external support to be bought in, not a person.
    "Buy in support",
];

/// Lead cells that name no work stream → the work stream they belong to.
const LEAD_WORKSTREAM_DEFAULTS: &[(&str, &str)] = &[
    // 3.42–3.45 (leadership development, mentoring, scrutiny, leadership capacity) are led by JD
    // alone. The plan lists a "Strengthening Governance" work stream but names no row with it;
    // these are its leadership/governance actions.
    ("JD", "Strengthening Governance"),
];

/// People who raised actions (reference codes that are not documents): (code, title, person).
const PERSON_REFERENCES: &[(&str, &str, &str)] = &[
    ("JD", "Raised by JD", "JD"),
    ("Staff via KOM", "Raised by staff via KOM", "KOM"),
];

/// The five "Evidence for performance indicators" phrases and the variants actions write.
/// Longer phrases are tried first where they overlap.
const EVIDENCE_CATEGORY_PHRASES: &[(&str, i32)] = &[
    ("Stakeholder and service user consultations", 1),
    // 2.4's shortened spelling of category 1.
    ("Stakeholder consultations", 1),
    // 3.36's singular spelling of category 1.
    ("Stakeholder consultation", 1),
    ("Consultation, audit, surveys", 2),
    (
        "Child Protection (CP) data, audit, Looked After Child (LAC) data",
        3,
    ),
    (
        "Workforce data, supervision, quality assurance, career professional development (CPD) data",
        4,
    ),
    ("Commissioning data, multi-agency data audit", 5),
];

// ---------------------------------------------------------------------------------------------
// Per-action hand decisions
// ---------------------------------------------------------------------------------------------

/// Which column a bare (not tab-separated) continuation line belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Column {
    Outcome,
    Evidence,
}

/// Lines that continue the previous action's cell without the table's tabs: (action, text, column).
const BARE_CONTINUATIONS: &[(&str, &str, Column)] = &[
    // Completes 2.4's "... enhanced systematic action"; 2.2, 2.6 and 2.7 carry the same outcome.
    (
        "2.4",
        "resulting from feedback from children and young people",
        Column::Outcome,
    ),
    // Complete 3.16's "Commissioning data, multi-" (evidence category 5).
    ("3.16", "agency data", Column::Evidence),
    ("3.16", "audit", Column::Evidence),
    // Completes 3.24's "Minute taking"; the evidence cell is complete (two categories).
    ("3.24", "minimised", Column::Outcome),
    // Completes 3.41's "CP conferences are used effectively for".
    ("3.41", "decision making", Column::Outcome),
];

/// Objective bullet items that the source flattened into one item: (action, phrases that start
/// a new item, in order). Each was checked against the plan's list layout.
const OBJECTIVE_ITEM_SPLITS: &[(&str, &[&str])] = &[
    // `<ul>` of three steps: audit 2 cases / decide monitoring mechanism / monitor plan.
    ("3.5", &["Decide mechanism", "Monitor plan"]),
    // `<ul>` of two steps: performance framework / trial new procedures.
    ("3.35", &["Trial new procedures"]),
    // `<ul>` of three steps: evaluate / agree and action / evaluate and adjust.
    ("3.47", &["Agree and action", "Evaluate and make"]),
    // `<ul>` of four staffing measures.
    (
        "4.2",
        &["Recruiting 2 ATMs", "SF to move", "Additional ATM"],
    ),
    // A progress remark after the two bullets; kept as an item of its own, not glued to bullet 2.
    ("4.13", &["Audit suggests"]),
    // `<ul>` of two steps: review training / inform strategy.
    ("4.34", &["Use this to inform"]),
];

/// Outcome cells holding several targets flattened into one line: (action, phrases that start a
/// new target, in order). Each split falls where a new sentence-case target begins; where the
/// plan gives one milestone per target (1.7, 3.10, 3.21, 3.27, 4.4, 4.7, 4.31, 5.3, 5.6) the
/// counts agree.
const OUTCOME_SPLITS: &[(&str, &[&str])] = &[
    // The CAF actions' two targets: agencies use CAF / needs met at an appropriate stage.
    ("1.4", &["Children's needs are met"]),
    ("1.5", &["Children's needs are met"]),
    // Three targets for the three milestones Sept 12 / Oct 12 / Dec 12.
    ("1.7", &["Identify gaps", "Assess the impact"]),
    ("2.3", &["Children's needs are met"]),
    ("2.15", &["Children's needs are met"]),
    ("2.17", &["Children's needs are met"]),
    // Three targets for the three milestones Sept 12 / Dec 12 / Nov 12.
    ("3.10", &["100% of quarterly", "Training for Board"]),
    // Two targets for the two milestones July 12 / Dec 12.
    ("3.21", &["All agencies submitting"]),
    // Two sentences: reporting system / minute taking minimised.
    ("3.24", &["Minute taking"]),
    // Two targets: timely assessments / reviews and visits within timescale.
    ("3.26", &["All reviews and statutory"]),
    // Two targets for the two milestones Nov 12 / Feb 13.
    ("3.27", &["All agencies have identified"]),
    // `<ul>` of three targets without bullet characters.
    (
        "3.47",
        &["CP plans much SMARTer", "Better ownership of CPPs"],
    ),
    // Two targets: consistency of practice / service is safe.
    ("4.2", &["Service is safe"]),
    // Three targets for the three milestones July 12 / July 12 / Jan 13.
    ("4.4", &["Complete tender process", "SARC implemented"]),
    // Two targets for the two milestones Sept 12 / Oct 12 (second on the continuation row).
    ("4.7", &["Include child and staff voices"]),
    // Two sentences: cases supervised / staff supervised.
    ("4.13", &["Staff confirmed"]),
    // Two sentences: agencies understand thresholds / needs met.
    ("4.14", &["Children's needs are being met"]),
    ("4.15", &["Children's needs are met"]),
    ("4.16", &["Children's needs are met"]),
    // Two targets for the two milestones Jan 13 / March13.
    ("4.31", &["100% of schools have at least"]),
    // Two targets for the two milestones Nov 12 / Dec 12 (second on the continuation row).
    ("5.3", &["Intelligence about levels"]),
    // Three targets for the three milestones Feb 13 / March 13 / Dec 12 (and three lead pairs).
    (
        "5.6",
        &["Action plans developed", "100% of recommendations"],
    ),
];

/// Evidence text (outside the five category phrases) that concatenates several sources:
/// (action, phrases that start a new item, in order).
const EVIDENCE_SPLITS: &[(&str, &[&str])] = &[
    // "CP data Service user feedback Audit".
    ("1.3", &["Service user feedback", "Audit"]),
    // "Audit Data: number of changes of SW Staffing data" (last on the continuation row).
    ("1.9", &["Data: number", "Staffing data"]),
    // "Audit CAF data Referral data".
    ("2.9", &["CAF data", "Referral data"]),
    // "Audit Data Consultation": the AA6 actions list audit, data and consultation.
    ("2.10", &["Data", "Consultation"]),
    ("2.12", &["Data", "Consultation"]),
    // "Review Audit": a case review and an audit (3.1 asks to audit and risk assess cases).
    ("3.1", &["Audit"]),
    ("3.2", &["Audit"]),
    ("3.6", &["Audit"]),
    // "Supervision audits Case audits".
    ("3.33", &["Case audits"]),
    // "Audit Data".
    ("3.34", &["Data"]),
    // The leadership actions' four sources: minutes / performance framework / surveys / 360.
    (
        "3.42",
        &[
            "Performance framework",
            "Staff and partner",
            "360 evaluation",
        ],
    ),
    (
        "3.43",
        &[
            "Performance framework",
            "Staff and partner",
            "360 evaluation",
        ],
    ),
    (
        "3.44",
        &[
            "Performance framework",
            "Staff and partner",
            "360 evaluation",
        ],
    ),
    (
        "3.45",
        &[
            "Performance framework",
            "Staff and partner",
            "360 evaluation",
        ],
    ),
    // "Audit Competency frameworks Staff surveys".
    ("4.23", &["Competency frameworks", "Staff surveys"]),
    // "Competency frameworks Audit Survey".
    ("4.24", &["Audit", "Survey"]),
    // "Supervision data Audit".
    ("4.25", &["Audit"]),
    // "Audit Workforce data".
    ("4.30", &["Workforce data"]),
    // "Audit Training plans Data on training attendance".
    ("4.32", &["Training plans", "Data on training"]),
];

/// Bare "Within N months" with no bracketed date → due date. Inferred from the other AA6
/// (Ofsted report) actions, which all write "Within 3 months (Jan 13)" and
/// "Within 6 months (April 2013)"; used by 4.25 and 2.8.
const BARE_WITHIN: &[(&str, (i32, u32))] = &[
    ("Within 3 months", (2013, 1)),
    ("Within 6 months", (2013, 4)),
];

// ---------------------------------------------------------------------------------------------
// Text helpers
// ---------------------------------------------------------------------------------------------

fn re(pattern: &str) -> Regex {
    // Patterns are constants of this module, exercised by the tests.
    Regex::new(pattern).expect("constant regex is valid")
}

static TAG: LazyLock<Regex> = LazyLock::new(|| re(r"<(/?)([A-Za-z][A-Za-z0-9]*)\b[^<>]*>"));
static ENTITY: LazyLock<Regex> =
    LazyLock::new(|| re(r"&(?:#([0-9]{1,7})|#[xX]([0-9A-Fa-f]{1,6})|([A-Za-z]+));"));
static BULLET_BOUNDARY: LazyLock<Regex> = LazyLock::new(|| re(r"(?i)<ul\b[^<>]*>|<li\b[^<>]*>|•"));
static DASH_ITEM: LazyLock<Regex> = LazyLock::new(|| re(r"(?:^|\s)-[A-Za-z]"));
static LETTER_ITEM: LazyLock<Regex> = LazyLock::new(|| re(r"(?:^|\s)[a-z]\)\s"));
static THEME_HEADING: LazyLock<Regex> = LazyLock::new(|| re(r"^Theme\s+(\d{1,6})\s*:\s*(.+)$"));
static REFKEY_LINE: LazyLock<Regex> = LazyLock::new(|| re(r"^(AA\d{1,6}):\s*(.+)$"));
static ACTION_NUMBER: LazyLock<Regex> =
    LazyLock::new(|| re(r"^(\d{1,6}\.\d{1,6}(?: \([a-z]\))?)(?:\s+(Link to\b.*))?$"));
static LINK_CODE: LazyLock<Regex> = LazyLock::new(|| re(r"^\d{1,6}\.\d{1,6}$"));
static EVIDENCE_NUMBERED: LazyLock<Regex> = LazyLock::new(|| re(r"^(\d{1,6})\.\s+(.+)$"));
static MOVE: LazyLock<Regex> = LazyLock::new(|| re(r"(?i)\bmoved\s+to\s+([A-Za-z&]+)"));
static EXTENSION: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?i)\bextension\s+to\s+timescale\s+agreed\b"));
static REMOVAL: LazyLock<Regex> = LazyLock::new(|| re(r"(?i)\bremove\s+from\s+plan\b"));
static RAG_CELL: LazyLock<Regex> =
    LazyLock::new(|| re(r"^(?i:(red|amber|green|grey|blue))\b\s*(.*)$"));
static DOTTED_DATE: LazyLock<Regex> =
    LazyLock::new(|| re(r"^(\d{1,2})\.(\d{1,2})\.(\d{4}|\d{2})\b\s*(.*)$"));

/// Inline formatting tags vanish; block tags (`<p>`, `<ul>`, `<li>`, `<h2>` ...) become a space.
fn strip_tags(s: &str) -> String {
    TAG.replace_all(s, |c: &regex::Captures| {
        let name = c.get(2).map_or("", |m| m.as_str()).to_ascii_lowercase();
        match name.as_str() {
            "i" | "b" | "em" | "strong" | "u" | "span" | "font" => "",
            _ => " ",
        }
    })
    .into_owned()
}

/// Decodes HTML character references (`&amp;`, `&#8211;` ...); unknown ones are kept as written.
fn decode_entities(s: &str) -> String {
    ENTITY
        .replace_all(s, |c: &regex::Captures| {
            let whole = c.get(0).map_or("", |m| m.as_str()).to_string();
            let decoded = if let Some(d) = c.get(1) {
                d.as_str().parse::<u32>().ok().and_then(char::from_u32)
            } else if let Some(h) = c.get(2) {
                u32::from_str_radix(h.as_str(), 16)
                    .ok()
                    .and_then(char::from_u32)
            } else {
                match c.get(3).map_or("", |m| m.as_str()) {
                    "amp" => Some('&'),
                    "lt" => Some('<'),
                    "gt" => Some('>'),
                    "quot" => Some('"'),
                    "apos" => Some('\''),
                    "nbsp" => Some(' '),
                    _ => None,
                }
            };
            decoded.map_or(whole, String::from)
        })
        .into_owned()
}

fn collapse(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Cell text: tags stripped, entities decoded, whitespace collapsed and trimmed.
fn clean(s: &str) -> String {
    collapse(&decode_entities(&strip_tags(s)))
}

/// Appends a continuation fragment to a cell. A word broken by a hyphen at the end of a line
/// (`multi-` + `agency data audit`, 3.9 and 3.16) is rejoined without a space; otherwise a space.
fn append_cell(dst: &mut String, add: &str) {
    let add = add.trim();
    if add.is_empty() {
        return;
    }
    let trimmed = dst.trim_end();
    if trimmed.is_empty() {
        dst.clear();
        dst.push_str(add);
        return;
    }
    let mut tail = trimmed.chars().rev();
    let hyphenated = tail.next() == Some('-') && tail.next().is_some_and(|c| c.is_alphabetic());
    let len = trimmed.len();
    dst.truncate(len);
    if !hyphenated {
        dst.push(' ');
    }
    dst.push_str(add);
}

/// Case-insensitive ASCII prefix; returns the rest.
fn eat_ci<'a>(s: &'a str, word: &str) -> Option<&'a str> {
    let head = s.get(..word.len())?;
    if head.eq_ignore_ascii_case(word) {
        s.get(word.len()..)
    } else {
        None
    }
}

/// Like [`eat_ci`], but the word must end there (no letter or digit follows).
fn eat_word<'a>(s: &'a str, word: &str) -> Option<&'a str> {
    let rest = eat_ci(s, word)?;
    if rest.starts_with(|c: char| c.is_alphanumeric()) {
        None
    } else {
        Some(rest)
    }
}

fn eat_digits(s: &str) -> Option<(&str, &str)> {
    let n = s.len() - s.trim_start_matches(|c: char| c.is_ascii_digit()).len();
    if n == 0 {
        return None;
    }
    Some((s.get(..n)?, s.get(n..)?))
}

/// The text consumed between `start` and its suffix `rest`.
fn consumed<'a>(start: &'a str, rest: &str) -> &'a str {
    start
        .get(..start.len().saturating_sub(rest.len()))
        .unwrap_or(start)
}

/// Splits `items[i]` where each marker begins a new item; markers are applied in order, each
/// searched from the item the previous one produced onwards, at a word start (not the item's
/// first word). `splittable[i]` says which items may be split.
fn apply_splits(
    items: &mut Vec<String>,
    splittable: &mut Vec<bool>,
    markers: &[&str],
) -> Result<(), String> {
    splittable.resize(items.len(), false);
    let mut from = 0;
    for marker in markers {
        let found = (from..items.len()).find_map(|i| {
            if !splittable.get(i).copied().unwrap_or(false) {
                return None;
            }
            let item = items.get(i)?;
            item.match_indices(marker)
                .map(|(p, _)| p)
                .find(|&p| {
                    p > 0
                        && item
                            .get(..p)
                            .is_some_and(|h| h.ends_with(|c: char| c.is_whitespace()))
                })
                .map(|p| (i, p))
        });
        let Some((i, p)) = found else {
            return Err(format!("split marker {marker:?} not found"));
        };
        let item = std::mem::take(&mut items[i]);
        let (head, tail) = item.split_at(p);
        items[i] = head.trim().to_string();
        items.insert(i + 1, tail.trim().to_string());
        splittable.insert(i + 1, true);
        from = i + 1;
    }
    Ok(())
}

fn table_lookup<'a, T>(table: &'a [(&str, T)], code: &str) -> Option<&'a T> {
    table.iter().find(|(c, _)| *c == code).map(|(_, v)| v)
}

// ---------------------------------------------------------------------------------------------
// Dates and milestones
// ---------------------------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------------------------
// RAG, Ofsted, leads, references
// ---------------------------------------------------------------------------------------------

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

/// The area whose section number is `section` (1 OE, 2 EHP, 3 QP, 4 LG).
fn area_of_section(section: &str) -> Option<OfstedArea> {
    match section {
        "1" => Some(OfstedArea::OE),
        "2" => Some(OfstedArea::EHP),
        "3" => Some(OfstedArea::QP),
        "4" => Some(OfstedArea::LG),
        _ => None,
    }
}

fn section_of_area(area: OfstedArea) -> &'static str {
    match area {
        OfstedArea::OE => "1",
        OfstedArea::EHP => "2",
        OfstedArea::QP => "3",
        OfstedArea::LG => "4",
    }
}

/// A descriptor number as written (`3.21`, `.4.15`, `3.8.`, `7`) → (section, item).
/// Stray dots at either end are typos (`LG .4.15`, `LG. 4.18`, `3.8.`) and are dropped.
fn descriptor_number(s: &str) -> Option<(Option<&str>, &str)> {
    let t = s.trim().trim_matches('.').trim().trim_start_matches('.');
    let (a, rest) = eat_digits(t)?;
    if rest.is_empty() {
        return Some((None, a));
    }
    let (b, rest) = eat_digits(rest.strip_prefix('.')?)?;
    rest.is_empty().then_some((Some(a), b))
}

fn area_prefix(word: &str) -> Option<(OfstedArea, &str)> {
    // Longest first so `EHP` is not read as something shorter.
    [
        OfstedArea::EHP,
        OfstedArea::OE,
        OfstedArea::QP,
        OfstedArea::LG,
    ]
    .into_iter()
    .find_map(|a| word.strip_prefix(a.as_str()).map(|r| (a, r)))
}

/// Splits an Ofsted cell into normalised descriptors (duplicates of a code keep the first).
pub(crate) fn parse_ofsted(cell: &str) -> Result<Vec<OfstedDescriptor>, String> {
    let words: Vec<&str> = cell.split_whitespace().collect();
    let mut out: Vec<OfstedDescriptor> = Vec::new();
    let mut i = 0;
    while let Some(&w) = words.get(i) {
        let desc = if let Some((area, rest)) = area_prefix(w) {
            let after = rest.trim_start_matches('.');
            let (raw, number) = if after.is_empty() {
                // `LG` alone, or `LG .4.15`, `LG. 4.18`, `EHP 3.14` (number in the next word).
                match words.get(i + 1).filter(|n| descriptor_number(n).is_some()) {
                    Some(n) => {
                        i += 1;
                        (format!("{w} {n}"), Some(*n))
                    }
                    None => (w.to_string(), None),
                }
            } else {
                (w.to_string(), Some(rest))
            };
            match number {
                None => OfstedDescriptor {
                    code: area.as_str().to_string(),
                    area,
                    raw,
                },
                Some(n) => {
                    let (section, item) = descriptor_number(n)
                        .ok_or_else(|| format!("unrecognised Ofsted descriptor {raw:?}"))?;
                    // An area with an item but no section (`LG.7`) takes the area's own section:
                    // LG.7 is LG4.7, which 2.6's sibling actions 2.2/2.4 cite with LG4.1.
                    let section = section.unwrap_or(section_of_area(area));
                    OfstedDescriptor {
                        code: format!("{}{section}.{item}", area.as_str()),
                        area,
                        raw,
                    }
                }
            }
        } else {
            // A bare number names the area of its section (3.21 = QP3.21).
            match descriptor_number(w) {
                Some((Some(section), item)) => {
                    let area = area_of_section(section)
                        .ok_or_else(|| format!("Ofsted descriptor {w:?} names no known section"))?;
                    OfstedDescriptor {
                        code: format!("{}{section}.{item}", area.as_str()),
                        area,
                        raw: w.to_string(),
                    }
                }
                _ => return Err(format!("unrecognised Ofsted descriptor {w:?}")),
            }
        };
        if !out.iter().any(|d| d.code == desc.code) {
            out.push(desc);
        }
        i += 1;
    }
    Ok(out)
}

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

/// Reference cell → codes in order (`AA1 AA3`, `JD`, `Staff via KOM`).
fn parse_references(cell: &str, known: &[String]) -> Result<Vec<String>, String> {
    let mut sorted: Vec<&String> = known.iter().collect();
    sorted.sort_by_key(|c| std::cmp::Reverse(c.len()));
    let mut out = Vec::new();
    let mut rest = cell.trim_start_matches(|c: char| c.is_whitespace() || c == ',');
    while !rest.is_empty() {
        let found = sorted.iter().find_map(|code| {
            let r = rest.strip_prefix(code.as_str())?;
            (!r.starts_with(|c: char| c.is_alphanumeric())).then_some((code.as_str(), r))
        });
        let Some((code, r)) = found else {
            let shown: String = rest.chars().take(30).collect();
            return Err(format!("unknown reference {shown:?}"));
        };
        if !out.iter().any(|c: &String| c == code) {
            out.push(code.to_string());
        }
        rest = r.trim_start_matches(|c: char| c.is_whitespace() || c == ',');
    }
    Ok(out)
}

/// "Link to 3.9 2.8 1.2 and 1.3" → codes.
fn parse_links(text: &str) -> Result<Vec<String>, String> {
    let t = collapse(text);
    if t.is_empty() {
        return Ok(Vec::new());
    }
    let Some(list) = t.strip_prefix("Link to") else {
        return Err(format!("unexpected text {t:?} in the number cell"));
    };
    let mut out = Vec::new();
    for w in list.split(|c: char| c.is_whitespace() || c == ',') {
        if w.is_empty() || w == "and" {
            continue;
        }
        if !LINK_CODE.is_match(w) {
            return Err(format!("unrecognised link target {w:?}"));
        }
        if !out.iter().any(|c: &String| c == w) {
            out.push(w.to_string());
        }
    }
    if out.is_empty() {
        return Err("\"Link to\" names no action".into());
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// Objectives, outcomes, evidence
// ---------------------------------------------------------------------------------------------

/// Splits a cell at list boundaries (`<ul>`, `<li>`, `•`): the text before the first is the lead.
fn split_bullets(raw: &str) -> (String, Vec<String>) {
    let mut parts = BULLET_BOUNDARY.split(raw).map(clean);
    let lead = parts.next().unwrap_or_default();
    (lead, parts.filter(|s| !s.is_empty()).collect())
}

/// Items introduced by a marker regex (`-Audit ...`, `a) ...`): at least two must occur.
fn split_marked(lead: &str, marker: &Regex, skip: usize) -> Option<(String, Vec<String>)> {
    let found: Vec<(usize, usize)> = marker
        .find_iter(lead)
        .map(|m| (m.start(), m.end()))
        .collect();
    if found.len() < 2 {
        return None;
    }
    let head = lead.get(..found[0].0)?.trim().to_string();
    let mut items = Vec::new();
    for (k, &(_, end)) in found.iter().enumerate() {
        let stop = found.get(k + 1).map_or(lead.len(), |n| n.0);
        let item = lead.get(end.saturating_sub(skip)..stop)?.trim();
        items.push(item.to_string());
    }
    Some((head, items))
}

/// The objective cell → (lead sentence, items). Items come from `<ul>`/`<li>`/`•` lists, from
/// `-Item` lists (2.1 (b)) and from `a) ... b) ...` lists (3.39, whose items end in a separating
/// comma that is dropped). A cell that is only a list (1.9, 3.5, 3.35, 4.30) has no lead
/// sentence; its objective is then the items' text in order, so that it is never empty.
pub(crate) fn parse_objective(raw: &str) -> (String, Vec<String>) {
    let (lead, mut items) = split_bullets(raw);
    let mut lead = lead;
    if items.is_empty() {
        if let Some((h, it)) = split_marked(&lead, &DASH_ITEM, 1) {
            lead = h;
            items = it;
        } else if let Some((h, it)) = split_marked(&lead, &LETTER_ITEM, 0) {
            lead = h;
            items = it
                .into_iter()
                .map(|s| s.trim_end_matches(',').trim_end().to_string())
                .collect();
        }
    }
    (lead, items)
}

fn finish_objective(lead: String, items: &[String]) -> String {
    if lead.is_empty() {
        items.join(" ")
    } else {
        lead
    }
}

/// Outcome cell → targets (list items; text before a list is a target too).
pub(crate) fn parse_outcomes(raw: &str) -> Vec<String> {
    let (lead, items) = split_bullets(raw);
    let mut out = Vec::new();
    if !lead.is_empty() {
        out.push(lead);
    }
    out.extend(items);
    out
}

/// Evidence cell → items: each category phrase is an item (with its category number) and the
/// text between them forms items of its own.
pub(crate) fn parse_evidence(raw: &str) -> Vec<(String, Option<i32>)> {
    let text = clean(raw);
    let mut out = Vec::new();
    let mut rest = text.as_str();
    loop {
        // Earliest phrase occurrence, longest at the same position, ending at a word boundary.
        let mut best: Option<(usize, &str, i32)> = None;
        for (phrase, cat) in EVIDENCE_CATEGORY_PHRASES {
            for (p, _) in rest.match_indices(phrase) {
                let after = rest.get(p + phrase.len()..).unwrap_or("");
                if after.starts_with(|c: char| c.is_alphanumeric()) {
                    continue;
                }
                let better = match best {
                    None => true,
                    Some((bp, bphrase, _)) => p < bp || (p == bp && phrase.len() > bphrase.len()),
                };
                if better {
                    best = Some((p, phrase, *cat));
                }
                break;
            }
        }
        let Some((p, phrase, cat)) = best else {
            break;
        };
        let before = rest.get(..p).unwrap_or("").trim();
        if !before.is_empty() {
            out.push((before.to_string(), None));
        }
        out.push((phrase.to_string(), Some(cat)));
        rest = rest.get(p + phrase.len()..).unwrap_or("");
    }
    let tail = rest.trim();
    if !tail.is_empty() {
        out.push((tail.to_string(), None));
    }
    out
}

fn category_of(phrase: &str) -> Option<i32> {
    EVIDENCE_CATEGORY_PHRASES
        .iter()
        .find(|(p, _)| *p == phrase)
        .map(|(_, c)| *c)
}

// ---------------------------------------------------------------------------------------------
// The document
// ---------------------------------------------------------------------------------------------

const COLUMNS: usize = 9;
const C_NUMBER: usize = 0;
const C_REFERENCE: usize = 1;
const C_OBJECTIVE: usize = 2;
const C_OUTCOME: usize = 3;
const C_EVIDENCE: usize = 4;
const C_LEAD: usize = 5;
const C_BY_WHEN: usize = 6;
const C_RAG: usize = 7;
const C_OFSTED: usize = 8;

/// An action row with its continuations, cells as written (tags kept).
struct RawAction {
    line: usize,
    theme: i32,
    code: String,
    /// `cells[C_NUMBER]` holds the number cell's text after the code ("Link to ...").
    cells: [String; COLUMNS],
}

fn is_blank(line: &str) -> bool {
    line.trim().is_empty()
}

fn theme_heading(line: &str) -> Option<(Option<i32>, String)> {
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

struct Preamble {
    title: String,
    version: String,
    context: Vec<String>,
    levels: Vec<String>,
    aims: Vec<String>,
    measures: Vec<String>,
    evidence: Vec<EvidenceCategory>,
    refkey: Vec<(String, String)>,
    rag: Vec<RagLevel>,
    workstreams: Vec<String>,
}

fn parse_preamble(lines: &[&str], end: usize) -> Result<Preamble, ConvertError> {
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
fn parse_rows(
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

struct Built {
    action: Action,
    evidence: Vec<(String, Option<i32>)>,
}

fn build_action(
    raw: &RawAction,
    reference_codes: &[String],
    workstreams: &[String],
) -> Result<Built, ConvertError> {
    let line = raw.line;
    let code = raw.code.as_str();
    let at = |msg: String| ConvertError {
        line,
        message: format!("action {code}: {msg}"),
    };
    let links = parse_links(&raw.cells[C_NUMBER]).map_err(at)?;
    let references =
        parse_references(&clean(&raw.cells[C_REFERENCE]), reference_codes).map_err(at)?;
    if references.is_empty() {
        return Err(at("no reference".into()));
    }

    let (lead, mut items) = parse_objective(&raw.cells[C_OBJECTIVE]);
    if let Some(markers) = table_lookup(OBJECTIVE_ITEM_SPLITS, code) {
        let mut flags = vec![true; items.len()];
        apply_splits(&mut items, &mut flags, markers).map_err(|e| at(format!("objective: {e}")))?;
    }
    let objective = finish_objective(lead, &items);
    if objective.is_empty() {
        return Err(at("empty objective".into()));
    }

    let mut outcomes = parse_outcomes(&raw.cells[C_OUTCOME]);
    if let Some(markers) = table_lookup(OUTCOME_SPLITS, code) {
        let mut flags = vec![true; outcomes.len()];
        apply_splits(&mut outcomes, &mut flags, markers)
            .map_err(|e| at(format!("outcome: {e}")))?;
    }

    // Category phrases are never split; the text around them may be (EVIDENCE_SPLITS).
    let (mut names, cats): (Vec<String>, Vec<Option<i32>>) =
        parse_evidence(&raw.cells[C_EVIDENCE]).into_iter().unzip();
    let mut splittable: Vec<bool> = cats.iter().map(Option::is_none).collect();
    if let Some(markers) = table_lookup(EVIDENCE_SPLITS, code) {
        apply_splits(&mut names, &mut splittable, markers)
            .map_err(|e| at(format!("evidence: {e}")))?;
    }
    let evidence: Vec<(String, Option<i32>)> = names
        .into_iter()
        .zip(splittable)
        .map(|(name, free)| {
            let cat = if free { None } else { category_of(&name) };
            (name, cat)
        })
        .collect();

    let lead_text = clean(&raw.cells[C_LEAD]);
    let leads = parse_leads(&lead_text).map_err(at)?;
    if !workstreams.contains(&leads.workstream) {
        return Err(at(format!(
            "work stream {:?} is not in the plan's list",
            leads.workstream
        )));
    }

    let by_when = clean(&raw.cells[C_BY_WHEN]);
    let parsed = parse_by_when(&by_when).map_err(at)?;
    let rag = parse_rag(&clean(&raw.cells[C_RAG])).map_err(at)?;
    let ofsted = parse_ofsted(&clean(&raw.cells[C_OFSTED])).map_err(at)?;

    let action = Action {
        code: code.to_string(),
        theme: raw.theme,
        references,
        objective,
        objective_items: items,
        outcomes,
        evidence: evidence.iter().map(|(n, _)| n.clone()).collect(),
        leads: leads.people,
        lead_text,
        workstream: leads.workstream,
        by_when,
        milestones: parsed.milestones,
        rag,
        ofsted,
        links,
        extensions: parsed.extensions,
        moves: leads.moves,
        removal_proposal: parsed.removal,
        state: LifecycleState::Active,
        removed_reason: None,
    };
    Ok(Built { action, evidence })
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
    validate(&plan).map_err(|message| ConvertError {
        line: end_line,
        message,
    })?;
    Ok(plan)
}

/// Cross-references: every code an action names resolves to an entry of the file.
fn validate(plan: &PlanFile) -> Result<(), String> {
    let people: HashSet<&str> = plan.people.iter().map(|p| p.code.as_str()).collect();
    let refs: HashSet<&str> = plan.references.iter().map(|r| r.code.as_str()).collect();
    let evidence: HashSet<&str> = plan
        .evidence_sources
        .iter()
        .map(|e| e.name.as_str())
        .collect();
    let streams: HashSet<&str> = plan.workstreams.iter().map(|w| w.name.as_str()).collect();
    let themes: HashSet<i32> = plan.themes.iter().map(|t| t.number).collect();
    let codes: HashSet<&str> = plan.actions.iter().map(|a| a.code.as_str()).collect();
    if codes.len() != plan.actions.len() {
        return Err("action codes are not unique".into());
    }
    for r in &plan.references {
        if let Some(p) = &r.person {
            if !people.contains(p.as_str()) {
                return Err(format!("reference {} names unknown person {p}", r.code));
            }
        }
    }
    for a in &plan.actions {
        let bad = |what: &str, v: &str| Err(format!("action {}: unknown {what} {v:?}", a.code));
        if !themes.contains(&a.theme) {
            return bad("theme", &a.theme.to_string());
        }
        if let Some(v) = a.leads.iter().find(|v| !people.contains(v.as_str())) {
            return bad("person", v);
        }
        if let Some(v) = a.references.iter().find(|v| !refs.contains(v.as_str())) {
            return bad("reference", v);
        }
        if let Some(v) = a.evidence.iter().find(|v| !evidence.contains(v.as_str())) {
            return bad("evidence source", v);
        }
        if !streams.contains(a.workstream.as_str()) {
            return bad("work stream", &a.workstream);
        }
        for mv in &a.moves {
            if !streams.contains(mv.from.as_str()) || !streams.contains(mv.to.as_str()) {
                return bad("work stream in move", &mv.raw);
            }
        }
        if let Some(v) = a.links.iter().find(|v| !codes.contains(v.as_str())) {
            return bad("linked action", v);
        }
    }
    Ok(())
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

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const SEED: &str = include_str!("../../../data/source/herefordshire-improvement-plan-v2.2.txt");
    const SEED_JSON: &str = include_str!("../../../data/herefordshire-2012.json");

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("valid test date")
    }

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

    fn seed_plan() -> PlanFile {
        convert(SEED).expect("the shipped seed converts")
    }

    fn action<'a>(plan: &'a PlanFile, code: &str) -> &'a Action {
        plan.actions
            .iter()
            .find(|a| a.code == code)
            .expect("action exists")
    }

    // --- text helpers -------------------------------------------------------------------------

    #[test]
    fn clean_strips_tags_decodes_entities_and_collapses() {
        assert_eq!(
            clean("Develop the use of <i>Understanding Herefordshire</i>  to"),
            "Develop the use of Understanding Herefordshire to"
        );
        assert_eq!(clean("<p>a</p><p>b</p>"), "a b");
        assert_eq!(
            clean("C&C &amp; Co &#8211; x &bogus;"),
            "C&C & Co – x &bogus;"
        );
        assert_eq!(clean("  \t "), "");
    }

    #[test]
    fn continuation_rejoins_hyphenated_words_only() {
        let mut s = "Commissioning data, multi-".to_string();
        append_cell(&mut s, "agency data audit");
        assert_eq!(s, "Commissioning data, multi-agency data audit");
        let mut s = "Oct 12 –".to_string();
        append_cell(&mut s, "Dec 12");
        assert_eq!(s, "Oct 12 – Dec 12");
        let mut s = String::new();
        append_cell(&mut s, " x ");
        append_cell(&mut s, "");
        assert_eq!(s, "x");
    }

    // --- dates and milestones -----------------------------------------------------------------

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

    // --- RAG ----------------------------------------------------------------------------------

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

    // --- Ofsted -------------------------------------------------------------------------------

    fn ofsted(cell: &str) -> Vec<(String, OfstedArea, String)> {
        parse_ofsted(cell)
            .expect("ofsted parses")
            .into_iter()
            .map(|d| (d.code, d.area, d.raw))
            .collect()
    }

    fn d(code: &str, area: OfstedArea, raw: &str) -> (String, OfstedArea, String) {
        (code.into(), area, raw.into())
    }

    #[test]
    fn ofsted_codes() {
        use OfstedArea::*;
        assert_eq!(
            ofsted("QP3.3 EHP2.2"),
            vec![d("QP3.3", QP, "QP3.3"), d("EHP2.2", EHP, "EHP2.2")]
        );
        assert_eq!(
            ofsted("EHP 3.14 QP 3.19 LG 4.16"),
            vec![
                d("EHP3.14", EHP, "EHP 3.14"),
                d("QP3.19", QP, "QP 3.19"),
                d("LG4.16", LG, "LG 4.16")
            ]
        );
        assert_eq!(ofsted("LG .4.15"), vec![d("LG4.15", LG, "LG .4.15")]);
        assert_eq!(ofsted("LG. 4.18"), vec![d("LG4.18", LG, "LG. 4.18")]);
        assert_eq!(ofsted("LG.7"), vec![d("LG4.7", LG, "LG.7")]);
        assert_eq!(ofsted("3.8."), vec![d("QP3.8", QP, "3.8.")]);
        assert_eq!(
            ofsted("1.2 2.5 3.21 4.5"),
            vec![
                d("OE1.2", OE, "1.2"),
                d("EHP2.5", EHP, "2.5"),
                d("QP3.21", QP, "3.21"),
                d("LG4.5", LG, "4.5")
            ]
        );
        assert_eq!(ofsted("LG"), vec![d("LG", LG, "LG")]);
        assert_eq!(ofsted("EHP3.14"), vec![d("EHP3.14", EHP, "EHP3.14")]);
        assert_eq!(ofsted("LG4.6 4.6"), vec![d("LG4.6", LG, "LG4.6")]);
        assert_eq!(ofsted(""), vec![]);
        assert!(parse_ofsted("5.1").is_err());
        assert!(parse_ofsted("XY3.1").is_err());
        assert!(parse_ofsted("LGA").is_err());
    }

    // --- leads --------------------------------------------------------------------------------

    fn leads(text: &str) -> (Vec<String>, String, Vec<(String, String, String)>) {
        let l = parse_leads(text).expect("leads parse");
        let moves = l.moves.into_iter().map(|m| (m.raw, m.from, m.to)).collect();
        (l.people, l.workstream, moves)
    }

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
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

    // --- objectives, outcomes, evidence -------------------------------------------------------

    #[test]
    fn objective_lists() {
        let (lead, items) = parse_objective(
            "Set of standards : <ul style=\"list-style-type: none\"> • for the team • for families ",
        );
        assert_eq!(lead, "Set of standards :");
        assert_eq!(items, s(&["for the team", "for families"]));
        let (lead, items) =
            parse_objective("Catch-up audit activity -Audit LAC cases (x) -Audit CP cases");
        assert_eq!(lead, "Catch-up audit activity");
        assert_eq!(items, s(&["Audit LAC cases (x)", "Audit CP cases"]));
        let (lead, items) = parse_objective("Ensure that, before, a) one thing, b) another");
        assert_eq!(lead, "Ensure that, before,");
        assert_eq!(items, s(&["one thing", "another"]));
        let (lead, items) = parse_objective("Plain objective with a hyphen-ated word - and a dash");
        assert_eq!(lead, "Plain objective with a hyphen-ated word - and a dash");
        assert!(items.is_empty());
        let (lead, items) = parse_objective("<p>Lead</p> <ul> • a <ul> • b");
        assert_eq!((lead.as_str(), items), ("Lead", s(&["a", "b"])));
        assert_eq!(finish_objective(String::new(), &s(&["a", "b"])), "a b");
    }

    #[test]
    fn outcome_lists_and_splits() {
        assert_eq!(
            parse_outcomes("<ul> • Establish hub • Ensure x "),
            s(&["Establish hub", "Ensure x"])
        );
        assert_eq!(parse_outcomes("One target"), s(&["One target"]));
        let mut items = s(&["Implement the CPC hub All agencies submitting reports"]);
        let mut flags = vec![true];
        apply_splits(&mut items, &mut flags, &["All agencies submitting"]).expect("split");
        assert_eq!(
            items,
            s(&["Implement the CPC hub", "All agencies submitting reports"])
        );
        let mut flags = vec![true; 2];
        assert!(apply_splits(&mut items, &mut flags, &["Nowhere"]).is_err());
    }

    #[test]
    fn evidence_categories_and_remainders() {
        let e = parse_evidence(
            "Stakeholder and service user consultations Consultation, audit, surveys Commissioning data, multi-agency data audit",
        );
        assert_eq!(
            e,
            vec![
                ("Stakeholder and service user consultations".into(), Some(1)),
                ("Consultation, audit, surveys".into(), Some(2)),
                (
                    "Commissioning data, multi-agency data audit".into(),
                    Some(5)
                ),
            ]
        );
        assert_eq!(
            parse_evidence("Stakeholder consultations"),
            vec![("Stakeholder consultations".into(), Some(1))]
        );
        assert_eq!(
            parse_evidence("Stakeholder consultation"),
            vec![("Stakeholder consultation".into(), Some(1))]
        );
        assert_eq!(
            parse_evidence("Minutes <i>and members?</i> Consultation, audit, surveys tail"),
            vec![
                ("Minutes and members?".into(), None),
                ("Consultation, audit, surveys".into(), Some(2)),
                ("tail".into(), None),
            ]
        );
        assert_eq!(
            parse_evidence("Audit, CP data"),
            vec![("Audit, CP data".into(), None)]
        );
    }

    #[test]
    fn references_and_links() {
        let known = s(&["AA1", "AA3", "JD", "Staff via KOM"]);
        assert_eq!(
            parse_references("AA1 AA3", &known).expect("ok"),
            s(&["AA1", "AA3"])
        );
        assert_eq!(
            parse_references("Staff via KOM", &known).expect("ok"),
            s(&["Staff via KOM"])
        );
        assert!(parse_references("AA9", &known).is_err());
        assert_eq!(
            parse_links("Link to 3.9 2.8 1.2 and 1.3").expect("ok"),
            s(&["3.9", "2.8", "1.2", "1.3"])
        );
        assert_eq!(parse_links("").expect("ok"), Vec::<String>::new());
        assert!(parse_links("Link to").is_err());
        assert!(parse_links("see 1.2").is_err());
    }

    // --- the whole document -------------------------------------------------------------------

    #[test]
    fn seed_converts_to_the_shipped_json() {
        let plan = seed_plan();
        assert_eq!(to_json(&plan), SEED_JSON);
        let parsed: PlanFile = serde_json::from_str(SEED_JSON).expect("data file parses");
        assert_eq!(parsed, plan);
    }

    #[test]
    fn seed_counts() {
        let plan = seed_plan();
        assert_eq!(plan.actions.len(), 125);
        let per_theme: Vec<usize> = (1..=5)
            .map(|t| plan.actions.iter().filter(|a| a.theme == t).count())
            .collect();
        assert_eq!(per_theme, vec![10, 21, 48, 34, 12]);
        let per_rag: Vec<usize> = RagStatus::ALL
            .iter()
            .map(|st| plan.actions.iter().filter(|a| a.rag.status == *st).count())
            .collect();
        assert_eq!(per_rag, vec![17, 81, 18, 0, 9]);
        assert_eq!(plan.workstreams.len(), 8);
        assert_eq!(plan.references.len(), 9);
        assert_eq!(plan.plan.context.len(), 12);
        assert_eq!(plan.plan.levels_of_need.len(), 7);
        assert_eq!(plan.plan.priority_aims.len(), 3);
        assert_eq!(plan.plan.outcome_measures.len(), 5);
        assert_eq!(plan.plan.evidence_categories.len(), 5);
        assert_eq!(plan.rag_scale.len(), 5);
        assert_eq!(plan.plan.as_of, date(2013, 1, 31));
    }

    #[test]
    fn seed_cross_references_resolve() {
        let plan = seed_plan();
        validate(&plan).expect("valid");
        assert_eq!(
            super::super::validate::problems(&plan),
            Vec::<String>::new()
        );
        let codes: HashSet<&str> = plan.actions.iter().map(|a| a.code.as_str()).collect();
        assert_eq!(codes.len(), plan.actions.len());
        assert!(codes.contains("3.1") && codes.contains("3.1 (a)"));
        assert!(!codes.contains("2.1"));
    }

    #[test]
    fn seed_spot_checks() {
        let plan = seed_plan();
        let a = action(&plan, "5.4");
        assert_eq!(
            a.links,
            s(&["2.1 (a)", "2.1 (b)", "2.1 (c)", "2.1 (d)", "2.1 (e)", "2.10", "2.11"])
        );
        assert!(a.leads.is_empty());
        assert_eq!(
            action(&plan, "4.7").links,
            s(&["3.11", "3.9", "2.8", "1.2", "1.3"])
        );
        assert_eq!(action(&plan, "2.8").links, s(&["1.2", "1.3"]));
        assert_eq!(action(&plan, "4.7").leads, s(&["DM", "AC", "JRou"]));
        assert_eq!(
            action(&plan, "3.16").evidence.last().map(String::as_str),
            Some("Commissioning data, multi-agency data audit")
        );
        assert_eq!(
            action(&plan, "3.41").outcomes,
            s(&["CP conferences are used effectively for decision making"])
        );
        assert_eq!(action(&plan, "3.9").milestones.len(), 2);
        assert_eq!(
            action(&plan, "3.3").ofsted.last().map(|d| d.code.as_str()),
            Some("QP3.5")
        );
        assert_eq!(
            action(&plan, "3.13").ofsted.last().map(|d| d.code.as_str()),
            Some("QP3.22")
        );
        assert_eq!(
            action(&plan, "2.3")
                .removal_proposal
                .as_ref()
                .map(|r| r.raw.as_str()),
            Some("Remove from plan")
        );
        assert_eq!(action(&plan, "2.11").moves.len(), 1);
        assert_eq!(action(&plan, "3.42").workstream, "Strengthening Governance");
        assert!(plan
            .actions
            .iter()
            .all(|a| a.state == LifecycleState::Active));
    }

    #[test]
    fn hand_tables_name_seed_actions() {
        let plan = seed_plan();
        let codes: HashSet<&str> = plan.actions.iter().map(|a| a.code.as_str()).collect();
        for (code, _, _) in BARE_CONTINUATIONS {
            assert!(codes.contains(code), "{code}");
        }
        for (code, _) in OBJECTIVE_ITEM_SPLITS
            .iter()
            .chain(OUTCOME_SPLITS)
            .chain(EVIDENCE_SPLITS)
        {
            assert!(codes.contains(code), "{code}");
        }
    }

    #[test]
    fn errors_name_the_line() {
        let row_216 = SEED
            .lines()
            .find(|l| l.starts_with("2.16\t"))
            .expect("2.16 row");
        let bad_row = SEED.replacen(row_216, "2.16\tAA1\tx\ty\tz\tDM QA", 1);
        let e = convert(&bad_row).expect_err("short row");
        assert_eq!(
            e.to_string(),
            "line 217: action row has 6 cells, expected 9"
        );
        let e = convert("").expect_err("empty");
        assert_eq!(e.line, 1);
        let e = convert_bytes(b"ok\nstill ok\n\xff").expect_err("not utf-8");
        assert_eq!(e.to_string(), "line 3: the text is not valid UTF-8");
        let e = convert(&SEED.replacen("KOM Practice", "Nobody Practice", 1)).expect_err("lead");
        assert_eq!(e.line, 111);
    }

    #[test]
    fn a_move_from_a_stream_the_plan_does_not_list_is_refused() {
        // MASH leaves the plan's list and the four lead cells that name it; 3.24 then moves
        // from MASH, which only the final cross-reference check can notice.
        let text = SEED
            .replacen("MASH\tStrengthening Governance", "\tStrengthening Governance", 1)
            .replace("Roberts MASH", "Roberts QA")
            .replacen("DM HSCB MOVED TO PRACTICE", "DM MASH MOVED TO PRACTICE", 1);
        let e = convert(&text).expect_err("move from an unlisted stream");
        assert_eq!(e.line, text.split('\n').count());
        assert!(e.message.contains("3.24"), "{e}");
        assert!(e.message.contains("work stream"), "{e}");
    }

    #[test]
    fn json_is_deterministic_and_newline_terminated() {
        let plan = seed_plan();
        let a = to_json(&plan);
        assert!(a.ends_with("}\n"));
        assert_eq!(a, to_json(&seed_plan()));
    }

    /// A mutation of the seed: delete, insert or replace a char run, or truncate.
    fn mutate(chars: &[char], op: u8, at: usize, len: usize, ins: &str) -> String {
        let n = chars.len();
        let at = if n == 0 { 0 } else { at % (n + 1) };
        let end = (at + len).min(n);
        let mut out: String = chars[..at].iter().collect();
        match op % 4 {
            0 => out.extend(&chars[end..]),
            1 => {
                out.push_str(ins);
                out.extend(&chars[at..]);
            }
            2 => {
                out.push_str(ins);
                out.extend(&chars[end..]);
            }
            _ => {}
        }
        out
    }

    proptest! {
        #[test]
        fn never_panics_on_arbitrary_strings(text in any::<String>()) {
            let _ = convert(&text);
        }

        #[test]
        fn never_panics_on_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
            let _ = convert_bytes(&bytes);
        }

        #[test]
        fn never_panics_on_table_like_text(
            lines in proptest::collection::vec("[A-Za-z0-9 .()<>/&;•–-]{0,20}(\t[A-Za-z0-9 .()<>/&;•–-]{0,20}){0,9}", 0..40)
        ) {
            let text = format!("Title\nV1\nTheme 1: x\n{}", lines.join("\n"));
            let _ = convert(&text);
        }

        #[test]
        fn never_panics_on_mutated_seed(
            mutations in proptest::collection::vec(
                (any::<u8>(), any::<usize>(), 0usize..200, "(\\PC|\t|\n){0,12}"),
                1..4,
            )
        ) {
            let mut text = SEED.to_string();
            for (op, at, len, ins) in &mutations {
                let chars: Vec<char> = text.chars().collect();
                text = mutate(&chars, *op, *at, *len, ins);
            }
            let _ = convert(&text);
            let _ = convert_bytes(text.as_bytes());
        }

        #[test]
        fn never_panics_on_truncated_seed_bytes(cut in 0usize..SEED.len()) {
            let _ = convert_bytes(&SEED.as_bytes()[..cut]);
        }
    }
}
