//! `/digest` — subscribe this channel to the daily digest, unsubscribe, see its status, or
//! preview it.
//!
//! The engine owns the words and the checks (permission, time, time zone); the subscription
//! state lives in `crate::digest`, which calls [`request`] to read an invocation and the
//! `*_reply` functions to phrase the outcome. Without a store (the CLI), [`COMMAND`]'s `run`
//! answers `preview` and explains where subscriptions are managed.

use super::{BuiltIn, BuiltInOption, SubCommand};
use crate::engine::{Engine, Invocation, Reply};
use crate::facts::OptionKind;

/// Discord's `MANAGE_GUILD` and `ADMINISTRATOR` permission bits.
pub const MANAGE_GUILD: u64 = 1 << 5;
pub const ADMINISTRATOR: u64 = 1 << 3;

const TIME: BuiltInOption = BuiltInOption {
    name: "time",
    description: "Local time to post, HH:MM (24-hour), e.g. 08:00",
    kind: OptionKind::String,
    required: true,
};
const TIMEZONE: BuiltInOption = BuiltInOption {
    name: "timezone",
    description: "IANA time zone, e.g. Asia/Kolkata or Asia/Jerusalem",
    kind: OptionKind::String,
    required: true,
};
const TIMEZONE_OPTIONAL: BuiltInOption = BuiltInOption {
    required: false,
    ..TIMEZONE
};

pub const COMMAND: BuiltIn = BuiltIn {
    name: "digest",
    description: "The daily digest of the event in this channel",
    options: &[],
    subcommands: &[
        SubCommand {
            name: "subscribe",
            description: "Post the daily digest here at a local time (Manage Server)",
            options: &[TIME, TIMEZONE],
        },
        SubCommand {
            name: "unsubscribe",
            description: "Stop the daily digest in this channel (Manage Server)",
            options: &[],
        },
        SubCommand {
            name: "status",
            description: "This channel's digest: schedule, last and next post",
            options: &[],
        },
        SubCommand {
            name: "preview",
            description: "Show today's digest (only you see it)",
            options: &[TIMEZONE_OPTIONAL],
        },
    ],
    default_member_permissions: None,
    run,
};

/// What a `/digest` invocation asks for, checked.
#[derive(Debug, Clone, PartialEq)]
pub enum Request {
    Subscribe {
        channel: u64,
        guild: Option<u64>,
        time: jiff::civil::Time,
        zone: String,
    },
    Unsubscribe {
        channel: u64,
    },
    Status {
        channel: u64,
    },
    Preview {
        channel: Option<u64>,
        zone: Option<String>,
    },
}

/// Parses "HH:MM" (24-hour; seconds are not accepted, a digest is per minute).
pub fn parse_time(text: &str) -> Option<jiff::civil::Time> {
    let (h, m) = text.trim().split_once(':')?;
    let (h, m): (i8, i8) = (h.parse().ok()?, m.parse().ok()?);
    jiff::civil::Time::new(h, m, 0, 0).ok()
}

/// Checks a time zone name against the tz database.
pub fn check_zone(name: &str) -> Result<(), Reply> {
    jiff::tz::TimeZone::get(name.trim()).map(|_| ()).map_err(|_| {
        Reply::ephemeral(format!(
            "`{name}` is not a time zone I know. Use an IANA name such as `Asia/Kolkata`, `Asia/Jerusalem` or `Europe/London`."
        ))
    })
}

/// Reads and checks a `/digest` invocation; `Err` is the reply to send instead.
pub fn request(inv: &Invocation) -> Result<Request, Reply> {
    let sub = inv.subcommand.as_deref().unwrap_or("");
    let channel = inv.caller.channel_id;
    let needs_channel = || {
        channel.ok_or_else(|| Reply::ephemeral("Digest subscriptions belong to a Discord channel: use `/digest` there, or list the channel in factdesk.toml."))
    };
    let may_manage = inv
        .caller
        .permissions
        .is_some_and(|p| p & (MANAGE_GUILD | ADMINISTRATOR) != 0);
    let refuse = || {
        Reply::ephemeral("Sorry — only members with the **Manage Server** permission can change this channel's digest. You can still use `/digest status` and `/digest preview`.")
    };
    match sub {
        "subscribe" => {
            let channel = needs_channel()?;
            if !may_manage {
                return Err(refuse());
            }
            let time_text = inv.option_text("time").unwrap_or_default();
            let time = parse_time(&time_text).ok_or_else(|| {
                Reply::ephemeral(format!("`{time_text}` is not a time of day. Use HH:MM on a 24-hour clock, e.g. `08:00` or `18:30`."))
            })?;
            let zone = inv.option_text("timezone").unwrap_or_default().trim().to_owned();
            check_zone(&zone)?;
            Ok(Request::Subscribe { channel, guild: inv.caller.guild_id, time, zone })
        }
        "unsubscribe" => {
            let channel = needs_channel()?;
            if !may_manage {
                return Err(refuse());
            }
            Ok(Request::Unsubscribe { channel })
        }
        "status" => Ok(Request::Status { channel: needs_channel()? }),
        "preview" => {
            let zone = inv.option_text("timezone").map(|z| z.trim().to_owned());
            if let Some(z) = &zone {
                check_zone(z)?;
            }
            Ok(Request::Preview { channel, zone })
        }
        other => Err(Reply::ephemeral(format!(
            "`/digest {other}` is not a digest command. Use subscribe, unsubscribe, status or preview."
        ))),
    }
}

