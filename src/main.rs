//! The `factdesk` binary: parses arguments, calls the library, maps errors to exit codes.
//!
//! Exit codes: 0 success; 1 a failure (invalid fact base or configuration, Discord refused the
//! token, a digest could not be posted); 2 a command line that could not be read.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Parser, Subcommand};
use codespan_reporting::term::termcolor::{ColorChoice, StandardStream};
use factdesk::config::{self, Overrides, Settings};
use factdesk::digest::{self, Sent, SqliteStore, Store};
use factdesk::engine::Engine;
use factdesk::transport::{cli, gateway, shared, Clock, SharedEngine};

#[derive(Parser)]
#[command(
    name = "factdesk",
    version,
    about = "An event-summary Discord bot that answers from a sourced fact base"
)]
struct Cli {
    /// The configuration file (default: factdesk.toml in the working directory, if present).
    #[arg(long, global = true, env = "FACTDESK_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Args, Clone, Default)]
struct FactsArg {
    /// The fact base to load [default: facts.toml].
    #[arg(long, env = "FACTDESK_FACTS")]
    facts: Option<PathBuf>,
}

/// Where Discord is and who the bot is. The token is read only from the environment
/// (`DISCORD_TOKEN`), never from a flag, so it does not show in process listings.
#[derive(clap::Args, Clone, Default)]
struct DiscordArgs {
    /// Discord's API base; set to http://127.0.0.1:PORT to use a local stand-in.
    #[arg(long, env = "DISCORD_API_BASE")]
    api_base: Option<String>,
    /// The application id (looked up with the token when not given).
    #[arg(long, env = "DISCORD_APPLICATION_ID")]
    application_id: Option<u64>,
    /// Where state is kept: the digest database and the registration fingerprint [default: state].
    #[arg(long, env = "FACTDESK_STATE_DIR")]
    state_dir: Option<PathBuf>,
}

#[derive(clap::Args, Clone)]
struct ClockArgs {
    /// Pin the clock (RFC 3339, e.g. 2026-02-25T10:00:00+02:00); default: now.
    #[arg(long, value_parser = parse_now)]
    now: Option<jiff::Timestamp>,
    /// The reader's Discord locale (e.g. en-US, hi), for time zones and localised text.
    #[arg(long)]
    locale: Option<String>,
}

#[derive(Subcommand)]
enum Command {
    /// Validate the fact base; exit 0 when valid, 1 with every problem when not.
    Check {
        #[command(flatten)]
        facts: FactsArg,
    },
    /// Print the bot's reply to one slash command, e.g. `factdesk ask '/systems name:Arrow'`.
    Ask {
        #[command(flatten)]
        facts: FactsArg,
        #[command(flatten)]
        clock: ClockArgs,
        /// Print the exact interaction-response JSON Discord would receive.
        #[arg(long)]
        json: bool,
        /// The command as typed in Discord; quote it, or pass it as several words.
        #[arg(required = true, num_args = 1.., allow_hyphen_values = true)]
        line: Vec<String>,
    },
    /// Type slash commands interactively (with history).
    Chat {
        #[command(flatten)]
        facts: FactsArg,
        #[command(flatten)]
        clock: ClockArgs,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Run the bot: the gateway (with DISCORD_TOKEN), the HTTP endpoint (--http) and the
    /// digest scheduler, until SIGINT or SIGTERM.
    Serve {
        #[command(flatten)]
        facts: FactsArg,
        #[command(flatten)]
        discord: DiscordArgs,
        /// Serve the HTTP interactions endpoint on this address (needs DISCORD_PUBLIC_KEY).
        #[arg(long, env = "FACTDESK_HTTP_ADDR")]
        http: Option<SocketAddr>,
        /// Serve /metrics and /healthz on this address (also when only the gateway runs).
        #[arg(long, env = "FACTDESK_METRICS_ADDR")]
        metrics: Option<SocketAddr>,
        /// Register the commands at start-up, only when they changed since the last time.
        #[arg(long)]
        register: bool,
        /// Register in this guild instead of globally (guild commands update instantly).
        #[arg(long, env = "FACTDESK_GUILD")]
        guild: Option<u64>,
        /// Do not run the digest scheduler in this process.
        #[arg(long)]
        no_digest: bool,
        /// Start the clock at this instant (RFC 3339); it runs on from there. For demos and tests.
        #[arg(long, value_parser = parse_now)]
        now: Option<jiff::Timestamp>,
    },
    /// Overwrite the application's commands with the fact base's (one bulk request).
    Register {
        #[command(flatten)]
        facts: FactsArg,
        #[command(flatten)]
        discord: DiscordArgs,
        /// Register in this guild instead of globally.
        #[arg(long, env = "FACTDESK_GUILD")]
        guild: Option<u64>,
    },
    /// The daily digest: preview it, or send a day's digest now (exactly once).
    Digest {
        #[command(subcommand)]
        command: DigestCommand,
    },
    /// The configuration file.
    Config {
        #[command(subcommand)]
        command: ConfigCommand,
    },
}

#[derive(Subcommand)]
enum DigestCommand {
    /// Print the digest as it would be posted now.
    Preview {
        #[command(flatten)]
        facts: FactsArg,
        #[command(flatten)]
        discord: DiscordArgs,
        /// Use this channel's subscription (time zone, updates since its last digest).
        #[arg(long)]
        channel: Option<u64>,
        /// The time zone to render in (default: the channel's, else the event's).
        #[arg(long)]
        timezone: Option<String>,
        #[arg(long, value_parser = parse_now)]
        now: Option<jiff::Timestamp>,
    },
    /// Every subscription: schedule, next digest, last delivery, pauses and skips.
    List {
        #[command(flatten)]
        facts: FactsArg,
        #[command(flatten)]
        discord: DiscordArgs,
        #[arg(long, value_parser = parse_now)]
        now: Option<jiff::Timestamp>,
    },
    /// Claim and post a channel's digest for a day through the exactly-once path.
    SendNow {
        #[command(flatten)]
        facts: FactsArg,
        #[command(flatten)]
        discord: DiscordArgs,
        #[arg(long)]
        channel: u64,
        /// The channel's local date (default: today there).
        #[arg(long)]
        date: Option<jiff::civil::Date>,
        /// Post again even if the day was delivered.
        #[arg(long)]
        force: bool,
        #[arg(long, value_parser = parse_now)]
        now: Option<jiff::Timestamp>,
    },
}

#[derive(Subcommand)]
enum ConfigCommand {
    /// Validate the configuration file; exit 0 or 1 with file:line:column errors.
    Check,
}

fn parse_now(text: &str) -> Result<jiff::Timestamp, String> {
    text.parse::<jiff::Timestamp>().map_err(|e| {
        format!(
            "`{text}` is not an RFC 3339 time with an offset ({e}); e.g. 2026-02-25T10:00:00+02:00"
        )
    })
}

fn fail(message: impl std::fmt::Display) -> ExitCode {
    eprintln!("error: {message}");
    ExitCode::from(1)
}

/// The resolved configuration, or the exit code after reporting why not.
fn settings(path: Option<&PathBuf>, overrides: Overrides) -> Result<Settings, ExitCode> {
    config::load(path.map(PathBuf::as_path), &overrides).map_err(|e| {
        let choice = if std::io::IsTerminal::is_terminal(&std::io::stderr()) {
            ColorChoice::Auto
        } else {
            ColorChoice::Never
        };
        if e.render(&mut StandardStream::stderr(choice)).is_err() {
            eprintln!("error: {e}");
        }
        ExitCode::from(1)
    })
}

fn overrides(facts: &FactsArg, discord: &DiscordArgs) -> Overrides {
    Overrides {
        facts: facts.facts.clone(),
        state_dir: discord.state_dir.clone(),
        api_base: discord.api_base.clone().filter(|b| !b.is_empty()),
        application_id: discord.application_id,
        ..Overrides::default()
    }
}

fn load(path: &std::path::Path) -> Result<Engine, ExitCode> {
    let started = std::time::Instant::now();
    let engine = Engine::load(path).map_err(|e| {
        cli::report(&e);
        ExitCode::from(1)
    })?;
    factdesk::telemetry::record_fact_base(
        engine.version(),
        engine.facts().facts.len(),
        started.elapsed(),
    );
    Ok(engine)
}

fn token() -> Option<String> {
    std::env::var("DISCORD_TOKEN")
        .ok()
        .map(|t| t.trim().to_owned())
        .filter(|t| !t.is_empty())
}

fn gateway_config(
    s: &Settings,
    clock: Clock,
    digest: Option<Arc<digest::Service>>,
) -> Result<gateway::Config, ExitCode> {
    let token = token().ok_or_else(|| fail("DISCORD_TOKEN is not set; export the bot token from the Discord Developer Portal (Bot → Token)"))?;
    Ok(gateway::Config {
        token,
        api_base: s.api_base.clone(),
        application_id: s.application_id,
        register: s.register.then_some(
            s.guild
                .map_or(gateway::Scope::Global, gateway::Scope::Guild),
        ),
        state_dir: s.state_dir.clone(),
        clock,
        digest,
        commands_changed: None,
    })
}

/// The digest service over the configured database. `serve` makes the configured
/// subscriptions exactly the config file's (`authoritative`); other commands only add and
/// update them, so a shell with another config file cannot delete the live ones.
fn digest_service(s: &Settings, authoritative: bool) -> Result<Arc<digest::Service>, ExitCode> {
    let store = SqliteStore::open(&s.digest_database).map_err(fail)?;
    store
        .sync_config(&s.subscriptions, authoritative)
        .map_err(fail)?;
    Ok(Arc::new(digest::Service::new(
        Arc::new(store),
        digest::Settings {
            api_base: s
                .api_base
                .clone()
                .unwrap_or_else(|| "https://discord.com".into()),
            token: token(),
            catch_up: s.catch_up,
        },
    )))
}

fn runtime() -> Result<tokio::runtime::Runtime, ExitCode> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| fail(format!("cannot start the async runtime: {e}")))
}

