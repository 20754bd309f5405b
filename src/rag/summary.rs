//! RAG counts for dashboards: now, as of a past date, and over time, each in one statement.
//!
//! Current counts read the status denormalised on each action and never touch the history.
//! Counts as of a date read the history as intervals: each entry holds from its effective date
//! until the next entry's (`LEAD` over the action's history, ordered by effective date and id,
//! so the later of two same-day entries wins). An action counts on a day when an entry holds on
//! it (so actions created later are left out) and it was in the counted lifecycle state then
//! (`action_state_change`, read the same way). A trend is the same query over many days.
use std::collections::BTreeMap;

use chrono::{Months, NaiveDate};
use entity::{
    action, action_descriptor, action_lead, action_reference, person, source_reference, theme,
    workstream,
};
use sea_orm::{
    sea_query::{Alias, Expr, ExprTrait, JoinType, Query, SelectStatement, UnionType},
    ColumnTrait, Condition, ConnectionTrait,
};

use super::RagStatus;
use crate::actions::ResolvedFilter;
use crate::error::{AppError, AppResult};
use crate::plans::format::OfstedArea;

/// Most points one trend may have.
pub const MAX_TREND_POINTS: usize = 200;

/// What a summary's groups are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupBy {
    Theme,
    Workstream,
    /// An action with two leads counts under both.
    Lead,
    Reference,
    OfstedArea,
}

/// Spacing of trend points.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Interval {
    Week,
    Fortnight,
    Month,
}

/// Actions per RAG status, in `RagStatus::ALL` order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counts(pub [u64; 5]);

impl Counts {
    pub fn total(&self) -> u64 {
        self.0.iter().sum()
    }

    pub fn get(&self, s: RagStatus) -> u64 {
        self.0[index(s)]
    }

    fn add(&mut self, s: RagStatus, n: u64) {
        self.0[index(s)] += n;
    }
}

fn index(s: RagStatus) -> usize {
    RagStatus::ALL.iter().position(|x| *x == s).unwrap_or(0)
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    pub key: String,
    pub label: String,
    pub counts: Counts,
    order: i32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    /// The day counted as of (`None`: now).
    pub as_of: Option<NaiveDate>,
    pub total: Counts,
    pub groups: Vec<Group>,
}

/// Counts now (`as_of` none) or at the end of `as_of`.
pub async fn summary<C: ConnectionTrait>(
    db: &C,
    filter: &ResolvedFilter,
    group: Option<GroupBy>,
    as_of: Option<NaiveDate>,
) -> AppResult<Summary> {
    let days = as_of.map(|d| vec![d]);
    let mut out = run(db, filter, group, days.as_deref()).await?;
    Ok(out.pop().unwrap_or(Summary {
        as_of,
        total: Counts::default(),
        groups: Vec::new(),
    }))
}

/// The summary at each interval end from `from` to `to`, in one statement.
pub async fn trend<C: ConnectionTrait>(
    db: &C,
    filter: &ResolvedFilter,
    group: Option<GroupBy>,
    from: NaiveDate,
    to: NaiveDate,
    interval: Interval,
) -> AppResult<Vec<Summary>> {
    let days = trend_days(from, to, interval)?;
    run(db, filter, group, Some(&days)).await
}

/// `from`, then every interval after it up to `to`.
pub fn trend_days(from: NaiveDate, to: NaiveDate, interval: Interval) -> AppResult<Vec<NaiveDate>> {
    if to < from {
        return Err(AppError::bad_input(format!(
            "`to` ({to}) is before `from` ({from})"
        )));
    }
    let mut days = Vec::new();
    let mut k: u32 = 0;
    loop {
        let day = match interval {
            Interval::Week => from.checked_add_days(chrono::Days::new(7 * k as u64)),
            Interval::Fortnight => from.checked_add_days(chrono::Days::new(14 * k as u64)),
            Interval::Month => from.checked_add_months(Months::new(k)),
        };
        match day {
            Some(d) if d <= to => days.push(d),
            _ => break,
        }
        if days.len() > MAX_TREND_POINTS {
            return Err(AppError::bad_input(format!(
                "that trend has more than {MAX_TREND_POINTS} points; use a longer interval or a shorter period"
            )));
        }
        k += 1;
    }
    Ok(days)
}

