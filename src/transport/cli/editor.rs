//! The editors' commands: `source add`, `update add` (with `--dry-run`), `update retract` and
//! `update list`.
//!
//! An edit changes `facts.toml` in place (`document.rs`: comments and layout kept), then checks
//! the edited text exactly as `factdesk check` does — loader, template lint, expected
//! questions — before anything is written. A refused edit writes nothing (a source file written
//! for it is removed again) and exits 1 with every problem at file:line:column of the edited
//! text. An accepted one is written atomically (`atomic.rs`), so a running bot's hot reload
//! never reads half a file. Nothing here decides what a reply says: `--dry-run` asks the
//! engine, as `factdesk ask` does.

mod document;
mod preview;

use std::path::Path;

use super::args::{NewSource, NewUpdate, SourceCommand, UpdateCommand};
use super::{answers_as_listed, atomic, facts_path, CliError};
use crate::engine::Engine;
use crate::facts::{self, FactBase};

/// `factdesk source …`; `config` is the configuration file, if any (it may say where the fact
/// base is).
pub fn source(config: Option<&Path>, command: SourceCommand) -> Result<String, CliError> {
    let path = facts_path(config, command.common())?;
    match command {
        SourceCommand::Add { source, .. } => source_add(&path, &source),
    }
}

/// `factdesk update …`, with the clock `--now` pins (else the system's).
pub fn update(config: Option<&Path>, command: UpdateCommand) -> Result<String, CliError> {
    let path = &facts_path(config, command.common())?;
    let now = command.common().now.unwrap_or_else(jiff::Timestamp::now);
    match command {
        UpdateCommand::Add {
            update, dry_run, ..
        } => update_add(path, &update, dry_run, now),
        UpdateCommand::Retract {
            id, reason, time, ..
        } => update_retract(path, &id, &reason, time, now),
        UpdateCommand::List { .. } => update_list(path, now),
    }
}

/// The fact base as it is on disk (its text in `.text`), read as `factdesk check` reads it: a
/// file that does not load is reported, not edited.
fn open(path: &Path) -> Result<FactBase, CliError> {
    Ok(facts::load(path)?)
}

/// `text` as a document to edit (it loaded, so it parses).
fn editable(text: &str) -> Result<toml_edit::DocumentMut, CliError> {
    text.parse()
        .map_err(|e| CliError::Failed(format!("the fact base cannot be edited: {e}")))
}

/// The engine of the edited fact base, if it passes every check of `factdesk check`.
fn checked(path: &Path, edited: &str) -> Result<Engine, CliError> {
    crate::serving::build_bytes(edited.as_bytes(), path)
        .and_then(answers_as_listed)
        .map_err(CliError::Refused)
}

/// Writes the edited fact base in place of the old one.
fn save(path: &Path, edited: &str) -> Result<(), CliError> {
    atomic::write(path, edited.as_bytes())
        .map_err(|e| CliError::Failed(format!("cannot write {}: {e}", path.display())))
}

/// An instant as the fact base writes it: RFC 3339 in the event's zone, to the second.
fn written(time: jiff::Timestamp, base: &FactBase) -> String {
    time.to_zoned(base.event.time_zone.clone())
        .strftime("%Y-%m-%dT%H:%M:%S%:z")
        .to_string()
}

/// Whether `id` can name a file: the loader's rule for ids (lowercase letters, digits, `-`,
/// `_`), checked first because the id becomes `sources/ID.txt`.
fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
}

fn source_add(path: &Path, new: &NewSource) -> Result<String, CliError> {
    if !valid_id(&new.id) {
        return Err(CliError::Failed(format!(
            "`{}` is not a valid source id: use lowercase letters, digits, `-` and `_`",
            new.id
        )));
    }
    let base = open(path)?;
    let words = std::fs::read_to_string(&new.file)
        .map_err(|e| CliError::Failed(format!("cannot read {}: {e}", new.file.display())))?;
    if words.trim().is_empty() {
        return Err(CliError::Failed(format!(
            "{} is empty: a source's text is what quotes are checked against",
            new.file.display()
        )));
    }
    let relative = format!("sources/{}.txt", new.id);
    let dir = path.parent().unwrap_or(Path::new(""));
    let file = dir.join(&relative);
    if file.exists() {
        return Err(CliError::Failed(format!(
            "{} already exists; `source add` never replaces a source's text",
            file.display()
        )));
    }
    let date = new.date.map(|d| d.to_string());
    let entry: &document::Entry<'_> = &[
        ("id", Some(&new.id)),
        ("title", Some(&new.title)),
        ("publisher", new.publisher.as_deref()),
        ("date", date.as_deref()),
        ("url", new.url.as_deref()),
        ("file", Some(&relative)),
    ];
    let mut doc = editable(&base.text)?;
    document::append(&mut doc, "sources", entry).map_err(CliError::Failed)?;
    let edited = doc.to_string();
    // The loader reads the source's text from disk: it is written first, and removed again if
    // the edit is refused.
    let made_dir = !dir.join("sources").exists();
    let written = std::fs::create_dir_all(dir.join("sources"))
        .and_then(|()| atomic::write(&file, words.as_bytes()))
        .map_err(|e| CliError::Failed(format!("cannot write {}: {e}", file.display())))
        .and_then(|()| checked(path, &edited))
        .and_then(|_| save(path, &edited));
    if let Err(e) = written {
        let _ = std::fs::remove_file(&file);
        if made_dir {
            let _ = std::fs::remove_dir(dir.join("sources"));
        }
        return Err(e);
    }
    Ok(format!(
        "{}: added source `{}` (its text in {relative}); `factdesk check` passes",
        path.display(),
        new.id
    ))
}

