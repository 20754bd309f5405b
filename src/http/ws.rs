//! GraphQL over WebSocket at `/graphql/ws`, with the `graphql-transport-ws` protocol (the
//! `graphql-ws` library's), spoken here rather than by async-graphql so that every operation
//! passes the same door as an HTTP request.
//!
//! The connection:
//! - browsers' `Origin` must be this host or on the CORS allow-list (a page elsewhere cannot
//!   use a token it got hold of through the user's browser);
//! - no message may be larger than an HTTP body may (closed with 1009, `PAYLOAD_TOO_LARGE`);
//! - the token comes in `connection_init` (`{"token": "..."}` or `{"Authorization": "Bearer
//!   ..."}`) within 10 s; a bad or missing one closes the socket with 4403, and so does its
//!   expiry, at once, even when the client has stopped reading (every send has a deadline);
//! - one token subject holds at most `max_connections` sockets at once (4429);
//! - the server pings every `ping_every`; a client that sends nothing, not even a pong, for
//!   `idle_timeout` is closed (1001).
//!
//! Each `subscribe` (query, mutation or subscription) is one operation at the door
//! (`admission::Door::admit`): its size, the connection's token (not expired), one charge to
//! the rate bucket, trusted documents, parse, cost, then the timeout for queries and
//! mutations. A refusal is an `error` message with the same error object, and the same
//! code, as HTTP gives. At most `MAX_SUBSCRIPTIONS` run at once per connection.
use std::collections::HashMap;
use std::net::SocketAddr;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::{ConnectInfo, State as AxumState};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response as HttpResponse};
use dashmap::DashMap;
use futures_util::{FutureExt, SinkExt, StreamExt};
use serde::Deserialize;
use serde_json::json;
use tokio::sync::mpsc;
use tokio::task::{AbortHandle, JoinSet};

use super::HttpState;
use crate::admission::{
    Admitted, Ask, Credentials, GraphqlParams, Knock, Session, Transport, Turned,
};
use crate::error::{AppError, Refusal};
use crate::graphql::server_error;

/// Most operations one connection runs at once.
pub const MAX_SUBSCRIPTIONS: usize = 20;
/// How long a client has to send `connection_init`.
const INIT_TIMEOUT: Duration = Duration::from_secs(10);
const PROTOCOL: &str = "graphql-transport-ws";

/// The WebSocket's own rules (from the configuration).
#[derive(Debug, Clone)]
pub struct SocketSettings {
    /// Most sockets one token subject holds open at once.
    pub max_connections: usize,
    /// How often the server pings.
    pub ping_every: Duration,
    /// How long a client may send nothing at all before it is closed.
    pub idle_timeout: Duration,
    /// Longest one message may take to go out (a client that stopped reading).
    pub send_timeout: Duration,
}

impl Default for SocketSettings {
    fn default() -> Self {
        Self {
            max_connections: 10,
            ping_every: Duration::from_secs(20),
            idle_timeout: Duration::from_secs(60),
            send_timeout: Duration::from_secs(10),
        }
    }
}

/// The sockets open on this replica, by token subject.
#[derive(Debug, Default)]
pub struct Sockets {
    pub settings: SocketSettings,
    open: DashMap<String, usize>,
}

impl Sockets {
    pub fn new(settings: SocketSettings) -> Self {
        Self {
            settings,
            open: DashMap::new(),
        }
    }

    /// One more socket for `sub`, or `None` when it holds the most it may.
    fn hold(self: &Arc<Self>, sub: &str) -> Option<Held> {
        let mut n = self.open.entry(sub.to_string()).or_insert(0);
        if *n >= self.settings.max_connections {
            return None;
        }
        *n += 1;
        Some(Held {
            sockets: self.clone(),
            sub: sub.to_string(),
        })
    }
}

/// A socket counted against its subject; uncounted when dropped.
struct Held {
    sockets: Arc<Sockets>,
    sub: String,
}

