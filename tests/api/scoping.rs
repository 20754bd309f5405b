//! A partner token cannot learn that an out-of-scope action exists, through any query or
//! mutation in the schema. The schema's own entry points are enumerated by introspection, so a
//! new one added without a check here fails this test.
use std::collections::{BTreeSet, HashSet};

use plan_api::auth::Role;
use serde_json::{json, Value};

use crate::helpers::{action, apply, both_engines, paged_actions, token, Engine, TestApp};

const PLAN: &str = "herefordshire-2012";

/// Root and plan fields through which actions (or facts about them) can be reached, each
/// checked below. Anything else that returns actions must be added here *and* checked.
const CHECKED: &[&str] = &[
    "Query.plans",
    "Query.plan",
    "Query.node",
    "Query.auditLog",
    "Plan.action",
    "Plan.actions",
    "Plan.evidenceSources",
    "Action.links",
    "Action.linkedFrom",
    "Action.ragHistory",
    "Plan.ragSummary",
    "Plan.ragTrend",
    "Plan.ragChanges",
    "Plan.overdue",
    "Plan.dueSoon",
    "Plan.stale",
    // Reached only from an action already in scope.
    "Action.plan",
    "Action.evidence",
    "Action.ragAsOf",
];

/// Every mutation, each sent below against an out-of-scope action.
const MUTATIONS: &[&str] = &[
    "recordRagUpdate",
    "recordRagUpdates",
    "addEvidence",
    "updateAction",
    "extendDeadline",
    "moveAction",
    "retireAction",
    "reinstateAction",
    "linkActions",
    "unlinkActions",
    // Create rather than reach; refused to partners whatever the input (roles matrix).
    "createAction",
    "importPlan",
    // Admins only; every other role is refused whatever the input (tested in `live`).
    "createWebhook",
    "updateWebhook",
    "deleteWebhook",
];

/// Fields of `ty` whose type mentions an action, history or plan (by introspection).
async fn action_reaching_fields(app: &TestApp, ty: &str) -> Vec<String> {
    let d = app
        .data(
            "query($t: String!) { __type(name: $t) { fields { name type { name ofType { name ofType { name ofType { name } } } } } } }",
            json!({ "t": ty }),
        )
        .await;
    let reaches = |t: &Value| {
        let s = t.to_string();
        [
            "\"Action",
            "\"RagUpdate",
            "\"Plan\"",
            "\"PlanConnection",
            "\"EvidenceSource",
            "\"AuditEvent",
            "\"Node\"",
        ]
        .iter()
        .any(|n| s.contains(n))
    };
    d["__type"]["fields"]
        .as_array()
        .expect("fields")
        .iter()
        .filter(|f| reaches(&f["type"]))
        .map(|f| format!("{ty}.{}", f["name"].as_str().expect("name")))
        .collect()
}

