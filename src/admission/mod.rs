//! The door: every request, whatever way it comes in (POST, GET, a WebSocket `subscribe`, a
//! CSV export), is admitted by one function, `Door::admit`, which checks in this order:
//!
//! 1. **size**: the body, the WebSocket message or the URL (413, 414);
//! 2. **token**: the bearer header, or the WebSocket connection's (401; expiry per operation);
//! 3. **rate**: the caller's token bucket, charged once per operation (429);
//! 4. **read**: the request's parameters (400);
//! 5. **trusted documents**, in allow-list mode (`PERSISTED_QUERY_NOT_FOUND`,
//!    `DOCUMENT_NOT_ALLOWED`);
//! 6. **parse**: the text's length, tokens, names and bracket nesting (`scan`), then parsed
//!    once (cached), its operations, fragments, directives and aliases counted, and what
//!    validation lets through on `__typename` refused (`document`);
//! 7. **cost**: what the answer may hold, and every input against its bound (`bounds`);
//!    anonymous callers (introspection) get a smaller budget;
//! 8. **timeout**: what is admitted runs under the request timeout (`Door::execute`).
//!
//! `check_document` is steps 6 and 7 on their own, for the fuzz target and the tests.
//! Nothing here touches the database, and each refusal has one code on every transport:
//! the transports only say how it travels (an HTTP status, a WebSocket `error` message).
//!
//! - `scan`: tokens, names and nesting, before the parser;
//! - `documents`: parsed documents, kept by their text;
//! - `document`: operations, fragments, directives, aliases;
//! - `cost`: the estimate and the schema's shape; `bounds`: the input bounds;
//! - `rate`: token buckets; `trusted`: the allow-list of documents.
pub mod bounds;
pub mod cost;
pub mod document;
pub mod documents;
pub mod rate;
pub mod scan;
pub mod trusted;

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use async_graphql::parser::types::OperationType;
use async_graphql::{ServerError, Variables};
use serde::Deserialize;

pub use cost::{measure, CostLimits, Measure, SchemaShape};
pub use document::DocumentLimits;
pub use documents::DocumentCache;
pub use rate::{RateDecision, RateLimiter, RatePolicy, RateRule};
pub use scan::ScanLimits;
pub use trusted::TrustedDocuments;

use crate::auth::{Principal, Verifier};
use crate::error::{AppError, Refusal};
use crate::graphql::{server_error, AppSchema};
use rate::Caller;

/// Bounds of the door that are not configured: they keep the parser and every walk over a
/// document shallow and small, whatever the configuration says.
pub mod fixed {
    /// Deepest bracket nesting (`{`, `[`, `(`) in a document, and JSON nesting of variables.
    /// GraphiQL's introspection query nests 14 deep; a thread's stack holds far more.
    pub const MAX_NESTING: u64 = 40;
    pub const MAX_OPERATIONS: u64 = 20;
    pub const MAX_FRAGMENTS: u64 = 100;
    pub const MAX_DIRECTIVES: u64 = 50;
    /// Longest bearer token (a JWT of ours is about 400 bytes).
    pub const MAX_TOKEN_BYTES: usize = 8 * 1024;
    /// Longest operation name, persisted-document id or WebSocket subscription id.
    pub const MAX_NAME_CHARS: usize = 200;
}

/// The door's configured limits.
#[derive(Debug, Clone)]
pub struct DoorLimits {
    pub max_body_bytes: u64,
    pub max_url_bytes: u64,
    /// Longest document text: parsing costs up to a few µs a byte, and values that are large
    /// (a plan file) belong in the variables.
    pub max_document_bytes: u64,
    pub request_timeout: Duration,
    pub max_tokens: u64,
    pub max_aliases: u64,
    pub cost: CostLimits,
    /// Callers without a token can only introspect; they get this much instead.
    pub anonymous_cost: CostLimits,
}

/// The way a request came in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    Post,
    Get,
    Socket,
    Export,
}