impl Drop for Held {
    fn drop(&mut self) {
        if let Some(mut n) = self.sockets.open.get_mut(&self.sub) {
            *n = n.saturating_sub(1);
        }
        self.sockets.open.remove_if(&self.sub, |_, n| *n == 0);
    }
}

pub async fn upgrade(
    AxumState(state): AxumState<HttpState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    ws: WebSocketUpgrade,
) -> HttpResponse {
    if let Some(origin) = headers.get(header::ORIGIN).and_then(|o| o.to_str().ok()) {
        if !origin_allowed(&state, origin, &headers) {
            return (
                StatusCode::FORBIDDEN,
                "this origin may not open subscriptions; add it to PLAN_API_CORS_ORIGINS",
            )
                .into_response();
        }
    }
    let ws = ws.protocols([PROTOCOL]);
    if ws.selected_protocol().is_none() {
        return (
            StatusCode::BAD_REQUEST,
            "use the graphql-transport-ws subprotocol (Sec-WebSocket-Protocol: graphql-transport-ws)",
        )
            .into_response();
    }
    // The body cap is the message cap; a larger message ends the read with an error.
    let max = state.door.limits.max_body_bytes as usize;
    ws.max_message_size(max)
        .max_frame_size(max)
        .on_upgrade(move |socket| serve(socket, state, peer))
}

/// Same origin, or one the CORS list allows.
fn origin_allowed(state: &HttpState, origin: &str, headers: &HeaderMap) -> bool {
    let origin = origin.trim_end_matches('/');
    if state.cors_origins.iter().any(|o| o == origin) {
        return true;
    }
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
    host.is_some_and(|h| origin == format!("http://{h}") || origin == format!("https://{h}"))
}

fn close(code: u16, reason: &str) -> Message {
    // A close reason has room for 123 bytes.
    let mut reason = reason.to_string();
    while reason.len() > 120 {
        reason.pop();
    }
    Message::Close(Some(CloseFrame {
        code,
        reason: reason.into(),
    }))
}

async fn serve(socket: WebSocket, state: HttpState, peer: SocketAddr) {
    metrics::gauge!("plan_api_ws_connections").increment(1.0);
    Connection::new(socket, state, peer).run().await;
    metrics::gauge!("plan_api_ws_connections").decrement(1.0);
}

/// What a client sends.
#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum ClientMessage {
    ConnectionInit {
        payload: Option<serde_json::Value>,
    },
    Ping {
        #[allow(dead_code)]
        payload: Option<serde_json::Value>,
    },
    Pong {
        #[allow(dead_code)]
        payload: Option<serde_json::Value>,
    },
    Subscribe {
        id: String,
        payload: GraphqlParams,
    },
    Complete {
        id: String,
    },
}

/// Why the connection ends.
enum End {
    /// The client left, or the socket broke: nothing more can be said.
    Gone,
    /// Close with this code and reason.
    Close(u16, String),
}

struct Connection {
    sink: futures_util::stream::SplitSink<WebSocket, Message>,
    incoming: futures_util::stream::SplitStream<WebSocket>,
    state: HttpState,
    peer: SocketAddr,
    last_heard: Instant,
}

/// A message read from the client.
enum Read {
    Text(String),
    Heard,
    Closed,
    TooLarge,
}

impl Connection {
    fn new(socket: WebSocket, state: HttpState, peer: SocketAddr) -> Self {
        let (sink, incoming) = socket.split();
        Self {
            sink,
            incoming,
            state,
            peer,
            last_heard: Instant::now(),
        }
    }

    async fn run(mut self) {
        let end = self.session().await;
        if let End::Close(code, why) = end {
            let deadline = Instant::now() + Duration::from_secs(1);
            let _ = self.send_by(close(code, &why), deadline).await;
        }
    }

    /// Sends `msg`, giving up (the connection is then dropped) at `deadline`.
    async fn send_by(&mut self, msg: Message, deadline: Instant) -> Result<(), End> {
        match tokio::time::timeout_at(deadline.into(), self.sink.send(msg)).await {
            Ok(Ok(())) => Ok(()),
            _ => Err(End::Gone),
        }
    }

