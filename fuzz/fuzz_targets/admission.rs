//! The server's request admission: a GraphQL document and its variables, from any bytes, parsed
//! and measured against the cost limits as `http::graphql` does before anything runs.
//!
//! The property: whatever a client sends (the body limit is 2 MiB), admission answers. No
//! panic, no stack overflow on a server worker's stack (tokio's 2 MiB; see `CHECK_STACK`), no
//! hang (libFuzzer's `-timeout`), and time roughly linear in the input's size
//! (a panic when one input takes far longer than its length explains, see `budget`).
//!
//! The input: `document [NUL variables-JSON [NUL operation-name]]`. A seed without a NUL is a
//! document alone (`fuzz/corpus/admission/*.graphql` are plain documents). Variables that are not
//! a JSON object are dropped, as the server answers BAD_REQUEST for them before parsing.
#![no_main]

use std::sync::{Once, OnceLock};
use std::time::Duration;

use async_graphql::Variables;
use libfuzzer_sys::fuzz_target;
use plan_api::error::Refusal;
use plan_api::graphql::DocumentCache;
use plan_api::limits::{cost, CostLimits, Measure, SchemaShape};

/// Tokio's default worker stack: the server's runtime is `Runtime::new()`, so a request is
/// parsed and measured on a stack of this size.
const SERVER_STACK: usize = 2 * 1024 * 1024;
/// The stack the check runs on here: half the server's, because this instrumented build's
/// frames are smaller than an optimised server's. Measured on `parse::parse_value`: a list
/// nested 2,700 deep overflows 2 MiB here, 1,550 in `cargo build --release` (1,620 in the dev
/// profile); on 1 MiB this build overflows at about 1,300, so it finds what would abort the
/// server, with some margin.
const CHECK_STACK: usize = SERVER_STACK / 2;

/// The stack libFuzzer's crash handler runs on when the check overflows its own.
const SIGNAL_STACK: usize = 256 * 1024;

/// Documents nested deeper than this (brackets and braces, outside strings and comments) are
/// skipped unless `FUZZ_DEEP_VALUES=1`: async-graphql-parser 7.2.1 turns a nested list or object
/// value into a `Value` by recursion without a limit (`parse::parse_value`), so a list 1,550
/// deep or an object 1,200 deep overflows a 2 MiB stack in a release server (here, on
/// `CHECK_STACK`: 1,300 and 650). Without the skip every run stops at once on that one known
/// crash (fuzz/README.md). Selection sets deeper than 64 are refused by the parser itself, so
/// the skip hides nothing else. Remove it when admission refuses deep values.
const KNOWN_OVERFLOW_DEPTH: usize = 256;

/// What one input may take, in CPU time of the checking thread (so that other work on a shared
/// machine does not count): a fixed allowance plus a generous time per byte, some 10 to 50
/// times what this instrumented build needs per byte (2-11 µs; an optimised server build parses
/// at 0.5-2 µs a byte). `FUZZ_BUDGET_NS_PER_BYTE` changes it, 0 turns the check off. Far over
/// it means work that grows faster than the input: a super-linear path. A gross one only: a
/// quadratic cost with a small constant stays under it at libFuzzer's input sizes.
const BUDGET_FIXED: Duration = Duration::from_millis(100);
const BUDGET_NS_PER_BYTE: u64 = 100_000;

/// The server's default limits (`config::defaults`).
fn limits() -> CostLimits {
    CostLimits {
        max_cost: 50_000,
        max_nodes: 10_000,
        max_depth: 12,
        max_aliases: 30,
        max_root_fields: 20,
        list_estimate: 10,
        default_page_size: 50,
        max_page_size: 100,
    }
}

struct Door {
    shape: SchemaShape,
    limits: CostLimits,
}

fn door() -> &'static Door {
    static DOOR: OnceLock<Door> = OnceLock::new();
    DOOR.get_or_init(|| Door {
        shape: SchemaShape::from_sdl(&plan_api::graphql::sdl()),
        limits: limits(),
    })
}

/// Why a request was not admitted. When admission moves into one function, this becomes its
/// error type.
#[derive(Debug)]
#[allow(dead_code)] // read only by `Debug`
enum NotAdmitted {
    Parse(async_graphql::parser::Error),
    NoOperation,
    Limit(Refusal),
}

/// The server's admission checks, in its order: the document parsed (and kept, which clones
/// it, as for an authenticated client), the operation selected, measured and checked. The one
/// call to repoint at `plan_api::admission::check_document(&door, text, operation_name,
/// variables_json)` when that exists.
fn admit(
    door: &Door,
    text: &str,
    operation_name: Option<&str>,
    variables: Option<serde_json::Value>,
) -> Result<Measure, NotAdmitted> {
    let variables = variables.map(Variables::from_json).unwrap_or_default();
    let documents = DocumentCache::default();
    let doc = documents.parse(text, true).map_err(NotAdmitted::Parse)?;
    let op = cost::select_operation(&doc, operation_name).ok_or(NotAdmitted::NoOperation)?;
    let measure = plan_api::limits::measure(&door.shape, &door.limits, &doc, &op.node, &variables);
    door.limits.check(&measure).map_err(NotAdmitted::Limit)?;
    Ok(measure)
}

