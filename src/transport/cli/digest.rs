//! `factdesk digest preview · list · send-now` and `factdesk forget`: the operator's view of
//! the digest, through the same service `serve` runs (and, for `send-now`, the same
//! exactly-once path), and removing what is kept about a server.

use std::path::Path;

use crate::config::{Overrides, Settings};
use crate::digest::{self, NotOwed, Origin, Sent, Service};
use crate::engine::commands::digest::{self as digest_words, status_reply};
use crate::engine::timestamp::readable;
use crate::engine::{Engine, Response, Subscriptions};
use crate::facts::window::Position;

use super::args::DigestCommand;
use super::{clock, load, runtime, settings, CliError};

/// `factdesk digest …`: what it prints.
pub fn run(file: Option<&Path>, command: DigestCommand) -> Result<String, CliError> {
    match command {
        DigestCommand::Preview {
            common,
            discord,
            channel,
            timezone,
        } => {
            let s = settings(file, &common, &discord, Overrides::default())?;
            let engine = load(&s.facts)?;
            let zone = timezone.as_deref();
            runtime()?.block_on(preview(&s, &engine, channel, zone, clock(&common)))
        }
        DigestCommand::List { common, discord } => {
            let s = settings(file, &common, &discord, Overrides::default())?;
            let engine = load(&s.facts)?;
            runtime()?.block_on(list(&s, &engine, clock(&common)))
        }
        DigestCommand::SendNow {
            common,
            discord,
            channel,
            date,
            force,
        } => {
            let s = settings(file, &common, &discord, Overrides::default())?;
            let engine = load(&s.facts)?;
            let _logging =
                crate::telemetry::init_with(s.log_json, s.log_filter.as_deref(), s.access_log);
            let send = send_now(&s, &engine, channel, date, force, clock(&common));
            runtime()?.block_on(send)
        }
    }
}

/// The digest service over the configured database, adding (never removing) the configured
/// subscriptions.
pub async fn service(s: &Settings) -> Result<Service, CliError> {
    Service::open(&s.database, &s.subscriptions, false, s.digest())
        .await
        .map_err(|e| CliError::Failed(e.to_string()))
}

/// The digest as it would be posted now: in `channel`'s zone and language with the updates
/// since its last digest, or in `zone` (in English), or in the event's zone.
pub async fn preview(
    s: &Settings,
    engine: &Engine,
    channel: Option<u64>,
    zone: Option<&str>,
    now: jiff::Timestamp,
) -> Result<String, CliError> {
    let service = match channel {
        Some(_) => Some(service(s).await?),
        None => None,
    };
    let subscriptions = service.as_ref().map(|s| s as &dyn Subscriptions);
    let basis = match (subscriptions, channel) {
        (Some(service), Some(channel)) => service.preview_basis(channel).await.ok(),
        _ => None,
    }
    .unwrap_or_default();
    let lang = engine.post_language(basis.locale.as_deref());
    let reply = digest_words::render(engine, subscriptions, channel, zone, lang, now)
        .await
        .map_err(|e| CliError::Failed(e.to_string()))?;
    // Times read in the zone the digest is rendered in.
    let shown = zone.map(str::to_owned).or(basis.zone);
    let shown = shown.and_then(|z| jiff::tz::TimeZone::get(&z).ok());
    let zone = shown.unwrap_or_else(|| engine.facts().event.time_zone.clone());
    Ok(Response::Message(reply).to_text_in(&zone, now))
}

