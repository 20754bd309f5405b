//! Every concrete input that found a fault, as a small named case, run every time: what it
//! was found doing is in `found`. Those that can crash the server (`crash_prone`) run against
//! the binary in a child process.
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use super::cases::{Caller, Case, Req, Tokens, Transport, WsOut};
use super::check::{check, Bounds, Violation};
use super::client::{Answer, Client};
use super::gen::{nested_possible_types, OpKind};
use super::run::{Server, Target, REQUEST_TIMEOUT};
use super::values::{cursor_of, PLAN};
use crate::helpers::Engine;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Setup {
    Plain,
    /// Trusted documents: only `REGISTERED` runs.
    Trusted,
    /// The rate limits of the configuration table.
    RateLimited,
    /// A request timeout of `SHORT_TIMEOUT`.
    ShortTimeout,
}

const SHORT_TIMEOUT: Duration = Duration::from_secs(1);

#[derive(Debug, Clone, Copy)]
enum Expect {
    /// The properties of the generated suite.
    Properties,
    /// Those, and refused with this code.
    RefusedWith(&'static str),
}

enum Probe {
    /// One request.
    Request {
        transport: Transport,
        caller: Caller,
        op: Option<OpKind>,
        req: fn() -> Req,
        expect: Expect,
    },
    /// A note that is a formula, exported as CSV.
    CsvFormula,
    /// Many queries over one WebSocket against the caller's token bucket.
    WsRateLimit,
}

struct Regression {
    name: &'static str,
    /// What it did when it was found (SQLite unless it says otherwise).
    found: &'static str,
    crash_prone: bool,
    setup: Setup,
    probe: Probe,
}

const REGISTERED: &str = "query Slug { plan(slug: \"herefordshire-2012\") { slug } }";

fn gql(query: String, variables: Option<Value>) -> Req {
    Req::Gql(super::gen::Gql {
        query,
        variables,
        operation_name: None,
    })
}

fn filtered(filter: Value) -> Req {
    gql(
        format!("query($f: ActionFilter) {{ plan(slug: \"{PLAN}\") {{ actions(filter: $f, first: 1) {{ totalCount }} }} }}"),
        Some(json!({ "f": filter })),
    )
}

fn words(n: usize) -> String {
    vec!["audit"; n].join(" ")
}

fn post(caller: Caller, req: fn() -> Req) -> Probe {
    Probe::Request {
        transport: Transport::Post,
        caller,
        op: Some(OpKind::Query),
        req,
        expect: Expect::Properties,
    }
}

fn regressions() -> Vec<Regression> {
    use Caller::*;
    vec![
        Regression {
            name: "search-with-many-words",
            found: "2,000 words in `search` overflow the server's stack: the process aborts",
            crash_prone: true,
            setup: Setup::Plain,
            probe: post(Admin, || filtered(json!({ "search": words(50_000) }))),
        },
        Regression {
            name: "csv-search-with-many-words",
            found: "the same through /export/actions.csv",
            crash_prone: true,
            setup: Setup::Plain,
            probe: Probe::Request {
                transport: Transport::Csv,
                caller: Admin,
                op: None,
                req: || Req::Csv(format!("/export/actions.csv?plan={PLAN}&search={}", words(5_000).replace(' ', "+"))),
                expect: Expect::Properties,
            },
        },
        Regression {
            name: "deep-list-literal",
            found: "`filter: { leads: [[[…]]] }` 3,000 deep overflows the stack while parsing: the process aborts",
            crash_prone: true,
            setup: Setup::Plain,
            probe: post(Admin, || {
                gql(
                    format!(
                        "{{ plan(slug: \"{PLAN}\") {{ actions(filter: {{ leads: {}\"KOM\"{} }}, first: 1) {{ totalCount }} }} }}",
                        "[".repeat(5_000),
                        "]".repeat(5_000)
                    ),
                    None,
                )
            }),
        },
        Regression {
            name: "deep-list-literal-over-websocket",
            found: "the same document over /graphql/ws",
            crash_prone: true,
            setup: Setup::Plain,
            probe: Probe::Request {
                transport: Transport::Ws,
                caller: Viewer,
                op: Some(OpKind::Query),
                req: || gql(format!("{{ plans(first: {}1{}) {{ totalCount }} }}", "[".repeat(5_000), "]".repeat(5_000)), None),
                expect: Expect::Properties,
            },
        },
        Regression {
            name: "deep-object-literal",
            found: "an object literal 3,000 deep overflows the stack: the process aborts",
            crash_prone: true,
            setup: Setup::Plain,
            probe: post(Admin, || {
                gql(
                    format!(
                        "{{ plan(slug: \"{PLAN}\") {{ actions(filter: {}1{}, first: 1) {{ totalCount }} }} }}",
                        "{a: ".repeat(3_000),
                        "}".repeat(3_000)
                    ),
                    None,
                )
            }),
        },
        Regression {
            name: "deep-variable-default",
            found: "a variable's default value 3,000 deep overflows the stack: the process aborts",
            crash_prone: true,
            setup: Setup::Plain,
            probe: post(Anonymous, || {
                gql(format!("query($v: [String] = {}\"x\"{}) {{ __typename }}", "[".repeat(3_000), "]".repeat(3_000)), None)
            }),
        },
        Regression {
            name: "deep-directive-argument",
            found: "`@skip(if: [[[…]]])` 5,000 deep overflows the stack, without a token: the process aborts",
            crash_prone: true,
            setup: Setup::Plain,
            probe: post(Anonymous, || {
                gql(format!("{{ __typename @skip(if: {}false{}) }}", "[".repeat(5_000), "]".repeat(5_000)), None)
            }),
        },
        Regression {
            name: "deep-list-where-an-input-object-goes",
            found: "`mutation { updateAction(input: [[[…null…]]]) { … } }` 350 deep, with no token (700 bytes): the stack overflows, the process aborts (300 deep: refused)",
            crash_prone: true,
            setup: Setup::Plain,
            probe: Probe::Request {
                transport: Transport::Post,
                caller: Anonymous,
                op: Some(OpKind::Mutation),
                req: || {
                    gql(
                        format!("mutation {{ updateAction(input: {}null{}) {{ action {{ id }} }} }}", "[".repeat(350), "]".repeat(350)),
                        None,
                    )
                },
                expect: Expect::Properties,
            },
        },
        Regression {
            name: "cursor-past-i64-on-actions",
            found: "`after:` base64 of offset:9223372036854775807 with `edges { cursor }`: the request task panics (sea-query binds the offset as i64), the connection closes without an answer",
            crash_prone: false,
            setup: Setup::Plain,
            probe: post(Admin, || {
                gql(
                    format!(
                        "{{ plan(slug: \"{PLAN}\") {{ actions(after: \"{}\") {{ edges {{ cursor }} }} }} }}",
                        cursor_of("offset:9223372036854775807")
                    ),
                    None,
                )
            }),
        },
        Regression {
            name: "cursor-past-i64-on-plans",
            found: "`plans(after:)` with offset:18446744073709551614: the request task panics, no answer",
            crash_prone: false,
            setup: Setup::Plain,
            probe: post(Viewer, || {
                gql(format!("{{ plans(after: \"{}\") {{ edges {{ cursor }} }} }}", cursor_of("offset:18446744073709551614")), None)
            }),
        },
        Regression {
            name: "cursor-past-i64-on-audit-log",
            found: "`auditLog(after:)` with offset:9223372036854775807: the request task panics, no answer",
            crash_prone: false,
            setup: Setup::Plain,
            probe: post(Admin, || {
                gql(format!("{{ auditLog(after: \"{}\") {{ edges {{ cursor }} }} }}", cursor_of("offset:9223372036854775807")), None)
            }),
        },
        Regression {
            name: "cursor-past-i64-on-rag-changes",
            found: "`ragChanges(after:)` with offset:9223372036854775807: the request task panics, no answer",
            crash_prone: false,
            setup: Setup::Plain,
            probe: post(Viewer, || {
                gql(
                    format!(
                        "{{ plan(slug: \"{PLAN}\") {{ ragChanges(from: \"2012-01-01\", to: \"2014-01-01\", after: \"{}\") {{ edges {{ cursor }} }} }} }}",
                        cursor_of("offset:9223372036854775807")
                    ),
                    None,
                )
            }),
        },
        Regression {
            name: "cursor-past-i64-on-overdue",
            found: "`overdue(after:)` with offset:9223372036854775807: the request task panics, no answer",
            crash_prone: false,
            setup: Setup::Plain,
            probe: post(Viewer, || {
                gql(
                    format!("{{ plan(slug: \"{PLAN}\") {{ overdue(after: \"{}\") {{ edges {{ cursor }} }} }} }}", cursor_of("offset:9223372036854775807")),
                    None,
                )
            }),
        },
        Regression {
            name: "cursor-past-i64-on-rag-history",
            found: "`ragHistory(after:)` with offset:9223372036854775807: INTERNAL (the offset is written into the SQL text)",
            crash_prone: false,
            setup: Setup::Plain,
            probe: post(Viewer, || {
                gql(
                    format!(
                        "{{ plan(slug: \"{PLAN}\") {{ action(code: \"1.1\") {{ ragHistory(after: \"{}\") {{ edges {{ cursor }} }} }} }} }}",
                        cursor_of("offset:9223372036854775807")
                    ),
                    None,
                )
            }),
        },
        Regression {
            name: "unknown-leads",
            found: "200,000 unknown lead codes: a 2.5 MB error message naming every one",
            crash_prone: false,
            setup: Setup::Plain,
            probe: post(Admin, || {
                filtered(json!({ "leads": (0..200_000).map(|i| format!("X{i}")).collect::<Vec<_>>() }))
            }),
        },
        Regression {
            name: "unknown-work-streams",
            found: "100,000 unknown work streams: a 1 MB error message",
            crash_prone: false,
            setup: Setup::Plain,
            probe: post(Viewer, || {
                filtered(json!({ "workstreams": (0..100_000).map(|i| format!("W{i}")).collect::<Vec<_>>() }))
            }),
        },
        Regression {
            name: "known-leads-repeated",
            found: "`leads: [\"KOM\"] × 200,000`: INTERNAL (one SQL parameter each: past SQLite's and PostgreSQL's limits), 850 ms",
            crash_prone: false,
            setup: Setup::Plain,
            probe: post(Viewer, || filtered(json!({ "leads": vec!["KOM"; 200_000] }))),
        },
        Regression {
            name: "rag-statuses-repeated",
            found: "`rag: [RED] × 200,000`: INTERNAL (too many SQL parameters)",
            crash_prone: false,
            setup: Setup::Plain,
            probe: post(Viewer, || filtered(json!({ "rag": vec!["RED"; 200_000] }))),
        },
        Regression {
            name: "themes-repeated",
            found: "`themes: [1] × 200,000`: INTERNAL (too many SQL parameters)",
            crash_prone: false,
            setup: Setup::Plain,
            probe: post(Viewer, || filtered(json!({ "themes": vec![1; 200_000] }))),
        },
        Regression {
            name: "descriptors-repeated",
            found: "`descriptors: [\"OE\"] × 100,000`: INTERNAL (too many SQL parameters)",
            crash_prone: false,
            setup: Setup::Plain,
            probe: post(Viewer, || filtered(json!({ "descriptors": vec!["OE"; 100_000] }))),
        },
        Regression {
            name: "search-one-long-word",
            found: "`search` of one 1,000,000-letter word: INTERNAL on SQLite (LIKE or GLOB pattern too complex)",
            crash_prone: false,
            setup: Setup::Plain,
            probe: post(Viewer, || filtered(json!({ "search": "a".repeat(1_000_000) }))),
        },
        Regression {
            name: "descriptor-echoed",
            found: "a 1 MB descriptor: a 1 MB error message quoting it",
            crash_prone: false,
            setup: Setup::Plain,
            probe: post(Viewer, || filtered(json!({ "descriptors": ["Q".repeat(1_000_000)] }))),
        },
        Regression {
            name: "id-echoed",
            found: "`node(id:)` with a 1 MB id: a 1 MB error message quoting it",
            crash_prone: false,
            setup: Setup::Plain,
            probe: post(Viewer, || {
                gql("query($i: ID!) { node(id: $i) { id } }".into(), Some(json!({ "i": "A".repeat(1_000_000) })))
            }),
        },
        Regression {
            name: "cursor-echoed",
            found: "`plans(after:)` with a 1 MB cursor: a 1 MB error message quoting it",
            crash_prone: false,
            setup: Setup::Plain,
            probe: post(Viewer, || {
                gql("query($c: String) { plans(after: $c) { totalCount } }".into(), Some(json!({ "c": "A".repeat(1_000_000) })))
            }),
        },
        Regression {
            name: "variables-string-echoed",
            found: "`\"variables\": \"xxx…\"` (1 MB): a 400 BAD_REQUEST whose message quotes the whole string, in 120 ms",
            crash_prone: false,
            setup: Setup::Plain,
            probe: post(Anonymous, || Req::RawPost {
                content_type: Some("application/json".into()),
                body: json!({ "query": "{ __typename }", "variables": "x".repeat(1_000_000) }).to_string().into_bytes(),
            }),
        },
        Regression {
            name: "unknown-field-echoed",
            found: "an unknown field name of 300,000 characters: refused after 0.7 s (1 MB: 1.6–3 s; \"did you mean\" over all of it) with a message quoting it",
            crash_prone: false,
            setup: Setup::Plain,
            probe: post(Viewer, || gql(format!("{{ {} }}", "f".repeat(300_000)), None)),
        },
        Regression {
            name: "unknown-field-under-plan-outlasts-the-timeout",
            found: "with a 1 s request timeout, an unknown field name of 300,000 characters inside `plan { }` is refused after 2–3 s (1 MB: 6–8 s of CPU past the 5 s timeout): validation is not stopped by the timeout, and two such requests starve every other client",
            crash_prone: false,
            setup: Setup::ShortTimeout,
            probe: post(Lead, || gql(format!("{{ plan(slug: \"{PLAN}\") {{ {} }} }}", "n".repeat(300_000)), None)),
        },
        Regression {
            name: "enum-value-echoed",
            found: "an unknown enum value of 100,000 characters in `filter.rag`: a 100 KB message quoting it",
            crash_prone: false,
            setup: Setup::Plain,
            probe: post(Lead, || {
                gql(
                    format!("{{ plan(slug: \"{PLAN}\") {{ actions(filter: {{ rag: [{}] }}, first: 1) {{ totalCount }} }} }}", "E".repeat(100_000)),
                    None,
                )
            }),
        },
        Regression {
            name: "syntax-error-echoes-the-line",
            found: "a syntax error on a 1 MB line: a 2 MB message quoting the line, in 370 ms",
            crash_prone: false,
            setup: Setup::Plain,
            probe: post(Anonymous, || gql(format!("{{ plan(slug: \"{}\") {{ title }}", "a".repeat(1_000_000)), None)),
        },
        Regression {
            name: "anonymous-introspection-bomb",
            found: "20 aliases of `__type(name: \"Node\")` with possibleTypes/interfaces 8 deep, no token: admitted, 2.9 MB in 3.6 s (10 deep: 20 MB in 10.7 s, past a 10 s request timeout)",
            crash_prone: false,
            setup: Setup::Plain,
            probe: post(Anonymous, || {
                let body = nested_possible_types(8);
                gql(
                    format!(
                        "{{ {} }}",
                        (0..20).map(|a| format!("t{a}: __type(name: \"Node\") {{ {body} }}")).collect::<Vec<_>>().join(" ")
                    ),
                    None,
                )
            }),
        },
        Regression {
            name: "websocket-errors-without-codes",
            found: "validation and syntax errors over /graphql/ws carry no extensions.code (HTTP gives BAD_USER_INPUT)",
            crash_prone: false,
            setup: Setup::Plain,
            probe: Probe::Request {
                transport: Transport::Ws,
                caller: Viewer,
                op: Some(OpKind::Query),
                req: || gql("{ nope }".into(), None),
                expect: Expect::Properties,
            },
        },
        Regression {
            name: "websocket-10-mib-message",
            found: "a 10 MiB subscribe message is read and run (HTTP refuses bodies over 2 MiB)",
            crash_prone: false,
            setup: Setup::Plain,
            probe: Probe::Request {
                transport: Transport::Ws,
                caller: Viewer,
                op: None,
                req: || {
                    Req::Ws(vec![WsOut::Text(
                        json!({ "id": "1", "type": "subscribe", "payload": { "query": format!("{{ __typename }}{}", " ".repeat(10 * 1024 * 1024)) } })
                            .to_string(),
                    )])
                },
                expect: Expect::Properties,
            },
        },
        Regression {
            name: "websocket-runs-unregistered-documents",
            found: "in trusted-documents mode an unregistered document runs over /graphql/ws",
            crash_prone: false,
            setup: Setup::Trusted,
            probe: Probe::Request {
                transport: Transport::Ws,
                caller: Admin,
                op: Some(OpKind::Query),
                req: || gql("{ plans { totalCount } }".into(), None),
                expect: Expect::RefusedWith("DOCUMENT_NOT_ALLOWED"),
            },
        },
        Regression {
            name: "subscription-with-two-root-fields",
            found: "`subscription { ragUpdated(…) { … } actionChanged(…) { … } }` is accepted over /graphql/ws and listens (the specification allows one root field)",
            crash_prone: false,
            setup: Setup::Plain,
            probe: Probe::Request {
                transport: Transport::Ws,
                caller: Admin,
                op: Some(OpKind::Subscription),
                req: || {
                    gql(
                        format!("subscription {{ ragUpdated(plan: \"{PLAN}\") {{ eventId }} actionChanged(plan: \"{PLAN}\") {{ eventId }} }}"),
                        None,
                    )
                },
                expect: Expect::RefusedWith("BAD_USER_INPUT"),
            },
        },
        Regression {
            name: "typename-with-a-selection",
            found: "`{ __typename { x } }` runs: a selection on a leaf is refused for every field but `__typename`",
            crash_prone: false,
            setup: Setup::Plain,
            probe: Probe::Request {
                transport: Transport::Post,
                caller: Viewer,
                op: Some(OpKind::Query),
                req: || gql("{ __typename { x } }".into(), None),
                expect: Expect::RefusedWith("BAD_USER_INPUT"),
            },
        },
        Regression {
            name: "typename-with-a-repeated-directive",
            found: "`{ __typename @skip(if: false) @skip(if: false) }` runs (a repeated @skip elsewhere is refused)",
            crash_prone: false,
            setup: Setup::Plain,
            probe: Probe::Request {
                transport: Transport::Post,
                caller: Viewer,
                op: Some(OpKind::Query),
                req: || gql("{ __typename @skip(if: false) @skip(if: false) }".into(), None),
                expect: Expect::RefusedWith("BAD_USER_INPUT"),
            },
        },
        Regression {
            name: "typename-with-a-misplaced-directive",
            found: "`{ __typename @specifiedBy(url: \"x\") }` runs (@specifiedBy belongs on scalars)",
            crash_prone: false,
            setup: Setup::Plain,
            probe: Probe::Request {
                transport: Transport::Post,
                caller: Anonymous,
                op: Some(OpKind::Query),
                req: || gql("{ __typename @specifiedBy(url: \"x\") }".into(), None),
                expect: Expect::RefusedWith("BAD_USER_INPUT"),
            },
        },
        Regression {
            name: "get-past-the-uri-limit",
            found: "a GET of more than 64 KiB: HTTP 414 with an empty body, not a GraphQL error \
                    (hyper's own, before any handler: now accepted as a refusal; 16-64 KiB get the door's 414)",
            crash_prone: false,
            setup: Setup::Plain,
            probe: Probe::Request {
                transport: Transport::Get,
                caller: Viewer,
                op: Some(OpKind::Query),
                req: || gql(format!("{{ plan(slug: \"{}\") {{ title }} }}", "a".repeat(70_000)), None),
                expect: Expect::Properties,
            },
        },
        Regression {
            name: "nul-in-a-plan-slug-over-csv",
            found: "PostgreSQL: `plan=herefordshire-2012%00` on /export/*.csv is HTTP 500 INTERNAL (PostgreSQL refuses NUL in text)",
            crash_prone: false,
            setup: Setup::Plain,
            probe: Probe::Request {
                transport: Transport::Csv,
                caller: Admin,
                op: None,
                req: || Req::Csv(format!("/export/rag-history.csv?plan={PLAN}%00")),
                expect: Expect::Properties,
            },
        },
        Regression {
            name: "nul-in-a-plan-slug",
            found: "PostgreSQL: `plan(slug: \"herefordshire-2012\\u0000\")` is INTERNAL (SQLite: null, as it should)",
            crash_prone: false,
            setup: Setup::Plain,
            probe: post(Viewer, || gql(format!("{{ plan(slug: \"{PLAN}\\u0000\") {{ title }} }}"), None)),
        },
        Regression {
            name: "nul-in-a-note",
            found: "PostgreSQL: `recordRagUpdate` with a note holding NUL is INTERNAL (SQLite stores it)",
            crash_prone: false,
            setup: Setup::Plain,
            probe: post(Admin, || {
                gql(
                    "mutation($id: ID!) { recordRagUpdate(input: { actionId: $id, status: AMBER, note: \"a\\u0000b\" }) { ragUpdate { note } } }".into(),
                    Some(json!({ "id": super::values::id_of("Action", 1) })),
                )
            }),
        },
        Regression {
            name: "websocket-deep-variables-drop-the-socket",
            found: "variables nested 130 deep in a subscribe message: the server closes the whole socket with 1002 (\"recursion limit exceeded\") instead of an error for that operation",
            crash_prone: false,
            setup: Setup::Plain,
            probe: Probe::Request {
                transport: Transport::Ws,
                caller: Viewer,
                op: Some(OpKind::Query),
                req: || {
                    let mut v = json!("KOM");
                    for _ in 0..130 {
                        v = json!([v]);
                    }
                    gql("query($v: [String]) { __typename }".into(), Some(json!({ "v": v })))
                },
                expect: Expect::Properties,
            },
        },
        Regression {
            name: "many-directives-many-errors",
            found: "50,000 `@include(if: true)` on one field: 49,999 errors, a 6 MB refusal, in about 1 s",
            crash_prone: false,
            setup: Setup::Plain,
            probe: post(Partner, || {
                gql(format!("{{ plan(slug: \"{PLAN}\") {{ title {} }} }}", ["@include(if: true)"].repeat(50_000).join(" ")), None)
            }),
        },
        Regression {
            name: "unused-variables-one-error-each",
            found: "5,000 unused variable definitions: 5,000 errors, a refusal of over 600 KB",
            crash_prone: false,
            setup: Setup::Plain,
            probe: post(Lead, || {
                let defs: Vec<String> = (0..5_000).map(|i| format!("$v{i}: Int")).collect();
                gql(format!("query({}) {{ __typename }}", defs.join(", ")), None)
            }),
        },
        Regression {
            name: "operation-name-echoed",
            found: "`operationName` of 100,000 characters naming no operation: a 100 KB message quoting it",
            crash_prone: false,
            setup: Setup::Plain,
            probe: post(Viewer, || {
                Req::Gql(super::gen::Gql {
                    query: "query A { __typename } query B { __typename }".into(),
                    variables: None,
                    operation_name: Some("Q".repeat(100_000)),
                })
            }),
        },
        Regression {
            name: "csv-unknown-parameter-echoed",
            found: "an unknown CSV parameter name of 30,000 characters: a 30 KB message quoting it",
            crash_prone: false,
            setup: Setup::Plain,
            probe: Probe::Request {
                transport: Transport::Csv,
                caller: Partner,
                op: None,
                req: || Req::Csv(format!("/export/actions.csv?plan={PLAN}&{}=1", "k".repeat(30_000))),
                expect: Expect::Properties,
            },
        },
        Regression {
            name: "csv-unknown-plan-echoed",
            found: "a CSV `plan` of 30,000 characters: a NOT_FOUND message quoting it (the same for `ragUpdated(plan:)`)",
            crash_prone: false,
            setup: Setup::Plain,
            probe: Probe::Request {
                transport: Transport::Csv,
                caller: Integration,
                op: None,
                req: || Req::Csv(format!("/export/actions.csv?plan={}", "p".repeat(30_000))),
                expect: Expect::Properties,
            },
        },
        Regression {
            name: "csv-formula-in-a-note",
            found: "a RAG note `=HYPERLINK(...)` comes out raw in rag-history.csv and actions.csv (only `bom=1` escapes it)",
            crash_prone: false,
            setup: Setup::Plain,
            probe: Probe::CsvFormula,
        },
        Regression {
            name: "websocket-bypasses-rate-limits",
            found: "the token bucket is taken once per connection: one socket runs 200 queries a second for a partner limited to 10/s (HTTP: 429 after 30)",
            crash_prone: false,
            setup: Setup::RateLimited,
            probe: Probe::WsRateLimit,
        },
    ]
}

/// Runs the regressions that can (`crash_prone`) or cannot crash the server; the failures,
/// one line each with what the input was found doing.
pub async fn run(engine: Engine, crash_prone: bool) -> Vec<String> {
    let tokens = Tokens::mint(Duration::from_secs(3600));
    let client = Client::new(tokens.clone(), REQUEST_TIMEOUT);
    let bounds = Bounds::new(REQUEST_TIMEOUT);
    let http = reqwest::Client::new();
    let all = regressions();
    let mut failures = Vec::new();
    for setup in [
        Setup::Plain,
        Setup::Trusted,
        Setup::RateLimited,
        Setup::ShortTimeout,
    ] {
        let mine: Vec<&Regression> = all
            .iter()
            .filter(|r| r.setup == setup && r.crash_prone == crash_prone)
            .collect();
        if mine.is_empty() {
            continue;
        }
        let target = if crash_prone {
            Target::Child
        } else {
            Target::InProcess
        };
        let trusted_dir = std::env::temp_dir().join(format!(
            "plan-api-adversarial-trusted-{}",
            uuid::Uuid::new_v4().simple()
        ));
        let mut server = match setup {
            Setup::Plain => Server::start(engine, target).await,
            Setup::Trusted => {
                std::fs::create_dir_all(&trusted_dir).expect("dir");
                std::fs::write(trusted_dir.join("slug.graphql"), REGISTERED).expect("write");
                let docs = plan_api::admission::TrustedDocuments::load(&trusted_dir)
                    .expect("trusted documents");
                Server::start_with(engine, target, Vec::new(), move |s| {
                    s.trusted = Some(std::sync::Arc::new(docs))
                })
                .await
            }
            Setup::ShortTimeout => {
                Server::start_with(engine, target, Vec::new(), |s| {
                    s.door.request_timeout = SHORT_TIMEOUT
                })
                .await
            }
            Setup::RateLimited => {
                Server::start_with(engine, target, Vec::new(), |s| {
                    s.rate = plan_api::admission::RatePolicy::parse(
                        plan_api::admission::rate::DEFAULT_RATE_LIMITS,
                    )
                    .expect("defaults")
                })
                .await
            }
        };
        let bounds = if setup == Setup::ShortTimeout {
            Bounds::new(SHORT_TIMEOUT)
        } else {
            bounds.clone()
        };
        for r in mine {
            let started = Instant::now();
            let violations = match &r.probe {
                Probe::Request {
                    transport,
                    caller,
                    op,
                    req,
                    expect,
                } => {
                    let case = Case {
                        seed: 0,
                        transport: *transport,
                        pool: "regression",
                        index: 0,
                        kind: r.name.to_string(),
                        caller: *caller,
                        accept: None,
                        op: *op,
                        req: req(),
                        must_admit: false,
                        must_refuse: false,
                    };
                    let answer = client.send(server.addr(), &case).await;
                    let mut v = check(&case, &answer, &bounds);
                    if let Expect::RefusedWith(code) = expect {
                        if !answer.refused() || !answer.codes().iter().any(|c| c == code) {
                            v.push(Violation::new(
                                "refused with the right code",
                                format!(
                                    "expected {code}; admitted: {}, codes {:?}",
                                    answer.admitted(),
                                    answer.codes()
                                ),
                            ));
                        }
                    }
                    v
                }
                Probe::CsvFormula => csv_formula(&server, &client, &bounds).await,
                Probe::WsRateLimit => ws_rate_limit(&server, &tokens).await,
            };
            let mut violations = violations;
            let failed = violations.iter().any(|v| {
                v.property == "the server answers" || v.property == "WebSockets close cleanly"
            });
            violations.extend(server.after_case(&http, failed).await);
            if target == Target::InProcess && !server.healthy(&http).await {
                violations.push(Violation::new(
                    "the server stays up",
                    "GET /healthz failed after it",
                ));
            }
            eprintln!(
                "regression {}: {} in {:?}",
                r.name,
                if violations.is_empty() {
                    "passes".to_string()
                } else {
                    format!("{} violation(s)", violations.len())
                },
                started.elapsed()
            );
            for v in violations {
                failures.push(format!(
                    "  {} [{:?}]: {}: {} (found: {})",
                    r.name, engine, v.property, v.detail, r.found
                ));
            }
        }
        let _ = std::fs::remove_dir_all(&trusted_dir);
    }
    failures
}

/// Records a RAG note that is a spreadsheet formula, then exports both CSVs as a BI tool
/// would (no `bom=1`): no cell may start a formula.
async fn csv_formula(server: &Server, client: &Client, bounds: &Bounds) -> Vec<Violation> {
    let http = reqwest::Client::new();
    let url = format!("http://{}/graphql", server.addr());
    let admin = &client.tokens.admin;
    let post = |q: &'static str, v: Value| {
        let http = http.clone();
        let url = url.clone();
        let admin = admin.clone();
        async move {
            http.post(url)
                .bearer_auth(admin)
                .json(&json!({ "query": q, "variables": v }))
                .send()
                .await
                .expect("request")
                .json::<Value>()
                .await
                .expect("json")
        }
    };
    let found = post(
        "{ plan(slug: \"herefordshire-2012\") { action(code: \"1.1\") { id } } }",
        json!({}),
    )
    .await;
    let Some(id) = found["data"]["plan"]["action"]["id"]
        .as_str()
        .map(str::to_string)
    else {
        return vec![Violation::new("setup", format!("no action 1.1: {found}"))];
    };
    let recorded = post(
        "mutation($id: ID!) { recordRagUpdate(input: { actionId: $id, status: RED, note: \"=HYPERLINK(\\\"http://evil.example/\\\",\\\"click\\\")\" }) { ragUpdate { note } } }",
        json!({ "id": id }),
    )
    .await;
    if recorded.get("errors").is_some() {
        return vec![Violation::new(
            "setup",
            format!("recording the note failed: {recorded}"),
        )];
    }
    let mut out = Vec::new();
    for path in ["/export/rag-history.csv", "/export/actions.csv"] {
        let case = Case {
            seed: 0,
            transport: Transport::Csv,
            pool: "regression",
            index: 0,
            kind: "csv-formula-in-a-note".into(),
            caller: Caller::Admin,
            accept: None,
            op: None,
            req: Req::Csv(format!("{path}?plan={PLAN}")),
            must_admit: false,
            must_refuse: false,
        };
        let answer: Answer = client.send(server.addr(), &case).await;
        out.extend(check(&case, &answer, bounds).into_iter().map(|mut v| {
            v.detail = format!("{path}: {}", v.detail);
            v
        }));
    }
    out
}

