//! Dashboards: counts that match the action list, the plan as of past dates, trends, overdue
//! and stale lists, scope, and the statement cost of each.
use std::collections::BTreeMap;

use plan_api::auth::Role;
use serde_json::{json, Value};

use crate::helpers::{action, apply, both_engines, paged_actions, token, Engine, TestApp};

const STATUSES: [&str; 5] = ["RED", "AMBER", "GREEN", "GREY", "BLUE"];

const SUMMARY: &str =
    "query($g: RagGroupBy, $d: Date, $f: ActionFilter) { plan(slug: \"herefordshire-2012\") {
    ragSummary(groupBy: $g, asOf: $d, filter: $f) { asOf total counts { status count }
      groups { key label total counts { status count } } } } }";

fn counts(v: &Value) -> BTreeMap<String, u64> {
    v.as_array()
        .expect("counts")
        .iter()
        .map(|c| {
            (
                c["status"].as_str().expect("s").to_string(),
                c["count"].as_u64().expect("n"),
            )
        })
        .collect()
}

async fn summary(app: &TestApp, group: Value, day: Value, filter: Value) -> Value {
    app.data(SUMMARY, json!({ "g": group, "d": day, "f": filter }))
        .await["plan"]["ragSummary"]
        .clone()
}

async fn action_count(app: &TestApp, token: &str, filter: Value) -> u64 {
    let d = app
        .data_as(
            token,
            "query($f: ActionFilter) { plan(slug: \"herefordshire-2012\") { actions(filter: $f, first: 1) { totalCount } } }",
            json!({ "f": filter }),
        )
        .await;
    d["plan"]["actions"]["totalCount"].as_u64().expect("count")
}

/// Every code a plan's action list (`field(args)`) gives, following cursors.
async fn list_codes(app: &TestApp, field: &str, args: &str) -> (Vec<String>, u64) {
    let q = format!(
        "query($after: String) {{ plan(slug: \"herefordshire-2012\") {{ {field}({args} first: 100, after: $after) {{
            totalCount pageInfo {{ hasNextPage endCursor }} nodes {{ code }} }} }} }}"
    );
    let (mut codes, mut after) = (Vec::new(), Value::Null);
    loop {
        let d = app.data(&q, json!({ "after": after })).await;
        let conn = &d["plan"][field];
        for n in conn["nodes"].as_array().expect("nodes") {
            codes.push(n["code"].as_str().expect("code").to_string());
        }
        if conn["pageInfo"]["hasNextPage"] != true {
            return (codes, conn["totalCount"].as_u64().expect("total"));
        }
        after = conn["pageInfo"]["endCursor"].clone();
    }
}

fn merged(base: &Value, extra: Value) -> Value {
    let mut f = if base.is_null() {
        json!({})
    } else {
        base.clone()
    };
    for (k, v) in extra.as_object().expect("obj") {
        f[k] = v.clone();
    }
    f
}

#[apply(both_engines)]
async fn summaries_match_counting_the_action_list(on: Engine) {
    let Some(engine) = on.available() else { return };
    let app = TestApp::spawn(engine).await;
    let admin = app.admin_token.clone();
    for filter in [
        Value::Null,
        json!({ "workstreams": ["Practice", "HSCB"], "dueBefore": "2013-06-01" }),
    ] {
        let s = summary(&app, json!("THEME"), Value::Null, filter.clone()).await;
        assert_eq!(
            s["total"].as_u64(),
            Some(action_count(&app, &admin, filter.clone()).await)
        );
        for (status, n) in counts(&s["counts"]) {
            let f = merged(&filter, json!({ "rag": [status] }));
            assert_eq!(n, action_count(&app, &admin, f).await, "{filter} {status}");
        }
        for g in s["groups"].as_array().expect("groups") {
            let theme: i64 = g["key"].as_str().expect("key").parse().expect("number");
            for (status, n) in counts(&g["counts"]) {
                let f = merged(&filter, json!({ "themes": [theme], "rag": [status] }));
                assert_eq!(
                    n,
                    action_count(&app, &admin, f).await,
                    "theme {theme} {status}"
                );
            }
        }
        // Every other grouping's group totals equal the list filtered by that group.
        for (group, field) in [
            ("WORKSTREAM", "workstreams"),
            ("LEAD", "leads"),
            ("REFERENCE", "references"),
            ("OFSTED_AREA", "descriptors"),
        ] {
            let s = summary(&app, json!(group), Value::Null, filter.clone()).await;
            for g in s["groups"].as_array().expect("groups") {
                let f = merged(&filter, json!({ field: [g["key"]] }));
                assert_eq!(
                    g["total"].as_u64(),
                    Some(action_count(&app, &admin, f).await),
                    "{group} {}",
                    g["key"]
                );
                assert_eq!(
                    g["counts"].as_array().map(Vec::len),
                    Some(5),
                    "every status listed"
                );
            }
        }
    }
    let s = summary(&app, json!("THEME"), Value::Null, Value::Null).await;
    let by_theme: Vec<String> = s["groups"]
        .as_array()
        .expect("groups")
        .iter()
        .map(|g| {
            let c = counts(&g["counts"]);
            format!(
                "{}: {} ({})",
                g["key"].as_str().unwrap_or(""),
                g["total"],
                STATUSES.map(|s| format!("{s} {}", c[s])).join(", ")
            )
        })
        .collect();
    eprintln!(
        "{engine:?}: Herefordshire by theme: {}; total {} {:?}",
        by_theme.join("; "),
        s["total"],
        counts(&s["counts"])
    );
}

