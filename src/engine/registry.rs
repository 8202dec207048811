//! The command list — the fact base's declared commands, then the built-ins — and the
//! application-command definitions Discord receives on registration, built by walking it.

use serde_json::{json, Map, Value};

use std::collections::BTreeMap;

use super::command::{topic_facts, Action, Command, CommandKind, HIDE, MENTION};
use super::commands::BUILT_INS;
use super::Engine;
use crate::facts::locale::discord_codes;
use crate::facts::{Choices, Diagnostic, Fact, FactBase, OptionDef};

/// Discord's `APPLICATION_COMMAND_OPTION_TYPE` for a subcommand.
const SUB_COMMAND: u8 = 1;
/// Discord allows at most this many global commands per application.
const MAX_COMMANDS: usize = 100;

/// The command list for `base`; a declared command that takes a built-in's name, or more
/// commands than Discord allows, is an error pointing into the fact base.
pub fn build(base: &FactBase) -> Result<Vec<Command>, Vec<Diagnostic>> {
    let built_ins: Vec<Command> = BUILT_INS.iter().map(|make| make()).collect();
    let mut problems = Vec::new();
    let mut commands = Vec::with_capacity(base.commands.len() + built_ins.len());
    for (i, def) in base.commands.iter().enumerate() {
        if built_ins.iter().any(|b| b.name == def.name) {
            let names: Vec<&str> = built_ins.iter().map(|b| b.name.as_str()).collect();
            problems.push(
                Diagnostic::new(
                    def.name_span.clone(),
                    format!("commands[{i}].name"),
                    format!("`/{}` is a built-in command", def.name),
                )
                .help(format!(
                    "choose another name; built-ins are {}",
                    names.join(", ")
                )),
            );
        }
        problems.extend(sharing_clash(def, i));
        let command = Command {
            kind: CommandKind::Slash,
            name: def.name.clone(),
            description: def.description.clone(),
            name_localizations: def.name_localizations.clone(),
            description_localizations: def.description_localizations.clone(),
            options: def.options.clone(),
            subcommands: Vec::new(),
            default_member_permissions: None,
            ephemeral: def.ephemeral,
            shareable: false,
            action: Action::Template(i),
        };
        // Public fact commands take `hide` and `mention`; ephemeral ones have no use for them.
        commands.push(if def.ephemeral {
            command
        } else {
            command.shareable()
        });
    }
    if commands.len() + built_ins.len() > MAX_COMMANDS {
        problems.push(
            Diagnostic::new(
                0..0,
                "commands",
                format!(
                    "{} commands plus {} built-ins",
                    commands.len(),
                    built_ins.len()
                ),
            )
            .help(format!(
                "Discord allows at most {MAX_COMMANDS} commands per application"
            )),
        );
    }
    commands.extend(built_ins);
    if problems.is_empty() {
        Ok(commands)
    } else {
        Err(problems)
    }
}

/// Discord allows at most this many options per command.
const MAX_OPTIONS: usize = 25;

/// A public declared command gets the built-in `hide` and `mention` options: its own options
/// must not take their names, nor leave no room for them.
fn sharing_clash(def: &crate::facts::CommandDef, i: usize) -> Vec<Diagnostic> {
    if def.ephemeral {
        return Vec::new();
    }
    let mut out = Vec::new();
    for (j, o) in def.options.iter().enumerate() {
        if o.name == HIDE || o.name == MENTION {
            out.push(
                Diagnostic::new(
                    def.name_span.clone(),
                    format!("commands[{i}].options[{j}].name"),
                    format!("`{}` is a built-in option of every public command", o.name),
                )
                .help("choose another option name"),
            );
        }
    }
    if def.options.len() + 2 > MAX_OPTIONS {
        out.push(
            Diagnostic::new(
                def.name_span.clone(),
                format!("commands[{i}].options"),
                format!(
                    "`/{}` has {} options; with the built-in `hide` and `mention` that is more than Discord's {MAX_OPTIONS}",
                    def.name,
                    def.options.len()
                ),
            )
            .help("declare at most 23 options on a public command"),
        );
    }
    out
}