/// A WebSocket connection's caller: verified once at `connection_init`, its expiry checked
/// again for every operation.
#[derive(Debug, Clone)]
pub struct Session {
    pub who: Principal,
    /// Seconds since the epoch.
    pub expires: u64,
}

/// Who says they are calling.
pub enum Credentials<'a> {
    /// An HTTP request's `Authorization` header, if it sent one.
    Header(Option<&'a [u8]>),
    /// A WebSocket connection's caller.
    Connection(&'a Session),
}

/// What the transport knows before reading the request.
pub struct Knock<'a> {
    pub transport: Transport,
    /// The body's declared length, the WebSocket message's, or the URL's.
    pub size: Option<u64>,
    pub credentials: Credentials<'a>,
    pub peer: Option<IpAddr>,
}

/// What a request asks for, once read.
pub enum Ask {
    Graphql(GraphqlParams),
    Export(ExportAsk),
}

/// A CSV export's parameters, as parsed from its query string.
pub struct ExportAsk {
    /// The plan's slug.
    pub plan: Option<String>,
    pub filter: crate::actions::ActionFilter,
}

/// A GraphQL request's parameters, from a POST body, a GET query string or a WebSocket
/// `subscribe` payload.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GraphqlParams {
    pub query: Option<String>,
    pub operation_name: Option<String>,
    pub variables: Option<serde_json::Value>,
    pub extensions: Option<Extensions>,
    pub document_id: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Extensions {
    pub persisted_query: Option<PersistedQuery>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PersistedQuery {
    pub sha256_hash: String,
}

/// Why a request was turned away.
pub enum Turned {
    /// Before its document was read as GraphQL: the transport carries the error as its own
    /// (an HTTP status with a GraphQL-shaped body, a WebSocket `error`).
    Door(AppError),
    /// A GraphQL request error: the document does not parse, or breaks a document, cost or
    /// input limit.
    Document(Vec<ServerError>),
}

/// A request the door let in.
pub enum Admitted {
    Graphql(Box<Operation>),
    Export(ExportAsk),
}

/// A GraphQL operation ready to run: its document already parsed and measured.
pub struct Operation {
    pub request: async_graphql::Request,
    pub kind: OperationType,
}

/// What the door decided, and what it learnt on the way.
pub struct Admission {
    pub facts: Facts,
    pub result: Result<Admitted, Turned>,
}

/// What the access log, the metrics and the rate headers say about a request, admitted or not.
#[derive(Default)]
pub struct Facts {
    pub principal: Option<Principal>,
    pub operation: Option<String>,
    pub kind: Option<OperationType>,
    pub measure: Option<Measure>,
    pub rate: Option<RateDecision>,
}

/// The one admission path, and the schema it admits to.
pub struct Door {
    verifier: Arc<Verifier>,
    rate: RateLimiter,
    trusted: Option<Arc<TrustedDocuments>>,
    documents: DocumentCache,
    shape: Arc<SchemaShape>,
    schema: AppSchema,
    pub limits: DoorLimits,
}

impl Door {
    /// The door of `schema`; reads the schema's SDL and introspection answer once, to price
    /// documents against them.
    pub async fn new(
        schema: AppSchema,
        verifier: Arc<Verifier>,
        rate: RateLimiter,
        trusted: Option<Arc<TrustedDocuments>>,
        limits: DoorLimits,
    ) -> Self {
        let shape = served_shape(&schema).await;
        Self {
            verifier,
            rate,
            trusted,
            documents: DocumentCache::default(),
            shape: Arc::new(shape),
            schema,
            limits,
        }
    }

    pub fn rate(&self) -> &RateLimiter {
        &self.rate
    }

    pub fn verifier(&self) -> &Verifier {
        &self.verifier
    }

    /// The shape documents are priced against (for tests that hold answers to their price).
    pub fn shape(&self) -> &SchemaShape {
        &self.shape
    }

    /// Admits a request or turns it away, checking in the order the module describes. `read`
    /// reads the request (a body, say) only once size, token and rate have passed.
    pub async fn admit(
        &self,
        knock: Knock<'_>,
        read: impl std::future::Future<Output = Result<Ask, AppError>>,
    ) -> Admission {
        let mut facts = Facts::default();
        let result = self.steps(knock, read, &mut facts).await;
        Admission { facts, result }
    }

    async fn steps(
        &self,
        knock: Knock<'_>,
        read: impl std::future::Future<Output = Result<Ask, AppError>>,
        out: &mut Facts,
    ) -> Result<Admitted, Turned> {
        let door = |e: AppError| Turned::Door(e);
        // 1. Size.
        self.size(&knock).map_err(|r| door(AppError::Refused(r)))?;
        // 2. Token.
        let principal = self.token(&knock).map_err(door)?;
        if principal.is_none() && knock.transport == Transport::Export {
            return Err(door(AppError::Unauthenticated(
                "send `Authorization: Bearer <token>`".into(),
            )));
        }
        out.principal = principal.clone();
        // 3. Rate, once per operation.
        let caller = match (&principal, knock.peer) {
            (Some(p), _) => Some(Caller::Subject(p.role, &p.sub)),
            (None, Some(ip)) => Some(Caller::Anonymous(ip)),
            (None, None) => None,
        };
        out.rate = caller.and_then(|c| self.rate.check(c));
        if let Some(d) = out.rate.filter(|d| !d.allowed) {
            return Err(door(AppError::Refused(Refusal::RateLimited {
                retry_after_secs: d.retry_after_secs,
            })));
        }
        // 4. Read.
        let params = match read.await.map_err(door)? {
            Ask::Graphql(params) => params,
            Ask::Export(ask) => {
                // No document to trust, parse or price: the plan and the filter are bounded
                // as the same arguments are in GraphQL.
                self.export_bounds(&ask).map_err(door)?;
                return Ok(Admitted::Export(ask));
            }
        };
        self.graphql(knock.transport, params, principal, out)
    }

    fn size(&self, knock: &Knock<'_>) -> Result<(), Refusal> {
        let Some(size) = knock.size else {
            return Ok(());
        };
        match knock.transport {
            Transport::Get | Transport::Export if size > self.limits.max_url_bytes => {
                Err(Refusal::UriTooLong {
                    limit: self.limits.max_url_bytes,
                })
            }
            Transport::Post | Transport::Socket if size > self.limits.max_body_bytes => {
                Err(Refusal::PayloadTooLarge {
                    limit: self.limits.max_body_bytes,
                })
            }
            _ => Ok(()),
        }
    }

    fn token(&self, knock: &Knock<'_>) -> Result<Option<Principal>, AppError> {
        match &knock.credentials {
            Credentials::Header(None) => Ok(None),
            Credentials::Header(Some(value)) => {
                let token = bearer(value)?;
                self.verifier.verify(token).map(Some)
            }
            Credentials::Connection(session) => {
                if session.expires <= crate::auth::now_secs() {
                    return Err(AppError::Unauthenticated("the token has expired".into()));
                }
                Ok(Some(session.who.clone()))
            }
        }
    }

    /// Steps 5 to 8 for a GraphQL request.
    fn graphql(
        &self,
        transport: Transport,
        mut params: GraphqlParams,
        principal: Option<Principal>,
        out: &mut Facts,
    ) -> Result<Admitted, Turned> {
        let door = |e: AppError| Turned::Door(e);
        if let Some(name) = &params.operation_name {
            name_bound("operationName", name).map_err(|r| door(AppError::Refused(r)))?;
        }
        out.operation = params.operation_name.clone();
        // 5. Trusted documents.
        let text = self
            .document_text(&mut params)
            .map_err(|r| door(AppError::Refused(r)))?;
        // 6 and 7. Parse, the operation, its cost and bounds.
        let mut seen = Seen::default();
        let checked = check_document(
            &Checking {
                shape: &self.shape,
                limits: &self.limits,
                documents: &self.documents,
                anonymous: principal.is_none(),
                reads_only: transport == Transport::Get,
            },
            &text,
            params.operation_name.as_deref(),
            params.variables.take(),
            &mut seen,
        );
        out.kind = seen.kind;
        out.operation = out.operation.take().or(seen.operation);
        out.measure = seen.measure;
        let checked = checked?;
        // 8. Ready to run, under the timeout (`execute`).
        let mut request = async_graphql::Request::new(text).variables(checked.variables);
        if let Some(name) = params.operation_name {
            request = request.operation_name(name);
        }
        request.set_parsed_query(checked.doc);
        let kind = seen.kind.unwrap_or(OperationType::Query);
        Ok(self.operation(request, kind, principal))
    }

    fn operation(
        &self,
        mut request: async_graphql::Request,
        kind: OperationType,
        principal: Option<Principal>,
    ) -> Admitted {
        if let Some(p) = principal {
            request = request.data(p);
        }
        Admitted::Graphql(Box::new(Operation { request, kind }))
    }

    /// The text to run: by trusted-document id, or as sent (then, in allow-list mode, only
    /// when it is registered).
    fn document_text(&self, params: &mut GraphqlParams) -> Result<String, Refusal> {
        let id = params.document_id.as_deref().or_else(|| {
            params
                .extensions
                .as_ref()
                .and_then(|e| e.persisted_query.as_ref())
                .map(|p| p.sha256_hash.as_str())
        });
        if let Some(id) = id {
            name_bound("documentId", id)?;
        }
        match (&self.trusted, id, params.query.take()) {
            (Some(docs), Some(id), _) => docs
                .get(id)
                .map(|d| d.to_string())
                .ok_or(Refusal::PersistedQueryNotFound),
            (Some(docs), None, Some(q)) => {
                if docs.contains_text(&q) {
                    Ok(q)
                } else {
                    Err(Refusal::DocumentNotAllowed)
                }
            }
            (None, Some(id), Some(q)) => {
                // Automatic persisted queries send both: the text must be the one hashed.
                let id = id.strip_prefix("sha256:").unwrap_or(id);
                if trusted::sha256_hex(&q).eq_ignore_ascii_case(id) {
                    Ok(q)
                } else {
                    Err(Refusal::BadRequest(
                        "the persisted query hash is not the SHA-256 of the query".into(),
                    ))
                }
            }
            (None, Some(_), None) => Err(Refusal::PersistedQueryNotFound),
            (_, None, None) => Err(Refusal::BadRequest(
                "missing `query`: send a GraphQL document as the `query` parameter".into(),
            )),
            (None, None, Some(q)) => Ok(q),
        }
    }

    fn export_bounds(&self, ask: &ExportAsk) -> Result<(), AppError> {
        let filter = async_graphql::Value::from_json(serde_json::to_value(&ask.filter)?)?;
        let plan = async_graphql::Value::String(ask.plan.clone().unwrap_or_default());
        for (parent, field, arg, value) in [
            ("Query", "plan", "slug", &plan),
            ("Plan", "actions", "filter", &filter),
        ] {
            let arg = async_graphql::Name::new(arg);
            let Some(ty) = self
                .shape
                .types
                .get(parent)
                .and_then(|p| p.fields.get(field))
                .and_then(|f| f.args.get(&arg))
            else {
                return Err(AppError::Internal(
                    format!("BUG: the schema has no {parent}.{field}({arg})").into(),
                ));
            };
            bounds::check_argument(&self.shape, parent, field, &arg, ty, value)
                .map_err(AppError::Refused)?;
        }
        Ok(())
    }

    /// Runs an admitted query or mutation under the request timeout.
    pub async fn execute(
        &self,
        op: Operation,
        catalogues: crate::plans::catalogue::Catalogues,
    ) -> Result<async_graphql::Response, AppError> {
        let request = op.request.data(catalogues);
        tokio::time::timeout(self.limits.request_timeout, self.schema.execute(request))
            .await
            .map_err(|_| {
                AppError::Refused(Refusal::Timeout {
                    limit_secs: self.limits.request_timeout.as_secs().max(1),
                })
            })
    }

    /// Starts an admitted subscription (or runs a query or mutation sent over the socket as
    /// a stream of one answer, under the timeout).
    pub fn stream(
        &self,
        op: Operation,
        catalogues: crate::plans::catalogue::Catalogues,
    ) -> futures_util::stream::BoxStream<'static, async_graphql::Response> {
        use futures_util::StreamExt;
        let request = op.request.data(catalogues);
        if op.kind == OperationType::Subscription {
            return self.schema.execute_stream(request).boxed();
        }
        let schema = self.schema.clone();
        let timeout = self.limits.request_timeout;
        futures_util::stream::once(async move {
            match tokio::time::timeout(timeout, schema.execute(request)).await {
                Ok(res) => res,
                Err(_) => async_graphql::Response::from_errors(vec![server_error(
                    &AppError::Refused(Refusal::Timeout {
                        limit_secs: timeout.as_secs().max(1),
                    }),
                )]),
            }
        })
        .boxed()
    }
}