/// Builds and runs the counting statement: totals and (optionally) groups, for now or for
/// each of `days`.
async fn run<C: ConnectionTrait>(
    db: &C,
    filter: &ResolvedFilter,
    group: Option<GroupBy>,
    days: Option<&[NaiveDate]>,
) -> AppResult<Vec<Summary>> {
    let mut stmt = part(filter, None, days);
    if let Some(g) = group {
        stmt.union(UnionType::All, part(filter, Some(g), days));
    }
    let rows = db.query_all(&stmt).await?;
    let mut by_day: BTreeMap<Option<NaiveDate>, Summary> = BTreeMap::new();
    for d in days.unwrap_or(&[]) {
        by_day.insert(
            Some(*d),
            Summary {
                as_of: Some(*d),
                total: Counts::default(),
                groups: Vec::new(),
            },
        );
    }
    let mut groups: BTreeMap<(Option<NaiveDate>, String), Group> = BTreeMap::new();
    for row in rows {
        let day: Option<NaiveDate> = match days {
            Some(_) => Some(row.try_get("", "day")?),
            None => None,
        };
        let key: Option<String> = row.try_get("", "gkey")?;
        let status: String = row.try_get("", "status")?;
        let n: i64 = row.try_get("", "n")?;
        let status = RagStatus::parse(&status).ok_or_else(|| {
            AppError::Internal(format!("BUG: stored RAG status {status:?}").into())
        })?;
        let n = u64::try_from(n).unwrap_or(0);
        match key {
            None => by_day
                .entry(day)
                .or_insert_with(|| Summary {
                    as_of: day,
                    total: Counts::default(),
                    groups: Vec::new(),
                })
                .total
                .add(status, n),
            Some(key) => {
                let label: Option<String> = row.try_get("", "glabel")?;
                let order: i32 = row.try_get("", "gorder")?;
                groups
                    .entry((day, key.clone()))
                    .or_insert_with(|| Group {
                        label: label.unwrap_or_else(|| key.clone()),
                        key,
                        counts: Counts::default(),
                        order,
                    })
                    .counts
                    .add(status, n);
            }
        }
    }
    for ((day, _), g) in groups {
        if let Some(s) = by_day.get_mut(&day) {
            s.groups.push(g);
        }
    }
    let mut out: Vec<Summary> = by_day.into_values().collect();
    if out.is_empty() {
        out.push(Summary {
            as_of: None,
            total: Counts::default(),
            groups: Vec::new(),
        });
    }
    for s in &mut out {
        s.groups
            .sort_by(|a, b| (a.order, &a.key).cmp(&(b.order, &b.key)));
    }
    Ok(out)
}

fn col(table: &str, column: &str) -> Expr {
    Expr::col((Alias::new(table), Alias::new(column)))
}

/// A history (or lifecycle) table read as intervals `[since, until)` per action of the plan.
fn intervals(table: &'static str, value: &'static str, plan_id: i32) -> SelectStatement {
    let t = Alias::new(table);
    Query::select()
        .expr_as(col(table, "action_id"), Alias::new("action_id"))
        .expr_as(col(table, value), Alias::new("value"))
        .expr_as(col(table, "effective_date"), Alias::new("since"))
        .expr_as(
            Expr::cust(format!(
                "LEAD(\"{table}\".\"effective_date\") OVER (PARTITION BY \"{table}\".\"action_id\" \
                 ORDER BY \"{table}\".\"effective_date\", \"{table}\".\"id\")"
            )),
            Alias::new("until"),
        )
        .from(t)
        .and_where(
            col(table, "action_id").in_subquery(
                Query::select()
                    .column((action::Entity, action::Column::Id))
                    .from(action::Entity)
                    .and_where(action::Column::PlanId.eq(plan_id))
                    .to_owned(),
            ),
        )
        .to_owned()
}

/// Holds on day `d.day`: `since <= day < until`.
fn holds(alias: &str) -> Condition {
    Condition::all()
        .add(col(alias, "action_id").equals((action::Entity, action::Column::Id)))
        .add(col(alias, "since").lte(col("d", "day")))
        .add(
            Condition::any()
                .add(col(alias, "until").is_null())
                .add(col(alias, "until").gt(col("d", "day"))),
        )
}

