//! What each role may change. One table, read by every write path (GraphQL, CLI, tests).
//!
//! Reading is governed by `Principal::visible_actions`; writing first requires the action to be
//! visible (else NOT_FOUND: a partner must not learn that an action exists), then the role to
//! hold the operation (else FORBIDDEN), then the action to sit in the role's write scope.
use super::principal::{Principal, Role};
use crate::error::{AppError, AppResult};
use sea_orm::Condition;

/// Every kind of change the API makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Operation {
    RecordRagUpdate,
    AddEvidence,
    /// Changing only an action's milestones ("by when").
    EditMilestones,
    ExtendDeadline,
    /// Changing anything else of an action (objective, outcomes, leads, theme, ...).
    EditAction,
    CreateAction,
    MoveAction,
    RetireAction,
    ReinstateAction,
    LinkActions,
    UnlinkActions,
    ImportPlan,
    ReadAuditLog,
    CreateWebhook,
    UpdateWebhook,
    DeleteWebhook,
    /// Reading webhooks and their delivery attempts.
    ReadWebhooks,
}

impl Operation {
    /// The name the audit trail records (the GraphQL mutation's name).
    pub fn name(self) -> &'static str {
        match self {
            Operation::RecordRagUpdate => "recordRagUpdate",
            Operation::AddEvidence => "addEvidence",
            Operation::EditMilestones | Operation::EditAction => "updateAction",
            Operation::ExtendDeadline => "extendDeadline",
            Operation::CreateAction => "createAction",
            Operation::MoveAction => "moveAction",
            Operation::RetireAction => "retireAction",
            Operation::ReinstateAction => "reinstateAction",
            Operation::LinkActions => "linkActions",
            Operation::UnlinkActions => "unlinkActions",
            Operation::ImportPlan => "importPlan",
            Operation::ReadAuditLog => "auditLog",
            Operation::CreateWebhook => "createWebhook",
            Operation::UpdateWebhook => "updateWebhook",
            Operation::DeleteWebhook => "deleteWebhook",
            Operation::ReadWebhooks => "webhooks",
        }
    }
}

impl Operation {
    /// What the operation does, for refusals ("a viewer token may not …").
    pub fn describe(self) -> &'static str {
        match self {
            Operation::RecordRagUpdate => "record RAG updates",
            Operation::AddEvidence => "add evidence",
            Operation::EditMilestones => "change milestones",
            Operation::ExtendDeadline => "extend deadlines",
            Operation::EditAction => "edit actions",
            Operation::CreateAction => "create actions",
            Operation::MoveAction => "move actions between work streams",
            Operation::RetireAction => "retire actions",
            Operation::ReinstateAction => "reinstate actions",
            Operation::LinkActions => "link actions",
            Operation::UnlinkActions => "unlink actions",
            Operation::ImportPlan => "import plans",
            Operation::ReadAuditLog => "read the audit log",
            Operation::CreateWebhook => "create webhooks",
            Operation::UpdateWebhook => "change webhooks",
            Operation::DeleteWebhook => "delete webhooks",
            Operation::ReadWebhooks => "read webhooks",
        }
    }
}

/// Which actions a role may apply an operation to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach {
    Nowhere,
    /// Actions one of its `leads` leads, or in one of its `workstreams`.
    LeadsOrWorkstreams,
    /// Actions in one of its `workstreams`.
    Workstreams,
    /// Every action it can see.
    Everywhere,
}

/// The role × operation table.
pub fn reach(role: Role, op: Operation) -> Reach {
    use Operation as O;
    match (role, op) {
        (Role::Admin, _) => Reach::Everywhere,
        (Role::Viewer, _) => Reach::Nowhere,
        (
            Role::Lead,
            O::RecordRagUpdate | O::AddEvidence | O::EditMilestones | O::ExtendDeadline,
        ) => Reach::LeadsOrWorkstreams,
        (Role::Integration, O::RecordRagUpdate | O::AddEvidence) => Reach::Workstreams,
        // A partner sees only its own actions, so "everywhere it can see" is its scope.
        (Role::Partner, O::AddEvidence) => Reach::Everywhere,
        _ => Reach::Nowhere,
    }
}

impl Principal {
    /// FORBIDDEN unless the role may apply `op` at all.
    pub fn may(&self, op: Operation) -> AppResult<()> {
        if reach(self.role, op) == Reach::Nowhere {
            return Err(self.refusal(op));
        }
        Ok(())
    }

    /// FORBIDDEN unless the role may apply `op` everywhere it sees (operations on a plan rather
    /// than on an action: creating one, importing, reading the audit log).
    pub fn require(&self, op: Operation) -> AppResult<()> {
        if reach(self.role, op) != Reach::Everywhere {
            return Err(self.refusal(op));
        }
        Ok(())
    }

    fn refusal(&self, op: Operation) -> AppError {
        AppError::Forbidden(format!(
            "a {} token may not {}",
            self.role.as_str(),
            op.describe()
        ))
    }

    /// The actions this principal may apply `op` to (`None`: no action at all).
    pub fn write_scope(&self, op: Operation) -> Option<Condition> {
        match reach(self.role, op) {
            Reach::Nowhere => None,
            Reach::Everywhere => Some(Condition::all()),
            Reach::LeadsOrWorkstreams => Some(self.leads_or_workstreams()),
            Reach::Workstreams => Some(self.in_workstreams()),
        }
    }

    /// Whether every write must carry an idempotency key (service accounts retry).
    pub fn must_send_idempotency_key(&self) -> bool {
        self.role == Role::Integration
    }
}
