//! The application-command definitions Discord receives on registration, built from the same
//! declarations that drive parsing and `/help` (facts.toml plus the built-in table).

use serde_json::{json, Map, Value};

use super::commands::{BuiltInOption, BUILT_INS};
use super::Engine;
use crate::facts::{Choices, OptionDef};

/// Discord's `APPLICATION_COMMAND_OPTION_TYPE` for a subcommand.
const SUB_COMMAND: u8 = 1;

fn localizations(map: &std::collections::BTreeMap<String, String>) -> Option<Value> {
    (!map.is_empty()).then(|| json!(map))
}

fn declared_option(engine: &Engine, o: &OptionDef) -> Value {
    let mut v = Map::new();
    v.insert("type".into(), json!(o.kind.discord_type()));
    v.insert("name".into(), json!(o.name));
    v.insert("description".into(), json!(o.description));
    v.insert("required".into(), json!(o.required));
    if let Some(l) = localizations(&o.name_localizations) {
        v.insert("name_localizations".into(), l);
    }
    if let Some(l) = localizations(&o.description_localizations) {
        v.insert("description_localizations".into(), l);
    }
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
            Choices::Topic(topic) => engine
                .facts()
                .facts
                .iter()
                .filter(|f| f.topics.contains(topic))
                .map(|f| json!({"name": f.title, "value": f.id}))
                .collect(),
        };
        if !choices.is_empty() {
            v.insert("choices".into(), json!(choices));
        }
    }
    Value::Object(v)
}

fn built_in_option(o: &BuiltInOption) -> Value {
    json!({"type": o.kind.discord_type(), "name": o.name, "description": o.description, "required": o.required})
}

/// The body of a bulk-overwrite `PUT …/commands`: every command, declared and built-in.
pub fn application_commands(engine: &Engine) -> Value {
    let mut out = Vec::new();
    for c in &engine.facts().commands {
        let mut v = Map::new();
        v.insert("type".into(), json!(1));
        v.insert("name".into(), json!(c.name));
        v.insert("description".into(), json!(c.description));
        if let Some(l) = localizations(&c.name_localizations) {
            v.insert("name_localizations".into(), l);
        }
        if let Some(l) = localizations(&c.description_localizations) {
            v.insert("description_localizations".into(), l);
        }
        v.insert(
            "options".into(),
            Value::Array(
                c.options
                    .iter()
                    .map(|o| declared_option(engine, o))
                    .collect(),
            ),
        );
        out.push(Value::Object(v));
    }
    for b in BUILT_INS {
        let options: Vec<Value> = if b.subcommands.is_empty() {
            b.options.iter().map(built_in_option).collect()
        } else {
            b.subcommands
                .iter()
                .map(|s| {
                    json!({
                        "type": SUB_COMMAND,
                        "name": s.name,
                        "description": s.description,
                        "options": s.options.iter().map(built_in_option).collect::<Vec<_>>(),
                    })
                })
                .collect()
        };
        let mut v =
            json!({"type": 1, "name": b.name, "description": b.description, "options": options});
        if let Some(p) = b.default_member_permissions {
            // Discord sends and expects permission bit sets as strings.
            v["default_member_permissions"] = json!(p.to_string());
        }
        out.push(v);
    }
    Value::Array(out)
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