/// Resolves on SIGINT (Ctrl-C) or SIGTERM (systemd, Kubernetes, docker stop).
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
    tracing::info!("shutdown signal received");
}

/// What `serve` runs.
struct Plan {
    facts: PathBuf,
    gateway: Option<gateway::Config>,
    http: Option<(SocketAddr, ed25519_dalek::VerifyingKey)>,
    metrics: Option<SocketAddr>,
    digest: Option<Arc<digest::Service>>,
    clock: Clock,
}

/// Runs the planned transports until a shutdown signal (or one of them fails), then stops
/// them together: no new work, in-flight work finished, the database closed.
async fn serve(engine: SharedEngine, plan: Plan) -> ExitCode {
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let stopped = move || {
        let mut rx = stop_rx.clone();
        async move {
            let _ = rx.wait_for(|stop| *stop).await;
        }
    };
    let mut tasks: tokio::task::JoinSet<Result<(), String>> = tokio::task::JoinSet::new();
    for (addr, app) in [
        plan.http.map(|(addr, key)| {
            (
                addr,
                factdesk::transport::http::router(
                    engine.clone(),
                    key,
                    plan.clock,
                    plan.digest.clone(),
                ),
            )
        }),
        plan.metrics.map(|addr| {
            (
                addr,
                factdesk::transport::http::metrics_router(engine.clone()),
            )
        }),
    ]
    .into_iter()
    .flatten()
    {
        let (listener, _) = match factdesk::transport::http::bind(addr).await {
            Ok(l) => l,
            Err(e) => return fail(format!("cannot listen on {addr}: {e}")),
        };
        let done = stopped();
        tasks.spawn(async move {
            factdesk::transport::http::serve(listener, app, done)
                .await
                .map_err(|e| format!("HTTP server on {addr} failed: {e}"))
        });
    }
    if let Some(service) = plan.digest.clone() {
        let done = stopped();
        let engine = engine.clone();
        let clock = plan.clock;
        tasks.spawn(async move {
            service.run(engine, clock, done).await;
            Ok(())
        });
    }
    let (commands_tx, commands_rx) = tokio::sync::watch::channel(0u64);
    {
        let done = stopped();
        let engine = engine.clone();
        let path = plan.facts.clone();
        tasks.spawn(async move {
            factdesk::transport::reload::run(path, engine, commands_tx, done).await
        });
    }
    if let Some(mut config) = plan.gateway {
        config.commands_changed = Some(commands_rx);
        let done = stopped();
        let engine = engine.clone();
        tasks.spawn(async move {
            gateway::run(engine, config, done)
                .await
                .map_err(|e| e.to_string())
        });
    }
    let mut code = ExitCode::SUCCESS;
    let mut report = |result: Result<Result<(), String>, tokio::task::JoinError>| {
        if let Ok(Err(message)) | Err(message) = result.map_err(|e| e.to_string()) {
            tracing::error!(error = %message, "stopped");
            eprintln!("error: {message}");
            code = ExitCode::from(1);
        }
    };
    tokio::select! {
        () = shutdown_signal() => {}
        Some(result) = tasks.join_next() => report(result),
    }
    let _ = stop_tx.send(true);
    while let Some(result) = tasks.join_next().await {
        report(result);
    }
    tracing::info!("stopped");
    code
}

