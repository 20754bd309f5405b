//! The plan schema: plans and their catalogues (themes, work streams, people, references,
//! evidence sources, RAG scale), actions with their relations, and the append-only records
//! (RAG history, timescale extensions, work-stream moves, removal proposals).
//!
//! Every table that belongs to a plan carries `plan_id` so that many plans live side by side;
//! natural keys (`code`, `number`, `name`) are unique per plan, not globally. Indexes follow
//! the filters of `plan.actions(filter:)` and the per-action relation loaders.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// `plan_id` column with its foreign key; plans own everything, so deleting one cascades.
fn plan_fk(table: &'static str) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(table, "plan_id")
        .to("plan", "id")
        .on_delete(ForeignKeyAction::Cascade)
        .take()
}

fn action_fk(table: &'static str, col: &'static str) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(table, col)
        .to("action", "id")
        .on_delete(ForeignKeyAction::Cascade)
        .take()
}

fn index(
    name: &str,
    table: &'static str,
    cols: &[&'static str],
    unique: bool,
) -> IndexCreateStatement {
    let mut idx = Index::create();
    idx.name(name).table(table);
    for c in cols {
        idx.col(*c);
    }
    if unique {
        idx.unique();
    }
    idx.take()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // Plan-level lists are display text read whole with the plan, never filtered on, so
        // they are stored as JSON arrays in text columns (same on both engines).
        m.create_table(
            Table::create()
                .table("plan")
                .col(pk_auto("id"))
                .col(string_uniq("slug"))
                .col(text("title"))
                .col(string("version"))
                .col(text("authority"))
                .col(date("as_of"))
                .col(text("context"))
                .col(text("levels_of_need"))
                .col(text("priority_aims"))
                .col(text("outcome_measures"))
                .col(text("evidence_categories"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone("updated_at"))
                .take(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table("rag_level")
                .col(pk_auto("id"))
                .col(integer("plan_id"))
                .col(string("status"))
                .col(text("descriptor"))
                .col(integer("position"))
                .foreign_key(&mut plan_fk("rag_level"))
                .take(),
        )
        .await?;
        m.create_index(index(
            "ux_rag_level_plan_status",
            "rag_level",
            &["plan_id", "status"],
            true,
        ))
        .await?;

        m.create_table(
            Table::create()
                .table("theme")
                .col(pk_auto("id"))
                .col(integer("plan_id"))
                .col(integer("number"))
                .col(text("title"))
                .foreign_key(&mut plan_fk("theme"))
                .take(),
        )
        .await?;
        m.create_index(index(
            "ux_theme_plan_number",
            "theme",
            &["plan_id", "number"],
            true,
        ))
        .await?;

        m.create_table(
            Table::create()
                .table("workstream")
                .col(pk_auto("id"))
                .col(integer("plan_id"))
                .col(string("name"))
                .col(integer("position"))
                .foreign_key(&mut plan_fk("workstream"))
                .take(),
        )
        .await?;
        m.create_index(index(
            "ux_workstream_plan_name",
            "workstream",
            &["plan_id", "name"],
            true,
        ))
        .await?;

        m.create_table(
            Table::create()
                .table("person")
                .col(pk_auto("id"))
                .col(integer("plan_id"))
                .col(string("code"))
                .col(text("name"))
                // JSON array of other spellings, kept so imports and searches can resolve them.
                .col(text("aliases"))
                .col(integer("position"))
                .foreign_key(&mut plan_fk("person"))
                .take(),
        )
        .await?;
        m.create_index(index(
            "ux_person_plan_code",
            "person",
            &["plan_id", "code"],
            true,
        ))
        .await?;

        // `reference` is an SQL keyword, hence `source_reference`.
        m.create_table(
            Table::create()
                .table("source_reference")
                .col(pk_auto("id"))
                .col(integer("plan_id"))
                .col(string("code"))
                .col(text("title"))
                .col(string("kind"))
                .col(integer_null("person_id"))
                .col(integer("position"))
                .foreign_key(&mut plan_fk("source_reference"))
                .foreign_key(
                    ForeignKey::create()
                        .from("source_reference", "person_id")
                        .to("person", "id")
                        .on_delete(ForeignKeyAction::SetNull),
                )
                .take(),
        )
        .await?;
        m.create_index(index(
            "ux_source_reference_plan_code",
            "source_reference",
            &["plan_id", "code"],
            true,
        ))
        .await?;

        m.create_table(
            Table::create()
                .table("evidence_source")
                .col(pk_auto("id"))
                .col(integer("plan_id"))
                .col(text("name"))
                .col(integer_null("category"))
                .col(integer("position"))
                .foreign_key(&mut plan_fk("evidence_source"))
                .take(),
        )
        .await?;
        m.create_index(index(
            "ux_evidence_source_plan_name",
            "evidence_source",
            &["plan_id", "name"],
            true,
        ))
        .await?;

        m.create_table(
            Table::create()
                .table("action")
                .col(pk_auto("id"))
                .col(integer("plan_id"))
                .col(string("code"))
                .col(integer("theme_id"))
                .col(integer("workstream_id"))
                // Order in the plan document; the default sort.
                .col(integer("position"))
                .col(text("objective"))
                .col(text("objective_items"))
                .col(text("outcomes"))
                .col(text("by_when"))
                .col(text("lead_text"))
                // Latest milestone due date, denormalised for dueBefore/dueAfter and overdue.
                .col(date_null("due_date"))
                // Current RAG, denormalised from the latest rag_update so that reads and counts
                // never scan the history.
                .col(string("rag_status"))
                .col(text_null("rag_note"))
                .col(date("rag_effective_date"))
                .col(timestamp_with_time_zone("rag_recorded_at"))
                .col(string("state"))
                .col(text_null("removed_reason"))
                // Lower-cased objective + items + outcomes, computed on write for `search`.
                .col(text("search_text"))
                // The action as last imported (canonical JSON): re-importing an unchanged action
                // is then a no-op even if the API has edited it since.
                .col(text_null("imported_json"))
                .col(integer("version"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone("updated_at"))
                .foreign_key(&mut plan_fk("action"))
                .foreign_key(
                    ForeignKey::create()
                        .from("action", "theme_id")
                        .to("theme", "id"),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from("action", "workstream_id")
                        .to("workstream", "id"),
                )
                .take(),
        )
        .await?;
        for (name, cols, unique) in [
            ("ux_action_plan_code", &["plan_id", "code"][..], true),
            (
                "ix_action_plan_position",
                &["plan_id", "position", "id"][..],
                false,
            ),
            ("ix_action_plan_theme", &["plan_id", "theme_id"][..], false),
            (
                "ix_action_plan_workstream",
                &["plan_id", "workstream_id"][..],
                false,
            ),
            ("ix_action_plan_rag", &["plan_id", "rag_status"][..], false),
            ("ix_action_plan_due", &["plan_id", "due_date"][..], false),
            ("ix_action_plan_state", &["plan_id", "state"][..], false),
        ] {
            m.create_index(index(name, "action", cols, unique)).await?;
        }

        // Join tables: primary key (action, other) serves the per-action loaders; the reverse
        // index serves the filters ("actions led by KOM").
        for (table, other, other_table) in [
            ("action_lead", "person_id", "person"),
            ("action_reference", "reference_id", "source_reference"),
            ("action_evidence", "evidence_source_id", "evidence_source"),
        ] {
            m.create_table(
                Table::create()
                    .table(table)
                    .col(integer("action_id"))
                    .col(integer(other))
                    .col(integer("position"))
                    .primary_key(Index::create().col("action_id").col(other))
                    .foreign_key(&mut action_fk(table, "action_id"))
                    .foreign_key(
                        ForeignKey::create()
                            .from(table, other)
                            .to(other_table, "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .take(),
            )
            .await?;
            m.create_index(index(
                &format!("ix_{table}_{other}"),
                table,
                &[other, "action_id"],
                false,
            ))
            .await?;
        }

        m.create_table(
            Table::create()
                .table("action_descriptor")
                .col(pk_auto("id"))
                .col(integer("action_id"))
                .col(integer("position"))
                .col(string("code"))
                .col(string("area"))
                .col(text("raw"))
                .foreign_key(&mut action_fk("action_descriptor", "action_id"))
                .take(),
        )
        .await?;
        m.create_index(index(
            "ix_action_descriptor_action",
            "action_descriptor",
            &["action_id", "position"],
            false,
        ))
        .await?;
        m.create_index(index(
            "ix_action_descriptor_code",
            "action_descriptor",
            &["code", "action_id"],
            false,
        ))
        .await?;
        m.create_index(index(
            "ix_action_descriptor_area",
            "action_descriptor",
            &["area", "action_id"],
            false,
        ))
        .await?;

        m.create_table(
            Table::create()
                .table("action_link")
                .col(integer("from_action_id"))
                .col(integer("to_action_id"))
                .primary_key(Index::create().col("from_action_id").col("to_action_id"))
                .foreign_key(&mut action_fk("action_link", "from_action_id"))
                .foreign_key(&mut action_fk("action_link", "to_action_id"))
                .take(),
        )
        .await?;
        m.create_index(index(
            "ix_action_link_to",
            "action_link",
            &["to_action_id", "from_action_id"],
            false,
        ))
        .await?;

        m.create_table(
            Table::create()
                .table("milestone")
                .col(pk_auto("id"))
                .col(integer("action_id"))
                .col(integer("position"))
                .col(text("label"))
                .col(date_null("due"))
                .foreign_key(&mut action_fk("milestone", "action_id"))
                .take(),
        )
        .await?;
        m.create_index(index(
            "ix_milestone_action",
            "milestone",
            &["action_id", "position"],
            false,
        ))
        .await?;

        // Append-only records below: rows are inserted, never updated or deleted by the API.
        m.create_table(
            Table::create()
                .table("timescale_extension")
                .col(pk_auto("id"))
                .col(integer("action_id"))
                .col(text_null("raw"))
                .col(text_null("reason"))
                .col(date_null("agreed_on"))
                .col(date_null("previous_due"))
                .col(date_null("new_due"))
                .col(timestamp_with_time_zone("recorded_at"))
                .col(text("recorded_by"))
                .foreign_key(&mut action_fk("timescale_extension", "action_id"))
                .take(),
        )
        .await?;
        m.create_index(index(
            "ix_timescale_extension_action",
            "timescale_extension",
            &["action_id", "id"],
            false,
        ))
        .await?;

        m.create_table(
            Table::create()
                .table("workstream_move")
                .col(pk_auto("id"))
                .col(integer("action_id"))
                .col(integer_null("from_workstream_id"))
                .col(integer("to_workstream_id"))
                .col(text_null("raw"))
                .col(text_null("reason"))
                .col(timestamp_with_time_zone("recorded_at"))
                .col(text("recorded_by"))
                .foreign_key(&mut action_fk("workstream_move", "action_id"))
                .foreign_key(
                    ForeignKey::create()
                        .from("workstream_move", "from_workstream_id")
                        .to("workstream", "id"),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from("workstream_move", "to_workstream_id")
                        .to("workstream", "id"),
                )
                .take(),
        )
        .await?;
        m.create_index(index(
            "ix_workstream_move_action",
            "workstream_move",
            &["action_id", "id"],
            false,
        ))
        .await?;

        m.create_table(
            Table::create()
                .table("removal_proposal")
                .col(pk_auto("id"))
                .col(integer("action_id"))
                .col(text("raw"))
                .col(timestamp_with_time_zone("recorded_at"))
                .col(text("recorded_by"))
                .foreign_key(&mut action_fk("removal_proposal", "action_id"))
                .take(),
        )
        .await?;
        m.create_index(index(
            "ix_removal_proposal_action",
            "removal_proposal",
            &["action_id", "id"],
            false,
        ))
        .await?;

        m.create_table(
            Table::create()
                .table("rag_update")
                .col(pk_auto("id"))
                .col(integer("action_id"))
                .col(string("status"))
                .col(string_null("previous_status"))
                .col(text_null("note"))
                .col(date("effective_date"))
                .col(timestamp_with_time_zone("recorded_at"))
                .col(text("author"))
                .col(text("source"))
                .foreign_key(&mut action_fk("rag_update", "action_id"))
                .take(),
        )
        .await?;
        // Serves both "history of one action, newest first" and "status as of a date".
        m.create_index(index(
            "ix_rag_update_action_effective",
            "rag_update",
            &["action_id", "effective_date", "id"],
            false,
        ))
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            "rag_update",
            "removal_proposal",
            "workstream_move",
            "timescale_extension",
            "milestone",
            "action_link",
            "action_descriptor",
            "action_evidence",
            "action_reference",
            "action_lead",
            "action",
            "evidence_source",
            "source_reference",
            "person",
            "workstream",
            "theme",
            "rag_level",
            "plan",
        ] {
            m.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        Ok(())
    }
}
