//! Many digests due at once against the stand-in: they go out concurrently, paced under the
//! global limit and the route buckets, a hanging or rate-limited channel holding up no other,
//! and still exactly once per channel — also when the bot is killed halfway and restarted.
//!
//! Assertions are on order and counts, not on how fast this machine is: deadlines are
//! generous, and "did not wait" is shown by what happened before what.

use std::time::Duration;

use crate::digest::{assert_one_nonce, post_requests, posts, send_now, setup, KOLKATA};
use crate::support::bot::Bot;
use crate::support::standin::{Fault, StandIn, Tally};

/// A minute before which the bot starts, a second before Kolkata's 08:00 (02:30 UTC).
const BEFORE_DUE: &str = "2026-02-25T02:29:59Z";
/// Long enough for a whole fan-out on a slow machine.
const FANOUT_WAIT: Duration = Duration::from_secs(90);

/// `count` channel ids, all subscribed at 08:00 in Kolkata.
fn channels(count: u64) -> Vec<String> {
    (0..count)
        .map(|i| (2_300_000_000_000_000_000u64 + i).to_string())
        .collect()
}

/// A state directory and config with every channel of `channels` due at 08:00 Kolkata.
fn due_together(channels: &[String], extra: &str) -> (tempfile::TempDir, String) {
    let subs: Vec<(&str, &str, &str)> = channels
        .iter()
        .map(|c| (c.as_str(), "08:00", "Asia/Kolkata"))
        .collect();
    setup(&subs, extra)
}

/// `serve` a second before the channels are due, with `extra` arguments.
fn serve(standin: &StandIn, config: &str, extra: &[&str]) -> Bot {
    let args = [&["--config", config, "serve", "--now", BEFORE_DUE], extra].concat();
    Bot::start(standin, &args, &[])
}

/// The value of `series` on the bot's `/metrics` (it was started with `--metrics`).
async fn metric(bot: &Bot, series: &str) -> String {
    let base = bot
        .wait_for_url(FANOUT_WAIT)
        .await
        .replace("/interactions", "");
    let text = reqwest::get(format!("{base}/metrics"))
        .await
        .expect("metrics answer")
        .text()
        .await
        .expect("metrics text");
    text.lines()
        .find_map(|l| l.strip_prefix(series))
        .map(|v| v.trim().to_owned())
        .unwrap_or_else(|| panic!("no {series} in:\n{text}"))
}

const METRICS: [&str; 2] = ["--metrics", "127.0.0.1:0"];

/// Waits until every channel of `channels` has its digest; returns the stand-in's counts.
async fn all_delivered(standin: &StandIn, channels: &[String], bot: &Bot) -> Tally {
    let wanted = channels.len();
    let found = tokio::time::timeout(FANOUT_WAIT, async {
        loop {
            // Counted once every channel has its post: counts taken before the check could
            // miss the post that completed it.
            if channels.iter().all(|c| !posts(standin, c).is_empty()) {
                return standin.tally();
            }
            standin.changed(Duration::from_millis(200)).await;
        }
    })
    .await;
    found.unwrap_or_else(|_| {
        panic!(
            "not every one of {wanted} channels got its digest: {:?}\n{}",
            standin.tally(),
            bot.log()
        )
    })
}

