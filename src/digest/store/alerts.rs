//! Change alerts' state (SQLite; migration 6, and 8 for the language): alert subscriptions, the alerts made (one per
//! change of the fact base, keyed by its changes), the fact-base state alerts were last made
//! from, the alert delivery log (claimed → delivered, part by part, with the nonce), and what
//! is known of each channel (its type, and a failed publishing).
//!
//! The state row is what makes a restart safe: at start and after each reload the serving
//! process compares the fact base with it, makes an alert only for a difference, and moves it on
//! in the same transaction — so the same facts.toml never alerts twice, and a new one alerts
//! once whichever process sees it first.

use rusqlite::{params, OptionalExtension};

use super::{conversion, id, now_text, origin_name, Claim, Origin, Sqlite, StoreError};

/// A channel that gets change alerts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertSubscription {
    pub channel_id: u64,
    pub guild_id: Option<u64>,
    /// The role each alert mentions (and may ping), if any.
    pub role_id: Option<u64>,
    pub origin: Origin,
    /// Why alerts are paused (403/404 from Discord), if they are.
    pub paused: Option<String>,
    /// Alerts numbered after this are owed to the channel (those made before it subscribed
    /// are not).
    pub after: i64,
    /// The Discord locale its alerts are written in: the server's when it subscribed, or the
    /// operator's. `None`: English.
    pub locale: Option<String>,
}

/// An alert made from a change of the fact base.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alert {
    /// Its number, in the order alerts were made.
    pub seq: i64,
    /// The changes' key (see `engine::alerts::key`): the same changes make no second alert.
    pub key: String,
    /// The change markers, as `engine::alerts::changes` gives them.
    pub changes: Vec<String>,
    /// When it was made (the serving clock).
    pub made_at: jiff::Timestamp,
}

/// What a delivery of an alert to a channel has come to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AlertMark {
    /// A part is being sent off (`Some(now)`), or certainly did not arrive (`None`).
    Attempted(Option<jiff::Timestamp>),
    /// Parts up to `done` are posted; the last was `message_id`.
    Part { done: u32, message_id: String },
    /// Every part is posted.
    Delivered,
    /// Given up, with the reason (e.g. a webhook-like unknown outcome).
    Skipped(String),
}

/// What is known of a channel beyond its subscriptions.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChannelInfo {
    /// Discord's channel type (5: announcement), when known.
    pub kind: Option<u8>,
    /// Why the last publishing (crosspost) there failed, if it did.
    pub publishing: Option<String>,
}

/// Discord's channel type of an announcement channel, whose posts are published.
pub const ANNOUNCEMENT: u8 = 5;

impl ChannelInfo {
    pub fn announcement(&self) -> bool {
        self.kind == Some(ANNOUNCEMENT)
    }
}

const ALERT_SUBSCRIPTION_COLUMNS: &str =
    "channel_id, guild_id, role_id, origin, paused, after_seq, locale";

fn alert_subscription_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<AlertSubscription> {
    let origin: String = r.get(3)?;
    Ok(AlertSubscription {
        channel_id: r.get::<_, i64>(0)? as u64,
        guild_id: r.get::<_, Option<i64>>(1)?.map(|g| g as u64),
        role_id: r.get::<_, Option<i64>>(2)?.map(|g| g as u64),
        origin: if origin == "config" {
            Origin::Config
        } else {
            Origin::Discord
        },
        paused: r.get(4)?,
        after: r.get(5)?,
        locale: r.get(6)?,
    })
}

/// Alerts are owed from the next one made.
const NEXT_ALERT: &str = "(SELECT COALESCE(MAX(seq), 0) FROM alerts)";

