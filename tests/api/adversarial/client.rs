//! Sends a case over its transport and records what came back and how long it took.
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message;

use super::cases::{Case, Req, Tokens, Transport, WsOut};
use super::gen::OpKind;

/// Longer URLs are sent by hand: the `http` crate refuses to build them.
const MAX_URI: usize = 60_000;
/// Answers larger than this are not read to the end (and say so).
const READ_CAP: usize = 64 * 1024 * 1024;
/// How long a subscription must stay quiet after the server has handled it to count as
/// admitted and listening.
const QUIET: Duration = Duration::from_millis(80);

/// What came back.
#[derive(Debug, Clone, Default)]
pub struct Answer {
    pub status: Option<u16>,
    pub content_type: Option<String>,
    /// Bytes of the answer (HTTP body, or every WebSocket message).
    pub bytes: usize,
    pub truncated: bool,
    /// GraphQL responses (HTTP body, WebSocket `next`/`error` payloads, CSV error bodies).
    pub payloads: Vec<Value>,
    /// The start of a body that should have been JSON and was not.
    pub non_json: Option<String>,
    /// A CSV answer.
    pub csv: Option<String>,
    pub elapsed: Duration,
    /// No answer: the connection failed or closed, or the client gave up.
    pub failure: Option<String>,
    pub ws_close: Option<(u16, String)>,
    /// A subscription the server took and is listening on.
    pub ws_listening: bool,
}

impl Answer {
    pub fn errors(&self) -> impl Iterator<Item = &Value> {
        self.payloads
            .iter()
            .filter_map(|p| p.get("errors").and_then(Value::as_array))
            .flatten()
    }

    pub fn codes(&self) -> Vec<String> {
        self.errors()
            .map(|e| {
                e.pointer("/extensions/code")
                    .and_then(Value::as_str)
                    .unwrap_or("(none)")
                    .to_string()
            })
            .collect()
    }

    /// Ran: data came back (a CSV, or a listening subscription).
    pub fn admitted(&self) -> bool {
        if self.failure.is_some() || self.status.is_some_and(|s| s >= 400) {
            return false;
        }
        self.csv.is_some()
            || self.ws_listening
            || self
                .payloads
                .iter()
                .any(|p| p.get("data").is_some_and(|d| !d.is_null()))
    }

    /// Turned away: a 4xx, errors without data, or a WebSocket closed with a 44xx code.
    pub fn refused(&self) -> bool {
        if self.failure.is_some() || self.status.is_some_and(|s| s >= 500) {
            return false;
        }
        if self.status.is_some_and(|s| (400..500).contains(&s)) {
            return true;
        }
        !self.admitted()
            && (self.errors().next().is_some()
                || self
                    .ws_close
                    .as_ref()
                    .is_some_and(|(c, _)| (4400..4500).contains(c)))
    }
}

pub struct Client {
    http: reqwest::Client,
    pub tokens: Tokens,
    /// The client gives up this long after the server's own request timeout.
    patience: Duration,
}

impl Client {
    pub fn new(tokens: Tokens, request_timeout: Duration) -> Self {
        Self {
            // A fresh connection per request: a connection the server closed after one case
            // (a panic, a 413) must not fail the next case when the pool reuses it.
            http: reqwest::Client::builder()
                .pool_max_idle_per_host(0)
                .build()
                .expect("http client"),
            tokens,
            patience: request_timeout + Duration::from_secs(15),
        }
    }

    pub async fn send(&self, addr: SocketAddr, case: &Case) -> Answer {
        match (&case.req, case.transport) {
            (Req::Ws(_), _) | (Req::Gql(_), Transport::Ws) => self.ws(addr, case).await,
            _ => self.http(addr, case).await,
        }
    }

