//! How long each plain list of the schema can be, and how wide each value is: what makes the
//! estimate an upper bound rather than a guess.
//!
//! Every list that is not a page (`edges`, `nodes`, bounded by `first`) has a maximum here,
//! and the writes that make the list longer refuse to pass it (`plans::MAX_*`, enforced by
//! the importer's validation and by the action edits). A test fails when the schema gains a
//! list without one.
use crate::plans::{MAX_CATALOGUE, MAX_EVIDENCE, MAX_ITEMS, MAX_LEADS, MAX_LINKS, MAX_TEXT_CHARS};

/// The statuses of the RAG scale.
const RAG_LEVELS: usize = 5;

/// The longest each plain list can be, by `Type.field`.
pub const LIST_MAXIMA: &[(&str, usize)] = &[
    ("Action.objectiveItems", MAX_ITEMS),
    ("Action.outcome", MAX_ITEMS),
    ("Action.evidence", MAX_ITEMS),
    ("Action.submittedEvidence", MAX_EVIDENCE),
    ("Action.leads", MAX_LEADS),
    ("Action.references", MAX_LEADS),
    ("Action.milestones", MAX_ITEMS),
    ("Action.extensions", MAX_ITEMS),
    ("Action.moves", MAX_ITEMS),
    ("Action.removalProposals", MAX_ITEMS),
    ("Action.ofstedDescriptors", MAX_ITEMS),
    ("Action.links", MAX_LINKS),
    ("Action.linkedFrom", MAX_LINKS),
    ("Person.aliases", MAX_LEADS),
    ("Plan.context", MAX_ITEMS),
    ("Plan.levelsOfNeed", MAX_ITEMS),
    ("Plan.priorityAims", MAX_ITEMS),
    ("Plan.outcomeMeasures", MAX_ITEMS),
    ("Plan.evidenceCategories", MAX_ITEMS),
    ("Plan.ragScale", RAG_LEVELS),
    ("Plan.themes", MAX_ITEMS),
    ("Plan.workstreams", MAX_ITEMS),
    ("Plan.people", MAX_CATALOGUE),
    ("Plan.references", MAX_CATALOGUE),
    ("Plan.evidenceSources", MAX_CATALOGUE),
    // Points: from its dates and interval (`trend_points`); this is its own cap.
    ("Plan.ragTrend", crate::rag::MAX_TREND_POINTS),
    (
        "Query.webhooks",
        crate::live::webhooks::MAX_WEBHOOKS_PER_PLAN,
    ),
    ("RagGroup.counts", RAG_LEVELS),
    ("RagSummary.counts", RAG_LEVELS),
    // Groups by theme, work stream or lead: at most a catalogue's length.
    ("RagSummary.groups", MAX_CATALOGUE),
    ("RecordRagUpdatesPayload.results", crate::rag::MAX_BATCH),
    ("Webhook.events", 10),
    ("Webhook.leads", super::super::bounds::DEFAULT_ITEMS),
    ("Webhook.workstreams", super::super::bounds::DEFAULT_ITEMS),
];

/// The maximum of a plain list, if the table has one.
pub fn list_maximum(parent: &str, field: &str) -> Option<u64> {
    LIST_MAXIMA
        .iter()
        .find(|(key, _)| {
            key.split_once('.')
                .is_some_and(|(t, f)| t == parent && f == field)
        })
        .map(|(_, n)| *n as u64)
}

/// The widest a scalar or enum value can be, as JSON. A string is as long as the longest
/// text any input or import may hold, each character escaped at worst (`\u0000`).
pub fn value_width(type_name: &str) -> u64 {
    match type_name {
        "Int" => 11,
        "Float" => 24,
        "Boolean" => 5,
        "ID" => 64,
        "Date" => 12,
        "DateTime" => 40,
        "String" => (MAX_TEXT_CHARS as u64) * 6 + 2,
        // Audit snapshots and stored filters: an action's whole record at most.
        "JSON" => 1 << 20,
        // Enums: every enum value of the schema is shorter than this.
        _ => 40,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::admission::cost::SchemaShape;

    #[test]
    fn every_plain_list_of_the_schema_has_a_maximum() {
        let shape = SchemaShape::from_sdl(&crate::graphql::sdl());
        let mut missing = Vec::new();
        for (ty, t) in &shape.types {
            for (name, f) in &t.fields {
                let page = t.connection && (name == "edges" || name == "nodes");
                if (f.object_list || f.scalar_list) && !page && list_maximum(ty, name).is_none() {
                    missing.push(format!("{ty}.{name}"));
                }
            }
        }
        missing.sort();
        assert!(
            missing.is_empty(),
            "lists without a maximum in LIST_MAXIMA (and a write that keeps to it): {missing:?}"
        );
        // And the table names no list the schema does not have.
        for (key, _) in LIST_MAXIMA {
            let (ty, name) = key.split_once('.').expect("Type.field");
            let f = shape
                .types
                .get(ty)
                .and_then(|t| t.fields.get(name))
                .unwrap_or_else(|| panic!("{key} is not a field of the schema"));
            assert!(f.object_list || f.scalar_list, "{key} is not a list");
        }
    }
}