impl Sqlite {
    pub fn alert_subscribe(&self, s: &AlertSubscription) -> Result<(), StoreError> {
        self.with(|c| {
            c.execute(
                &format!("INSERT INTO alert_subscriptions (channel_id, guild_id, role_id, origin, paused, after_seq, created_at, updated_at, locale)
                 VALUES (?1, ?2, ?3, ?4, NULL, {NEXT_ALERT}, ?5, ?5, ?6)
                 ON CONFLICT (channel_id) DO UPDATE SET guild_id = excluded.guild_id, role_id = excluded.role_id,
                   origin = excluded.origin, paused = NULL, updated_at = excluded.updated_at, locale = excluded.locale"),
                params![id(s.channel_id), s.guild_id.map(id), s.role_id.map(id), origin_name(s.origin), now_text(), s.locale],
            )?;
            Ok(())
        })
    }

    pub fn alert_unsubscribe(&self, channel: u64) -> Result<bool, StoreError> {
        self.with(|c| {
            let sql = "DELETE FROM alert_subscriptions WHERE channel_id = ?1";
            Ok(c.execute(sql, [id(channel)])? > 0)
        })
    }

    pub fn alert_subscriptions(&self) -> Result<Vec<AlertSubscription>, StoreError> {
        self.with(|c| {
            let mut stmt = c.prepare(&format!(
                "SELECT {ALERT_SUBSCRIPTION_COLUMNS} FROM alert_subscriptions ORDER BY channel_id"
            ))?;
            let rows = stmt.query_map([], alert_subscription_row)?;
            rows.collect()
        })
    }

    /// Makes the configured alert subscriptions `list`'s (see `Store::sync_alert_config`).
    pub fn sync_alert_config(
        &self,
        list: &[AlertSubscription],
        remove_missing: bool,
    ) -> Result<(), StoreError> {
        self.with(|c| {
            let tx = c.transaction()?;
            let now = now_text();
            if remove_missing {
                let keep: Vec<String> = list.iter().map(|s| id(s.channel_id).to_string()).collect();
                tx.execute(
                    &format!("DELETE FROM alert_subscriptions WHERE origin = 'config' AND channel_id NOT IN ({})", keep.join(",")),
                    [],
                )?;
            }
            for s in list {
                // A Discord-made subscription wins; a pause is lifted only by a changed role
                // (a new language fixes no refusal).
                tx.execute(
                    &format!("INSERT INTO alert_subscriptions (channel_id, guild_id, role_id, origin, paused, after_seq, created_at, updated_at, locale)
                     VALUES (?1, ?2, ?3, 'config', NULL, {NEXT_ALERT}, ?4, ?4, ?5)
                     ON CONFLICT (channel_id) DO UPDATE SET
                       paused = CASE WHEN IFNULL(role_id, 0) = IFNULL(excluded.role_id, 0) THEN paused ELSE NULL END,
                       guild_id = excluded.guild_id, role_id = excluded.role_id, updated_at = excluded.updated_at,
                       locale = excluded.locale
                     WHERE alert_subscriptions.origin = 'config'"),
                    params![id(s.channel_id), s.guild_id.map(id), s.role_id.map(id), now, s.locale],
                )?;
            }
            tx.commit()
        })
    }

    pub fn pause_alerts(&self, channel: u64, reason: &str) -> Result<(), StoreError> {
        self.with(|c| {
            c.execute(
                "UPDATE alert_subscriptions SET paused = ?2, updated_at = ?3 WHERE channel_id = ?1",
                params![id(channel), reason, now_text()],
            )?;
            Ok(())
        })
    }

    pub fn alert_state(&self) -> Result<Option<String>, StoreError> {
        self.with(|c| {
            c.query_row("SELECT state FROM alert_state WHERE id = 1", [], |r| {
                r.get(0)
            })
            .optional()
        })
    }

    /// Moves the alert state from `expected` to `state`, making `alert` (unless an alert with
    /// its key exists) in the same transaction; `false` when the state was not `expected`.
    pub fn advance_alerts(
        &self,
        expected: Option<&str>,
        state: &str,
        alert: Option<&Alert>,
    ) -> Result<bool, StoreError> {
        self.with(|c| {
            let tx = c.transaction()?;
            let now: Option<String> = tx
                .query_row("SELECT state FROM alert_state WHERE id = 1", [], |r| r.get(0))
                .optional()?;
            if now.as_deref() != expected {
                return Ok(false);
            }
            tx.execute(
                "INSERT INTO alert_state (id, state, updated_at) VALUES (1, ?1, ?2)
                 ON CONFLICT (id) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at",
                params![state, now_text()],
            )?;
            if let Some(a) = alert {
                tx.execute(
                    "INSERT OR IGNORE INTO alerts (key, changes, made_at) VALUES (?1, ?2, ?3)",
                    params![a.key, a.changes.join("\n"), a.made_at.to_string()],
                )?;
            }
            tx.commit()?;
            Ok(true)
        })
    }

    /// Alerts numbered after `after` not yet delivered (nor skipped) in `channel`, oldest first.
    pub fn pending_alerts(&self, channel: u64, after: i64) -> Result<Vec<Alert>, StoreError> {
        self.with(|c| {
            let mut stmt = c.prepare(
                "SELECT seq, key, changes, made_at FROM alerts a WHERE seq > ?2 AND NOT EXISTS (
                   SELECT 1 FROM alert_deliveries d WHERE d.channel_id = ?1 AND d.seq = a.seq AND d.state != 'claimed')
                 ORDER BY seq",
            )?;
            let rows = stmt.query_map(params![id(channel), after], |r| {
                let changes: String = r.get(2)?;
                let made: String = r.get(3)?;
                Ok(Alert {
                    seq: r.get(0)?,
                    key: r.get(1)?,
                    changes: changes.lines().map(str::to_owned).collect(),
                    made_at: made.parse().map_err(conversion)?,
                })
            })?;
            rows.collect()
        })
    }

    /// Claims alert `seq` for `channel` (as a digest's day is claimed), with how many of its
    /// parts are posted already.
    pub fn claim_alert(
        &self,
        channel: u64,
        seq: i64,
        nonce: &str,
    ) -> Result<(Claim, u32), StoreError> {
        self.with(|c| {
            let tx = c.transaction()?;
            let now = now_text();
            tx.execute(
                "INSERT OR IGNORE INTO alert_deliveries (channel_id, seq, state, nonce, claimed_at, updated_at)
                 VALUES (?1, ?2, 'claimed', ?3, ?4, ?4)",
                params![id(channel), seq, nonce, now],
            )?;
            let fresh = tx.changes() == 1;
            let (state, nonce, message_id, reason, attempted, done): (String, String, Option<String>, Option<String>, Option<String>, u32) = tx.query_row(
                "SELECT state, nonce, message_id, reason, attempted_at, parts_done FROM alert_deliveries WHERE channel_id = ?1 AND seq = ?2",
                params![id(channel), seq],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?)),
            )?;
            let attempted = attempted.map(|t| t.parse().map_err(conversion)).transpose()?;
            tx.commit()?;
            let claim = match state.as_str() {
                "delivered" => Claim::Delivered { message_id: message_id.unwrap_or_default() },
                "skipped" => Claim::Skipped { reason: reason.unwrap_or_default() },
                _ if fresh => Claim::Fresh { nonce },
                _ => Claim::Unconfirmed { nonce, attempted },
            };
            Ok((claim, done))
        })
    }

    pub fn mark_alert(&self, channel: u64, seq: i64, mark: &AlertMark) -> Result<(), StoreError> {
        self.with(|c| {
            let channel = id(channel);
            let now = now_text();
            match mark {
                AlertMark::Attempted(at) => c.execute(
                    "UPDATE alert_deliveries SET attempted_at = ?3, updated_at = ?4 WHERE channel_id = ?1 AND seq = ?2",
                    params![channel, seq, at.map(|t| t.to_string()), now],
                ),
                AlertMark::Part { done, message_id } => c.execute(
                    "UPDATE alert_deliveries SET parts_done = ?3, message_id = ?4, attempted_at = NULL, updated_at = ?5 WHERE channel_id = ?1 AND seq = ?2",
                    params![channel, seq, done, message_id, now],
                ),
                AlertMark::Delivered => c.execute(
                    "UPDATE alert_deliveries SET state = 'delivered', updated_at = ?3 WHERE channel_id = ?1 AND seq = ?2",
                    params![channel, seq, now],
                ),
                AlertMark::Skipped(reason) => c.execute(
                    "UPDATE alert_deliveries SET state = 'skipped', reason = ?3, updated_at = ?4 WHERE channel_id = ?1 AND seq = ?2 AND state != 'delivered'",
                    params![channel, seq, reason, now],
                ),
            }?;
            Ok(())
        })
    }

    /// The last alert delivered in `channel`: when it was made, and its last message's id.
    pub fn last_alert(
        &self,
        channel: u64,
    ) -> Result<Option<(jiff::Timestamp, String)>, StoreError> {
        self.with(|c| {
            c.query_row(
                "SELECT a.made_at, d.message_id FROM alert_deliveries d JOIN alerts a ON a.seq = d.seq
                 WHERE d.channel_id = ?1 AND d.state = 'delivered' ORDER BY d.seq DESC LIMIT 1",
                [id(channel)],
                |r| {
                    let made: String = r.get(0)?;
                    let message: Option<String> = r.get(1)?;
                    Ok((made.parse().map_err(conversion)?, message.unwrap_or_default()))
                },
            )
            .optional()
        })
    }

    pub fn channel_info(&self, channel: u64) -> Result<Option<ChannelInfo>, StoreError> {
        self.with(|c| {
            c.query_row(
                "SELECT kind, publishing FROM channels WHERE channel_id = ?1",
                [id(channel)],
                |r| {
                    Ok(ChannelInfo {
                        kind: r.get(0)?,
                        publishing: r.get(1)?,
                    })
                },
            )
            .optional()
        })
    }

    pub fn note_channel(&self, channel: u64, info: &ChannelInfo) -> Result<(), StoreError> {
        self.with(|c| {
            c.execute(
                "INSERT INTO channels (channel_id, kind, publishing, updated_at) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (channel_id) DO UPDATE SET kind = excluded.kind, publishing = excluded.publishing,
                   updated_at = excluded.updated_at",
                params![id(channel), info.kind, info.publishing, now_text()],
            )?;
            Ok(())
        })
    }
}
