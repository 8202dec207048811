//! `factdesk invite`: the OAuth2 URL that adds the bot to a server, with exactly the scopes and
//! permissions its features need — computed from [`NEEDS`], never hand-copied.

/// Discord's permission bits the bot's own actions use (interaction replies need none: they
/// are webhook responses, allowed by the `applications.commands` scope).
const VIEW_CHANNEL: u64 = 1 << 10;
const SEND_MESSAGES: u64 = 1 << 11;
const EMBED_LINKS: u64 = 1 << 14;

/// A feature the bot offers and the permissions it needs in a server's channels.
struct Need {
    feature: Feature,
    permissions: u64,
    why: &'static str,
}

/// Features that can be on or off in a deployment.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Feature {
    /// Slash commands, autocomplete and their replies (always on).
    Commands,
    /// The daily digest posted by the bot into subscribed channels.
    Digest,
}

/// What each feature needs. Scopes: `bot` (a member that can post digests) and
/// `applications.commands` (slash commands in the server).
const NEEDS: &[Need] = &[
    Need {
        feature: Feature::Commands,
        permissions: 0,
        why: "slash commands are answered through the interaction, not as the bot",
    },
    Need {
        feature: Feature::Digest,
        permissions: VIEW_CHANNEL | SEND_MESSAGES | EMBED_LINKS,
        why: "the daily digest and change alerts are posted by the bot, as embeds, in each subscribed channel (and published there when it is an announcement channel: the bot's own posts need no more)",
    },
];

/// The permission bit set the enabled features need.
pub fn permissions(digest: bool) -> u64 {
    NEEDS
        .iter()
        .filter(|n| n.feature == Feature::Commands || (digest && n.feature == Feature::Digest))
        .fold(0, |bits, n| bits | n.permissions)
}

/// Why each permission is asked for, one line per enabled feature.
pub fn reasons(digest: bool) -> Vec<&'static str> {
    NEEDS
        .iter()
        .filter(|n| n.permissions != 0 && (digest || n.feature != Feature::Digest))
        .map(|n| n.why)
        .collect()
}

/// The invite URL for `application_id`.
pub fn url(application_id: u64, digest: bool) -> String {
    format!(
        "https://discord.com/oauth2/authorize?client_id={application_id}&scope=bot+applications.commands&permissions={}",
        permissions(digest)
    )
}

/// The invite URL to print, each reason for a permission written to standard error.
pub fn reported((url, reasons): (String, Vec<&str>)) -> String {
    for why in reasons {
        eprintln!("permission asked for: {why}");
    }
    url
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_digest_needs_view_and_send_and_nothing_else_needs_any() {
        assert_eq!(permissions(true), 19456);
        assert_eq!(permissions(false), 0);
        assert_eq!(
            url(42, true),
            "https://discord.com/oauth2/authorize?client_id=42&scope=bot+applications.commands&permissions=19456"
        );
        assert!(reasons(false).is_empty());
    }
}
