//! Change alerts' state in PostgreSQL (migration 2, and 4 for the language): the same tables and rules as SQLite's
//! `store/alerts.rs`, with the claim's lease (as the digest's: see the parent module), so
//! several digest workers post each alert once per channel.

use jiff::Timestamp;
use tokio_postgres::Row;

use super::{id, PgStore};
use crate::digest::store::{origin_name, Alert, AlertMark, AlertSubscription, Origin, StoreError};

const COLUMNS: &str = "channel_id, guild_id, role_id, origin, paused, after_seq, locale";

/// Alerts are owed from the next one made.
const NEXT_ALERT: &str = "(SELECT COALESCE(MAX(seq), 0) FROM alerts)";

fn subscription_row(r: &Row) -> Result<AlertSubscription, tokio_postgres::Error> {
    let origin: String = r.try_get(3)?;
    Ok(AlertSubscription {
        channel_id: r.try_get::<_, i64>(0)? as u64,
        guild_id: r.try_get::<_, Option<i64>>(1)?.map(|g| g as u64),
        role_id: r.try_get::<_, Option<i64>>(2)?.map(|g| g as u64),
        origin: if origin == "config" {
            Origin::Config
        } else {
            Origin::Discord
        },
        paused: r.try_get(4)?,
        after: r.try_get(5)?,
        locale: r.try_get(6)?,
    })
}

impl PgStore {
    pub(super) async fn alert_upsert(&self, s: &AlertSubscription) -> Result<(), StoreError> {
        let sql = format!(
            "INSERT INTO alert_subscriptions (channel_id, guild_id, role_id, origin, paused, after_seq, locale)
             VALUES ($1, $2, $3, $4, NULL, {NEXT_ALERT}, $5)
             ON CONFLICT (channel_id) DO UPDATE SET guild_id = EXCLUDED.guild_id, role_id = EXCLUDED.role_id,
               origin = EXCLUDED.origin, paused = NULL, locale = EXCLUDED.locale, updated_at = now()"
        );
        let params: [&(dyn tokio_postgres::types::ToSql + Sync); 5] = [
            &id(s.channel_id),
            &s.guild_id.map(id),
            &s.role_id.map(id),
            &origin_name(s.origin),
            &s.locale,
        ];
        self.execute(&sql, &params).await.map(drop)
    }

