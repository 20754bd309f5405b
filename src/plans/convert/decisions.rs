//! The hand decisions: every choice that applies to this plan's particular actions, people or
//! spellings, as a commented constant or table, so a reviewer can check each one against the
//! source. The rest of the converter is general rules.

// ---------------------------------------------------------------------------------------------
// Plan-level hand decisions
// ---------------------------------------------------------------------------------------------

/// Stable identifier; the source has none (plans are named by authority and first year).
pub(super) const SLUG: &str = "herefordshire-2012";
/// The owning authority; the source names the services, not the council, so it is set by hand.
pub(super) const AUTHORITY: &str = "Herefordshire Council";
/// The plan is undated; its latest dated entries are January 2013 (1.5's `Green 07.01.13`,
/// "Extension to timescale agreed Jan 13"), so it speaks as of the end of that month.
pub(super) const AS_OF: (i32, u32, u32) = (2013, 1, 31);

/// Section headings of the preamble, exactly as written.
pub(super) const SEC_CONTEXT: &str = "Outline and context";
pub(super) const SEC_LEVELS: &str = "The Herefordshire Levels of Need Pathway";
pub(super) const SEC_AIMS: &str = "Priority Aims";
pub(super) const SEC_MEASURES: &str = "Outcome measures";
pub(super) const SEC_EVIDENCE: &str = "Evidence for performance indicators";
pub(super) const SEC_REFKEY: &str = "Reference key";
pub(super) const SEC_RAG: &str = "RAG table";
pub(super) const SEC_WORKSTREAMS: &str =
    "Actions have been separated into work streams. These are colour-coded as follows:";

/// Preamble sentences that format.rs has no field for; they are recognised and left out.
pub(super) const PREAMBLE_SKIPPED: &[&str] = &[
    // Lead-in of the Levels of Need list; format.rs documents `levels_of_need` as its items.
    "Ensuring children and young people are safeguarded by:",
    // A statement of intent after the evidence categories; there is no field for it.
    "A performance framework will be established to this effect.",
    // Introduces the RAG table, which becomes `rag_scale`.
    "The outcomes are RAG rated and the descriptors are outlined in the following table:",
];

/// People: (code, display name, other spellings). Codes are the plan's initials in one spelling;
/// where the plan gives a full name it is the display name and an alias.
pub(super) const PEOPLE: &[(&str, &str, &[&str])] = &[
    ("KOM", "KOM", &[]),
    ("DM", "DM", &[]),
    // Spelt `JRez`, `J.Rez`, `J. Rez` in the lead cells.
    ("JRez", "JRez", &["J.Rez", "J. Rez"]),
    // Spelt `PMe` (2.1 (b)) and `Pme` (2.1 (a)).
    ("PMe", "PMe", &["Pme"]),
    ("CB", "CB", &[]),
    // Spelt `JRoberts` and `J. Roberts`.
    ("JRoberts", "J. Roberts", &["J. Roberts"]),
    ("BA", "BA", &[]),
    ("JD", "JD", &[]),
    // Written `Andy Churcher` (1.7, 2.14, 3.10, 4.7) and `AC` (3.9 `DM/AC/`, 4.18 `DM/AC`).
    ("AC", "Andy Churcher", &["Andy Churcher"]),
    // The people below are named only in full; their codes are their initials.
    ("DMcM", "Debbie McMillan", &["Debbie McMillan"]),
    ("LK", "Les Knight", &["Les Knight"]),
    ("LR", "Lynne Renton", &["Lynne Renton"]),
    ("SC", "Sarah Cox", &["Sarah Cox"]),
    ("JRou", "John Roughton", &["John Roughton"]),
];

/// Work-stream words in lead cells → canonical work stream.
pub(super) const WORKSTREAM_WORDS: &[(&str, &str)] = &[
    ("Practice", "Practice"),
    ("QA", "QA"),
    ("HSCB", "HSCB"),
    ("Workforce", "Workforce"),
    ("MASH", "MASH"),
    ("LAC", "LAC"),
    ("Commissioning", "Commissioning"),
    // The plan's abbreviation for the Commissioning work stream (CB's actions, 2.2 .. 5.12).
    ("C&C", "Commissioning"),
];

/// Phrases in lead cells that are neither a person nor a work stream; kept only in `lead_text`.
pub(super) const LEAD_NOTES: &[&str] = &[
    // 3.9 `DM/AC/ Buy in support HSCB`: external support to be bought in, not a person.
    "Buy in support",
];

/// Lead cells that name no work stream → the work stream they belong to.
pub(super) const LEAD_WORKSTREAM_DEFAULTS: &[(&str, &str)] = &[
    // 3.42–3.45 (leadership development, mentoring, scrutiny, leadership capacity) are led by JD
    // alone. The plan lists a "Strengthening Governance" work stream but names no row with it;
    // these are its leadership/governance actions.
    ("JD", "Strengthening Governance"),
];

