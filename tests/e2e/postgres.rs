//! PostgreSQL for many replicas: real `factdesk serve` processes sharing one database (the
//! throwaway cluster of `support/postgres.rs`) against the stand-in — digest workers racing for
//! the same due digests, one killed mid-claim, HTTP replicas managing subscriptions — and, in a
//! build without the `postgres` feature, the error that says how to get it.

use std::process::Command;

use crate::support::standin::StandIn;

/// A `DATABASE_URL` with a password, for the builds and tests without a server.
const UNREACHABLE: &str = "postgres://factdesk:hunter2-never-shown@127.0.0.1:1/factdesk";

/// `factdesk <args>` with `DATABASE_URL` set (and a public key, for `serve --http`), run to
/// completion: exit code and output.
fn run_with_database(url: &str, args: &[&str], standin: &StandIn) -> (i32, String) {
    let state = tempfile::tempdir().expect("state dir");
    let key = ed25519_dalek::SigningKey::from_bytes(&[7; 32]);
    let o = Command::new(env!("CARGO_BIN_EXE_factdesk"))
        .args(args)
        .current_dir(crate::support::root())
        .env("DATABASE_URL", url)
        .env("FACTDESK_STATE_DIR", state.path())
        .env("DISCORD_API_BASE", standin.base())
        .env("DISCORD_TOKEN", "")
        .env(
            "DISCORD_PUBLIC_KEY",
            hex::encode(key.verifying_key().to_bytes()),
        )
        .output()
        .expect("run factdesk");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    (o.status.code().unwrap_or(-1), text)
}

#[cfg(not(feature = "postgres"))]
#[tokio::test]
async fn database_url_without_the_feature_stops_at_start_saying_how_to_build() {
    let standin = StandIn::start().await;
    for args in [
        &["serve", "--http", "127.0.0.1:0", "--no-digest"][..],
        &["digest", "list"][..],
        &["misses"][..],
    ] {
        let (code, out) = run_with_database(UNREACHABLE, args, &standin);
        assert_eq!(code, 1, "{args:?}: {out}");
        assert!(
            out.contains("built without PostgreSQL support")
                && out.contains("cargo build --release --features postgres"),
            "{args:?}: {out}"
        );
        assert!(
            out.contains("postgres://factdesk:***@127.0.0.1:1/factdesk"),
            "{out}"
        );
        assert!(!out.contains("hunter2"), "the password never shows: {out}");
    }
}

#[cfg(feature = "postgres")]
mod with_server {
    use std::time::Duration;

    use serde_json::{json, Value};

    use super::{run_with_database, UNREACHABLE};
    use crate::support::bot::Bot;
    use crate::support::postgres::{cluster, PASSWORD};
    use crate::support::standin::{interaction_payload, Fault, StandIn, CHANNEL_ID, MANAGE_GUILD};

    const WAIT: Duration = Duration::from_secs(30);
    /// Short, so a dead worker's digest is taken over within seconds.
    const LEASE: &str = "2";
    const CHANNELS: [&str; 3] = [
        "2200000000000000011",
        "2200000000000000012",
        "2200000000000000013",
    ];

    /// A config file subscribing `channels` at 08:00 in Kolkata (02:30 UTC).
    fn config(channels: &[&str]) -> (tempfile::TempDir, String) {
        let dir = tempfile::tempdir().expect("dir");
        let mut text = format!("state_dir = \"{}\"\n", dir.path().join("state").display());
        for channel in channels {
            text.push_str(&format!(
                "[[digest.subscriptions]]\nchannel = {channel}\ntime = \"08:00\"\ntime_zone = \"Asia/Kolkata\"\n"
            ));
        }
        let path = dir.path().join("factdesk.toml");
        std::fs::write(&path, text).expect("write config");
        let path = path.to_str().expect("utf-8").to_owned();
        (dir, path)
    }

    /// A digest worker (`serve --no-gateway`) on `url`, its clock starting at `now`.
    fn worker(standin: &StandIn, config: &str, url: &str, now: &str) -> Bot {
        let args = ["--config", config, "serve", "--no-gateway", "--now", now];
        let env = [
            ("DATABASE_URL", url),
            ("FACTDESK_DIGEST_CLAIM_LEASE_SECONDS", LEASE),
        ];
        Bot::start(standin, &args, &env)
    }

    fn posts_to(standin: &StandIn, channel: &str) -> Vec<crate::support::standin::Recorded> {
        let path = format!("/api/v10/channels/{channel}/messages");
        standin
            .requests()
            .into_iter()
            .filter(|r| r.method == "POST" && r.path == path)
            .collect()
    }

    fn messages_in(standin: &StandIn, channel: &str) -> usize {
        standin
            .messages()
            .iter()
            .filter(|m| m["channel"] == channel)
            .count()
    }

    async fn client(url: &str) -> tokio_postgres::Client {
        let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
            .await
            .expect("connect to the test database");
        tokio::spawn(connection);
        client
    }

