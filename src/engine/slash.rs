//! Reads a slash command typed as in Discord — `/systems name:Arrow`,
//! `/ask question: is a deal expected`, `/digest subscribe time:08:00` — into an
//! [`Invocation`]. Used by the CLI (`ask`, `chat`); Discord itself sends structured options.
//!
//! Options are split only at `name:` where `name` is an option the command declares, so values
//! may contain colons and spaces (`time:08:00`, `question: what at 10:30?`).

use super::command::{kind_name, HIDE, MENTION};
use super::language::say;
use super::{echo, Command, Engine, Invocation, OptionValue};
use crate::facts::{Locale, OptionKind};

/// Parses `line` for `engine`'s commands. The error is a sentence for the person who typed it,
/// in their language (`locale`).
pub fn parse(
    engine: &Engine,
    line: &str,
    now: jiff::Timestamp,
    locale: Option<&str>,
) -> Result<Invocation, String> {
    let line = line.trim();
    let line = line.strip_prefix('/').unwrap_or(line);
    let (command, mut rest) = split_word(line);
    let mut inv = Invocation::new(command.to_lowercase(), now);
    inv.locale = locale.map(str::to_owned);
    let lang = engine.reader_language(&inv);
    if command.is_empty() {
        return Err(say(lang, "error.type_command", &[]));
    }
    let command = engine.command(&inv.command);
    // The command whose options are typed: the subcommand named first, if any.
    let mut leaf = command;
    if let Some(c) = command.filter(|c| !c.subcommands.is_empty()) {
        let (sub, after) = split_word(rest);
        if let Some(s) = c.find_subcommand(sub) {
            inv.subcommand = Some(sub.to_owned());
            leaf = Some(s);
            rest = after;
        }
    }
    let options = typed_options(leaf);
    let marks = marks(rest, &options);
    let leading = rest[..marks.first().map_or(rest.len(), |m| m.0)].trim();
    if !leading.is_empty() {
        let value = leading_text(&inv.command, leading, &options, shorthand(leaf), lang)?;
        inv.options.push(value);
    }
    for (i, &(_, value_start, (name, kind))) in marks.iter().enumerate() {
        let end = marks.get(i + 1).map_or(rest.len(), |m| m.0);
        let raw = unquote(rest[value_start..end].trim());
        if inv.option(name).is_some() {
            return Err(say(lang, "error.option_twice", &[("option", name)]));
        }
        inv.options
            .push((name.to_owned(), typed(name, raw, kind, lang)?));
    }
    Ok(inv)
}

/// The options a line for `leaf` may name, with their types; before a subcommand is named,
/// every subcommand's (so the engine can say a subcommand is missing).
fn typed_options(leaf: Option<&Command>) -> Vec<(&str, OptionKind)> {
    let Some(leaf) = leaf else {
        return Vec::new();
    };
    let mut out: Vec<(&str, OptionKind)> = leaf
        .options
        .iter()
        .chain(leaf.subcommands.iter().flat_map(|s| s.options.iter()))
        .map(|o| (o.name.as_str(), o.kind))
        .collect();
    out.sort_by_key(|&(name, _)| name);
    out.dedup_by_key(|&mut (name, _)| name);
    out
}

/// The option unnamed text fills (`/ask drones?`, `/systems Arrow`): the first required option,
/// or the command's only option of its own (`hide` and `mention` do not count).
fn shorthand(leaf: Option<&Command>) -> Option<(&str, OptionKind)> {
    let leaf = leaf?;
    let own: Vec<_> = leaf
        .options
        .iter()
        .filter(|o| !(leaf.shareable && (o.name == HIDE || o.name == MENTION)))
        .collect();
    own.iter()
        .find(|o| o.required)
        .or(match own.as_slice() {
            [only] => Some(only),
            _ => None,
        })
        .map(|o| (o.name.as_str(), o.kind))
}

