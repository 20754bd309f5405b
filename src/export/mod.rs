//! CSV exports for BI tools that do not speak GraphQL: the action list and the RAG history,
//! with the same filters and scope as the API, produced page by page so that a large plan
//! streams instead of being built in memory.
//!
//! Format: RFC 4180 as the `csv` crate writes it (comma separated, CRLF line ends, fields
//! quoted when they hold a comma, quote or line break, quotes doubled), UTF-8, one header row.
use std::collections::HashMap;

use chrono::NaiveDate;
use entity::rag_update;
use sea_orm::DatabaseConnection;

use crate::actions::{self, deadlines, ActionOrder, ResolvedFilter};
use crate::error::AppResult;
use crate::objects::{self, Kind};
use crate::plans::query;
use crate::rag;

/// Rows fetched per statement.
pub const CHUNK_ROWS: u64 = 500;

const IN_MEMORY: &str = "writing CSV to memory cannot fail";

/// How cells are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CsvStyle {
    /// Text that a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, tab or carriage
    /// return first) is prefixed with `'` so that it shows as text (OWASP's advice for CSV
    /// injection). On unless the client asks for raw cells: a note written by one partner is
    /// opened in another's Excel, and most people open a download without `bom=1`.
    pub guard_formulas: bool,
    /// For spreadsheets (`bom=1`): codes that read as numbers (`1.10`) are marked as text.
    pub spreadsheet: bool,
}

/// CSV text being written, in memory: RFC 4180 as the `csv` crate writes it (a record of one
/// empty field as `""`, not a blank line), cells written as `CsvStyle` says.
struct CsvText {
    out: csv::Writer<Vec<u8>>,
    guard: bool,
}

impl CsvText {
    fn new(style: CsvStyle) -> Self {
        let out = csv::WriterBuilder::new()
            .terminator(csv::Terminator::CRLF)
            .quote_style(csv::QuoteStyle::Necessary)
            // Records of one table have one width anyway; this leaves writing to memory as
            // the only thing that could fail, and it cannot.
            .flexible(true)
            .from_writer(Vec::new());
        Self {
            out,
            guard: style.guard_formulas,
        }
    }

    fn record<S: AsRef<str>>(&mut self, fields: &[S]) {
        for f in fields {
            let f = f.as_ref();
            if self.guard && f.starts_with(['=', '+', '-', '@', '\t', '\r']) {
                self.out.write_field(format!("'{f}")).expect(IN_MEMORY);
            } else {
                self.out.write_field(f).expect(IN_MEMORY);
            }
        }
        self.out.write_record(None::<&[u8]>).expect(IN_MEMORY);
    }

    fn finish(self) -> String {
        let bytes = self.out.into_inner().expect(IN_MEMORY);
        String::from_utf8(bytes).expect("CSV written from text is text")
    }
}

/// One RFC 4180 record, CRLF-terminated, cells as they are.
pub fn record<S: AsRef<str>>(fields: &[S]) -> String {
    record_for(
        fields,
        CsvStyle {
            guard_formulas: false,
            spreadsheet: false,
        },
    )
}

/// One record, written in `style` (see `CsvText`).
pub fn record_for<S: AsRef<str>>(fields: &[S], style: CsvStyle) -> String {
    let mut text = CsvText::new(style);
    text.record(fields);
    text.finish()
}

/// A text cell that a spreadsheet would read as a number (action code `1.10` becomes 1.1):
/// in spreadsheet mode it is marked as text with a leading `'`.
fn text_cell(value: String, spreadsheet: bool) -> String {
    if spreadsheet && value.trim().parse::<f64>().is_ok() {
        format!("'{value}")
    } else {
        value
    }
}

pub const ACTION_COLUMNS: [&str; 14] = [
    "code",
    "theme",
    "workstream",
    "objective",
    "leads",
    "rag_status",
    "rag_note",
    "rag_effective_date",
    "due_date",
    "days_overdue",
    "state",
    "version",
    "updated_at",
    "id",
];

