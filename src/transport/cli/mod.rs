//! The command-line transport: `check`, `ask` and `chat` (here), the operator's digest
//! commands (`digest.rs`) and the editors' commands that change the fact base (`editor.rs`).
//! Reads slash lines, prints replies; errors come back as [`CliError`] for the binary to report
//! and turn into an exit code.

pub mod alerts;
pub mod args;
mod atomic;
pub mod digest;
pub mod editor;
pub mod invite;

use std::future::Future;
use std::io::IsTerminal;
use std::path::Path;

use codespan_reporting::term::termcolor::{ColorChoice, StandardStream};

use crate::engine::{slash, Engine, Invocation, Response, Services, TargetMessage};
use crate::facts::LoadError;

/// Why a command-line command failed.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// The fact base (or another file with positions) is invalid: report it with carets.
    #[error(transparent)]
    Load(#[from] LoadError),
    /// The configuration is invalid or unreadable: report it with carets.
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    /// An edit of the fact base would make it invalid, so nothing was written: report the
    /// problems of the edited text with carets.
    #[error("the edit was refused; nothing was written:\n{0}")]
    Refused(LoadError),
    /// The command line could not be read (exit 2).
    #[error("{0}")]
    Usage(String),
    /// The command ran and failed (exit 1).
    #[error("{0}")]
    Failed(String),
}

impl CliError {
    /// The process exit code: 2 for a command line that could not be read, else 1.
    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::Usage(_) => 2,
            CliError::Load(_)
            | CliError::Config(_)
            | CliError::Refused(_)
            | CliError::Failed(_) => 1,
        }
    }

    /// Writes the error to stderr (a load error rustc-style, with carets).
    pub fn report(&self) {
        let rendered = match self {
            CliError::Load(e) => e.render(&mut stderr()),
            CliError::Config(e) => e.render(&mut stderr()),
            CliError::Refused(e) => {
                eprintln!(
                    "error: the edit was refused, and nothing was written; these problems are \
                     in the fact base as edited (positions refer to the edited text):"
                );
                e.render(&mut stderr())
            }
            other => {
                eprintln!("error: {other}");
                return;
            }
        };
        if rendered.is_err() {
            eprintln!("error: {self}");
        }
    }
}

/// Resolves the configuration: flags and environment over the file over defaults.
pub fn settings(
    file: Option<&Path>,
    c: &args::Common,
    d: &args::Discord,
    extra: crate::config::Overrides,
) -> Result<crate::config::Settings, CliError> {
    let overrides = crate::config::Overrides {
        facts: c.facts.clone(),
        state_dir: d.state_dir.clone(),
        api_base: d.api_base.clone().filter(|b| !b.is_empty()),
        application_id: d.application_id,
        guild: d.guild,
        ..extra
    };
    Ok(crate::config::load(file, &overrides)?)
}

/// The clock for one-shot commands: `--now`, else the system clock.
pub fn clock(c: &args::Common) -> jiff::Timestamp {
    c.now.unwrap_or_else(jiff::Timestamp::now)
}

/// A runtime for a one-shot command that talks to Discord or the database.
pub fn runtime() -> Result<tokio::runtime::Runtime, CliError> {
    tokio::runtime::Runtime::new()
        .map_err(|e| CliError::Failed(format!("cannot start the async runtime: {e}")))
}

/// Standard error for diagnostics: rustc-style colours on a terminal, plain otherwise.
fn stderr() -> StandardStream {
    let choice = if std::io::stderr().is_terminal() {
        ColorChoice::Auto
    } else {
        ColorChoice::Never
    };
    StandardStream::stderr(choice)
}

/// What `factdesk check` found in a fact base that passes: a summary line, and warnings that do
/// not fail it (a translation missing: those readers get English; with `--now`, the stale
/// hedges at that time).
#[derive(Debug)]
pub struct Checked {
    pub summary: String,
    /// `warning: file:line:column: field: message` lines.
    pub warnings: Vec<String>,
    /// The languages the fact base ships (what a configured channel's `locale` may name).
    pub locales: Vec<crate::facts::Locale>,
}

impl std::fmt::Display for Checked {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.summary)
    }
}