/// One SELECT of the counting statement: totals (`group` none) or one grouping.
/// Columns: [day], gkey, glabel, gorder, status, n.
fn part(
    filter: &ResolvedFilter,
    group: Option<GroupBy>,
    days: Option<&[NaiveDate]>,
) -> SelectStatement {
    let mut q = Query::select();
    q.from(action::Entity);
    let mut group_by: Vec<Expr> = Vec::new();
    if let Some(days) = days {
        let mut d = Query::select();
        d.expr_as(Expr::val(days[0]), Alias::new("day"));
        for day in &days[1..] {
            d.union(
                UnionType::All,
                Query::select()
                    .expr_as(Expr::val(*day), Alias::new("day"))
                    .to_owned(),
            );
        }
        q.join_subquery(
            JoinType::InnerJoin,
            d,
            Alias::new("d"),
            Expr::val(1).eq(Expr::val(1)),
        );
        q.expr_as(col("d", "day"), Alias::new("day"));
        group_by.push(col("d", "day"));
    }
    let (key, label, order): (Expr, Expr, Expr) = match group {
        None => (Expr::cust("NULL"), Expr::cust("NULL"), Expr::val(0i32)),
        Some(GroupBy::Theme) => {
            q.inner_join(
                theme::Entity,
                Expr::col((theme::Entity, theme::Column::Id))
                    .equals((action::Entity, action::Column::ThemeId)),
            );
            (
                Expr::cust("CAST(\"theme\".\"number\" AS TEXT)"),
                Expr::col((theme::Entity, theme::Column::Title)),
                Expr::col((theme::Entity, theme::Column::Number)),
            )
        }
        Some(GroupBy::Workstream) => {
            q.inner_join(
                workstream::Entity,
                Expr::col((workstream::Entity, workstream::Column::Id))
                    .equals((action::Entity, action::Column::WorkstreamId)),
            );
            (
                Expr::col((workstream::Entity, workstream::Column::Name)),
                Expr::col((workstream::Entity, workstream::Column::Name)),
                Expr::col((workstream::Entity, workstream::Column::Position)),
            )
        }
        Some(GroupBy::Lead) => {
            q.inner_join(
                action_lead::Entity,
                Expr::col((action_lead::Entity, action_lead::Column::ActionId))
                    .equals((action::Entity, action::Column::Id)),
            )
            .inner_join(
                person::Entity,
                Expr::col((person::Entity, person::Column::Id))
                    .equals((action_lead::Entity, action_lead::Column::PersonId)),
            );
            (
                Expr::col((person::Entity, person::Column::Code)),
                Expr::col((person::Entity, person::Column::Name)),
                Expr::col((person::Entity, person::Column::Position)),
            )
        }
        Some(GroupBy::Reference) => {
            q.inner_join(
                action_reference::Entity,
                Expr::col((action_reference::Entity, action_reference::Column::ActionId))
                    .equals((action::Entity, action::Column::Id)),
            )
            .inner_join(
                source_reference::Entity,
                Expr::col((source_reference::Entity, source_reference::Column::Id)).equals((
                    action_reference::Entity,
                    action_reference::Column::ReferenceId,
                )),
            );
            (
                Expr::col((source_reference::Entity, source_reference::Column::Code)),
                Expr::col((source_reference::Entity, source_reference::Column::Title)),
                Expr::col((source_reference::Entity, source_reference::Column::Position)),
            )
        }
        Some(GroupBy::OfstedArea) => {
            q.inner_join(
                action_descriptor::Entity,
                Expr::col((
                    action_descriptor::Entity,
                    action_descriptor::Column::ActionId,
                ))
                .equals((action::Entity, action::Column::Id)),
            );
            let area = Expr::col((action_descriptor::Entity, action_descriptor::Column::Area));
            let mut order = Expr::case(area.clone().eq(OfstedArea::OE.as_str()), 0i32);
            for (i, a) in [OfstedArea::EHP, OfstedArea::QP, OfstedArea::LG]
                .iter()
                .enumerate()
            {
                order = order.case(area.clone().eq(a.as_str()), i as i32 + 1);
            }
            (
                area.clone(),
                area,
                Expr::Case(Box::new(order.finally(9i32))),
            )
        }
    };
    q.expr_as(key.clone(), Alias::new("gkey"))
        .expr_as(label.clone(), Alias::new("glabel"))
        .expr_as(order.clone(), Alias::new("gorder"));
    if group.is_some() {
        group_by.extend([key, label, order]);
    }
    let status = match days {
        None => {
            q.and_where(action::Column::State.eq(filter.counted_state()));
            Expr::col((action::Entity, action::Column::RagStatus))
        }
        Some(_) => {
            let plan = filter.plan_id();
            q.join_subquery(
                JoinType::InnerJoin,
                intervals("rag_update", "status", plan),
                Alias::new("h"),
                holds("h"),
            )
            .join_subquery(
                JoinType::LeftJoin,
                intervals("action_state_change", "state", plan),
                Alias::new("s"),
                holds("s"),
            )
            .and_where(
                Expr::cust("COALESCE(\"s\".\"value\", 'active')").eq(filter.counted_state()),
            );
            col("h", "value")
        }
    };
    q.expr_as(status.clone(), Alias::new("status"));
    group_by.push(status);
    q.expr_as(
        Expr::cust("COUNT(DISTINCT \"action\".\"id\")"),
        Alias::new("n"),
    );
    q.cond_where(filter.condition_ignoring_state());
    q.add_group_by(group_by);
    q
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().expect("date")
    }

    #[test]
    fn trend_days_step_from_the_start() {
        assert_eq!(
            trend_days(d("2013-01-01"), d("2013-01-29"), Interval::Fortnight).expect("days"),
            vec![d("2013-01-01"), d("2013-01-15"), d("2013-01-29")]
        );
        assert_eq!(
            trend_days(d("2013-01-31"), d("2013-04-30"), Interval::Month).expect("days"),
            vec![
                d("2013-01-31"),
                d("2013-02-28"),
                d("2013-03-31"),
                d("2013-04-30")
            ]
        );
        assert_eq!(
            trend_days(d("2013-01-01"), d("2013-01-01"), Interval::Week).expect("days"),
            vec![d("2013-01-01")]
        );
        assert!(trend_days(d("2013-01-02"), d("2013-01-01"), Interval::Week).is_err());
        assert!(trend_days(d("2000-01-01"), d("2013-01-01"), Interval::Week).is_err());
    }
}