fn update_add(
    path: &Path,
    new: &NewUpdate,
    dry_run: bool,
    now: jiff::Timestamp,
) -> Result<String, CliError> {
    let base = open(path)?;
    let time = new.time.clone().unwrap_or_else(|| written(now, &base));
    let id = match &new.id {
        Some(id) => id.clone(),
        None => {
            let at = time.parse().unwrap_or(now);
            let taken = |id: &str| base.updates.iter().any(|u| u.id == id);
            facts::update_id(at, &new.source, &base.event.time_zone, taken)
        }
    };
    let entry: &document::Entry<'_> = &[
        ("id", Some(&id)),
        ("time", Some(&time)),
        ("source", Some(&new.source)),
        ("certainty", Some(&new.certainty)),
        ("text", Some(&new.text)),
        ("quote", Some(&new.quote)),
        ("supersedes", new.supersedes.as_deref()),
    ];
    let mut doc = editable(&base.text)?;
    document::append(&mut doc, "updates", entry).map_err(CliError::Failed)?;
    let edited = doc.to_string();
    let engine = checked(path, &edited)?;
    if dry_run {
        let shown = document::render("updates", entry);
        return Ok(preview::update(&engine, &id, &shown, now));
    }
    save(path, &edited)?;
    let replaces = new
        .supersedes
        .as_ref()
        .map(|f| format!(", superseding fact `{f}`"))
        .unwrap_or_default();
    Ok(format!(
        "{}: added update `{id}`{replaces}; `factdesk check` passes",
        path.display()
    ))
}

fn update_retract(
    path: &Path,
    id: &str,
    reason: &str,
    time: Option<String>,
    now: jiff::Timestamp,
) -> Result<String, CliError> {
    let base = open(path)?;
    let update = base.updates.iter().find(|u| u.id == id).ok_or_else(|| {
        CliError::Failed(format!(
            "no update has the id `{id}`; `factdesk update list` shows them"
        ))
    })?;
    if let Some(r) = &update.retracted {
        return Err(CliError::Failed(format!(
            "update `{id}` was already withdrawn at {}: {}",
            written(r.time, &base),
            r.reason
        )));
    }
    let time = time.unwrap_or_else(|| written(now, &base));
    let mut doc = editable(&base.text)?;
    document::retract(&mut doc, update.entry, id, (&time, reason)).map_err(CliError::Failed)?;
    let edited = doc.to_string();
    checked(path, &edited)?;
    save(path, &edited)?;
    Ok(format!(
        "{}: withdrew update `{id}`; replies no longer use it, and say it was withdrawn",
        path.display()
    ))
}

/// One line per update, oldest first: id, time, certainty, status (live, not yet made, or
/// withdrawn — with what it supersedes) and text.
fn update_list(path: &Path, now: jiff::Timestamp) -> Result<String, CliError> {
    let base = open(path)?;
    if base.updates.is_empty() {
        return Ok("No updates yet: add one with `factdesk update add`.".to_owned());
    }
    let lines: Vec<String> = base
        .updates
        .iter()
        .map(|u| {
            let mut status = match &u.retracted {
                Some(r) => format!("withdrawn {} ({})", written(r.time, &base), r.reason),
                None if u.time > now => "not yet made".to_owned(),
                None => "live".to_owned(),
            };
            if let Some(fact) = &u.supersedes {
                status.push_str(&format!("; supersedes {fact}"));
            }
            let time = written(u.time, &base);
            let certainty = u.certainty.name();
            format!("{}  {time}  {certainty}  {status}  {}", u.id, u.text)
        })
        .collect();
    Ok(lines.join("\n"))
}

/// `check`'s warnings: each fact that is a stale hedge at `now`, at its id's file:line:column.
pub fn stale_hedge_warnings(engine: &Engine, now: jiff::Timestamp) -> Vec<String> {
    let base = engine.facts();
    engine
        .stale_hedges(now)
        .into_iter()
        .map(|(i, note)| {
            let fact = &base.facts[i];
            let at = document::id_span(&base.text, "facts", i)
                .map(|span| {
                    let (line, column) = facts::line_col(&base.text, span.start);
                    format!("{}:{line}:{column}: ", base.path.display())
                })
                .unwrap_or_default();
            format!(
                "warning: {at}facts[{id}]: stale hedge: replies add \"({note})\"; when a source \
                 says what happened: factdesk update add --supersedes {id} …",
                id = fact.id,
            )
        })
        .collect()
}