/// A partner (10 requests a second, 30 at once) sends 200 queries over one WebSocket: no more
/// than its bucket allows may run.
async fn ws_rate_limit(server: &Server, tokens: &Tokens) -> Vec<Violation> {
    use futures_util::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    use tokio_tungstenite::tungstenite::Message;
    let mut req = format!("ws://{}/graphql/ws", server.addr())
        .into_client_request()
        .expect("request");
    req.headers_mut().insert(
        "sec-websocket-protocol",
        "graphql-transport-ws".parse().expect("header"),
    );
    let Ok((mut ws, _)) = tokio_tungstenite::connect_async(req).await else {
        return vec![Violation::new("setup", "could not open a WebSocket")];
    };
    let init = json!({ "type": "connection_init", "payload": { "token": tokens.partner } });
    if ws.send(Message::text(init.to_string())).await.is_err() {
        return vec![Violation::new("setup", "could not send connection_init")];
    }
    // Ten in flight at a time (a connection runs at most 20 at once), the next sent as one
    // completes.
    let subscribe = |i: usize| {
        Message::text(json!({ "id": i.to_string(), "type": "subscribe", "payload": { "query": "{ __typename }" } }).to_string())
    };
    let started = Instant::now();
    let mut sent = 0;
    let mut answered = 0u32;
    let until = Instant::now() + Duration::from_secs(5);
    loop {
        let left = until.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, ws.next()).await {
            Ok(Some(Ok(Message::Text(t)))) => {
                let m: Value = serde_json::from_str(t.as_str()).unwrap_or_default();
                let more = match m["type"].as_str() {
                    Some("connection_ack") => 10,
                    Some("complete") => 1,
                    Some("next") => {
                        if m["payload"]["data"]["__typename"] == "Query" {
                            answered += 1;
                        }
                        0
                    }
                    _ => 0,
                };
                for _ in 0..more {
                    if sent < 200 && ws.send(subscribe(sent)).await.is_ok() {
                        sent += 1;
                    }
                }
                if answered >= 200 {
                    break;
                }
            }
            Ok(Some(Ok(_))) => continue,
            _ => break,
        }
    }
    let secs = started.elapsed().as_secs_f64();
    // 30 at once and 10 a second after that, with a second's grace.
    let allowed = 30.0 + 10.0 * (secs + 1.0);
    if f64::from(answered) > allowed {
        vec![Violation::new(
            "rate limits hold on every transport",
            format!("{answered} queries answered over one WebSocket in {secs:.2} s; the partner's bucket allows about {allowed:.0}"),
        )]
    } else {
        Vec::new()
    }
}