pub const HISTORY_COLUMNS: [&str; 9] = [
    "action_code",
    "status",
    "previous_status",
    "note",
    "effective_date",
    "recorded_at",
    "author",
    "source",
    "id",
];

fn date(d: Option<NaiveDate>) -> String {
    d.map(|d| d.to_string()).unwrap_or_default()
}

/// What is being exported, and how far it has got.
pub enum Export {
    Actions {
        db: DatabaseConnection,
        filter: ResolvedFilter,
        offset: u64,
        today: NaiveDate,
        style: CsvStyle,
    },
    History {
        db: DatabaseConnection,
        filter: ResolvedFilter,
        from: NaiveDate,
        to: NaiveDate,
        offset: u64,
        style: CsvStyle,
    },
}

impl Export {
    pub fn header(&self) -> String {
        match self {
            Export::Actions { .. } => record(&ACTION_COLUMNS),
            Export::History { .. } => record(&HISTORY_COLUMNS),
        }
    }

    /// The next rows as CSV text; `None` when done.
    pub async fn next_chunk(&mut self) -> AppResult<Option<String>> {
        match self {
            Export::Actions {
                db,
                filter,
                offset,
                today,
                style,
            } => {
                let (rows, _) =
                    actions::page(db, filter, ActionOrder::default(), *offset, CHUNK_ROWS).await?;
                if rows.is_empty() {
                    return Ok(None);
                }
                *offset += rows.len() as u64;
                Ok(Some(action_rows(db, &rows, *today, *style).await?))
            }
            Export::History {
                db,
                filter,
                from,
                to,
                offset,
                style,
            } => {
                let (rows, _) = rag::changes(db, filter, *from, *to, *offset, CHUNK_ROWS).await?;
                if rows.is_empty() {
                    return Ok(None);
                }
                *offset += rows.len() as u64;
                Ok(Some(history_rows(db, &rows, *style).await?))
            }
        }
    }
}

async fn action_rows(
    db: &DatabaseConnection,
    rows: &[actions::ActionRow],
    today: NaiveDate,
    style: CsvStyle,
) -> AppResult<String> {
    let ids: Vec<i32> = rows.iter().map(|a| a.id).collect();
    let leads = actions::leads_for(db, &ids).await?;
    let mut theme_ids: Vec<i32> = rows.iter().map(|a| a.theme_id).collect();
    theme_ids.sort_unstable();
    theme_ids.dedup();
    let themes: HashMap<i32, i32> = query::themes_by_ids(db, &theme_ids)
        .await?
        .into_iter()
        .map(|t| (t.id, t.number))
        .collect();
    let mut ws_ids: Vec<i32> = rows.iter().map(|a| a.workstream_id).collect();
    ws_ids.sort_unstable();
    ws_ids.dedup();
    let workstreams: HashMap<i32, String> = query::workstreams_by_ids(db, &ws_ids)
        .await?
        .into_iter()
        .map(|w| (w.id, w.name))
        .collect();
    let mut out = CsvText::new(style);
    for a in rows {
        let lead_codes: Vec<String> = leads
            .get(&a.id)
            .map(|v| v.iter().map(|p| p.code.clone()).collect())
            .unwrap_or_default();
        out.record(&[
            text_cell(a.code.clone(), style.spreadsheet),
            themes
                .get(&a.theme_id)
                .map(|n| n.to_string())
                .unwrap_or_default(),
            workstreams
                .get(&a.workstream_id)
                .cloned()
                .unwrap_or_default(),
            a.objective.clone(),
            lead_codes.join(" "),
            a.rag_status.as_str().to_string(),
            a.rag_note.clone().unwrap_or_default(),
            a.rag_effective_date.to_string(),
            date(a.due_date),
            deadlines::days_overdue(a, today)
                .map(|d| d.to_string())
                .unwrap_or_default(),
            a.state.as_str().to_uppercase(),
            a.version.to_string(),
            a.updated_at.to_rfc3339(),
            objects::global_id(Kind::Action, a.id),
        ]);
    }
    Ok(out.finish())
}

