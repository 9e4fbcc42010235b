//! The command line: `serve`, `migrate`, `user add`, `import units`, `openapi`.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use uuid::Uuid;

use crate::app::{AppState, serve};
use crate::auth::Role;
use crate::auth::repo::{MemberScope, grant, user_id};
use crate::config::Config;
use crate::db::Db;
use crate::org::api::{NewUser, add_user};
use crate::org::{demo, repo, roster};

/// Handover: 毛坯房交付 — inspection, takeover and handover day.
#[derive(Debug, Parser)]
#[command(name = "handover", version)]
pub struct Cli {
    /// Database URL: `sqlite://FILE` (default, created if missing) or `postgres://...`.
    #[arg(
        long,
        global = true,
        env = "HANDOVER_DATABASE_URL",
        default_value = "sqlite://handover.db"
    )]
    pub database_url: String,
    /// Directory of stored photos and their derivatives (created if missing).
    #[arg(
        long,
        global = true,
        env = "HANDOVER_DATA_DIR",
        default_value = "handover-data"
    )]
    pub data_dir: std::path::PathBuf,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Start the web pages and the JSON API.
    Serve(ServeArgs),
    /// Apply pending database migrations.
    Migrate,
    /// Manage users.
    User {
        /// User subcommand.
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Import data.
    Import {
        /// Import subcommand.
        #[command(subcommand)]
        command: ImportCommand,
    },
    /// Print the OpenAPI document of the tablet API.
    Openapi,
    /// Load the demo project into an empty database, at any size (for load tests).
    Demo(DemoArgs),
}

/// `demo` options.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// About this many units (1,440 is the standard demo).
    #[arg(long, default_value_t = 1440)]
    pub units: u32,
    /// Synthetic defects to add over the units (a realistic mix of trades and statuses).
    #[arg(long, default_value_t = 0)]
    pub defects: usize,
    /// Make the batch ready for its handover day: two buyers per unit, every unit booked into a
    /// half-hour slot, every handover condition met.
    #[arg(long)]
    pub handover_day: bool,
    /// Fill this many delivered batches of 10,000 rectification items, 300 complaints and 2,000
    /// surveys each: over the demo project and over new projects of its size in its region
    /// (bench/kpis).
    #[arg(long, default_value_t = 0)]
    pub delivered_batches: usize,
}

/// `serve` options.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Port to listen on.
    #[arg(long, default_value_t = 8080, env = "HANDOVER_PORT")]
    pub port: u16,
    /// Address to bind.
    #[arg(long, default_value = "0.0.0.0", env = "HANDOVER_BIND")]
    pub bind: String,
    /// Load the demo project 滨江花园一期 and its accounts when the database has no project.
    #[arg(long)]
    pub demo: bool,
    /// Public address for links and QR codes (default `http://localhost:PORT`).
    #[arg(long, env = "HANDOVER_PUBLIC_URL")]
    pub public_url: Option<String>,
}

/// `user` subcommands.
#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a user (if new) and grant a role on a project.
    Add {
        /// Login name.
        #[arg(long)]
        username: String,
        /// Password (at least 8 characters); or set HANDOVER_PASSWORD.
        #[arg(long, env = "HANDOVER_PASSWORD")]
        password: String,
        /// Name shown in pages (default: the username).
        #[arg(long)]
        display_name: Option<String>,
        /// Role: admin, inspector, contractor, property, service, executive.
        #[arg(long)]
        role: String,
        /// Project name or id.
        #[arg(long)]
        project: String,
    },
}

/// `import` subcommands.
#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    /// Import a unit roster (.xlsx, .xls or .csv) into a project; all-or-nothing.
    Units {
        /// Project name or id.
        #[arg(long)]
        project: String,
        /// Validate and count only.
        #[arg(long)]
        dry_run: bool,
        /// The roster file.
        file: PathBuf,
    },
}

/// Runs a parsed command line.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let started = Instant::now();
    if let Command::Openapi = cli.command {
        print!("{}", crate::openapi::document());
        return Ok(());
    }
    let db = Db::connect(&cli.database_url).await?;
    db.migrate().await?;
    crate::checklists::repo::ensure_defaults(&db).await?;
    run_on(db, cli.command, cli.data_dir, started).await
}

async fn run_on(
    db: Db,
    command: Command,
    data_dir: std::path::PathBuf,
    started: Instant,
) -> anyhow::Result<()> {
    match command {
        Command::Serve(args) => run_serve(db, args, data_dir, started).await,
        Command::Migrate => {
            println!("migrations applied ({:?})", db.backend());
            Ok(())
        }
        Command::User {
            command:
                UserCommand::Add {
                    username,
                    password,
                    display_name,
                    role,
                    project,
                },
        } => {
            let role = Role::parse(&role).ok_or_else(|| anyhow::anyhow!("unknown role {role}"))?;
            let state = AppState::new(db, Config::local(8080));
            let project = find_project(&state.db, &project).await?;
            let uid = match user_id(&mut state.db.read().await?, &username).await? {
                Some(id) => id,
                None => {
                    let display_name = display_name.unwrap_or_else(|| username.clone());
                    add_user(
                        &state,
                        &NewUser {
                            username: username.clone(),
                            display_name,
                            password,
                        },
                    )
                    .await
                    .map_err(|e| anyhow::anyhow!("{}: {e}", e.code()))?
                }
            };
            let mut tx = state.db.begin().await?;
            grant(
                &mut tx,
                uid,
                role,
                MemberScope::Project(project),
                crate::clock::now(),
            )
            .await?;
            tx.commit().await?;
            println!("{username}: {} on project {project}", role.as_str());
            Ok(())
        }
        Command::Import {
            command:
                ImportCommand::Units {
                    project,
                    dry_run,
                    file,
                },
        } => import_units(&db, &project, dry_run, &file).await,
        Command::Openapi => Ok(()),
        Command::Demo(args) => load_demo(&db, args).await,
    }
}