/// Where each `name:` of a known option starts in `rest`, where its value starts, and which
/// option it is, in order.
fn marks<'a>(
    rest: &str,
    options: &[(&'a str, OptionKind)],
) -> Vec<(usize, usize, (&'a str, OptionKind))> {
    let mut marks = Vec::new();
    for &(name, kind) in options {
        let pattern = format!("{name}:");
        for (at, _) in rest.match_indices(&pattern) {
            let at_word_start = rest[..at]
                .chars()
                .next_back()
                .is_none_or(char::is_whitespace);
            if at_word_start {
                marks.push((at, at + pattern.len(), (name, kind)));
            }
        }
    }
    marks.sort_by_key(|&(at, value, _)| (at, value));
    marks.dedup_by_key(|&mut (at, value, _)| (at, value));
    marks
}

/// Text before the first known `name:`: `foo:bar` with an option the command lacks (passed on
/// so the engine can say so), or the value of the [`shorthand`] option. A mistake is explained
/// in `lang`.
fn leading_text(
    command: &str,
    leading: &str,
    options: &[(&str, OptionKind)],
    shorthand: Option<(&str, OptionKind)>,
    lang: Option<&Locale>,
) -> Result<(String, OptionValue), String> {
    match (leading.split_once(':'), shorthand) {
        (Some((name, value)), _)
            if !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_alphanumeric() || c == '-' || c == '_') =>
        {
            Ok((
                name.to_owned(),
                OptionValue::String(unquote(value).to_owned()),
            ))
        }
        (_, Some((name, kind))) => Ok((name.to_owned(), typed(name, leading, kind, lang)?)),
        _ => {
            let text = echo::code(leading);
            Err(if options.is_empty() {
                say(
                    lang,
                    "error.not_understood_none",
                    &[("text", &text), ("command", command)],
                )
            } else {
                let names: Vec<String> = options.iter().map(|(n, _)| format!("{n}:…")).collect();
                let names = names.join(" ");
                say(
                    lang,
                    "error.not_understood",
                    &[("text", &text), ("options", &names)],
                )
            })
        }
    }
}

fn split_word(text: &str) -> (&str, &str) {
    let text = text.trim_start();
    match text.find(char::is_whitespace) {
        Some(i) => (&text[..i], &text[i..]),
        None => (text, ""),
    }
}

fn unquote(text: &str) -> &str {
    let text = text.trim();
    for q in ['"', '\''] {
        if text.len() >= 2 && text.starts_with(q) && text.ends_with(q) {
            return &text[1..text.len() - 1];
        }
    }
    text
}

fn typed(
    name: &str,
    raw: &str,
    kind: OptionKind,
    lang: Option<&Locale>,
) -> Result<OptionValue, String> {
    let bad = || {
        say(
            lang,
            "error.typed_option",
            &[
                ("option", name),
                ("kind", &kind_name(lang, kind)),
                ("value", &echo::code(raw)),
            ],
        )
    };
    Ok(match kind {
        OptionKind::String => OptionValue::String(raw.to_owned()),
        OptionKind::Integer => OptionValue::Integer(raw.parse().map_err(|_| bad())?),
        OptionKind::Number => OptionValue::Number(raw.parse().map_err(|_| bad())?),
        OptionKind::Boolean => OptionValue::Boolean(match raw.to_lowercase().as_str() {
            "true" | "yes" | "on" => true,
            "false" | "no" | "off" => false,
            _ => return Err(bad()),
        }),
        // `<@123>`, `<@!123>` or the bare id.
        OptionKind::User => OptionValue::User(
            raw.trim_start_matches("<@")
                .trim_start_matches('!')
                .trim_end_matches('>')
                .parse()
                .map_err(|_| bad())?,
        ),
        // `<@&123>` or the bare id.
        OptionKind::Role => OptionValue::Role(
            raw.trim_start_matches("<@&")
                .trim_end_matches('>')
                .parse()
                .map_err(|_| bad())?,
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn engine() -> Engine {
        Engine::load(std::path::Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/facts.toml"
        )))
        .expect("facts.toml loads")
    }

    #[test]
    fn values_keep_colons_and_spaces_and_subcommands_are_found() {
        let e = engine();
        let inv = parse(
            &e,
            "/digest subscribe time:08:00 timezone: Asia/Kolkata",
            jiff::Timestamp::UNIX_EPOCH,
            None,
        )
        .unwrap();
        assert_eq!(inv.subcommand.as_deref(), Some("subscribe"));
        assert_eq!(inv.option_text("time").as_deref(), Some("08:00"));
        assert_eq!(inv.option_text("timezone").as_deref(), Some("Asia/Kolkata"));
        let inv = parse(
            &e,
            "/ask question: what happens at 10:30?",
            jiff::Timestamp::UNIX_EPOCH,
            None,
        )
        .unwrap();
        assert_eq!(
            inv.option_text("question").as_deref(),
            Some("what happens at 10:30?")
        );
    }

    #[test]
    fn no_line_panics() {
        let e = engine();
        for line in [
            "",
            "/",
            "//",
            "/digest",
            "/digest preview timezone:",
            "/ask question:",
            "/systems name:name:name:",
            "/x y:z:",
            "/digest subscribe timezone:time:",
        ] {
            let _ = parse(&e, line, jiff::Timestamp::UNIX_EPOCH, None);
        }
    }
}