    pub(super) async fn alert_list(&self) -> Result<Vec<AlertSubscription>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM alert_subscriptions ORDER BY channel_id");
        self.rows(&sql, &[], subscription_row).await
    }

    pub(super) async fn alert_sync(
        &self,
        list: &[AlertSubscription],
        remove_missing: bool,
    ) -> Result<(), StoreError> {
        let mut client = self.client().await?;
        let fail = |e: tokio_postgres::Error| self.fail(&e);
        let tx = client.transaction().await.map_err(fail)?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&super::SYNC_LOCK])
            .await
            .map_err(fail)?;
        if remove_missing {
            let keep: Vec<i64> = list.iter().map(|s| id(s.channel_id)).collect();
            tx.execute(
                "DELETE FROM alert_subscriptions WHERE origin = 'config' AND NOT (channel_id = ANY($1))",
                &[&keep],
            )
            .await
            .map_err(fail)?;
        }
        let sql = format!(
            "INSERT INTO alert_subscriptions (channel_id, guild_id, role_id, origin, after_seq, locale)
             VALUES ($1, $2, $3, 'config', {NEXT_ALERT}, $4)
             ON CONFLICT (channel_id) DO UPDATE SET
               paused = CASE WHEN alert_subscriptions.role_id IS NOT DISTINCT FROM EXCLUDED.role_id
                             THEN alert_subscriptions.paused ELSE NULL END,
               guild_id = EXCLUDED.guild_id, role_id = EXCLUDED.role_id, locale = EXCLUDED.locale,
               updated_at = now()
             WHERE alert_subscriptions.origin = 'config'"
        );
        for s in list {
            let params: [&(dyn tokio_postgres::types::ToSql + Sync); 4] = [
                &id(s.channel_id),
                &s.guild_id.map(id),
                &s.role_id.map(id),
                &s.locale,
            ];
            tx.execute(&sql, &params).await.map_err(fail)?;
        }
        tx.commit().await.map_err(fail)
    }

    pub(super) async fn alert_advance(
        &self,
        expected: Option<&str>,
        state: &str,
        alert: Option<&Alert>,
    ) -> Result<bool, StoreError> {
        let mut client = self.client().await?;
        let fail = |e: tokio_postgres::Error| self.fail(&e);
        let tx = client.transaction().await.map_err(fail)?;
        // Processes seeing the same reload take turns; the second finds the state moved on.
        tx.execute("LOCK TABLE alert_state IN EXCLUSIVE MODE", &[])
            .await
            .map_err(fail)?;
        let now = tx
            .query_opt("SELECT state FROM alert_state WHERE id = 1", &[])
            .await
            .map_err(fail)?
            .map(|r| r.get::<_, String>(0));
        if now.as_deref() != expected {
            return Ok(false);
        }
        tx.execute(
            "INSERT INTO alert_state (id, state) VALUES (1, $1)
             ON CONFLICT (id) DO UPDATE SET state = EXCLUDED.state, updated_at = now()",
            &[&state],
        )
        .await
        .map_err(fail)?;
        if let Some(a) = alert {
            tx.execute(
                "INSERT INTO alerts (key, changes, made_at) VALUES ($1, $2, $3) ON CONFLICT (key) DO NOTHING",
                &[&a.key, &a.changes.join("\n"), &a.made_at],
            )
            .await
            .map_err(fail)?;
        }
        tx.commit().await.map_err(fail)?;
        Ok(true)
    }

    pub(super) async fn alert_pending(
        &self,
        channel: u64,
        after: i64,
    ) -> Result<Vec<Alert>, StoreError> {
        let sql = "SELECT seq, key, changes, made_at FROM alerts a WHERE seq > $2 AND NOT EXISTS (
                     SELECT 1 FROM alert_deliveries d WHERE d.channel_id = $1 AND d.seq = a.seq AND d.state <> 'claimed')
                   ORDER BY seq";
        self.rows(sql, &[&id(channel), &after], |r| {
            let changes: String = r.try_get(2)?;
            Ok::<_, tokio_postgres::Error>(Alert {
                seq: r.try_get(0)?,
                key: r.try_get(1)?,
                changes: changes.lines().map(str::to_owned).collect(),
                made_at: r.try_get::<_, Timestamp>(3)?,
            })
        })
        .await
    }

    pub(super) async fn alert_mark(
        &self,
        channel: u64,
        seq: i64,
        mark: &AlertMark,
    ) -> Result<(), StoreError> {
        let key = (id(channel), seq);
        match mark {
            AlertMark::Attempted(at) => {
                let sql = "UPDATE alert_deliveries SET attempted_at = $3, updated_at = now() WHERE channel_id = $1 AND seq = $2";
                self.execute(sql, &[&key.0, &key.1, at]).await
            }
            AlertMark::Part { done, message_id } => {
                let sql = "UPDATE alert_deliveries SET parts_done = $3, message_id = $4, attempted_at = NULL, updated_at = now()
                           WHERE channel_id = $1 AND seq = $2";
                let done = i32::try_from(*done).unwrap_or(i32::MAX);
                self.execute(sql, &[&key.0, &key.1, &done, message_id]).await
            }
            AlertMark::Delivered => {
                let sql = "UPDATE alert_deliveries SET state = 'delivered', lease_until = NULL, updated_at = now()
                           WHERE channel_id = $1 AND seq = $2";
                self.execute(sql, &[&key.0, &key.1]).await
            }
            AlertMark::Skipped(reason) => {
                let sql = "UPDATE alert_deliveries SET state = 'skipped', reason = $3, lease_until = NULL, updated_at = now()
                           WHERE channel_id = $1 AND seq = $2 AND state <> 'delivered'";
                self.execute(sql, &[&key.0, &key.1, reason]).await
            }
        }
        .map(drop)
    }
}
