//! `/digest` — subscribe this channel to the daily digest, unsubscribe, see its status, or
//! preview it.
//!
//! All of `/digest` lives here: the checks (channel, permission, time, time zone), the calls to
//! the [`Subscriptions`] service the serving process offers, and the words of every reply.
//! Without the service (the CLI), `preview` still works and the others explain where
//! subscriptions are managed.

use std::sync::Arc;

use crate::engine::command::string_option;
use crate::engine::echo;
use crate::engine::language;
use crate::engine::subscriptions::{
    HistoryEntry, Mode, NewSubscription, Origin, Status, Subscriptions, Unsubscribed,
};
use crate::engine::timestamp::{marker, Style};
use crate::engine::{
    Action, Command, CommandError, Context, Embed, Engine, Outcome, OutcomeFuture, Reply,
    ServiceError,
};
use crate::facts::window::Position;
use crate::facts::{FactBase, Locale};

/// Discord's `MANAGE_GUILD` and `ADMINISTRATOR` permission bits.
pub const MANAGE_GUILD: u64 = 1 << 5;
pub const ADMINISTRATOR: u64 = 1 << 3;

const TIMEZONE_HELP: &str = "IANA time zone, e.g. Asia/Kolkata or Asia/Jerusalem";

/// `/digest subscribe · unsubscribe · status · preview`.
pub fn command() -> Command {
    Command::new(
        "digest",
        "The daily digest of the event in this channel",
        Action::Group,
    )
    .ephemeral()
    .subcommand(
        Command::new(
            "subscribe",
            "Post the daily digest here at a local time (Manage Server)",
            Action::RunAsync(subscribe),
        )
        .option(string_option(
            "time",
            "Local time to post, HH:MM (24-hour), e.g. 08:00",
            true,
        ))
        .option(string_option("timezone", TIMEZONE_HELP, true))
        .option(mode_option()),
    )
    .subcommand(Command::new(
        "unsubscribe",
        "Stop the daily digest in this channel (Manage Server)",
        Action::RunAsync(unsubscribe),
    ))
    .subcommand(Command::new(
        "status",
        "This channel's digest: schedule, last and next post",
        Action::RunAsync(status),
    ))
    .subcommand(
        Command::new(
            "preview",
            "Show today's digest (only you see it)",
            Action::RunAsync(preview),
        )
        .option(string_option("timezone", TIMEZONE_HELP, false)),
    )
}

/// `mode`: every day (the default), or only on days with new updates.
fn mode_option() -> crate::facts::OptionDef {
    let mut option = string_option(
        "mode",
        "daily (the default), or updates: only on days with new updates",
        false,
    );
    option.choices = crate::facts::Choices::Fixed(vec![
        crate::facts::Choice {
            name: "every day".into(),
            value: Mode::Daily.name().into(),
        },
        crate::facts::Choice {
            name: "only when there are updates".into(),
            value: Mode::Updates.name().into(),
        },
    ]);
    option
}

/// Parses "HH:MM" (24-hour; seconds are not accepted, a digest is per minute).
pub fn parse_time(text: &str) -> Option<jiff::civil::Time> {
    let (h, m) = text.trim().split_once(':')?;
    let (h, m): (i8, i8) = (h.parse().ok()?, m.parse().ok()?);
    jiff::civil::Time::new(h, m, 0, 0).ok()
}

/// Checks a time zone name against the tz database.
fn check_zone(name: &str) -> Result<(), CommandError> {
    jiff::tz::TimeZone::get(name.trim()).map(|_| ()).map_err(|_| {
        CommandError::user(format!(
            "{} is not a time zone I know. Use an IANA name such as `Asia/Kolkata`, `Asia/Jerusalem` or `Europe/London`.",
            echo::code(name)
        ))
    })
}

/// Discord's permission bits the bot needs to post a digest or an alert in a channel: see
/// it, send in it, and embed (the digest is an embed).
pub const VIEW_CHANNEL: u64 = 1 << 10;
pub const SEND_MESSAGES: u64 = 1 << 11;
pub const EMBED_LINKS: u64 = 1 << 14;

