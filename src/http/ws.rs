//! GraphQL subscriptions over WebSocket at `/graphql/ws`, with the `graphql-transport-ws`
//! protocol (the `graphql-ws` library's).
//!
//! The connection is held to the same rules as an HTTP request:
//! - the token comes in `connection_init` (`{"token": "..."}` or
//!   `{"Authorization": "Bearer ..."}`) and is verified like a bearer header; a bad or missing
//!   one closes the socket with 4403, and so does the token's expiry, checked by a timer;
//! - opening a connection takes from the token's rate-limit bucket (4429 when empty);
//! - each subscription's document passes the cost limits before it runs, and a connection
//!   runs at most `MAX_SUBSCRIPTIONS` at once;
//! - browsers' `Origin` must be on the CORS allow-list (a page elsewhere cannot use a
//!   token it got hold of through the user's browser).
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use async_graphql::http::{WebSocket as GqlWebSocket, WebSocketProtocols, WsMessage};
use async_graphql::{Data, Executor, Request, Response};
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::State as AxumState;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response as HttpResponse};
use futures_util::stream::{self, BoxStream, StreamExt};
use futures_util::SinkExt;

use super::HttpState;
use crate::auth::Principal;
use crate::error::{AppError, Refusal};
use crate::limits::cost;
use crate::limits::rate::Caller;
use crate::plans::catalogue::Catalogues;

/// Most subscriptions one connection runs at once.
pub const MAX_SUBSCRIPTIONS: usize = 20;
/// How long a client has to send `connection_init`.
const INIT_TIMEOUT: Duration = Duration::from_secs(10);
const PROTOCOL: &str = "graphql-transport-ws";

pub async fn upgrade(
    AxumState(state): AxumState<HttpState>,
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
    ws.on_upgrade(move |socket| serve(socket, state))
}

/// Same origin, or one the CORS list allows.
fn origin_allowed(state: &HttpState, origin: &str, headers: &HeaderMap) -> bool {
    let origin = origin.trim_end_matches('/');
    if state.serving.cors_origins.iter().any(|o| o == origin) {
        return true;
    }
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
    host.is_some_and(|h| origin == format!("http://{h}") || origin == format!("https://{h}"))
}

fn close(code: u16, reason: &str) -> Message {
    Message::Close(Some(CloseFrame {
        code,
        reason: reason.chars().take(120).collect::<String>().into(),
    }))
}

async fn serve(socket: WebSocket, state: HttpState) {
    metrics::gauge!("plan_api_ws_connections").increment(1.0);
    serve_connection(socket, state).await;
    metrics::gauge!("plan_api_ws_connections").decrement(1.0);
}

async fn serve_connection(mut socket: WebSocket, state: HttpState) {
    // 1. `connection_init`, with the token, first.
    let first = match tokio::time::timeout(INIT_TIMEOUT, next_text(&mut socket)).await {
        Ok(Some(t)) => t,
        Ok(None) => return,
        Err(_) => {
            let _ = socket
                .send(close(4408, "Connection initialisation timeout"))
                .await;
            return;
        }
    };
    let (who, expires) = match authenticate(&state, &first) {
        Ok(found) => found,
        Err((code, why)) => {
            let _ = socket.send(close(code, &why)).await;
            return;
        }
    };
    let caller = Caller::Subject(who.role, &who.sub);
    if let Some(d) = state.serving.rate.check(caller) {
        if !d.allowed {
            let _ = socket
                .send(close(
                    4429,
                    &format!("rate limit reached; retry in {} s", d.retry_after_secs),
                ))
                .await;
            return;
        }
    }

    // 2. The protocol, run by async-graphql, with the principal as the connection's data.
    let (mut sink, rest) = socket.split();
    let incoming =
        stream::once(async move { first.into_bytes() }).chain(rest.filter_map(|m| async move {
            match m {
                Ok(Message::Text(t)) => Some(t.as_str().as_bytes().to_vec()),
                Ok(Message::Binary(b)) => Some(b.to_vec()),
                _ => None,
            }
        }));
    let mut data = Data::default();
    data.insert(who);
    let executor = Limited {
        state: state.clone(),
        running: Arc::new(AtomicUsize::new(0)),
    };
    let mut protocol = Box::pin(
        GqlWebSocket::new(executor, incoming, WebSocketProtocols::GraphQLWS).connection_data(data),
    );
    let expiry = tokio::time::sleep(until(expires));
    tokio::pin!(expiry);
    loop {
        tokio::select! {
            msg = protocol.next() => match msg {
                Some(WsMessage::Text(t)) => {
                    if sink.send(Message::Text(t.into())).await.is_err() {
                        return;
                    }
                }
                Some(WsMessage::Close(code, why)) => {
                    let _ = sink.send(close(code, &why)).await;
                    return;
                }
                None => return,
            },
            _ = &mut expiry => {
                let _ = sink.send(close(4403, "the token has expired")).await;
                return;
            }
        }
    }
}

