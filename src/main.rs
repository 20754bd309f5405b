//! The `plan-api` command: serve (default), migrate, import, convert, export-schema.
use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[cfg(feature = "mimalloc")]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
use plan_api::config::{AuthConfig, DbConfig, Limits, ServeConfig};
use plan_api::{auth, db, graphql, plans, startup};

#[derive(Parser)]
#[command(
    name = "plan-api",
    version,
    about = "GraphQL API for improvement plans"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    serve: ServeConfig,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the API (the default): migrates, and loads the Herefordshire plan into an empty database.
    // Boxed (with `Token`): their settings are many, the other commands' few.
    Serve(Box<ServeConfig>),
    /// Apply database migrations and exit.
    Migrate(DbConfig),
    /// Import (or re-import) a plan file; idempotent.
    Import {
        /// Path to a plan file (JSON, see docs/plan-format.md).
        file: std::path::PathBuf,
        #[command(flatten)]
        db: DbConfig,
    },
    /// Convert the published plan text into a plan file (printed to stdout).
    Convert {
        /// Path to the plan text, e.g. data/source/herefordshire-improvement-plan-v2.2.txt.
        file: std::path::PathBuf,
    },
    /// Print the GraphQL schema (SDL) the server serves.
    ExportSchema,
    /// Add a synthetic benchmark dataset: copies of the plan under other authorities, with
    /// fortnightly RAG history (seeded; reruns add only what is missing).
    Generate {
        /// How many plans (slugs synthetic-001 ...).
        #[arg(long, default_value_t = 150)]
        plans: usize,
        /// Fortnightly RAG updates per action.
        #[arg(long, default_value_t = 48)]
        updates: usize,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        #[command(flatten)]
        db: DbConfig,
    },
    /// Print a signed token (HS256, with the server's secret) for local use and scripts.
    Token(Box<TokenArgs>),
}

