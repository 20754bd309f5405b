//! Objects by identity, as a principal may see them: the global ids every client sees (GraphQL's
//! `id` fields, the CSV exports' `id` columns, webhook payloads) and the one scoped lookup
//! behind `node(id:)`, `plan(slug:)` and every other read that starts from a name or an id.
//!
//! Out of scope reads as absent, never as forbidden: a partner cannot tell a plan or an action
//! it may not see from one that does not exist.
use std::sync::Arc;

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use entity::{person, rag_update, source_reference, theme, workstream};
use sea_orm::{ConnectionTrait, EntityTrait, QuerySelect};

use crate::actions::{self, ActionRow};
use crate::auth::Principal;
use crate::error::{AppError, AppResult};
use crate::plans::catalogue::{Catalogue, Catalogues};
use crate::rag;

/// Kinds of object a global id can name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Plan,
    Action,
    Theme,
    Workstream,
    Person,
    Reference,
    RagUpdate,
}

impl Kind {
    /// The name inside the id, which is also the GraphQL type's name.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Plan => "Plan",
            Kind::Action => "Action",
            Kind::Theme => "Theme",
            Kind::Workstream => "Workstream",
            Kind::Person => "Person",
            Kind::Reference => "Reference",
            Kind::RagUpdate => "RagUpdate",
        }
    }

    const ALL: [Kind; 7] = [
        Kind::Plan,
        Kind::Action,
        Kind::Theme,
        Kind::Workstream,
        Kind::Person,
        Kind::Reference,
        Kind::RagUpdate,
    ];
}

/// The global id of object `id` of `kind`: opaque to clients (base64 of `Kind:id`).
pub fn global_id(kind: Kind, id: i32) -> String {
    URL_SAFE_NO_PAD.encode(format!("{}:{id}", kind.name()))
}

/// Decodes a global id; anything malformed is a client error, never a panic.
pub fn decode_global_id(id: &str) -> AppResult<(Kind, i32)> {
    let bad = || AppError::bad_input(format!("{id:?} is not a valid id"));
    let bytes = URL_SAFE_NO_PAD
        .decode(id.trim_end_matches('='))
        .map_err(|_| bad())?;
    let text = String::from_utf8(bytes).map_err(|_| bad())?;
    let (kind, num) = text.split_once(':').ok_or_else(bad)?;
    let kind = Kind::ALL
        .into_iter()
        .find(|k| k.name() == kind)
        .ok_or_else(bad)?;
    let num = num.parse::<i32>().map_err(|_| bad())?;
    Ok((kind, num))
}

/// Decodes a global id that must name a `kind` (e.g. `actionId` must be an Action's id).
pub fn decode_id_of(kind: Kind, id: &str) -> AppResult<i32> {
    match decode_global_id(id)? {
        (k, n) if k == kind => Ok(n),
        _ => Err(AppError::bad_input(format!(
            "{id:?} is not the id of an object of type {}",
            kind.name()
        ))),
    }
}

/// Plan `slug` as `who` may see it, its catalogue confirmed current.
pub async fn visible_plan(
    cats: &Catalogues,
    who: &Principal,
    slug: &str,
) -> AppResult<Option<Arc<Catalogue>>> {
    in_scope(who, slug, cats.by_slug(slug)).await
}

/// Like [`visible_plan`], for readers whose next statement confirms the catalogue's version
/// anyway (the GraphQL `plan` field), so it costs no statement of its own when cached.
pub async fn visible_plan_unconfirmed(
    cats: &Catalogues,
    who: &Principal,
    slug: &str,
) -> AppResult<Option<Arc<Catalogue>>> {
    in_scope(who, slug, cats.by_slug_unconfirmed(slug)).await
}

/// Runs `lookup` only for a plan `who` may see: out of scope costs no statement.
async fn in_scope(
    who: &Principal,
    slug: &str,
    lookup: impl std::future::Future<Output = AppResult<Option<Arc<Catalogue>>>>,
) -> AppResult<Option<Arc<Catalogue>>> {
    if !who.sees_plan(slug) {
        return Ok(None);
    }
    lookup.await
}

/// Plan `id` as `who` may see it.
pub async fn visible_plan_by_id(
    cats: &Catalogues,
    who: &Principal,
    id: i32,
) -> AppResult<Option<Arc<Catalogue>>> {
    Ok(cats
        .by_id(id)
        .await?
        .filter(|c| who.sees_plan(&c.plan.slug)))
}

/// An object found by kind and id. Catalogue rows come with their plan's catalogue, which
/// holds them.
pub enum Found {
    Plan(Arc<Catalogue>),
    Action(ActionRow),
    Theme(Arc<Catalogue>, i32),
    Workstream(Arc<Catalogue>, i32),
    Person(Arc<Catalogue>, i32),
    Reference(Arc<Catalogue>, i32),
    RagUpdate(rag_update::Model),
}

/// Object `id` of `kind`, if it exists and `who` may see it.
pub async fn find<C: ConnectionTrait>(
    db: &C,
    cats: &Catalogues,
    who: &Principal,
    kind: Kind,
    id: i32,
) -> AppResult<Option<Found>> {
    Ok(match kind {
        Kind::Plan => visible_plan_by_id(cats, who, id).await?.map(Found::Plan),
        Kind::Action => actions::by_id(db, who.visible_actions(), id)
            .await?
            .map(Found::Action),
        Kind::Theme => plan_of::<theme::Entity, _>(db, cats, who, id)
            .await?
            .map(|c| Found::Theme(c, id)),
        Kind::Workstream => plan_of::<workstream::Entity, _>(db, cats, who, id)
            .await?
            .map(|c| Found::Workstream(c, id)),
        Kind::Person => plan_of::<person::Entity, _>(db, cats, who, id)
            .await?
            .map(|c| Found::Person(c, id)),
        Kind::Reference => plan_of::<source_reference::Entity, _>(db, cats, who, id)
            .await?
            .map(|c| Found::Reference(c, id)),
        // A history entry is visible when its action is.
        Kind::RagUpdate => match rag::update_by_id(db, id).await? {
            Some(r) => actions::by_id(db, who.visible_actions(), r.action_id)
                .await?
                .map(|_| Found::RagUpdate(r)),
            None => None,
        },
    })
}

/// The visible plan a catalogue row (theme, work stream, person, reference) belongs to.
async fn plan_of<E, C>(
    db: &C,
    cats: &Catalogues,
    who: &Principal,
    id: i32,
) -> AppResult<Option<Arc<Catalogue>>>
where
    E: EntityTrait,
    <E::PrimaryKey as sea_orm::PrimaryKeyTrait>::ValueType: From<i32>,
    C: ConnectionTrait,
{
    let plan_id: Option<i32> = E::find_by_id(id)
        .select_only()
        .column_as(sea_orm::sea_query::Expr::col("plan_id"), "plan_id")
        .into_tuple()
        .one(db)
        .await?;
    match plan_id {
        Some(p) => visible_plan_by_id(cats, who, p).await,
        None => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_garbage_is_rejected() {
        let id = global_id(Kind::Action, 42);
        assert_eq!(decode_global_id(&id).ok(), Some((Kind::Action, 42)));
        for garbage in ["", "x", "!!!", "QWN0aW9uOg", "Tm9wZTox"] {
            assert!(decode_global_id(garbage).is_err(), "{garbage}");
        }
    }

    #[test]
    fn an_id_of_another_kind_is_refused() {
        let id = global_id(Kind::Theme, 7);
        assert_eq!(decode_id_of(Kind::Theme, &id).ok(), Some(7));
        assert!(decode_id_of(Kind::Action, &id).is_err());
    }
}
