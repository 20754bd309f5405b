//! Every filter of `plan.actions` agrees with filtering the full action list by hand, and
//! unknown values are refused with BAD_USER_INPUT.
use serde_json::{json, Value};

use crate::helpers::{
    apply, both_engines, error_code, paged_actions, paged_codes, Engine, TestApp,
};

const FIELDS: &str =
    "code state dueDate objective objectiveItems outcome theme { number } workstream { name }
    leads { code } rag { status } references { code } ofstedDescriptors { code area }";

async fn all_actions(app: &TestApp) -> Vec<Value> {
    paged_actions(app, &Value::Null, FIELDS).await.0
}

fn has(list: &Value, key: &str, wanted: &str) -> bool {
    list.as_array()
        .is_some_and(|l| l.iter().any(|x| x[key] == wanted))
}

fn text(a: &Value) -> String {
    let mut s = a["objective"].as_str().unwrap_or_default().to_lowercase();
    for v in a["objectiveItems"]
        .as_array()
        .into_iter()
        .flatten()
        .chain(a["outcome"].as_array().into_iter().flatten())
    {
        s.push('\n');
        s.push_str(&v.as_str().unwrap_or_default().to_lowercase());
    }
    s
}

type Pred = Box<dyn Fn(&Value) -> bool>;

#[apply(both_engines)]
async fn each_filter_matches_filtering_by_hand(on: Engine) {
    let Some(engine) = on.available() else { return };
    let app = TestApp::spawn(engine).await;
    let all = all_actions(&app).await;
    assert!(
        all.len() > 100,
        "expected the whole plan, got {}",
        all.len()
    );
    let cases: Vec<(Value, Pred)> = vec![
        (
            json!({ "themes": [3] }),
            Box::new(|a| a["theme"]["number"] == 3),
        ),
        (
            json!({ "themes": [1, 5] }),
            Box::new(|a| a["theme"]["number"] == 1 || a["theme"]["number"] == 5),
        ),
        (
            json!({ "workstreams": ["HSCB"] }),
            Box::new(|a| a["workstream"]["name"] == "HSCB"),
        ),
        (
            json!({ "workstreams": ["Commissioning"] }),
            Box::new(|a| a["workstream"]["name"] == "Commissioning"),
        ),
        (
            json!({ "leads": ["KOM"] }),
            Box::new(|a| has(&a["leads"], "code", "KOM")),
        ),
        // An alias resolves to the same person.
        (
            json!({ "leads": ["J.Rez"] }),
            Box::new(|a| has(&a["leads"], "code", "JRez")),
        ),
        (
            json!({ "rag": ["RED"] }),
            Box::new(|a| a["rag"]["status"] == "RED"),
        ),
        (
            json!({ "rag": ["BLUE", "GREEN"] }),
            Box::new(|a| a["rag"]["status"] == "BLUE" || a["rag"]["status"] == "GREEN"),
        ),
        (
            json!({ "references": ["AA6"] }),
            Box::new(|a| has(&a["references"], "code", "AA6")),
        ),
        (
            json!({ "references": ["Staff via KOM"] }),
            Box::new(|a| has(&a["references"], "code", "Staff via KOM")),
        ),
        (
            json!({ "descriptors": ["QP3.12"] }),
            Box::new(|a| has(&a["ofstedDescriptors"], "code", "QP3.12")),
        ),
        // A bare number names the same descriptor as its prefixed form.
        (
            json!({ "descriptors": ["3.12"] }),
            Box::new(|a| has(&a["ofstedDescriptors"], "code", "QP3.12")),
        ),
        (
            json!({ "descriptors": ["OE"] }),
            Box::new(|a| has(&a["ofstedDescriptors"], "area", "OE")),
        ),
        (
            json!({ "state": "ACTIVE" }),
            Box::new(|a| a["state"] == "ACTIVE"),
        ),
        (
            json!({ "search": "domestic abuse" }),
            Box::new(|a| text(a).contains("domestic") && text(a).contains("abuse")),
        ),
        (
            json!({ "search": "MASH" }),
            Box::new(|a| text(a).contains("mash")),
        ),
        (
            json!({ "dueBefore": "2013-01-01" }),
            Box::new(|a| a["dueDate"].as_str().is_some_and(|d| d < "2013-01-01")),
        ),
        (
            json!({ "dueAfter": "2013-01-31" }),
            Box::new(|a| a["dueDate"].as_str().is_some_and(|d| d > "2013-01-31")),
        ),
        (
            json!({ "themes": [3], "rag": ["AMBER"], "leads": ["DM"] }),
            Box::new(|a| {
                a["theme"]["number"] == 3
                    && a["rag"]["status"] == "AMBER"
                    && has(&a["leads"], "code", "DM")
            }),
        ),
    ];
    for (filter, pred) in cases {
        let expected: Vec<String> = all
            .iter()
            .filter(|a| pred(a))
            .map(|a| a["code"].as_str().expect("code").to_string())
            .collect();
        assert!(
            !expected.is_empty(),
            "filter {filter} matches nothing: a useless case"
        );
        let (codes, total) = paged_codes(&app, &filter).await;
        assert_eq!(codes, expected, "filter {filter}");
        assert_eq!(total as usize, expected.len(), "totalCount for {filter}");
    }
}

