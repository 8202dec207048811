//! Digests that know when to stop and operators who hear about trouble (issue 14, items 6–8),
//! against the stand-in with pinned clocks: the digest window (posted on its last day, nothing
//! after it or nine months on, `/digest status` saying why and when digests start), updates-only
//! subscriptions, the operator's notice once per incident across restarts, the delivery
//! history in `/digest status` and `digest list`, `factdesk forget --guild`, and a server gone
//! for a week forgotten by itself.
//!
//! Fact bases with updates are temporary copies of the shipped one; their added source is an
//! invented text marked as a test fixture, never news.

use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

use serde_json::json;

use crate::digest::{digest_command, post_requests, posts, text_of, WAIT};
use crate::support::bot::Bot;
use crate::support::standin::{Fault, StandIn, CHANNEL_ID, GUILD_ID, MANAGE_GUILD, TOKEN};

/// The operator's channel.
const OPS: &str = "2200000000000000009";
/// A second subscribed channel.
const OTHER: &str = "2200000000000000002";
/// Long enough for a scheduler pass that waits for its minute (it re-reads at least every 60 s).
const PASS: Duration = Duration::from_secs(90);

/// A subscription in factdesk.toml.
struct Sub<'a> {
    channel: &'a str,
    time: &'a str,
    zone: &'a str,
    extra: &'a str,
}

fn sub<'a>(channel: &'a str, time: &'a str, zone: &'a str) -> Sub<'a> {
    Sub {
        channel,
        time,
        zone,
        extra: "",
    }
}