    async fn http(&self, addr: SocketAddr, case: &Case) -> Answer {
        let base = format!("http://{addr}");
        let mut req = match (&case.req, case.transport) {
            (Req::Gql(g), Transport::Get) => {
                let mut params = vec![("query", g.query.clone())];
                if let Some(v) = &g.variables {
                    params.push(("variables", v.to_string()));
                }
                if let Some(n) = &g.operation_name {
                    params.push(("operationName", n.clone()));
                }
                let qs = serde_urlencoded::to_string(&params).unwrap_or_default();
                if qs.len() > MAX_URI {
                    return self.raw_get(addr, case, &format!("/graphql?{qs}")).await;
                }
                self.http.get(format!("{base}/graphql?{qs}"))
            }
            (Req::Gql(g), _) => {
                let mut body = json!({ "query": g.query });
                if let Some(v) = &g.variables {
                    body["variables"] = v.clone();
                }
                if let Some(n) = &g.operation_name {
                    body["operationName"] = json!(n);
                }
                self.http
                    .post(format!("{base}/graphql"))
                    .header("content-type", "application/json")
                    .body(body.to_string())
            }
            (Req::RawPost { content_type, body }, _) => {
                let mut r = self.http.post(format!("{base}/graphql")).body(body.clone());
                if let Some(ct) = content_type {
                    r = r.header("content-type", ct.as_str());
                }
                r
            }
            (Req::RawGet(qs), _) if qs.len() > MAX_URI => {
                return self.raw_get(addr, case, &format!("/graphql?{qs}")).await;
            }
            (Req::RawGet(qs), _) => self.http.get(format!("{base}/graphql?{qs}")),
            (Req::Csv(path), _) if path.len() > MAX_URI => {
                return self.raw_get(addr, case, path).await;
            }
            (Req::Csv(path), _) => self.http.get(format!("{base}{path}")),
            (Req::Ws(_), _) => unreachable!("sent over a WebSocket"),
        };
        if let Some(a) = case.caller.authorization(&self.tokens) {
            req = req.header("authorization", a);
        }
        if let Some(a) = &case.accept {
            if case.transport != Transport::Csv {
                req = req.header("accept", a.as_str());
            }
        }
        let started = Instant::now();
        let mut answer = Answer::default();
        let res = match req.timeout(self.patience).send().await {
            Ok(r) => r,
            Err(e) => {
                answer.elapsed = started.elapsed();
                answer.failure = Some(describe_reqwest(&e));
                return answer;
            }
        };
        answer.status = Some(res.status().as_u16());
        answer.content_type = res
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let mut res = res;
        let mut body = Vec::new();
        loop {
            match res.chunk().await {
                Ok(Some(chunk)) => {
                    if body.len() + chunk.len() > READ_CAP {
                        answer.truncated = true;
                        break;
                    }
                    body.extend_from_slice(&chunk);
                }
                Ok(None) => break,
                Err(e) => {
                    answer.failure = Some(format!(
                        "the body broke off after {} bytes: {}",
                        body.len(),
                        describe_reqwest(&e)
                    ));
                    break;
                }
            }
        }
        answer.elapsed = started.elapsed();
        answer.bytes = body.len();
        let is_csv = answer
            .content_type
            .as_deref()
            .is_some_and(|c| c.starts_with("text/csv"));
        if is_csv && answer.status == Some(200) {
            answer.csv = Some(String::from_utf8_lossy(&body).into_owned());
        } else if !answer.truncated {
            match serde_json::from_slice::<Value>(&body) {
                Ok(v) => answer.payloads.push(v),
                Err(_) => {
                    answer.non_json =
                        Some(super::cases::shorten(&String::from_utf8_lossy(&body), 300))
                }
            }
        }
        answer
    }