/// Refuses a channel where the bot cannot post (its `app_permissions`, which Discord sends
/// with every interaction), naming what to grant — at once, rather than a pause the next day.
/// Without the permissions (the command line) nothing is refused.
pub(crate) fn require_bot_can_post(ctx: &Context<'_>, what: &str) -> Result<(), CommandError> {
    let Some(granted) = ctx.invocation.caller.app_permissions else {
        return Ok(());
    };
    if granted & ADMINISTRATOR != 0 {
        return Ok(());
    }
    let missing: Vec<&str> = [
        (VIEW_CHANNEL, "View Channel"),
        (SEND_MESSAGES, "Send Messages"),
        (EMBED_LINKS, "Embed Links"),
    ]
    .into_iter()
    .filter(|(bit, _)| granted & bit == 0)
    .map(|(_, name)| name)
    .collect();
    if missing.is_empty() {
        return Ok(());
    }
    Err(CommandError::user(format!(
        "I cannot post {what} in this channel: grant me **{}** here (channel settings → Permissions), then subscribe again.",
        missing.join("**, **")
    )))
}

/// The channel the invocation came from; subscriptions belong to one.
pub(crate) fn channel(ctx: &Context<'_>) -> Result<u64, CommandError> {
    ctx.invocation.caller.channel_id.ok_or_else(|| {
        CommandError::user("Digest subscriptions belong to a Discord channel: use `/digest` there, or list the channel in factdesk.toml.")
    })
}

/// Refuses members without Manage Server (or Administrator).
pub(crate) fn require_manage(ctx: &Context<'_>) -> Result<(), CommandError> {
    let may = ctx
        .invocation
        .caller
        .permissions
        .is_some_and(|p| p & (MANAGE_GUILD | ADMINISTRATOR) != 0);
    if may {
        Ok(())
    } else {
        Err(CommandError::user("Sorry — only members with the **Manage Server** permission can change this channel's digest. You can still use `/digest status` and `/digest preview`."))
    }
}

/// The subscription service, or the explanation that this process has none.
fn service<'a>(ctx: &'a Context<'_>) -> Result<&'a Arc<dyn Subscriptions>, CommandError> {
    ctx.services.subscriptions.as_ref().ok_or_else(|| {
        CommandError::user(
            "Digest subscriptions need the running bot (`factdesk serve`) with its database.",
        )
    })
}

/// A failed service call: the reader gets an apology, the operator the reason.
fn unavailable(e: ServiceError) -> CommandError {
    CommandError::Internal {
        reason: e.to_string(),
        apology: "Sorry — the digest's database is unavailable right now. Please try again later."
            .into(),
    }
}

fn subscribe<'a>(ctx: &'a Context<'a>) -> OutcomeFuture<'a> {
    Box::pin(async move {
        let channel = channel(ctx)?;
        require_manage(ctx)?;
        require_bot_can_post(ctx, "the digest")?;
        let inv = ctx.invocation;
        let time_text = inv.option_text("time").unwrap_or_default();
        let time = parse_time(&time_text).ok_or_else(|| {
            CommandError::user(format!(
                "{} is not a time of day. Use HH:MM on a 24-hour clock, e.g. `08:00` or `18:30`.",
                echo::code(&time_text)
            ))
        })?;
        let zone = inv
            .option_text("timezone")
            .unwrap_or_default()
            .trim()
            .to_owned();
        check_zone(&zone)?;
        let mode = inv
            .option_text("mode")
            .and_then(|m| Mode::parse(&m))
            .unwrap_or_default();
        let request = NewSubscription {
            channel,
            guild: inv.caller.guild_id,
            time,
            zone: zone.clone(),
            mode,
            at: ctx.now(),
            channel_kind: inv.caller.channel_kind,
            locale: inv.guild_locale.clone(),
        };
        let next = service(ctx)?
            .subscribe(request)
            .await
            .map_err(unavailable)?;
        let schedule = schedule_words(time, &zone, mode);
        let next = match window_line(ctx.facts(), time, &zone, next) {
            (Some(line), _) => line,
            (None, next) => format!("The next one is due {}.", due(next)),
        };
        Ok(Reply::ephemeral(format!(
            "Subscribed: this channel gets the {schedule}. {next}"
        )))
    })
}

fn unsubscribe<'a>(ctx: &'a Context<'a>) -> OutcomeFuture<'a> {
    Box::pin(async move {
        let channel = channel(ctx)?;
        require_manage(ctx)?;
        let done = service(ctx)?
            .unsubscribe(channel)
            .await
            .map_err(unavailable)?;
        Ok(Reply::ephemeral(match done {
            Unsubscribed::Removed => "Unsubscribed: this channel will get no more daily digests.",
            Unsubscribed::NotSubscribed => "This channel had no digest subscription.",
            Unsubscribed::Configured => "This channel's digest is set in the bot's configuration file, so it cannot be stopped from Discord. Ask the bot's operator to remove it there.",
        }))
    })
}