    /// `(channel, state, claimed_by)` of each channel's 2026-02-25 digest; none before the
    /// workers have created the tables.
    async fn deliveries(url: &str) -> Vec<(i64, String, Option<String>)> {
        let rows = client(url)
            .await
            .query(
                "SELECT channel_id, state, claimed_by FROM deliveries
                 WHERE date = '2026-02-25' ORDER BY channel_id",
                &[],
            )
            .await;
        match rows {
            Ok(rows) => rows
                .iter()
                .map(|r| (r.get(0), r.get(1), r.get(2)))
                .collect(),
            Err(e) if e.code() == Some(&tokio_postgres::error::SqlState::UNDEFINED_TABLE) => {
                Vec::new()
            }
            Err(e) => panic!("query deliveries: {e}"),
        }
    }

    /// Waits until every channel's digest is recorded as delivered.
    async fn all_delivered(url: &str, channels: usize) -> Vec<(i64, String, Option<String>)> {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let rows = deliveries(url).await;
            if rows.len() == channels && rows.iter().all(|(_, state, _)| state == "delivered") {
                return rows;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "not all delivered: {rows:?}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    fn assert_no_password(bots: &[&Bot]) {
        for bot in bots {
            assert!(!bot.log().contains(PASSWORD), "{}", bot.log());
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn two_workers_racing_for_the_same_digests_post_each_once() {
        let Some(cluster) = cluster() else { return };
        let url = cluster.database().await;
        let standin = StandIn::start().await;
        let (_dir, config) = config(&CHANNELS);
        // Each post takes a while, so the loser of a race finds the day claimed, not done.
        for channel in CHANNELS {
            let route = format!("/channels/{channel}/messages");
            standin.fail("POST", &route, [Fault::Delay(Duration::from_millis(2500))]);
        }
        // Both wake at 08:00 in Kolkata, two seconds after they start.
        let first = worker(&standin, &config, &url, "2026-02-25T02:29:58Z");
        let second = worker(&standin, &config, &url, "2026-02-25T02:29:58Z");
        let rows = all_delivered(&url, CHANNELS.len()).await;
        // The loser of a race looks again when the winner's lease would have run out: give
        // it that long to (wrongly) post a second time.
        tokio::time::sleep(Duration::from_secs(3)).await;
        for channel in CHANNELS {
            let posts = posts_to(&standin, channel);
            assert_eq!(
                posts.len(),
                1,
                "{channel}: one POST, not a second one de-duplicated by its nonce; {rows:?}\n\
                 first:\n{}\nsecond:\n{}",
                first.log(),
                second.log()
            );
            assert_eq!(messages_in(&standin, channel), 1);
        }
        let logs = format!("{}\n{}", first.log(), second.log());
        assert!(
            logs.contains("another worker is posting this digest"),
            "the race happened: one worker found a day claimed by the other\n{logs}"
        );
        assert_no_password(&[&first, &second]);
    }

    /// Two workers race for one digest whose first POSTs meet `faults`; the one holding the
    /// claim is killed (SIGKILL) once it has posted. Returns the other.
    async fn kill_the_claimer(standin: &StandIn, url: &str, faults: Vec<Fault>) -> Bot {
        let route = format!("/channels/{}/messages", CHANNELS[0]);
        standin.fail("POST", &route, faults);
        let (dir, config) = config(&CHANNELS[..1]);
        let bots = [
            worker(standin, &config, url, "2026-02-25T02:29:58Z"),
            worker(standin, &config, url, "2026-02-25T02:29:58Z"),
        ];
        standin
            .wait_request("POST", &format!("/api/v10{route}"), 0, WAIT)
            .await;
        let rows = deliveries(url).await;
        let claimer = rows[0].2.clone().expect("the claim names its worker");
        let pid: u32 = claimer
            .split('/')
            .nth(1)
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("host/pid/start: {claimer}"));
        let [a, b] = bots;
        let (dead, survivor) = if a.pid() == pid { (a, b) } else { (b, a) };
        assert_eq!(dead.pid(), pid, "the claimer is one of the two workers");
        drop(dead); // SIGKILL, mid-claim: a post sent, its outcome never recorded.
        std::mem::forget(dir); // the survivor reads its config until it ends
        survivor
    }

    /// Waits for `survivor` to deliver the day, and checks the log says it did.
    async fn settled_by(survivor: &Bot, url: &str) {
        survivor.wait_for_line("digest delivered", WAIT).await;
        let rows = all_delivered(url, 1).await;
        let by = rows[0].2.clone().unwrap_or_default();
        assert_eq!(
            by.split('/').nth(1),
            Some(survivor.pid().to_string().as_str()),
            "the survivor took the day over: {by}"
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_worker_killed_after_its_post_reached_discord_leaves_one_post() {
        let Some(cluster) = cluster() else { return };
        let url = cluster.database().await;
        let standin = StandIn::start().await;
        // Discord creates the message, but the answer never comes back: the claimer dies
        // waiting. The survivor resends with the same nonce, which Discord de-duplicates.
        let survivor = kill_the_claimer(&standin, &url, vec![Fault::Hang]).await;
        settled_by(&survivor, &url).await;
        let posts = posts_to(&standin, CHANNELS[0]);
        assert_eq!(posts.len(), 2, "the lost post, then the survivor's resend");
        assert_eq!(posts[0].json()["nonce"], posts[1].json()["nonce"]);
        assert_eq!(messages_in(&standin, CHANNELS[0]), 1);
        assert!(survivor
            .log()
            .contains("resending an unconfirmed digest with its original nonce"));
        assert_no_password(&[&survivor]);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_worker_killed_while_discord_fails_leaves_one_post() {
        let Some(cluster) = cluster() else { return };
        let url = cluster.database().await;
        let standin = StandIn::start().await;
        // Discord is failing and the claimer is retrying when it dies; the survivor posts.
        let faults = std::iter::repeat_n(Fault::Status(503), 50).collect();
        let survivor = kill_the_claimer(&standin, &url, faults).await;
        standin.clear_faults();
        settled_by(&survivor, &url).await;
        let statuses: Vec<u16> = posts_to(&standin, CHANNELS[0])
            .iter()
            .map(|r| r.status)
            .collect();
        assert_eq!(statuses.last(), Some(&200), "{statuses:?}");
        assert_eq!(
            statuses.iter().filter(|s| **s == 200).count(),
            1,
            "{statuses:?}"
        );
        assert_eq!(messages_in(&standin, CHANNELS[0]), 1);
        assert_no_password(&[&survivor]);
    }

    /// Sends `/digest <sub>` to an HTTP replica at `url`, signed with `key`; the reply's text.
    async fn digest_over_http(
        standin: &StandIn,
        endpoint: &str,
        key: &ed25519_dalek::SigningKey,
        sub: &str,
        options: Value,
        n: u8,
    ) -> String {
        let token = format!("pg-interaction-token-{n}");
        let body = interaction_payload(
            &format!("13000000000000000{n:02}"),
            &token,
            2,
            "digest",
            json!([{"name": sub, "type": 1, "options": options}]),
            MANAGE_GUILD,
        );
        let (status, text) = crate::support::signed_post(endpoint, key, &body).await;
        assert_eq!(status, 200, "{text}");
        let answer: Value = serde_json::from_str(&text).expect("JSON");
        if answer["type"] == 5 {
            // Deferred (the database was slow): the answer is edited in.
            let edit = standin.wait_original_edit(&token, WAIT).await;
            return edit["content"].as_str().unwrap_or_default().to_owned();
        }
        answer["data"]["content"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn http_replicas_manage_subscriptions_in_the_shared_database() {
        let Some(cluster) = cluster() else { return };
        let url = cluster.database().await;
        let standin = StandIn::start().await;
        let key = ed25519_dalek::SigningKey::from_bytes(&[7; 32]);
        let public = hex::encode(key.verifying_key().to_bytes());
        let replica = |standin: &StandIn| {
            Bot::start(
                standin,
                &["serve", "--http", "127.0.0.1:0", "--no-digest"],
                &[
                    ("DISCORD_TOKEN", ""),
                    ("DISCORD_PUBLIC_KEY", &public),
                    ("DATABASE_URL", &url),
                ],
            )
        };
        let (one, two) = (replica(&standin), replica(&standin));
        let (at_one, at_two) = (one.wait_for_url(WAIT).await, two.wait_for_url(WAIT).await);
        let time = json!([{"name": "time", "type": 3, "value": "08:00"}, {"name": "timezone", "type": 3, "value": "Asia/Kolkata"}]);
        let subscribed = digest_over_http(&standin, &at_one, &key, "subscribe", time, 1).await;
        assert!(subscribed.starts_with("Subscribed:"), "{subscribed}");
        // Another replica sees it: the state is the database's, not a replica's.
        let status = digest_over_http(&standin, &at_two, &key, "status", json!([]), 2).await;
        assert!(status.contains("08:00"), "{status}");
        assert!(!status.contains("no daily digest"), "{status}");
        // So does the operator's command line, and the digest workers that will post it.
        let (code, list) = run_with_database(&url, &["digest", "list"], &standin);
        assert_eq!(code, 0, "{list}");
        assert!(list.contains(&format!("channel {CHANNEL_ID}:")), "{list}");
        assert!(!list.contains(PASSWORD), "{list}");
        assert_no_password(&[&one, &two]);
    }

    #[tokio::test]
    async fn an_unreachable_database_stops_the_start_without_showing_its_password() {
        let standin = StandIn::start().await;
        let (code, out) = run_with_database(
            UNREACHABLE,
            &["serve", "--http", "127.0.0.1:0", "--no-digest"],
            &standin,
        );
        assert_eq!(code, 1, "{out}");
        assert!(
            out.contains("digest database postgres://factdesk:***@127.0.0.1:1/factdesk"),
            "{out}"
        );
        assert!(!out.contains("hunter2"), "{out}");
    }
}
