//! Token buckets per token subject, sized by role; requests without a token (introspection,
//! which is all they can run) by client IP.
//!
//! The buckets live in this process's memory: with several replicas behind a load balancer, a
//! subject gets each replica's allowance. That is deliberate (no shared store on the request
//! path) and documented; size the per-role rates for one replica.
//!
//! Each role has its own sharded map (`DashMap`), keyed by the subject as it stands in the
//! token, so a lookup neither allocates nor takes a global lock. Full, idle buckets are dropped
//! by `sweep`, run once a minute, so the maps hold only recently active callers.
use std::net::IpAddr;
use std::time::{Duration, Instant};

use dashmap::DashMap;

use crate::auth::Role;

/// One role's allowance: `burst` requests at once, refilled at `per_second`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateRule {
    pub per_second: f64,
    pub burst: f64,
}

/// The allowance of each role and of callers without a token; `None` is unlimited.
#[derive(Debug, Clone, PartialEq)]
pub struct RatePolicy {
    pub roles: [Option<RateRule>; 5],
    pub anonymous: Option<RateRule>,
}

/// The defaults: a person in GraphiQL or a dashboard stays far below them, a runaway script
/// does not. Integration accounts send batches, so they get more.
pub const DEFAULT_RATE_LIMITS: &str =
    "admin=20/s:60,viewer=20/s:60,lead=20/s:60,integration=50/s:100,partner=10/s:30,anonymous=5/s:20";

impl RatePolicy {
    pub fn unlimited() -> Self {
        Self {
            roles: [None; 5],
            anonymous: None,
        }
    }

    /// Parses `role=RATE[:BURST],...` where RATE is `N/s`, `N/m` or `N/h` and BURST defaults to
    /// RATE's N; `role=off` (or the whole value `off`) lifts a limit. Roles not named keep the
    /// defaults.
    pub fn parse(spec: &str) -> Result<Self, String> {
        let spec = spec.trim();
        if spec.eq_ignore_ascii_case("off") {
            return Ok(Self::unlimited());
        }
        let mut policy = if spec == DEFAULT_RATE_LIMITS {
            Self::unlimited()
        } else {
            Self::parse(DEFAULT_RATE_LIMITS)?
        };
        for entry in spec.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            let (who, rule) = entry
                .split_once('=')
                .ok_or_else(|| format!("rate limit {entry:?}: expected role=N/s[:burst]"))?;
            let rule = parse_rule(rule.trim()).map_err(|e| format!("rate limit {entry:?}: {e}"))?;
            let who = who.trim();
            if who == "anonymous" {
                policy.anonymous = rule;
            } else {
                let role = Role::parse(who).ok_or_else(|| {
                    format!(
                        "rate limit {entry:?}: unknown role {who:?} \
                         (admin, viewer, lead, integration, partner, anonymous)"
                    )
                })?;
                policy.roles[role_index(role)] = rule;
            }
        }
        Ok(policy)
    }
}

fn parse_rule(s: &str) -> Result<Option<RateRule>, String> {
    if s.eq_ignore_ascii_case("off") {
        return Ok(None);
    }
    let (rate, burst) = match s.split_once(':') {
        Some((r, b)) => (r, Some(b)),
        None => (s, None),
    };
    let (n, unit) = rate
        .split_once('/')
        .ok_or_else(|| "expected N/s, N/m or N/h".to_string())?;
    let n: f64 = n
        .trim()
        .parse()
        .map_err(|_| format!("{n:?} is not a number"))?;
    let seconds = match unit.trim() {
        "s" => 1.0,
        "m" | "min" => 60.0,
        "h" => 3600.0,
        u => return Err(format!("unknown unit {u:?} (s, m, h)")),
    };
    let burst = match burst {
        Some(b) => b
            .trim()
            .parse::<f64>()
            .map_err(|_| format!("burst {b:?} is not a number"))?,
        None => n,
    };
    if n <= 0.0 || burst < 1.0 || !n.is_finite() || !burst.is_finite() {
        return Err("rate must be positive and burst at least 1".into());
    }
    Ok(Some(RateRule {
        per_second: n / seconds,
        burst,
    }))
}

fn role_index(role: Role) -> usize {
    match role {
        Role::Admin => 0,
        Role::Viewer => 1,
        Role::Lead => 2,
        Role::Integration => 3,
        Role::Partner => 4,
    }
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

impl Bucket {
    fn refill(&mut self, rule: &RateRule, now: Instant) {
        let elapsed = now.saturating_duration_since(self.at).as_secs_f64();
        self.tokens = (self.tokens + elapsed * rule.per_second).min(rule.burst);
        self.at = now;
    }
}

/// The outcome of taking one token: what the `RateLimit-*` headers say.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateDecision {
    pub allowed: bool,
    /// The bucket's size (`RateLimit-Limit`).
    pub limit: u64,
    /// Whole requests left now (`RateLimit-Remaining`).
    pub remaining: u64,
    /// Seconds until the bucket is full again (`RateLimit-Reset`).
    pub reset_secs: u64,
    /// Seconds until the next request is allowed (`Retry-After`), when refused.
    pub retry_after_secs: u64,
}

/// Who a request is counted against.
pub enum Caller<'a> {
    Subject(Role, &'a str),
    Anonymous(IpAddr),
}

pub struct RateLimiter {
    policy: RatePolicy,
    subjects: [DashMap<String, Bucket>; 5],
    addresses: DashMap<IpAddr, Bucket>,
}