    async fn read(&mut self) -> Read {
        let frame = self.incoming.next().await;
        if matches!(frame, Some(Ok(_))) {
            self.last_heard = Instant::now();
        }
        match frame {
            Some(Ok(Message::Text(t))) => Read::Text(t.as_str().to_string()),
            // Not text: the protocol's "invalid message".
            Some(Ok(Message::Binary(b))) => {
                Read::Text(String::from_utf8(b.to_vec()).unwrap_or_default())
            }
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => Read::Heard,
            Some(Ok(Message::Close(_))) | None => Read::Closed,
            // tungstenite's capacity error ("Space limit exceeded: Message too long"), which
            // axum passes on as text only.
            Some(Err(e)) => {
                let text = e.to_string();
                if text.contains("Message too long") || text.contains("Space limit") {
                    Read::TooLarge
                } else {
                    Read::Closed
                }
            }
        }
    }

    fn too_large(&self) -> End {
        let err = AppError::Refused(Refusal::PayloadTooLarge {
            limit: self.state.door.limits.max_body_bytes,
        });
        End::Close(1009, format!("{}: {}", err.code(), err.client_message()))
    }

    /// `connection_init`, then the operations, until the connection ends.
    async fn session(&mut self) -> End {
        // 1. `connection_init`, with the token, first.
        let first = match tokio::time::timeout(INIT_TIMEOUT, self.read_text()).await {
            Ok(Ok(t)) => t,
            Ok(Err(end)) => return end,
            Err(_) => return End::Close(4408, "Connection initialisation timeout".into()),
        };
        let session = match self.authenticate(&first) {
            Ok(s) => s,
            Err((code, why)) => return End::Close(code, why),
        };
        let sockets = self.state.sockets.clone();
        let Some(_held) = sockets.hold(&session.who.sub) else {
            let err = AppError::Refused(Refusal::TooManyConnections {
                limit: sockets.settings.max_connections as u64,
            });
            return End::Close(4429, format!("{}: {}", err.code(), err.client_message()));
        };
        let settings = sockets.settings.clone();
        let ack = json!({ "type": "connection_ack" }).to_string();
        if let Err(end) = self
            .send_by(
                Message::Text(ack.into()),
                Instant::now() + settings.send_timeout,
            )
            .await
        {
            return end;
        }

        // 2. Operations, each through the door, each in a task of its own.
        let expires = Instant::now()
            + Duration::from_secs(session.expires.saturating_sub(crate::auth::now_secs()));
        let (out_tx, mut out_rx) = mpsc::channel::<String>(64);
        let mut tasks: JoinSet<String> = JoinSet::new();
        let mut running: HashMap<String, AbortHandle> = HashMap::new();
        let mut ping = tokio::time::interval(settings.ping_every);
        ping.tick().await;
        let end = loop {
            let idle_at = self.last_heard + settings.idle_timeout;
            tokio::select! {
                read = self.read() => match read {
                    Read::Closed => break End::Gone,
                    Read::TooLarge => break self.too_large(),
                    Read::Heard => {}
                    Read::Text(text) => {
                        let deadline = (Instant::now() + settings.send_timeout).min(expires);
                        match self.message(&text, &session, &out_tx, &mut tasks, &mut running, deadline).await {
                            Ok(()) => {}
                            Err(end) => break end,
                        }
                    }
                },
                Some(text) = out_rx.recv() => {
                    let deadline = (Instant::now() + settings.send_timeout).min(expires);
                    if let Err(end) = self.send_by(Message::Text(text.into()), deadline).await {
                        break end;
                    }
                }
                Some(done) = tasks.join_next() => {
                    if let Ok(id) = done {
                        running.remove(&id);
                    }
                }
                _ = ping.tick() => {
                    let deadline = (Instant::now() + settings.send_timeout).min(expires);
                    if let Err(end) = self.send_by(Message::Ping(Vec::new().into()), deadline).await {
                        break end;
                    }
                }
                _ = tokio::time::sleep_until(idle_at.into()) => {
                    break End::Close(1001, "idle: nothing heard from the client".into());
                }
                _ = tokio::time::sleep_until(expires.into()) => {
                    break End::Close(4403, "Forbidden: the token has expired".into());
                }
            }
        };
        tasks.abort_all();
        end
    }