const RECORD: &str =
    "mutation($in: RecordRagUpdateInput!) { recordRagUpdate(input: $in) { action { version } } }";

/// A sequence of back-dated and current changes over the imported plan (as of 2013-01-31):
/// A: RED on 15 Feb, GREEN on 10 Mar; B: BLUE on 1 Mar; C: AMBER today;
/// D retired today; E created today (GREY).
async fn arrange_history(app: &TestApp) -> BTreeMap<&'static str, String> {
    let mut base = BTreeMap::new();
    for (name, code) in [("A", "1.2"), ("B", "2.2"), ("C", "3.3"), ("D", "4.4")] {
        let a = action(app, code, "id rag { status effectiveDate }").await;
        assert_eq!(a["rag"]["effectiveDate"], "2013-01-31", "{code}");
        base.insert(
            name,
            (
                a["id"].clone(),
                a["rag"]["status"].as_str().expect("s").to_string(),
            ),
        );
    }
    for (who, status, day) in [
        ("A", "RED", "2013-02-15"),
        ("B", "BLUE", "2013-03-01"),
        ("A", "GREEN", "2013-03-10"),
    ] {
        app.data(RECORD, json!({ "in": { "actionId": base[who].0, "status": status, "note": "review", "effectiveDate": day } }))
            .await;
    }
    app.data(
        RECORD,
        json!({ "in": { "actionId": base["C"].0, "status": "AMBER", "note": "today" } }),
    )
    .await;
    app.data(
        "mutation($id: ID!) { retireAction(input: {actionId: $id, reason: \"merged\"}) { action { state } } }",
        json!({ "id": base["D"].0 }),
    )
    .await;
    let plan = app
        .data(r#"{ plan(slug: "herefordshire-2012") { id } }"#, json!({}))
        .await["plan"]["id"]
        .clone();
    app.data(
        "mutation($p: ID!) { createAction(input: {planId: $p, code: \"1.11\", theme: 1, workstream: \"Practice\", objective: \"New\"}) { action { id } } }",
        json!({ "p": plan }),
    )
    .await;
    base.into_iter().map(|(k, v)| (k, v.1)).collect()
}