/// Every subscription: schedule, next digest, last delivery, pauses and skips (times in the
/// subscription's zone).
pub async fn list(s: &Settings, engine: &Engine, now: jiff::Timestamp) -> Result<String, CliError> {
    let service = service(s).await?;
    let failed = |e: digest::StoreError| CliError::Failed(e.to_string());
    let subs = service.store().subscriptions().await.map_err(failed)?;
    if subs.is_empty() {
        return Ok("no digest subscriptions".into());
    }
    let mut out = Vec::new();
    for sub in subs {
        let status = service.status(sub.channel_id, now).await.map_err(failed)?;
        let reply = status_reply(status.as_ref(), engine.facts(), None);
        let zone = jiff::tz::TimeZone::get(&sub.time_zone).unwrap_or(jiff::tz::TimeZone::UTC);
        let mut text = reply.content.clone();
        if let Some(line) = status
            .as_ref()
            .and_then(|s| digest_words::posted_in(engine, s, None))
        {
            text = format!("{text}\n{line}");
        }
        for embed in &reply.embeds {
            let parts = [&embed.title, &embed.description];
            for part in parts.into_iter().flatten() {
                text.push('\n');
                text.push_str(part);
            }
        }
        out.push(format!(
            "channel {}: {}",
            sub.channel_id,
            readable(&text, &zone, now).replace('\n', "\n  ")
        ));
    }
    Ok(out.join("\n"))
}

/// Claims and posts `channel`'s digest for `date` (default: today there) through the
/// exactly-once path; `force` posts a delivered day again.
pub async fn send_now(
    s: &Settings,
    engine: &Engine,
    channel: u64,
    date: Option<jiff::civil::Date>,
    force: bool,
    now: jiff::Timestamp,
) -> Result<String, CliError> {
    let service = service(s).await?;
    let sub = service
        .store()
        .subscription(channel)
        .await
        .map_err(|e| CliError::Failed(e.to_string()))?
        .ok_or_else(|| CliError::Failed(format!("channel {channel} has no digest subscription; subscribe it with /digest subscribe or in factdesk.toml")))?;
    if let Some(reason) = &sub.paused {
        return Err(CliError::Failed(format!("channel {channel}'s digest is paused: {reason}; subscribe again once the bot can post there")));
    }
    let date = match date {
        Some(d) => d,
        None => {
            let zone = jiff::tz::TimeZone::get(&sub.time_zone)
                .map_err(|e| CliError::Failed(e.to_string()))?;
            now.to_zoned(zone).date()
        }
    };
    if !force {
        if let Some(why) = not_owed(&service, engine, &sub, date, now).await? {
            return Ok(why);
        }
    }
    match service.send(engine, &sub, date, now, force).await {
        Ok(Sent::Posted { message_id }) => Ok(format!(
            "posted the {date} digest to channel {channel}: message {message_id}"
        )),
        Ok(Sent::AlreadyDelivered { message_id }) => Ok(format!("the {date} digest for channel {channel} was already delivered: message {message_id} (use --force to post again)")),
        Ok(Sent::Skipped { reason }) => Ok(format!("the {date} digest for channel {channel} was skipped: {reason} (use --force to post it)")),
        Ok(Sent::Paused { reason }) => Err(CliError::Failed(format!(
            "channel {channel}: {reason}; the subscription is paused"
        ))),
        Ok(Sent::Held { lease_left }) => Err(CliError::Failed(format!(
            "the {date} digest for channel {channel} is being posted by another factdesk worker; not posted again (its claim runs out within {} s if that worker is gone: then run this again)",
            lease_left.as_secs().max(1)
        ))),
        Err(e @ (digest::SendError::Unrecorded { .. } | digest::SendError::Unknown(_))) => Err(
            CliError::Failed(format!("the {date} digest for channel {channel}: {e}")),
        ),
        Err(why) => Err(CliError::Failed(format!(
            "the {date} digest for channel {channel} was not posted: {why}"
        ))),
    }
}

/// Why `send-now` posts nothing for `date` without `--force`: the day is outside the digest
/// window, or (updates mode) has nothing new. `None`: it is owed.
async fn not_owed(
    service: &Service,
    engine: &Engine,
    sub: &digest::Subscription,
    date: jiff::civil::Date,
    now: jiff::Timestamp,
) -> Result<Option<String>, CliError> {
    let due = digest::schedule::zone(sub)
        .and_then(|zone| digest::schedule::due_at(sub.local_time, &zone, date))
        .map_or(now, |due| due.min(now));
    let channel = sub.channel_id;
    let owed = service
        .owed(engine, sub, due)
        .await
        .map_err(|e| CliError::Failed(e.to_string()))?;
    Ok(owed.map(|why| {
        let because = match why {
            NotOwed::Window(Position::Before { first_day, .. }) => {
                format!("the digest window opens on {first_day}")
            }
            NotOwed::Window(Position::After { last_day, .. }) => {
                format!("the digest window closed after {last_day}")
            }
            NotOwed::Window(Position::Inside) => "it is not owed".into(),
            NotOwed::NoUpdates => {
                "the channel gets digests only with new updates, and there are none since its last digest".into()
            }
        };
        format!("not posted: the {date} digest for channel {channel} is not owed ({because}); use --force to post it anyway")
    }))
}

