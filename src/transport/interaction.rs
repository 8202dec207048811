//! Discord interaction payloads → [`Invocation`]. Shared by the gateway (serenity's models)
//! and the HTTP endpoint (raw JSON); neither builds reply text.

use serenity::all::{
    CommandDataOption, CommandDataOptionValue, CommandInteraction, ComponentInteraction,
    Interaction, ResolvedTarget,
};

use crate::engine::{Caller, Invocation, OptionValue, TargetMessage};

/// An interaction from the gateway the bot answers, with what answering it needs.
pub struct FromGateway<'a> {
    pub invocation: Invocation,
    pub id: serenity::all::InteractionId,
    pub application_id: u64,
    /// The interaction token (a secret for 15 minutes: never logged).
    pub token: &'a str,
}

/// Converts a gateway interaction the bot answers: a command (slash or message), an
/// autocomplete request or a button press. `None` for kinds it does not answer.
pub fn from_gateway(interaction: &Interaction, now: jiff::Timestamp) -> Option<FromGateway<'_>> {
    Some(match interaction {
        Interaction::Command(ci) | Interaction::Autocomplete(ci) => FromGateway {
            invocation: from_serenity(ci, now),
            id: ci.id,
            application_id: ci.application_id.get(),
            token: &ci.token,
        },
        Interaction::Component(press) => FromGateway {
            invocation: from_component(press, now),
            id: press.id,
            application_id: press.application_id.get(),
            token: &press.token,
        },
        _ => return None,
    })
}

/// Converts a serenity command or autocomplete interaction.
pub fn from_serenity(ci: &CommandInteraction, now: jiff::Timestamp) -> Invocation {
    let mut inv = Invocation::new(ci.data.name.clone(), now);
    inv.id = Some(ci.id.get());
    inv.locale = Some(ci.locale.clone());
    inv.guild_locale.clone_from(&ci.guild_locale);
    inv.caller = Caller {
        guild_id: ci.guild_id.map(|g| g.get()),
        channel_id: Some(ci.channel_id.get()),
        user_id: Some(ci.user.id.get()),
        permissions: ci
            .member
            .as_ref()
            .and_then(|m| m.permissions)
            .map(|p| p.bits()),
        app_permissions: ci.app_permissions.map(|p| p.bits()),
        channel_kind: ci.channel.as_ref().map(|c| u8::from(c.kind)),
    };
    if let Some(ResolvedTarget::Message(message)) = ci.data.target() {
        inv.target = Some(TargetMessage {
            id: message.id.get(),
            content: message.content.clone(),
        });
    }
    options(&ci.data.options, &mut inv);
    inv
}

/// Converts a serenity button press.
pub fn from_component(press: &ComponentInteraction, now: jiff::Timestamp) -> Invocation {
    let mut inv = Invocation::press(press.data.custom_id.clone(), now);
    inv.id = Some(press.id.get());
    inv.locale = Some(press.locale.clone());
    inv.guild_locale.clone_from(&press.guild_locale);
    inv.caller = Caller {
        guild_id: press.guild_id.map(|g| g.get()),
        channel_id: Some(press.channel_id.get()),
        user_id: Some(press.user.id.get()),
        permissions: press
            .member
            .as_ref()
            .and_then(|m| m.permissions)
            .map(|p| p.bits()),
        app_permissions: press.app_permissions.map(|p| p.bits()),
        channel_kind: press.channel.as_ref().map(|c| u8::from(c.kind)),
    };
    inv
}

