//! A plan's catalogue as GraphQL objects: its RAG scale, themes, work streams, people,
//! references, evidence categories and evidence sources.
use std::sync::Arc;

use async_graphql::{Enum, Object, ID};
use entity::{evidence_source, rag_level, source_reference, theme, workstream};

use super::action::filter::RagStatusGql;
use super::relay::{global_id, Kind};
use crate::plans::catalogue::{self, Catalogue};

/// A numbered category of evidence for performance indicators.
pub struct EvidenceCategory(pub(super) Arc<Catalogue>, pub(super) usize);

/// A numbered category of evidence for performance indicators.
#[Object(serial)]
impl EvidenceCategory {
    /// The category's number in the plan (1-5); `EvidenceSource.category` refers to it.
    async fn number(&self) -> i32 {
        self.0.evidence_categories[self.1].number
    }
    /// The category as the plan names it.
    async fn title(&self) -> &str {
        &self.0.evidence_categories[self.1].title
    }
}

/// A RAG status and what it means in this plan.
pub struct RagLevel {
    pub(super) cat: Arc<Catalogue>,
    pub(super) i: usize,
}

impl RagLevel {
    fn row(&self) -> &rag_level::Model {
        &self.cat.rag_scale[self.i]
    }
}

/// A RAG status and what it means in this plan.
#[Object(serial)]
impl RagLevel {
    /// The status.
    async fn status(&self) -> RagStatusGql {
        self.row().status.into()
    }
    /// What the status means, in the plan's words.
    async fn descriptor(&self) -> &str {
        &self.row().descriptor
    }
}

/// A theme: one of the plan's child-centred outcome measures.
pub struct Theme {
    pub(super) cat: Arc<Catalogue>,
    pub(super) i: usize,
}

impl Theme {
    /// Theme `id` of a plan's catalogue.
    pub fn of(cat: &Arc<Catalogue>, id: i32) -> Option<Self> {
        Some(Self {
            i: cat.theme_pos(id)?,
            cat: cat.clone(),
        })
    }
    fn row(&self) -> &theme::Model {
        &self.cat.themes[self.i]
    }
}

/// A theme of the plan: one of its child-centred outcome measures, under which actions are
/// numbered (theme 3 holds actions 3.1, 3.2, ...).
#[Object(serial)]
impl Theme {
    /// Global id (see `node(id:)`).
    pub async fn id(&self) -> ID {
        global_id(Kind::Theme, self.row().id)
    }
    /// The theme's number, the first part of its actions' codes.
    async fn number(&self) -> i32 {
        self.row().number
    }
    /// The outcome measure as the plan words it.
    async fn title(&self) -> &str {
        &self.row().title
    }
}

/// A work stream (lead task group).
pub struct Workstream {
    pub(super) cat: Arc<Catalogue>,
    pub(super) i: usize,
}

impl Workstream {
    /// Work stream `id` of a plan's catalogue.
    pub fn of(cat: &Arc<Catalogue>, id: i32) -> Option<Self> {
        Some(Self {
            i: cat.workstream_pos(id)?,
            cat: cat.clone(),
        })
    }
    fn row(&self) -> &workstream::Model {
        &self.cat.workstreams[self.i]
    }
}

/// A work stream: the lead task group an action belongs to (`Practice`, `HSCB`, ...).
#[Object(serial)]
impl Workstream {
    /// Global id (see `node(id:)`).
    pub async fn id(&self) -> ID {
        global_id(Kind::Workstream, self.row().id)
    }
    /// The name as the plan gives it (`C&C` is Commissioning).
    async fn name(&self) -> &str {
        &self.row().name
    }
}

/// A person named in the plan, under one canonical code.
pub struct Person {
    pub(super) cat: Arc<Catalogue>,
    pub(super) i: usize,
}

impl Person {
    /// Person `id` of a plan's catalogue.
    pub fn of(cat: &Arc<Catalogue>, id: i32) -> Option<Self> {
        Some(Self {
            i: cat.person_pos(id)?,
            cat: cat.clone(),
        })
    }
    fn person(&self) -> &catalogue::Person {
        &self.cat.people[self.i]
    }
}

/// A person the plan names as a lead or a source, under one canonical code.
#[Object(serial)]
impl Person {
    /// Global id (see `node(id:)`).
    pub async fn id(&self) -> ID {
        global_id(Kind::Person, self.person().row.id)
    }
    /// Canonical code: the plan's initials in one spelling (`KOM`, `JRez`).
    async fn code(&self) -> &str {
        &self.person().row.code
    }
    /// Full name where the plan gives one, else the code.
    async fn name(&self) -> &str {
        &self.person().row.name
    }
    /// Other spellings found in the source (`J.Rez`, `J. Rez`).
    async fn aliases(&self) -> &[String] {
        self.person().aliases()
    }
}

/// Whether a reference is a document or a person who raised the action.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(name = "ReferenceKind", remote = "entity::ReferenceKind")]
pub enum ReferenceKindGql {
    /// A source document (`AA1`..`AA7`).
    Document,
    /// A person who raised the action (`JD`, `Staff via KOM`).
    Person,
}

/// A source an action came from.
pub struct Reference {
    pub(super) cat: Arc<Catalogue>,
    pub(super) i: usize,
}

impl Reference {
    /// Reference `id` of a plan's catalogue.
    pub fn of(cat: &Arc<Catalogue>, id: i32) -> Option<Self> {
        Some(Self {
            i: cat.reference_pos(id)?,
            cat: cat.clone(),
        })
    }
    fn row(&self) -> &source_reference::Model {
        &self.cat.references[self.i]
    }
}

/// A source an action came from: a document, or a person who raised it.
#[Object(serial)]
impl Reference {
    /// Global id (see `node(id:)`).
    pub async fn id(&self) -> ID {
        global_id(Kind::Reference, self.row().id)
    }
    /// `AA1`..`AA7`, `JD`, `Staff via KOM`.
    async fn code(&self) -> &str {
        &self.row().code
    }
    /// What the reference is, as the plan lists it.
    async fn title(&self) -> &str {
        &self.row().title
    }
    /// A document, or a person.
    async fn kind(&self) -> ReferenceKindGql {
        self.row().kind.into()
    }
    /// The person who raised it, for person references.
    async fn person(&self) -> Option<Person> {
        Person::of(&self.cat, self.row().person_id?)
    }
}

/// An evidence item cited by actions.
pub struct EvidenceSource(pub evidence_source::Model);

/// An evidence item cited by actions: what will show the action worked.
#[Object(serial)]
impl EvidenceSource {
    /// The evidence item as written.
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// The performance-indicator evidence category (1-5) it belongs to, if any.
    async fn category(&self) -> Option<i32> {
        self.0.category
    }
}