async fn history_rows(
    db: &DatabaseConnection,
    rows: &[rag_update::Model],
    style: CsvStyle,
) -> AppResult<String> {
    let mut ids: Vec<i32> = rows.iter().map(|r| r.action_id).collect();
    ids.sort_unstable();
    ids.dedup();
    let codes: HashMap<i32, String> = actions::by_ids(db, sea_orm::Condition::all(), &ids)
        .await?
        .into_iter()
        .map(|a| (a.id, a.code))
        .collect();
    let mut out = CsvText::new(style);
    for r in rows {
        out.record(&[
            text_cell(
                codes.get(&r.action_id).cloned().unwrap_or_default(),
                style.spreadsheet,
            ),
            r.status.as_str().to_string(),
            r.previous_status
                .map(|s| s.as_str().to_string())
                .unwrap_or_default(),
            r.note.clone().unwrap_or_default(),
            r.effective_date.to_string(),
            r.recorded_at.to_rfc3339(),
            r.author.clone(),
            r.source.clone(),
            objects::global_id(Kind::RagUpdate, r.id),
        ]);
    }
    Ok(out.finish())
}

#[cfg(test)]
mod tests {
    use super::{record, CsvStyle};

    const GUARDED: CsvStyle = CsvStyle {
        guard_formulas: true,
        spreadsheet: false,
    };

    #[test]
    fn codes_stay_text_in_spreadsheets() {
        assert_eq!(super::text_cell("1.10".into(), true), "'1.10");
        assert_eq!(super::text_cell("2.1 (a)".into(), true), "2.1 (a)");
        assert_eq!(super::text_cell("1.10".into(), false), "1.10");
    }

    #[test]
    fn fields_are_quoted_per_rfc_4180() {
        assert_eq!(record(&["a", "b"]), "a,b\r\n");
        assert_eq!(
            record(&["a,b", "say \"hi\""]),
            "\"a,b\",\"say \"\"hi\"\"\"\r\n"
        );
        assert_eq!(record(&["two\nlines", ""]), "\"two\nlines\",\r\n");
        assert_eq!(record(&["Oct 12 – Dec 12"]), "Oct 12 – Dec 12\r\n");
        assert_eq!(record(&["=HYPERLINK(1)", "-2"]), "=HYPERLINK(1),-2\r\n");
        assert_eq!(
            super::record_for(&["=HYPERLINK(1)", "@x", "a=b"], GUARDED),
            "'=HYPERLINK(1),'@x,a=b\r\n"
        );
    }

    #[test]
    fn line_breaks_are_quoted_and_other_text_is_not() {
        assert_eq!(record(&["a\r\nb", "c\rd"]), "\"a\r\nb\",\"c\rd\"\r\n");
        assert_eq!(record(&["", "", ""]), ",,\r\n");
        assert_eq!(
            record(&[" padded ", "#hash", "semi;colon", "it's", "\tx", "+1"]),
            " padded ,#hash,semi;colon,it's,\tx,+1\r\n"
        );
    }

    #[test]
    fn every_formula_lead_in_is_guarded_and_still_quoted_when_needed() {
        assert_eq!(
            super::record_for(
                &["+1", "-2", "\tx", "\ry", "=a,b", "=\"q\"", "x=1"],
                GUARDED
            ),
            "'+1,'-2,'\tx,\"'\ry\",\"'=a,b\",\"'=\"\"q\"\"\",x=1\r\n"
        );
    }

    #[test]
    fn a_chunk_is_its_records_in_order() {
        let mut text = super::CsvText::new(GUARDED);
        text.record(&["=1", "a"]);
        text.record(&["b", "c,d"]);
        assert_eq!(text.finish(), "'=1,a\r\nb,\"c,d\"\r\n");
    }
}
