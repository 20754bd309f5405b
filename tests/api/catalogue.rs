//! The server keeps each plan's catalogue in memory; an import made anywhere else (the CLI,
//! another replica) must show on the very next read.
use plan_api::plans::{import_plan_file, HEREFORDSHIRE_PLAN_JSON};
use serde_json::{json, Value};

use crate::helpers::{apply, both_engines, error_code, Engine, TestApp};

const READ: &str = r#"{ plan(slug: "herefordshire-2012") {
    title themes { number title } workstreams { name }
    action(code: "1.1") { theme { title } workstream { name } }
} }"#;

const BY_NEW_WORKSTREAM: &str = r#"{ plan(slug: "herefordshire-2012") {
    actions(filter: { workstreams: ["Early Help"] }) { nodes { code } }
} }"#;

#[apply(both_engines)]
async fn an_import_elsewhere_shows_on_the_next_read(on: Engine) {
    let Some(engine) = on.available() else { return };
    let app = TestApp::spawn(engine).await;
    // Arrange: the server has the catalogue in memory.
    let before = app.data(READ, json!({})).await;
    assert_eq!(before["plan"]["themes"][0]["number"], 1);
    assert_eq!(
        error_code(&app.graphql(BY_NEW_WORKSTREAM, json!({})).await).as_deref(),
        Some("BAD_USER_INPUT"),
        "no such work stream yet"
    );

    // Act: another process imports a new version through its own connection.
    let mut file: Value = serde_json::from_str(HEREFORDSHIRE_PLAN_JSON).expect("json");
    file["plan"]["title"] = json!("Herefordshire Improvement Plan V2.3");
    file["themes"][0]["title"] = json!("I know who to talk to, and I am heard");
    file["workstreams"]
        .as_array_mut()
        .expect("workstreams")
        .push(json!({ "name": "Early Help" }));
    for a in file["actions"].as_array_mut().expect("actions") {
        if a["code"] == "1.1" {
            a["workstream"] = json!("Early Help");
        }
    }
    let bytes = serde_json::to_vec(&file).expect("serialise");
    import_plan_file(&app.db, &bytes, "v2.3.json")
        .await
        .map_err(|e| e.detail())
        .expect("import");

    // Assert: the very next read through the server sees all of it.
    let after = app.data(READ, json!({})).await;
    assert_eq!(
        after["plan"]["title"],
        "Herefordshire Improvement Plan V2.3"
    );
    assert_eq!(
        after["plan"]["themes"][0]["title"],
        "I know who to talk to, and I am heard"
    );
    assert_eq!(
        after["plan"]["action"]["theme"]["title"],
        "I know who to talk to, and I am heard"
    );
    assert_eq!(after["plan"]["action"]["workstream"]["name"], "Early Help");
    assert!(after["plan"]["workstreams"]
        .as_array()
        .expect("workstreams")
        .iter()
        .any(|w| w["name"] == "Early Help"));
    let d = app.data(BY_NEW_WORKSTREAM, json!({})).await;
    assert_eq!(d["plan"]["actions"]["nodes"], json!([{ "code": "1.1" }]));
}
