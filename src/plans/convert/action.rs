//! One action row → an [`Action`]: each cell through its parser, with the per-action splits
//! from `decisions.rs`.

use super::content::{
    apply_splits, category_of, finish_objective, parse_evidence, parse_objective, parse_outcomes,
};
use super::dates::parse_by_when;
use super::decisions::{table_lookup, EVIDENCE_SPLITS, OBJECTIVE_ITEM_SPLITS, OUTCOME_SPLITS};
use super::document::{
    RawAction, C_BY_WHEN, C_EVIDENCE, C_LEAD, C_NUMBER, C_OBJECTIVE, C_OFSTED, C_OUTCOME, C_RAG,
    C_REFERENCE,
};
use super::leads::parse_leads;
use super::ofsted::parse_ofsted;
use super::rag_cell::parse_rag;
use super::references::{parse_links, parse_references};
use super::text::clean;
use super::ConvertError;
use crate::actions::LifecycleState;
use crate::plans::format::Action;

pub(super) struct Built {
    pub(super) action: Action,
    pub(super) evidence: Vec<(String, Option<i32>)>,
}

pub(super) fn build_action(
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
