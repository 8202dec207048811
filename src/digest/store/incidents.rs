//! What the operator is told and what a server can ask to have forgotten: each subscription's
//! delivery history, incidents (a pause, or deliveries failing for an hour) with whether their
//! notice went out, and forgetting a guild. The types, and their SQLite queries; PostgreSQL's
//! are in `postgres.rs`.

use rusqlite::{params, OptionalExtension};

use super::{conversion, id, DeliveryOutcome, HistoryEntry, Origin, Sqlite, StoreError};
use crate::engine::subscriptions::HISTORY_LEN;

/// What went wrong with a subscription, as the operator hears of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IncidentKind {
    /// Discord answered 403/404: the subscription paused (noticed at once).
    Paused,
    /// Deliveries keep failing (5xx, connection errors): noticed after an hour.
    Failing,
}

impl IncidentKind {
    pub fn name(self) -> &'static str {
        match self {
            IncidentKind::Paused => "paused",
            IncidentKind::Failing => "failing",
        }
    }

    pub fn parse(text: &str) -> Option<IncidentKind> {
        [IncidentKind::Paused, IncidentKind::Failing]
            .into_iter()
            .find(|k| k.name() == text)
    }
}

/// One incident: open until the subscription recovers (or is forgotten).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Incident {
    pub id: i64,
    pub channel_id: u64,
    pub guild_id: Option<u64>,
    pub kind: IncidentKind,
    /// The latest reason (Discord's answer, the error).
    pub reason: String,
    pub started_at: jiff::Timestamp,
    /// When a worker took the notice to send (cleared if the post failed).
    pub notice_claimed_at: Option<jiff::Timestamp>,
    /// When the operator's notice was posted: at most once per incident.
    pub notified_at: Option<jiff::Timestamp>,
}

/// What forgetting a guild removed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Forgotten {
    /// The subscriptions removed: channel and who made it.
    pub subscriptions: Vec<(u64, Origin)>,
    /// Configured subscriptions of the guild left in place (`keep_configured`).
    pub kept: Vec<u64>,
    /// Rows of the delivery log (one per channel and day).
    pub deliveries: u64,
    pub history: u64,
    pub incidents: u64,
    /// The server's alert subscriptions and their channels' alert deliveries.
    pub alerts: u64,
}

const INCIDENT_COLUMNS: &str =
    "id, channel_id, guild_id, kind, reason, started_at, notice_claimed_at, notified_at";

fn instant(text: Option<String>) -> rusqlite::Result<Option<jiff::Timestamp>> {
    text.map(|t| t.parse().map_err(conversion)).transpose()
}

fn incident_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Incident> {
    let kind: String = r.get(3)?;
    Ok(Incident {
        id: r.get(0)?,
        channel_id: r.get::<_, i64>(1)? as u64,
        guild_id: r.get::<_, Option<i64>>(2)?.map(|g| g as u64),
        kind: IncidentKind::parse(&kind)
            .ok_or_else(|| conversion(std::io::Error::other("unknown incident kind")))?,
        reason: r.get(4)?,
        started_at: instant(r.get(5)?)?
            .ok_or_else(|| conversion(std::io::Error::other("no start")))?,
        notice_claimed_at: instant(r.get(6)?)?,
        notified_at: instant(r.get(7)?)?,
    })
}

fn history_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<HistoryEntry> {
    let date: String = r.get(1)?;
    let outcome: String = r.get(2)?;
    Ok(HistoryEntry {
        at: instant(r.get(0)?)?.ok_or_else(|| conversion(std::io::Error::other("no time")))?,
        date: date.parse().map_err(conversion)?,
        outcome: DeliveryOutcome::parse(&outcome)
            .ok_or_else(|| conversion(std::io::Error::other("unknown outcome")))?,
        message_id: r.get(3)?,
        detail: r.get(4)?,
        attempts: u32::try_from(r.get::<_, i64>(5)?).unwrap_or(1),
    })
}