/// `factdesk forget --guild ID [--state-dir DIR]`: what it prints.
pub fn forget_command(
    file: Option<&Path>,
    common: &super::args::Common,
    state_dir: Option<std::path::PathBuf>,
    guild: u64,
) -> Result<String, CliError> {
    let discord = super::args::Discord {
        state_dir,
        ..Default::default()
    };
    let s = settings(file, common, &discord, Overrides::default())?;
    runtime()?.block_on(forget(&s, guild))
}

/// `factdesk forget --guild ID`: removes the server's subscriptions (configured ones too — its
/// factdesk.toml entries come back at the next start unless removed there), delivery log,
/// history and incidents; says what it removed.
pub async fn forget(s: &Settings, guild: u64) -> Result<String, CliError> {
    let store = s
        .database
        .open()
        .await
        .map_err(|e| CliError::Failed(e.to_string()))?;
    let gone = store
        .forget_guild(guild, false)
        .await
        .map_err(|e| CliError::Failed(e.to_string()))?;
    tracing::info!(
        guild,
        subscriptions = gone.subscriptions.len(),
        deliveries = gone.deliveries,
        history = gone.history,
        incidents = gone.incidents,
        alerts = gone.alerts,
        "forgot a server (factdesk forget)"
    );
    let mut out = vec![format!(
        "forgot server {guild}: {} subscription(s), {} delivery log row(s), {} history line(s), {} incident(s), {} alert subscription and delivery row(s)",
        gone.subscriptions.len(),
        gone.deliveries,
        gone.history,
        gone.incidents,
        gone.alerts
    )];
    for (channel, origin) in &gone.subscriptions {
        out.push(match origin {
            Origin::Discord => format!("  channel {channel}: subscription removed"),
            Origin::Config => format!("  channel {channel}: subscription removed; it is listed in factdesk.toml and comes back at the next start unless you remove it there"),
        });
    }
    out.push("missed questions are kept without any server, channel or user, so there is nothing of this server among them".into());
    Ok(out.join("\n"))
}

/// `factdesk misses [--since DATE]`: what it prints.
pub fn misses_command(
    file: Option<&Path>,
    common: &super::args::Common,
    discord: &super::args::Discord,
    since: Option<jiff::civil::Date>,
) -> Result<String, CliError> {
    let s = settings(file, common, discord, Overrides::default())?;
    runtime()?.block_on(misses(&s, since))
}

/// `factdesk misses`: the questions `/ask` could not answer, most asked first.
pub async fn misses(s: &Settings, since: Option<jiff::civil::Date>) -> Result<String, CliError> {
    let store = s
        .database
        .open()
        .await
        .map_err(|e| CliError::Failed(e.to_string()))?;
    let since = since.and_then(|d| {
        d.to_zoned(jiff::tz::TimeZone::UTC)
            .ok()
            .map(|z| z.timestamp())
    });
    let misses = store
        .misses(since)
        .await
        .map_err(|e| CliError::Failed(e.to_string()))?;
    if misses.is_empty() {
        return Ok(match s.record_misses {
            true => "no missed questions recorded".into(),
            false => "no missed questions recorded (record_misses is off)".into(),
        });
    }
    let lines: Vec<String> = misses
        .iter()
        .map(|m| {
            format!(
                "{:>5}  {}  (last asked {})",
                m.count,
                m.question,
                m.last_seen.strftime("%Y-%m-%d %H:%M UTC")
            )
        })
        .collect();
    Ok(lines.join("\n"))
}