/// Asserts each channel got exactly one message, all its posts carrying one nonce.
fn exactly_once(standin: &StandIn, channels: &[String]) {
    for channel in channels {
        assert_eq!(posts(standin, channel).len(), 1, "channel {channel}");
        assert_one_nonce(standin, channel);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn channels_due_together_go_out_concurrently_and_a_hanging_one_holds_up_none() {
    let standin = StandIn::start().await;
    let all = channels(12);
    let (hanging, others) = (&all[0], &all[1..]);
    let (_dir, config) = due_together(&all, "");
    // Every post takes half a second to be answered; the first channel's is never answered
    // (the bot gives up on it after 15 s and retries).
    standin.answer_posts_after(Duration::from_millis(500));
    standin.fail(
        "POST",
        &format!("/channels/{hanging}/messages"),
        [Fault::Hang],
    );
    let bot = serve(&standin, &config, &[]);
    let hang_path = format!("/api/v10/channels/{hanging}/messages");
    standin
        .wait_request("POST", &hang_path, 0, FANOUT_WAIT)
        .await;
    let tally = all_delivered(&standin, others, &bot).await;
    let hung = post_requests(&standin, hanging);
    assert_eq!(
        hung.len(),
        1,
        "every other channel was delivered while the hanging post was still waiting for its answer\n{}",
        bot.log()
    );
    // The bot waits 15 s for an answer; the others did not wait for that.
    for channel in others {
        let at = post_requests(&standin, channel)[0].at;
        assert!(
            at.saturating_duration_since(hung[0].at) < Duration::from_secs(10),
            "channel {channel} posted {:?} after the hanging one\n{}",
            at.saturating_duration_since(hung[0].at),
            bot.log()
        );
    }
    // One at a time, each held 500 ms, nothing would overlap: here several are answered at once.
    assert!(
        tally.most_in_flight >= 3,
        "posts in flight at once: {}\n{}",
        tally.most_in_flight,
        bot.log()
    );
    exactly_once(&standin, others);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pacing_under_a_lowered_global_limit_gets_no_429s() {
    let standin = StandIn::start().await;
    let all = channels(20);
    // Discord's limits, lowered: 5 requests a second for the bot, 5 per 5 s per channel.
    standin.limit_global(5);
    standin.limit_routes(5, Duration::from_secs(5));
    let (_dir, config) = due_together(&all, "rate_limit = 5");
    // Due a few seconds after start, so the gateway's start-up requests are out of the way.
    let bot = Bot::start(
        &standin,
        &[
            "--config",
            &config,
            "serve",
            "--now",
            "2026-02-25T02:29:57Z",
        ],
        &[],
    );
    let tally = all_delivered(&standin, &all, &bot).await;
    assert_eq!(
        tally.rate_limited,
        0,
        "20 posts at 5/s were paced, not answered 429: {tally:?}\n{}",
        bot.log()
    );
    assert_eq!(tally.posts, 20, "{tally:?}");
    exactly_once(&standin, &all);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_global_429_pauses_every_channel_and_a_route_429_only_its_own() {
    let standin = StandIn::start().await;
    let all = channels(3);
    // One post a second: each channel's post is a second after the one before, and the first
    // of them, whichever channel it is for, is answered with a global 429.
    let (_dir, config) = due_together(&all, "rate_limit = 1");
    standin.fail("POST", "/channels/", [Fault::GlobalRateLimited(3.0)]);
    let bot = serve(&standin, &config, &METRICS);
    all_delivered(&standin, &all, &bot).await;
    let limited = standin
        .requests()
        .into_iter()
        .find(|r| r.method == "POST")
        .expect("a post");
    assert_eq!(limited.status, 429);
    for channel in &all {
        let first_after = post_requests(&standin, channel)
            .into_iter()
            .find(|r| r.at > limited.at)
            .expect("a post after the 429");
        assert!(
            first_after.at.duration_since(limited.at) >= Duration::from_millis(2900),
            "channel {channel} posted {:?} after a global 429 asking 3 s\n{}",
            first_after.at.duration_since(limited.at),
            bot.log()
        );
    }
    exactly_once(&standin, &all);
    let counted = r#"factdesk_discord_rate_limited_total{scope="global"}"#;
    assert_eq!(metric(&bot, counted).await, "1");

    // A route 429 holds only its channel: the others are delivered before it tries again.
    let standin = StandIn::start().await;
    let all = channels(6);
    let (_dir, config) = due_together(&all, "");
    standin.fail(
        "POST",
        &format!("/channels/{}/messages", all[0]),
        [Fault::RateLimited(3.0)],
    );
    let bot = serve(&standin, &config, &METRICS);
    all_delivered(&standin, &all, &bot).await;
    let retried = post_requests(&standin, &all[0])[1].at;
    for channel in &all[1..] {
        assert!(
            post_requests(&standin, channel)[0].at < retried,
            "channel {channel} waited for another channel's route 429\n{}",
            bot.log()
        );
    }
    exactly_once(&standin, &all);
    let counted = r#"factdesk_discord_rate_limited_total{scope="route"}"#;
    assert_eq!(metric(&bot, counted).await, "1");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_used_up_route_bucket_is_waited_for_not_run_into() {
    let standin = StandIn::start().await;
    // Two posts per channel per 2 s; Discord fails the first three.
    standin.limit_routes(2, Duration::from_secs(2));
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
        [500, 502, 503, 200],
        "no 429: the bucket's reset was waited for"
    );
    // The backoff alone would send the third within about a second of the first.
    let third = requests[2].at.duration_since(requests[0].at);
    assert!(
        third >= Duration::from_millis(1900),
        "the third post came {third:?} after the first, inside the bucket's 2 s"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_halfway_and_restarted_every_channel_gets_exactly_one_digest() {
    let standin = StandIn::start().await;
    let all = channels(20);
    // Slow enough to be killed halfway: 4 posts a second, each answered after 300 ms.
    standin.answer_posts_after(Duration::from_millis(300));
    let (_dir, config) = due_together(&all, "rate_limit = 4");
    let first = serve(&standin, &config, &[]);
    standin
        .wait_for("half the digests", FANOUT_WAIT, |s| {
            (s.tally().messages >= all.len() / 2).then_some(())
        })
        .await;
    drop(first); // SIGKILL: posts in flight are cut off unanswered.
    let before = standin.tally();
    assert!(
        before.messages < all.len(),
        "killed before the end: {before:?}"
    );
    let second = serve(&standin, &config, &[]);
    let after = all_delivered(&standin, &all, &second).await;
    exactly_once(&standin, &all);
    assert_eq!(after.duplicated, 0, "{after:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn announcement_channels_first_posted_during_a_fan_out_are_published_after_it() {
    let standin = StandIn::start().await;
    let all = channels(40);
    // Configured channels: nothing says they are announcement channels until Discord is asked.
    for channel in &all {
        standin.set_channel_kind(channel, 5);
    }
    let (_dir, config) = due_together(&all, "");
    // Each post is answered after 3 s, so the first posts are answered while most of the
    // others are still in flight — a fan-out, during which the bot spends no turns learning
    // channel types.
    standin.answer_posts_after(Duration::from_secs(3));
    let bot = serve(&standin, &config, &[]);
    all_delivered(&standin, &all, &bot).await;
    exactly_once(&standin, &all);
    let crossposts = |s: &StandIn| -> Vec<crate::support::standin::Recorded> {
        s.requests()
            .into_iter()
            .filter(|r| r.method == "POST" && r.path.ends_with("/crosspost"))
            .collect()
    };
    // Every digest is published once, also those posted while the fan-out was under way.
    standin
        .wait_for("every digest published", FANOUT_WAIT, |s| {
            (crossposts(s).len() >= all.len()).then_some(())
        })
        .await;
    let mut published: Vec<String> = crossposts(&standin)
        .iter()
        .map(|r| r.path.clone())
        .collect();
    published.sort();
    let mut expected: Vec<String> = standin
        .messages()
        .into_iter()
        .map(|m| {
            let (channel, id) = (&m["channel"], &m["message"]["id"]);
            let (channel, id) = (channel.as_str().expect("channel"), id.as_str().expect("id"));
            format!("/api/v10/channels/{channel}/messages/{id}/crosspost")
        })
        .collect();
    expected.sort();
    assert_eq!(published, expected, "{}", bot.log());
}
