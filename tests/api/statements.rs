//! The number of SQL statements for a page of actions must not grow with the page size.
use serde_json::json;

use crate::helpers::{apply, both_engines, Engine, TestApp};

const PAGE: &str = r#"
query($first: Int!) {
  plan(slug: "herefordshire-2012") {
    actions(first: $first) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { cursor node {
        id code objective outcome byWhen
        theme { number title }
        workstream { name }
        leads { code name }
        references { code title }
        ofstedDescriptors { code area raw }
        milestones { label due }
        rag { status note effectiveDate }
        links { code }
        linkedFrom { code }
        ragHistory(first: 5) { totalCount edges { node { status effectiveDate } } }
      } }
    }
  }
}"#;

async fn statements_for(app: &TestApp, first: i64) -> usize {
    // Steady state: the plan's catalogue is in the server's memory after the first request.
    app.data(PAGE, json!({ "first": first })).await;
    app.reset_statements();
    let data = app.data(PAGE, json!({ "first": first })).await;
    let edges = data["plan"]["actions"]["edges"]
        .as_array()
        .map(Vec::len)
        .unwrap_or(0);
    assert_eq!(edges as i64, first, "page size");
    app.statement_count()
}

#[apply(both_engines)]
async fn a_page_of_fifty_actions_takes_as_many_statements_as_a_page_of_five(on: Engine) {
    let Some(engine) = on.available() else { return };
    let app = TestApp::spawn(engine).await;
    let five = statements_for(&app, 5).await;
    let fifty = statements_for(&app, 50).await;
    let hundred = statements_for(&app, 100).await;
    eprintln!("{engine:?}: statements per page: 5 -> {five}, 50 -> {fifty}, 100 -> {hundred}");
    // A page of five may skip a statement a bigger page needs (the first five actions link
    // to nothing, so no linked actions are fetched); beyond that the count is flat.
    assert!(five <= fifty, "statements grew with the page size");
    assert_eq!(fifty, hundred, "statements grew with the page size");
    // plan (its catalogue version) + page + count + one per relation (leads, references,
    // descriptors, milestones, links out (2), links in (2), history page). Theme, work
    // stream and people come from the plan's catalogue in memory; the history's
    // `totalCount` from the action row.
    assert!(
        fifty <= 12,
        "{fifty} statements for one page is more than expected"
    );
}
