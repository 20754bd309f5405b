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
use entity::{action, action_descriptor, action_lead, action_reference};
use sea_orm::{
    sea_query::{Alias, Expr, ExprTrait, JoinType, Query, SelectStatement, UnionType},
    ColumnTrait, Condition, ConnectionTrait,
};

use super::RagStatus;
use crate::actions::OfstedArea;
use crate::actions::ResolvedFilter;
use crate::error::{AppError, AppResult};
use crate::plans::catalogue::Catalogue;

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
    /// Three calendar months.
    Quarter,
    /// Twelve calendar months.
    Year,
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

/// Counts, and the plan's catalogue version they were counted under (read in the same
/// statement; `None` when nothing was counted). Groups are named from `cat`: when the version
/// differs from `cat`'s, the counts are left empty and the caller counts again with the
/// current catalogue (see `plans::catalogue::Catalogues::read_checked`).
pub struct Counted<T> {
    pub counts: T,
    pub catalogue_version: Option<i32>,
}

/// Counts now (`as_of` none) or at the end of `as_of`.
pub async fn summary<C: ConnectionTrait>(
    db: &C,
    cat: &Catalogue,
    filter: &ResolvedFilter,
    group: Option<GroupBy>,
    as_of: Option<NaiveDate>,
) -> AppResult<Counted<Summary>> {
    let days = as_of.map(|d| vec![d]);
    let Counted {
        counts: mut out,
        catalogue_version,
    } = run(db, cat, filter, group, days.as_deref()).await?;
    Ok(Counted {
        counts: out.pop().unwrap_or(Summary {
            as_of,
            total: Counts::default(),
            groups: Vec::new(),
        }),
        catalogue_version,
    })
}

/// The summary at each interval end from `from` to `to`, in one statement.
pub async fn trend<C: ConnectionTrait>(
    db: &C,
    cat: &Catalogue,
    filter: &ResolvedFilter,
    group: Option<GroupBy>,
    from: NaiveDate,
    to: NaiveDate,
    interval: Interval,
) -> AppResult<Counted<Vec<Summary>>> {
    let days = trend_days(from, to, interval)?;
    run(db, cat, filter, group, Some(&days)).await
}

/// `from`, then every interval after it up to `to`. Months, quarters and years are counted
/// from `from` (the k-th point is `from` plus k intervals, clamped to the month's last day), so
/// a trend from 31 January stays on month ends: 28 February, 31 March, ...
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
            Interval::Quarter => k
                .checked_mul(3)
                .and_then(|m| from.checked_add_months(Months::new(m))),
            Interval::Year => k
                .checked_mul(12)
                .and_then(|m| from.checked_add_months(Months::new(m))),
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

impl GroupBy {
    /// Whether every action falls in exactly one group, so that the groups add up to the
    /// totals (which then need no statement of their own).
    fn partitions(self) -> bool {
        matches!(self, GroupBy::Theme | GroupBy::Workstream)
    }

    /// A group's key, label and place, from the plan's catalogue: `id` for groups of
    /// catalogue rows, `area` for Ofsted areas.
    fn describe(
        self,
        cat: &Catalogue,
        id: Option<i32>,
        area: Option<OfstedArea>,
    ) -> Option<(String, String, i32)> {
        match (self, id, area) {
            (GroupBy::Theme, Some(id), _) => {
                let t = &cat.themes[cat.theme_pos(id)?];
                Some((t.number.to_string(), t.title.clone(), t.number))
            }
            (GroupBy::Workstream, Some(id), _) => {
                let w = &cat.workstreams[cat.workstream_pos(id)?];
                Some((w.name.clone(), w.name.clone(), w.position))
            }
            (GroupBy::Lead, Some(id), _) => {
                let p = &cat.people[cat.person_pos(id)?].row;
                Some((p.code.clone(), p.name.clone(), p.position))
            }
            (GroupBy::Reference, Some(id), _) => {
                let r = &cat.references[cat.reference_pos(id)?];
                Some((r.code.clone(), r.title.clone(), r.position))
            }
            (GroupBy::OfstedArea, _, Some(area)) => {
                let order = OfstedArea::ALL
                    .iter()
                    .position(|a| *a == area)
                    .map_or(9, |i| i as i32);
                Some((area.as_str().to_string(), area.as_str().to_string(), order))
            }
            _ => None,
        }
    }
}

