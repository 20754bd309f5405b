//! What the audit trail records of an action before and after a change.
use entity::action;
use serde_json::json;

/// What the audit trail keeps of an action's own columns.
pub fn snapshot(a: &action::Model) -> serde_json::Value {
    json!({
        "code": a.code,
        "themeId": a.theme_id,
        "workstreamId": a.workstream_id,
        "objective": a.objective,
        "objectiveItems": a.objective_items,
        "outcomes": a.outcomes,
        "byWhen": a.by_when,
        "leadText": a.lead_text,
        "dueDate": a.due_date,
        "rag": { "status": a.rag_status, "note": a.rag_note, "effectiveDate": a.rag_effective_date },
        "state": a.state,
        "removedReason": a.removed_reason,
        "version": a.version,
    })
}

/// The action as it will be once `next` is saved (for the audit event's "after").
pub(super) fn preview(current: &action::Model, next: &action::ActiveModel) -> action::Model {
    let mut m = current.clone();
    macro_rules! take {
        ($($f:ident),*) => {$(
            if let sea_orm::ActiveValue::Set(v) = &next.$f {
                m.$f = v.clone();
            }
        )*};
    }
    take!(
        objective,
        objective_items,
        outcomes,
        theme_id,
        workstream_id,
        by_when,
        lead_text,
        due_date,
        state,
        removed_reason
    );
    m.version = current.version + 1;
    m
}
