//! The daily digest against the stand-in with pinned clocks: timing in two zones and across
//! Israel's DST change, Discord errors, crashes at every point, pausing, permissions, restarts.

use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::support::bot::Bot;
use crate::support::standin::{Fault, StandIn, CHANNEL_ID, MANAGE_GUILD, TOKEN};

pub(crate) const WAIT: Duration = Duration::from_secs(20);
pub(crate) const KOLKATA: &str = "2200000000000000001";
const JERUSALEM: &str = "2200000000000000002";

/// A state directory with a factdesk.toml listing `subscriptions` (channel, time, zone).
pub(crate) fn setup(
    subscriptions: &[(&str, &str, &str)],
    extra: &str,
) -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().expect("dir");
    let mut config = format!(
        "state_dir = \"{}\"\n{extra}\n[digest]\n",
        dir.path().join("state").display()
    );
    for (channel, time, zone) in subscriptions {
        config.push_str(&format!("[[digest.subscriptions]]\nchannel = {channel}\ntime = \"{time}\"\ntime_zone = \"{zone}\"\n"));
    }
    let path = dir.path().join("factdesk.toml");
    std::fs::write(&path, config).expect("write config");
    let path = path.to_str().expect("utf-8").to_owned();
    (dir, path)
}

/// What a reader sees of a posted message: its content, then its embed's title and text (the
/// digest is an embed).
pub(crate) fn text_of(body: &Value) -> String {
    let embed = &body["embeds"][0];
    [&body["content"], &embed["title"], &embed["description"]]
        .iter()
        .filter_map(|v| v.as_str())
        .collect::<Vec<_>>()
        .join("\n")
}

/// Bodies of the messages the stand-in created in `channel`.
pub(crate) fn posts(standin: &StandIn, channel: &str) -> Vec<Value> {
    standin
        .messages()
        .into_iter()
        .filter(|m| m["channel"] == channel)
        .map(|m| m["body"].clone())
        .collect()
}

pub(crate) fn post_requests(
    standin: &StandIn,
    channel: &str,
) -> Vec<crate::support::standin::Recorded> {
    let path = format!("/api/v10/channels/{channel}/messages");
    standin
        .requests()
        .into_iter()
        .filter(|r| r.method == "POST" && r.path == path)
        .collect()
}

/// Asserts every post to `channel` carried the same nonce (retries and restarts reuse it).
pub(crate) fn assert_one_nonce(standin: &StandIn, channel: &str) {
    let nonces: Vec<Value> = post_requests(standin, channel)
        .iter()
        .map(|r| r.json()["nonce"].clone())
        .collect();
    assert!(
        !nonces.is_empty() && nonces.windows(2).all(|w| w[0] == w[1]),
        "one nonce for the day: {nonces:?}"
    );
}

/// Runs `factdesk --config CONFIG digest send-now …` to completion.
pub(crate) fn send_now(standin: &StandIn, config: &str, args: &[&str]) -> (i32, String) {
    send_now_env(standin, config, args, &[])
}