/// A state directory with a factdesk.toml: `top` keys, then the subscriptions.
fn setup(top: &str, subs: &[Sub<'_>]) -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().expect("dir");
    let mut config = format!(
        "state_dir = \"{}\"\n{top}\n[digest]\n",
        dir.path().join("state").display()
    );
    for s in subs {
        config.push_str(&format!(
            "[[digest.subscriptions]]\nchannel = {}\ntime = \"{}\"\ntime_zone = \"{}\"\n{}\n",
            s.channel, s.time, s.zone, s.extra
        ));
    }
    let path = dir.path().join("factdesk.toml");
    std::fs::write(&path, config).expect("write config");
    (dir, path.to_str().expect("utf-8").to_owned())
}

/// `factdesk --config CONFIG <args>` against the stand-in, run to completion.
fn run(standin: &StandIn, config: &str, args: &[&str]) -> (Option<i32>, String) {
    let o = Command::new(env!("CARGO_BIN_EXE_factdesk"))
        .args(["--config", config])
        .args(args)
        .current_dir(crate::support::root())
        .env("DISCORD_TOKEN", TOKEN)
        .env("DISCORD_API_BASE", standin.base())
        .env("RUST_LOG", "warn")
        .env_remove("DATABASE_URL")
        .output()
        .expect("run factdesk");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    (o.status.code(), text)
}

fn serve(standin: &StandIn, config: &str, now: &str) -> Bot {
    Bot::start(standin, &["--config", config, "serve", "--now", now], &[])
}

async fn stop(mut bot: Bot) {
    bot.terminate();
    assert_eq!(bot.wait_exit(WAIT).await.code(), Some(0), "{}", bot.log());
}

/// `/digest status` in [`CHANNEL_ID`], as a reader sees it (content and embeds).
async fn status(standin: &StandIn) -> String {
    digest_command(standin, "status", json!([]), 0).await
}

fn seconds(instant: &str) -> i64 {
    instant
        .parse::<jiff::Timestamp>()
        .expect("instant")
        .as_second()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_digest_window_posts_on_its_last_day_and_nothing_after() {
    let standin = StandIn::start().await;
    let (_dir, config) = setup("", &[sub(CHANNEL_ID, "08:00", "Asia/Kolkata")]);
    // Before the window (it opens on 11 February, 14 days before the visit): status says when.
    let bot = serve(&standin, &config, "2026-02-01T00:00:00Z");
    standin.wait_op(2, 1, WAIT).await;
    let before = status(&standin).await;
    let first = seconds("2026-02-11T02:30:00Z");
    assert!(
        before.contains(&format!(
            "Digests start on 11 February 2026 (14 days before the event): the first is due <t:{first}:F>"
        )),
        "{before}"
    );
    stop(bot).await;

    // The window's last day (28 March, 30 days after the visit): posted.
    let bot = serve(&standin, &config, "2026-03-28T02:29:58Z");
    let body = standin
        .wait_for("the last digest in the window", WAIT, |s| {
            posts(s, CHANNEL_ID).into_iter().next()
        })
        .await;
    assert!(
        text_of(&body).contains("daily digest, Saturday 28 March 2026"),
        "{}",
        text_of(&body)
    );
    stop(bot).await;

    // The day after: due, but not owed — nothing posted, and status says why.
    let bot = serve(&standin, &config, "2026-03-29T02:29:58Z");
    bot.wait_for_line("digest not owed; nothing posted", WAIT)
        .await;
    standin.wait_op(2, 3, WAIT).await;
    let after = status(&standin).await;
    assert!(
        after.contains(
            "**No more digests**: they stopped after 28 March 2026, 30 days after the event ended"
        ),
        "{after}"
    );
    assert!(!after.contains("Next digest"), "{after}");
    stop(bot).await;
    assert_eq!(
        posts(&standin, CHANNEL_ID).len(),
        1,
        "nothing after the window"
    );

    // Nine months after the visit, `send-now` posts nothing either, unless forced.
    let (code, out) = run(
        &standin,
        &config,
        &[
            "digest",
            "send-now",
            "--channel",
            CHANNEL_ID,
            "--now",
            "2026-11-25T03:00:00Z",
        ],
    );
    assert_eq!(code, Some(0), "{out}");
    assert!(
        out.contains("is not owed (the digest window closed after 2026-03-28); use --force"),
        "{out}"
    );
    assert_eq!(posts(&standin, CHANNEL_ID).len(), 1);
}

/// The invented source text the updates cite.
const WIRE: &str = "TEST FIXTURE — invented text, not news.\nIndia and Israel signed a Memorandum \
                    of Understanding on security cooperation on 26 February 2026, officials said.\n";

/// A temporary copy of the shipped fact base with the invented source added.
fn fact_base_with_fixture_source() -> (tempfile::TempDir, std::path::PathBuf) {
    let shipped = std::fs::read_to_string(crate::support::facts_path()).expect("shipped facts");
    let (dir, path) = crate::support::temp_facts(&shipped);
    std::fs::write(dir.path().join("wire.txt"), WIRE).expect("write the fixture");
    let o = editor(
        dir.path(),
        &[
            "source",
            "add",
            "--facts",
            "facts.toml",
            "--id",
            "test-wire",
            "--title",
            "TEST FIXTURE — invented",
            "--publisher",
            "Test Wire",
            "--file",
            "wire.txt",
        ],
    );
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    (dir, path)
}

fn editor(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_factdesk"))
        .args(args)
        .current_dir(dir)
        .env_remove("FACTDESK_FACTS")
        .env_remove("FACTDESK_CONFIG")
        .output()
        .expect("run factdesk")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn updates_only_channels_get_a_digest_only_when_there_are_updates() {
    let standin = StandIn::start().await;
    let (facts_dir, facts) = fact_base_with_fixture_source();
    let updates_only = Sub {
        extra: "mode = \"updates\"",
        ..sub(CHANNEL_ID, "08:00", "Asia/Kolkata")
    };
    let top = format!("facts = \"{}\"", facts.display());
    let (_dir, config) = setup(&top, &[sub(OTHER, "08:00", "Asia/Kolkata"), updates_only]);
    // 26 February, 08:00 in Kolkata: the daily channel gets its digest, the other has none owed.
    let bot = serve(&standin, &config, "2026-02-26T02:29:58Z");
    standin
        .wait_for("the daily channel's digest", WAIT, |s| {
            posts(s, OTHER).into_iter().next()
        })
        .await;
    let line = bot
        .wait_for_line("digest not owed; nothing posted", WAIT)
        .await;
    assert!(
        line.contains(CHANNEL_ID) && line.contains("no new updates"),
        "{line}"
    );
    assert!(posts(&standin, CHANNEL_ID).is_empty());
    standin.wait_op(2, 1, WAIT).await;
    let shown = status(&standin).await;
    assert!(
        shown.contains("Digest at 08:00 (Asia/Kolkata) on days with new updates (set in"),
        "{shown}"
    );

    // An editor adds an update made before the digest's time: now it is owed, and posted with it.
    let signed = "India and Israel signed the Memorandum of Understanding (MoU) on security cooperation on 26 February 2026.";
    let o = editor(
        facts_dir.path(),
        &[
            "update", "add", "--facts", "facts.toml", "--source", "test-wire", "--quote",
            "India and Israel signed a Memorandum of Understanding on security cooperation on 26 February 2026",
            "--certainty", "confirmed", "--text", signed, "--time", "2026-02-26T01:00:00Z",
        ],
    );
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let body = standin
        .wait_for("the updates-only digest", PASS, |s| {
            posts(s, CHANNEL_ID).into_iter().next()
        })
        .await;
    assert!(text_of(&body).contains(signed), "{}", text_of(&body));
    assert_eq!(posts(&standin, OTHER).len(), 1, "the daily channel once");
    stop(bot).await;
}

/// The notices posted to the operator's channel, by text.
fn notices(standin: &StandIn) -> Vec<String> {
    post_requests(standin, OPS)
        .iter()
        .map(|r| r.json()["content"].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pause_is_told_to_the_operator_once_also_across_a_restart() {
    let standin = StandIn::start().await;
    let (_dir, config) = setup(
        &format!("ops_channel = {OPS}"),
        &[
            sub(CHANNEL_ID, "08:00", "Asia/Kolkata"),
            sub(OTHER, "05:00", "Asia/Jerusalem"),
        ],
    );
    for channel in [CHANNEL_ID, OTHER] {
        let route = format!("/channels/{channel}/messages");
        standin.fail("POST", &route, [Fault::Status(404)]);
    }
    let bot = serve(&standin, &config, "2026-02-25T02:29:58Z");
    standin
        .wait_for("the notice of the pause", WAIT, |s| {
            notices(s).into_iter().next()
        })
        .await;
    standin.wait_op(2, 1, WAIT).await;
    let shown = status(&standin).await;
    // The day before was missed beyond the catch-up window: skipped, then 25 February paused.
    assert!(shown.contains("Delivery history (last 2)"), "{shown}");
    assert!(
        shown.contains("\n• 2026-02-25 paused · Discord answered 404 (404: stand-in fault) when posting the 2026-02-25 digest · <t:"),
        "{shown}"
    );
    assert!(
        shown.contains("\n• 2026-02-24 skipped · missed: it was due"),
        "{shown}"
    );
    stop(bot).await;

    // After a restart, the other channel (05:00 in Jerusalem, 03:00 UTC) pauses too: its
    // notice comes after the first incident's — which is not told again.
    let bot = serve(&standin, &config, "2026-02-25T02:59:58Z");
    standin
        .wait_for("the second notice", WAIT, |s| notices(s).get(1).cloned())
        .await;
    let told = notices(&standin);
    assert_eq!(told.len(), 2, "{told:#?}");
    assert!(
        told[0].starts_with(&format!("**Digest paused** in <#{CHANNEL_ID}>")),
        "{told:#?}"
    );
    assert!(told[0].contains("Discord answered 404"), "{told:#?}");
    assert!(
        told[1].starts_with(&format!("**Digest paused** in <#{OTHER}>")),
        "{told:#?}"
    );
    let notice = &post_requests(&standin, OPS)[0].json();
    assert_eq!(notice["allowed_mentions"], json!({"parse": []}));
    stop(bot).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_hour_of_failures_is_told_once_and_the_history_shows_it() {
    let standin = StandIn::start().await;
    let (_dir, config) = setup(
        &format!("ops_channel = {OPS}"),
        &[sub(CHANNEL_ID, "08:00", "Asia/Kolkata")],
    );
    let route = format!("/channels/{CHANNEL_ID}/messages");
    // 400 is not retried within a send: the scheduler tries again later.
    standin.fail("POST", &route, [Fault::Status(400)]);
    let bot = serve(&standin, &config, "2026-02-25T02:29:58Z");
    bot.wait_for_line("digest not delivered; will retry", WAIT)
        .await;
    stop(bot).await;
    assert!(notices(&standin).is_empty(), "not yet an hour");

    // An hour on, still failing: the operator hears of it.
    standin.fail("POST", &route, [Fault::Status(400)]);
    let bot = serve(&standin, &config, "2026-02-25T03:31:00Z");
    let told = standin
        .wait_for("the notice of the failures", WAIT, |s| {
            notices(s).into_iter().next()
        })
        .await;
    assert!(
        told.starts_with(&format!("**Digest failing** in <#{CHANNEL_ID}>"))
            && told.contains("since Wednesday 25 February 2026, 02:3"),
        "{told}"
    );
    // Stopped once the notice is recorded as posted: one stopped between the post and the
    // mark would rightly resend it (with its nonce) at the next start.
    bot.wait_for_line("operator notified of an incident", WAIT)
        .await;
    stop(bot).await;

    // Then it works: delivered, the incident is over, and nobody is told twice.
    let bot = serve(&standin, &config, "2026-02-25T03:32:00Z");
    standin
        .wait_for("the digest", WAIT, |s| {
            posts(s, CHANNEL_ID).into_iter().next()
        })
        .await;
    bot.wait_for_line("incident over", WAIT).await;
    stop(bot).await;
    assert_eq!(notices(&standin).len(), 1);
    let (code, list) = run(
        &standin,
        &config,
        &["digest", "list", "--now", "2026-02-25T04:00:00Z"],
    );
    assert_eq!(code, Some(0), "{list}");
    assert!(list.contains("Delivery history (last 3)"), "{list}");
    assert!(list.contains("• 2026-02-25 delivered · message "), "{list}");
    assert!(
        list.contains("• 2026-02-25 failed · 2 attempts · Discord answered 400"),
        "{list}"
    );
}

/// Rows the state database holds for `channel`, per table.
fn rows(state: &Path, channel: &str) -> Vec<(String, i64)> {
    let db = rusqlite::Connection::open(state.join("factdesk.db")).expect("db");
    [
        "subscriptions",
        "deliveries",
        "delivery_history",
        "incidents",
    ]
    .iter()
    .map(|table| {
        let n: i64 = db
            .query_row(
                &format!("SELECT COUNT(*) FROM {table} WHERE channel_id = ?1"),
                [channel.parse::<i64>().expect("id")],
                |r| r.get(0),
            )
            .expect("count");
        ((*table).to_owned(), n)
    })
    .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forget_removes_a_servers_subscriptions_and_history() {
    let standin = StandIn::start().await;
    let ours = Sub {
        extra: "guild = 1100000000000000001",
        ..sub(CHANNEL_ID, "08:00", "Asia/Kolkata")
    };
    let theirs = Sub {
        extra: "guild = 1100000000000000002",
        ..sub(OTHER, "08:00", "Asia/Kolkata")
    };
    let (dir, config) = setup("", &[ours, theirs]);
    for channel in [CHANNEL_ID, OTHER] {
        let (code, out) = run(
            &standin,
            &config,
            &[
                "digest",
                "send-now",
                "--channel",
                channel,
                "--now",
                "2026-02-25T03:00:00Z",
            ],
        );
        assert_eq!(code, Some(0), "{out}");
    }
    let state = dir.path().join("state");
    let everything = |n| {
        [
            "subscriptions",
            "deliveries",
            "delivery_history",
            "incidents",
        ]
        .iter()
        .map(|t| ((*t).to_owned(), n))
        .collect::<Vec<_>>()
    };
    let mut before = everything(1);
    before[3].1 = 0;
    assert_eq!(rows(&state, CHANNEL_ID), before);

    let (code, out) = run(&standin, &config, &["forget", "--guild", GUILD_ID]);
    assert_eq!(code, Some(0), "{out}");
    assert!(
        out.contains(&format!(
            "forgot server {GUILD_ID}: 1 subscription(s), 1 delivery log row(s), 1 history line(s), 0 incident(s)"
        )),
        "{out}"
    );
    assert!(
        out.contains(&format!(
            "channel {CHANNEL_ID}: subscription removed; it is listed in factdesk.toml"
        )),
        "{out}"
    );
    assert_eq!(rows(&state, CHANNEL_ID), everything(0));
    assert_eq!(rows(&state, OTHER), before, "another server's are kept");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_whose_channels_answer_404_for_a_week_is_forgotten() {
    let standin = StandIn::start().await;
    let (dir, config) = setup("", &[]);
    let bot = serve(&standin, &config, "2026-02-24T12:00:00Z");
    standin.wait_op(2, 1, WAIT).await;
    let options = json!([{"name": "time", "type": 3, "value": "08:00"}, {"name": "timezone", "type": 3, "value": "Asia/Kolkata"}]);
    let ok = digest_command(&standin, "subscribe", options, MANAGE_GUILD).await;
    assert!(ok.starts_with("Subscribed"), "{ok}");
    stop(bot).await;

    // The bot was removed from the server: its channel answers 404, the subscription pauses.
    let route = format!("/channels/{CHANNEL_ID}/messages");
    standin.fail("POST", &route, [Fault::Status(404)]);
    let bot = serve(&standin, &config, "2026-02-25T02:29:58Z");
    bot.wait_for_line("digest subscription paused", WAIT).await;
    stop(bot).await;
    let state = dir.path().join("state");
    assert_eq!(rows(&state, CHANNEL_ID)[0], ("subscriptions".to_owned(), 1));

    // A week later, the scheduler forgets the server, and logs it.
    let bot = serve(&standin, &config, "2026-03-04T03:00:00Z");
    let line = bot
        .wait_for_line(
            "forgot a server whose channels answered 403/404 for a week",
            WAIT,
        )
        .await;
    assert!(line.contains(GUILD_ID), "{line}");
    standin.wait_op(2, 3, WAIT).await;
    let shown = status(&standin).await;
    assert!(
        shown.starts_with("This channel has no daily digest."),
        "{shown}"
    );
    stop(bot).await;
    let forgotten: Vec<(String, i64)> = rows(&state, CHANNEL_ID);
    assert!(forgotten.iter().all(|(_, n)| *n == 0), "{forgotten:?}");
    assert_eq!(
        post_requests(&standin, CHANNEL_ID).len(),
        1,
        "never retried"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn updates_mode_from_discord_and_a_paused_server_kept_within_the_week() {
    let standin = StandIn::start().await;
    let (dir, config) = setup("", &[]);
    let bot = serve(&standin, &config, "2026-02-24T12:00:00Z");
    standin.wait_op(2, 1, WAIT).await;
    let options = json!([{"name": "time", "type": 3, "value": "08:00"}, {"name": "timezone", "type": 3, "value": "Asia/Kolkata"}, {"name": "mode", "type": 3, "value": "updates"}]);
    let ok = digest_command(&standin, "subscribe", options, MANAGE_GUILD).await;
    assert!(
        ok.contains("gets the digest at 08:00 (Asia/Kolkata) on days with new updates"),
        "{ok}"
    );
    stop(bot).await;
    let route = format!("/channels/{CHANNEL_ID}/messages");
    standin.fail("POST", &route, [Fault::Status(403)]);
    // Updates-only, and the shipped fact base has no updates: forced, so it is posted (403).
    let (code, out) = run(
        &standin,
        &config,
        &[
            "digest",
            "send-now",
            "--channel",
            CHANNEL_ID,
            "--now",
            "2026-02-25T03:00:00Z",
        ],
    );
    assert_eq!(code, Some(0), "{out}");
    assert!(
        out.contains("not owed (the channel gets digests only with new updates"),
        "{out}"
    );
    let (code, out) = run(
        &standin,
        &config,
        &[
            "digest",
            "send-now",
            "--channel",
            CHANNEL_ID,
            "--now",
            "2026-02-25T03:00:00Z",
            "--force",
        ],
    );
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("the subscription is paused"), "{out}");
    // Six days on, the scheduler keeps it (a member may still grant the permission back): its
    // cleanup pass saw the paused server and forgot nothing — before status is read.
    let bot = serve(&standin, &config, "2026-03-03T02:00:00Z");
    let line = bot
        .wait_for_line("checked for servers that removed the bot", WAIT)
        .await;
    assert!(
        line.contains("paused_servers=1 paused_a_week=0 forgotten=0"),
        "{line}"
    );
    standin.wait_op(2, 2, WAIT).await;
    let shown = status(&standin).await;
    assert!(
        shown.contains("**Paused**: Discord answered 403"),
        "{shown}"
    );
    stop(bot).await;
    let state = dir.path().join("state");
    assert_eq!(rows(&state, CHANNEL_ID)[0], ("subscriptions".to_owned(), 1));
}