/// What `check_document` needs beside the document.
pub struct Checking<'a> {
    pub shape: &'a SchemaShape,
    pub limits: &'a DoorLimits,
    pub documents: &'a DocumentCache,
    /// No token: the anonymous budget.
    pub anonymous: bool,
    /// GET: queries only.
    pub reads_only: bool,
}

/// A document the door let through steps 6 and 7.
pub struct Checked {
    pub doc: async_graphql::parser::types::ExecutableDocument,
    pub variables: Variables,
}

/// What steps 6 and 7 learnt of a document, let through or not (for the access log).
#[derive(Default)]
pub struct Seen {
    /// The operation's type; `None` when the document names no operation that it has
    /// (execution reports that as a request error).
    pub kind: Option<OperationType>,
    /// The operation's own name, when the document has one operation.
    pub operation: Option<String>,
    pub measure: Option<Measure>,
}

/// Steps 6 and 7 of the door, from a document's text and variables alone: the text scanned
/// (tokens, nesting), parsed (kept when the caller has a token), the document's operations,
/// fragments, directives and aliases counted, the variables' nesting, then the operation's
/// cost and every argument against its bound. The door runs it for every GraphQL request;
/// the fuzz target and the adversarial suite run it on their own.
pub fn check_document(
    with: &Checking<'_>,
    text: &str,
    operation_name: Option<&str>,
    variables: Option<serde_json::Value>,
    seen: &mut Seen,
) -> Result<Checked, Turned> {
    let refused = |r: Refusal| Turned::Document(vec![server_error(&AppError::Refused(r))]);
    if text.len() as u64 > with.limits.max_document_bytes {
        return Err(refused(Refusal::DocumentTooLarge {
            bytes: text.len() as u64,
            limit: with.limits.max_document_bytes,
        }));
    }
    scan::scan(
        text,
        ScanLimits {
            max_tokens: with.limits.max_tokens,
            max_nesting: fixed::MAX_NESTING,
            max_word: fixed::MAX_NAME_CHARS,
        },
    )
    .map_err(refused)?;
    let doc = match with.documents.parse(text, !with.anonymous) {
        Ok(doc) => doc,
        Err(e) => {
            let mut err = ServerError::from(e);
            err.extensions
                .get_or_insert_with(Default::default)
                .set("code", "BAD_USER_INPUT");
            return Err(Turned::Document(vec![err]));
        }
    };
    let limits = DocumentLimits {
        max_operations: fixed::MAX_OPERATIONS,
        max_fragments: fixed::MAX_FRAGMENTS,
        max_directives: fixed::MAX_DIRECTIVES,
        max_aliases: with.limits.max_aliases,
    };
    if let Err(r) = document::check(&doc, &limits) {
        return Err(refused(r));
    }
    let invalid = |why: &str| Turned::Document(vec![server_error(&AppError::bad_input(why))]);
    if let Some(why) = document::invalid(&doc) {
        return Err(invalid(why));
    }
    let variables = match variables {
        None | Some(serde_json::Value::Null) => Variables::default(),
        Some(v @ serde_json::Value::Object(_)) => {
            bounds::check_json(&v, fixed::MAX_NESTING as usize).map_err(refused)?;
            Variables::from_json(v)
        }
        Some(_) => {
            let r = Refusal::BadRequest("`variables` must be an object".into());
            return Err(Turned::Door(AppError::Refused(r)));
        }
    };
    seen.operation = operation_name_of(&doc);
    let Some(op) = cost::select_operation(&doc, operation_name) else {
        return Ok(Checked { doc, variables });
    };
    seen.kind = Some(op.node.ty);
    if with.reads_only && op.node.ty != OperationType::Query {
        // GET (and HEAD) may only read.
        return Err(Turned::Door(AppError::Refused(Refusal::MutationOverGet)));
    }
    let costs = if with.anonymous {
        &with.limits.anonymous_cost
    } else {
        &with.limits.cost
    };
    let measure = match cost::measure(with.shape, costs, &doc, &op.node, &variables) {
        Ok(m) => m,
        Err(r) => return Err(refused(r)),
    };
    seen.measure = Some(measure);
    if let Err(r) = costs.check(&measure) {
        return Err(refused(r));
    }
    if op.node.ty == OperationType::Subscription && measure.root_fields != 1 {
        return Err(invalid("a subscription selects exactly one root field"));
    }
    Ok(Checked { doc, variables })
}

