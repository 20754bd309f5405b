//! Counters the read path needs so its cost does not grow with the history or the catalogue:
//! - `plan.catalogue_version`, bumped by every import in the import's transaction. Servers keep
//!   each plan's catalogue (themes, work streams, people, references, RAG scale) in memory and
//!   check this one integer per request, so an import through any replica or the CLI is seen
//!   on the next read through every replica.
//! - `action.history_count`, the number of `rag_update` rows of the action, kept by every write
//!   that appends one (history is append-only), so a history's `totalCount` reads one column
//!   instead of counting the rows.
//! - The theme and work-stream indexes of `action` carry the plan's order, so a page of one
//!   theme or work stream is read in order and stops at its end instead of sorting them all.
use sea_orm_migration::prelude::*;

/// (old index, new index, column) for the theme and work-stream indexes.
const ORDERED: [(&str, &str, &str); 2] = [
    (
        "ix_action_plan_theme",
        "ix_action_plan_theme_position",
        "theme_id",
    ),
    (
        "ix_action_plan_workstream",
        "ix_action_plan_workstream_position",
        "workstream_id",
    ),
];

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table("plan")
                .add_column(
                    ColumnDef::new("catalogue_version")
                        .integer()
                        .not_null()
                        .default(1),
                )
                .take(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table("action")
                .add_column(
                    ColumnDef::new("history_count")
                        .integer()
                        .not_null()
                        .default(0),
                )
                .take(),
        )
        .await?;
        m.get_connection()
            .execute_unprepared(
                "UPDATE action SET history_count = \
                 (SELECT COUNT(*) FROM rag_update r WHERE r.action_id = action.id)",
            )
            .await?;
        for (old, new, by) in ORDERED {
            reindex(m, old, new, &["plan_id", by, "position", "id"]).await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for (old, new, by) in ORDERED {
            reindex(m, new, old, &["plan_id", by]).await?;
        }
        m.alter_table(
            Table::alter()
                .table("action")
                .drop_column("history_count")
                .take(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table("plan")
                .drop_column("catalogue_version")
                .take(),
        )
        .await
    }
}

/// Replaces index `old` on `action` with `new` over `cols`. A new name rather than the old
/// one again: SQLite's pooled connections may not all have seen the drop yet.
async fn reindex(
    m: &SchemaManager<'_>,
    old: &str,
    new: &str,
    cols: &[&'static str],
) -> Result<(), DbErr> {
    let mut idx = Index::create();
    idx.name(new).table("action");
    for c in cols {
        idx.col(*c);
    }
    m.create_index(idx.take()).await?;
    m.drop_index(Index::drop().name(old).table("action").to_owned())
        .await
}
