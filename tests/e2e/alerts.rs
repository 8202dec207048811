//! Change alerts against the stand-in: an update added (or withdrawn) while the bot runs posts
//! one alert per alert channel — across a 429, three 5xx and a SIGKILL with a restart — with
//! the opted-in role the only thing it may ping; a restart with the same facts posts nothing,
//! one with new updates does; announcement channels get their posts published (and a 403 on
//! publishing is shown, not retried); `/alerts subscribe` and `/digest subscribe` refuse a
//! channel where the bot cannot post.
//!
//! Every fact base here is a temporary copy of the shipped one; the update it gets cites an
//! invented source marked as a test fixture, never news.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::{json, Value};

use crate::digest::{post_requests, posts, WAIT};
use crate::support::bot::Bot;
use crate::support::standin::{interaction_payload, Fault, StandIn, CHANNEL_ID, MANAGE_GUILD};
use crate::support::{facts_path, temp_facts};

const LOUD: &str = "2300000000000000001";
const QUIET: &str = "2300000000000000002";
const ROLE: &str = "1500000000000000001";
/// The serving clock: after the invented update's time.
pub(crate) const NOW: &str = "2026-02-27T08:00:00Z";

const WIRE: &str =
    "TEST FIXTURE — invented text, not news.\nIndia and Israel signed a Memorandum of \
                    Understanding on security cooperation on 26 February 2026, officials said.\n";
pub(crate) const QUOTE: &str = "India and Israel signed a Memorandum of Understanding on security cooperation on 26 February 2026";
pub(crate) const SIGNED: &str = "India and Israel signed the Memorandum of Understanding (MoU) on security cooperation on 26 February 2026.";

pub(crate) fn factdesk(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_factdesk"))
        .args(args)
        .current_dir(dir)
        .env_remove("FACTDESK_FACTS")
        .env_remove("FACTDESK_CONFIG")
        .output()
        .expect("run factdesk")
}

pub(crate) fn ok(o: &Output) {
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
}

/// A copy of the shipped fact base with the invented source added (no update yet), and a
/// factdesk.toml with its state and `alerts` (channel, role) beside it.
pub(crate) fn setup(
    alerts: &[(&str, Option<&str>)],
    extra: &str,
) -> (tempfile::TempDir, PathBuf, String) {
    let shipped = std::fs::read_to_string(facts_path()).expect("shipped facts");
    let (dir, facts) = temp_facts(&shipped);
    std::fs::write(dir.path().join("wire.txt"), WIRE).expect("write the fixture");
    ok(&factdesk(
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
            "--date",
            "2026-02-26",
            "--file",
            "wire.txt",
        ],
    ));
    let mut config = format!(
        "state_dir = \"{}\"\n{extra}\n",
        dir.path().join("state").display()
    );
    for (channel, role) in alerts {
        config.push_str(&format!("[[alerts.subscriptions]]\nchannel = {channel}\n"));
        if let Some(role) = role {
            config.push_str(&format!("role = {role}\n"));
        }
    }
    let path = dir.path().join("factdesk.toml");
    std::fs::write(&path, config).expect("write config");
    (dir, facts, path.to_str().expect("utf-8").to_owned())
}

/// `update add` of the invented signing with id `id`.
fn add_update(dir: &Path, id: &str) {
    ok(&factdesk(
        dir,
        &[
            "update",
            "add",
            "--facts",
            "facts.toml",
            "--id",
            id,
            "--source",
            "test-wire",
            "--quote",
            QUOTE,
            "--certainty",
            "confirmed",
            "--text",
            SIGNED,
            "--supersedes",
            "mou-signing",
            "--time",
            "2026-02-26T15:00:00+02:00",
        ],
    ));
}

fn serve(standin: &StandIn, config: &str, facts: &Path) -> Bot {
    let facts = facts.to_str().expect("utf-8");
    Bot::start(
        standin,
        &["--config", config, "serve", "--facts", facts, "--now", NOW],
        &[],
    )
}

/// Starts the bot and waits until it has compared the fact base with the alerts' state.
pub(crate) async fn serve_ready(standin: &StandIn, config: &str, facts: &Path) -> Bot {
    let bot = serve(standin, config, facts);
    bot.wait_for_line("alert channels looked at", WAIT).await;
    bot
}