/// The schema's shape as the server serves it, introspection answer included: what the door
/// prices documents against.
pub async fn served_shape(schema: &AppSchema) -> SchemaShape {
    let answer = schema.execute(cost::MODEL_QUERY).await;
    let answer = answer.data.into_json().unwrap_or(serde_json::Value::Null);
    SchemaShape::from_sdl(&schema.sdl()).with_introspection(&answer)
}

/// The bearer token of an `Authorization` header's value.
fn bearer(value: &[u8]) -> Result<&str, AppError> {
    let value = std::str::from_utf8(value)
        .map_err(|_| AppError::Unauthenticated("the Authorization header is not text".into()))?;
    match value.split_once(' ') {
        Some((scheme, token))
            if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() =>
        {
            let token = token.trim();
            if token.len() > fixed::MAX_TOKEN_BYTES {
                return Err(AppError::Unauthenticated(format!(
                    "the token is longer than {} bytes",
                    fixed::MAX_TOKEN_BYTES
                )));
            }
            Ok(token)
        }
        _ => Err(AppError::Unauthenticated(
            "the Authorization header must be `Bearer <token>`".into(),
        )),
    }
}

/// Names a client chooses (operation names, document ids) are short.
fn name_bound(what: &str, value: &str) -> Result<(), Refusal> {
    let chars = value.chars().count();
    if chars > fixed::MAX_NAME_CHARS {
        return Err(Refusal::InputBound {
            input: what.to_string(),
            unit: "characters",
            got: chars as u64,
            limit: fixed::MAX_NAME_CHARS as u64,
        });
    }
    Ok(())
}

/// The operation's own name when the document has one operation (`query Dashboard { ... }`).
fn operation_name_of(doc: &async_graphql::parser::types::ExecutableDocument) -> Option<String> {
    match &doc.operations {
        async_graphql::parser::types::DocumentOperations::Multiple(ops) if ops.len() == 1 => {
            ops.keys().next().map(|n| n.to_string())
        }
        _ => None,
    }
}