fn options(list: &[CommandDataOption], inv: &mut Invocation) {
    for o in list {
        let value = match &o.value {
            CommandDataOptionValue::SubCommand(nested)
            | CommandDataOptionValue::SubCommandGroup(nested) => {
                inv.subcommand = Some(o.name.clone());
                options(nested, inv);
                continue;
            }
            CommandDataOptionValue::Autocomplete { value, .. } => {
                inv.focused = Some(o.name.clone());
                OptionValue::String(value.clone())
            }
            CommandDataOptionValue::String(s) => OptionValue::String(s.clone()),
            CommandDataOptionValue::Integer(i) => OptionValue::Integer(*i),
            CommandDataOptionValue::Number(n) => OptionValue::Number(*n),
            CommandDataOptionValue::Boolean(b) => OptionValue::Boolean(*b),
            CommandDataOptionValue::User(id) => OptionValue::User(id.get()),
            CommandDataOptionValue::Role(id) => OptionValue::Role(id.get()),
            // Ids of channels and attachments: no declared option takes them, so
            // pass them as text and let the engine say the type is wrong.
            other => OptionValue::String(format!("{other:?}")),
        };
        inv.options.push((o.name.clone(), value));
    }
}

/// What an HTTP interaction asks for.
#[derive(Debug)]
pub enum Incoming {
    /// Discord's endpoint check (type 1).
    Ping,
    /// A command (type 2), button press (type 3) or autocomplete request (type 4), and where a
    /// deferred answer goes.
    Invocation(Box<Invocation>, Reachable),
}

pub use crate::serving::Reachable;

/// Why an interaction body was not understood (answered with 400).
#[derive(Debug, thiserror::Error)]
pub enum BadInteraction {
    #[error("the body is not JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("unsupported interaction type {0}")]
    Type(u64),
    #[error("the interaction has no command name")]
    NoCommand,
}

/// A Discord id: a string of digits (as Discord sends it) or a number; anything else is "none".
#[derive(Default)]
struct Id(Option<u64>);

impl<'de> serde::Deserialize<'de> for Id {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Id, D::Error> {
        struct Visit;
        impl serde::de::Visitor<'_> for Visit {
            type Value = Id;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a Discord id")
            }
            fn visit_str<E>(self, v: &str) -> Result<Id, E> {
                Ok(Id(v.parse().ok()))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Id, E> {
                Ok(Id(Some(v)))
            }
            fn visit_unit<E>(self) -> Result<Id, E> {
                Ok(Id(None))
            }
        }
        d.deserialize_any(Visit)
    }
}

#[derive(serde::Deserialize)]
struct WithId {
    #[serde(default)]
    id: Id,
}

/// The channel an interaction came from: its id and type (5: announcement).
#[derive(serde::Deserialize)]
struct Channel {
    #[serde(default)]
    id: Id,
    #[serde(default, rename = "type")]
    kind: Option<u8>,
}

#[derive(serde::Deserialize)]
struct Member {
    #[serde(default)]
    user: Option<WithId>,
    #[serde(default)]
    permissions: Id,
}

#[derive(serde::Deserialize)]
struct Data<'a> {
    #[serde(borrow)]
    name: Option<std::borrow::Cow<'a, str>>,
    #[serde(default)]
    options: Vec<serde_json::Value>,
    /// A button's id (type 3).
    #[serde(default, borrow)]
    custom_id: Option<std::borrow::Cow<'a, str>>,
    /// A message command's target (data type 3), found in `resolved.messages`.
    #[serde(default)]
    target_id: Id,
    #[serde(default)]
    resolved: Option<Resolved>,
}

#[derive(serde::Deserialize)]
struct Resolved {
    #[serde(default)]
    messages: std::collections::HashMap<String, ResolvedMessage>,
}

#[derive(serde::Deserialize)]
struct ResolvedMessage {
    #[serde(default)]
    content: String,
}