async fn run_serve(
    db: Db,
    args: ServeArgs,
    data_dir: std::path::PathBuf,
    started: Instant,
) -> anyhow::Result<()> {
    if args.demo
        && let Some(loaded) = demo::load_if_empty(&db).await?
    {
        println!(
            "演示项目 {} 已载入：{} 户 / demo project loaded: {} units",
            demo::DEMO_PROJECT,
            loaded.units,
            loaded.units
        );
        let booked = crate::delivery::synthetic::book_first_batch(&db, loaded.project_id).await?;
        println!("预约 {booked} 户 / appointments booked: {booked}");
        println!("演示账号 demo logins (password: {}):", demo::DEMO_PASSWORD);
        for (username, display, role) in demo::DEMO_USERS {
            println!("  {username:<11} {:<10} {display}", role.as_str());
        }
    }
    let listener = tokio::net::TcpListener::bind((args.bind.as_str(), args.port))
        .await
        .with_context(|| {
            format!(
                "cannot listen on {}:{} (--bind takes an address, --port the port)",
                args.bind, args.port
            )
        })?;
    let port = listener.local_addr()?.port();
    let mut config = Config::local(port);
    config.data_dir = data_dir;
    if let Some(url) = args.public_url {
        config.secure_cookies = url.starts_with("https://");
        config.public_url = url.trim_end_matches('/').to_owned();
    }
    println!(
        "Handover 已启动 / listening on http://localhost:{port}  (ready in {} ms)",
        started.elapsed().as_millis()
    );
    serve(listener, AppState::new(db, config), shutdown_signal()).await?;
    Ok(())
}

async fn load_demo(db: &Db, args: DemoArgs) -> anyhow::Result<()> {
    if repo::count_projects(&mut db.read().await?).await? > 0 {
        anyhow::bail!("the database already has projects; use an empty one");
    }
    let started = Instant::now();
    let size = demo::Size::about(args.units);
    let loaded = demo::load(db, size).await?;
    let defects =
        crate::defects::synthetic::seed(db, loaded.project_id, args.defects, 2026).await?;
    if args.handover_day {
        let day = crate::delivery::synthetic::prepare_day(db, loaded.project_id, 2026).await?;
        println!(
            "handover day: batch {}, {} units, {} buyers, {} slots",
            day.batch, day.units, day.buyers, day.slots
        );
    }
    if args.delivered_batches > 0 {
        let batches =
            crate::kpis::synthetic::delivered_batches(db, &loaded, size, args.delivered_batches)
                .await?;
        db.refresh_statistics().await?;
        println!("delivered batches: {}", batches.len());
    }
    println!(
        "{}: {} units, {defects} defects in {:.1} s",
        demo::DEMO_PROJECT,
        loaded.units,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

async fn shutdown_signal() {
    let _ = tokio::signal::ctrl_c().await;
}

async fn find_project(db: &Db, name_or_id: &str) -> anyhow::Result<Uuid> {
    if let Ok(id) = name_or_id.parse::<Uuid>() {
        return Ok(id);
    }
    let mut conn = db.read().await?;
    repo::find_project_by_name(&mut conn, name_or_id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("no project named {name_or_id}"))
}

async fn import_units(
    db: &Db,
    project: &str,
    dry_run: bool,
    file: &std::path::Path,
) -> anyhow::Result<()> {
    let project = find_project(db, project).await?;
    let bytes = std::fs::read(file)?;
    let name = file
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("roster");
    let mut conn = db.read().await?;
    let actor = repo::any_admin_of(&mut conn, project)
        .await?
        .ok_or_else(|| anyhow::anyhow!("the project has no admin to record the import against"))?;
    drop(conn);
    match roster::import(db, project, actor, name, bytes, dry_run).await {
        Ok(o) => {
            let c = o.counts;
            println!(
                "{} rows: {} created, {} updated, {} unchanged{}",
                o.rows.len(),
                c.created,
                c.updated,
                c.unchanged,
                if o.committed {
                    ""
                } else {
                    " (dry run, nothing written)"
                }
            );
            Ok(())
        }
        Err(e) => {
            let l = crate::i18n::Locale::default();
            eprintln!("{}: {}", e.code(), l.t(e.code()));
            if let crate::error::AppError::ImportRows(rows) = &e {
                for r in rows {
                    let row = l.fmt("import.row_n", &[("row", &r.row.to_string())]);
                    eprintln!("  {row} {}", crate::org::import::row_message(r, l));
                }
            }
            if let crate::error::AppError::ImportMissingColumns(cols) = &e {
                eprintln!("  {}", cols.join(", "));
            }
            std::process::exit(2)
        }
    }
}