    /// A GET whose URL the `http` crate will not build (over 64 KiB), written by hand.
    async fn raw_get(&self, addr: SocketAddr, case: &Case, target: &str) -> Answer {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let mut answer = Answer::default();
        let mut head = format!("GET {target} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
        if let Some(a) = case.caller.authorization(&self.tokens) {
            head.push_str(&format!("Authorization: {a}\r\n"));
        }
        if let Some(a) = case
            .accept
            .as_deref()
            .filter(|_| case.transport != Transport::Csv)
        {
            head.push_str(&format!("Accept: {a}\r\n"));
        }
        head.push_str("\r\n");
        let started = Instant::now();
        let exchange = async {
            let mut stream = tokio::net::TcpStream::connect(addr).await?;
            stream.write_all(head.as_bytes()).await?;
            let mut raw = Vec::new();
            let _ = stream.read_to_end(&mut raw).await;
            Ok::<_, std::io::Error>(raw)
        };
        let raw = match tokio::time::timeout(self.patience, exchange).await {
            Ok(Ok(raw)) => raw,
            Ok(Err(e)) => {
                answer.failure = Some(format!("raw GET failed: {e}"));
                answer.elapsed = started.elapsed();
                return answer;
            }
            Err(_) => {
                answer.failure = Some("raw GET: no answer".into());
                answer.elapsed = started.elapsed();
                return answer;
            }
        };
        answer.elapsed = started.elapsed();
        let Some(split) = raw.windows(4).position(|w| w == b"\r\n\r\n") else {
            answer.failure = Some(format!(
                "the connection closed without an answer ({} bytes)",
                raw.len()
            ));
            return answer;
        };
        let head = String::from_utf8_lossy(&raw[..split]).into_owned();
        let body = &raw[split + 4..];
        answer.status = head.split_whitespace().nth(1).and_then(|s| s.parse().ok());
        let header = |name: &str| {
            head.lines().find_map(|l| {
                l.split_once(':')
                    .filter(|(k, _)| k.trim().eq_ignore_ascii_case(name))
                    .map(|(_, v)| v.trim().to_string())
            })
        };
        answer.content_type = header("content-type");
        let body = if header("transfer-encoding").is_some_and(|t| t.eq_ignore_ascii_case("chunked"))
        {
            dechunk(body)
        } else {
            body.to_vec()
        };
        let body = String::from_utf8_lossy(&body).into_owned();
        answer.bytes = body.len();
        if answer
            .content_type
            .as_deref()
            .is_some_and(|c| c.starts_with("text/csv"))
            && answer.status == Some(200)
        {
            answer.csv = Some(body);
        } else {
            match serde_json::from_str::<Value>(&body) {
                Ok(v) => answer.payloads.push(v),
                Err(_) => answer.non_json = Some(super::cases::shorten(&body, 300)),
            }
        }
        answer
    }

    async fn ws(&self, addr: SocketAddr, case: &Case) -> Answer {
        let mut answer = Answer::default();
        let mut req = match format!("ws://{addr}/graphql/ws").into_client_request() {
            Ok(r) => r,
            Err(e) => {
                answer.failure = Some(format!("bad request: {e}"));
                return answer;
            }
        };
        req.headers_mut().insert(
            "sec-websocket-protocol",
            "graphql-transport-ws".parse().expect("header"),
        );
        let config = WebSocketConfig::default()
            .max_message_size(Some(READ_CAP))
            .max_frame_size(Some(READ_CAP));
        let started = Instant::now();
        let mut ws = match tokio::time::timeout(
            Duration::from_secs(10),
            tokio_tungstenite::connect_async_with_config(req, Some(config), true),
        )
        .await
        {
            Ok(Ok((ws, _))) => ws,
            Ok(Err(e)) => {
                answer.failure = Some(format!("WebSocket handshake failed: {e}"));
                answer.elapsed = started.elapsed();
                return answer;
            }
            Err(_) => {
                answer.failure = Some("WebSocket handshake timed out".into());
                answer.elapsed = started.elapsed();
                return answer;
            }
        };
        let init = case.caller.ws_init(&self.tokens).to_string();
        let started = Instant::now();
        if let Err(e) = ws.send(Message::text(init)).await {
            answer.failure = Some(format!("sending connection_init failed: {e}"));
            return answer;
        }
        // The acknowledgement (or the refusal of the token).
        match read(&mut ws, Duration::from_secs(10), &mut answer).await {
            Read::Json(m) if m["type"] == "connection_ack" => {}
            Read::Json(m) => {
                answer.elapsed = started.elapsed();
                answer.failure = Some(format!("expected connection_ack, got {m}"));
                return answer;
            }
            Read::Closed => {
                // A refused token: that is the answer.
                answer.elapsed = started.elapsed();
                return answer;
            }
            Read::Failed(why) => {
                answer.elapsed = started.elapsed();
                answer.failure = Some(why);
                return answer;
            }
        }
        let (msgs, subscription) = match &case.req {
            Req::Gql(g) => {
                let mut payload = json!({ "query": g.query });
                if let Some(v) = &g.variables {
                    payload["variables"] = v.clone();
                }
                if let Some(n) = &g.operation_name {
                    payload["operationName"] = json!(n);
                }
                (
                    vec![WsOut::Text(
                        json!({ "id": "1", "type": "subscribe", "payload": payload }).to_string(),
                    )],
                    case.op == Some(OpKind::Subscription),
                )
            }
            Req::Ws(msgs) => (msgs.clone(), true),
            _ => unreachable!("not a WebSocket case"),
        };
        let started = Instant::now();
        for m in msgs {
            let sent = match m {
                WsOut::Text(t) => ws.send(Message::text(t)).await,
                WsOut::Binary(b) => ws.send(Message::binary(b)).await,
            };
            if let Err(e) = sent {
                // The server may close on a message it refuses before the client finishes.
                answer.elapsed = started.elapsed();
                if answer.ws_close.is_none() {
                    match read(&mut ws, Duration::from_secs(2), &mut answer).await {
                        Read::Closed => {}
                        _ => answer.failure = Some(format!("sending failed: {e}")),
                    }
                }
                return answer;
            }
        }
        if subscription {
            // A ping after the subscribe: its pong says the server has handled it.
            let _ = ws
                .send(Message::text(json!({ "type": "ping" }).to_string()))
                .await;
        }
        let deadline = Instant::now() + self.patience;
        let mut quiet_from: Option<Instant> = None;
        let mut first: Option<Duration> = None;
        loop {
            let wait = match quiet_from {
                Some(q) => QUIET.saturating_sub(q.elapsed()),
                None => deadline.saturating_duration_since(Instant::now()),
            };
            if wait.is_zero() {
                if quiet_from.is_some() {
                    answer.ws_listening =
                        answer.payloads.is_empty() && matches!(case.req, Req::Gql(_));
                    break;
                }
                answer.failure = Some(format!("no answer within {:?}", self.patience));
                break;
            }
            match read(&mut ws, wait, &mut answer).await {
                Read::Json(m) => {
                    let ty = m["type"].as_str().unwrap_or_default().to_string();
                    if ty == "pong" {
                        quiet_from = Some(Instant::now());
                        continue;
                    }
                    if ty == "ping" {
                        let _ = ws
                            .send(Message::text(json!({ "type": "pong" }).to_string()))
                            .await;
                        continue;
                    }
                    first.get_or_insert_with(|| started.elapsed());
                    match ty.as_str() {
                        "next" => answer.payloads.push(m["payload"].clone()),
                        "error" => {
                            answer.payloads.push(json!({ "errors": m["payload"] }));
                            if m["id"] == "1" && matches!(case.req, Req::Gql(_)) {
                                break;
                            }
                        }
                        "complete" => {
                            if m["id"] == "1" && matches!(case.req, Req::Gql(_)) {
                                break;
                            }
                        }
                        _ => answer.payloads.push(json!({ "unexpected": m })),
                    }
                    // Raw message cases: keep reading until the quiet period after the pong.
                }
                Read::Closed => {
                    first.get_or_insert_with(|| started.elapsed());
                    break;
                }
                Read::Failed(why) => {
                    if quiet_from.is_some() && why.starts_with("timed out") {
                        answer.ws_listening =
                            answer.payloads.is_empty() && matches!(case.req, Req::Gql(_));
                    } else {
                        answer.failure = Some(why);
                    }
                    break;
                }
            }
        }
        answer.elapsed = first.unwrap_or_else(|| started.elapsed());
        if answer.ws_listening {
            let _ = ws
                .send(Message::text(
                    json!({ "id": "1", "type": "complete" }).to_string(),
                ))
                .await;
        }
        let _ = ws.close(None).await;
        answer
    }
}

enum Read {
    Json(Value),
    Closed,
    Failed(String),
}

/// The next text message as JSON, a close (recorded in `answer`), or why neither came.
async fn read(
    ws: &mut tokio_tungstenite::WebSocketStream<
        tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
    >,
    wait: Duration,
    answer: &mut Answer,
) -> Read {
    let until = Instant::now() + wait;
    loop {
        let left = until.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, ws.next()).await {
            Err(_) => return Read::Failed(format!("timed out after {wait:?}")),
            Ok(None) => {
                answer
                    .ws_close
                    .get_or_insert((1006, "closed without a close frame".into()));
                return Read::Closed;
            }
            Ok(Some(Err(e))) => {
                use tokio_tungstenite::tungstenite::Error;
                return match e {
                    Error::ConnectionClosed | Error::AlreadyClosed => Read::Closed,
                    Error::Protocol(p) => {
                        answer
                            .ws_close
                            .get_or_insert((1006, format!("protocol error: {p}")));
                        Read::Closed
                    }
                    other => Read::Failed(format!("WebSocket error: {other}")),
                };
            }
            Ok(Some(Ok(Message::Text(t)))) => {
                answer.bytes += t.len();
                return match serde_json::from_str::<Value>(t.as_str()) {
                    Ok(v) => Read::Json(v),
                    Err(_) => {
                        answer.non_json = Some(super::cases::shorten(t.as_str(), 300));
                        Read::Json(json!({ "type": "not-json" }))
                    }
                };
            }
            Ok(Some(Ok(Message::Close(frame)))) => {
                answer.ws_close = Some(frame.map_or((1005, String::new()), |f| {
                    (u16::from(f.code), f.reason.to_string())
                }));
                return Read::Closed;
            }
            Ok(Some(Ok(_))) => continue,
        }
    }
}

/// A chunked body's content.
fn dechunk(mut body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(eol) = body.windows(2).position(|w| w == b"\r\n") {
        let size = String::from_utf8_lossy(&body[..eol]);
        let Ok(n) = usize::from_str_radix(size.trim(), 16) else {
            break;
        };
        let rest = &body[eol + 2..];
        if n == 0 || rest.len() < n {
            break;
        }
        out.extend_from_slice(&rest[..n]);
        body = rest[n..].strip_prefix(b"\r\n").unwrap_or(&rest[n..]);
    }
    out
}

fn describe_reqwest(e: &reqwest::Error) -> String {
    let mut s = if e.is_timeout() {
        "client timeout".to_string()
    } else if e.is_connect() {
        "could not connect".to_string()
    } else {
        "request failed".to_string()
    };
    let mut source: Option<&dyn std::error::Error> = std::error::Error::source(e);
    while let Some(inner) = source {
        s.push_str(": ");
        s.push_str(&inner.to_string());
        source = inner.source();
    }
    s
}
