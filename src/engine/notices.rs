//! The words of the replies the serving layer sends on the engine's behalf when it holds an
//! answer back (its cooldowns, `crate::serving::cooldown`): a repeated answer pointed at the
//! one already in the channel, and a member asking too fast told when to come back.
//!
//! The engine owns the words; the serving layer owns the state and decides when they apply.
//! Nothing here reads a clock or knows a transport.

use super::timestamp::{marker, Style};
use super::Reply;

/// Where a message is in Discord's web and desktop clients: a link every client opens.
/// `guild` is `None` in direct messages.
pub fn message_link(guild: Option<u64>, channel: u64, message: u64) -> String {
    let guild = guild.map_or_else(|| "@me".to_owned(), |g| g.to_string());
    format!("https://discord.com/channels/{guild}/{channel}/{message}")
}

/// `reply` again, for the asker only, under a line pointing at the same answer posted in the
/// channel a moment ago: at `link` when its message is known, else "just above".
pub fn repeated(reply: &Reply, link: Option<&str>) -> Reply {
    let pointer = match link {
        Some(link) => format!("This was answered in this channel a moment ago: {link}"),
        None => {
            "This was answered in this channel a moment ago — see the answer just above.".to_owned()
        }
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
/// ask again (`again`, shown in their own time zone and language by Discord).
pub fn slow_down(again: jiff::Timestamp, per_minute: u32) -> Reply {
    Reply::ephemeral(format!(
        "That is more than I answer one member in a minute ({per_minute} commands). You can ask again {}.",
        marker(again, Style::Relative)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_repeat_points_at_the_message_and_keeps_the_answer() {
        let first = Reply::public("The visit is scheduled for 25–26 February 2026.");
        let link = message_link(Some(1), 2, 3);
        assert_eq!(link, "https://discord.com/channels/1/2/3");
        let again = repeated(&first, Some(&link));
        assert!(again.ephemeral);
        assert_eq!(
            again.content,
            "This was answered in this channel a moment ago: https://discord.com/channels/1/2/3\n\nThe visit is scheduled for 25–26 February 2026."
        );
        let unknown = repeated(&first, None);
        assert!(unknown.content.contains("see the answer just above"));
        assert_eq!(
            message_link(None, 2, 3),
            "https://discord.com/channels/@me/2/3"
        );
    }

    #[test]
    fn a_repeat_of_a_full_answer_still_fits() {
        let full = Reply::public("word ".repeat(400).trim_end());
        assert_eq!(repeated(&full, None).overflows(), Vec::<String>::new());
    }
}
