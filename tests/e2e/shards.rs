//! The real `factdesk serve` running several gateway shards in one process against the
//! stand-in: the count comes from `GET /gateway/bot`, every shard identifies as itself, answers
//! the interactions that arrive on it and resumes on its own; a failing `GET /gateway/bot`
//! ends start-up with a clear error.

use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::support::bot::Bot;
use crate::support::standin::{Fault, StandIn};

const NOW: &str = "2026-02-25T10:00:00+02:00";
/// serenity starts shards 5 s apart; this leaves room for a slow machine on top.
const WAIT: Duration = Duration::from_secs(30);

/// Sends `/name` on shard `shard` and returns the callback's body.
async fn answered_on(standin: &StandIn, shard: u64, name: &str) -> Value {
    let (id, token) = standin.interaction_on(shard, 2, name, json!([]), 0);
    let path = format!("/api/v10/interactions/{id}/{token}/callback");
    let what = format!("the callback for /{name} sent on shard {shard}");
    let request = standin
        .wait_for(&what, WAIT, |s| {
            s.requests().into_iter().find(|r| r.path == path)
        })
        .await;
    request.json()
}

/// Polls `/metrics` until it holds `line`, or panics with the last page after `WAIT`.
async fn wait_metric(base: &str, line: &str) {
    let deadline = Instant::now() + WAIT;
    loop {
        let page = match reqwest::get(format!("{base}/metrics")).await {
            Ok(r) => r.text().await.unwrap_or_default(),
            Err(e) => e.to_string(),
        };
        if page.lines().any(|l| l == line) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "/metrics never held {line:?}:\n{page}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_shards_identify_answer_and_resume_each_on_its_own() {
    let standin = StandIn::start().await;
    standin.recommend_shards(2);
    let args = ["serve", "--now", NOW, "--metrics", "127.0.0.1:0"];
    let mut bot = Bot::start(&standin, &args, &[]);
    let metrics = bot.wait_for_url(WAIT).await.replace("/interactions", "");

    standin.wait_op_on(0, 2, 1, WAIT).await;
    standin.wait_op_on(1, 2, 1, WAIT).await;
    assert_eq!(standin.identified_shards(), [json!([0, 2]), json!([1, 2])]);
    bot.wait_for_line("connecting to the gateway", WAIT).await;
    assert!(bot.log().contains("shards=2"), "{}", bot.log());
    for shard in [0, 1] {
        let line = bot
            .wait_for_line(&format!("connected to the gateway shard={shard} "), WAIT)
            .await;
        assert!(line.contains("shards=2"), "{line}");
    }
    for (shard, name) in [(0, "dates"), (1, "mou")] {
        let body = answered_on(&standin, shard, name).await;
        assert_eq!(body["type"], 4, "{body}");
    }
    wait_metric(&metrics, "factdesk_gateway_shards 2").await;
    wait_metric(&metrics, "factdesk_gateway_shards_connected 2").await;

    standin.close_on(1, 4000);
    let resume = standin.wait_op_on(1, 6, 1, WAIT).await;
    assert_eq!(resume["d"]["session_id"], "stand-in-session-1");
    assert_eq!(standin.session_of(1).as_deref(), Some("stand-in-session-1"));
    assert_eq!(standin.connections_of(1), 2, "shard 1 reconnected");
    assert_eq!(standin.connections_of(0), 1, "shard 0 kept its connection");
    for (shard, name) in [(1, "defence"), (0, "topics")] {
        let body = answered_on(&standin, shard, name).await;
        assert_eq!(body["type"], 4, "{body}");
    }
    let ops_on_0: Vec<Value> = standin
        .frames_on(0)
        .iter()
        .map(|f| f["op"].clone())
        .collect();
    assert!(
        !ops_on_0.contains(&json!(6)),
        "shard 0 never resumed: {ops_on_0:?}"
    );
    assert_eq!(
        standin.identified_shards().len(),
        2,
        "nobody identified again"
    );
    bot.wait_for_line("gateway session resumed shard=1", WAIT)
        .await;

    bot.terminate();
    assert_eq!(bot.wait_exit(WAIT).await.code(), Some(0), "{}", bot.log());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_500_on_gateway_bot_is_tried_again_and_the_bot_starts() {
    let standin = StandIn::start().await;
    standin.fail("GET", "/gateway/bot", [Fault::Status(500)]);
    let mut bot = Bot::start(&standin, &["serve", "--now", NOW], &[]);
    standin.wait_op_on(0, 2, 1, WAIT).await;
    assert!(bot.exited().is_none(), "{}", bot.log());
    let asked: Vec<_> = standin
        .requests()
        .into_iter()
        .filter(|r| r.method == "GET" && r.path == "/api/v10/gateway/bot")
        .collect();
    let statuses: Vec<u16> = asked.iter().map(|r| r.status).collect();
    assert_eq!(statuses, [500, 200], "{}", bot.log());
    let waited = asked[1].at.duration_since(asked[0].at);
    // The first retry comes after 1 s; a little less allows for two processes' clocks.
    assert!(
        waited >= Duration::from_millis(900),
        "retried after {waited:?}"
    );
    bot.wait_for_line(
        "a start-up request to Discord failed; trying again shortly",
        WAIT,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gateway_bot_that_keeps_failing_ends_start_up_with_a_clear_error() {
    let standin = StandIn::start().await;
    standin.fail("GET", "/gateway/bot", vec![Fault::Status(500); 10]);
    let mut bot = Bot::start(&standin, &["serve", "--now", NOW], &[]);
    assert_eq!(bot.wait_exit(WAIT).await.code(), Some(1), "{}", bot.log());
    let expected = format!(
        "error: cannot learn how many gateway shards to run: GET /api/v10/gateway/bot at {}: answered 500 Internal Server Error: 500: stand-in fault (4 tries)",
        standin.base()
    );
    assert!(bot.log().contains(&expected), "{}", bot.log());
    let asked = standin
        .requests()
        .iter()
        .filter(|r| r.path == "/api/v10/gateway/bot")
        .count();
    assert_eq!(asked, 4, "tried 3 times more, then gave up");
    assert_eq!(standin.connections(), 0, "no shard was started");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_gateway_bot_refuses_is_reported_as_the_token() {
    let standin = StandIn::start().await;
    let env = [("DISCORD_TOKEN", "not-the-bot-token")];
    let mut bot = Bot::start(&standin, &["serve", "--now", NOW], &env);
    assert_eq!(bot.wait_exit(WAIT).await.code(), Some(1), "{}", bot.log());
    assert!(
        bot.log().contains(
            "error: Discord rejected the bot token (401 Unauthorized on GET /api/v10/gateway/bot)"
        ),
        "{}",
        bot.log()
    );
    assert!(!bot.log().contains("not-the-bot-token"), "{}", bot.log());
}