fn status<'a>(ctx: &'a Context<'a>) -> OutcomeFuture<'a> {
    Box::pin(async move {
        let channel = channel(ctx)?;
        let status = service(ctx)?
            .status(channel, ctx.now())
            .await
            .map_err(unavailable)?;
        let mut reply = status_reply(status.as_ref(), ctx.facts());
        if let Some(line) = status
            .as_ref()
            .and_then(|s| posted_in(ctx.engine, s, ctx.language()))
        {
            reply.content = format!("{}\n{line}", reply.content);
        }
        Ok(reply)
    })
}

/// The line saying, in `lang`, which language the channel's digests are posted in (the
/// language's own name) — when the fact base ships a language besides English.
pub fn posted_in(engine: &Engine, status: &Status, lang: Option<&Locale>) -> Option<String> {
    if engine.facts().locales.is_empty() {
        return None;
    }
    let posts = engine.post_language(status.locale.as_deref());
    let name = language::say(posts, "post.language_name", &[]);
    Some(language::say(lang, "post.language", &[("language", &name)]))
}

fn preview<'a>(ctx: &'a Context<'a>) -> OutcomeFuture<'a> {
    Box::pin(async move {
        let zone = ctx
            .invocation
            .option_text("timezone")
            .map(|z| z.trim().to_owned());
        let subscriptions = ctx.services.subscriptions.as_deref();
        let channel = ctx.invocation.caller.channel_id;
        // Only the reader sees a preview: it is written in their language.
        let mut reply = render(
            ctx.engine,
            subscriptions,
            channel,
            zone.as_deref(),
            ctx.language(),
            ctx.now(),
        )
        .await?;
        reply.ephemeral = true;
        Ok(reply)
    })
}

/// Today's digest as of `now`, written in `lang`: in `channel`'s zone with the updates since its
/// last digest when it is subscribed, in `zone` when given, else in the event's zone. What
/// `/digest preview` shows and `factdesk digest preview` prints.
pub async fn render(
    engine: &Engine,
    subscriptions: Option<&dyn Subscriptions>,
    channel: Option<u64>,
    zone: Option<&str>,
    lang: Option<&Locale>,
    now: jiff::Timestamp,
) -> Outcome {
    if let Some(z) = zone {
        check_zone(z)?;
    }
    let basis = match (subscriptions, channel) {
        (Some(service), Some(channel)) => {
            service.preview_basis(channel).await.map_err(unavailable)?
        }
        _ => Default::default(),
    };
    let zone = zone.map(str::to_owned).or(basis.zone);
    let zone = zone
        .as_deref()
        .unwrap_or(&engine.facts().event.time_zone_name);
    engine.render_digest(now, zone, basis.since, lang)
}

/// When a digest is due, as Discord shows it to each reader (their zone, their language):
/// `Thursday, 26 February 2026 02:30 (in 2 days)` for a reader in London.
fn due(at: jiff::Timestamp) -> String {
    format!(
        "{} ({})",
        marker(at, Style::LongDateTime),
        marker(at, Style::Relative)
    )
}

/// How a date and time read in the operator's reports (logs, skip reasons): `Thursday 26
/// February 2026, 08:00 IST`.
pub fn when(at: jiff::Timestamp, zone: &str) -> String {
    match jiff::tz::TimeZone::get(zone) {
        Ok(tz) => at
            .to_zoned(tz)
            .strftime("%A %-d %B %Y, %H:%M %Z")
            .to_string(),
        Err(_) => at.to_string(),
    }
}

/// "daily digest at 08:00 (Asia/Kolkata)", or "digest at … on days with new updates".
fn schedule_words(time: jiff::civil::Time, zone: &str, mode: Mode) -> String {
    let time = time.strftime("%H:%M");
    match mode {
        Mode::Daily => format!("daily digest at {time} ({zone})"),
        Mode::Updates => format!("digest at {time} ({zone}) on days with new updates"),
    }
}

/// What the fact base's digest window means for a digest otherwise due `next`: a line saying
/// when digests start (and the first one due) or that they have stopped; else `next` as it is.
fn window_line(
    facts: &FactBase,
    time: jiff::civil::Time,
    zone: &str,
    next: jiff::Timestamp,
) -> (Option<String>, jiff::Timestamp) {
    let window = facts.digest_window;
    let event = &facts.event;
    match window.position(event, next) {
        Position::Inside => (None, next),
        Position::Before { opens, first_day } => {
            let first = first_due_from(time, zone, opens).unwrap_or(opens);
            let days = window.before_days.unwrap_or_default();
            (
                Some(format!(
                    "Digests start on {} ({} before the event): the first is due {}.",
                    first_day.strftime("%-d %B %Y"),
                    plural_days(days),
                    due(first)
                )),
                first,
            )
        }
        Position::After { last_day, .. } => {
            let days = window.after_days.unwrap_or_default();
            (Some(format!(
                "**No more digests**: they stopped after {}, {} after the event ended (the fact base's digest window). Nothing is posted here any more.",
                last_day.strftime("%-d %B %Y"),
                plural_days(days)
            )), next)
        }
    }
}

