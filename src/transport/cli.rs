//! The command-line transport: `check`, `ask` and `chat`. Reads slash lines, prints replies.

use std::io::IsTerminal;
use std::path::Path;

use codespan_reporting::term::termcolor::{ColorChoice, StandardStream};

use crate::engine::{slash, Engine};
use crate::facts::LoadError;

/// Writes a load error to stderr: rustc-style with colours on a terminal, plain otherwise.
pub fn report(error: &LoadError) {
    let choice = if std::io::stderr().is_terminal() {
        ColorChoice::Auto
    } else {
        ColorChoice::Never
    };
    let mut out = StandardStream::stderr(choice);
    if error.render(&mut out).is_err() {
        eprintln!("{error}");
    }
}

/// `factdesk check`: load, compile and render everything; `Ok` with a summary line, or the
/// error to report.
pub fn check(path: &Path) -> Result<String, LoadError> {
    let engine = Engine::load(path)?;
    let problems = engine.lint();
    if !problems.is_empty() {
        return Err(engine.facts().error(problems));
    }
    let s = engine.summary();
    Ok(format!(
        "{}: ok — {} facts, {} sources, {} updates, {} commands; every reply renders within Discord's limits",
        path.display(),
        s["facts"],
        s["sources"],
        s["updates"],
        s["commands"]
    ))
}

/// `factdesk ask`: the reply to one slash line, as text or as the interaction-response JSON.
pub fn ask(
    engine: &Engine,
    line: &str,
    json: bool,
    now: jiff::Timestamp,
    locale: Option<&str>,
) -> Result<String, String> {
    let inv = slash::parse(engine, line, now, locale)?;
    let response = engine.dispatch(&inv);
    Ok(if json {
        response.to_json()
    } else {
        response.to_text()
    })
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
    loop {
        match editor.readline("> ") {
            Ok(line) if line.trim().is_empty() => continue,
            Ok(line) => {
                let _ = editor.add_history_entry(line.as_str());
                if matches!(line.trim(), "quit" | "exit" | "/quit" | "/exit") {
                    break;
                }
                match ask(
                    engine,
                    &line,
                    json,
                    now.unwrap_or_else(jiff::Timestamp::now),
                    locale,
                ) {
                    Ok(reply) => println!("{reply}\n"),
                    Err(message) => println!("{message}\n"),
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