/// People who raised actions (reference codes that are not documents): (code, title, person).
pub(super) const PERSON_REFERENCES: &[(&str, &str, &str)] = &[
    ("JD", "Raised by JD", "JD"),
    ("Staff via KOM", "Raised by staff via KOM", "KOM"),
];

/// The five "Evidence for performance indicators" phrases and the variants actions write.
/// Longer phrases are tried first where they overlap.
pub(super) const EVIDENCE_CATEGORY_PHRASES: &[(&str, i32)] = &[
    ("Stakeholder and service user consultations", 1),
    // 2.4's shortened spelling of category 1.
    ("Stakeholder consultations", 1),
    // 3.36's singular spelling of category 1.
    ("Stakeholder consultation", 1),
    ("Consultation, audit, surveys", 2),
    (
        "Child Protection (CP) data, audit, Looked After Child (LAC) data",
        3,
    ),
    (
        "Workforce data, supervision, quality assurance, career professional development (CPD) data",
        4,
    ),
    ("Commissioning data, multi-agency data audit", 5),
];

// ---------------------------------------------------------------------------------------------
// Per-action hand decisions
// ---------------------------------------------------------------------------------------------

/// Which column a bare (not tab-separated) continuation line belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Column {
    Outcome,
    Evidence,
}

/// Lines that continue the previous action's cell without the table's tabs: (action, text, column).
pub(super) const BARE_CONTINUATIONS: &[(&str, &str, Column)] = &[
    // Completes 2.4's "... enhanced systematic action"; 2.2, 2.6 and 2.7 carry the same outcome.
    (
        "2.4",
        "resulting from feedback from children and young people",
        Column::Outcome,
    ),
    // Complete 3.16's "Commissioning data, multi-" (evidence category 5).
    ("3.16", "agency data", Column::Evidence),
    ("3.16", "audit", Column::Evidence),
    // Completes 3.24's "Minute taking"; the evidence cell is complete (two categories).
    ("3.24", "minimised", Column::Outcome),
    // Completes 3.41's "CP conferences are used effectively for".
    ("3.41", "decision making", Column::Outcome),
];

/// Objective bullet items that the source flattened into one item: (action, phrases that start
/// a new item, in order). Each was checked against the plan's list layout.
pub(super) const OBJECTIVE_ITEM_SPLITS: &[(&str, &[&str])] = &[
    // `<ul>` of three steps: audit 2 cases / decide monitoring mechanism / monitor plan.
    ("3.5", &["Decide mechanism", "Monitor plan"]),
    // `<ul>` of two steps: performance framework / trial new procedures.
    ("3.35", &["Trial new procedures"]),
    // `<ul>` of three steps: evaluate / agree and action / evaluate and adjust.
    ("3.47", &["Agree and action", "Evaluate and make"]),
    // `<ul>` of four staffing measures.
    (
        "4.2",
        &["Recruiting 2 ATMs", "SF to move", "Additional ATM"],
    ),
    // A progress remark after the two bullets; kept as an item of its own, not glued to bullet 2.
    ("4.13", &["Audit suggests"]),
    // `<ul>` of two steps: review training / inform strategy.
    ("4.34", &["Use this to inform"]),
];

/// Outcome cells holding several targets flattened into one line: (action, phrases that start a
/// new target, in order). Each split falls where a new sentence-case target begins; where the
/// plan gives one milestone per target (1.7, 3.10, 3.21, 3.27, 4.4, 4.7, 4.31, 5.3, 5.6) the
/// counts agree.
pub(super) const OUTCOME_SPLITS: &[(&str, &[&str])] = &[
    // The CAF actions' two targets: agencies use CAF / needs met at an appropriate stage.
    ("1.4", &["Children's needs are met"]),
    ("1.5", &["Children's needs are met"]),
    // Three targets for the three milestones Sept 12 / Oct 12 / Dec 12.
    ("1.7", &["Identify gaps", "Assess the impact"]),
    ("2.3", &["Children's needs are met"]),
    ("2.15", &["Children's needs are met"]),
    ("2.17", &["Children's needs are met"]),
    // Three targets for the three milestones Sept 12 / Dec 12 / Nov 12.
    ("3.10", &["100% of quarterly", "Training for Board"]),
    // Two targets for the two milestones July 12 / Dec 12.
    ("3.21", &["All agencies submitting"]),
    // Two sentences: reporting system / minute taking minimised.
    ("3.24", &["Minute taking"]),
    // Two targets: timely assessments / reviews and visits within timescale.
    ("3.26", &["All reviews and statutory"]),
    // Two targets for the two milestones Nov 12 / Feb 13.
    ("3.27", &["All agencies have identified"]),
    // `<ul>` of three targets without bullet characters.
    (
        "3.47",
        &["CP plans much SMARTer", "Better ownership of CPPs"],
    ),
    // Two targets: consistency of practice / service is safe.
    ("4.2", &["Service is safe"]),
    // Three targets for the three milestones July 12 / July 12 / Jan 13.
    ("4.4", &["Complete tender process", "SARC implemented"]),
    // Two targets for the two milestones Sept 12 / Oct 12 (second on the continuation row).
    ("4.7", &["Include child and staff voices"]),
    // Two sentences: cases supervised / staff supervised.
    ("4.13", &["Staff confirmed"]),
    // Two sentences: agencies understand thresholds / needs met.
    ("4.14", &["Children's needs are being met"]),
    ("4.15", &["Children's needs are met"]),
    ("4.16", &["Children's needs are met"]),
    // Two targets for the two milestones Jan 13 / March13.
    ("4.31", &["100% of schools have at least"]),
    // Two targets for the two milestones Nov 12 / Dec 12 (second on the continuation row).
    ("5.3", &["Intelligence about levels"]),
    // Three targets for the three milestones Feb 13 / March 13 / Dec 12 (and three lead pairs).
    (
        "5.6",
        &["Action plans developed", "100% of recommendations"],
    ),
];

