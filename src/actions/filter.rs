//! The `actions` filter: client values are resolved against the plan's catalogues first, so an
//! unknown theme, work stream, lead or reference is a clear error rather than an empty page.
use chrono::NaiveDate;
use entity::{
    action, action_descriptor, action_lead, action_reference, source_reference, theme, workstream,
};
use sea_orm::{
    sea_query::{Expr, ExprTrait, LikeExpr, Query},
    ColumnTrait, Condition, ConnectionTrait,
};

use super::{LifecycleState, OfstedArea};
use crate::auth::Principal;
use crate::error::{AppError, AppResult};
use crate::plans::catalogue::{Catalogue, Person};
use crate::plans::query;
use crate::rag::RagStatus;

/// Most words a `search` takes: each is one `LIKE` on the search text.
pub const MAX_SEARCH_WORDS: usize = 16;

/// What a client may filter on; every list is "any of", and the fields combine with AND.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ActionFilter {
    pub themes: Option<Vec<i32>>,
    pub workstreams: Option<Vec<String>>,
    /// Person codes (aliases such as `J.Rez` are accepted).
    pub leads: Option<Vec<String>>,
    pub rag: Option<Vec<RagStatus>>,
    pub references: Option<Vec<String>>,
    /// Ofsted descriptor codes (`QP3.7`, `3.7`) or areas (`QP`).
    pub descriptors: Option<Vec<String>>,
    pub state: Option<LifecycleState>,
    /// Words that must all appear in the objective, its items or the outcomes.
    pub search: Option<String>,
    pub due_before: Option<NaiveDate>,
    pub due_after: Option<NaiveDate>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OrderField {
    #[default]
    Position,
    DueDate,
    RagStatus,
    UpdatedAt,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OrderDirection {
    #[default]
    Asc,
    Desc,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ActionOrder {
    pub field: OrderField,
    pub direction: OrderDirection,
}

/// A filter whose names are resolved to ids, for one principal; cheap to clone and to turn
/// into SQL. It can only be made by `resolve_filter`, which takes the principal: every
/// filter carries its caller's scope, and no read can forget it.
#[derive(Debug, Clone)]
pub struct ResolvedFilter {
    plan_id: i32,
    /// The principal's scope: what it may not see is never counted or listed.
    scope: Condition,
    /// Further conditions a query adds (overdue, stale, ...).
    extra: Condition,
    theme_ids: Option<Vec<i32>>,
    workstream_ids: Option<Vec<i32>>,
    person_ids: Option<Vec<i32>>,
    rag: Option<Vec<RagStatus>>,
    reference_ids: Option<Vec<i32>>,
    descriptor_codes: Vec<String>,
    descriptor_areas: Vec<OfstedArea>,
    state: Option<LifecycleState>,
    search_terms: Vec<String>,
    due_before: Option<NaiveDate>,
    due_after: Option<NaiveDate>,
}

impl ResolvedFilter {
    /// The actions of a plan that `who` may see.
    fn visible_to(plan_id: i32, who: &Principal) -> Self {
        Self {
            plan_id,
            scope: who.visible_actions(),
            extra: Condition::all(),
            theme_ids: None,
            workstream_ids: None,
            person_ids: None,
            rag: None,
            reference_ids: None,
            descriptor_codes: Vec::new(),
            descriptor_areas: Vec::new(),
            state: None,
            search_terms: Vec::new(),
            due_before: None,
            due_after: None,
        }
    }

    /// Adds a condition on `action` rows.
    pub fn and(mut self, condition: Condition) -> Self {
        self.extra = self.extra.add(condition);
        self
    }

    pub fn plan_id(&self) -> i32 {
        self.plan_id
    }

    /// The lifecycle state asked for (`active` when the filter does not say): what RAG
    /// counts cover, evaluated as of their date.
    pub fn counted_state(&self) -> LifecycleState {
        self.state.unwrap_or(LifecycleState::Active)
    }

    pub fn condition(&self) -> Condition {
        let mut c = self.condition_ignoring_state();
        if let Some(state) = self.state {
            c = c.add(action::Column::State.eq(state));
        }
        c
    }

    /// Everything but the lifecycle state, for counts that decide the state as of a date.
    pub fn condition_ignoring_state(&self) -> Condition {
        let mut c = Condition::all()
            .add(action::Column::PlanId.eq(self.plan_id))
            .add(self.scope.clone())
            .add(self.extra.clone());
        if let Some(ids) = &self.theme_ids {
            c = c.add(action::Column::ThemeId.is_in(ids.clone()));
        }
        if let Some(ids) = &self.workstream_ids {
            c = c.add(action::Column::WorkstreamId.is_in(ids.clone()));
        }
        if let Some(ids) = &self.person_ids {
            c = c.add(
                action::Column::Id.in_subquery(
                    Query::select()
                        .column(action_lead::Column::ActionId)
                        .from(action_lead::Entity)
                        .and_where(action_lead::Column::PersonId.is_in(ids.clone()))
                        .to_owned(),
                ),
            );
        }
        if let Some(rag) = &self.rag {
            c = c.add(action::Column::RagStatus.is_in(rag.clone()));
        }
        if let Some(ids) = &self.reference_ids {
            c = c.add(
                action::Column::Id.in_subquery(
                    Query::select()
                        .column(action_reference::Column::ActionId)
                        .from(action_reference::Entity)
                        .and_where(action_reference::Column::ReferenceId.is_in(ids.clone()))
                        .to_owned(),
                ),
            );
        }
        if !self.descriptor_codes.is_empty() || !self.descriptor_areas.is_empty() {
            let mut any = Condition::any();
            if !self.descriptor_codes.is_empty() {
                any = any.add(action_descriptor::Column::Code.is_in(self.descriptor_codes.clone()));
            }
            if !self.descriptor_areas.is_empty() {
                any = any.add(action_descriptor::Column::Area.is_in(self.descriptor_areas.clone()));
            }
            c = c.add(
                action::Column::Id.in_subquery(
                    Query::select()
                        .column(action_descriptor::Column::ActionId)
                        .from(action_descriptor::Entity)
                        .cond_where(any)
                        .to_owned(),
                ),
            );
        }
        for term in &self.search_terms {
            c = c.add(
                Expr::col(action::Column::SearchText)
                    .like(LikeExpr::new(like_pattern(term)).escape('\\')),
            );
        }
        if let Some(d) = self.due_before {
            c = c.add(action::Column::DueDate.lt(d));
        }
        if let Some(d) = self.due_after {
            c = c.add(action::Column::DueDate.gt(d));
        }
        c
    }
}

/// `%term%` with LIKE's wildcards escaped, so a search for `100%` means the text "100%".
fn like_pattern(term: &str) -> String {
    let mut p = String::with_capacity(term.len() + 2);
    p.push('%');
    for ch in term.chars() {
        if matches!(ch, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(ch);
    }
    p.push('%');
    p
}

/// Names a handful of the unknown values and of the known ones, never all of a long list.
fn unknown(what: &str, values: &[String], known: &[String]) -> AppError {
    AppError::bad_input(format!(
        "unknown {what} {}; this plan has: {}",
        crate::error::some_of(values),
        crate::error::first_of(known, 30)
    ))
}

/// Maps client-given names to ids; names that match nothing are one error listing them and
/// every name the plan does have.
fn resolve<T, N: std::fmt::Display>(
    what: &str,
    wanted: &[N],
    rows: &[T],
    key: impl Fn(&T) -> String,
    same: impl Fn(&T, &N) -> bool,
    id: impl Fn(&T) -> i32,
) -> AppResult<Vec<i32>> {
    let mut ids = Vec::new();
    let mut missing = Vec::new();
    for w in wanted {
        match rows.iter().find(|row| same(row, w)) {
            Some(row) => ids.push(id(row)),
            None => missing.push(w.to_string()),
        }
    }
    if missing.is_empty() {
        Ok(ids)
    } else {
        Err(unknown(
            what,
            &missing,
            &rows.iter().map(key).collect::<Vec<_>>(),
        ))
    }
}

/// Normalises an Ofsted code or area as clients may type it: `qp 3.7` → `QP3.7`, `3.7` → `QP3.7`.
pub fn normalise_descriptor(raw: &str) -> Option<Result<String, OfstedArea>> {
    let s: String = raw
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_uppercase();
    if let Some(area) = OfstedArea::parse(&s) {
        return Some(Err(area));
    }
    let split = s.find(|c: char| c.is_ascii_digit())?;
    let (prefix, number) = s.split_at(split);
    let number = number.trim_end_matches('.');
    let mut parts = number.split('.');
    let section = parts.next()?.parse::<u32>().ok()?;
    let item = parts.next()?.parse::<u32>().ok()?;
    if parts.next().is_some() {
        return None;
    }
    let area = if prefix.is_empty() {
        match section {
            1 => OfstedArea::OE,
            2 => OfstedArea::EHP,
            3 => OfstedArea::QP,
            4 => OfstedArea::LG,
            _ => return None,
        }
    } else {
        OfstedArea::parse(prefix.trim_end_matches('.'))?
    };
    Some(Ok(format!("{}{section}.{item}", area.as_str())))
}

/// Theme numbers to ids (BAD_USER_INPUT naming unknown ones).
pub fn match_themes(rows: &[theme::Model], numbers: &[i32]) -> AppResult<Vec<i32>> {
    resolve(
        "theme",
        numbers,
        rows,
        |t| t.number.to_string(),
        |t, n| t.number == *n,
        |t| t.id,
    )
}

/// Work-stream names (any case) to ids.
pub fn match_workstreams(rows: &[workstream::Model], names: &[String]) -> AppResult<Vec<i32>> {
    let same = |w: &workstream::Model, n: &String| w.name.eq_ignore_ascii_case(n.trim());
    resolve(
        "work stream",
        names,
        rows,
        |w| w.name.clone(),
        same,
        |w| w.id,
    )
}

/// Person codes (or the plan's spelling variants of them) to ids.
pub fn match_people(rows: &[Person], codes: &[String]) -> AppResult<Vec<i32>> {
    // Spelling variants the plan uses (`J.Rez`) name the same person as the code (`JRez`).
    let same = |p: &Person, c: &String| p.answers_to(c);
    resolve(
        "lead",
        codes,
        rows,
        |p| p.row.code.clone(),
        same,
        |p| p.row.id,
    )
}

/// Reference codes (`AA1`, any case) to ids.
pub fn match_references(rows: &[source_reference::Model], codes: &[String]) -> AppResult<Vec<i32>> {
    let same = |x: &source_reference::Model, c: &String| x.code.eq_ignore_ascii_case(c.trim());
    resolve("reference", codes, rows, |x| x.code.clone(), same, |x| x.id)
}

// Writes resolve names inside their transaction, against the catalogue as it is there and
// then, rather than a cached one.

/// Theme numbers of plan `plan_id` to ids (BAD_USER_INPUT naming unknown ones).
pub async fn theme_ids<C: ConnectionTrait>(
    db: &C,
    plan_id: i32,
    numbers: &[i32],
) -> AppResult<Vec<i32>> {
    match_themes(&query::themes(db, plan_id).await?, numbers)
}

/// Work-stream names (any case) of plan `plan_id` to ids.
pub async fn workstream_ids<C: ConnectionTrait>(
    db: &C,
    plan_id: i32,
    names: &[String],
) -> AppResult<Vec<i32>> {
    match_workstreams(&query::workstreams(db, plan_id).await?, names)
}

/// Lead codes (or spelling variants) of plan `plan_id`: their ids and canonical codes, in
/// order (`J.Rez` comes back as `JRez`), from one read of the plan's people.
pub async fn leads_named<C: ConnectionTrait>(
    db: &C,
    plan_id: i32,
    codes: &[String],
) -> AppResult<(Vec<i32>, Vec<String>)> {
    let people = query::people(db, plan_id)
        .await?
        .into_iter()
        .map(Person::from_row)
        .collect::<Vec<_>>();
    let ids = match_people(&people, codes)?;
    let canonical = ids
        .iter()
        .filter_map(|id| people.iter().find(|p| p.row.id == *id))
        .map(|p| p.row.code.clone())
        .collect();
    Ok((ids, canonical))
}

/// Reference codes of plan `plan_id` to ids.
pub async fn reference_ids<C: ConnectionTrait>(
    db: &C,
    plan_id: i32,
    codes: &[String],
) -> AppResult<Vec<i32>> {
    match_references(&query::references(db, plan_id).await?, codes)
}

/// Resolves a client filter against a plan's catalogue (no statement), for the actions `who`
/// may see.
pub fn resolve_filter(
    cat: &Catalogue,
    f: &ActionFilter,
    who: &Principal,
) -> AppResult<ResolvedFilter> {
    let mut r = ResolvedFilter::visible_to(cat.id(), who);
    if let Some(numbers) = &f.themes {
        r.theme_ids = Some(match_themes(&cat.themes, numbers)?);
    }
    if let Some(names) = &f.workstreams {
        r.workstream_ids = Some(match_workstreams(&cat.workstreams, names)?);
    }
    if let Some(codes) = &f.leads {
        r.person_ids = Some(match_people(&cat.people, codes)?);
    }
    if let Some(rag) = &f.rag {
        r.rag = Some(rag.clone());
    }
    if let Some(codes) = &f.references {
        r.reference_ids = Some(match_references(&cat.references, codes)?);
    }
    if let Some(codes) = &f.descriptors {
        for c in codes {
            match normalise_descriptor(c) {
                Some(Ok(code)) => r.descriptor_codes.push(code),
                Some(Err(area)) => r.descriptor_areas.push(area),
                None => {
                    return Err(AppError::bad_input(format!(
                        "{} is not an Ofsted descriptor code (like QP3.7 or 3.7) or area (OE, EHP, QP, LG)",
                        crate::error::some_of(&[c])
                    )))
                }
            }
        }
    }
    r.state = f.state;
    if let Some(s) = &f.search {
        // Each word is one condition: bounded here too, whoever calls (a stored webhook
        // filter, an export), so the condition's size never follows the input's.
        let mut words: Vec<String> = Vec::new();
        for w in s.split_whitespace().map(str::to_lowercase) {
            if !words.contains(&w) {
                words.push(w);
            }
            if words.len() > MAX_SEARCH_WORDS {
                return Err(AppError::bad_input(format!(
                    "`search` has more than {MAX_SEARCH_WORDS} words"
                )));
            }
        }
        if words.is_empty() {
            return Err(AppError::bad_input(
                "`search` must contain at least one word",
            ));
        }
        r.search_terms = words;
    }
    if let (Some(b), Some(a)) = (f.due_before, f.due_after) {
        if a >= b {
            return Err(AppError::bad_input(format!(
                "`dueAfter` ({a}) must be before `dueBefore` ({b})"
            )));
        }
    }
    r.due_before = f.due_before;
    r.due_after = f.due_after;
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descriptors_normalise_like_the_plan() {
        assert_eq!(normalise_descriptor("QP3.7"), Some(Ok("QP3.7".into())));
        assert_eq!(normalise_descriptor("qp 3.7"), Some(Ok("QP3.7".into())));
        assert_eq!(normalise_descriptor("3.21"), Some(Ok("QP3.21".into())));
        assert_eq!(normalise_descriptor("4.5"), Some(Ok("LG4.5".into())));
        assert_eq!(normalise_descriptor("LG"), Some(Err(OfstedArea::LG)));
        assert_eq!(normalise_descriptor("EHP 3.14"), Some(Ok("EHP3.14".into())));
        assert_eq!(normalise_descriptor("XX3.1"), None);
        assert_eq!(normalise_descriptor("9.1"), None);
        assert_eq!(normalise_descriptor(""), None);
    }

    #[test]
    fn like_wildcards_are_escaped() {
        assert_eq!(like_pattern("100%"), "%100\\%%");
        assert_eq!(like_pattern("a_b"), "%a\\_b%");
    }
}