fn nonces(standin: &StandIn, channel: &str) -> Vec<Value> {
    post_requests(standin, channel)
        .iter()
        .map(|r| r.json()["nonce"].clone())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_update_is_alerted_once_per_channel_across_a_429_5xx_and_a_sigkill() {
    let standin = StandIn::start().await;
    let (dir, facts, config) = setup(&[(LOUD, Some(ROLE)), (QUIET, None)], "");
    let loud = format!("/channels/{LOUD}/messages");
    // LOUD: a 429, then Discord creates the message but never answers — the bot is killed
    // waiting. QUIET: three 5xx before it gets through.
    standin.fail("POST", &loud, [Fault::RateLimited(0.3), Fault::Hang]);
    standin.fail(
        "POST",
        &format!("/channels/{QUIET}/messages"),
        [Fault::Status(500), Fault::Status(502), Fault::Status(503)],
    );
    let first = serve_ready(&standin, &config, &facts).await;
    assert!(standin.messages().is_empty(), "a first start is not news");
    add_update(dir.path(), "test-signing");
    standin
        .wait_request("POST", &format!("/api/v10{loud}"), 1, WAIT)
        .await;
    drop(first); // SIGKILL, with LOUD's post sent off and unanswered
    let second = serve(&standin, &config, &facts);
    second.wait_for_line("alert delivered", WAIT).await;
    standin
        .wait_for("an alert in each channel", WAIT, |s| {
            (posts(s, LOUD).len() == 1 && posts(s, QUIET).len() == 1).then_some(())
        })
        .await;
    let statuses: Vec<u16> = post_requests(&standin, LOUD)
        .iter()
        .map(|r| r.status)
        .collect();
    assert_eq!(statuses, [429, 200, 200], "429, the hang, the resend");
    let quiet: Vec<u16> = post_requests(&standin, QUIET)
        .iter()
        .map(|r| r.status)
        .collect();
    assert_eq!(&quiet[..3], [500, 502, 503]);
    for channel in [LOUD, QUIET] {
        let n = nonces(&standin, channel);
        assert!(n.windows(2).all(|w| w[0] == w[1]), "one nonce: {n:?}");
        assert_eq!(posts(&standin, channel).len(), 1, "one alert in {channel}");
    }
    // What the channels read: the update with its certainty and source, and a Source button;
    // only LOUD's opted-in role may be pinged, and nothing else anywhere.
    let body = &posts(&standin, LOUD)[0];
    let content = body["content"].as_str().expect("content");
    assert!(content.starts_with(&format!("<@&{ROLE}> **")), "{content}");
    assert!(
        content.contains(&format!("• New: {SIGNED} (confirmed; source: Test Wire)")),
        "{content}"
    );
    assert_eq!(
        body["allowed_mentions"],
        json!({"parse": [], "roles": [ROLE]})
    );
    assert!(body["components"][0]["components"][0]["custom_id"]
        .as_str()
        .is_some_and(|id| id.starts_with("src:")));
    let quiet = &posts(&standin, QUIET)[0];
    assert_eq!(quiet["allowed_mentions"], json!({"parse": []}));
    assert!(!quiet["content"].as_str().unwrap_or("").contains("<@&"));

    // A restart with the same facts posts nothing (stopped gracefully: what it was marking is
    // marked).
    let mut second = second;
    second.terminate();
    second.wait_exit(WAIT).await;
    let before = standin.requests().len();
    let third = serve_ready(&standin, &config, &facts).await;
    let line = third.wait_for_line("alert channels looked at", WAIT).await;
    assert!(line.contains("owed=0"), "{line}");
    let after: Vec<String> = standin.requests()[before..]
        .iter()
        .filter(|r| r.method == "POST" && r.path.contains("/channels/"))
        .map(|r| r.path.clone())
        .collect();
    assert!(after.is_empty(), "nothing posted again: {after:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_withdrawal_posts_a_correction_and_updates_made_while_down_are_alerted_at_start() {
    let standin = StandIn::start().await;
    let (dir, facts, config) = setup(&[(QUIET, None)], "");
    add_update(dir.path(), "test-signing");
    let mut bot = serve_ready(&standin, &config, &facts).await;
    assert!(
        posts(&standin, QUIET).is_empty(),
        "what was there at the first start is not news"
    );
    ok(&factdesk(
        dir.path(),
        &[
            "update",
            "retract",
            "--facts",
            "facts.toml",
            "test-signing",
            "--reason",
            "the test wire withdrew its report",
        ],
    ));
    let correction = standin
        .wait_for("the correction", WAIT, |s| {
            posts(s, QUIET).into_iter().next()
        })
        .await;
    let content = correction["content"].as_str().expect("content");
    assert!(
        content.contains(
            "• Correction: the update of 26 February 2026 was withdrawn: the test wire withdrew its report"
        ),
        "{content}"
    );
    // Stopped; an editor adds an update meanwhile; the next start alerts it.
    bot.terminate();
    bot.wait_exit(WAIT).await;
    add_update(dir.path(), "test-signing-again");
    let _bot = serve(&standin, &config, &facts);
    let alert = standin
        .wait_for("the alert after the restart", WAIT, |s| {
            posts(s, QUIET).get(1).cloned()
        })
        .await;
    assert!(
        alert["content"].as_str().unwrap_or("").contains(SIGNED),
        "{alert}"
    );
    assert_eq!(posts(&standin, QUIET).len(), 2);
}

/// Sends `/<command> <sub>` in the stand-in's channel with `app_permissions` and the channel's
/// `kind`, as a member with Manage Server; returns the reply's text.
async fn command_in(
    standin: &StandIn,
    id: &str,
    command: &str,
    sub: Value,
    app_permissions: &str,
    kind: u8,
) -> String {
    let member = MANAGE_GUILD;
    command_as(standin, id, (command, sub), app_permissions, kind, member).await
}

/// [`command_in`] as a member with `member_permissions`.
async fn command_as(
    standin: &StandIn,
    id: &str,
    (command, sub): (&str, Value),
    app_permissions: &str,
    kind: u8,
    member_permissions: u64,
) -> String {
    let token = format!("interaction-token-{id}");
    let mut payload = interaction_payload(id, &token, 2, command, json!([sub]), member_permissions);
    payload["app_permissions"] = json!(app_permissions);
    payload["channel"]["type"] = json!(kind);
    standin.dispatch("INTERACTION_CREATE", payload);
    let path = format!("/api/v10/interactions/{id}/{token}/callback");
    let callback = standin
        .wait_for(&format!("the /{command} callback"), WAIT, |s| {
            s.requests().into_iter().find(|r| r.path == path)
        })
        .await
        .json();
    if callback["type"] == 5 {
        return standin.wait_original_edit(&token, WAIT).await["content"]
            .as_str()
            .unwrap_or("")
            .to_owned();
    }
    callback["data"]["content"]
        .as_str()
        .unwrap_or("")
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subscribing_needs_a_channel_the_bot_can_post_in() {
    let standin = StandIn::start().await;
    let (_dir, facts, config) = setup(&[], "");
    let _bot = serve_ready(&standin, &config, &facts).await;
    standin.wait_op(2, 1, WAIT).await;
    // View Channel only: Send Messages and Embed Links are missing.
    let alerts = json!({"name": "subscribe", "type": 1, "options": []});
    let refused = command_in(
        &standin,
        "1400000000000000901",
        "alerts",
        alerts.clone(),
        "1024",
        0,
    )
    .await;
    assert!(
        refused.contains("I cannot post alerts in this channel: grant me **Send Messages**, **Embed Links** here"),
        "{refused}"
    );
    let digest = json!({"name": "subscribe", "type": 1, "options": [
        {"name": "time", "type": 3, "value": "08:00"}, {"name": "timezone", "type": 3, "value": "Asia/Kolkata"}]});
    let refused = command_in(&standin, "1400000000000000902", "digest", digest, "0", 0).await;
    assert!(
        refused.contains("I cannot post the digest in this channel: grant me **View Channel**, **Send Messages**, **Embed Links** here"),
        "{refused}"
    );
    let status = command_in(
        &standin,
        "1400000000000000903",
        "alerts",
        json!({"name": "status", "type": 1, "options": []}),
        "2147483647",
        0,
    )
    .await;
    assert!(status.contains("This channel gets no alerts."), "{status}");
    // A member without Manage Server is told about alerts, not the digest.
    let refused = command_as(
        &standin,
        "1400000000000000990",
        ("alerts", alerts.clone()),
        "2147483647",
        0,
        0,
    )
    .await;
    assert_eq!(
        refused,
        "Sorry — only members with the **Manage Server** permission can change this channel's alerts. You can still use `/alerts status`."
    );
    // Granted (and an announcement channel), with a role: subscribed, and status says so.
    let with_role = json!({"name": "subscribe", "type": 1, "options": [{"name": "role", "type": 8, "value": ROLE}]});
    let ok = command_in(
        &standin,
        "1400000000000000904",
        "alerts",
        with_role,
        "2147483647",
        5,
    )
    .await;
    assert!(
        ok.contains(&format!(
            "Subscribed: this channel gets an alert, mentioning <@&{ROLE}>"
        )),
        "{ok}"
    );
    let status = command_in(
        &standin,
        "1400000000000000905",
        "alerts",
        json!({"name": "status", "type": 1, "options": []}),
        "2147483647",
        5,
    )
    .await;
    assert!(
        status.contains(&format!(
            "Alerts on, mentioning <@&{ROLE}>. This is an announcement channel"
        )),
        "{status}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn posts_in_announcement_channels_are_published_and_a_403_is_shown_not_retried() {
    let standin = StandIn::start().await;
    // LOUD is an announcement channel the bot may publish in; CHANNEL_ID one where it may not.
    standin.set_channel_kind(LOUD, 5);
    standin.set_channel_kind(CHANNEL_ID, 5);
    standin.fail(
        "POST",
        &format!("/channels/{CHANNEL_ID}/messages/"),
        [Fault::Status(403)],
    );
    let digest = format!(
        "[digest]\n[[digest.subscriptions]]\nchannel = {LOUD}\ntime = \"08:00\"\ntime_zone = \"Asia/Kolkata\"\n"
    );
    let (dir, facts, config) = setup(&[(LOUD, None), (CHANNEL_ID, None)], "");
    std::fs::write(
        &config,
        std::fs::read_to_string(&config).expect("config") + &digest,
    )
    .expect("write config");
    let _bot = serve_ready(&standin, &config, &facts).await;
    standin.wait_op(2, 1, WAIT).await;
    add_update(dir.path(), "test-signing");
    let crossposts = |s: &StandIn, channel: &str| -> Vec<crate::support::standin::Recorded> {
        s.requests()
            .into_iter()
            .filter(|r| {
                r.method == "POST"
                    && r.path
                        .starts_with(&format!("/api/v10/channels/{channel}/messages/"))
                    && r.path.ends_with("/crosspost")
            })
            .collect()
    };
    // The alert in LOUD is published: the crosspost names the message it posted.
    let published = standin
        .wait_for("the alert published", WAIT, |s| {
            crossposts(s, LOUD).into_iter().next()
        })
        .await;
    let message = standin
        .messages()
        .into_iter()
        .find(|m| m["channel"] == LOUD)
        .expect("the alert in LOUD");
    let id = message["message"]["id"].as_str().expect("id");
    assert_eq!(
        published.path,
        format!("/api/v10/channels/{LOUD}/messages/{id}/crosspost")
    );
    assert_eq!(published.status, 200);
    // CHANNEL_ID's publishing got a 403: shown in /alerts status, tried once.
    standin
        .wait_for("the refused publishing", WAIT, |s| {
            crossposts(s, CHANNEL_ID).into_iter().next()
        })
        .await;
    // The refusal is recorded once Discord's answer is read: ask until status shows it.
    let shown = "**Not published to following servers**: Discord answered 403";
    let mut status = String::new();
    for attempt in 0..40 {
        status = command_in(
            &standin,
            &format!("14000000000000{:05}", 900 + attempt),
            "alerts",
            json!({"name": "status", "type": 1, "options": []}),
            "2147483647",
            5,
        )
        .await;
        if status.contains(shown) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
    assert!(status.contains(shown), "{status}");
    assert_eq!(crossposts(&standin, CHANNEL_ID).len(), 1, "not retried");
    // The digest due in LOUD this morning (08:00 in Kolkata, caught up) is published too.
    standin
        .wait_for("the digest published", WAIT, |s| {
            (crossposts(s, LOUD).len() == 2).then_some(())
        })
        .await;
    let gets = standin
        .requests()
        .into_iter()
        .filter(|r| r.method == "GET" && r.path == format!("/api/v10/channels/{LOUD}"))
        .count();
    assert_eq!(gets, 1, "the channel's type is looked up once");
}