impl RateLimiter {
    pub fn new(policy: RatePolicy) -> Self {
        Self {
            policy,
            subjects: Default::default(),
            addresses: DashMap::new(),
        }
    }

    /// Takes one token from the caller's bucket; `None` when the caller is unlimited.
    pub fn check(&self, caller: Caller<'_>) -> Option<RateDecision> {
        let now = Instant::now();
        match caller {
            Caller::Subject(role, sub) => {
                let rule = self.policy.roles[role_index(role)]?;
                let map = &self.subjects[role_index(role)];
                // The common case (a known subject) takes one shard's write lock and allocates
                // nothing; only a new subject's first request allocates its key.
                let decision = match map.get_mut(sub) {
                    Some(mut b) => take(&mut b, &rule, now),
                    None => {
                        let mut entry = map.entry(sub.to_owned()).or_insert(Bucket {
                            tokens: rule.burst,
                            at: now,
                        });
                        take(&mut entry, &rule, now)
                    }
                };
                Some(decision)
            }
            Caller::Anonymous(ip) => {
                let rule = self.policy.anonymous?;
                let mut entry = self.addresses.entry(ip).or_insert(Bucket {
                    tokens: rule.burst,
                    at: now,
                });
                Some(take(&mut entry, &rule, now))
            }
        }
    }

    /// Drops buckets that have refilled completely: their callers have been idle long enough
    /// that a fresh bucket is the same thing.
    pub fn sweep(&self) {
        let now = Instant::now();
        for (i, map) in self.subjects.iter().enumerate() {
            if let Some(rule) = self.policy.roles[i] {
                map.retain(|_, b| {
                    b.refill(&rule, now);
                    b.tokens < rule.burst
                });
            }
        }
        if let Some(rule) = self.policy.anonymous {
            self.addresses.retain(|_, b| {
                b.refill(&rule, now);
                b.tokens < rule.burst
            });
        }
    }

    /// Callers with a bucket right now (for `/metrics`).
    pub fn tracked(&self) -> usize {
        self.subjects.iter().map(DashMap::len).sum::<usize>() + self.addresses.len()
    }
}

fn take(b: &mut Bucket, rule: &RateRule, now: Instant) -> RateDecision {
    b.refill(rule, now);
    let allowed = b.tokens >= 1.0;
    if allowed {
        b.tokens -= 1.0;
    }
    let secs = |missing: f64| (missing / rule.per_second).ceil().max(0.0) as u64;
    RateDecision {
        allowed,
        limit: rule.burst as u64,
        remaining: b.tokens.floor() as u64,
        reset_secs: secs(rule.burst - b.tokens),
        retry_after_secs: if allowed {
            0
        } else {
            secs(1.0 - b.tokens).max(1)
        },
    }
}

/// How often `sweep` runs.
pub const SWEEP_EVERY: Duration = Duration::from_secs(60);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_policy_limits_every_role() {
        let p = RatePolicy::parse(DEFAULT_RATE_LIMITS).expect("defaults parse");
        assert!(p.roles.iter().all(Option::is_some));
        assert_eq!(
            p.anonymous,
            Some(RateRule {
                per_second: 5.0,
                burst: 20.0
            })
        );
    }

    #[test]
    fn named_roles_override_the_defaults_and_off_lifts_a_limit() {
        let p = RatePolicy::parse("partner=120/m:5, integration=off").expect("parses");
        assert_eq!(
            p.roles[role_index(Role::Partner)],
            Some(RateRule {
                per_second: 2.0,
                burst: 5.0
            })
        );
        assert_eq!(p.roles[role_index(Role::Integration)], None);
        assert!(p.roles[role_index(Role::Admin)].is_some());
        assert_eq!(RatePolicy::parse("off"), Ok(RatePolicy::unlimited()));
    }

    #[test]
    fn bad_specs_say_what_is_wrong() {
        for (spec, needle) in [
            ("boss=1/s", "unknown role"),
            ("admin=1/d", "unknown unit"),
            ("admin=x/s", "not a number"),
            ("admin", "expected role="),
            ("admin=0/s", "positive"),
        ] {
            let err = RatePolicy::parse(spec).expect_err(spec);
            assert!(err.contains(needle), "{spec}: {err}");
        }
    }

    #[test]
    fn a_bucket_empties_then_refills() {
        let limiter = RateLimiter::new(RatePolicy::parse("admin=10/s:3").expect("parses"));
        let who = || Caller::Subject(Role::Admin, "a");
        for left in [2, 1, 0] {
            let d = limiter.check(who()).expect("limited");
            assert!(d.allowed);
            assert_eq!(d.remaining, left);
            assert_eq!(d.limit, 3);
        }
        let d = limiter.check(who()).expect("limited");
        assert!(!d.allowed);
        assert_eq!(d.retry_after_secs, 1);
        // Another subject has a bucket of its own.
        assert!(
            limiter
                .check(Caller::Subject(Role::Admin, "b"))
                .expect("limited")
                .allowed
        );
        std::thread::sleep(Duration::from_millis(150));
        assert!(limiter.check(who()).expect("limited").allowed);
        assert_eq!(limiter.tracked(), 2);
    }

    #[test]
    fn idle_full_buckets_are_swept() {
        let limiter = RateLimiter::new(RatePolicy::parse("viewer=1000/s:2").expect("parses"));
        limiter.check(Caller::Subject(Role::Viewer, "v"));
        std::thread::sleep(Duration::from_millis(10));
        limiter.sweep();
        assert_eq!(limiter.tracked(), 0);
    }
}
