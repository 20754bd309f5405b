//! Who a request speaks for, and what of the plans it may see.
//!
//! Scope is expressed as SQL conditions on `action` so that every read path (pages, counts,
//! single lookups, links) filters in the database with the same rule: an out-of-scope action
//! is simply not there.
use entity::{action, action_lead, person, plan, workstream};
use sea_orm::{
    sea_query::{Expr, ExprTrait, Func, Query},
    ColumnTrait, Condition,
};

/// The five roles; see `policy` for what each may change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    Admin,
    Viewer,
    Lead,
    Integration,
    Partner,
}

/// A webhook reads with the role it was given (see `live::webhooks`).
impl From<entity::WebhookRole> for Role {
    fn from(r: entity::WebhookRole) -> Self {
        match r {
            entity::WebhookRole::Viewer => Role::Viewer,
            entity::WebhookRole::Partner => Role::Partner,
        }
    }
}

impl Role {
    pub const ALL: [Role; 5] = [
        Role::Admin,
        Role::Viewer,
        Role::Lead,
        Role::Integration,
        Role::Partner,
    ];

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Viewer => "viewer",
            Role::Lead => "lead",
            Role::Integration => "integration",
            Role::Partner => "partner",
        }
    }
}

/// A verified token's subject, role and scope.
#[derive(Debug, Clone)]
pub struct Principal {
    pub sub: String,
    pub role: Role,
    pub name: Option<String>,
    leads: Vec<String>,
    /// Lower-cased; `None` = every work stream (`*`).
    workstreams: Option<Vec<String>>,
    /// `None` = every plan (`*`, or no `plans` claim).
    plans: Option<Vec<String>>,
    /// Which actions it can see, built once per request.
    visible: Condition,
}

/// An "any of these names" claim; `*` anywhere means all.
fn wildcard(values: Vec<String>, normalise: fn(&str) -> String) -> Option<Vec<String>> {
    if values.iter().any(|v| v.trim() == "*") {
        None
    } else {
        Some(values.iter().map(|v| normalise(v.trim())).collect())
    }
}

impl Principal {
    pub fn new(
        sub: String,
        role: Role,
        name: Option<String>,
        leads: Vec<String>,
        workstreams: Vec<String>,
        plans: Option<Vec<String>>,
    ) -> Self {
        let leads: Vec<String> = leads.iter().map(|l| l.trim().to_string()).collect();
        let workstreams = wildcard(workstreams, str::to_lowercase);
        let plans = plans.and_then(|p| wildcard(p, str::to_string));
        let mut me = Self {
            sub,
            role,
            name,
            leads,
            workstreams,
            plans,
            visible: Condition::all(),
        };
        me.visible = me.visibility();
        me
    }

    /// The actor as the audit trail and history name it.
    pub fn display(&self) -> &str {
        &self.sub
    }

    /// Whether the token reaches plan `slug` at all.
    pub fn sees_plan(&self, slug: &str) -> bool {
        self.plans
            .as_ref()
            .is_none_or(|p| p.iter().any(|s| s == slug))
    }

    /// The plan slugs it is limited to (`None`: every plan).
    pub fn plan_slugs(&self) -> Option<&[String]> {
        self.plans.as_deref()
    }

    /// Condition on `plan` rows: the plans this token reaches.
    pub fn plan_condition(&self) -> Condition {
        match &self.plans {
            None => Condition::all(),
            Some(slugs) => Condition::all().add(plan::Column::Slug.is_in(slugs.clone())),
        }
    }

    /// Whether it sees only some actions of the plans it reaches (partners).
    pub fn sees_some_actions_only(&self) -> bool {
        self.role == Role::Partner
    }

    /// Condition on `action` rows: the actions this token can see.
    pub fn visible_actions(&self) -> Condition {
        self.visible.clone()
    }

