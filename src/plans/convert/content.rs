//! The free-text cells: the objective (lead sentence and items), outcome targets and evidence
//! items, with the hand-listed splits of text the source flattened.

use std::sync::LazyLock;

use regex::Regex;

use super::decisions::EVIDENCE_CATEGORY_PHRASES;
use super::text::{clean, re};

static BULLET_BOUNDARY: LazyLock<Regex> = LazyLock::new(|| re(r"(?i)<ul\b[^<>]*>|<li\b[^<>]*>|•"));
static DASH_ITEM: LazyLock<Regex> = LazyLock::new(|| re(r"(?:^|\s)-[A-Za-z]"));
static LETTER_ITEM: LazyLock<Regex> = LazyLock::new(|| re(r"(?:^|\s)[a-z]\)\s"));

/// Splits `items[i]` where each marker begins a new item; markers are applied in order, each
/// searched from the item the previous one produced onwards, at a word start (not the item's
/// first word). `splittable[i]` says which items may be split.
pub(super) fn apply_splits(
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

pub(super) fn finish_objective(lead: String, items: &[String]) -> String {
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

pub(super) fn category_of(phrase: &str) -> Option<i32> {
    EVIDENCE_CATEGORY_PHRASES
        .iter()
        .find(|(p, _)| *p == phrase)
        .map(|(_, c)| *c)
}

#[cfg(test)]
mod tests {
    use super::super::tests::s;
    use super::*;

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
}