/// How a date and time read in digest replies: `Thursday 26 February 2026, 08:00 IST`.
pub fn when(at: jiff::Timestamp, zone: &str) -> String {
    match jiff::tz::TimeZone::get(zone) {
        Ok(tz) => at
            .to_zoned(tz)
            .strftime("%A %-d %B %Y, %H:%M %Z")
            .to_string(),
        Err(_) => at.to_string(),
    }
}

/// The reply to a successful subscribe.
pub fn subscribed_reply(time: jiff::civil::Time, zone: &str, next: jiff::Timestamp) -> Reply {
    Reply::ephemeral(format!(
        "Subscribed: this channel gets the daily digest at {} ({zone}). The next one is due {}.",
        time.strftime("%H:%M"),
        when(next, zone)
    ))
}

/// The reply to unsubscribing a channel whose digest the operator configured.
pub fn configured_reply() -> Reply {
    Reply::ephemeral(
        "This channel's digest is set in the bot's configuration file, so it cannot be stopped from Discord. Ask the bot's operator to remove it there.",
    )
}

/// The reply to unsubscribe.
pub fn unsubscribed_reply(existed: bool) -> Reply {
    Reply::ephemeral(if existed {
        "Unsubscribed: this channel will get no more daily digests."
    } else {
        "This channel had no digest subscription."
    })
}

/// What `/digest status` shows about one channel.
#[derive(Debug, Clone, PartialEq)]
pub struct Status {
    pub time: jiff::civil::Time,
    pub zone: String,
    /// "config" or "discord".
    pub origin: String,
    pub paused: Option<String>,
    pub next: Option<jiff::Timestamp>,
    pub last: Option<(String, String)>,
    pub skipped: Vec<(String, String)>,
}

/// The reply to `/digest status`.
pub fn status_reply(status: Option<&Status>) -> Reply {
    let Some(s) = status else {
        return Reply::ephemeral("This channel has no daily digest. Someone with Manage Server can start one with `/digest subscribe time:08:00 timezone:Asia/Kolkata`.");
    };
    let origin = if s.origin == "config" {
        " (set in the bot's configuration)"
    } else {
        ""
    };
    let mut out = format!(
        "Daily digest at {} ({}){origin}.",
        s.time.strftime("%H:%M"),
        s.zone
    );
    match (&s.paused, s.next) {
        (Some(reason), _) => out.push_str(&format!(
            "\n**Paused**: {reason}. Fix the cause, then subscribe again to resume."
        )),
        (None, Some(next)) => out.push_str(&format!("\nNext digest: {}.", when(next, &s.zone))),
        (None, None) => {}
    }
    match &s.last {
        Some((date, id)) => out.push_str(&format!("\nLast delivered: {date} (message {id}).")),
        None => out.push_str("\nNo digest delivered yet."),
    }
    for (date, reason) in &s.skipped {
        out.push_str(&format!("\nSkipped {date}: {reason}."));
    }
    Reply::ephemeral(out)
}

/// Without a store (e.g. `factdesk ask`): preview works, subscriptions are explained.
fn run(engine: &Engine, inv: &Invocation) -> Reply {
    match request(inv) {
        Ok(Request::Preview { zone, .. }) => preview(engine, inv.now, zone.as_deref(), None),
        Ok(_) => Reply::ephemeral(
            "Digest subscriptions need the running bot (`factdesk serve`) with its database.",
        ),
        Err(reply) => reply,
    }
}

/// Today's digest as an ephemeral preview, in `zone` (default: the event's), with updates
/// after `since`.
pub fn preview(
    engine: &Engine,
    now: jiff::Timestamp,
    zone: Option<&str>,
    since: Option<jiff::Timestamp>,
) -> Reply {
    let zone = zone
        .unwrap_or(&engine.facts().event.time_zone_name)
        .to_owned();
    match engine.render_digest(now, &zone, since) {
        Ok(mut reply) => {
            reply.ephemeral = true;
            reply
        }
        Err(e) => Reply::ephemeral(e),
    }
}