#[apply(both_engines)]
async fn as_of_counts_follow_the_history(on: Engine) {
    let Some(engine) = on.available() else { return };
    let app = TestApp::spawn(engine).await;
    let imported = summary(&app, Value::Null, Value::Null, Value::Null).await;
    let start = counts(&imported["counts"]);
    let base = arrange_history(&app).await;
    // Hand-computed: the imported counts, moved by each change in effect on the day.
    let moved = |changes: &[(&str, &str)], add: &[&str], drop: &[&str]| {
        let mut c = start.clone();
        for (from, to) in changes {
            *c.get_mut(*from).expect("from") -= 1;
            *c.get_mut(*to).expect("to") += 1;
        }
        for s in add {
            *c.get_mut(*s).expect("s") += 1;
        }
        for s in drop {
            *c.get_mut(*s).expect("s") -= 1;
        }
        c
    };
    let (a, b, c, d) = (
        base["A"].as_str(),
        base["B"].as_str(),
        base["C"].as_str(),
        base["D"].as_str(),
    );
    let expected = [
        ("2013-02-01", moved(&[], &[], &[])),
        ("2013-02-20", moved(&[(a, "RED")], &[], &[])),
        ("2013-03-05", moved(&[(a, "RED"), (b, "BLUE")], &[], &[])),
    ];
    for (day, want) in &expected {
        let s = summary(&app, Value::Null, json!(day), Value::Null).await;
        assert_eq!(&counts(&s["counts"]), want, "as of {day}");
        assert_eq!(s["asOf"], json!(day));
    }
    // Today: A GREEN, B BLUE, C AMBER, D removed (left out), E new and GREY.
    let today = app.today().to_string();
    let want_now = moved(&[(a, "GREEN"), (b, "BLUE"), (c, "AMBER")], &["GREY"], &[d]);
    let s = summary(&app, Value::Null, json!(today), Value::Null).await;
    assert_eq!(counts(&s["counts"]), want_now, "as of today");
    let now = summary(&app, Value::Null, Value::Null, Value::Null).await;
    assert_eq!(
        counts(&now["counts"]),
        want_now,
        "current counts agree with as-of today"
    );
    // Before the plan's statuses took effect only the two dated ones existed.
    let s = summary(&app, Value::Null, json!("2013-01-10"), Value::Null).await;
    assert_eq!(s["total"], 2);
    // Removed actions are counted when asked for, as of when they were removed.
    let removed = summary(
        &app,
        Value::Null,
        Value::Null,
        json!({ "state": "REMOVED" }),
    )
    .await;
    assert_eq!(removed["total"], 1);
    let removed_then = summary(
        &app,
        Value::Null,
        json!("2013-03-05"),
        json!({ "state": "REMOVED" }),
    )
    .await;
    assert_eq!(removed_then["total"], 0);

    // Action.ragAsOf agrees, one action at a time.
    let one = action(&app, "1.2", "a: ragAsOf(date: \"2013-02-20\") { status } b: ragAsOf(date: \"2013-03-31\") { status } c: ragAsOf(date: \"2012-01-01\") { status }").await;
    assert_eq!(
        (one["a"]["status"].as_str(), one["b"]["status"].as_str()),
        (Some("RED"), Some("GREEN"))
    );
    assert!(one["c"].is_null());

    // ragChanges: what moved since the last board.
    let d = app
        .data(
            "{ plan(slug: \"herefordshire-2012\") { ragChanges(from: \"2013-02-01\", to: \"2013-03-31\") { totalCount edges { node { action { code } ragUpdate { status previousStatus effectiveDate } } } } } }",
            json!({}),
        )
        .await;
    let changes: Vec<(String, String, String)> = d["plan"]["ragChanges"]["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|e| {
            let n = &e["node"];
            (
                n["action"]["code"].as_str().expect("c").to_string(),
                n["ragUpdate"]["status"].as_str().expect("s").to_string(),
                n["ragUpdate"]["effectiveDate"]
                    .as_str()
                    .expect("d")
                    .to_string(),
            )
        })
        .collect();
    let own = |a: &str, b: &str, c: &str| (a.to_string(), b.to_string(), c.to_string());
    assert_eq!(
        changes,
        vec![
            own("1.2", "RED", "2013-02-15"),
            own("2.2", "BLUE", "2013-03-01"),
            own("1.2", "GREEN", "2013-03-10")
        ]
    );
    assert_eq!(d["plan"]["ragChanges"]["totalCount"], 3);
}

#[apply(both_engines)]
async fn a_trend_equals_separate_summaries_and_costs_one_statement(on: Engine) {
    let Some(engine) = on.available() else { return };
    let app = TestApp::spawn(engine).await;
    arrange_history(&app).await;
    let trend = "query($g: RagGroupBy) { plan(slug: \"herefordshire-2012\") { ragTrend(from: \"2013-01-15\", to: \"2013-04-23\", interval: FORTNIGHT, groupBy: $g) {
        asOf total counts { status count } groups { key label total counts { status count } } } } }";
    for group in [json!("THEME"), json!("LEAD"), Value::Null] {
        let points = app.data(trend, json!({ "g": group })).await["plan"]["ragTrend"].clone();
        let points = points.as_array().expect("points");
        assert_eq!(points.len(), 8, "8 fortnights");
        for p in points {
            let s = summary(&app, group.clone(), p["asOf"].clone(), Value::Null).await;
            assert_eq!(&s, p, "trend point {} equals its own summary", p["asOf"]);
        }
    }
    // Statement cost: one statement (the counts, with the plan's catalogue version), for a
    // summary and for a trend.
    for (what, q, vars) in [
        ("summary", SUMMARY, json!({ "g": "THEME" })),
        (
            "summary as of",
            SUMMARY,
            json!({ "g": "LEAD", "d": "2013-03-01" }),
        ),
        ("trend", trend, json!({ "g": "THEME" })),
    ] {
        app.reset_statements();
        app.data(q, vars).await;
        let n = app.statement_count();
        eprintln!("{engine:?}: {what}: {n} statements");
        assert_eq!(n, 1, "{what}");
    }
}