    fn visibility(&self) -> Condition {
        let mut c = self.plans_of_actions();
        if self.role == Role::Partner {
            c = c.add(self.leads_or_workstreams());
        }
        c
    }

    fn plans_of_actions(&self) -> Condition {
        match &self.plans {
            None => Condition::all(),
            Some(slugs) => Condition::all().add(
                action::Column::PlanId.in_subquery(
                    Query::select()
                        .column(plan::Column::Id)
                        .from(plan::Entity)
                        .and_where(plan::Column::Slug.is_in(slugs.clone()))
                        .to_owned(),
                ),
            ),
        }
    }

    /// Actions in one of the token's work streams.
    pub fn in_workstreams(&self) -> Condition {
        match &self.workstreams {
            None => Condition::all(),
            Some(names) if names.is_empty() => Condition::any(),
            Some(names) => Condition::all().add(
                action::Column::WorkstreamId.in_subquery(
                    Query::select()
                        .column(workstream::Column::Id)
                        .from(workstream::Entity)
                        .and_where(
                            Expr::expr(Func::lower(Expr::col(workstream::Column::Name)))
                                .is_in(names.clone()),
                        )
                        .to_owned(),
                ),
            ),
        }
    }

    /// Actions one of the token's `leads` leads.
    fn led_by_leads(&self) -> Condition {
        if self.leads.is_empty() {
            return Condition::any();
        }
        Condition::all().add(
            action::Column::Id.in_subquery(
                Query::select()
                    .column((action_lead::Entity, action_lead::Column::ActionId))
                    .from(action_lead::Entity)
                    .inner_join(
                        person::Entity,
                        Expr::col((person::Entity, person::Column::Id))
                            .equals((action_lead::Entity, action_lead::Column::PersonId)),
                    )
                    .and_where(
                        Expr::col((person::Entity, person::Column::Code)).is_in(self.leads.clone()),
                    )
                    .to_owned(),
            ),
        )
    }

    /// Actions led by one of its leads or in one of its work streams.
    pub fn leads_or_workstreams(&self) -> Condition {
        if self.workstreams.is_none() {
            return Condition::all();
        }
        Condition::any()
            .add(self.in_workstreams())
            .add(self.led_by_leads())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sea_orm::{DbBackend, EntityTrait, QueryFilter, QueryTrait};

    fn sql(c: Condition) -> String {
        action::Entity::find()
            .filter(c)
            .build(DbBackend::Postgres)
            .to_string()
    }

    fn partner(leads: &[&str], ws: &[&str]) -> Principal {
        Principal::new(
            "p".into(),
            Role::Partner,
            None,
            leads.iter().map(|s| s.to_string()).collect(),
            ws.iter().map(|s| s.to_string()).collect(),
            Some(vec!["herefordshire-2012".into()]),
        )
    }

    #[test]
    fn partner_without_scope_sees_nothing() {
        let s = sql(partner(&[], &[]).visible_actions());
        assert!(s.contains("FALSE") || s.contains("1 = 0"), "{s}");
    }

    #[test]
    fn partner_scope_names_leads_workstreams_and_plans() {
        let s = sql(partner(&["KOM"], &["Practice"]).visible_actions());
        assert!(s.contains("'practice'"), "{s}");
        assert!(s.contains("'KOM'"), "{s}");
        assert!(s.contains("'herefordshire-2012'"), "{s}");
    }

    #[test]
    fn viewer_sees_its_plans_only() {
        let v = Principal::new("v".into(), Role::Viewer, None, vec![], vec![], None);
        let s = sql(v.visible_actions());
        assert!(!s.contains(" IN "), "{s}");
        assert!(v.sees_plan("anything"));
        let p = partner(&[], &[]);
        assert!(p.sees_plan("herefordshire-2012"));
        assert!(!p.sees_plan("other"));
    }

    #[test]
    fn roles_round_trip() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Some(r));
        }
        assert_eq!(Role::parse("root"), None);
    }
}
