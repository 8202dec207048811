//! The `factdesk` binary: parses arguments, calls the library, maps errors to exit codes.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use factdesk::engine::Engine;
use factdesk::transport::{cli, gateway, shared};

#[derive(Parser)]
#[command(
    name = "factdesk",
    version,
    about = "An event-summary Discord bot that answers from a sourced fact base"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Args, Clone)]
struct FactsArg {
    /// The fact base to load.
    #[arg(long, env = "FACTDESK_FACTS", default_value = "facts.toml")]
    facts: PathBuf,
}

/// Where Discord is and who the bot is. The token is read only from the environment
/// (`DISCORD_TOKEN`), never from a flag, so it does not show in process listings.
#[derive(clap::Args, Clone)]
struct DiscordArgs {
    /// Discord's API base; set to http://127.0.0.1:PORT to use a local stand-in.
    #[arg(long, env = "DISCORD_API_BASE")]
    api_base: Option<String>,
    /// The application id (looked up with the token when not given).
    #[arg(long, env = "DISCORD_APPLICATION_ID")]
    application_id: Option<u64>,
    /// Where state is kept (the registration fingerprint).
    #[arg(long, env = "FACTDESK_STATE_DIR", default_value = "state")]
    state_dir: PathBuf,
}

impl DiscordArgs {
    fn config(
        &self,
        now: Option<jiff::Timestamp>,
        register: Option<gateway::Scope>,
    ) -> Result<gateway::Config, ExitCode> {
        let token = std::env::var("DISCORD_TOKEN").ok().filter(|t| !t.trim().is_empty()).ok_or_else(|| {
            eprintln!("error: DISCORD_TOKEN is not set; export the bot token from the Discord Developer Portal (Bot → Token)");
            ExitCode::from(1)
        })?;
        Ok(gateway::Config {
            token: token.trim().to_owned(),
            api_base: self.api_base.clone().filter(|b| !b.is_empty()),
            application_id: self.application_id,
            register,
            state_dir: self.state_dir.clone(),
            now,
        })
    }
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
    /// Run the bot: the gateway connection (with DISCORD_TOKEN) answering interactions.
    Serve {
        #[command(flatten)]
        facts: FactsArg,
        #[command(flatten)]
        discord: DiscordArgs,
        /// Register the commands at start-up, only when they changed since the last time.
        #[arg(long)]
        register: bool,
        /// Register in this guild instead of globally (guild commands update instantly).
        #[arg(long, requires = "register")]
        guild: Option<u64>,
        /// Pin the clock (RFC 3339), for tests and demos; default: the system clock.
        #[arg(long, value_parser = parse_now)]
        now: Option<jiff::Timestamp>,
        /// Serve the HTTP interactions endpoint on this address (needs DISCORD_PUBLIC_KEY).
        #[arg(long, env = "FACTDESK_HTTP_ADDR")]
        http: Option<std::net::SocketAddr>,
    },
    /// Overwrite the application's commands with the fact base's (one bulk request).
    Register {
        #[command(flatten)]
        facts: FactsArg,
        #[command(flatten)]
        discord: DiscordArgs,
        /// Register in this guild instead of globally.
        #[arg(long)]
        guild: Option<u64>,
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
}

fn parse_now(text: &str) -> Result<jiff::Timestamp, String> {
    text.parse::<jiff::Timestamp>().map_err(|e| {
        format!(
            "`{text}` is not an RFC 3339 time with an offset ({e}); e.g. 2026-02-25T10:00:00+02:00"
        )
    })
}

fn load(path: &std::path::Path) -> Result<Engine, ExitCode> {
    Engine::load(path).map_err(|e| {
        cli::report(&e);
        ExitCode::from(1)
    })
}

fn runtime() -> Result<tokio::runtime::Runtime, ExitCode> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| {
            eprintln!("error: cannot start the async runtime: {e}");
            ExitCode::from(1)
        })
}