/// [`send_now`] with more environment.
fn send_now_env(
    standin: &StandIn,
    config: &str,
    args: &[&str],
    env: &[(&str, &str)],
) -> (i32, String) {
    let args: Vec<&str> = ["digest", "send-now"].iter().chain(args).copied().collect();
    crate::support::run_with_config(standin, config, &args, env)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fires_at_the_local_time_in_two_time_zones() {
    let standin = StandIn::start().await;
    // 08:00 in Kolkata and 04:30 in Jerusalem are the same instant, 02:30 UTC.
    let (_dir, config) = setup(
        &[
            (KOLKATA, "08:00", "Asia/Kolkata"),
            (JERUSALEM, "04:30", "Asia/Jerusalem"),
        ],
        "",
    );
    let started = Instant::now();
    let _bot = Bot::start(
        &standin,
        &[
            "--config",
            &config,
            "serve",
            "--now",
            "2026-02-25T02:29:58Z",
        ],
        &[],
    );
    for channel in [KOLKATA, JERUSALEM] {
        standin
            .wait_for(&format!("a digest in {channel}"), WAIT, |s| {
                posts(s, channel).into_iter().next()
            })
            .await;
    }
    assert!(
        started.elapsed() >= Duration::from_millis(1500),
        "posted before the local time: {:?}",
        started.elapsed()
    );
    for channel in [KOLKATA, JERUSALEM] {
        let body = &posts(&standin, channel)[0];
        let content = text_of(body);
        assert!(
            content.contains("daily digest, Wednesday 25 February 2026"),
            "{content}"
        );
        assert!(
            content.contains("Today is day 1 of 2 of the scheduled visit"),
            "{content}"
        );
        assert!(
            content.contains("are expected to sign a Memorandum of Understanding"),
            "the hedge survives: {content}"
        );
        assert_eq!(body["enforce_nonce"], true);
        assert_eq!(body["allowed_mentions"], json!({"parse": []}));
        assert_eq!(body["nonce"].as_str().map(str::len), Some(18));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn follows_jerusalems_switch_to_summer_time() {
    let standin = StandIn::start().await;
    let (_dir, config) = setup(&[(JERUSALEM, "08:00", "Asia/Jerusalem")], "");
    // Friday 27 March 2026: clocks went forward at 02:00, so 08:00 is 05:00 UTC, not 06:00.
    let _bot = Bot::start(
        &standin,
        &[
            "--config",
            &config,
            "serve",
            "--now",
            "2026-03-27T04:59:58Z",
        ],
        &[],
    );
    let body = standin
        .wait_for("the digest at 08:00 IDT", WAIT, |s| {
            posts(s, JERUSALEM).into_iter().next()
        })
        .await;
    let content = text_of(&body);
    assert!(
        content.contains("daily digest, Friday 27 March 2026"),
        "{content}"
    );
    assert!(content.contains("ended 29 days ago"), "{content}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_429_then_success_posts_once() {
    let standin = StandIn::start().await;
    let (_dir, config) = setup(&[(KOLKATA, "08:00", "Asia/Kolkata")], "");
    standin.fail(
        "POST",
        &format!("/channels/{KOLKATA}/messages"),
        [Fault::RateLimited(0.4)],
    );
    let started = Instant::now();
    let (code, out) = send_now(
        &standin,
        &config,
        &["--channel", KOLKATA, "--now", "2026-02-25T03:00:00Z"],
    );
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("posted the 2026-02-25 digest to channel"),
        "{out}"
    );
    assert!(
        started.elapsed() >= Duration::from_millis(400),
        "retry_after was honoured"
    );
    let requests = post_requests(&standin, KOLKATA);
    assert_eq!(
        requests.iter().map(|r| r.status).collect::<Vec<_>>(),
        [429, 200]
    );
    assert_eq!(posts(&standin, KOLKATA).len(), 1);
    standin.assert_user_agents();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_500s_then_success_posts_once_with_one_nonce() {
    let standin = StandIn::start().await;
    let (_dir, config) = setup(&[(KOLKATA, "08:00", "Asia/Kolkata")], "");
    standin.fail(
        "POST",
        &format!("/channels/{KOLKATA}/messages"),
        [Fault::Status(500), Fault::Status(502), Fault::Status(503)],
    );
    let (code, out) = send_now(
        &standin,
        &config,
        &["--channel", KOLKATA, "--now", "2026-02-25T03:00:00Z"],
    );
    assert_eq!(code, 0, "{out}");
    let requests = post_requests(&standin, KOLKATA);
    assert_eq!(
        requests.iter().map(|r| r.status).collect::<Vec<_>>(),
        [500, 502, 503, 200]
    );
    assert_one_nonce(&standin, KOLKATA);
    assert_eq!(posts(&standin, KOLKATA).len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn send_now_twice_posts_once_and_force_posts_again() {
    let standin = StandIn::start().await;
    let (_dir, config) = setup(&[(KOLKATA, "08:00", "Asia/Kolkata")], "");
    let args = [
        "--channel",
        KOLKATA,
        "--date",
        "2026-02-25",
        "--now",
        "2026-02-25T03:00:00Z",
    ];
    let (code, first) = send_now(&standin, &config, &args);
    assert_eq!(code, 0, "{first}");
    let id = first
        .trim()
        .rsplit(' ')
        .next()
        .expect("message id")
        .to_owned();
    // The bot's post carries a Source button; pressing it shows the digest's key facts' quotes.
    let body = &posts(&standin, KOLKATA)[0];
    let custom_id = body["components"][0]["components"][0]["custom_id"]
        .as_str()
        .expect("a Source button on the digest");
    let o = Command::new(env!("CARGO_BIN_EXE_factdesk"))
        .args(["ask", "--component", custom_id])
        .current_dir(crate::support::root())
        .output()
        .expect("press");
    let pressed = String::from_utf8_lossy(&o.stdout);
    assert!(
        pressed.contains("Where this answer comes from:")
            && pressed.contains("> Prime Minister Narendra Modi is scheduled to visit Israel"),
        "{pressed}"
    );
    let (code, second) = send_now(&standin, &config, &args);
    assert_eq!(code, 0, "{second}");
    assert!(
        second.contains(&format!("was already delivered: message {id}")),
        "{second}"
    );
    assert_eq!(posts(&standin, KOLKATA).len(), 1);
    let (code, forced) = send_now(&standin, &config, &[&args[..], &["--force"]].concat());
    assert_eq!(code, 0, "{forced}");
    assert_eq!(posts(&standin, KOLKATA).len(), 2);
}

/// Starts `serve` just after Kolkata's 08:00 with `faults` on the channel's messages route,
/// waits until the bot has claimed the day and made its first POST, then kills it (SIGKILL).
/// Returns the state's directory and the arguments to restart with.
async fn start_and_kill(standin: &StandIn, faults: Vec<Fault>) -> (tempfile::TempDir, Vec<String>) {
    let (dir, config) = setup(&[(KOLKATA, "08:00", "Asia/Kolkata")], "");
    let route = format!("/channels/{KOLKATA}/messages");
    standin.fail("POST", &route, faults);
    let args: Vec<String> = [
        "--config",
        &config,
        "serve",
        "--now",
        "2026-02-25T02:30:01Z",
    ]
    .map(String::from)
    .to_vec();
    let first = Bot::start(
        standin,
        &args.iter().map(String::as_str).collect::<Vec<_>>(),
        &[],
    );
    standin
        .wait_request("POST", &format!("/api/v10{route}"), 0, WAIT)
        .await;
    drop(first);
    (dir, args)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_between_claim_and_send_posts_once_after_restart() {
    let standin = StandIn::start().await;
    // Discord is failing and the bot is retrying when it dies: the day is claimed, not posted.
    let (_dir, args) = start_and_kill(
        &standin,
        std::iter::repeat_n(Fault::Status(503), 50).collect(),
    )
    .await;
    standin.clear_faults();
    assert!(posts(&standin, KOLKATA).is_empty());
    let _second = Bot::start(
        &standin,
        &args.iter().map(String::as_str).collect::<Vec<_>>(),
        &[],
    );
    standin
        .wait_for("the digest after restart", WAIT, |s| {
            posts(s, KOLKATA).into_iter().next()
        })
        .await;
    assert_one_nonce(&standin, KOLKATA);
    assert_eq!(posts(&standin, KOLKATA).len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_between_send_and_mark_posts_once_after_restart() {
    let standin = StandIn::start().await;
    // Discord creates the message but the answer never comes back: the bot dies waiting.
    let (_dir, args) = start_and_kill(&standin, vec![Fault::Hang]).await;
    assert_eq!(
        posts(&standin, KOLKATA).len(),
        1,
        "the first post reached Discord"
    );
    let second = Bot::start(
        &standin,
        &args.iter().map(String::as_str).collect::<Vec<_>>(),
        &[],
    );
    standin
        .wait_request(
            "POST",
            &format!("/api/v10/channels/{KOLKATA}/messages"),
            1,
            WAIT,
        )
        .await;
    second.wait_for_line("digest delivered", WAIT).await;
    assert_eq!(
        posts(&standin, KOLKATA).len(),
        1,
        "the resend with the same nonce was de-duplicated"
    );
    assert_one_nonce(&standin, KOLKATA);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_channel_pauses_the_subscription_visibly() {
    let standin = StandIn::start().await;
    let (_dir, config) = setup(&[(CHANNEL_ID, "08:00", "Asia/Kolkata")], "");
    standin.fail(
        "POST",
        &format!("/channels/{CHANNEL_ID}/messages"),
        [Fault::Status(404)],
    );
    let bot = Bot::start(
        &standin,
        &[
            "--config",
            &config,
            "serve",
            "--now",
            "2026-02-25T02:29:59Z",
        ],
        &[],
    );
    bot.wait_for_line("digest subscription paused", WAIT).await;
    standin.wait_op(2, 1, WAIT).await;
    let (id, token) = standin.interaction(
        2,
        "digest",
        json!([{"name": "status", "type": 1, "options": []}]),
        0,
    );
    let path = format!("/api/v10/interactions/{id}/{token}/callback");
    let callback = standin
        .wait_for("the /digest status callback", WAIT, |s| {
            s.requests().into_iter().find(|r| r.path == path)
        })
        .await;
    let content = callback.json()["data"]["content"]
        .as_str()
        .expect("content")
        .to_owned();
    assert!(
        content.contains("**Paused**: Discord answered 404"),
        "{content}"
    );
    assert_eq!(callback.json()["data"]["flags"], 64);
    // Paused means no retries.
    assert_eq!(post_requests(&standin, CHANNEL_ID).len(), 1);

    // A configured subscription cannot be stopped from Discord (the config would revive it).
    let refused = digest_command(&standin, "unsubscribe", json!([]), MANAGE_GUILD).await;
    assert!(
        refused.contains("set in the bot's configuration file"),
        "{refused}"
    );

    // The pause survives a restart: the config sync does not lift it.
    drop(bot);
    let _bot = Bot::start(
        &standin,
        &[
            "--config",
            &config,
            "serve",
            "--now",
            "2026-02-25T03:00:00Z",
        ],
        &[],
    );
    standin.wait_op(2, 2, WAIT).await;
    let status = digest_command(&standin, "status", json!([]), 0).await;
    assert!(
        status.contains("**Paused**: Discord answered 404"),
        "{status}"
    );
    assert_eq!(
        post_requests(&standin, CHANNEL_ID).len(),
        1,
        "no retry after the restart"
    );
}

/// Sends `/digest <sub>` with `permissions` and returns the reply content.
pub(crate) async fn digest_command(
    standin: &StandIn,
    sub: &str,
    options: Value,
    permissions: u64,
) -> String {
    let (id, token) = standin.interaction(
        2,
        "digest",
        json!([{"name": sub, "type": 1, "options": options}]),
        permissions,
    );
    let path = format!("/api/v10/interactions/{id}/{token}/callback");
    let callback = standin
        .wait_for(&format!("the /digest {sub} callback"), WAIT, |s| {
            s.requests().into_iter().find(|r| r.path == path)
        })
        .await;
    let callback = callback.json();
    if callback["type"] == 5 {
        // Deferred (the database was slow): the answer is edited in, as a reader would see it.
        return text_of(&standin.wait_original_edit(&token, WAIT).await);
    }
    text_of(&callback["data"])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_managers_subscribe_and_subscriptions_survive_a_restart() {
    let standin = StandIn::start().await;
    let (_dir, config) = setup(&[], "");
    let args = [
        "--config",
        config.as_str(),
        "serve",
        "--now",
        "2026-02-24T12:00:00Z",
    ];
    let mut bot = Bot::start(&standin, &args, &[]);
    standin.wait_op(2, 1, WAIT).await;
    let options = json!([{"name": "time", "type": 3, "value": "08:00"}, {"name": "timezone", "type": 3, "value": "Asia/Kolkata"}]);

    let refused = digest_command(&standin, "subscribe", options.clone(), 0).await;
    assert!(
        refused.contains("only members with the **Manage Server** permission"),
        "{refused}"
    );

    let bad_zone = json!([{"name": "time", "type": 3, "value": "08:00"}, {"name": "timezone", "type": 3, "value": "Asia/Mumbai"}]);
    let refused = digest_command(&standin, "subscribe", bad_zone, MANAGE_GUILD).await;
    assert!(
        refused.contains("`Asia/Mumbai` is not a time zone I know"),
        "{refused}"
    );

    let ok = digest_command(&standin, "subscribe", options, MANAGE_GUILD).await;
    assert!(
        ok.contains("Subscribed: this channel gets the daily digest at 08:00 (Asia/Kolkata)"),
        "{ok}"
    );
    // 08:00 in Kolkata is 02:30 UTC: a Discord timestamp, each reader sees their own zone.
    assert!(
        ok.contains("The next one is due <t:1771986600:F> (<t:1771986600:R>)."),
        "next digest shown: {ok}"
    );

    bot.terminate();
    assert_eq!(bot.wait_exit(WAIT).await.code(), Some(0), "{}", bot.log());
    let _bot = Bot::start(&standin, &args, &[]);
    standin.wait_op(2, 2, WAIT).await;
    let status = digest_command(&standin, "status", json!([]), 0).await;
    assert!(
        status.contains("Daily digest at 08:00 (Asia/Kolkata)."),
        "{status}"
    );
    assert!(
        status.contains("Next digest: <t:1771986600:F> (<t:1771986600:R>)."),
        "{status}"
    );

    assert!(
        standin.messages().is_empty(),
        "subscribing at 12:00 UTC for 08:00 IST posts nothing that day"
    );
    let preview = digest_command(&standin, "preview", json!([]), 0).await;
    assert!(
        preview.contains("daily digest, Tuesday 24 February 2026"),
        "{preview}"
    );
    assert!(preview.contains("1 day from today"), "{preview}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_webhook_subscription_posts_without_the_bot() {
    let standin = StandIn::start().await;
    let webhook = format!(
        "{}/api/v10/webhooks/3300000000000000001/webhook-token",
        standin.base()
    );
    let dir = tempfile::tempdir().expect("dir");
    let config = dir.path().join("factdesk.toml");
    std::fs::write(
        &config,
        format!(
            "state_dir = \"{}\"\n[[digest.subscriptions]]\nchannel = {KOLKATA}\ntime = \"08:00\"\ntime_zone = \"Asia/Kolkata\"\nwebhook_url_env = \"NEWSROOM_WEBHOOK\"\n",
            dir.path().display()
        ),
    )
    .expect("write");
    let o = Command::new(env!("CARGO_BIN_EXE_factdesk"))
        .args([
            "--config",
            config.to_str().expect("utf-8"),
            "digest",
            "send-now",
            "--channel",
            KOLKATA,
            "--now",
            "2026-02-25T03:00:00Z",
        ])
        .current_dir(crate::support::root())
        .env_remove("DISCORD_TOKEN")
        .env("NEWSROOM_WEBHOOK", &webhook)
        .output()
        .expect("run");
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let posted = standin.messages();
    assert_eq!(posted.len(), 1);
    assert_eq!(posted[0]["channel"], "webhook-3300000000000000001");
    // A webhook cannot carry a button that sends presses: a line points to the sources.
    let body = &posted[0]["body"];
    assert!(body.get("components").is_none(), "{body}");
    assert!(
        body["content"].as_str().is_some_and(
            |c| c.ends_with("_Sources: ask me `/sources` for the quotes behind every fact._")
        ),
        "{body}"
    );
    let request = standin
        .requests()
        .into_iter()
        .find(|r| r.path.starts_with("/api/v10/webhooks/"))
        .expect("webhook call");
    assert_eq!(request.query, "wait=true");
}

#[test]
fn a_digest_lists_only_updates_since_the_last_one() {
    let facts = std::fs::read_to_string(crate::support::facts_path()).expect("facts");
    let updates = r#"
[[updates]]
time = "2026-02-24T09:00:00+02:00"
text = "India and Israel are expected to sign the MoU on security cooperation ahead of the visit."
source = "visit-article"
quote = "Ahead of the visit, India and Israel are expected to sign a Memorandum of Understanding (MoU) on security cooperation."
certainty = "expected"

[[updates]]
time = "2026-02-25T09:00:00+02:00"
text = "No major defence contract is currently expected to be signed during this visit."
source = "visit-article"
quote = "no major defence contract is currently expected to be signed during this visit"
certainty = "expected"
"#;
    let (_dir, path) = crate::support::temp_facts(&format!("{facts}{updates}"));
    let engine = factdesk::engine::Engine::load(&path).expect("loads");
    let at = crate::support::at;
    let first = engine
        .render_digest(
            at("2026-02-25T12:00:00+02:00"),
            "Asia/Jerusalem",
            None,
            None,
        )
        .expect("renders")
        .embeds[0]
        .description
        .clone()
        .unwrap_or_default();
    assert!(first.contains("**New since the start:**"), "{first}");
    // Update times are Discord timestamps (09:00 in Jerusalem is 07:00 UTC)…
    assert!(
        first.contains("• <t:1771916400:f> — India and Israel are expected to sign the MoU"),
        "{first}"
    );
    assert!(
        first.contains("• <t:1772002800:f> — No major defence contract"),
        "{first}"
    );
    // …which a terminal in Kolkata reads in its own zone.
    let kolkata = jiff::tz::TimeZone::get("Asia/Kolkata").expect("tzdb");
    let shown = factdesk::engine::Response::Message(factdesk::engine::Reply::public(&first))
        .to_text_in(&kolkata, at("2026-02-25T12:00:00+02:00"));
    assert!(
        shown.contains("• 24 February 2026, 12:30 IST — India and Israel"),
        "{shown}"
    );

    let since = Some(at("2026-02-24T12:00:00+02:00"));
    let next = engine
        .render_digest(
            at("2026-02-25T12:00:00+02:00"),
            "Asia/Jerusalem",
            since,
            None,
        )
        .expect("renders")
        .embeds[0]
        .description
        .clone()
        .unwrap_or_default();
    assert!(next.contains("**New since the last digest:**"), "{next}");
    assert!(
        !next.contains("<t:1771916400:f>"),
        "an update already sent is not repeated: {next}"
    );
    assert!(next.contains("<t:1772002800:f>"), "{next}");

    let future = engine
        .render_digest(
            at("2026-02-24T08:00:00+02:00"),
            "Asia/Jerusalem",
            None,
            None,
        )
        .expect("renders")
        .embeds[0]
        .description
        .clone()
        .unwrap_or_default();
    assert!(
        future.contains("No updates have been added to the fact base yet."),
        "updates after now are not shown: {future}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn digest_list_shows_every_subscription_and_its_next_time() {
    let standin = StandIn::start().await;
    let (_dir, config) = setup(
        &[
            (KOLKATA, "08:00", "Asia/Kolkata"),
            (JERUSALEM, "07:30", "Asia/Jerusalem"),
        ],
        "",
    );
    let (code, _) = send_now(
        &standin,
        &config,
        &["--channel", KOLKATA, "--now", "2026-02-25T03:00:00Z"],
    );
    assert_eq!(code, 0);
    let o = Command::new(env!("CARGO_BIN_EXE_factdesk"))
        .args([
            "--config",
            &config,
            "digest",
            "list",
            "--now",
            "2026-02-25T03:00:00Z",
        ])
        .current_dir(crate::support::root())
        .output()
        .expect("run");
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains(&format!("channel {KOLKATA}: Daily digest at 08:00 (Asia/Kolkata) (set in the bot's configuration).")), "{out}");
    // Times written out in each subscription's zone (Discord gets timestamps).
    assert!(
        out.contains("Next digest: Thursday 26 February 2026, 08:00 IST (in a day)."),
        "{out}"
    );
    assert!(
        out.contains(
            "Last delivered: the digest of 2026-02-25, as of 25 February 2026, 08:00 IST (message"
        ),
        "{out}"
    );
    assert!(
        out.contains(&format!(
            "channel {JERUSALEM}: Daily digest at 07:30 (Asia/Jerusalem)"
        )),
        "{out}"
    );
    assert!(
        out.contains("Next digest: Wednesday 25 February 2026, 07:30 IST (in 3 hours)."),
        "{out}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_digest_missed_beyond_the_catch_up_window_is_skipped_visibly() {
    let standin = StandIn::start().await;
    // 08:00 in Kolkata was 02:30 UTC; the bot starts at 05:00 UTC with a 1 h window.
    let (_dir, config) = setup(&[(CHANNEL_ID, "08:00", "Asia/Kolkata")], "");
    let config_text = std::fs::read_to_string(&config)
        .expect("config")
        .replace("[digest]\n", "[digest]\ncatch_up_hours = 1\n");
    std::fs::write(&config, config_text).expect("write");
    let bot = Bot::start(
        &standin,
        &[
            "--config",
            &config,
            "serve",
            "--now",
            "2026-02-25T05:00:00Z",
        ],
        &[],
    );
    let line = bot.wait_for_line("digest skipped", WAIT).await;
    assert!(line.contains("the catch-up window is 1 h"), "{line}");
    standin.wait_op(2, 1, WAIT).await;
    let status = digest_command(&standin, "status", json!([]), 0).await;
    assert!(
        status.contains(
            "Skipped 2026-02-25: missed: it was due Wednesday 25 February 2026, 08:00 IST"
        ),
        "{status}"
    );
    assert!(
        post_requests(&standin, CHANNEL_ID).is_empty(),
        "nothing was posted late"
    );

    // Within the window it is sent on start (catch-up).
    let standin = StandIn::start().await;
    let (_dir, config) = setup(&[(CHANNEL_ID, "08:00", "Asia/Kolkata")], "");
    let _bot = Bot::start(
        &standin,
        &[
            "--config",
            &config,
            "serve",
            "--now",
            "2026-02-25T05:00:00Z",
        ],
        &[],
    );
    standin
        .wait_for("the caught-up digest", WAIT, |s| {
            posts(s, CHANNEL_ID).into_iter().next()
        })
        .await;
}

/// A factdesk.toml whose one subscription posts through the stand-in's webhook (the URL in
/// `NEWSROOM_WEBHOOK`), and that URL.
fn webhook_setup(standin: &StandIn) -> (tempfile::TempDir, String, String) {
    let webhook = format!(
        "{}/api/v10/webhooks/3300000000000000001/webhook-token",
        standin.base()
    );
    let dir = tempfile::tempdir().expect("dir");
    let config = dir.path().join("factdesk.toml");
    std::fs::write(
        &config,
        format!(
            "state_dir = \"{}\"\nshutdown_grace_seconds = 1\n[[digest.subscriptions]]\nchannel = {KOLKATA}\ntime = \"08:00\"\ntime_zone = \"Asia/Kolkata\"\nwebhook_url_env = \"NEWSROOM_WEBHOOK\"\n",
            dir.path().join("state").display()
        ),
    )
    .expect("write");
    let config = config.to_str().expect("utf-8").to_owned();
    (dir, config, webhook)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_during_a_hanging_post_exits_within_the_grace_and_the_post_is_reported_not_repeated(
) {
    let standin = StandIn::start().await;
    let (_dir, config, webhook) = webhook_setup(&standin);
    standin.fail("POST", "/webhooks/", vec![Fault::Hang]);
    let mut first = serve_with_webhook(&standin, &config, &webhook);
    standin
        .wait_request("POST", "/api/v10/webhooks/", 0, WAIT)
        .await;
    let stopping = Instant::now();
    first.terminate();
    let status = first.wait_exit(Duration::from_secs(10)).await;
    // A grace of 1 s: the hanging post is cut off, the process does not wait for it.
    assert!(
        stopping.elapsed() < Duration::from_secs(5),
        "took {:?}",
        stopping.elapsed()
    );
    assert!(status.success(), "{status:?}\n{}", first.log());

    // The post may have arrived (here it did); a webhook has no nonce, so it is reported.
    let second = serve_with_webhook(&standin, &config, &webhook);
    second
        .wait_for_line("digest outcome unknown; not resending", WAIT)
        .await;
    assert_eq!(standin.messages().len(), 1, "{}", second.log());
    let (code, out) = send_now_with(
        &standin,
        &config,
        &webhook,
        &["--channel", KOLKATA, "--now", "2026-02-25T02:35:00Z"],
    );
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("may or may not have arrived"), "{out}");
    assert_eq!(standin.messages().len(), 1, "not posted twice");
}

/// `serve` at 08:00:01 in Kolkata (the subscription's time), with the webhook URL in the
/// environment.
fn serve_with_webhook(standin: &StandIn, config: &str, webhook: &str) -> Bot {
    let args = ["--config", config, "serve", "--now", "2026-02-25T02:30:01Z"];
    Bot::start(
        standin,
        &args,
        &[("NEWSROOM_WEBHOOK", webhook), ("DISCORD_TOKEN", TOKEN)],
    )
}

/// `send-now` with the webhook URL in the environment and no bot token.
fn send_now_with(standin: &StandIn, config: &str, webhook: &str, args: &[&str]) -> (i32, String) {
    send_now_env(
        standin,
        config,
        args,
        &[("NEWSROOM_WEBHOOK", webhook), ("DISCORD_TOKEN", "")],
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_post_that_could_not_be_recorded_says_so_and_is_not_posted_again() {
    let standin = StandIn::start().await;
    let (dir, config, webhook) = webhook_setup(&standin);
    // The answer is slow; meanwhile another process locks the delivery log.
    standin.fail(
        "POST",
        "/webhooks/",
        vec![Fault::Delay(Duration::from_millis(800))],
    );
    let now = ["--channel", KOLKATA, "--now", "2026-02-25T02:35:00Z"];
    let send = {
        let (base, config, webhook) = (standin.base(), config.clone(), webhook.clone());
        std::thread::spawn(move || {
            let o = Command::new(env!("CARGO_BIN_EXE_factdesk"))
                .args(["--config", &config, "digest", "send-now"])
                .args(now)
                .current_dir(crate::support::root())
                .env("DISCORD_API_BASE", base)
                .env("NEWSROOM_WEBHOOK", webhook)
                .env_remove("DISCORD_TOKEN")
                .env("RUST_LOG", "off")
                .output()
                .expect("run send-now");
            (
                o.status.code(),
                String::from_utf8_lossy(&o.stderr).into_owned(),
            )
        })
    };
    standin
        .wait_request("POST", "/api/v10/webhooks/", 0, WAIT)
        .await;
    let db = rusqlite::Connection::open(dir.path().join("state/factdesk.db")).expect("db");
    db.execute_batch("BEGIN EXCLUSIVE").expect("lock");
    let (code, err) = send.join().expect("send-now");
    db.execute_batch("COMMIT").expect("unlock");
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("posted as message"), "{err}");
    assert!(!err.contains("was not posted"), "{err}");
    // A re-run does not post a duplicate through the webhook.
    let (code, out) = send_now_with(&standin, &config, &webhook, &now);
    assert_eq!(code, 0, "{out}");
    assert_eq!(standin.messages().len(), 1, "{out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unconfirmed_bot_post_past_the_nonce_window_is_found_not_resent() {
    let standin = StandIn::start().await;
    // The bot dies while Discord holds the answer to a post it created.
    let (_dir, mut args) = start_and_kill(&standin, vec![Fault::Hang]).await;
    // It comes back ten minutes later: too late for Discord to de-duplicate by nonce.
    let at = args.iter().position(|a| a == "--now").expect("--now") + 1;
    args[at] = "2026-02-25T02:40:01Z".into();
    let second = Bot::start(
        &standin,
        &args.iter().map(String::as_str).collect::<Vec<_>>(),
        &[],
    );
    second
        .wait_for_line("found the unconfirmed digest in the channel", WAIT)
        .await;
    assert_eq!(
        post_requests(&standin, KOLKATA).len(),
        1,
        "{}",
        second.log()
    );
    assert!(standin
        .requests()
        .iter()
        .any(|r| r.method == "GET" && r.path == format!("/api/v10/channels/{KOLKATA}/messages")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hanging_channel_does_not_delay_the_others() {
    let standin = StandIn::start().await;
    let (dir, config, webhook) = webhook_setup(&standin);
    // A second channel, due at the same minute, posted by the bot.
    let mut text = std::fs::read_to_string(&config).expect("config");
    text.push_str(&format!(
        "[[digest.subscriptions]]\nchannel = {JERUSALEM}\ntime = \"08:00\"\ntime_zone = \"Asia/Kolkata\"\n"
    ));
    std::fs::write(&config, text).expect("write");
    // The webhook channel (listed first) hangs.
    standin.fail("POST", "/webhooks/", vec![Fault::Hang]);
    let bot = serve_with_webhook(&standin, &config, &webhook);
    let hung = standin
        .wait_request("POST", "/api/v10/webhooks/", 0, WAIT)
        .await;
    let other = standin
        .wait_request(
            "POST",
            &format!("/api/v10/channels/{JERUSALEM}/messages"),
            0,
            WAIT,
        )
        .await;
    // The other channel did not wait for the hanging post (which holds on for 15 s).
    assert!(
        other.at.saturating_duration_since(hung.at) < Duration::from_secs(5),
        "waited {:?}\n{}",
        other.at.saturating_duration_since(hung.at),
        bot.log()
    );
    drop(dir);
}

/// Every byte of the digest database's files (main file, WAL, shared memory).
fn database_bytes(state: &std::path::Path) -> Vec<u8> {
    let mut all = Vec::new();
    for entry in std::fs::read_dir(state).expect("state dir").flatten() {
        if entry
            .file_name()
            .to_string_lossy()
            .starts_with("factdesk.db")
        {
            all.extend(std::fs::read(entry.path()).expect("read"));
        }
    }
    all
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhook_urls_never_reach_the_database() {
    let standin = StandIn::start().await;
    let (dir, config, webhook) = webhook_setup(&standin);
    let state = dir.path().join("state");
    let now = ["--channel", KOLKATA, "--now", "2026-02-25T02:35:00Z"];
    let (code, out) = send_now_with(&standin, &config, &webhook, &now);
    assert_eq!(code, 0, "{out}");
    assert_eq!(standin.messages().len(), 1, "posted through the webhook");
    let secret = b"webhook-token";
    let bytes = database_bytes(&state);
    assert!(
        !bytes.windows(secret.len()).any(|w| w == secret),
        "the webhook URL is stored"
    );
    assert!(
        bytes.windows(20).any(|w| w == b"env:NEWSROOM_WEBHOOK"),
        "the reference is"
    );

    // A database written before references: its stored URL is cleared on upgrade. (What
    // migrations after 5 added goes too, as it would not be there yet.)
    {
        let db = rusqlite::Connection::open(state.join("factdesk.db")).expect("db");
        db.execute_batch(&format!(
            "UPDATE subscriptions SET webhook_url = '{webhook}';
             ALTER TABLE subscriptions DROP COLUMN mode;
             DROP TABLE delivery_history; DROP TABLE incidents;
             ALTER TABLE subscriptions DROP COLUMN locale;
             ALTER TABLE alert_subscriptions DROP COLUMN locale;
             PRAGMA user_version = 3;"
        ))
        .expect("downgrade");
    }
    let (code, out) = send_now_with(&standin, &config, &webhook, &now);
    assert_eq!(code, 0, "{out}");
    let bytes = database_bytes(&state);
    assert!(
        !bytes.windows(secret.len()).any(|w| w == secret),
        "the old URL survived the upgrade"
    );
}
