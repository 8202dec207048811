//! Discord interaction payloads → [`Invocation`]. Shared by the gateway (serenity's models)
//! and the HTTP endpoint (raw JSON); neither builds reply text.

use serenity::all::{CommandDataOption, CommandDataOptionValue, CommandInteraction};

use crate::engine::{Caller, Invocation, OptionValue};

/// Converts a serenity command or autocomplete interaction.
pub fn from_serenity(ci: &CommandInteraction, now: jiff::Timestamp) -> Invocation {
    let mut inv = Invocation::new(ci.data.name.clone(), now);
    inv.locale = Some(ci.locale.clone());
    inv.caller = Caller {
        guild_id: ci.guild_id.map(|g| g.get()),
        channel_id: Some(ci.channel_id.get()),
        user_id: Some(ci.user.id.get()),
        permissions: ci
            .member
            .as_ref()
            .and_then(|m| m.permissions)
            .map(|p| p.bits()),
    };
    options(&ci.data.options, &mut inv);
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
            // Ids of users, channels, roles and attachments: no declared option takes them, so
            // pass them as text and let the engine say the type is wrong.
            other => OptionValue::String(format!("{other:?}")),
        };
        inv.options.push((o.name.clone(), value));
    }
}