/// Fills the commands' `description_localizations` (what Discord shows readers of each
/// locale, and what `/help` says) from the fact base's translations: a declared command's
/// translated description, and for the built-ins the `[locales.<code>.descriptions]` entries
/// (`ask`, `digest subscribe time`, and `hide` / `mention` for those options of every public
/// command). An editor's own `description_localizations` entry wins. A description key that
/// names no built-in is an error; the built-ins a locale leaves undescribed are one warning.
pub fn localize(
    commands: &mut [Command],
    base: &FactBase,
) -> Result<Vec<Diagnostic>, Vec<Diagnostic>> {
    for (def, command) in base.commands.iter().zip(commands.iter_mut()) {
        for (code, t) in &def.translations {
            if let Some(d) = &t.description {
                fill(&mut command.description_localizations, code, d);
            }
        }
    }
    let (mut errors, mut warnings) = (Vec::new(), Vec::new());
    for locale in &base.locales {
        let mut missing = Vec::new();
        for command in commands.iter_mut() {
            describe(
                command,
                None,
                &mut |key, map| match locale.description(key) {
                    Some(text) => fill(map, &locale.code, text),
                    None if !missing.iter().any(|m| m == key) => missing.push(key.to_owned()),
                    None => {}
                },
            );
        }
        let mut known = Vec::new();
        for command in commands.iter_mut() {
            describe(command, None, &mut |key, _| known.push(key.to_owned()));
        }
        for d in &locale.descriptions {
            if !known.contains(&d.key) {
                errors.push(
                    Diagnostic::new(
                        d.span.clone(),
                        format!("locales.{}.descriptions", locale.code),
                        format!("`{}` is not a built-in command or option", d.key),
                    )
                    .help(format!("describe one of: {}", known.join(", "))),
                );
            }
        }
        if !missing.is_empty() {
            warnings.push(Diagnostic::new(
                locale.span.clone(),
                format!("locales.{}.descriptions", locale.code),
                format!(
                    "{} built-in descriptions are shown in English to `{}` readers: {}",
                    missing.len(),
                    locale.code,
                    missing.join(", ")
                ),
            ));
        }
    }
    if errors.is_empty() {
        Ok(warnings)
    } else {
        Err(errors)
    }
}

/// Calls `f` with the description key and `description_localizations` of every part of a
/// built-in `command` a locale describes (itself, its subcommands and options: `digest
/// subscribe time`), and of the shared `hide` and `mention` options of any public command.
/// Declared commands are described beside their template, so only their shared options are.
fn describe(
    command: &mut Command,
    parent: Option<&str>,
    f: &mut dyn FnMut(&str, &mut BTreeMap<String, String>),
) {
    let built_in = !matches!(command.action, Action::Template(_));
    if command.kind == CommandKind::Message {
        return;
    }
    let path = match parent {
        Some(p) => format!("{p} {}", command.name),
        None => command.name.clone(),
    };
    if built_in {
        f(&path, &mut command.description_localizations);
    }
    let shareable = command.shareable;
    for o in &mut command.options {
        if shareable && (o.name == HIDE || o.name == MENTION) {
            f(&o.name.clone(), &mut o.description_localizations);
        } else if built_in {
            f(
                &format!("{path} {}", o.name),
                &mut o.description_localizations,
            );
        }
    }
    for sub in &mut command.subcommands {
        describe(sub, Some(&path), f);
    }
}

/// Sets `text` for every Discord locale translation key `code` stands for, unless set.
fn fill(map: &mut BTreeMap<String, String>, code: &str, text: &str) {
    for discord in discord_codes(code) {
        map.entry(discord.to_owned())
            .or_insert_with(|| text.to_owned());
    }
}

/// A topic choice for registration: the fact's title, in every locale that translates it.
fn topic_choice(f: &Fact) -> Value {
    let mut names = BTreeMap::new();
    for (code, t) in &f.translations {
        fill(&mut names, code, &t.title);
    }
    let mut v = json!({"name": f.title, "value": f.id});
    if !names.is_empty() {
        v["name_localizations"] = json!(names);
    }
    v
}

/// Adds `name_localizations`-style maps when they are not empty.
fn localizations(
    v: &mut Map<String, Value>,
    key: &str,
    map: &std::collections::BTreeMap<String, String>,
) {
    if !map.is_empty() {
        v.insert(key.into(), json!(map));
    }
}

fn option_json(engine: &Engine, o: &OptionDef) -> Value {
    let mut v = Map::new();
    v.insert("type".into(), json!(o.kind.discord_type()));
    v.insert("name".into(), json!(o.name));
    v.insert("description".into(), json!(o.description));
    v.insert("required".into(), json!(o.required));
    localizations(&mut v, "name_localizations", &o.name_localizations);
    localizations(
        &mut v,
        "description_localizations",
        &o.description_localizations,
    );
    if o.autocomplete {
        // Discord forbids `choices` beside `autocomplete`: the bot suggests them as typed.
        v.insert("autocomplete".into(), json!(true));
    } else {
        let choices: Vec<Value> = match &o.choices {
            Choices::Free => Vec::new(),
            Choices::Fixed(list) => list
                .iter()
                .map(|c| json!({"name": c.name, "value": c.value}))
                .collect(),
            Choices::Topic(topic) => topic_facts(engine.facts(), topic)
                .map(topic_choice)
                .collect(),
        };
        if !choices.is_empty() {
            v.insert("choices".into(), json!(choices));
        }
    }
    Value::Object(v)
}

