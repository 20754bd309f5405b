//! Tests of the whole conversion: the shipped seed, errors naming lines, and that no input
//! makes it panic. Helpers shared with the files' own tests are here too.

use std::collections::HashSet;

use proptest::prelude::*;

use super::*;
use crate::actions::LifecycleState;
use crate::rag::RagStatus;

const SEED: &str = include_str!("../../../data/source/herefordshire-improvement-plan-v2.2.txt");
const SEED_JSON: &str = include_str!("../../../data/herefordshire-2012.json");

pub(super) fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("valid test date")
}

pub(super) fn seed_plan() -> PlanFile {
    convert(SEED).expect("the shipped seed converts")
}

fn action<'a>(plan: &'a PlanFile, code: &str) -> &'a Action {
    plan.actions
        .iter()
        .find(|a| a.code == code)
        .expect("action exists")
}

pub(super) fn s(v: &[&str]) -> Vec<String> {
    v.iter().map(|x| x.to_string()).collect()
}

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
    assert_eq!(
        super::super::validate::reference_problems(&plan),
        Vec::<String>::new()
    );
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
        .replacen(
            "MASH\tStrengthening Governance",
            "\tStrengthening Governance",
            1,
        )
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
