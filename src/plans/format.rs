//! The plan file format (`data/*.json`): the one documented way a plan enters the system.
//!
//! It is plain JSON so that a reviewer can read and diff it, and every value is already
//! normalised (canonical person codes, ISO dates, normalised Ofsted codes) so that the importer
//! needs no knowledge of any one plan's quirks. Raw text is kept next to each normalised value
//! (`by_when`, `lead_text`, `raw`) so nothing from the source is lost.
//!
//! `docs/plan-format.md` describes each field for people; this module is the authority.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

// The closed vocabularies are the stored ones (see `entity::values`), so a plan file, the
// database and the API spell each value the same way.
use crate::actions::{LifecycleState, OfstedArea};
use crate::rag::RagStatus;
use entity::ReferenceKind;

/// The current version of the format; the importer refuses any other.
pub const FORMAT_VERSION: u32 = 1;

/// One plan file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanFile {
    /// Always [`FORMAT_VERSION`].
    pub format_version: u32,
    pub plan: PlanMeta,
    /// The plan's RAG table, in the plan's order.
    pub rag_scale: Vec<RagLevel>,
    /// Themes (the child-centred outcome measures the actions are grouped under).
    pub themes: Vec<Theme>,
    /// Work streams (lead task groups).
    pub workstreams: Vec<Workstream>,
    /// Everyone named as a lead or as the source of an action.
    pub people: Vec<Person>,
    /// Source documents (`AA1`..) and people who raised actions (`JD`, `Staff via KOM`).
    pub references: Vec<Reference>,
    /// Distinct evidence items cited by actions.
    pub evidence_sources: Vec<EvidenceSource>,
    /// The actions, in the plan's order.
    pub actions: Vec<Action>,
}

/// Plan-level facts and lists.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanMeta {
    /// Stable identifier used in URLs and tokens, e.g. `herefordshire-2012`.
    pub slug: String,
    pub title: String,
    /// As the plan names itself, e.g. `V2.2`.
    pub version: String,
    /// The authority that owns the plan.
    pub authority: String,
    /// The date the plan speaks as of: RAG statuses without a dated note take effect on it.
    pub as_of: NaiveDate,
    /// "Outline and context" paragraphs.
    pub context: Vec<String>,
    /// Items of the Levels of Need pathway ("Ensuring children ... are safeguarded by:").
    pub levels_of_need: Vec<String>,
    pub priority_aims: Vec<String>,
    pub outcome_measures: Vec<String>,
    /// "Evidence for performance indicators", numbered.
    pub evidence_categories: Vec<EvidenceCategory>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EvidenceCategory {
    pub number: i32,
    pub title: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RagLevel {
    pub status: RagStatus,
    /// The plan's descriptor, e.g. "Tasks and outcomes are on track, milestones met but not completed."
    pub descriptor: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Theme {
    pub number: i32,
    pub title: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Workstream {
    /// Canonical name, e.g. `Commissioning` (the source's `C&C`).
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Person {
    /// Canonical code: the plan's initials in one spelling, e.g. `JRez`.
    pub code: String,
    /// Display name: the full name where the plan gives one, else the code.
    pub name: String,
    /// Every other spelling seen in the source, e.g. `J.Rez`, `J. Rez`.
    #[serde(default)]
    pub aliases: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reference {
    /// `AA1`..`AA7`, `JD`, `Staff via KOM`.
    pub code: String,
    pub title: String,
    pub kind: ReferenceKind,
    /// For `kind = person`: the person code (e.g. `KOM` for `Staff via KOM`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub person: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EvidenceSource {
    /// The evidence item as written, e.g. `Consultation, audit, surveys`.
    pub name: String,
    /// The performance-indicator evidence category it is, when it is one of them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<i32>,
}

/// One action row of the plan (a sub-action such as `2.1 (a)` is an action of its own).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Action {
    /// Exactly as numbered in the plan: `1.1`, `2.1 (a)`.
    pub code: String,
    pub theme: i32,
    /// Reference codes, in the order given.
    pub references: Vec<String>,
    /// The objective's lead sentence.
    pub objective: String,
    /// The objective's bullet items, if any.
    #[serde(default)]
    pub objective_items: Vec<String>,
    /// Measurable targets.
    pub outcomes: Vec<String>,
    /// Evidence source names (each listed in `evidence_sources`).
    pub evidence: Vec<String>,
    /// Lead person codes, canonical.
    pub leads: Vec<String>,
    /// The lead cell as written in the source.
    pub lead_text: String,
    /// Current work stream name.
    pub workstream: String,
    /// The "By when" cell as written.
    pub by_when: String,
    /// Parsed milestones, in the order written.
    #[serde(default)]
    pub milestones: Vec<Milestone>,
    /// Current RAG status as the plan gives it.
    pub rag: Rag,
    /// Ofsted grade descriptors, normalised with the raw text kept.
    #[serde(default)]
    pub ofsted: Vec<OfstedDescriptor>,
    /// Codes of actions this one links to ("Link to 2.1 2.10 and 2.11").
    #[serde(default)]
    pub links: Vec<String>,
    /// Timescale extensions agreed.
    #[serde(default)]
    pub extensions: Vec<Extension>,
    /// Work-stream moves ("MOVED TO PRACTICE").
    #[serde(default)]
    pub moves: Vec<Move>,
    /// A recorded proposal to remove the action ("Remove from plan"); the action stays active.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub removal_proposal: Option<RemovalProposal>,
    pub state: LifecycleState,
    /// Why it was removed, when `state = removed`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub removed_reason: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Milestone {
    /// The milestone as written, e.g. `Stage 1 – Nov 12`, `Jan 13`.
    pub label: String,
    /// The last day of the period named, when it names one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due: Option<NaiveDate>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rag {
    pub status: RagStatus,
    /// The note after the status word, e.g. `This has been shared with the front end...`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// The date in the note (`Green 21.11.12`), else none (the plan's `as_of` applies).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effective_date: Option<NaiveDate>,
    /// The cell as written.
    pub raw: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OfstedDescriptor {
    /// Normalised code, e.g. `QP3.21`; the bare area (`LG`) when only the area is given.
    pub code: String,
    pub area: OfstedArea,
    /// As written, e.g. `LG .4.15`, `3.21`.
    pub raw: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Extension {
    /// As written, e.g. `Extension to timescale agreed Jan 13`.
    pub raw: String,
    /// When the extension was agreed, if stated (last day of the month named).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agreed_on: Option<NaiveDate>,
    /// The new due date, if stated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new_due: Option<NaiveDate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Move {
    /// As written, e.g. `MOVED TO PRACTICE`.
    pub raw: String,
    pub from: String,
    pub to: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RemovalProposal {
    /// As written, e.g. `Remove from plan`.
    pub raw: String,
}