    async fn read_text(&mut self) -> Result<String, End> {
        loop {
            match self.read().await {
                Read::Text(t) => return Ok(t),
                Read::Heard => continue,
                Read::Closed => return Err(End::Gone),
                Read::TooLarge => return Err(self.too_large()),
            }
        }
    }

    /// The session of a `connection_init`, or the close code and reason.
    fn authenticate(&self, text: &str) -> Result<Session, (u16, String)> {
        let msg: ClientMessage = serde_json::from_str(text).map_err(|_| {
            (
                4400,
                "Invalid message: expected connection_init".to_string(),
            )
        })?;
        let ClientMessage::ConnectionInit { payload } = msg else {
            return Err((4401, "Unauthorized: send connection_init first".into()));
        };
        let payload = payload.as_ref();
        let token = payload
            .and_then(|p| p.get("token"))
            .and_then(|t| t.as_str())
            .or_else(|| {
                payload
                    .and_then(|p| p.get("Authorization").or_else(|| p.get("authorization")))
                    .and_then(|a| a.as_str())
                    .and_then(|a| a.split_once(' ').map(|(_, t)| t))
            })
            .ok_or_else(|| {
                (
                    4403,
                    "Forbidden: send the token in connection_init's payload as {\"token\": \"...\"}"
                        .to_string(),
                )
            })?;
        if token.len() > crate::admission::fixed::MAX_TOKEN_BYTES {
            return Err((4403, "Forbidden: the token is too long".into()));
        }
        self.state
            .door
            .verifier()
            .verify_until(token)
            .map(|(who, expires)| Session { who, expires })
            .map_err(|e| (4403, format!("Forbidden: {}", e.client_message())))
    }

    /// One message after `connection_init`.
    #[allow(clippy::too_many_arguments)]
    async fn message(
        &mut self,
        text: &str,
        session: &Session,
        out: &mpsc::Sender<String>,
        tasks: &mut JoinSet<String>,
        running: &mut HashMap<String, AbortHandle>,
        deadline: Instant,
    ) -> Result<(), End> {
        let Ok(msg) = serde_json::from_str::<ClientMessage>(text) else {
            return Err(End::Close(4400, "Invalid message".into()));
        };
        match msg {
            ClientMessage::ConnectionInit { .. } => {
                Err(End::Close(4429, "Too many initialisation requests".into()))
            }
            ClientMessage::Ping { .. } => {
                let pong = json!({ "type": "pong" }).to_string();
                self.send_by(Message::Text(pong.into()), deadline).await
            }
            ClientMessage::Pong { .. } => Ok(()),
            ClientMessage::Complete { id } => {
                if let Some(task) = running.remove(&id) {
                    task.abort();
                }
                Ok(())
            }
            ClientMessage::Subscribe { id, payload } => {
                if id.chars().count() > crate::admission::fixed::MAX_NAME_CHARS {
                    return Err(End::Close(
                        4400,
                        "Invalid message: the id is too long".into(),
                    ));
                }
                if running.contains_key(&id) {
                    return Err(End::Close(
                        4409,
                        format!("Subscriber for {id} already exists"),
                    ));
                }
                if running.len() >= MAX_SUBSCRIPTIONS {
                    let err = AppError::Refused(Refusal::TooManySubscriptions {
                        limit: MAX_SUBSCRIPTIONS as u64,
                    });
                    return self
                        .send_error(&id, vec![server_error(&err)], deadline)
                        .await;
                }
                let knock = Knock {
                    transport: Transport::Socket,
                    size: Some(text.len() as u64),
                    credentials: Credentials::Connection(session),
                    peer: Some(self.peer.ip()),
                };
                let door = self.state.door.clone();
                let admission = door
                    .admit(knock, std::future::ready(Ok(Ask::Graphql(payload))))
                    .await;
                log_operation(&admission, &id);
                match admission.result {
                    Err(Turned::Door(e)) => {
                        self.send_error(&id, vec![server_error(&e)], deadline).await
                    }
                    Err(Turned::Document(mut errors)) => {
                        crate::graphql::finish_errors(&mut errors);
                        self.send_error(&id, errors, deadline).await
                    }
                    Ok(Admitted::Export(_)) => Err(End::Close(1011, "internal error".into())),
                    Ok(Admitted::Graphql(op)) => {
                        if op.kind == async_graphql::parser::types::OperationType::Subscription {
                            metrics::counter!("plan_api_subscriptions_total").increment(1);
                        }
                        let stream = door.stream(*op, self.state.catalogues());
                        let handle = tasks.spawn(run_operation(id.clone(), stream, out.clone()));
                        running.insert(id, handle);
                        Ok(())
                    }
                }
            }
        }
    }