#[apply(both_engines)]
async fn quarterly_and_yearly_trends_add_calendar_months(on: Engine) {
    let Some(engine) = on.available() else { return };
    let app = TestApp::spawn(engine).await;
    arrange_history(&app).await;
    let q = "query($from: Date!, $to: Date!, $i: TrendInterval!) { plan(slug: \"herefordshire-2012\") {
        ragTrend(from: $from, to: $to, interval: $i, groupBy: THEME) {
        asOf total counts { status count } groups { key label total counts { status count } } } } }";
    let cases = [
        // From a quarter's last day, every point is a quarter's last day.
        (
            "QUARTER",
            "2012-12-31",
            "2014-03-31",
            vec![
                "2012-12-31",
                "2013-03-31",
                "2013-06-30",
                "2013-09-30",
                "2013-12-31",
                "2014-03-31",
            ],
        ),
        // Otherwise the same day of every third month, up to `to` and not past it.
        (
            "QUARTER",
            "2013-01-15",
            "2014-01-14",
            vec!["2013-01-15", "2013-04-15", "2013-07-15", "2013-10-15"],
        ),
        // Years keep the day where February has it.
        (
            "YEAR",
            "2012-02-29",
            "2016-03-01",
            vec![
                "2012-02-29",
                "2013-02-28",
                "2014-02-28",
                "2015-02-28",
                "2016-02-29",
            ],
        ),
    ];
    for (interval, from, to, want) in cases {
        let d = app
            .data(q, json!({ "from": from, "to": to, "i": interval }))
            .await;
        let points = d["plan"]["ragTrend"].as_array().expect("points");
        let days: Vec<&str> = points
            .iter()
            .map(|p| p["asOf"].as_str().expect("asOf"))
            .collect();
        assert_eq!(days, want, "{interval} from {from} to {to}");
        for p in points {
            let s = summary(&app, json!("THEME"), p["asOf"].clone(), Value::Null).await;
            assert_eq!(
                &s, p,
                "{interval} point {} equals its own summary",
                p["asOf"]
            );
        }
    }
    // The 200-point cap counts points whatever the interval: 200 quarters, not 201.
    let longest = "{ plan(slug: \"herefordshire-2012\") { ragTrend(from: \"2000-01-01\", to: \"2049-10-01\", interval: QUARTER) { asOf } } }";
    let d = app.data(longest, json!({})).await;
    let points = d["plan"]["ragTrend"].as_array().expect("points");
    assert_eq!(points.len(), 200);
    assert_eq!(points[199]["asOf"], "2049-10-01");
    let too_long = longest.replace("2049-10-01", "2050-01-01");
    let body = app.graphql(&too_long, json!({})).await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
        "{body:#}"
    );
}