#[derive(clap::Args)]
struct TokenArgs {
    /// admin, viewer, lead, integration or partner.
    #[arg(long)]
    role: String,
    /// Subject: who the token speaks for (recorded as the author of changes).
    #[arg(long)]
    sub: Option<String>,
    /// Display name.
    #[arg(long)]
    name: Option<String>,
    /// A person code whose actions are in scope (repeatable), e.g. `--lead KOM`.
    #[arg(long = "lead")]
    leads: Vec<String>,
    /// A work stream whose actions are in scope (repeatable), `*` for all.
    #[arg(long = "workstream")]
    workstreams: Vec<String>,
    /// A plan slug the token reaches (repeatable); all plans when omitted.
    #[arg(long = "plan")]
    plans: Vec<String>,
    /// Lifetime: 30m, 8h, 7d.
    #[arg(long, default_value = "8h", value_parser = auth::parse_ttl)]
    ttl: std::time::Duration,
    #[command(flatten)]
    auth: AuthConfig,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let log_format = match &cli.command {
        Some(Command::Serve(cfg)) => &cfg.serving.log_format,
        _ => &cli.serve.serving.log_format,
    };
    let _log_guard = plan_api::observability::init_logging(log_format);
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(msg) => {
            eprintln!("error: {msg}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<(), String> {
    match cli.command {
        None => serve(cli.serve).await,
        Some(Command::Serve(cfg)) => serve(*cfg).await,
        Some(Command::Migrate(cfg)) => {
            let conn = open(&cfg.database_url).await?;
            // Safe beside serving replicas: migrations are additive, and concurrent migrators
            // (or replicas starting) take turns (see `db::migrate`).
            db::migrate(&conn).await.map_err(|e| e.detail())?;
            eprintln!("migrations applied");
            Ok(())
        }
        Some(Command::Import { file, db: cfg }) => {
            let bytes =
                std::fs::read(&file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
            let conn = open(&cfg.database_url).await?;
            db::migrate(&conn).await.map_err(|e| e.detail())?;
            let name = file.display().to_string();
            let report = plans::import_plan_file(&conn, &bytes, &name)
                .await
                .map_err(|e| e.detail())?;
            println!(
                "{}",
                serde_json::to_string_pretty(&report).map_err(|e| e.to_string())?
            );
            Ok(())
        }
        Some(Command::Convert { file }) => {
            let bytes =
                std::fs::read(&file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
            let plan = plans::convert::convert_bytes(&bytes)
                .map_err(|e| format!("{}: {e}", file.display()))?;
            print!("{}", plans::convert::to_json(&plan));
            Ok(())
        }
        Some(Command::ExportSchema) => {
            print!("{}", graphql::sdl());
            Ok(())
        }
        Some(Command::Generate {
            plans,
            updates,
            seed,
            db: cfg,
        }) => {
            let conn = open(&cfg.database_url).await?;
            db::prepare(&conn).await.map_err(|e| e.detail())?;
            let report = plans::synthetic::generate(&conn, plans, updates, seed)
                .await
                .map_err(|e| e.detail())?;
            println!(
                "{}",
                serde_json::to_string_pretty(&report).map_err(|e| e.to_string())?
            );
            Ok(())
        }
        Some(Command::Token(args)) => {
            let role = auth::Role::parse(&args.role).ok_or_else(|| {
                format!(
                    "unknown role {:?}; roles are admin, viewer, lead, integration, partner",
                    args.role
                )
            })?;
            let issuer = args.auth.settings().issuer().map_err(|e| e.detail())?;
            let token = issuer
                .issue(&auth::TokenRequest {
                    sub: args
                        .sub
                        .unwrap_or_else(|| format!("local-{}", role.as_str())),
                    role,
                    name: args.name,
                    leads: args.leads,
                    workstreams: args.workstreams,
                    plans: args.plans,
                    ttl: args.ttl,
                })
                .map_err(|e| e.detail())?;
            println!("{token}");
            Ok(())
        }
    }
}

/// Connects to the configured database, errors in full (this is the operator's terminal).
async fn open(url: &str) -> Result<sea_orm::DatabaseConnection, String> {
    db::connect(url).await.map_err(|e| e.detail())
}

async fn serve(cfg: ServeConfig) -> Result<(), String> {
    let started = std::time::Instant::now();
    let conn = open(&cfg.db.database_url).await?;
    if let Some(report) = db::prepare(&conn).await.map_err(|e| e.detail())? {
        tracing::info!(
            plan = %report.plan,
            actions = report.actions_created,
            "empty database: loaded the Herefordshire plan"
        );
    }
    let settings = cfg.auth.settings();
    let verifier = std::sync::Arc::new(settings.verifier().map_err(|e| e.detail())?);
    let limits = Limits::new(cfg.max_page_size);
    let serving = cfg.serving.settings(limits)?;
    let trusted = serving.trusted.as_ref().map(|t| t.len());
    let cors = serving.cors_origins.clone();
    let app = startup::App::with_serving(conn, cfg.bind, limits, verifier.clone(), serving)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", cfg.bind))?;
    let addr = app.local_addr().map_err(|e| e.to_string())?;
    eprintln!("plan-api ready in {} ms", started.elapsed().as_millis());
    eprintln!("  GraphiQL: http://{addr}/");
    eprintln!("  GraphQL:  http://{addr}/graphql");
    match settings.key {
        auth::KeySource::PublicKeyFile(_) => eprintln!(
            "  Tokens:   {:?} tokens from your identity provider (iss {:?}, aud {:?})",
            verifier.algorithm(),
            settings.issuer,
            settings.audience
        ),
        _ => {
            eprintln!("  Get a token (in another terminal, from this folder):");
            eprintln!("            cargo run --release -- token --role admin");
            eprintln!("            (roles: admin, viewer, lead, integration, partner; see README)");
            eprintln!("  and send it as the header  Authorization: Bearer <token>");
        }
    }
    if let Some(n) = trusted {
        eprintln!("  Trusted documents only: {n} registered");
    }
    if !cors.is_empty() {
        eprintln!("  CORS:     {}", cors.join(", "));
    }
    eprintln!("  Health:   /healthz (alive), /readyz (ready), /metrics (Prometheus)");
    eprintln!("  Try: {{ plan(slug: \"herefordshire-2012\") {{ title actions(first: 5) {{ totalCount edges {{ node {{ code rag {{ status }} }} }} }} }} }}");
    app.run_until(startup::shutdown_signal())
        .await
        .map_err(|e| e.to_string())
}
