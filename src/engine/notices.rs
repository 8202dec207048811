//! The words of the replies the serving layer and the transports send on the engine's behalf
//! when the engine did not answer: a repeated answer pointed at the one already in the channel
//! and a member asking too fast told when to come back (the cooldowns,
//! `crate::serving::cooldown`), an apology when answering itself failed, and a command that
//! needs the running bot asked on the command line.
//!
//! The engine owns the words, in the language the caller passes (the reader's: these replies
//! are seen only by them); the serving layer owns the state and decides when they apply.
//! Nothing here reads a clock or knows a transport.

use super::language::say;
use super::timestamp::{marker, Style};
use super::Reply;
use crate::facts::Locale;

/// Where a message is in Discord's web and desktop clients: a link every client opens.
/// `guild` is `None` in direct messages.
pub fn message_link(guild: Option<u64>, channel: u64, message: u64) -> String {
    let guild = guild.map_or_else(|| "@me".to_owned(), |g| g.to_string());
    format!("https://discord.com/channels/{guild}/{channel}/{message}")
}

/// `reply` again, for the asker only, under a line pointing at the same answer posted in the
/// channel a moment ago: at `link` when its message is known, else "just above". The pointer
/// is in `lang`; the answer stays as it was given.
pub fn repeated(reply: &Reply, link: Option<&str>, lang: Option<&Locale>) -> Reply {
    let pointer = match link {
        Some(link) => say(lang, "cooldown.repeat", &[("link", link)]),
        None => say(lang, "cooldown.repeat_above", &[]),
    };
    let mut again = reply.clone();
    again.content = match reply.content.is_empty() {
        true => pointer,
        false => format!("{pointer}\n\n{}", reply.content),
    };
    again.ephemeral = true;
    again.fit();
    again
}

/// The reply to a member who asked more often than `per_minute` times a minute: when they may
/// ask again (`again`, shown in their own time zone and language by Discord), in `lang`.
pub fn slow_down(again: jiff::Timestamp, per_minute: u32, lang: Option<&Locale>) -> Reply {
    let when = marker(again, Style::Relative);
    Reply::ephemeral(say(
        lang,
        "cooldown.slow_down",
        &[("n", &per_minute.to_string()), ("when", &when)],
    ))
}

/// The apology when answering itself failed (a handler panicked), in `lang`.
pub fn failed(lang: Option<&Locale>) -> Reply {
    Reply::ephemeral(say(lang, "sorry.failed", &[]))
}

/// The answer to a command that waits on a service where there is none (the command line),
/// in `lang`.
pub fn needs_serve(lang: Option<&Locale>) -> Reply {
    Reply::ephemeral(say(lang, "sorry.needs_serve", &[]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_repeat_points_at_the_message_and_keeps_the_answer() {
        let first = Reply::public("The visit is scheduled for 25–26 February 2026.");
        let link = message_link(Some(1), 2, 3);
        assert_eq!(link, "https://discord.com/channels/1/2/3");
        let again = repeated(&first, Some(&link), None);
        assert!(again.ephemeral);
        assert_eq!(
            again.content,
            "This was answered in this channel a moment ago: https://discord.com/channels/1/2/3\n\nThe visit is scheduled for 25–26 February 2026."
        );
        let unknown = repeated(&first, None, None);
        assert!(unknown.content.contains("see the answer just above"));
        assert_eq!(
            message_link(None, 2, 3),
            "https://discord.com/channels/@me/2/3"
        );
    }

    #[test]
    fn a_repeat_of_a_full_answer_still_fits() {
        let full = Reply::public("word ".repeat(400).trim_end());
        assert_eq!(
            repeated(&full, None, None).overflows(),
            Vec::<String>::new()
        );
    }
}
