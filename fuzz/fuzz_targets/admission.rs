//! The server's request admission: a GraphQL document and its variables, from any bytes,
//! through the door's own parse, cost and bounds steps (`admission::check_document`), exactly
//! as every transport runs them before anything else.
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

use libfuzzer_sys::fuzz_target;
use plan_api::admission::{
    check_document, served_shape, Checking, DocumentCache, DoorLimits, Measure, SchemaShape, Seen,
    Turned,
};
use plan_api::config::{Limits, Serving};

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

/// What one input may take, in CPU time of the checking thread (so that other work on a shared
/// machine does not count): a fixed allowance plus a generous time per byte, some 10 to 50
/// times what this instrumented build needs per byte (2-11 µs; an optimised server build parses
/// at 0.5-2 µs a byte). `FUZZ_BUDGET_NS_PER_BYTE` changes it, 0 turns the check off. Far over
/// it means work that grows faster than the input: a super-linear path. A gross one only: a
/// quadratic cost with a small constant stays under it at libFuzzer's input sizes.
const BUDGET_FIXED: Duration = Duration::from_millis(100);
const BUDGET_NS_PER_BYTE: u64 = 100_000;

/// What the door prices documents against, and its limits: the server's own defaults.
struct Door {
    shape: SchemaShape,
    limits: DoorLimits,
}

fn door() -> &'static Door {
    static DOOR: OnceLock<Door> = OnceLock::new();
    DOOR.get_or_init(|| {
        // The shape is read from the schema's own introspection answer, which takes a runtime.
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("a runtime to read the schema");
        let shape = runtime.block_on(served_shape(&plan_api::graphql::bare_schema()));
        Door {
            shape,
            limits: Serving::defaults(Limits::new(100)).door,
        }
    })
}

/// The door's own steps 6 and 7 (`plan_api::admission::check_document`): the text's length,
/// tokens, names and nesting, the parse (kept, which clones it, as for an authenticated
/// client), the document's limits, the variables' shape, then the operation's cost and every
/// argument's bound. A fresh document cache each time, so that every input is parsed.
fn admit(
    door: &Door,
    text: &str,
    operation_name: Option<&str>,
    variables: Option<serde_json::Value>,
) -> Result<Option<Measure>, Turned> {
    let documents = DocumentCache::default();
    let checking = Checking {
        shape: &door.shape,
        limits: &door.limits,
        documents: &documents,
        anonymous: false,
        reads_only: false,
    };
    let mut seen = Seen::default();
    check_document(&checking, text, operation_name, variables, &mut seen).map(|_| seen.measure)
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

struct Settings {
    ns_per_byte: u64,
}

fn settings() -> &'static Settings {
    static SETTINGS: OnceLock<Settings> = OnceLock::new();
    SETTINGS.get_or_init(|| Settings {
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
