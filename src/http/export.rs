//! `GET /export/actions.csv` and `GET /export/rag-history.csv`: the same token, scope and
//! filters as the API (filters as query parameters: lists comma-separated or repeated).
use std::net::SocketAddr;

use axum::{
    body::Body,
    extract::{ConnectInfo, Query, Request, State as AxumState},
    http::{header, request::Parts, StatusCode},
    response::{IntoResponse, Response},
};
use chrono::NaiveDate;

use super::{error_response, json_type, HttpState};
use crate::actions::LifecycleState;
use crate::actions::{self, ActionFilter};
use crate::admission::{Admitted, Ask, Credentials, ExportAsk, Knock, Transport, Turned};
use crate::error::{AppError, AppResult};
use crate::export::{CsvStyle, Export};
use crate::objects;
use crate::rag::RagStatus;

/// What the export itself takes, beside the filter.
const OPTIONS: [&str; 3] = ["plan", "bom", "raw"];

const FILTER_PARAMS: [&str; 10] = [
    "themes",
    "workstreams",
    "leads",
    "rag",
    "references",
    "descriptors",
    "state",
    "search",
    "dueBefore",
    "dueAfter",
];

/// Query parameters, lists split on commas and repeated keys merged.
struct Params(Vec<(String, String)>);

impl Params {
    fn check_known(&self, extra: &[&str]) -> AppResult<()> {
        for (k, _) in &self.0 {
            if !OPTIONS.contains(&k.as_str())
                && !FILTER_PARAMS.contains(&k.as_str())
                && !extra.contains(&k.as_str())
            {
                return Err(AppError::bad_input(format!(
                    "unknown parameter {}; use {}, {}{}",
                    crate::error::some_of(&[k]),
                    OPTIONS.join(", "),
                    FILTER_PARAMS.join(", "),
                    extra.iter().map(|e| format!(", {e}")).collect::<String>()
                )));
            }
        }
        Ok(())
    }

    /// How cells are written: formulas guarded unless `raw=1`, codes as text with `bom=1`.
    fn style(&self) -> CsvStyle {
        CsvStyle {
            guard_formulas: self.one("raw").is_none(),
            spreadsheet: self.one("bom").is_some(),
        }
    }

    fn one(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.trim())
            .filter(|v| !v.is_empty())
    }

    fn list(&self, key: &str) -> Option<Vec<String>> {
        let items: Vec<String> = self
            .0
            .iter()
            .filter(|(k, _)| k == key)
            .flat_map(|(_, v)| v.split(','))
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect();
        (!items.is_empty()).then_some(items)
    }

    fn date(&self, key: &str) -> AppResult<Option<NaiveDate>> {
        self.one(key)
            .map(|v| {
                v.parse::<NaiveDate>().map_err(|_| {
                    AppError::bad_input(format!(
                        "`{key}` must be a date like 2013-01-31, not {}",
                        crate::error::some_of(&[v])
                    ))
                })
            })
            .transpose()
    }

    fn filter(&self) -> AppResult<ActionFilter> {
        let themes = self
            .list("themes")
            .map(|v| {
                v.iter()
                    .map(|t| {
                        t.parse::<i32>().map_err(|_| {
                            AppError::bad_input(format!(
                                "`themes` are numbers, not {}",
                                crate::error::some_of(&[t])
                            ))
                        })
                    })
                    .collect::<AppResult<Vec<_>>>()
            })
            .transpose()?;
        let rag = self
            .list("rag")
            .map(|v| {
                v.iter()
                    .map(|s| {
                        RagStatus::parse(&s.to_uppercase()).ok_or_else(|| {
                            AppError::bad_input(format!(
                                "unknown RAG status {}; use RED, AMBER, GREEN, GREY, BLUE",
                                crate::error::some_of(&[s])
                            ))
                        })
                    })
                    .collect::<AppResult<Vec<_>>>()
            })
            .transpose()?;
        let state = match self.one("state").map(str::to_uppercase).as_deref() {
            None => None,
            Some("ACTIVE") => Some(LifecycleState::Active),
            Some("REMOVED") => Some(LifecycleState::Removed),
            Some(other) => {
                return Err(AppError::bad_input(format!(
                    "`state` is ACTIVE or REMOVED, not {}",
                    crate::error::some_of(&[other])
                )))
            }
        };
        Ok(ActionFilter {
            themes,
            workstreams: self.list("workstreams"),
            leads: self.list("leads"),
            rag,
            references: self.list("references"),
            descriptors: self.list("descriptors"),
            state,
            search: self.one("search").map(str::to_string),
            due_before: self.date("dueBefore")?,
            due_after: self.date("dueAfter")?,
        })
    }
}

