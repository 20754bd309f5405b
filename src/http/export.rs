//! `GET /export/actions.csv` and `GET /export/rag-history.csv`: the same token, scope and
//! filters as the API (filters as query parameters: lists comma-separated or repeated).
use axum::{
    body::Body,
    extract::{Query, State as AxumState},
    http::{header, HeaderMap, StatusCode},
    response::{IntoResponse, Response},
};
use chrono::NaiveDate;

use super::{error_response, principal, HttpState};
use crate::actions::LifecycleState;
use crate::actions::{self, ActionFilter};
use crate::auth::Principal;
use crate::error::{AppError, AppResult, Refusal};
use crate::export::Export;
use crate::limits::rate::Caller;
use crate::objects;
use crate::plans::catalogue::Catalogues;
use crate::rag::RagStatus;

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

/// Exports have no introspection to answer: a token is required. They draw on the same token
/// bucket as GraphQL requests.
fn authenticate(state: &HttpState, headers: &HeaderMap) -> AppResult<Principal> {
    let who = principal(state, headers)?
        .ok_or_else(|| AppError::Unauthenticated("send `Authorization: Bearer <token>`".into()))?;
    if let Some(d) = state
        .serving
        .rate
        .check(Caller::Subject(who.role, &who.sub))
        .filter(|d| !d.allowed)
    {
        return Err(AppError::Refused(Refusal::RateLimited {
            retry_after_secs: d.retry_after_secs,
        }));
    }
    Ok(who)
}

/// Query parameters, lists split on commas and repeated keys merged.
struct Params(Vec<(String, String)>);

impl Params {
    fn check_known(&self, extra: &[&str]) -> AppResult<()> {
        for (k, _) in &self.0 {
            if k != "plan"
                && k != "bom"
                && !FILTER_PARAMS.contains(&k.as_str())
                && !extra.contains(&k.as_str())
            {
                return Err(AppError::bad_input(format!(
                    "unknown parameter {k:?}; use plan, bom, {}{}",
                    FILTER_PARAMS.join(", "),
                    extra.iter().map(|e| format!(", {e}")).collect::<String>()
                )));
            }
        }
        Ok(())
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
                        "`{key}` must be a date like 2013-01-31, not {v:?}"
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
                            AppError::bad_input(format!("`themes` are numbers, not {t:?}"))
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
                                "unknown RAG status {s:?}; use RED, AMBER, GREEN, GREY, BLUE"
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
                    "`state` is ACTIVE or REMOVED, not {other:?}"
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

/// Authenticates, resolves the plan and the filter within the caller's scope.
async fn prepare(
    state: &HttpState,
    headers: &HeaderMap,
    params: &Params,
    extra: &[&str],
) -> AppResult<actions::ResolvedFilter> {
    let who = authenticate(state, headers)?;
    params.check_known(extra)?;
    let slug = params
        .one("plan")
        .ok_or_else(|| AppError::bad_input("`plan` (a plan slug) is required"))?;
    let cats = Catalogues::new(state.db.clone(), state.catalogues.clone());
    let cat = objects::visible_plan(&cats, &who, slug)
        .await?
        .ok_or_else(|| AppError::not_found(format!("no plan {slug:?}")))?;
    let filter = params.filter()?;
    Ok(actions::resolve_filter(&cat, &filter)?.within(who.visible_actions()))
}

pub async fn actions_csv(
    AxumState(state): AxumState<HttpState>,
    headers: HeaderMap,
    Query(params): Query<Vec<(String, String)>>,
) -> Response {
    let params = Params(params);
    let export = match prepare(&state, &headers, &params, &[]).await {
        Ok(filter) => Export::Actions {
            db: state.db.clone(),
            filter,
            offset: 0,
            today: state.clock.today(),
            spreadsheet: params.one("bom").is_some(),
        },
        Err(e) => return error_response(&e),
    };
    stream(export, params.one("bom").is_some(), "actions.csv").await
}

pub async fn history_csv(
    AxumState(state): AxumState<HttpState>,
    headers: HeaderMap,
    Query(params): Query<Vec<(String, String)>>,
) -> Response {
    let params = Params(params);
    let export = async {
        let filter = prepare(&state, &headers, &params, &["from", "to"]).await?;
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
            spreadsheet: params.one("bom").is_some(),
        })
    }
    .await;
    match export {
        Ok(export) => stream(export, params.one("bom").is_some(), "rag-history.csv").await,
        Err(e) => error_response(&e),
    }
}

/// Sends the header and first rows (so that a failing query is a proper error response),
/// then streams the rest as it is read.
async fn stream(mut export: Export, bom: bool, file: &str) -> Response {
    let first = match export.next_chunk().await {
        Ok(rows) => rows,
        Err(e) => return error_response(&e),
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
