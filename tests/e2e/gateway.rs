//! The real `factdesk serve` against the Discord stand-in: READY, interactions answered with
//! the exact bytes `factdesk ask --json` prints, autocomplete, resume, 4004, register, SIGTERM.

use std::process::Command;
use std::time::Duration;

use serde_json::{json, Value};

use crate::support::bot::Bot;
use crate::support::standin::{Fault, Recorded, StandIn, APP_ID, GUILD_ID, TOKEN};

const NOW: &str = "2026-02-25T10:00:00+02:00";
const WAIT: Duration = Duration::from_secs(20);

/// What `factdesk ask --json --now NOW <line>` prints, minus the newline.
fn ask_json(line: &str) -> String {
    let o = Command::new(env!("CARGO_BIN_EXE_factdesk"))
        .args(["ask", "--json", "--now", NOW, line])
        .current_dir(crate::support::root())
        .output()
        .expect("run factdesk ask");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8(o.stdout)
        .expect("utf-8")
        .trim_end()
        .to_owned()
}

async fn ready_bot(standin: &StandIn, extra: &[&str]) -> Bot {
    let state = tempfile::tempdir().expect("state dir").keep();
    let mut args = vec![
        "serve",
        "--now",
        NOW,
        "--state-dir",
        state.to_str().expect("utf-8"),
    ];
    args.extend_from_slice(extra);
    let bot = Bot::start(standin, &args, &[]);
    let identify = standin.wait_op(2, 1, WAIT).await;
    assert_eq!(identify["d"]["token"], format!("Bot {TOKEN}"));
    assert_eq!(
        identify["d"]["intents"], 0,
        "slash commands need no intents"
    );
    bot
}