/// Runs the configured transports until a shutdown signal, then stops them together.
async fn serve(
    engine: factdesk::transport::SharedEngine,
    gateway_config: Option<gateway::Config>,
    http: Option<(std::net::SocketAddr, ed25519_dalek::VerifyingKey)>,
    now: Option<jiff::Timestamp>,
) -> Result<ExitCode, ExitCode> {
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let stopped = move || {
        let mut rx = stop_rx.clone();
        async move {
            let _ = rx.wait_for(|stop| *stop).await;
        }
    };
    let mut tasks = tokio::task::JoinSet::new();
    if let Some((addr, key)) = http {
        let (listener, _) = factdesk::transport::http::bind(addr).await.map_err(|e| {
            eprintln!("error: cannot listen on {addr}: {e}");
            ExitCode::from(1)
        })?;
        let app = factdesk::transport::http::router(engine.clone(), key, now);
        let done = stopped();
        tasks.spawn(async move {
            factdesk::transport::http::serve(listener, app, done)
                .await
                .map_err(|e| format!("HTTP endpoint failed: {e}"))
        });
    }
    if let Some(config) = gateway_config {
        let done = stopped();
        let engine = engine.clone();
        tasks.spawn(async move {
            gateway::run(engine, config, done)
                .await
                .map_err(|e| e.to_string())
        });
    }
    let mut code = ExitCode::SUCCESS;
    tokio::select! {
        () = shutdown_signal() => {}
        Some(result) = tasks.join_next() => {
            // A transport ended on its own: report it and stop the others.
            if let Ok(Err(message)) | Err(message) = result.map_err(|e| e.to_string()) {
                tracing::error!(error = %message, "stopped");
                eprintln!("error: {message}");
                code = ExitCode::from(1);
            }
        }
    }
    let _ = stop_tx.send(true);
    while let Some(result) = tasks.join_next().await {
        if let Ok(Err(message)) | Err(message) = result.map_err(|e| e.to_string()) {
            eprintln!("error: {message}");
            code = ExitCode::from(1);
        }
    }
    Ok(code)
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

fn main() -> ExitCode {
    let args = Cli::parse();
    match run(args) {
        Ok(code) | Err(code) => code,
    }
}

fn run(args: Cli) -> Result<ExitCode, ExitCode> {
    match args.command {
        Command::Check { facts } => match cli::check(&facts.facts) {
            Ok(summary) => {
                println!("{summary}");
                Ok(ExitCode::SUCCESS)
            }
            Err(e) => {
                cli::report(&e);
                Ok(ExitCode::from(1))
            }
        },
        Command::Ask {
            facts,
            clock,
            json,
            line,
        } => {
            let engine = load(&facts.facts)?;
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
        Command::Serve {
            facts,
            discord,
            register,
            guild,
            now,
            http,
        } => {
            let scope =
                register.then_some(guild.map_or(gateway::Scope::Global, gateway::Scope::Guild));
            let gateway_config = match std::env::var("DISCORD_TOKEN") {
                Ok(t) if !t.trim().is_empty() => Some(discord.config(now, scope)?),
                _ if http.is_some() => None,
                _ => {
                    eprintln!(
                        "error: nothing to serve: set DISCORD_TOKEN for the gateway bot, and/or --http ADDR \
                         (FACTDESK_HTTP_ADDR) for the HTTP interactions endpoint"
                    );
                    return Ok(ExitCode::from(1));
                }
            };
            let key = match http {
                Some(_) => Some(
                    factdesk::transport::http::public_key(
                        std::env::var("DISCORD_PUBLIC_KEY").ok().as_deref(),
                    )
                    .map_err(|e| {
                        eprintln!("error: {e}");
                        ExitCode::from(1)
                    })?,
                ),
                None => None,
            };
            factdesk::telemetry::init();
            let started = std::time::Instant::now();
            let engine = load(&facts.facts)?;
            factdesk::telemetry::record_fact_base(
                engine.version(),
                engine.facts().facts.len(),
                started.elapsed(),
            );
            let engine = shared(engine);
            runtime()?.block_on(serve(engine, gateway_config, http.zip(key), now))
        }
        Command::Register {
            facts,
            discord,
            guild,
        } => {
            let config = discord.config(None, None)?;
            let engine = shared(load(&facts.facts)?);
            let scope = guild.map_or(gateway::Scope::Global, gateway::Scope::Guild);
            runtime()?.block_on(async move {
                let http = gateway::http(&config);
                match gateway::register(&http, &engine, scope).await {
                    Ok(count) => {
                        println!(
                            "registered {count} commands ({})",
                            guild.map_or("global".to_owned(), |g| format!("guild {g}"))
                        );
                        Ok(ExitCode::SUCCESS)
                    }
                    Err(e) => {
                        eprintln!("error: {e}");
                        Ok(ExitCode::from(1))
                    }
                }
            })
        }
        Command::Chat { facts, clock, json } => {
            let engine = load(&facts.facts)?;
            cli::chat(&engine, clock.now, clock.locale.as_deref(), json).map_err(|e| {
                eprintln!("error: {e}");
                ExitCode::from(1)
            })?;
            Ok(ExitCode::SUCCESS)
        }
    }
}