/// One command (type 1), message command (type 3) or subcommand (option type 1), with its
/// options or subcommands.
fn command_json(engine: &Engine, c: &Command, kind: u8) -> Value {
    let mut v = Map::new();
    if c.kind == CommandKind::Message {
        // A message command has a name only: Discord requires an empty description.
        v.insert("type".into(), json!(3));
        v.insert("name".into(), json!(c.name));
        v.insert("description".into(), json!(""));
        localizations(&mut v, "name_localizations", &c.name_localizations);
        return Value::Object(v);
    }
    v.insert("type".into(), json!(kind));
    v.insert("name".into(), json!(c.name));
    v.insert("description".into(), json!(c.description));
    localizations(&mut v, "name_localizations", &c.name_localizations);
    localizations(
        &mut v,
        "description_localizations",
        &c.description_localizations,
    );
    let options: Vec<Value> = if c.subcommands.is_empty() {
        c.options.iter().map(|o| option_json(engine, o)).collect()
    } else {
        c.subcommands
            .iter()
            .map(|s| command_json(engine, s, SUB_COMMAND))
            .collect()
    };
    v.insert("options".into(), Value::Array(options));
    if let Some(p) = c.default_member_permissions {
        // Discord sends and expects permission bit sets as strings.
        v.insert("default_member_permissions".into(), json!(p.to_string()));
    }
    Value::Object(v)
}

/// The body of a bulk-overwrite `PUT …/commands`: every command, declared and built-in.
pub fn application_commands(engine: &Engine) -> Value {
    Value::Array(
        engine
            .commands()
            .iter()
            .map(|c| command_json(engine, c, 1))
            .collect(),
    )
}

/// A stable fingerprint of the definitions (FNV-1a over the JSON), so `serve --register` can
/// skip re-registering unchanged commands across restarts. Stable across builds and Rust
/// versions, unlike `std`'s hasher.
pub fn fingerprint(commands: &Value) -> String {
    fnv(commands.to_string().as_bytes())
}

/// FNV-1a, 64 bits, as 16 hex digits.
pub fn fnv(bytes: &[u8]) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for &byte in bytes {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{hash:016x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Discord refuses a whole bulk registration for one bad name or description, so the
    /// built-ins (which no fact-base validation sees) are held to the same rules here.
    fn check(c: &Command, path: &str, problems: &mut Vec<String>) {
        let name_ok = |n: &str| {
            (1..=32).contains(&n.chars().count())
                && n.chars().all(|ch| {
                    ch == '-' || ch == '_' || (ch.is_alphanumeric() && !ch.is_uppercase())
                })
        };
        let path = format!("{path}/{}", c.name);
        if c.kind == CommandKind::Message {
            // A message command: 1–32 characters of any case and spaces, no description, no
            // options.
            if !(1..=32).contains(&c.name.chars().count())
                || !c.description.is_empty()
                || !c.options.is_empty()
            {
                problems.push(format!("{path}: message command"));
            }
            return;
        }
        if !name_ok(&c.name) {
            problems.push(format!("{path}: name"));
        }
        if !(1..=100).contains(&c.description.chars().count()) {
            problems.push(format!("{path}: description"));
        }
        if c.options.len() > 25 || c.subcommands.len() > 25 {
            problems.push(format!("{path}: more than 25 options"));
        }
        if !c.subcommands.is_empty() && !c.options.is_empty() {
            problems.push(format!("{path}: options beside subcommands"));
        }
        for o in &c.options {
            if !name_ok(&o.name) || !(1..=100).contains(&o.description.chars().count()) {
                problems.push(format!("{path}: option {}", o.name));
            }
        }
        let mut required_seen_optional = false;
        for o in &c.options {
            if o.required && required_seen_optional {
                problems.push(format!(
                    "{path}: required option {} after an optional one",
                    o.name
                ));
            }
            required_seen_optional |= !o.required;
        }
        for s in &c.subcommands {
            check(s, &path, problems);
        }
    }

    #[test]
    fn every_built_in_obeys_discords_rules() {
        let mut problems = Vec::new();
        let mut names = std::collections::HashSet::new();
        for make in BUILT_INS {
            let c = make();
            assert!(names.insert(c.name.clone()), "`/{}` twice", c.name);
            check(&c, "", &mut problems);
        }
        assert!(problems.is_empty(), "{problems:#?}");
    }
}