/// Sends an interaction and returns the callback request's body.
async fn answer(standin: &StandIn, kind: u8, name: &str, options: Value) -> (String, String) {
    let (id, token) = standin.interaction(kind, name, options, 0);
    let path = format!("/api/v10/interactions/{id}/{token}/callback");
    let request = standin
        .wait_for(
            &format!("the callback for /{name} (kind {kind})"),
            WAIT,
            |s| s.requests().into_iter().find(|r| r.path == path),
        )
        .await;
    assert_eq!(request.method, "POST");
    (request.text(), id)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_interactions_with_the_same_bytes_as_ask_json() {
    let standin = StandIn::start().await;
    let bot = ready_bot(&standin, &[]).await;

    let (body, _) = answer(&standin, 2, "dates", json!([])).await;
    assert_eq!(body, ask_json("/dates"));

    let (body, _) = answer(
        &standin,
        2,
        "systems",
        json!([{"name": "name", "type": 3, "value": "arrow"}]),
    )
    .await;
    assert_eq!(body, ask_json("/systems name:arrow"));
    assert!(
        body.contains(
            "Arrow is cited as part of Israel’s globally recognized defensive technology"
        ),
        "{body}"
    );

    let (body, _) = answer(
        &standin,
        2,
        "ask",
        json!([{"name": "question", "type": 3, "value": "is a deal expected"}]),
    )
    .await;
    assert_eq!(body, ask_json("/ask question: is a deal expected"));

    let (body, _) = answer(&standin, 2, "weather", json!([])).await;
    let v: Value = serde_json::from_str(&body).expect("json");
    assert_eq!(v["type"], 4);
    assert_eq!(
        v["data"]["flags"], 64,
        "unknown commands are answered ephemerally: {body}"
    );
    assert!(v["data"]["content"]
        .as_str()
        .unwrap_or("")
        .contains("I don't know the command `/weather`"));

    let (body, _) = answer(
        &standin,
        4,
        "systems",
        json!([{"name": "name", "type": 3, "value": "i", "focused": true}]),
    )
    .await;
    let v: Value = serde_json::from_str(&body).expect("json");
    assert_eq!(v["type"], 8, "{body}");
    let choices = v["data"]["choices"].as_array().expect("choices");
    assert!(!choices.is_empty() && choices.len() <= 25, "{body}");
    assert_eq!(
        choices[0],
        json!({"name": "Iron Dome", "value": "iron-dome"}),
        "prefix matches first: {body}"
    );

    let log = bot.log();
    assert!(log.contains("connected to the gateway"), "{log}");
    assert!(
        log.contains("answered") && log.contains("command=dates"),
        "one span per interaction: {log}"
    );
    assert!(
        !log.contains(TOKEN),
        "the token must never be logged: {log}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resumes_after_the_socket_drops_and_answers_again() {
    let standin = StandIn::start().await;
    let bot = ready_bot(&standin, &[]).await;
    let (body, _) = answer(&standin, 2, "mou", json!([])).await;
    assert_eq!(body, ask_json("/mou"));

    standin.close(4000);
    let resume = standin.wait_op(6, 1, WAIT).await;
    assert_eq!(resume["d"]["session_id"], "stand-in-session");
    assert_eq!(resume["d"]["token"], format!("Bot {TOKEN}"));
    assert_eq!(standin.connections(), 2);

    let (body, _) = answer(&standin, 2, "defence", json!([])).await;
    assert_eq!(body, ask_json("/defence"));

    standin.drop_socket();
    standin.wait_op(6, 2, WAIT).await;
    let (body, _) = answer(&standin, 2, "topics", json!([])).await;
    assert_eq!(body, ask_json("/topics"));

    standin.reconnect();
    standin.wait_op(6, 3, WAIT).await;
    let (body, _) = answer(&standin, 2, "sudarshan", json!([])).await;
    assert_eq!(body, ask_json("/sudarshan"));
    let identifies = standin.frames().iter().filter(|f| f["op"] == 2).count();
    assert_eq!(
        identifies, 1,
        "every reconnect resumed the session instead of identifying again"
    );
    let log = bot.log();
    assert!(log.contains("gateway session resumed"), "{log}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rejected_token_ends_the_process_with_one_clear_line() {
    let standin = StandIn::start().await;
    standin.close_on_identify(4004);
    let state = tempfile::tempdir().expect("state");
    let mut bot = Bot::start(
        &standin,
        &[
            "serve",
            "--state-dir",
            state.path().to_str().expect("utf-8"),
        ],
        &[],
    );
    let status = bot.wait_exit(WAIT).await;
    assert_eq!(status.code(), Some(1));
    let log = bot.log();
    assert!(
        log.contains("error: Discord rejected the bot token (gateway close code 4004"),
        "{log}"
    );
    assert!(!log.contains(TOKEN), "{log}");
    let identifies = standin.frames().iter().filter(|f| f["op"] == 2).count();
    assert_eq!(identifies, 1, "no retry loop after 4004");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_api_fails_fast() {
    let standin = StandIn::start().await;
    let base = standin.base();
    drop(standin);
    let o = Command::new(env!("CARGO_BIN_EXE_factdesk"))
        .args(["serve"])
        .current_dir(crate::support::root())
        .env("DISCORD_TOKEN", TOKEN)
        .env("DISCORD_API_BASE", &base)
        .env(
            "FACTDESK_STATE_DIR",
            tempfile::tempdir().expect("state").path(),
        )
        .output()
        .expect("run");
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains(&format!("cannot reach the Discord API at {base}")),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_global_429_at_start_up_is_waited_out_not_fatal() {
    let standin = StandIn::start().await;
    // Discord's answer to a bot past its global limit: no `code`, `"global": true`.
    standin.fail("GET", "/gateway", [Fault::GlobalRateLimited(1.5)]);
    let mut bot = Bot::start(&standin, &["serve", "--now", NOW], &[]);
    standin.wait_op(2, 1, WAIT).await;
    assert!(bot.exited().is_none(), "{}", bot.log());
    let gets: Vec<_> = standin
        .requests()
        .into_iter()
        .filter(|r| r.method == "GET" && r.path == "/api/v10/gateway")
        .collect();
    assert_eq!(gets[0].status, 429);
    assert_eq!(gets[1].status, 200, "{}", bot.log());
    assert!(
        gets[1].at.duration_since(gets[0].at) >= Duration::from_millis(1400),
        "retried {:?} after a 429 asking 1.5 s",
        gets[1].at.duration_since(gets[0].at)
    );
    bot.wait_for_line("Discord rate limited start-up; waiting", WAIT)
        .await;
}

/// The requests the bot made with `method` whose path starts with `prefix`, in order.
fn made(standin: &StandIn, method: &str, prefix: &str) -> Vec<Recorded> {
    standin
        .requests()
        .into_iter()
        .filter(|r| r.method == method && r.path.starts_with(prefix))
        .collect()
}

/// Asserts `requests` were answered `statuses`, each retry at least `at_least` after the
/// request before it.
fn assert_retried(requests: &[Recorded], statuses: &[u16], at_least: Duration, log: &str) {
    let got: Vec<u16> = requests.iter().map(|r| r.status).collect();
    assert_eq!(got, statuses, "{log}");
    for pair in requests.windows(2) {
        let waited = pair[1].at.duration_since(pair[0].at);
        assert!(
            waited >= at_least,
            "{} {} retried after {waited:?}, sooner than the {at_least:?} asked",
            pair[1].method,
            pair[1].path
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_429_on_registration_at_start_up_is_waited_out_and_registers_once() {
    let standin = StandIn::start().await;
    standin.fail("PUT", "/applications/", [Fault::RateLimited(1.5)]);
    let args = [
        "serve",
        "--register",
        "--now",
        NOW,
        "--metrics",
        "127.0.0.1:0",
    ];
    let mut bot = Bot::start(&standin, &args, &[]);
    standin.wait_op(2, 1, WAIT).await;
    assert!(bot.exited().is_none(), "{}", bot.log());
    let puts = made(
        &standin,
        "PUT",
        &format!("/api/v10/applications/{APP_ID}/commands"),
    );
    // 1.5 s asked; a little less allows for the clocks of two processes.
    assert_retried(&puts, &[429, 200], Duration::from_millis(1400), &bot.log());
    let expected = factdesk::engine::application_commands(&crate::support::engine());
    assert_eq!(puts[1].json(), expected);
    standin.assert_user_agents();
    let line = bot.wait_for_line("registered commands", WAIT).await;
    assert!(line.contains("count=13"), "{line}");
    let metrics = bot
        .wait_for_url(WAIT)
        .await
        .replace("/interactions", "/metrics");
    let page = reqwest::get(metrics)
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text");
    assert!(
        page.lines()
            .any(|l| l == r#"factdesk_discord_rate_limited_total{scope="route"} 1"#),
        "the 429 is counted:\n{page}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn register_rides_out_429s_on_the_id_lookup_and_the_put() {
    let standin = StandIn::start().await;
    standin.fail(
        "GET",
        "/oauth2/applications/@me",
        [Fault::GlobalRateLimited(1.2)],
    );
    standin.fail("PUT", "/applications/", [Fault::RateLimited(1.2)]);
    let mut bot = Bot::start(&standin, &["register"], &[]);
    assert_eq!(bot.wait_exit(WAIT).await.code(), Some(0), "{}", bot.log());
    assert!(
        bot.log().contains("registered 13 commands (global)"),
        "{}",
        bot.log()
    );
    let at_least = Duration::from_millis(1100);
    let lookups = made(&standin, "GET", "/api/v10/oauth2/applications/@me");
    assert_retried(&lookups, &[429, 200], at_least, &bot.log());
    let puts = made(&standin, "PUT", "/api/v10/applications/");
    assert_retried(&puts, &[429, 200], at_least, &bot.log());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn register_with_a_refused_body_or_token_fails_at_once_saying_which() {
    let standin = StandIn::start().await;
    standin.fail("PUT", "/applications/", [Fault::Status(400)]);
    let env = [("DISCORD_APPLICATION_ID", APP_ID)];
    let mut bot = Bot::start(&standin, &["register"], &env);
    assert_eq!(bot.wait_exit(WAIT).await.code(), Some(1), "{}", bot.log());
    let expected = format!("error: command registration failed: PUT /api/v10/applications/{APP_ID}/commands: answered 400 Bad Request: 400: stand-in fault");
    assert!(bot.log().contains(&expected), "{}", bot.log());
    assert_eq!(made(&standin, "PUT", "/").len(), 1, "a 400 is not retried");

    let env = [("DISCORD_TOKEN", "not-the-bot-token")];
    let mut bot = Bot::start(&standin, &["register"], &env);
    assert_eq!(bot.wait_exit(WAIT).await.code(), Some(1), "{}", bot.log());
    assert!(
        bot.log().contains("error: Discord rejected the bot token (401 Unauthorized on GET /api/v10/oauth2/applications/@me); set DISCORD_TOKEN"),
        "{}",
        bot.log()
    );
    assert!(!bot.log().contains("not-the-bot-token"), "{}", bot.log());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_429_asking_longer_than_start_up_waits_ends_it_at_once_saying_how_long() {
    let standin = StandIn::start().await;
    standin.fail("PUT", "/applications/", [Fault::RateLimited(600.0)]);
    let mut bot = Bot::start(&standin, &["serve", "--register", "--now", NOW], &[]);
    // WAIT is a 30th of the wait asked: exiting within it shows start-up did not wait.
    assert_eq!(bot.wait_exit(WAIT).await.code(), Some(1), "{}", bot.log());
    let expected = format!("error: Discord rate limited PUT /api/v10/applications/{APP_ID}/commands at start-up and asked to wait 600 s, longer than start-up waits (60 s); try again after that");
    assert!(bot.log().contains(&expected), "{}", bot.log());
    assert_eq!(standin.connections(), 0, "no shard was started");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_closes_the_gateway_and_exits_0() {
    let standin = StandIn::start().await;
    let mut bot = ready_bot(&standin, &[]).await;
    answer(&standin, 2, "dates", json!([])).await;
    bot.terminate();
    let status = bot.wait_exit(WAIT).await;
    assert_eq!(status.code(), Some(0), "{}", bot.log());
    let log = bot.log();
    assert!(
        log.contains("shutdown signal received") && log.contains("gateway closed"),
        "{log}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn register_puts_the_fact_base_commands() {
    let standin = StandIn::start().await;
    let engine = crate::support::engine();
    let expected = factdesk::engine::application_commands(&engine);

    let mut bot = Bot::start(&standin, &["register"], &[]);
    assert_eq!(bot.wait_exit(WAIT).await.code(), Some(0), "{}", bot.log());
    assert!(
        bot.log().contains("registered 13 commands (global)"),
        "{}",
        bot.log()
    );
    let put = standin
        .wait_request(
            "PUT",
            &format!("/api/v10/applications/{APP_ID}/commands"),
            0,
            WAIT,
        )
        .await;
    assert_eq!(put.json(), expected);
    let systems = put
        .json()
        .as_array()
        .expect("array")
        .iter()
        .find(|c| c["name"] == "systems")
        .cloned()
        .expect("systems");
    assert_eq!(systems["options"][0]["autocomplete"], true);
    // Public fact commands take `hide` (boolean, 5) and `mention` (user, 6), last.
    let options = systems["options"].as_array().expect("options");
    assert_eq!(
        options[1..]
            .iter()
            .map(|o| (o["name"].clone(), o["type"].clone(), o["required"].clone()))
            .collect::<Vec<_>>(),
        vec![
            (json!("hide"), json!(5), json!(false)),
            (json!("mention"), json!(6), json!(false))
        ]
    );
    // Slash commands (type 1) have a description; the message command (type 3) has none.
    let commands = put.json().as_array().expect("array").clone();
    assert!(commands
        .iter()
        .filter(|c| c["type"] == 1)
        .all(|c| c["description"]
            .as_str()
            .is_some_and(|d| !d.is_empty() && d.chars().count() <= 100)));
    let on_message: Vec<&Value> = commands.iter().filter(|c| c["type"] == 3).collect();
    assert_eq!(
        on_message,
        [&json!({"type": 3, "name": "Ask factdesk", "description": ""})]
    );

    let mut bot = Bot::start(
        &standin,
        &["register", "--guild", GUILD_ID],
        &[("DISCORD_APPLICATION_ID", APP_ID)],
    );
    assert_eq!(bot.wait_exit(WAIT).await.code(), Some(0), "{}", bot.log());
    let put = standin
        .wait_request(
            "PUT",
            &format!("/api/v10/applications/{APP_ID}/guilds/{GUILD_ID}/commands"),
            0,
            WAIT,
        )
        .await;
    assert_eq!(put.json(), expected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_register_only_registers_when_commands_changed() {
    let standin = StandIn::start().await;
    let state = tempfile::tempdir().expect("state");
    let state_dir = state.path().to_str().expect("utf-8").to_owned();
    let args = ["serve", "--register", "--state-dir", state_dir.as_str()];
    let puts = |s: &StandIn| s.requests().iter().filter(|r| r.method == "PUT").count();

    let mut first = Bot::start(&standin, &args, &[]);
    standin.wait_op(2, 1, WAIT).await;
    assert_eq!(puts(&standin), 1, "first start registers");
    first.terminate();
    first.wait_exit(WAIT).await;

    let mut second = Bot::start(&standin, &args, &[]);
    standin.wait_op(2, 2, WAIT).await;
    assert_eq!(
        puts(&standin),
        1,
        "unchanged commands are not registered again"
    );
    assert!(
        second
            .log()
            .contains("commands unchanged since last registration"),
        "{}",
        second.log()
    );
    second.terminate();
    second.wait_exit(WAIT).await;
}
