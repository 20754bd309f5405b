//! An adversarial suite: documents generated from the served SDL (valid, near-valid, with
//! adversarial values, introspection shapes), raw bodies and protocol messages, sent over POST,
//! GET, WebSocket and the CSV exports by every kind of caller, each answer held to the same
//! properties (`check`): the server stays up and serves others meanwhile, no 5xx but 504, no
//! INTERNAL, every error coded and its message bounded, refusals fast and small, answers
//! within the request timeout.
//!
//! Runs are seeded and budgeted: `PLAN_API_ADVERSARIAL_SEED` (default 2012) and
//! `PLAN_API_ADVERSARIAL_SECONDS` (default 18: per engine, for the generated cases; the
//! regressions run in full every time). `PLAN_API_ADVERSARIAL_CASE=post:ordinary:17` replays one
//! case (the report prints the id); `PLAN_API_ADVERSARIAL_TARGET=child` runs the same generated
//! cases against the real binary in a child process (to pin down a case that killed the test
//! process: the case in flight is always in `$TMPDIR/plan-api-adversarial/in-flight-*.json`).
//!
//! Cases that can kill the server's process (`cases::CRASH_PRONE`, and the crash-prone
//! regressions) only ever run against the binary in a child process, where a crash is a
//! reported failure (and the server is started again) instead of the end of the test binary.
mod cases;
mod check;
mod client;
mod gen;
mod regressions;
mod rng;
mod run;
mod schema;
mod values;

use std::sync::LazyLock;
use std::time::Duration;

use crate::helpers::{apply, both_engines, Engine};
use cases::{Pool, Transport};
use run::{Plan, Server, Target};

/// The suite's tests take turns, so that one's load does not time another's refusals.
static TURN: LazyLock<tokio::sync::Mutex<()>> = LazyLock::new(|| tokio::sync::Mutex::new(()));

fn seed() -> u64 {
    std::env::var("PLAN_API_ADVERSARIAL_SEED")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(2012)
}

fn seconds() -> f64 {
    std::env::var("PLAN_API_ADVERSARIAL_SECONDS")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(18.0)
}

/// `post:ordinary:17` → the case to replay, if one is asked for.
fn only() -> Option<(Transport, Pool, u64)> {
    let v = std::env::var("PLAN_API_ADVERSARIAL_CASE").ok()?;
    let mut parts = v.trim().split(':');
    let t = Transport::parse(parts.next()?)?;
    let pool = match parts.next()? {
        "ordinary" => Pool::Ordinary,
        "crash-prone" => Pool::CrashProne,
        _ => return None,
    };
    Some((t, pool, parts.next()?.parse().ok()?))
}

fn shares() -> Vec<(Transport, f64)> {
    // A WebSocket case costs a connection and a quiet period, a CSV case a millisecond: shares
    // of time, so that each transport gets a fair number of cases.
    vec![
        (Transport::Post, 0.38),
        (Transport::Get, 0.20),
        (Transport::Ws, 0.32),
        (Transport::Csv, 0.10),
    ]
}

fn finish(report: &run::Report) {
    report.print();
    assert!(
        report.failures.is_empty(),
        "the adversarial suite {} (seed {}) broke properties:\n{}",
        report.name,
        report.seed,
        report.failure_text()
    );
}

/// The generated cases, in this process (the crash-prone families left out), or against the
/// binary with `PLAN_API_ADVERSARIAL_TARGET=child`.
#[apply(both_engines)]
async fn adversarial_generated_cases(on: Engine) {
    let Some(engine) = on.available() else { return };
    let _turn = TURN.lock().await;
    let child = std::env::var("PLAN_API_ADVERSARIAL_TARGET").is_ok_and(|t| t == "child");
    let (target, pool) = if child {
        (Target::Child, Pool::Ordinary)
    } else {
        (Target::InProcess, Pool::Ordinary)
    };
    let only = only();
    if only.is_some_and(|(_, p, _)| p != pool) {
        return;
    }
    let schema = schema::Schema::served();
    let mut server = Server::start(engine, target).await;
    let plan = Plan {
        name: if child {
            "generated cases, child process"
        } else {
            "generated cases, in process"
        },
        seed: seed(),
        budget: Duration::from_secs_f64(seconds() * 0.75),
        pool,
        shares: shares(),
        only: only.map(|(t, _, i)| (t, i)),
    };
    let report = run::run(&mut server, &schema, &plan).await;
    finish(&report);
}

/// The crash-prone families, against the real binary in a child process: a stack overflow
/// there is a reported failure, and the server is started again for the next case.
#[apply(both_engines)]
async fn adversarial_crash_prone_cases_in_a_child_process(on: Engine) {
    let Some(engine) = on.available() else { return };
    let _turn = TURN.lock().await;
    let only = only();
    if only.is_some_and(|(_, p, _)| p != Pool::CrashProne) {
        return;
    }
    let schema = schema::Schema::served();
    let mut server = Server::start(engine, Target::Child).await;
    let plan = Plan {
        name: "crash-prone cases, child process",
        seed: seed(),
        budget: Duration::from_secs_f64(seconds() * 0.25),
        pool: Pool::CrashProne,
        shares: vec![
            (Transport::Post, 0.5),
            (Transport::Ws, 0.2),
            (Transport::Csv, 0.3),
        ],
        only: only.map(|(t, _, i)| (t, i)),
    };
    let report = run::run(&mut server, &schema, &plan).await;
    finish(&report);
}

/// Every input that once found a fault, in process (those that cannot crash it).
#[apply(both_engines)]
async fn adversarial_regressions(on: Engine) {
    let Some(engine) = on.available() else { return };
    let _turn = TURN.lock().await;
    if only().is_some() {
        return;
    }
    let failures = regressions::run(engine, false).await;
    assert!(
        failures.is_empty(),
        "regressions failed:\n{}",
        failures.join("\n")
    );
}

/// The regressions that can crash the server, against the binary in a child process.
#[apply(both_engines)]
async fn adversarial_crash_regressions_in_a_child_process(on: Engine) {
    let Some(engine) = on.available() else { return };
    let _turn = TURN.lock().await;
    if only().is_some() {
        return;
    }
    let failures = regressions::run(engine, true).await;
    assert!(
        failures.is_empty(),
        "crash-prone regressions failed:\n{}",
        failures.join("\n")
    );
}
