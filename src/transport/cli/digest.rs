//! `factdesk digest preview · list · send-now`: the operator's view of the digest, through the
//! same service `serve` runs (and, for `send-now`, the same exactly-once path).

use crate::config::Settings;
use crate::digest::{self, Sent, Service};
use crate::engine::commands::digest::{self as digest_words, status_reply};
use crate::engine::timestamp::readable;
use crate::engine::{Engine, Response, Subscriptions};

use super::CliError;

/// The digest service over the configured database, adding (never removing) the configured
/// subscriptions.
pub async fn service(s: &Settings) -> Result<Service, CliError> {
    let settings = digest::Settings {
        api_base: s
            .api_base
            .clone()
            .unwrap_or_else(|| "https://discord.com".into()),
        token: crate::config::token(),
        catch_up: s.catch_up,
        rate_limit: s.rate_limit,
    };
    Service::open(&s.database, &s.subscriptions, false, settings)
        .await
        .map_err(|e| CliError::Failed(e.to_string()))
}

/// The digest as it would be posted now: in `channel`'s zone with the updates since its last
/// digest, or in `zone`, or in the event's zone.
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
    let reply = digest_words::render(engine, subscriptions, channel, zone, now)
        .await
        .map_err(|e| CliError::Failed(e.to_string()))?;
    // Times read in the zone the digest is rendered in.
    let shown = match (zone, subscriptions, channel) {
        (Some(zone), _, _) => Some(zone.to_owned()),
        (None, Some(service), Some(channel)) => service
            .preview_basis(channel)
            .await
            .ok()
            .and_then(|basis| basis.zone),
        _ => None,
    };
    let shown = shown.and_then(|z| jiff::tz::TimeZone::get(&z).ok());
    let zone = shown.unwrap_or_else(|| engine.facts().event.time_zone.clone());
    Ok(Response::Message(reply).to_text_in(&zone, now))
}

/// Every subscription: schedule, next digest, last delivery, pauses and skips (times in the
/// subscription's zone).
pub async fn list(s: &Settings, now: jiff::Timestamp) -> Result<String, CliError> {
    let service = service(s).await?;
    let failed = |e: digest::StoreError| CliError::Failed(e.to_string());
    let subs = service.store().subscriptions().await.map_err(failed)?;
    if subs.is_empty() {
        return Ok("no digest subscriptions".into());
    }
    let mut out = Vec::new();
    for sub in subs {
        let status = service.status(sub.channel_id, now).await.map_err(failed)?;
        let reply = status_reply(status.as_ref());
        let zone = jiff::tz::TimeZone::get(&sub.time_zone).unwrap_or(jiff::tz::TimeZone::UTC);
        out.push(format!(
            "channel {}: {}",
            sub.channel_id,
            readable(&reply.content, &zone, now).replace('\n', "\n  ")
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