/// The request's parts: document, variables (a JSON object, or none), operation name.
fn split(data: &[u8]) -> (String, Option<serde_json::Value>, Option<String>) {
    let mut parts = data.splitn(3, |&b| b == 0);
    let text = String::from_utf8_lossy(parts.next().unwrap_or_default()).into_owned();
    let variables = parts
        .next()
        .and_then(|v| serde_json::from_slice::<serde_json::Value>(v).ok())
        .filter(|v| v.is_object() || v.is_null());
    let name = parts
        .next()
        .map(|n| String::from_utf8_lossy(n).into_owned());
    (text, variables, name)
}

/// The deepest nesting of `[`, `{` and `(` outside strings and comments (roughly: enough to
/// tell a deep value from a real document).
fn nesting(text: &str) -> usize {
    let (mut depth, mut deepest) = (0usize, 0usize);
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            '[' | '{' | '(' => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            ']' | '}' | ')' => depth = depth.saturating_sub(1),
            '#' => {
                for c in chars.by_ref() {
                    if c == '\n' || c == '\r' {
                        break;
                    }
                }
            }
            '"' => {
                let mut escaped = false;
                for c in chars.by_ref() {
                    match c {
                        '\\' if !escaped => escaped = true,
                        '"' if !escaped => break,
                        _ => escaped = false,
                    }
                }
            }
            _ => {}
        }
    }
    deepest
}

struct Settings {
    deep_values: bool,
    ns_per_byte: u64,
}

fn settings() -> &'static Settings {
    static SETTINGS: OnceLock<Settings> = OnceLock::new();
    SETTINGS.get_or_init(|| Settings {
        deep_values: std::env::var("FUZZ_DEEP_VALUES").is_ok_and(|v| v == "1"),
        ns_per_byte: std::env::var("FUZZ_BUDGET_NS_PER_BYTE")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(BUDGET_NS_PER_BYTE),
    })
}

/// Makes a stack overflow in `f` a crash libFuzzer reports and saves. Without a sanitizer
/// nothing gives libFuzzer's SIGSEGV handler a stack of its own (Rust's runtime, which would,
/// does not start: libFuzzer has the `main`), so on an overflow the handler faults again on the
/// exhausted stack and the process dies with no artifact. Here the handler is marked
/// `SA_ONSTACK` and the checking thread gets an alternate signal stack.
fn with_signal_stack<R>(f: impl FnOnce() -> R) -> R {
    static ON_STACK: Once = Once::new();
    ON_STACK.call_once(|| {
        for signal in [libc::SIGSEGV, libc::SIGBUS] {
            // SAFETY: reads and rewrites the installed action with one more flag.
            unsafe {
                let mut action: libc::sigaction = std::mem::zeroed();
                if libc::sigaction(signal, std::ptr::null(), &mut action) == 0 {
                    action.sa_flags |= libc::SA_ONSTACK;
                    libc::sigaction(signal, &action, std::ptr::null_mut());
                }
            }
        }
    });
    struct AltStack(#[allow(dead_code)] Vec<u8>);
    impl Drop for AltStack {
        fn drop(&mut self) {
            let off = libc::stack_t {
                ss_sp: std::ptr::null_mut(),
                ss_flags: libc::SS_DISABLE,
                ss_size: 0,
            };
            // SAFETY: turns this thread's alternate stack off before its memory is freed.
            unsafe { libc::sigaltstack(&off, std::ptr::null_mut()) };
        }
    }
    let mut memory = vec![0u8; SIGNAL_STACK];
    let stack = libc::stack_t {
        ss_sp: memory.as_mut_ptr().cast(),
        ss_flags: 0,
        ss_size: memory.len(),
    };
    // SAFETY: `memory` outlives the registration (`AltStack` turns it off first).
    unsafe { libc::sigaltstack(&stack, std::ptr::null_mut()) };
    let _registered = AltStack(memory);
    f()
}

/// The CPU time this thread has used.
fn thread_cpu_time() -> Duration {
    let mut t = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: writes the clock's value into `t`.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut t) };
    Duration::new(t.tv_sec as u64, t.tv_nsec as u32)
}

fn budget(len: usize, ns_per_byte: u64) -> Duration {
    BUDGET_FIXED + Duration::from_nanos(ns_per_byte.saturating_mul(len as u64))
}

fuzz_target!(|data: &[u8]| {
    let door = door();
    let settings = settings();
    let (text, variables, name) = split(data);
    if !settings.deep_values && nesting(&text) > KNOWN_OVERFLOW_DEPTH {
        return;
    }
    // On a stack like the server's: a stack overflow there aborts the process (and the fuzzer
    // saves the input); a panic is carried back to this thread, where libFuzzer sees it.
    let outcome = std::thread::scope(|s| {
        std::thread::Builder::new()
            .name("admission".into())
            .stack_size(CHECK_STACK)
            .spawn_scoped(s, || {
                with_signal_stack(|| {
                    let start = thread_cpu_time();
                    let answer = admit(door, &text, name.as_deref(), variables);
                    (answer.is_ok(), thread_cpu_time().saturating_sub(start))
                })
            })
            .expect("a thread for the check")
            .join()
    });
    let (_admitted, took) = match outcome {
        Ok(o) => o,
        Err(panic) => std::panic::resume_unwind(panic),
    };
    if settings.ns_per_byte > 0 {
        let allowed = budget(data.len(), settings.ns_per_byte);
        assert!(
            took <= allowed,
            "super-linear? {} bytes took {took:?} of CPU, allowed {allowed:?}",
            data.len()
        );
    }
});