/// The parts of an interaction factdesk reads; everything else is skipped unparsed.
#[derive(serde::Deserialize)]
struct Raw<'a> {
    #[serde(rename = "type")]
    kind: u64,
    #[serde(default)]
    id: Id,
    #[serde(default)]
    application_id: Id,
    #[serde(default, borrow)]
    token: Option<std::borrow::Cow<'a, str>>,
    #[serde(default, borrow)]
    data: Option<Data<'a>>,
    #[serde(default, borrow)]
    locale: Option<std::borrow::Cow<'a, str>>,
    #[serde(default, borrow)]
    guild_locale: Option<std::borrow::Cow<'a, str>>,
    #[serde(default)]
    guild_id: Id,
    #[serde(default)]
    channel_id: Id,
    #[serde(default)]
    channel: Option<Channel>,
    #[serde(default)]
    member: Option<Member>,
    /// The bot's permissions in the channel, as a decimal string.
    #[serde(default)]
    app_permissions: Id,
    #[serde(default)]
    user: Option<WithId>,
}

/// Reads a raw interaction (HTTP endpoint). Option values keep the JSON type Discord sent, so
/// a value of the wrong type reaches the engine and gets a polite reply. Only the fields used
/// are parsed (typed and borrowed): this runs on every request of the endpoint.
pub fn from_json(body: &[u8], now: jiff::Timestamp) -> Result<Incoming, BadInteraction> {
    let raw: Raw<'_> = serde_json::from_slice(body)?;
    match raw.kind {
        1 => return Ok(Incoming::Ping),
        2..=4 => {}
        other => return Err(BadInteraction::Type(other)),
    }
    let data = raw.data.ok_or(BadInteraction::NoCommand)?;
    let mut inv = if raw.kind == 3 {
        let custom_id = data.custom_id.ok_or(BadInteraction::NoCommand)?;
        Invocation::press(custom_id, now)
    } else {
        let name = data.name.ok_or(BadInteraction::NoCommand)?;
        let mut inv = Invocation::new(name, now);
        if let Some(id) = data.target_id.0 {
            let content = data
                .resolved
                .and_then(|mut r| r.messages.remove(&id.to_string()))
                .map(|m| m.content)
                .unwrap_or_default();
            inv.target = Some(TargetMessage { id, content });
        }
        inv
    };
    inv.id = raw.id.0;
    inv.locale = raw.locale.map(std::borrow::Cow::into_owned);
    inv.guild_locale = raw.guild_locale.map(std::borrow::Cow::into_owned);
    let member_user = raw
        .member
        .as_ref()
        .and_then(|m| m.user.as_ref())
        .and_then(|u| u.id.0);
    inv.caller = Caller {
        guild_id: raw.guild_id.0,
        channel_id: raw
            .channel_id
            .0
            .or_else(|| raw.channel.as_ref().and_then(|c| c.id.0)),
        user_id: member_user.or_else(|| raw.user.and_then(|u| u.id.0)),
        permissions: raw.member.and_then(|m| m.permissions.0),
        app_permissions: raw.app_permissions.0,
        channel_kind: raw.channel.and_then(|c| c.kind),
    };
    json_options(&serde_json::Value::Array(data.options), &mut inv);
    let reachable = Reachable {
        application_id: raw.application_id.0,
        token: raw
            .token
            .map(std::borrow::Cow::into_owned)
            .unwrap_or_default(),
    };
    Ok(Incoming::Invocation(Box::new(inv), reachable))
}

