//! The `factdesk` binary: parses arguments, calls the library, maps errors to exit codes.
//!
//! Exit codes: 0 success; 1 a failure (invalid fact base or configuration, Discord refused the
//! token, a digest could not be posted); 2 a command line that could not be read.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use factdesk::config::{self, Overrides};
use factdesk::serving::reload::Hangups;
use factdesk::startup::{self, Options};
use factdesk::transport::cli::args::{Cli, Command, Common, ConfigCommand, Discord};
use factdesk::transport::cli::{self, clock as now, runtime, CliError};

/// Resolves the configuration: flags and environment over the file over defaults.
fn settings(
    file: Option<&PathBuf>,
    c: &Common,
    d: &Discord,
    extra: Overrides,
) -> Result<config::Settings, CliError> {
    cli::settings(file.map(PathBuf::as_path), c, d, extra)
}

fn main() -> ExitCode {
    let args = Cli::parse();
    match run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            e.report();
            ExitCode::from(e.exit_code())
        }
    }
}

fn run(args: Cli) -> Result<(), CliError> {
    let file = args.config.as_ref();
    let plain = Overrides::default;
    let none = Discord::default();
    let out = match args.command {
        Command::Check { common } => {
            cli::check_reporting(&settings(file, &common, &none, plain())?, common.now)?
        }
        Command::Source { command } => cli::editor::source(file.map(PathBuf::as_path), command)?,
        Command::Update { command } => cli::editor::update(file.map(PathBuf::as_path), command)?,
        Command::Ask {
            common,
            reader,
            asked,
        } => {
            let inv_now = now(&common);
            let engine = cli::load(&settings(file, &common, &none, plain())?.facts)?;
            let inv = cli::asked(&engine, &asked, inv_now, reader.locale.as_deref())?;
            cli::print(&engine, &inv, &cli::answer(&engine, &inv), reader.json)
        }
        Command::Chat { common, reader } => {
            let engine = cli::load(&settings(file, &common, &none, plain())?.facts)?;
            cli::chat(&engine, common.now, reader.locale.as_deref(), reader.json)
                .map_err(|e| CliError::Failed(e.to_string()))?;
            return Ok(());
        }
        Command::Serve {
            common,
            discord,
            http,
            metrics,
            register,
            no_digest,
            no_gateway,
        } => {
            let extra = Overrides {
                http,
                metrics,
                register: register.then_some(true),
                gateway: no_gateway.then_some(false),
                ..plain()
            };
            return serve(file, &common, &discord, extra, no_digest);
        }
        Command::Register { common, discord } => {
            let s = settings(file, &common, &discord, plain())?;
            runtime()?
                .block_on(startup::register(&s))
                .map_err(CliError::from)?
        }
        Command::Invite { common, discord } => {
            let s = settings(file, &common, &discord, plain())?;
            let invite = runtime()?.block_on(startup::invite(&s));
            cli::invite::reported(invite.map_err(CliError::from)?)
        }
        Command::Misses {
            common,
            discord,
            since,
        } => cli::digest::misses_command(file.map(PathBuf::as_path), &common, &discord, since)?,
        Command::Digest { command } => cli::digest::run(file.map(PathBuf::as_path), command)?,
        Command::Forget {
            common,
            state_dir,
            guild,
        } => cli::digest::forget_command(file.map(PathBuf::as_path), &common, state_dir, guild)?,
        Command::Alerts { command } => cli::alerts::run(file, command)?,
        Command::Config {
            command: ConfigCommand::Check,
        } => {
            let s = settings(file, &Common::default(), &none, plain())?;
            config::describe(file.map(PathBuf::as_path), &s)
        }
    };
    println!("{out}");
    Ok(())
}

/// `factdesk serve`: runs until SIGTERM or SIGINT.
fn serve(
    file: Option<&PathBuf>,
    common: &Common,
    discord: &Discord,
    extra: Overrides,
    no_digest: bool,
) -> Result<(), CliError> {
    // SIGHUP asks `serve` to reload, but ends a process that has not caught it yet: ignore it
    // until the runtime exists, then catch it — before reading the configuration and the
    // fact base.
    Hangups::ignore();
    let runtime = runtime()?;
    let hangups = {
        let _context = runtime.enter();
        Hangups::catch().map_err(|e| CliError::Failed(format!("cannot listen for SIGHUP: {e}")))?
    };
    let s = settings(file, common, discord, extra)?;
    // Held until serving ends: dropping it writes out the log lines still queued.
    let _logging =
        factdesk::telemetry::init_with(s.log_json, s.log_filter.as_deref(), s.access_log);
    let options = Options {
        no_digest,
        now: common.now,
        hangups: Some(hangups),
    };
    let serving = startup::run(&s, options, startup::shutdown_signal());
    runtime.block_on(serving).map_err(CliError::from)
}