fn main() -> ExitCode {
    let args = Cli::parse();
    match run(args) {
        Ok(code) | Err(code) => code,
    }
}

fn run(args: Cli) -> Result<ExitCode, ExitCode> {
    let config_path = args.config.clone();
    let config_path = config_path.as_ref();
    match args.command {
        Command::Check { facts } => {
            let s = settings(config_path, overrides(&facts, &DiscordArgs::default()))?;
            match cli::check(&s.facts) {
                Ok(summary) => {
                    println!("{summary}");
                    Ok(ExitCode::SUCCESS)
                }
                Err(e) => {
                    cli::report(&e);
                    Ok(ExitCode::from(1))
                }
            }
        }
        Command::Ask {
            facts,
            clock,
            json,
            line,
        } => {
            let s = settings(config_path, overrides(&facts, &DiscordArgs::default()))?;
            let engine = load(&s.facts)?;
            let now = clock.now.unwrap_or_else(jiff::Timestamp::now);
            match cli::ask(&engine, &line.join(" "), json, now, clock.locale.as_deref()) {
                Ok(reply) => {
                    println!("{reply}");
                    Ok(ExitCode::SUCCESS)
                }
                Err(message) => {
                    eprintln!("error: {message}");
                    Ok(ExitCode::from(2))
                }
            }
        }
        Command::Chat { facts, clock, json } => {
            let s = settings(config_path, overrides(&facts, &DiscordArgs::default()))?;
            let engine = load(&s.facts)?;
            cli::chat(&engine, clock.now, clock.locale.as_deref(), json).map_err(fail)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Serve {
            facts,
            discord,
            http,
            metrics,
            register,
            guild,
            no_digest,
            now,
        } => {
            let mut o = overrides(&facts, &discord);
            o.http = http;
            o.metrics = metrics;
            o.register = register.then_some(true);
            o.guild = guild;
            let s = settings(config_path, o)?;
            factdesk::telemetry::init_with(s.log_json, s.log_filter.as_deref());
            let clock = now.map_or_else(Clock::system, Clock::starting_at);
            let digest = if s.digest_enabled && !no_digest {
                Some(digest_service(&s, true)?)
            } else {
                None
            };
            let gateway = match token() {
                Some(_) => Some(gateway_config(&s, clock, digest.clone())?),
                None if s.http.is_some() => None,
                None => {
                    return Err(fail(
                        "nothing to serve: set DISCORD_TOKEN for the gateway bot, and/or --http ADDR (FACTDESK_HTTP_ADDR) for the HTTP interactions endpoint",
                    ))
                }
            };
            let http = match s.http {
                Some(addr) => {
                    let key = factdesk::transport::http::public_key(
                        std::env::var("DISCORD_PUBLIC_KEY").ok().as_deref(),
                    )
                    .map_err(fail)?;
                    Some((addr, key))
                }
                None => None,
            };
            // Served facts pass the same checks as `factdesk check` and every reload.
            let started = std::time::Instant::now();
            let engine = factdesk::transport::reload::build(&s.facts).map_err(|e| {
                cli::report(&e);
                ExitCode::from(1)
            })?;
            factdesk::telemetry::record_fact_base(
                engine.version(),
                engine.facts().facts.len(),
                started.elapsed(),
            );
            let engine = shared(engine);
            let plan = Plan {
                facts: s.facts.clone(),
                gateway,
                http,
                metrics: s.metrics,
                digest,
                clock,
            };
            Ok(runtime()?.block_on(serve(engine, plan)))
        }
        Command::Register {
            facts,
            discord,
            guild,
        } => {
            let mut o = overrides(&facts, &discord);
            o.guild = guild;
            let s = settings(config_path, o)?;
            let config = gateway_config(&s, Clock::system(), None)?;
            let engine = shared(load(&s.facts)?);
            let scope = s
                .guild
                .map_or(gateway::Scope::Global, gateway::Scope::Guild);
            runtime()?.block_on(async move {
                let http = gateway::http(&config);
                match gateway::register(&http, &engine, scope).await {
                    Ok(count) => {
                        println!(
                            "registered {count} commands ({})",
                            s.guild
                                .map_or("global".to_owned(), |g| format!("guild {g}"))
                        );
                        Ok(ExitCode::SUCCESS)
                    }
                    Err(e) => Err(fail(e)),
                }
            })
        }
        Command::Digest { command } => digest_command(config_path, command),
        Command::Config {
            command: ConfigCommand::Check,
        } => {
            let s = settings(config_path, Overrides::default())?;
            let file = config::locate(config_path.map(PathBuf::as_path));
            println!(
                "{}: ok — facts {}, state {}, digest {} ({} configured subscriptions)",
                file.map_or(
                    "no config file (defaults and environment)".to_owned(),
                    |f| f.display().to_string()
                ),
                s.facts.display(),
                s.state_dir.display(),
                if s.digest_enabled { "on" } else { "off" },
                s.subscriptions.len()
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn digest_command(
    config_path: Option<&PathBuf>,
    command: DigestCommand,
) -> Result<ExitCode, ExitCode> {
    match command {
        DigestCommand::Preview {
            facts,
            discord,
            channel,
            timezone,
            now,
        } => {
            let s = settings(config_path, overrides(&facts, &discord))?;
            let engine = load(&s.facts)?;
            let now = now.unwrap_or_else(jiff::Timestamp::now);
            let (zone, since) = match channel {
                Some(channel) => {
                    let store = SqliteStore::open(&s.digest_database).map_err(fail)?;
                    store.sync_config(&s.subscriptions, false).map_err(fail)?;
                    let sub = store.subscription(channel).map_err(fail)?;
                    let since = store
                        .last_delivered(channel)
                        .map_err(fail)?
                        .and_then(|d| d.covered_until);
                    (timezone.or(sub.map(|s| s.time_zone)), since)
                }
                None => (timezone, None),
            };
            let zone = zone.unwrap_or_else(|| engine.facts().event.time_zone_name.clone());
            let reply = engine.render_digest(now, &zone, since).map_err(fail)?;
            println!("{}", factdesk::engine::Response::Message(reply).to_text());
            Ok(ExitCode::SUCCESS)
        }
        DigestCommand::List {
            facts,
            discord,
            now,
        } => {
            let s = settings(config_path, overrides(&facts, &discord))?;
            let service = digest_service(&s, false)?;
            let now = now.unwrap_or_else(jiff::Timestamp::now);
            let subs = service.store().subscriptions().map_err(fail)?;
            if subs.is_empty() {
                println!("no digest subscriptions");
            }
            for sub in subs {
                let status = service.status(sub.channel_id, now).map_err(fail)?;
                let reply = factdesk::engine::commands::digest::status_reply(status.as_ref());
                println!(
                    "channel {}: {}",
                    sub.channel_id,
                    reply.content.replace('\n', "\n  ")
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        DigestCommand::SendNow {
            facts,
            discord,
            channel,
            date,
            force,
            now,
        } => {
            let s = settings(config_path, overrides(&facts, &discord))?;
            let engine = load(&s.facts)?;
            let service = digest_service(&s, false)?;
            let sub = service
                .store()
                .subscription(channel)
                .map_err(fail)?
                .ok_or_else(|| fail(format!("channel {channel} has no digest subscription; subscribe it with /digest subscribe or in factdesk.toml")))?;
            if let Some(reason) = &sub.paused {
                return Err(fail(format!("channel {channel}'s digest is paused: {reason}; subscribe again once the bot can post there")));
            }
            let now = now.unwrap_or_else(jiff::Timestamp::now);
            let date = match date {
                Some(d) => d,
                None => now
                    .to_zoned(jiff::tz::TimeZone::get(&sub.time_zone).map_err(fail)?)
                    .date(),
            };
            factdesk::telemetry::init_with(s.log_json, s.log_filter.as_deref());
            let result = runtime()?.block_on(service.send(&engine, &sub, date, now, force));
            match result {
                Ok(Sent::Posted { message_id }) => {
                    println!("posted the {date} digest to channel {channel}: message {message_id}");
                    Ok(ExitCode::SUCCESS)
                }
                Ok(Sent::AlreadyDelivered { message_id }) => {
                    println!("the {date} digest for channel {channel} was already delivered: message {message_id} (use --force to post again)");
                    Ok(ExitCode::SUCCESS)
                }
                Ok(Sent::Skipped { reason }) => {
                    println!("the {date} digest for channel {channel} was skipped: {reason} (use --force to post it)");
                    Ok(ExitCode::SUCCESS)
                }
                Ok(Sent::Paused { reason }) => Err(fail(format!(
                    "channel {channel}: {reason}; the subscription is paused"
                ))),
                Err(why) => Err(fail(format!(
                    "the {date} digest for channel {channel} was not posted: {why}"
                ))),
            }
        }
    }
}
