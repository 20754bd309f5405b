//! When actions left the plan and came back: an append-only record per change of state, so
//! that RAG counts "as of" a past date leave out exactly the actions removed by then.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("action_state_change")
                .col(pk_auto("id"))
                .col(integer("action_id"))
                // "active" or "removed"
                .col(string("state"))
                .col(date("effective_date"))
                .col(text_null("reason"))
                .col(timestamp_with_time_zone("recorded_at"))
                .col(text("recorded_by"))
                .foreign_key(
                    ForeignKey::create()
                        .from("action_state_change", "action_id")
                        .to("action", "id")
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .take(),
        )
        .await?;
        // The state as of a date is one probe: latest (effective_date, id) for the action.
        m.create_index(
            Index::create()
                .name("ix_action_state_change_action_date")
                .table("action_state_change")
                .col("action_id")
                .col("effective_date")
                .col("id")
                .take(),
        )
        .await?;
        // `stale(days:)` finds actions whose status took effect before a cutoff.
        m.create_index(
            Index::create()
                .name("ix_action_plan_rag_effective")
                .table("action")
                .col("plan_id")
                .col("rag_effective_date")
                .take(),
        )
        .await?;
        // Actions already removed (by an earlier import) left on the day they were last updated.
        // SQLite keeps timestamps as RFC 3339 text, which only `DATE()` reads as a date there.
        let day = match m.get_database_backend() {
            sea_orm::DatabaseBackend::Sqlite => "DATE(updated_at)",
            _ => "CAST(updated_at AS DATE)",
        };
        m.get_connection()
            .execute_unprepared(&format!(
                "INSERT INTO action_state_change (action_id, state, effective_date, reason, recorded_at, recorded_by) \
                 SELECT id, 'removed', {day}, removed_reason, updated_at, 'migration' \
                 FROM action WHERE state = 'removed'"
            ))
            .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(
            Index::drop()
                .name("ix_action_plan_rag_effective")
                .table("action")
                .to_owned(),
        )
        .await?;
        m.drop_table(Table::drop().table("action_state_change").to_owned())
            .await
    }
}