fn plural_days(n: u16) -> String {
    match n {
        1 => "1 day".into(),
        n => format!("{n} days"),
    }
}

/// The first instant at or after `from` when a digest at local `time` in `zone` is due.
fn first_due_from(
    time: jiff::civil::Time,
    zone: &str,
    from: jiff::Timestamp,
) -> Option<jiff::Timestamp> {
    let tz = jiff::tz::TimeZone::get(zone).ok()?;
    let mut date = from.to_zoned(tz.clone()).date();
    for _ in 0..3 {
        let due = date
            .to_datetime(time)
            .to_zoned(tz.clone())
            .ok()?
            .timestamp();
        if due >= from {
            return Some(due);
        }
        date = date.tomorrow().ok()?;
    }
    None
}

/// The reply to `/digest status` (and each line of `factdesk digest list`), with what the fact
/// base's digest window means for it.
pub fn status_reply(status: Option<&Status>, facts: &FactBase) -> Reply {
    let Some(s) = status else {
        return Reply::ephemeral("This channel has no daily digest. Someone with Manage Server can start one with `/digest subscribe time:08:00 timezone:Asia/Kolkata`.");
    };
    let origin = match s.origin {
        Origin::Config => " (set in the bot's configuration)",
        Origin::Discord => "",
    };
    let mut schedule = schedule_words(s.time, &s.zone, s.mode);
    schedule[..1].make_ascii_uppercase();
    let mut out = format!("{schedule}{origin}.");
    match (&s.paused, s.next) {
        (Some(reason), _) => out.push_str(&format!(
            "\n**Paused**: {reason}. Fix the cause, then subscribe again to resume."
        )),
        (None, Some(next)) => match window_line(facts, s.time, &s.zone, next) {
            (Some(line), _) => out.push_str(&format!("\n{line}")),
            (None, next) if s.mode == Mode::Updates => out.push_str(&format!(
                "\nNext digest: {}, if there are new updates by then (on other days nothing is posted).",
                due(next)
            )),
            (None, next) => out.push_str(&format!("\nNext digest: {}.", due(next))),
        },
        (None, None) => {}
    }
    match &s.last {
        Some(last) => {
            let as_of = last.as_of.map_or(String::new(), |at| {
                format!(", as of {}", marker(at, Style::ShortDateTime))
            });
            out.push_str(&format!(
                "\nLast delivered: the digest of {}{as_of} (message {}).",
                last.date, last.message_id
            ));
        }
        None => out.push_str("\nNo digest delivered yet."),
    }
    for (date, reason) in &s.skipped {
        out.push_str(&format!("\nSkipped {date}: {reason}."));
    }
    if let Some(why) = &s.publishing {
        out.push_str(&format!("\n{}", publishing_failed(why)));
    }
    let mut reply = Reply::ephemeral(out);
    reply.embeds.extend(history_embed(&s.history));
    reply.fit();
    reply
}

/// The delivery history, newest first, as an embed (30 lines fit its 4,096 characters): one
/// line per day's outcome, with the message, the attempts and the reason where there are some.
fn history_embed(history: &[HistoryEntry]) -> Option<Embed> {
    if history.is_empty() {
        return None;
    }
    let lines: Vec<String> = history
        .iter()
        .map(|h| {
            let mut line = format!("• {} {}", h.date, h.outcome.name());
            if let Some(id) = &h.message_id {
                line.push_str(&format!(" · message {id}"));
            }
            if h.attempts > 1 {
                line.push_str(&format!(" · {} attempts", h.attempts));
            }
            if let Some(detail) = &h.detail {
                // Our own words (a skip's reason, Discord's error): cut, not escaped.
                let mut detail = detail.replace('\n', " ");
                crate::engine::cut(&mut detail, 90);
                line.push_str(&format!(" · {detail}"));
            }
            line.push_str(&format!(" · {}", marker(h.at, Style::ShortDateTime)));
            line
        })
        .collect();
    Some(Embed {
        title: Some(format!("Delivery history (last {})", history.len())),
        description: Some(lines.join("\n")),
        ..Embed::default()
    })
}

/// What status says when publishing a post in an announcement channel failed.
pub fn publishing_failed(why: &str) -> String {
    format!("**Not published to following servers**: {why}. Grant me **Send Messages** and **Manage Messages** in this announcement channel; the next post is published again.")
}
