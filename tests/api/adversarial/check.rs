//! The properties every answer is held to, whatever was sent.
use std::time::Duration;

use serde_json::Value;

use super::cases::{Case, Req, Transport};
use super::client::Answer;

/// The numbers the properties use.
#[derive(Debug, Clone)]
pub struct Bounds {
    /// The server's request timeout: admitted answers finish within it.
    pub request_timeout: Duration,
    /// A refusal comes back within this.
    pub refusal: Duration,
    /// No error message is longer than this (characters).
    pub message_chars: usize,
    /// A refusal's whole answer is no larger than this (bytes): a refusal must not amplify.
    pub refusal_bytes: usize,
    /// The server's body limit: nothing larger is admitted, on any transport.
    pub body_limit: usize,
    /// No admitted answer is larger than this: several times what the cost limit (50,000
    /// fields) lets through. A crude absolute bound, not the cost-estimate check (see
    /// `answer_within_estimate`).
    pub answer_bytes: usize,
    /// No answer to a request without a token is larger than this: such requests can only
    /// introspect, and the whole schema (the standard introspection query) is far smaller.
    pub anonymous_answer_bytes: usize,
}

impl Bounds {
    pub fn new(request_timeout: Duration) -> Self {
        Self {
            request_timeout,
            refusal: Duration::from_millis(100),
            message_chars: 2_000,
            refusal_bytes: 64 * 1024,
            body_limit: 2 * 1024 * 1024,
            answer_bytes: 16 * 1024 * 1024,
            anonymous_answer_bytes: 1024 * 1024,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Violation {
    pub property: &'static str,
    pub detail: String,
}

impl Violation {
    pub fn new(property: &'static str, detail: impl Into<String>) -> Self {
        Self {
            property,
            detail: detail.into(),
        }
    }
}

pub const FAST_REFUSAL: &str = "refusals are fast";

/// Every property `answer` breaks.
pub fn check(case: &Case, answer: &Answer, b: &Bounds) -> Vec<Violation> {
    let mut out = Vec::new();
    if let Some(f) = &answer.failure {
        // A body over the limit is refused from its Content-Length, before it is read: the
        // client then writes into a closed connection. That is the documented refusal.
        let refused_unread = case.size() > b.body_limit && f.contains("error writing a body");
        if !refused_unread {
            out.push(Violation::new("the server answers", f.clone()));
        }
        return out;
    }
    let codes = answer.codes();
    if let Some(s) = answer.status.filter(|s| *s >= 500) {
        if !(s == 504 && codes.iter().all(|c| c == "TIMEOUT")) {
            out.push(Violation::new(
                "no 5xx but 504 TIMEOUT",
                format!("HTTP {s}, codes {codes:?}"),
            ));
        }
    }
    // A URL over 64 KiB never reaches the door: the HTTP parser (hyper's URIs hold at most
    // 65,534 bytes) answers 414 or 431 itself, with no body. A refusal, just not ours to shape.
    let framing = matches!(answer.status, Some(414 | 431))
        && answer.non_json.as_deref().is_some_and(str::is_empty)
        && case.size() > 16 * 1024;
    if let Some(head) = answer.non_json.as_ref().filter(|_| !framing) {
        out.push(Violation::new(
            "errors are GraphQL-shaped JSON",
            format!(
                "HTTP {:?}, content-type {:?}, body: {head:?}",
                answer.status, answer.content_type
            ),
        ));
    }
    if answer.status.is_some_and(|s| s >= 400)
        && answer.errors().next().is_none()
        && answer.non_json.is_none()
        && !framing
    {
        out.push(Violation::new(
            "errors are GraphQL-shaped JSON",
            format!("HTTP {:?} without an `errors` list", answer.status),
        ));
    }
    // One violation per property, however many errors break it, with the first as example.
    let (mut uncoded, mut internal, mut long) = (Vec::new(), Vec::new(), Vec::new());
    for e in answer.errors() {
        let code = e.pointer("/extensions/code").and_then(Value::as_str);
        match code {
            None => uncoded.push(e),
            Some("INTERNAL") => internal.push(e),
            Some(_) => {}
        }
        let len = e
            .get("message")
            .and_then(Value::as_str)
            .map_or(0, |m| m.chars().count());
        if len > b.message_chars {
            long.push((len, code.unwrap_or("no code"), e));
        }
    }
    let example = |e: &Value| super::cases::shorten(&e.to_string(), 300);
    if let Some(first) = uncoded.first() {
        out.push(Violation::new(
            "every error carries extensions.code",
            format!(
                "{} error(s) without a code, e.g. {}",
                uncoded.len(),
                example(first)
            ),
        ));
    }
    if let Some(first) = internal.first() {
        out.push(Violation::new(
            "no INTERNAL errors",
            format!(
                "{} INTERNAL error(s), e.g. {}",
                internal.len(),
                example(first)
            ),
        ));
    }
    if let Some((len, code, e)) = long.iter().max_by_key(|(len, _, _)| *len) {
        out.push(Violation::new(
            "error messages are bounded",
            format!(
                "{} message(s) over {} characters, the longest {len} ({code}): {}",
                long.len(),
                b.message_chars,
                super::cases::shorten(e.get("message").and_then(Value::as_str).unwrap_or(""), 160)
            ),
        ));
    }
    let refused = answer.refused();
    let admitted = answer.admitted();
    if refused && answer.elapsed > b.refusal {
        out.push(Violation::new(
            FAST_REFUSAL,
            format!(
                "refused in {:?} ({:?}, {} bytes sent)",
                answer.elapsed,
                dedup(&codes),
                case.size()
            ),
        ));
    }
    if refused && answer.bytes > b.refusal_bytes {
        out.push(Violation::new(
            "refusals are small",
            format!(
                "a refusal of {} bytes ({} errors, codes {:?})",
                answer.bytes,
                answer.errors().count(),
                dedup(&codes)
            ),
        ));
    }
    // Slack for the answer's transfer, and for scheduling on a loaded machine.
    let slack = (b.request_timeout / 2).min(Duration::from_secs(2));
    if answer.elapsed > b.request_timeout + slack {
        out.push(Violation::new(
            "answers finish within the request timeout",
            format!(
                "answered after {:?} (timeout {:?}); {} bytes{}",
                answer.elapsed,
                b.request_timeout,
                answer.bytes,
                if answer.truncated {
                    " and more (not read)"
                } else {
                    ""
                }
            ),
        ));
    }
    if admitted && (answer.bytes > b.answer_bytes || answer.truncated) {
        out.push(Violation::new(
            "admitted answers are bounded",
            format!(
                "{} bytes{} answered in {:?}",
                answer.bytes,
                if answer.truncated { " and more" } else { "" },
                answer.elapsed
            ),
        ));
    }
    if admitted && !case.caller.valid() && answer.bytes > b.anonymous_answer_bytes {
        out.push(Violation::new(
            "answers without a token are small",
            format!(
                "{} bytes{} answered to {} in {:?}",
                answer.bytes,
                if answer.truncated { " and more" } else { "" },
                case.caller.name(),
                answer.elapsed
            ),
        ));
    }
    if admitted && case.size() > b.body_limit {
        out.push(Violation::new(
            "nothing over the body limit is admitted",
            format!(
                "{} bytes admitted over {}",
                case.size(),
                case.transport.name()
            ),
        ));
    }
    if case.caller.bad() && (admitted || answer.ws_listening) {
        out.push(Violation::new(
            "a bad token is refused",
            format!("{} was answered with data", case.caller.name()),
        ));
    }
    if case.caller.bad()
        && matches!(
            case.transport,
            Transport::Post | Transport::Get | Transport::Csv
        )
        && answer.status == Some(200)
    {
        out.push(Violation::new(
            "a bad token is refused",
            format!("{}: HTTP 200", case.caller.name()),
        ));
    }
    if let Some((code, why)) = &answer.ws_close {
        if matches!(code, 1006 | 1011 | 1002) {
            out.push(Violation::new(
                "WebSockets close cleanly",
                format!("closed with {code} {why:?}"),
            ));
        }
    }
    if case.must_admit && (!admitted || answer.errors().next().is_some()) {
        out.push(Violation::new(
            "the standard introspection query is answered",
            format!(
                "HTTP {:?}, codes {codes:?}, {} bytes",
                answer.status, answer.bytes
            ),
        ));
    }
    if case.must_refuse && (admitted || answer.ws_listening) {
        out.push(Violation::new(
            "invalid documents are refused",
            format!("{} was run (codes {codes:?})", case.kind),
        ));
    }
    if let Some(csv) = &answer.csv {
        if let Some(cell) = formula_cell(csv) {
            out.push(Violation::new(
                "CSV cells never run as formulas",
                format!(
                    "a cell starts a formula: {}",
                    super::cases::shorten(&cell, 200)
                ),
            ));
        }
    }
    if admitted {
        if let Req::Gql(g) = &case.req {
            if let Some(v) = answer_within_estimate(&g.query, g.variables.as_ref(), answer) {
                out.push(v);
            }
        }
    }
    out
}

/// Whether every answer (each `next` of a subscription too) holds no more than the door's
/// cost estimate promised for `document` with `variables`: fields, list items, and bytes of
/// `data`. The promise is computed by the door's own steps (`check_document`) on the served
/// schema; it is called for every admitted GraphQL answer of every transport.
pub fn answer_within_estimate(
    document: &str,
    variables: Option<&Value>,
    answer: &Answer,
) -> Option<Violation> {
    let promise = promise(document, variables)?;
    for payload in &answer.payloads {
        let Some(data) = payload.get("data").filter(|d| !d.is_null()) else {
            continue;
        };
        let (fields, nodes) = held(data);
        let bytes = data.to_string().len() as u64;
        if fields > promise.cost || nodes > promise.nodes || bytes > promise.bytes {
            return Some(Violation::new(
                "answers hold no more than their cost promised",
                format!(
                    "{fields} fields, {nodes} list items, {bytes} bytes; promised {} fields, {} items, {} bytes",
                    promise.cost, promise.nodes, promise.bytes
                ),
            ));
        }
    }
    None
}

/// What the door promises for a document, as it measures it (with the limits of the test
/// servers); `None` when it would not admit it at all.
fn promise(document: &str, variables: Option<&Value>) -> Option<plan_api::admission::Measure> {
    use std::sync::OnceLock;
    static SHAPE: OnceLock<Option<plan_api::admission::SchemaShape>> = OnceLock::new();
    let shape = SHAPE
        .get_or_init(|| {
            // The shape is built by running introspection: on a runtime of its own, as this
            // check runs inside the test's.
            std::thread::spawn(|| {
                let rt = tokio::runtime::Runtime::new().ok()?;
                Some(rt.block_on(plan_api::admission::served_shape(
                    &plan_api::graphql::bare_schema(),
                )))
            })
            .join()
            .ok()
            .flatten()
        })
        .as_ref()?;
    let limits = plan_api::config::Serving::defaults(plan_api::config::Limits::new(100)).door;
    let documents = plan_api::admission::DocumentCache::default();
    let checking = plan_api::admission::Checking {
        shape,
        limits: &limits,
        documents: &documents,
        anonymous: false,
        reads_only: false,
    };
    let mut seen = plan_api::admission::Seen::default();
    plan_api::admission::check_document(&checking, document, None, variables.cloned(), &mut seen)
        .ok()?;
    seen.measure
}

/// The fields an answer's `data` holds, as the cost counts them (each key, and each item of
/// a list of scalars), and its list items that are objects.
fn held(data: &Value) -> (u64, u64) {
    let (mut fields, mut nodes) = (0u64, 0u64);
    let mut stack = vec![data];
    while let Some(v) = stack.pop() {
        match v {
            Value::Object(o) => {
                fields += o.len() as u64;
                stack.extend(o.values());
            }
            Value::Array(items) => {
                for item in items {
                    if item.is_object() {
                        nodes += 1;
                    } else if !item.is_array() {
                        fields += 1;
                    }
                    stack.push(item);
                }
            }
            _ => {}
        }
    }
    (fields, nodes)
}

/// The first CSV cell that a spreadsheet would run as a formula, if any.
fn formula_cell(csv: &str) -> Option<String> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(csv.trim_start_matches('\u{feff}').as_bytes());
    for record in reader.records() {
        let Ok(record) = record else { continue };
        for cell in record.iter() {
            let mut chars = cell.chars();
            let risky = match chars.next() {
                Some('=' | '+' | '@' | '\t' | '\r') => true,
                // `-3` is a number; `-cmd|...` or `-2+3` is a formula.
                Some('-') => cell.len() > 1 && cell[1..].parse::<f64>().is_err(),
                _ => false,
            };
            if risky {
                return Some(cell.to_string());
            }
        }
    }
    None
}

fn dedup(codes: &[String]) -> Vec<String> {
    let mut v = codes.to_vec();
    v.sort();
    v.dedup();
    v
}
