//! The `factdesk` binary: parses arguments, calls the library, maps errors to exit codes.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use factdesk::engine::Engine;
use factdesk::transport::cli;

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
