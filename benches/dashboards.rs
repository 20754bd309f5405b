//! Dashboard and list queries over the synthetic dataset (150 plans, ~18,900 actions, ~920,000
//! history rows), end to end over HTTP against the real server.
//!
//! ```sh
//! cargo bench --bench dashboards                                   # SQLite, target/bench/
//! BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/plan_bench cargo bench --bench dashboards
//! ```
//! The dataset is generated on first use (`plan-api generate` makes the same one) and reused.
//! `BENCH_PLANS`, `BENCH_UPDATES` and `BENCH_ITERATIONS` change its size and the sample count.
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use plan_api::auth::{AuthSettings, KeySource, Role, TokenRequest};
use plan_api::config::Limits;
use plan_api::startup::App;
use serde_json::{json, Value};

const SECRET: &str = "plan-api-bench-secret-0123456789abcdef0123456789";

fn env_or<T: std::str::FromStr>(key: &str, default: T) -> T {
    std::env::var(key)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(run());
}

async fn run() {
    let url = std::env::var("BENCH_DATABASE_URL").unwrap_or_else(|_| {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/target/bench");
        format!("sqlite://{dir}/plan-bench.sqlite?mode=rwc")
    });
    let plans = env_or("BENCH_PLANS", 150usize);
    let updates = env_or("BENCH_UPDATES", 48usize);
    let iterations = env_or("BENCH_ITERATIONS", 30usize);

    let mut db = plan_api::db::connect(&url).await.expect("connect");
    plan_api::db::prepare(&db).await.expect("migrate");
    let generated = plan_api::plans::synthetic::generate(&db, plans, updates, 1)
        .await
        .map_err(|e| e.detail())
        .expect("generate");
    println!(
        "dataset: {} ({} plans created, {} present): {} actions, {} history rows; generation {:.1} s",
        url.split('?').next().unwrap_or(&url),
        generated.plans_created,
        generated.plans_present,
        generated.actions,
        generated.history_rows,
        generated.seconds
    );

    let statements = Arc::new(AtomicUsize::new(0));
    let counter = statements.clone();
    db.set_metric_callback(move |_| {
        counter.fetch_add(1, Ordering::Relaxed);
    });
    let auth = AuthSettings {
        key: KeySource::Secret(SECRET.into()),
        issuer: "plan-api".into(),
        audience: "plan-api".into(),
    };
    let token = auth
        .issuer()
        .expect("issuer")
        .issue(&TokenRequest {
            sub: "bench".into(),
            role: Role::Viewer,
            name: None,
            leads: vec![],
            workstreams: vec![],
            plans: vec![],
            ttl: Duration::from_secs(3600),
        })
        .expect("token");
    let verifier = Arc::new(auth.verifier().expect("verifier"));
    let app = App::build(
        db,
        "127.0.0.1:0".parse().expect("addr"),
        Limits::new(100),
        verifier,
    )
    .await
    .expect("bind");
    let addr = app.local_addr().expect("addr");
    tokio::spawn(app.run_until(std::future::pending()));
    let client = reqwest::Client::new();
    let endpoint = format!("http://{addr}/graphql");

    let plan = "synthetic-077";
    let queries: Vec<(&str, String)> = vec![
        ("ragSummary by theme, now", format!("{{ plan(slug: \"{plan}\") {{ ragSummary(groupBy: THEME) {{ total groups {{ key counts {{ status count }} }} }} }} }}")),
        ("ragSummary by lead, asOf", format!("{{ plan(slug: \"{plan}\") {{ ragSummary(groupBy: LEAD, asOf: \"2014-06-30\") {{ total groups {{ key counts {{ status count }} }} }} }} }}")),
        ("ragTrend 49 fortnights by theme", format!("{{ plan(slug: \"{plan}\") {{ ragTrend(from: \"2013-01-31\", to: \"2014-12-31\", interval: FORTNIGHT, groupBy: THEME) {{ asOf total groups {{ key counts {{ status count }} }} }} }} }}")),
        ("ragTrend 23 months by work stream", format!("{{ plan(slug: \"{plan}\") {{ ragTrend(from: \"2013-01-31\", to: \"2014-12-31\", interval: MONTH, groupBy: WORKSTREAM) {{ asOf total groups {{ key total }} }} }} }}")),
        ("overdue + stale asOf, 50 each", format!("{{ plan(slug: \"{plan}\") {{ overdue(asOf: \"2014-01-01\", first: 50) {{ totalCount nodes {{ code dueDate daysOverdue(asOf: \"2014-01-01\") }} }} stale(days: 28, asOf: \"2014-06-30\", first: 50) {{ totalCount nodes {{ code }} }} }} }}")),
        ("ragChanges, one quarter, 100", format!("{{ plan(slug: \"{plan}\") {{ ragChanges(from: \"2014-01-01\", to: \"2014-03-31\", first: 100) {{ totalCount edges {{ node {{ action {{ code }} ragUpdate {{ status previousStatus }} }} }} }} }} }}")),
        ("actions page of 100 with relations", format!("{{ plan(slug: \"{plan}\") {{ actions(first: 100) {{ totalCount nodes {{ code theme {{ number }} workstream {{ name }} leads {{ code }} rag {{ status }} ragAsOf(date: \"2014-01-01\") {{ status }} daysInStatus ragHistory(first: 5) {{ edges {{ node {{ status }} }} }} }} }} }} }}")),
    ];

    println!(
        "{:<40} {:>9} {:>9} {:>9} {:>11}",
        "query", "p50 ms", "p95 ms", "max ms", "statements"
    );
    for (name, query) in &queries {
        let body = json!({ "query": query });
        let send = || async {
            let res: Value = client
                .post(&endpoint)
                .bearer_auth(&token)
                .json(&body)
                .send()
                .await
                .expect("request")
                .json()
                .await
                .expect("json");
            assert!(res.get("errors").is_none(), "{name}: {res}");
        };
        for _ in 0..3 {
            send().await;
        }
        let mut times = Vec::with_capacity(iterations);
        statements.store(0, Ordering::Relaxed);
        for _ in 0..iterations {
            let t = Instant::now();
            send().await;
            times.push(t.elapsed());
        }
        let per_request = statements.load(Ordering::Relaxed) as f64 / iterations as f64;
        times.sort();
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        let p = |q: f64| ms(times[((times.len() as f64 - 1.0) * q).round() as usize]);
        println!(
            "{:<40} {:>9.2} {:>9.2} {:>9.2} {:>11.1}",
            name,
            p(0.5),
            p(0.95),
            ms(*times.last().expect("times")),
            per_request
        );
    }
}