/// Evidence text (outside the five category phrases) that concatenates several sources:
/// (action, phrases that start a new item, in order).
pub(super) const EVIDENCE_SPLITS: &[(&str, &[&str])] = &[
    // "CP data Service user feedback Audit".
    ("1.3", &["Service user feedback", "Audit"]),
    // "Audit Data: number of changes of SW Staffing data" (last on the continuation row).
    ("1.9", &["Data: number", "Staffing data"]),
    // "Audit CAF data Referral data".
    ("2.9", &["CAF data", "Referral data"]),
    // "Audit Data Consultation": the AA6 actions list audit, data and consultation.
    ("2.10", &["Data", "Consultation"]),
    ("2.12", &["Data", "Consultation"]),
    // "Review Audit": a case review and an audit (3.1 asks to audit and risk assess cases).
    ("3.1", &["Audit"]),
    ("3.2", &["Audit"]),
    ("3.6", &["Audit"]),
    // "Supervision audits Case audits".
    ("3.33", &["Case audits"]),
    // "Audit Data".
    ("3.34", &["Data"]),
    // The leadership actions' four sources: minutes / performance framework / surveys / 360.
    (
        "3.42",
        &[
            "Performance framework",
            "Staff and partner",
            "360 evaluation",
        ],
    ),
    (
        "3.43",
        &[
            "Performance framework",
            "Staff and partner",
            "360 evaluation",
        ],
    ),
    (
        "3.44",
        &[
            "Performance framework",
            "Staff and partner",
            "360 evaluation",
        ],
    ),
    (
        "3.45",
        &[
            "Performance framework",
            "Staff and partner",
            "360 evaluation",
        ],
    ),
    // "Audit Competency frameworks Staff surveys".
    ("4.23", &["Competency frameworks", "Staff surveys"]),
    // "Competency frameworks Audit Survey".
    ("4.24", &["Audit", "Survey"]),
    // "Supervision data Audit".
    ("4.25", &["Audit"]),
    // "Audit Workforce data".
    ("4.30", &["Workforce data"]),
    // "Audit Training plans Data on training attendance".
    ("4.32", &["Training plans", "Data on training"]),
];

/// Bare "Within N months" with no bracketed date → due date. Inferred from the other AA6
/// (Ofsted report) actions, which all write "Within 3 months (Jan 13)" and
/// "Within 6 months (April 2013)"; used by 4.25 and 2.8.
pub(super) const BARE_WITHIN: &[(&str, (i32, u32))] = &[
    ("Within 3 months", (2013, 1)),
    ("Within 6 months", (2013, 4)),
];

/// The entry of a per-action (or per-spelling) table for `code`.
pub(super) fn table_lookup<'a, T>(table: &'a [(&str, T)], code: &str) -> Option<&'a T> {
    table.iter().find(|(c, _)| *c == code).map(|(_, v)| v)
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::super::tests::seed_plan;
    use super::*;

    #[test]
    fn hand_tables_name_seed_actions() {
        let plan = seed_plan();
        let codes: HashSet<&str> = plan.actions.iter().map(|a| a.code.as_str()).collect();
        for (code, _, _) in BARE_CONTINUATIONS {
            assert!(codes.contains(code), "{code}");
        }
        for (code, _) in OBJECTIVE_ITEM_SPLITS
            .iter()
            .chain(OUTCOME_SPLITS)
            .chain(EVIDENCE_SPLITS)
        {
            assert!(codes.contains(code), "{code}");
        }
    }
}