    async fn send_error(
        &mut self,
        id: &str,
        errors: Vec<async_graphql::ServerError>,
        deadline: Instant,
    ) -> Result<(), End> {
        let msg = json!({ "id": id, "type": "error", "payload": errors }).to_string();
        self.send_by(Message::Text(msg.into()), deadline).await
    }
}

/// Sends an operation's answers as `next` messages, then `complete`. A panic while producing
/// one ends the operation with an INTERNAL error; the connection and the server go on.
async fn run_operation(
    id: String,
    mut stream: futures_util::stream::BoxStream<'static, async_graphql::Response>,
    out: mpsc::Sender<String>,
) -> String {
    let mut first = true;
    loop {
        let next = AssertUnwindSafe(stream.next()).catch_unwind().await;
        let msg = match next {
            Ok(Some(mut res)) => {
                crate::graphql::finish_errors(&mut res.errors);
                // An answer without data whose errors point at no field is a request error
                // (validation, an unknown operation): the protocol's `error`, as HTTP's 400.
                let request_error = first
                    && res.data == async_graphql::Value::Null
                    && !res.errors.is_empty()
                    && res.errors.iter().all(|e| e.path.is_empty());
                if request_error {
                    let msg = json!({ "id": id, "type": "error", "payload": res.errors });
                    let _ = out.send(msg.to_string()).await;
                    return id;
                }
                first = false;
                json!({ "id": id, "type": "next", "payload": res })
            }
            Ok(None) => break,
            Err(panic) => {
                crate::observability::panicked(panic.as_ref(), "websocket");
                let err = AppError::Internal("a subscription panicked".into());
                let _ = out
                    .send(
                        json!({ "id": id, "type": "error", "payload": [server_error(&err)] })
                            .to_string(),
                    )
                    .await;
                return id;
            }
        };
        if out.send(msg.to_string()).await.is_err() {
            return id;
        }
    }
    let _ = out
        .send(json!({ "id": id, "type": "complete" }).to_string())
        .await;
    id
}

/// One access-log line per operation, as HTTP requests have, and its refusal counted as
/// HTTP's are.
fn log_operation(admission: &crate::admission::Admission, id: &str) {
    let facts = &admission.facts;
    let code = match &admission.result {
        Err(Turned::Door(e)) => Some(e.code().to_string()),
        Err(Turned::Document(errors)) => errors
            .first()
            .and_then(|e| e.extensions.as_ref())
            .and_then(|e| match e.get("code") {
                Some(async_graphql::Value::String(c)) => Some(c.clone()),
                _ => None,
            }),
        Ok(_) => None,
    };
    if let Some(code) = &code {
        crate::observability::record_refusal(code);
    }
    tracing::info!(
        target: "plan_api::access",
        transport = "ws",
        id,
        operation = facts.operation.as_deref(),
        subject = facts.principal.as_ref().map(|p| p.sub.as_str()),
        cost = facts.measure.map(|m| m.cost),
        code = code.as_deref(),
        "operation"
    );
}