#[apply(both_engines)]
async fn partners_cannot_detect_out_of_scope_actions(on: Engine) {
    let Some(engine) = on.available() else { return };
    let app = TestApp::spawn(engine).await;
    let partner = token(Role::Partner, &[], &["HSCB"]);

    // Every entry point of the schema is one this test checks.
    for ty in ["Query", "Plan", "Action"] {
        for field in action_reaching_fields(&app, ty).await {
            assert!(
                CHECKED.contains(&field.as_str()),
                "{field} reaches actions but is not checked by this test"
            );
        }
    }
    let d = app
        .data(
            "{ __type(name: \"Mutation\") { fields { name } } }",
            json!({}),
        )
        .await;
    for f in d["__type"]["fields"].as_array().expect("mutations") {
        let name = f["name"].as_str().expect("name");
        assert!(
            MUTATIONS.contains(&name),
            "mutation {name} is not checked by this test"
        );
    }

    // What the admin sees: every action, its work stream, links and evidence.
    let sel = "id code workstream { name } links { code } linkedFrom { code } evidence { name } objective";
    let (all, _) = paged_actions(&app, &Value::Null, sel).await;
    let visible: HashSet<String> = all
        .iter()
        .filter(|a| a["workstream"]["name"] == "HSCB")
        .map(|a| a["code"].as_str().expect("code").to_string())
        .collect();
    let hidden: Vec<&Value> = all
        .iter()
        .filter(|a| a["workstream"]["name"] != "HSCB")
        .collect();
    assert!(!visible.is_empty() && !hidden.is_empty());
    let outside = action(
        &app,
        "1.1",
        "id workstream { name } ragHistory(first: 1) { edges { node { id } } }",
    )
    .await;
    assert_eq!(outside["workstream"]["name"], "Practice");
    let outside_id = outside["id"].as_str().expect("id");
    let outside_history = outside["ragHistory"]["edges"][0]["node"]["id"]
        .as_str()
        .expect("id");

    // Query.plans / Query.plan: the plan itself is shared.
    let d = app
        .data_as(
            &partner,
            "{ plans { totalCount edges { node { slug } } } }",
            json!({}),
        )
        .await;
    assert_eq!(d["plans"]["totalCount"], 1);

    // Plan.actions: only its own, counted as such, under every order and filter.
    let q = "query($f: ActionFilter, $o: ActionOrder) { plan(slug: \"herefordshire-2012\") {
        actions(filter: $f, orderBy: $o, first: 100) { totalCount edges { node { code links { code } linkedFrom { code }
        ragHistory(first: 100) { totalCount } } } } } }";
    for (filter, order) in [
        (Value::Null, Value::Null),
        (
            Value::Null,
            json!({ "field": "DUE_DATE", "direction": "DESC" }),
        ),
        (Value::Null, json!({ "field": "RAG_STATUS" })),
        (json!({ "leads": ["KOM"] }), Value::Null),
        (json!({ "workstreams": ["Practice"] }), Value::Null),
        (
            json!({ "search": "clearly articulated quality standards" }),
            Value::Null,
        ),
        (
            json!({ "rag": ["RED", "AMBER", "GREEN", "GREY", "BLUE"] }),
            Value::Null,
        ),
        (json!({ "themes": [1, 2, 3, 4, 5] }), Value::Null),
        (json!({ "references": ["AA1"] }), Value::Null),
        (json!({ "state": "REMOVED" }), Value::Null),
    ] {
        let d = app
            .data_as(&partner, q, json!({ "f": filter, "o": order }))
            .await;
        let conn = &d["plan"]["actions"];
        let edges = conn["edges"].as_array().expect("edges");
        assert_eq!(
            conn["totalCount"].as_u64(),
            Some(edges.len() as u64),
            "{filter}: count = rows"
        );
        for e in edges {
            let n = &e["node"];
            let code = n["code"].as_str().expect("code");
            assert!(visible.contains(code), "{filter}: {code} is out of scope");
            // Action.links / Action.linkedFrom never point outside.
            for l in n["links"]
                .as_array()
                .expect("links")
                .iter()
                .chain(n["linkedFrom"].as_array().expect("from"))
            {
                let c = l["code"].as_str().expect("code");
                assert!(visible.contains(c), "{code} links to out-of-scope {c}");
            }
        }
        if filter.is_null() && order.is_null() {
            assert_eq!(edges.len(), visible.len(), "sees all of its own");
        }
        if filter.get("workstreams").is_some() || filter.get("search").is_some() {
            assert_eq!(conn["totalCount"], 0, "{filter}");
        }
    }
    // The admin's view proves a hidden link exists (2.9 -> 1.1), so the check above bites.
    let admin_29 = action(&app, "2.9", "links { code }").await;
    assert!(admin_29["links"].to_string().contains("\"1.1\""));

    // Plan.action and Query.node: out of scope reads exactly like absent.
    let by_code =
        "query($c: String!) { plan(slug: \"herefordshire-2012\") { action(code: $c) { code } } }";
    for code in ["1.1", "no-such-action"] {
        let d = app.data_as(&partner, by_code, json!({ "c": code })).await;
        assert!(d["plan"]["action"].is_null(), "{code}");
    }
    let absent_id = "QWN0aW9uOjk5OTk5"; // Action:99999
    for id in [outside_id, outside_history, absent_id] {
        let d = app
            .data_as(
                &partner,
                "query($id: ID!) { node(id: $id) { id } }",
                json!({ "id": id }),
            )
            .await;
        assert!(d["node"].is_null(), "node({id})");
    }

    // Plan.evidenceSources: only what its own actions cite.
    let cited_by_visible: BTreeSet<String> = all
        .iter()
        .filter(|a| visible.contains(a["code"].as_str().expect("code")))
        .flat_map(|a| {
            a["evidence"]
                .as_array()
                .expect("evidence")
                .iter()
                .map(|e| e["name"].as_str().expect("name").to_string())
        })
        .collect();
    let d = app
        .data_as(
            &partner,
            "{ plan(slug: \"herefordshire-2012\") { evidenceSources { name } } }",
            json!({}),
        )
        .await;
    let seen: BTreeSet<String> = d["plan"]["evidenceSources"]
        .as_array()
        .expect("sources")
        .iter()
        .map(|e| e["name"].as_str().expect("name").to_string())
        .collect();
    assert_eq!(seen, cited_by_visible);
    let d = app
        .data(
            &format!("{{ plan(slug: \"{PLAN}\") {{ evidenceSources {{ name }} }} }}"),
            json!({}),
        )
        .await;
    assert!(
        d["plan"]["evidenceSources"].as_array().expect("all").len() > seen.len(),
        "some sources are hidden"
    );

    // Dashboards: counts, trends, changes and attention lists cover its own actions only.
    let d = app
            .data_as(
                &partner,
                "{ plan(slug: \"herefordshire-2012\") {
                    now: ragSummary(groupBy: LEAD) { total groups { key } }
                    then: ragSummary(asOf: \"2013-03-01\") { total }
                    trend: ragTrend(from: \"2013-01-01\", to: \"2013-03-01\", interval: MONTH) { total }
                    ragChanges(from: \"2000-01-01\", to: \"2099-01-01\", first: 100) { totalCount edges { node { action { code } } } }
                    overdue(first: 100) { totalCount nodes { code } }
                    dueSoon(within: 3660, asOf: \"2012-01-01\", first: 100) { totalCount nodes { code } }
                    stale(days: 1, first: 100) { totalCount nodes { code } } } }",
                json!({}),
            )
            .await;
    let p = &d["plan"];
    let own = visible.len() as u64;
    assert_eq!(p["now"]["total"].as_u64(), Some(own));
    assert_eq!(p["then"]["total"].as_u64(), Some(own));
    assert_eq!(p["trend"][2]["total"].as_u64(), Some(own));
    assert_eq!(p["ragChanges"]["totalCount"].as_u64(), Some(own));
    for e in p["ragChanges"]["edges"].as_array().expect("edges") {
        let c = e["node"]["action"]["code"].as_str().expect("code");
        assert!(visible.contains(c), "ragChanges shows {c}");
    }
    for list in ["overdue", "dueSoon", "stale"] {
        let nodes = p[list]["nodes"].as_array().expect("nodes");
        assert_eq!(
            p[list]["totalCount"].as_u64(),
            Some(nodes.len() as u64),
            "{list}"
        );
        for n in nodes {
            let c = n["code"].as_str().expect("code");
            assert!(visible.contains(c), "{list} shows {c}");
        }
    }
    let admin_leads = app
            .data("{ plan(slug: \"herefordshire-2012\") { ragSummary(groupBy: LEAD) { groups { key } } } }", json!({}))
            .await;
    assert!(
        p["now"]["groups"].as_array().map(Vec::len)
            < admin_leads["plan"]["ragSummary"]["groups"]
                .as_array()
                .map(Vec::len),
        "leads of hidden actions are not counted"
    );

    // Query.auditLog: refused outright (admins only), whatever it holds.
    let body = app
        .graphql_as(&partner, "{ auditLog { totalCount } }", json!({}))
        .await;
    assert_eq!(body["errors"][0]["extensions"]["code"], "FORBIDDEN");

    // Mutation.*: on an out-of-scope action every mutation answers exactly as for an absent one.
    let mutations = [
        "mutation($id: ID!) { recordRagUpdate(input: {actionId: $id, status: AMBER, note: \"n\"}) { action { id } } }",
        "mutation($id: ID!) { addEvidence(input: {actionId: $id, what: \"w\"}) { action { id } } }",
        "mutation($id: ID!) { updateAction(input: {actionId: $id, byWhen: \"x\"}) { action { id } } }",
        "mutation($id: ID!) { extendDeadline(input: {actionId: $id, newDueDate: \"2030-01-01\", reason: \"r\"}) { action { id } } }",
        "mutation($id: ID!) { moveAction(input: {actionId: $id, workstream: \"HSCB\"}) { action { id } } }",
        "mutation($id: ID!) { retireAction(input: {actionId: $id, reason: \"r\"}) { action { id } } }",
        "mutation($id: ID!) { reinstateAction(input: {actionId: $id, reason: \"r\"}) { action { id } } }",
        "mutation($id: ID!) { linkActions(input: {fromId: $id, toId: $id}) { from { id } } }",
        "mutation($id: ID!) { unlinkActions(input: {fromId: $id, toId: $id}) { from { id } } }",
    ];
    for m in mutations {
        let hidden_answer = app
            .graphql_as(&partner, m, json!({ "id": outside_id }))
            .await;
        let absent_answer = app
            .graphql_as(&partner, m, json!({ "id": absent_id }))
            .await;
        assert_eq!(
            hidden_answer["errors"][0]["extensions"]["code"], "NOT_FOUND",
            "{m}: {hidden_answer:#}"
        );
        assert_eq!(
            hidden_answer["errors"][0]["message"], absent_answer["errors"][0]["message"],
            "{m}"
        );
    }
    let batch = "mutation($id: ID!) { recordRagUpdates(input: {updates: [{actionId: $id, status: AMBER, note: \"n\"}]}) { results { error { code message } } } }";
    let hidden_answer = app
        .graphql_as(&partner, batch, json!({ "id": outside_id }))
        .await;
    let absent_answer = app
        .graphql_as(&partner, batch, json!({ "id": absent_id }))
        .await;
    assert_eq!(hidden_answer["data"], absent_answer["data"]);
    assert_eq!(
        hidden_answer["data"]["recordRagUpdates"]["results"][0]["error"]["code"],
        "NOT_FOUND"
    );
    // Linking its own action to a hidden one does not reveal the hidden one either.
    let own = action(&app, "2.9", "id").await["id"].clone();
    let link =
        "mutation($a: ID!, $b: ID!) { linkActions(input: {fromId: $a, toId: $b}) { from { id } } }";
    let body = app
        .graphql_as(&partner, link, json!({ "a": own, "b": outside_id }))
        .await;
    assert!(
        matches!(
            body["errors"][0]["extensions"]["code"].as_str(),
            Some("FORBIDDEN" | "NOT_FOUND")
        ),
        "{body:#}"
    );
    assert!(!body.to_string().contains("1.1"), "{body:#}");
    let _ = hidden;
}

#[apply(both_engines)]
async fn plan_scoped_tokens_see_no_other_plan(on: Engine) {
    let Some(engine) = on.available() else { return };
    let app = TestApp::spawn(engine).await;
    let elsewhere = crate::helpers::token_with(Role::Viewer, &[], &[], &["another-plan"]);
    let d = app
        .data_as(&elsewhere, "{ plans { totalCount edges { node { slug } } } plan(slug: \"herefordshire-2012\") { id } }", json!({}))
        .await;
    assert_eq!(d["plans"]["totalCount"], 0);
    assert!(d["plan"].is_null());
    let ids = app
        .data(
            "{ plan(slug: \"herefordshire-2012\") { id themes { id } workstreams { id } people { id } references { id } action(code: \"1.1\") { id } } }",
            json!({}),
        )
        .await;
    let p = &ids["plan"];
    for id in [
        &p["id"],
        &p["themes"][0]["id"],
        &p["workstreams"][0]["id"],
        &p["people"][0]["id"],
        &p["references"][0]["id"],
        &p["action"]["id"],
    ] {
        let d = app
            .data_as(
                &elsewhere,
                "query($id: ID!) { node(id: $id) { id } }",
                json!({ "id": id }),
            )
            .await;
        assert!(d["node"].is_null(), "node({id}) crossed plans");
    }
}
