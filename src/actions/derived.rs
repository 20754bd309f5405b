//! The columns an action's content decides, whoever writes it (the API or the importer): the
//! search filter's text and the due date.
use chrono::NaiveDate;

/// Lower-cased text the `search` filter matches against; computed once per write.
pub fn search_text(objective: &str, items: &[String], outcomes: &[String]) -> String {
    let mut s = objective.to_lowercase();
    for part in items.iter().chain(outcomes) {
        s.push('\n');
        s.push_str(&part.to_lowercase());
    }
    s
}

/// The due date filters and overdue checks use: the latest milestone or agreed new date.
pub fn due_date(
    milestones: impl IntoIterator<Item = Option<NaiveDate>>,
    extensions: impl IntoIterator<Item = Option<NaiveDate>>,
) -> Option<NaiveDate> {
    milestones.into_iter().chain(extensions).flatten().max()
}