/// Admits the export at the door (size, token, rate, the filter's bounds), then resolves the
/// plan and the filter for the caller. Errors are the door's, with their HTTP status.
async fn prepare(
    state: &HttpState,
    parts: &Parts,
    params: &Params,
    extra: &'static [&'static str],
) -> AppResult<actions::ResolvedFilter> {
    let knock = Knock {
        transport: Transport::Export,
        size: Some(parts.uri.path_and_query().map_or(0, |p| p.as_str().len()) as u64),
        credentials: Credentials::Header(
            parts
                .headers
                .get(header::AUTHORIZATION)
                .map(|v| v.as_bytes()),
        ),
        peer: parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip()),
    };
    let read = async {
        params.check_known(extra)?;
        Ok(Ask::Export(ExportAsk {
            plan: params.one("plan").map(str::to_string),
            filter: params.filter()?,
        }))
    };
    let admission = state.door.admit(knock, read).await;
    let (who, filter) = match (admission.facts.principal, admission.result) {
        (Some(who), Ok(Admitted::Export(ask))) => (who, ask.filter),
        (_, Err(Turned::Door(e))) => return Err(e),
        _ => {
            return Err(AppError::Internal(
                "BUG: an export admitted as GraphQL".into(),
            ))
        }
    };
    let slug = params
        .one("plan")
        .ok_or_else(|| AppError::bad_input("`plan` (a plan slug) is required"))?;
    let cat = objects::visible_plan(&state.catalogues(), &who, slug)
        .await?
        .ok_or_else(|| {
            AppError::not_found(format!("no plan {}", crate::error::some_of(&[slug])))
        })?;
    actions::resolve_filter(&cat, &filter, &who)
}

pub async fn actions_csv(
    AxumState(state): AxumState<HttpState>,
    Query(params): Query<Vec<(String, String)>>,
    request: Request,
) -> Response {
    let (parts, _) = request.into_parts();
    let params = Params(params);
    let export = match prepare(&state, &parts, &params, &[]).await {
        Ok(filter) => Export::Actions {
            db: state.db.clone(),
            filter,
            offset: 0,
            today: state.clock.today(),
            style: params.style(),
        },
        Err(e) => return error_response(&e, json_type()),
    };
    stream(export, params.one("bom").is_some(), "actions.csv").await
}

pub async fn history_csv(
    AxumState(state): AxumState<HttpState>,
    Query(params): Query<Vec<(String, String)>>,
    request: Request,
) -> Response {
    let (parts, _) = request.into_parts();
    let params = Params(params);
    let export = async {
        let filter = prepare(&state, &parts, &params, &["from", "to"]).await?;
        // Open ends: dates both engines store.
        let from = params
            .date("from")?
            .unwrap_or(NaiveDate::from_ymd_opt(1, 1, 1).unwrap_or(NaiveDate::MIN));
        let to = params
            .date("to")?
            .unwrap_or(NaiveDate::from_ymd_opt(9999, 12, 31).unwrap_or(NaiveDate::MAX));
        Ok::<_, AppError>(Export::History {
            db: state.db.clone(),
            filter,
            from,
            to,
            offset: 0,
            style: params.style(),
        })
    }
    .await;
    match export {
        Ok(export) => stream(export, params.one("bom").is_some(), "rag-history.csv").await,
        Err(e) => error_response(&e, json_type()),
    }
}

/// Sends the header and first rows (so that a failing query is a proper error response),
/// then streams the rest as it is read.
async fn stream(mut export: Export, bom: bool, file: &str) -> Response {
    let first = match export.next_chunk().await {
        Ok(rows) => rows,
        Err(e) => return error_response(&e, json_type()),
    };
    let mut head = String::new();
    if bom {
        // Spreadsheets guess the encoding without it; `bom=1` asks for it.
        head.push('\u{feff}');
    }
    head.push_str(&export.header());
    head.push_str(first.as_deref().unwrap_or(""));
    let done = first.is_none();
    let rest = futures_util::stream::unfold((export, done), |(mut export, done)| async move {
        if done {
            return None;
        }
        match export.next_chunk().await {
            Ok(Some(rows)) => Some((Ok::<_, std::io::Error>(rows), (export, false))),
            Ok(None) => None,
            Err(e) => {
                // Headers are gone: end the body early; the log says why.
                tracing::error!(error = %e.detail(), "CSV export failed mid-stream");
                Some((Err(std::io::Error::other("export failed")), (export, true)))
            }
        }
    });
    let body = futures_util::StreamExt::chain(
        futures_util::stream::once(async move { Ok::<_, std::io::Error>(head) }),
        rest,
    );
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file}\""),
            ),
        ],
        Body::from_stream(body),
    )
        .into_response()
}