impl Sqlite {
    pub fn record(
        &self,
        channel: u64,
        guild: Option<u64>,
        e: &HistoryEntry,
    ) -> Result<(), StoreError> {
        self.with(|c| {
            let tx = c.transaction()?;
            let newest: Option<(i64, String, String)> = tx
                .query_row(
                    "SELECT seq, date, outcome FROM delivery_history WHERE channel_id = ?1 ORDER BY seq DESC LIMIT 1",
                    [id(channel)],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                )
                .optional()?;
            let repeat = newest.filter(|(_, date, outcome)| {
                e.outcome == DeliveryOutcome::Failed
                    && outcome == "failed"
                    && *date == e.date.to_string()
            });
            match repeat {
                Some((seq, _, _)) => tx.execute(
                    "UPDATE delivery_history SET attempts = attempts + 1, at = ?2, detail = ?3 WHERE seq = ?1",
                    params![seq, e.at.to_string(), e.detail],
                )?,
                None => tx.execute(
                    "INSERT INTO delivery_history (channel_id, guild_id, at, date, outcome, message_id, detail, attempts)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                    params![
                        id(channel),
                        guild.map(id),
                        e.at.to_string(),
                        e.date.to_string(),
                        e.outcome.name(),
                        e.message_id,
                        e.detail,
                        i64::from(e.attempts.max(1))
                    ],
                )?,
            };
            tx.execute(
                "DELETE FROM delivery_history WHERE channel_id = ?1 AND seq NOT IN (
                   SELECT seq FROM delivery_history WHERE channel_id = ?1 ORDER BY seq DESC LIMIT ?2)",
                params![id(channel), HISTORY_LEN as i64],
            )?;
            tx.commit()
        })
    }

    pub fn history(&self, channel: u64, limit: usize) -> Result<Vec<HistoryEntry>, StoreError> {
        self.with(|c| {
            let mut stmt = c.prepare(
                "SELECT at, date, outcome, message_id, detail, attempts FROM delivery_history
                 WHERE channel_id = ?1 ORDER BY seq DESC LIMIT ?2",
            )?;
            let rows = stmt.query_map(params![id(channel), limit as i64], history_row)?;
            rows.collect()
        })
    }

    pub fn open_incident(
        &self,
        channel: u64,
        guild: Option<u64>,
        kind: IncidentKind,
        reason: &str,
        at: jiff::Timestamp,
    ) -> Result<Incident, StoreError> {
        self.with(|c| {
            let tx = c.transaction()?;
            tx.execute(
                "UPDATE incidents SET ended_at = ?3 WHERE channel_id = ?1 AND ended_at IS NULL AND kind != ?2",
                params![id(channel), kind.name(), at.to_string()],
            )?;
            tx.execute(
                "INSERT INTO incidents (channel_id, guild_id, kind, reason, started_at) VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (channel_id) WHERE ended_at IS NULL DO UPDATE SET reason = excluded.reason",
                params![id(channel), guild.map(id), kind.name(), reason, at.to_string()],
            )?;
            let open = tx.query_row(
                &format!("SELECT {INCIDENT_COLUMNS} FROM incidents WHERE channel_id = ?1 AND ended_at IS NULL"),
                [id(channel)],
                incident_row,
            )?;
            tx.commit()?;
            Ok(open)
        })
    }

    pub fn end_incident(
        &self,
        channel: u64,
        at: jiff::Timestamp,
    ) -> Result<Option<Incident>, StoreError> {
        self.with(|c| {
            let tx = c.transaction()?;
            let open = tx
                .query_row(
                    &format!("SELECT {INCIDENT_COLUMNS} FROM incidents WHERE channel_id = ?1 AND ended_at IS NULL"),
                    [id(channel)],
                    incident_row,
                )
                .optional()?;
            tx.execute(
                "UPDATE incidents SET ended_at = ?2 WHERE channel_id = ?1 AND ended_at IS NULL",
                params![id(channel), at.to_string()],
            )?;
            tx.commit()?;
            Ok(open)
        })
    }

    pub fn open_incidents(&self) -> Result<Vec<Incident>, StoreError> {
        self.with(|c| {
            let mut stmt = c.prepare(&format!(
                "SELECT {INCIDENT_COLUMNS} FROM incidents WHERE ended_at IS NULL ORDER BY id"
            ))?;
            let rows = stmt.query_map([], incident_row)?;
            rows.collect()
        })
    }

    pub fn claim_notice(
        &self,
        incident: i64,
        seen: Option<jiff::Timestamp>,
        at: jiff::Timestamp,
    ) -> Result<bool, StoreError> {
        self.with(|c| {
            // `IS`: equal, NULL included — nobody took it since it was read.
            let changed = c.execute(
                "UPDATE incidents SET notice_claimed_at = ?3
                 WHERE id = ?1 AND notified_at IS NULL AND notice_claimed_at IS ?2",
                params![incident, seen.map(|t| t.to_string()), at.to_string()],
            )?;
            Ok(changed == 1)
        })
    }

    pub fn noticed(
        &self,
        incident: i64,
        message_id: Option<&str>,
        at: jiff::Timestamp,
    ) -> Result<(), StoreError> {
        self.with(|c| {
            match message_id {
                Some(message) => c.execute(
                    "UPDATE incidents SET notified_at = ?2, notice_message_id = ?3 WHERE id = ?1",
                    params![incident, at.to_string(), message],
                )?,
                None => c.execute(
                    "UPDATE incidents SET notice_claimed_at = NULL WHERE id = ?1 AND notified_at IS NULL",
                    [incident],
                )?,
            };
            Ok(())
        })
    }

    pub fn forget_guild(&self, guild: u64, keep_configured: bool) -> Result<Forgotten, StoreError> {
        self.with(|c| {
            let tx = c.transaction()?;
            let g = id(guild);
            let subs: Vec<(i64, String)> = {
                let mut stmt = tx.prepare("SELECT channel_id, origin FROM subscriptions WHERE guild_id = ?1 ORDER BY channel_id")?;
                let rows = stmt.query_map([g], |r| Ok((r.get(0)?, r.get(1)?)))?;
                rows.collect::<rusqlite::Result<_>>()?
            };
            let mut out = Forgotten::default();
            for (channel, origin) in &subs {
                if keep_configured && origin == "config" {
                    out.kept.push(*channel as u64);
                    continue;
                }
                let origin = if origin == "config" { Origin::Config } else { Origin::Discord };
                out.subscriptions.push((*channel as u64, origin));
            }
            // The guild's channels: its subscriptions', and those its history and incidents
            // name (channels unsubscribed earlier).
            let mut channels: Vec<i64> = {
                let mut stmt = tx.prepare(
                    "SELECT channel_id FROM delivery_history WHERE guild_id = ?1
                     UNION SELECT channel_id FROM incidents WHERE guild_id = ?1",
                )?;
                let rows = stmt.query_map([g], |r| r.get(0))?;
                rows.collect::<rusqlite::Result<_>>()?
            };
            channels.extend(out.subscriptions.iter().map(|(c, _)| id(*c)));
            channels.retain(|c| !out.kept.contains(&(*c as u64)));
            channels.sort_unstable();
            channels.dedup();
            for channel in channels {
                tx.execute("DELETE FROM subscriptions WHERE channel_id = ?1", [channel])?;
                out.deliveries += tx.execute("DELETE FROM deliveries WHERE channel_id = ?1", [channel])? as u64;
                out.history += tx.execute("DELETE FROM delivery_history WHERE channel_id = ?1", [channel])? as u64;
                out.incidents += tx.execute("DELETE FROM incidents WHERE channel_id = ?1", [channel])? as u64;
            }
            // Change alerts: the server's alert subscriptions (the configured ones kept as
            // above), their channels' alert deliveries and what is known of those channels.
            let kept_origin = if keep_configured { "config" } else { "" };
            let alert_channels: Vec<i64> = {
                let mut stmt = tx.prepare(
                    "SELECT channel_id FROM alert_subscriptions WHERE guild_id = ?1 AND origin != ?2",
                )?;
                let rows = stmt.query_map(rusqlite::params![g, kept_origin], |r| r.get(0))?;
                rows.collect::<rusqlite::Result<_>>()?
            };
            for channel in alert_channels {
                out.alerts += tx.execute("DELETE FROM alert_subscriptions WHERE channel_id = ?1", [channel])? as u64;
                out.alerts += tx.execute("DELETE FROM alert_deliveries WHERE channel_id = ?1", [channel])? as u64;
                tx.execute("DELETE FROM channels WHERE channel_id = ?1", [channel])?;
            }
            tx.commit()?;
            Ok(out)
        })
    }
}