/// `factdesk check`: load, compile and render everything (in every shipped locale); `Ok` with
/// a summary line and any warnings — the stale hedges at `now` among them, when given — or the
/// error to report.
pub fn check(path: &Path, now: Option<jiff::Timestamp>) -> Result<Checked, LoadError> {
    let engine = answers_as_listed(crate::serving::build(path)?)?;
    let base = engine.facts();
    let mut warnings: Vec<String> = engine
        .warnings()
        .iter()
        .map(|d| format!("warning: {}", d.line(&base.path, &base.text)))
        .collect();
    if let Some(now) = now {
        warnings.extend(editor::stale_hedge_warnings(&engine, now));
    }
    Ok(Checked {
        summary: summary(path, &engine, warnings.len()),
        warnings,
        locales: base.locales.clone(),
    })
}

/// `factdesk check` as the command prints it: warnings to standard error, the summary returned.
/// The configuration's channels are checked against the fact base too: a `locale` it does
/// not ship is an error in the configuration file.
pub fn check_reporting(
    s: &crate::config::Settings,
    now: Option<jiff::Timestamp>,
) -> Result<String, CliError> {
    let checked = check(&s.facts, now)?;
    for warning in &checked.warnings {
        eprintln!("{warning}");
    }
    s.post_locales.check(&checked.locales)?;
    Ok(checked.summary)
}

/// Where the fact base is, for commands that need nothing else from the configuration:
/// `--facts`, else `FACTDESK_FACTS` or the configuration file (`config`), else `facts.toml`.
pub fn facts_path(
    config: Option<&Path>,
    common: &args::Common,
) -> Result<std::path::PathBuf, CliError> {
    let overrides = crate::config::Overrides {
        facts: common.facts.clone(),
        ..crate::config::Overrides::default()
    };
    Ok(crate::config::load(config, &overrides)?.facts)
}

/// The engine, if `/ask` answers every `[[questions]]` entry as listed: the last of `check`'s
/// checks (after loading and linting), which the editors' commands apply to an edit too.
pub fn answers_as_listed(engine: Engine) -> Result<Engine, LoadError> {
    let misses = engine.check_questions();
    if misses.is_empty() {
        Ok(engine)
    } else {
        Err(engine.facts().error(misses))
    }
}

/// `check`'s line for a valid fact base with `warnings` warnings.
fn summary(path: &Path, engine: &Engine, warnings: usize) -> String {
    let s = engine.summary();
    let base = engine.facts();
    let locales: Vec<&str> = base.locales.iter().map(|l| l.code.as_str()).collect();
    let languages = match locales.as_slice() {
        [] => String::new(),
        codes => format!(" (and in {})", codes.join(", ")),
    };
    let warned = match warnings {
        0 => String::new(),
        1 => "; 1 warning".to_owned(),
        n => format!("; {n} warnings"),
    };
    format!(
        "{}: ok — {} facts, {} sources, {} updates, {} commands; every reply renders within Discord's limits{languages}; {} expected questions answered as listed{warned}",
        path.display(),
        s["facts"],
        s["sources"],
        s["updates"],
        s["commands"],
        base.questions.len()
    )
}

/// Loads the fact base for a one-shot command (`ask`, `chat`, `digest`) and records it.
pub fn load(path: &Path) -> Result<Engine, CliError> {
    let started = std::time::Instant::now();
    let engine = Engine::load(path)?;
    crate::telemetry::record_fact_base(
        engine.version(),
        engine.facts().facts.len(),
        started.elapsed(),
    );
    Ok(engine)
}

/// Refuses words after the slash line: the line is one argument, so flags may follow it and a
/// forgotten pair of quotes is caught instead of half the line being lost.
pub fn refuse_extra(line: &str, extra: &[String]) -> Result<(), CliError> {
    if extra.is_empty() {
        return Ok(());
    }
    let whole = std::iter::once(line)
        .chain(extra.iter().map(String::as_str))
        .collect::<Vec<_>>()
        .join(" ");
    Err(CliError::Usage(format!(
        "the slash line must be one argument, but `{}` came after it; quote the whole line: factdesk ask '{}'",
        extra.join(" "),
        whole.replace('\'', "'\\''")
    )))
}

/// Answers `inv` on the calling thread, with no services (no digest database): what `ask`
/// and `chat` print, and what tests and benchmarks of the engine call. Works inside or outside
/// an async runtime.
pub fn answer(engine: &Engine, inv: &Invocation) -> Response {
    let services = Services::default();
    let mut answering = std::pin::pin!(engine.dispatch(inv, &services));
    // Handlers only wait on services, and there are none here: the first poll finishes.
    let mut context = std::task::Context::from_waker(std::task::Waker::noop());
    match answering.as_mut().poll(&mut context) {
        std::task::Poll::Ready(response) => response,
        std::task::Poll::Pending => Response::Message(crate::engine::notices::needs_serve(
            engine.reader_language(inv),
        )),
    }
}

