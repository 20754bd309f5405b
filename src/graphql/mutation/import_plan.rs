//! `importPlan`: a plan file imported or re-imported through the API.
use async_graphql::{Context, InputObject, Object, Result, SimpleObject};

use crate::error::AppError;
use crate::graphql::context::{catalogues, state};
use crate::graphql::plan::Plan;
use crate::graphql::principal;

/// A plan file (JSON, see docs/plan-format.md) to import or re-import.
#[derive(InputObject)]
pub struct ImportPlanInput {
    /// The file's content.
    pub plan_json: String,
    /// Recorded in the history and audit trail, e.g. `herefordshire-2013.json`.
    pub file_name: Option<String>,
}

/// What an import changed.
#[derive(SimpleObject)]
pub struct ImportPlanPayload {
    /// The plan as imported.
    plan: Plan,
    /// Whether the file's plan was new to the server.
    plan_created: bool,
    /// Whether the plan's own details or catalogue (themes, work streams, people, ...) changed.
    plan_updated: bool,
    /// Actions the file added.
    actions_created: u64,
    /// Actions the file changed.
    actions_updated: u64,
    /// Actions the file lists as they already were.
    actions_unchanged: u64,
    /// Imported actions the file no longer lists: marked removed, with their history kept.
    actions_removed: u64,
    /// RAG history entries appended (only where the file says something new).
    rag_updates: u64,
}

/// `importPlan`, one member of `MutationRoot`.
#[derive(Default)]
pub struct ImportPlanMutation;

#[Object]
impl ImportPlanMutation {
    /// Imports or re-imports a plan file (admins only): idempotent, one transaction, a file
    /// with problems changes nothing and says what they are.
    async fn import_plan(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The plan file.")] input: ImportPlanInput,
    ) -> Result<ImportPlanPayload> {
        let who = principal(ctx)?;
        let st = state(ctx)?;
        let name = input
            .file_name
            .unwrap_or_else(|| "importPlan.json".to_string());
        let report = crate::plans::import::import_through_api(
            &st.writer,
            who,
            input.plan_json.as_bytes(),
            &name,
        )
        .await?;
        // The import bumped the plan's catalogue version: this reads the new catalogue.
        let plan = catalogues(ctx)?
            .by_slug_again(&report.plan)
            .await?
            .ok_or_else(|| AppError::Internal("BUG: imported plan missing".into()))?;
        Ok(ImportPlanPayload {
            plan: Plan(plan),
            plan_created: report.plan_created,
            plan_updated: report.plan_updated,
            actions_created: report.actions_created as u64,
            actions_updated: report.actions_updated as u64,
            actions_unchanged: report.actions_unchanged as u64,
            actions_removed: report.actions_removed as u64,
            rag_updates: report.rag_updates as u64,
        })
    }
}