#[apply(both_engines)]
async fn unknown_filter_values_are_refused_with_the_known_ones(on: Engine) {
    let Some(engine) = on.available() else { return };
    let app = TestApp::spawn(engine).await;
    for (filter, needle) in [
        (json!({ "themes": [9] }), "theme"),
        (json!({ "workstreams": ["Nope"] }), "Practice"),
        (json!({ "leads": ["XYZ"] }), "KOM"),
        (json!({ "references": ["AA9"] }), "AA1"),
        (json!({ "descriptors": ["ZZ1.1"] }), "Ofsted"),
        (json!({ "search": "   " }), "search"),
        (
            json!({ "dueBefore": "2013-01-01", "dueAfter": "2013-02-01" }),
            "dueAfter",
        ),
        (json!({ "rag": ["PURPLE"] }), "PURPLE"),
        (json!({ "dueBefore": "31/01/2013" }), "YYYY-MM-DD"),
    ] {
        let body = app
            .graphql(
                r#"query($f: ActionFilter) { plan(slug: "herefordshire-2012") { actions(filter: $f) { totalCount } } }"#,
                json!({ "f": filter }),
            )
            .await;
        assert_eq!(
            error_code(&body).as_deref(),
            Some("BAD_USER_INPUT"),
            "{filter}: {body:#}"
        );
        let msg = body["errors"][0]["message"].as_str().unwrap_or_default();
        assert!(
            msg.contains(needle),
            "{filter}: message {msg:?} should mention {needle:?}"
        );
        assert!(
            body["data"].is_null() || body["data"]["plan"]["actions"].is_null(),
            "{body:#}"
        );
    }
}

#[apply(both_engines)]
async fn orderings_are_total_and_stable(on: Engine) {
    let Some(engine) = on.available() else { return };
    let app = TestApp::spawn(engine).await;
    let d = app
        .data(
            r#"{ plan(slug: "herefordshire-2012") {
                a: actions(first: 100, orderBy: { field: DUE_DATE }) { edges { node { code dueDate } } }
                b: actions(first: 100, orderBy: { field: RAG_STATUS, direction: ASC }) { edges { node { code rag { status } } } } } }"#,
            json!({}),
        )
        .await;
    let dues: Vec<Option<String>> = d["plan"]["a"]["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|e| e["node"]["dueDate"].as_str().map(str::to_string))
        .collect();
    let first_none = dues.iter().position(Option::is_none).unwrap_or(dues.len());
    assert!(
        dues[first_none..].iter().all(Option::is_none),
        "undated actions come last"
    );
    assert!(
        dues[..first_none].windows(2).all(|w| w[0] <= w[1]),
        "due dates ascend"
    );
    let rank = |s: &str| {
        ["RED", "AMBER", "GREY", "GREEN", "BLUE"]
            .iter()
            .position(|x| *x == s)
    };
    let ranks: Vec<_> = d["plan"]["b"]["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|e| rank(e["node"]["rag"]["status"].as_str().unwrap_or_default()))
        .collect();
    assert!(
        ranks.windows(2).all(|w| w[0] <= w[1]),
        "RAG severity ascends"
    );
}