/// What `factdesk ask` was asked: a slash line, a button press (`--component`) or "Ask
/// factdesk" on a message's text (`--message`). The CLI's `--locale` is both the reader's and
/// the server's.
pub fn asked(
    engine: &Engine,
    asked: &args::Asked,
    now: jiff::Timestamp,
    locale: Option<&str>,
) -> Result<Invocation, CliError> {
    let mut inv = match (&asked.line, &asked.component, &asked.message) {
        (Some(line), None, None) => {
            refuse_extra(line, &asked.extra)?;
            slash::parse(engine, line, now, locale).map_err(CliError::Usage)?
        }
        (None, Some(custom_id), None) => Invocation::press(custom_id.clone(), now),
        (None, None, Some(text)) => {
            let mut inv = Invocation::new(crate::engine::commands::ask::ASK_ON_MESSAGE, now);
            inv.target = Some(TargetMessage {
                id: 0,
                content: text.clone(),
            });
            inv
        }
        _ => {
            return Err(CliError::Usage(
                "give a slash line ('/dates'), --component CUSTOM_ID or --message TEXT".into(),
            ))
        }
    };
    inv.locale = locale.map(str::to_owned);
    inv.guild_locale = inv.locale.clone();
    Ok(inv)
}

/// The response to `inv` as `ask` and `chat` print it: the exact JSON, or text for a terminal
/// (Discord timestamps written out in the reader's zone, else the event's).
pub fn print(engine: &Engine, inv: &Invocation, response: &Response, json: bool) -> String {
    if json {
        response.to_json()
    } else {
        response.to_text_in(engine.reader_zone(inv.locale.as_deref()), inv.now)
    }
}

/// `factdesk chat`: a read-eval-print loop over slash lines, with history. The clock is read
/// per line unless pinned.
pub fn chat(
    engine: &Engine,
    now: Option<jiff::Timestamp>,
    locale: Option<&str>,
    json: bool,
) -> anyhow::Result<()> {
    use rustyline::error::ReadlineError;
    let mut editor = rustyline::DefaultEditor::new()?;
    let history = std::env::var_os("HOME").map(|h| Path::new(&h).join(".factdesk_history"));
    if let Some(h) = &history {
        // A missing history file is normal on first use.
        let _ = editor.load_history(h);
    }
    if std::io::stdin().is_terminal() {
        println!(
            "factdesk chat — {}. Type /help, or Ctrl-D to leave.",
            engine.facts().event.name
        );
    }
    // The buttons of the last answer: typing a button's number presses it.
    let mut buttons: Vec<String> = Vec::new();
    loop {
        match editor.readline("> ") {
            Ok(line) if line.trim().is_empty() => continue,
            Ok(line) => {
                let _ = editor.add_history_entry(line.as_str());
                if matches!(line.trim(), "quit" | "exit" | "/quit" | "/exit") {
                    break;
                }
                let now = now.unwrap_or_else(jiff::Timestamp::now);
                let inv = match line.trim().parse::<usize>() {
                    Ok(n) => match n.checked_sub(1).and_then(|i| buttons.get(i)) {
                        Some(custom_id) => Ok(Invocation::press(custom_id.clone(), now)),
                        None => Err(format!("There is no button {n} under the last answer.")),
                    },
                    Err(_) => slash::parse(engine, &line, now, locale),
                };
                match inv {
                    Ok(mut inv) => {
                        inv.locale = locale.map(str::to_owned);
                        inv.guild_locale = inv.locale.clone();
                        let response = answer(engine, &inv);
                        buttons = response.pressable();
                        println!("{}\n", print(engine, &inv, &response, json));
                        if !buttons.is_empty() && !json {
                            println!("(type a button's number to press it)\n");
                        }
                    }
                    Err(e) => println!("{e}\n"),
                }
            }
            Err(ReadlineError::Interrupted | ReadlineError::Eof) => break,
            Err(e) => return Err(e.into()),
        }
    }
    if let Some(h) = &history {
        if let Err(e) = editor.save_history(h) {
            eprintln!("note: could not save history to {}: {e}", h.display());
        }
    }
    Ok(())
}