#[apply(both_engines)]
async fn overdue_due_soon_and_stale_on_a_fixed_date(on: Engine) {
    let Some(engine) = on.available() else { return };
    let app = TestApp::spawn(engine).await;
    arrange_history(&app).await;
    let day = "2013-03-05";
    let sel = "code state dueDate ragAsOf(date: \"2013-03-05\") { status effectiveDate }";
    let (all, _) = paged_actions(&app, &Value::Null, sel).await;
    // Hand-computed from each action's own due date and status as of the day. Retired 4.4 and
    // the new 1.11 were active and absent respectively on that day.
    let status = |a: &Value| a["ragAsOf"]["status"].as_str().map(str::to_string);
    let due = |a: &Value| a["dueDate"].as_str().map(str::to_string);
    // Most overdue first; the plan's order among equals.
    let mut overdue: Vec<(String, usize, String)> = all
        .iter()
        .enumerate()
        .filter(|(_, a)| {
            due(a).is_some_and(|d| d.as_str() < day)
                && status(a).is_some_and(|s| s != "BLUE" && s != "GREEN")
        })
        .map(|(i, a)| {
            (
                due(a).expect("due"),
                i,
                a["code"].as_str().expect("code").to_string(),
            )
        })
        .collect();
    overdue.sort();
    let q = "query($d: Date!) { plan(slug: \"herefordshire-2012\") { overdue(asOf: $d, first: 100) { totalCount nodes { code dueDate daysOverdue(asOf: $d) } } } }";
    let d = app.data(q, json!({ "d": day })).await;
    let listed: Vec<String> = d["plan"]["overdue"]["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .map(|n| n["code"].as_str().expect("c").to_string())
        .collect();
    assert!(!overdue.is_empty());
    assert_eq!(
        listed,
        overdue
            .iter()
            .map(|(_, _, c)| c.clone())
            .collect::<Vec<_>>(),
        "most overdue first"
    );
    assert_eq!(
        d["plan"]["overdue"]["totalCount"].as_u64(),
        Some(overdue.len() as u64)
    );
    assert!(listed.contains(&"4.4".to_string()) || !overdue.iter().any(|(_, _, c)| c == "4.4"));
    for n in d["plan"]["overdue"]["nodes"].as_array().expect("nodes") {
        let due: chrono::NaiveDate = n["dueDate"].as_str().expect("due").parse().expect("date");
        let expected = (chrono::NaiveDate::from_ymd_opt(2013, 3, 5).expect("d") - due).num_days();
        // Null only for actions done (or removed) now, though overdue on the day.
        if !n["daysOverdue"].is_null() {
            assert_eq!(n["daysOverdue"].as_i64(), Some(expected), "{}", n["code"]);
        }
    }

    // Due within 30 days of the day, not done.
    let soon: Vec<String> = all
        .iter()
        .filter(|a| {
            due(a).is_some_and(|d| d.as_str() >= day && d.as_str() <= "2013-04-04")
                && status(a).is_some_and(|s| s != "BLUE" && s != "GREEN")
        })
        .map(|a| a["code"].as_str().expect("code").to_string())
        .collect();
    let d = app
        .data("{ plan(slug: \"herefordshire-2012\") { dueSoon(within: 30, asOf: \"2013-03-05\", first: 100) { totalCount nodes { code } } } }", json!({}))
        .await;
    let mut got: Vec<String> = d["plan"]["dueSoon"]["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .map(|n| n["code"].as_str().expect("c").to_string())
        .collect();
    got.sort();
    let mut want = soon.clone();
    want.sort();
    assert_eq!(got, want);

    // Stale: no update taking effect in the 20 days up to the day (so before 13 Feb), not BLUE.
    let stale: Vec<String> = all
        .iter()
        .filter(|a| {
            status(a).is_some_and(|s| s != "BLUE")
                && a["ragAsOf"]["effectiveDate"]
                    .as_str()
                    .is_some_and(|d| d <= "2013-02-13")
        })
        .map(|a| a["code"].as_str().expect("code").to_string())
        .collect();
    let (mut got, total) = list_codes(&app, "stale", "days: 20, asOf: \"2013-03-05\",").await;
    assert_eq!(total, got.len() as u64);
    got.sort();
    let mut want = stale.clone();
    want.sort();
    assert_eq!(got, want);
    assert!(!got.contains(&"1.2".to_string()), "updated on 15 Feb");
    assert!(!got.contains(&"2.2".to_string()), "BLUE");
    // Today, without a date: the plan's 2013 statuses are all stale, except those updated today.
    let (now, _) = list_codes(&app, "stale", "days: 30,").await;
    for code in ["3.3", "1.11", "4.4", "2.2"] {
        assert!(
            !now.contains(&code.to_string()),
            "{code} is not stale today: {now:?}"
        );
    }
    assert!(now.contains(&"5.1".to_string()));

    // daysInStatus: an AMBER re-confirmed stays AMBER since its first day.
    let id = action(&app, "3.3", "id").await["id"].clone();
    app.data(
        RECORD,
        json!({ "in": { "actionId": id, "status": "AMBER", "note": "still" } }),
    )
    .await;
    let a = action(
        &app,
        "3.3",
        "daysInStatus(asOf: \"2099-01-01\") rag { effectiveDate }",
    )
    .await;
    let since: chrono::NaiveDate = a["rag"]["effectiveDate"]
        .as_str()
        .expect("d")
        .parse()
        .expect("date");
    let expected = (chrono::NaiveDate::from_ymd_opt(2099, 1, 1).expect("d") - since).num_days();
    assert_eq!(a["daysInStatus"].as_i64(), Some(expected));
    let b = action(
        &app,
        "5.1",
        "daysInStatus(asOf: \"2013-03-02\") rag { status }",
    )
    .await;
    assert_eq!(b["daysInStatus"], 30, "since the plan's 31 January");

    let bad = app
        .graphql(
            "{ plan(slug: \"herefordshire-2012\") { stale(days: 0) { totalCount } } }",
            json!({}),
        )
        .await;
    assert_eq!(bad["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
    let bad = app.graphql("{ plan(slug: \"herefordshire-2012\") { ragTrend(from: \"2000-01-01\", to: \"2013-01-01\", interval: WEEK) { total } } }", json!({})).await;
    assert_eq!(bad["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
}

#[apply(both_engines)]
async fn a_partners_counts_cover_only_its_actions(on: Engine) {
    let Some(engine) = on.available() else { return };
    let app = TestApp::spawn(engine).await;
    let partner = token(Role::Partner, &[], &["HSCB"]);
    let q = "{ plan(slug: \"herefordshire-2012\") {
        now: ragSummary(groupBy: WORKSTREAM) { total groups { key total } }
        then: ragSummary(asOf: \"2013-02-01\", groupBy: THEME) { total groups { total } }
        trend: ragTrend(from: \"2013-01-01\", to: \"2013-03-01\", interval: MONTH) { total }
        overdue(asOf: \"2013-06-01\") { nodes { workstream { name } } }
        stale(days: 30) { nodes { workstream { name } } }
        ragChanges(from: \"2012-01-01\", to: \"2099-01-01\", first: 100) { totalCount edges { node { action { workstream { name } } } } } } }";
    let d = app.data_as(&partner, q, json!({})).await;
    let p = &d["plan"];
    let own = action_count(&app, &partner, Value::Null).await;
    assert_eq!(
        own,
        action_count(&app, &app.admin_token, json!({ "workstreams": ["HSCB"] })).await
    );
    assert_eq!(p["now"]["total"].as_u64(), Some(own));
    assert_eq!(p["now"]["groups"], json!([{ "key": "HSCB", "total": own }]));
    assert_eq!(p["then"]["total"].as_u64(), Some(own));
    let theme_sum: u64 = p["then"]["groups"]
        .as_array()
        .expect("g")
        .iter()
        .map(|g| g["total"].as_u64().expect("n"))
        .sum();
    assert_eq!(theme_sum, own);
    assert_eq!(p["trend"][2]["total"].as_u64(), Some(own));
    assert_eq!(
        p["ragChanges"]["totalCount"].as_u64(),
        Some(own),
        "one imported entry each"
    );
    for list in ["overdue", "stale"] {
        for n in p[list]["nodes"].as_array().expect("nodes") {
            assert_eq!(n["workstream"]["name"], "HSCB", "{list}");
        }
    }
    for e in p["ragChanges"]["edges"].as_array().expect("edges") {
        assert_eq!(e["node"]["action"]["workstream"]["name"], "HSCB");
    }
}

#[apply(both_engines)]
async fn the_longest_trend_runs_in_one_statement(on: Engine) {
    let Some(engine) = on.available() else { return };
    let app = TestApp::spawn(engine).await;
    // 200 weekly points, the most a trend may have.
    let q = "{ plan(slug: \"herefordshire-2012\") { ragTrend(from: \"2013-01-01\", to: \"2016-10-25\", interval: WEEK, groupBy: OFSTED_AREA) { asOf total } } }";
    // The first request loads the plan's catalogue into the server's memory; steady state
    // is what is counted.
    app.data(q, json!({})).await;
    app.reset_statements();
    let d = app.data(q, json!({})).await;
    assert_eq!(app.statement_count(), 1);
    let points = d["plan"]["ragTrend"].as_array().expect("points");
    assert_eq!(points.len(), 200);
    assert_eq!(points[199]["asOf"], "2016-10-25");
    assert_eq!(points[199]["total"], 125);
}