/// The next text message (`None` when the client left).
async fn next_text(socket: &mut WebSocket) -> Option<String> {
    while let Some(Ok(m)) = socket.recv().await {
        match m {
            Message::Text(t) => return Some(t.as_str().to_string()),
            Message::Binary(b) => return String::from_utf8(b.to_vec()).ok(),
            Message::Close(_) => return None,
            _ => {}
        }
    }
    None
}

/// The principal and expiry of a `connection_init`, or the close code and reason.
fn authenticate(state: &HttpState, text: &str) -> Result<(Principal, u64), (u16, String)> {
    let msg: serde_json::Value =
        serde_json::from_str(text).map_err(|_| (4400, "the message is not JSON".to_string()))?;
    if msg.get("type").and_then(|t| t.as_str()) != Some("connection_init") {
        return Err((4401, "Unauthorized: send connection_init first".into()));
    }
    let payload = msg.get("payload");
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
    state
        .verifier
        .verify_until(token)
        .map_err(|e| (4403, format!("Forbidden: {}", e.client_message())))
}

fn until(exp: u64) -> Duration {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    Duration::from_secs(exp.saturating_sub(now))
}

/// Runs subscriptions (and queries sent over the socket) under the cost limits, at most
/// `MAX_SUBSCRIPTIONS` at once per connection.
#[derive(Clone)]
struct Limited {
    state: HttpState,
    running: Arc<AtomicUsize>,
}

/// Gives its slot back when the subscription's stream is dropped (completed or stopped).
struct Slot(Arc<AtomicUsize>);

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// A refusal as a GraphQL response, with the same error object as over HTTP.
fn refused(err: &AppError) -> Response {
    Response::from_errors(vec![super::graphql::response::refusal_error(err)])
}

impl Limited {
    /// The request with its catalogues, or why it may not run.
    fn admit(&self, mut request: Request) -> Result<Request, AppError> {
        let serving = &self.state.serving;
        // Parsed once, through the server's document cache, and handed to async-graphql so
        // it does not parse the text again.
        let doc = match self.state.documents.parse(&request.query, true) {
            Ok(d) => d,
            // async-graphql reports the syntax error itself.
            Err(_) => return Ok(request),
        };
        if let Some(op) = cost::select_operation(&doc, request.operation_name.as_deref()) {
            let m = cost::measure(
                &self.state.shape,
                &serving.cost,
                &doc,
                &op.node,
                &request.variables,
            );
            serving.cost.check(&m).map_err(AppError::Refused)?;
        }
        request.set_parsed_query(doc);
        Ok(request.data(Catalogues::new(
            self.state.db.clone(),
            self.state.catalogues.clone(),
        )))
    }
}

impl Executor for Limited {
    async fn execute(&self, request: Request) -> Response {
        match self.admit(request) {
            Ok(r) => self.state.schema.execute(r).await,
            Err(e) => refused(&e),
        }
    }

    fn execute_stream(
        &self,
        request: Request,
        session_data: Option<Arc<Data>>,
    ) -> BoxStream<'static, Response> {
        let request = match self.admit(request) {
            Ok(r) => r,
            Err(e) => return stream::once(async move { refused(&e) }).boxed(),
        };
        if self.running.fetch_add(1, Ordering::SeqCst) >= MAX_SUBSCRIPTIONS {
            self.running.fetch_sub(1, Ordering::SeqCst);
            let err = AppError::Refused(Refusal::TooManySubscriptions {
                limit: MAX_SUBSCRIPTIONS as u64,
            });
            return stream::once(async move { refused(&err) }).boxed();
        }
        let slot = Slot(self.running.clone());
        metrics::counter!("plan_api_subscriptions_total").increment(1);
        self.state
            .schema
            .execute_stream_with_session_data(request, session_data.unwrap_or_default())
            .map(move |r| {
                let _held = &slot;
                r
            })
            .boxed()
    }
}