fn json_options(list: &serde_json::Value, inv: &mut Invocation) {
    let Some(list) = list.as_array() else { return };
    for o in list {
        let Some(name) = o["name"].as_str() else {
            continue;
        };
        // Subcommand (1) or group (2): descend.
        if matches!(o["type"].as_u64(), Some(1 | 2)) {
            inv.subcommand = Some(name.to_owned());
            json_options(&o["options"], inv);
            continue;
        }
        if o["focused"].as_bool() == Some(true) {
            inv.focused = Some(name.to_owned());
        }
        let value = match &o["value"] {
            // A user option (type 6): the user's id, as a string.
            serde_json::Value::String(s) if o["type"].as_u64() == Some(6) => s
                .parse()
                .map_or_else(|_| OptionValue::String(s.clone()), OptionValue::User),
            // A role option (type 8): the role's id, as a string.
            serde_json::Value::String(s) if o["type"].as_u64() == Some(8) => s
                .parse()
                .map_or_else(|_| OptionValue::String(s.clone()), OptionValue::Role),
            serde_json::Value::String(s) => OptionValue::String(s.clone()),
            serde_json::Value::Bool(b) => OptionValue::Boolean(*b),
            serde_json::Value::Number(n) => match n.as_i64() {
                Some(i) => OptionValue::Integer(i),
                None => OptionValue::Number(n.as_f64().unwrap_or(f64::NAN)),
            },
            other => OptionValue::String(other.to_string()),
        };
        inv.options.push((name.to_owned(), value));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Enough of a gateway interaction for serenity's model, from a server with `guild_locale`.
    fn gateway_payload(guild_locale: Option<&str>) -> serde_json::Value {
        serde_json::json!({
            "id": "1400000000000000001",
            "application_id": "1100000000000000001",
            "type": 2,
            "data": {"id": "1250000000000000001", "name": "mou", "type": 1},
            "guild_id": "1200000000000000001",
            "channel_id": "1150000000000000001",
            "member": {
                "user": {"id": "1300000000000000001", "username": "reader", "discriminator": "0", "global_name": null, "avatar": null},
                "nick": null, "avatar": null, "roles": [],
                "joined_at": "2025-01-01T00:00:00.000000+00:00", "premium_since": null,
                "deaf": false, "mute": false, "flags": 0, "pending": false,
                "permissions": "0", "communication_disabled_until": null
            },
            "token": "t",
            "version": 1,
            "app_permissions": "0",
            "locale": "en-US",
            "guild_locale": guild_locale,
            "entitlements": [],
            "authorizing_integration_owners": {"0": "1200000000000000001"},
            "context": 0,
            "attachment_size_limit": 26214400
        })
    }

    #[test]
    fn both_transports_read_the_readers_and_the_servers_locale() {
        let now = jiff::Timestamp::UNIX_EPOCH;
        let ci: CommandInteraction =
            serde_json::from_value(gateway_payload(Some("hi"))).expect("serenity parses it");
        let inv = from_serenity(&ci, now);
        assert_eq!(
            (inv.locale.as_deref(), inv.guild_locale.as_deref()),
            (Some("en-US"), Some("hi"))
        );
        let body = gateway_payload(Some("hi")).to_string();
        let Ok(Incoming::Invocation(inv, _)) = from_json(body.as_bytes(), now) else {
            panic!("an invocation");
        };
        assert_eq!(
            (inv.locale.as_deref(), inv.guild_locale.as_deref()),
            (Some("en-US"), Some("hi"))
        );
        // A DM has no server locale.
        let body = gateway_payload(None).to_string();
        let Ok(Incoming::Invocation(inv, _)) = from_json(body.as_bytes(), now) else {
            panic!("an invocation");
        };
        assert_eq!(inv.guild_locale, None);
    }

    #[test]
    fn both_transports_read_the_bots_permissions_and_the_channels_type() {
        let now = jiff::Timestamp::UNIX_EPOCH;
        let mut payload = gateway_payload(None);
        payload["app_permissions"] = serde_json::json!("3072");
        payload["channel"] =
            serde_json::json!({"id": "1150000000000000001", "type": 5, "name": "news"});
        let ci: CommandInteraction =
            serde_json::from_value(payload.clone()).expect("serenity parses it");
        let gateway = from_serenity(&ci, now).caller;
        let Ok(Incoming::Invocation(inv, _)) = from_json(payload.to_string().as_bytes(), now)
        else {
            panic!("an invocation");
        };
        for caller in [gateway, inv.caller] {
            assert_eq!(caller.app_permissions, Some(3072));
            assert_eq!(caller.channel_kind, Some(5));
        }
    }
}
