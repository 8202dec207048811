//! Message components: buttons the bot puts under its answers, and what pressing one does.
//!
//! A component is declared like a command: a `custom_id` prefix and a handler (one file each,
//! one line in [`COMPONENTS`]). Buttons are stateless: everything a press needs travels in its
//! `custom_id` (at most 100 characters), so a button keeps working after a restart and on any
//! HTTP replica.

pub mod source;

use super::{CommandError, Context, Outcome};

/// A kind of button: what its `custom_id`s start with (`prefix:`), and what a press does.
pub struct Component {
    pub prefix: &'static str,
    pub press: fn(&Context<'_>, &str) -> Outcome,
}

/// Every component the bot answers.
pub const COMPONENTS: &[Component] = &[source::COMPONENT];

/// Answers the press of the button with `custom_id`: always seen only by the presser.
pub fn press(ctx: &Context<'_>, custom_id: &str) -> Outcome {
    let (prefix, rest) = custom_id.split_once(':').unwrap_or((custom_id, ""));
    let component = COMPONENTS
        .iter()
        .find(|c| c.prefix == prefix)
        .ok_or_else(|| {
            let lang = ctx.reader_language();
            CommandError::user(super::language::say(lang, "error.unknown_button", &[]))
        })?;
    let mut reply = (component.press)(ctx, rest)?;
    reply.ephemeral = true;
    Ok(reply)
}