/// Builds and runs the counting statement: totals and (optionally) groups, for now or for
/// each of `days`. Groups are counted by id; their names come from the plan's catalogue.
async fn run<C: ConnectionTrait>(
    db: &C,
    cat: &Catalogue,
    filter: &ResolvedFilter,
    group: Option<GroupBy>,
    days: Option<&[NaiveDate]>,
) -> AppResult<Counted<Vec<Summary>>> {
    let mut stmt = part(filter, group, days);
    let sum_groups = group.is_some_and(GroupBy::partitions);
    if group.is_some() && !sum_groups {
        stmt.union(UnionType::All, part(filter, None, days));
    }
    let rows = db.query_all(&stmt).await?;
    let catalogue_version = match rows.first() {
        Some(r) => Some(r.try_get::<i32>("", "catalogue_version")?),
        None => None,
    };
    if catalogue_version.is_some_and(|v| v != cat.version()) {
        return Ok(Counted {
            counts: Vec::new(),
            catalogue_version,
        });
    }
    let mut by_day: BTreeMap<Option<NaiveDate>, Summary> = BTreeMap::new();
    let fresh = |as_of| Summary {
        as_of,
        total: Counts::default(),
        groups: Vec::new(),
    };
    for d in days.unwrap_or(&[]) {
        by_day.insert(Some(*d), fresh(Some(*d)));
    }
    let mut groups: BTreeMap<(Option<NaiveDate>, String), Group> = BTreeMap::new();
    for row in rows {
        let day: Option<NaiveDate> = match days {
            Some(_) => Some(row.try_get("", "day")?),
            None => None,
        };
        let grouped: bool = row.try_get::<i32>("", "grouped")? == 1;
        let status: RagStatus = row.try_get("", "status")?;
        let n: i64 = row.try_get("", "n")?;
        let n = u64::try_from(n).unwrap_or(0);
        if !grouped || sum_groups {
            by_day
                .entry(day)
                .or_insert_with(|| fresh(day))
                .total
                .add(status, n);
        }
        let Some(g) = group.filter(|_| grouped) else {
            continue;
        };
        let id: Option<i32> = row.try_get("", "gid")?;
        let area: Option<OfstedArea> = row.try_get("", "garea")?;
        let Some((key, label, order)) = g.describe(cat, id, area) else {
            return Err(AppError::Internal(
                format!("BUG: group {id:?}/{area:?} missing from the plan's catalogue").into(),
            ));
        };
        groups
            .entry((day, key.clone()))
            .or_insert_with(|| Group {
                key,
                label,
                counts: Counts::default(),
                order,
            })
            .counts
            .add(status, n);
    }
    for ((day, _), g) in groups {
        if let Some(s) = by_day.get_mut(&day) {
            s.groups.push(g);
        }
    }
    let mut out: Vec<Summary> = by_day.into_values().collect();
    if out.is_empty() {
        out.push(fresh(None));
    }
    for s in &mut out {
        s.groups
            .sort_by(|a, b| (a.order, &a.key).cmp(&(b.order, &b.key)));
    }
    Ok(Counted {
        counts: out,
        catalogue_version,
    })
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
    // Each row is one action (or, grouped by lead or reference, one action and one of its
    // leads or references: unique pairs), so COUNT(*) counts actions; an action may cite
    // several descriptors of one Ofsted area, hence DISTINCT there.
    let null = || Expr::cust("NULL");
    let (id, area, count): (Expr, Expr, &str) = match group {
        None => (null(), null(), "COUNT(*)"),
        Some(GroupBy::Theme) => (
            Expr::col((action::Entity, action::Column::ThemeId)),
            null(),
            "COUNT(*)",
        ),
        Some(GroupBy::Workstream) => (
            Expr::col((action::Entity, action::Column::WorkstreamId)),
            null(),
            "COUNT(*)",
        ),
        Some(GroupBy::Lead) => {
            q.inner_join(
                action_lead::Entity,
                Expr::col((action_lead::Entity, action_lead::Column::ActionId))
                    .equals((action::Entity, action::Column::Id)),
            );
            (
                Expr::col((action_lead::Entity, action_lead::Column::PersonId)),
                null(),
                "COUNT(*)",
            )
        }
        Some(GroupBy::Reference) => {
            q.inner_join(
                action_reference::Entity,
                Expr::col((action_reference::Entity, action_reference::Column::ActionId))
                    .equals((action::Entity, action::Column::Id)),
            );
            (
                Expr::col((
                    action_reference::Entity,
                    action_reference::Column::ReferenceId,
                )),
                null(),
                "COUNT(*)",
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
            (
                null(),
                Expr::col((action_descriptor::Entity, action_descriptor::Column::Area)),
                "COUNT(DISTINCT \"action\".\"id\")",
            )
        }
    };
    q.expr_as(
        crate::plans::query::catalogue_version(filter.plan_id()),
        Alias::new("catalogue_version"),
    )
    .expr_as(Expr::val(i32::from(group.is_some())), Alias::new("grouped"))
    .expr_as(id.clone(), Alias::new("gid"))
    .expr_as(area.clone(), Alias::new("garea"));
    match group {
        None => {}
        Some(GroupBy::OfstedArea) => group_by.push(area),
        Some(_) => group_by.push(id),
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
    q.expr_as(Expr::cust(count), Alias::new("n"));
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
            trend_days(d("2013-03-31"), d("2014-03-31"), Interval::Quarter).expect("days"),
            vec![
                d("2013-03-31"),
                d("2013-06-30"),
                d("2013-09-30"),
                d("2013-12-31"),
                d("2014-03-31")
            ]
        );
        assert_eq!(
            trend_days(d("2012-02-29"), d("2016-03-01"), Interval::Year).expect("days"),
            vec![
                d("2012-02-29"),
                d("2013-02-28"),
                d("2014-02-28"),
                d("2015-02-28"),
                d("2016-02-29")
            ]
        );
        assert_eq!(
            trend_days(d("2013-01-01"), d("2013-01-01"), Interval::Week).expect("days"),
            vec![d("2013-01-01")]
        );
        assert!(trend_days(d("2013-01-02"), d("2013-01-01"), Interval::Week).is_err());
        assert!(trend_days(d("2000-01-01"), d("2013-01-01"), Interval::Week).is_err());
        // The cap counts points, whatever the interval: 201 quarters or years are too many.
        assert_eq!(
            trend_days(d("2000-01-01"), d("2049-10-01"), Interval::Quarter)
                .expect("days")
                .len(),
            MAX_TREND_POINTS
        );
        assert!(trend_days(d("2000-01-01"), d("2050-01-01"), Interval::Quarter).is_err());
        assert!(trend_days(d("1900-01-01"), d("2100-01-01"), Interval::Year).is_err());
    }
}
