//! Operations: hot reload (file change, broken edits, bursts, SIGHUP), secrets kept out of
//! logs, metrics without the endpoint, and the configuration file's checks.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use ed25519_dalek::SigningKey;
use serde_json::{json, Value};

use crate::support::bot::Bot;
use crate::support::standin::{interaction_payload, StandIn, TOKEN};
use crate::support::{facts_path, signed_post, temp_facts};

const WAIT: Duration = Duration::from_secs(20);

struct Endpoint {
    bot: Bot,
    url: String,
    key: SigningKey,
    facts: PathBuf,
    _dir: tempfile::TempDir,
}

/// The real binary serving HTTP only, on a copy of facts.toml it can watch.
async fn endpoint(standin: &StandIn) -> Endpoint {
    endpoint_with(standin, &[]).await
}

/// [`endpoint`] with `env` added to the process's environment.
async fn endpoint_with(standin: &StandIn, env: &[(&str, &str)]) -> Endpoint {
    let (dir, facts) = temp_facts(&std::fs::read_to_string(facts_path()).expect("facts"));
    serve_facts(standin, dir, facts, env).await
}

/// The key the endpoints of these tests verify with.
fn endpoint_key() -> SigningKey {
    SigningKey::from_bytes(&[42; 32])
}

/// Starts `factdesk serve` on the HTTP endpoint only, from `facts` (in `dir`, which holds its
/// state too), with `env` added; does not wait for it.
fn start_endpoint(standin: &StandIn, dir: &Path, facts: &Path, env: &[(&str, &str)]) -> Bot {
    let public = hex::encode(endpoint_key().verifying_key().to_bytes());
    let state = dir.join("state");
    let mut vars = vec![
        ("DISCORD_TOKEN", ""),
        ("DISCORD_PUBLIC_KEY", public.as_str()),
        ("FACTDESK_STATE_DIR", state.to_str().expect("utf-8")),
    ];
    vars.extend_from_slice(env);
    Bot::start(
        standin,
        &[
            "serve",
            "--http",
            "127.0.0.1:0",
            "--facts",
            facts.to_str().expect("utf-8"),
            "--no-digest",
        ],
        &vars,
    )
}

/// Serves the HTTP endpoint from `facts` (in `dir`, which holds its state too), with `env`
/// added, and waits until it answers and watches the fact base.
async fn serve_facts(
    standin: &StandIn,
    dir: tempfile::TempDir,
    facts: PathBuf,
    env: &[(&str, &str)],
) -> Endpoint {
    let key = endpoint_key();
    let bot = start_endpoint(standin, dir.path(), &facts, env);
    let url = bot.wait_for_url(WAIT).await;
    bot.wait_for_line("watching the fact base", WAIT).await;
    Endpoint {
        bot,
        url,
        key,
        facts,
        _dir: dir,
    }
}

impl Endpoint {
    async fn dates(&self) -> String {
        let (status, body) = signed_post(
            &self.url,
            &self.key,
            &interaction_payload("1", "t", 2, "dates", json!([]), 0),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        let v: Value = serde_json::from_str(&body).expect("json");
        v["data"]["content"].as_str().expect("content").to_owned()
    }

    /// Waits until `/dates` answers with something containing `needle`.
    async fn wait_for_dates(&self, needle: &str) -> String {
        let deadline = Instant::now() + WAIT;
        loop {
            let reply = self.dates().await;
            if reply.contains(needle) {
                return reply;
            }
            assert!(
                Instant::now() < deadline,
                "/dates never said {needle:?}; last reply: {reply}\nlog:\n{}",
                self.bot.log()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    fn write(&self, edit: impl Fn(&str) -> String) {
        let original = std::fs::read_to_string(facts_path()).expect("facts");
        std::fs::write(&self.facts, edit(&original)).expect("write facts");
    }

    /// GETs `path` (`/healthz`, `/metrics`) from the endpoint's server.
    async fn get(&self, path: &str) -> reqwest::Response {
        reqwest::get(self.url.replace("/interactions", path))
            .await
            .expect(path)
    }

    async fn metrics(&self) -> String {
        self.get("/metrics").await.text().await.expect("text")
    }

    async fn health(&self) -> Value {
        self.get("/healthz").await.json().await.expect("json")
    }
}

/// The shipped fact base with `tag` written into `/dates`'s after-the-visit sentence (the
/// tests run long after February 2026).
fn label(tag: &str) -> impl Fn(&str) -> String + '_ {
    move |facts: &str| {
        facts.replacen(
            "The scheduled dates ended",
            &format!("{tag} The scheduled dates ended"),
            1,
        )
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn edits_are_served_and_broken_edits_are_not() {
    let standin = StandIn::start().await;
    let ep = endpoint(&standin).await;
    assert!(ep.dates().await.contains("scheduled to last two days"));

    ep.write(label("Edited."));
    ep.wait_for_dates("Edited.").await;
    assert_eq!(ep.health().await["reload"]["ok"], true);

    // A broken edit: the old version keeps serving, the error is logged and shown.
    ep.write(|f| {
        label("Broken.")(f).replacen("certainty = \"scheduled\"", "certainty = \"sure\"", 1)
    });
    let line = ep.bot.wait_for_line("fact base reload failed", WAIT).await;
    assert!(
        line.contains("facts.toml:42:13: facts[visit-dates].certainty: `sure` is not a certainty"),
        "{line}"
    );
    assert!(
        ep.dates().await.contains("Edited."),
        "the last good version still answers"
    );
    let health = ep.health().await;
    assert_eq!(health["status"], "ok");
    assert_eq!(health["reload"]["ok"], false);
    assert!(
        health["reload"]["errors"]
            .as_str()
            .expect("errors")
            .contains("`sure` is not a certainty"),
        "{health}"
    );
    let metrics = ep.metrics().await;
    assert!(
        metrics.contains("factdesk_fact_base_reload_ok 0"),
        "{metrics}"
    );

    // A burst of saves: the last valid one wins.
    ep.write(label("Version A."));
    ep.write(|f| f.replacen("[event]", "[event", 1));
    ep.write(label("Version C."));
    ep.wait_for_dates("Version C.").await;
    tokio::time::sleep(Duration::from_millis(600)).await; // past the debounce: nothing older may land later
    assert!(ep.dates().await.contains("Version C."));
    assert_eq!(ep.health().await["reload"]["ok"], true);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sighup_reloads_instead_of_killing_the_process() {
    let standin = StandIn::start().await;
    // The fact base is a symlink to a file in another directory: the file watcher (which watches
    // the link's directory) never sees edits to the target, so only SIGHUP can bring them in.
    let (dir, link) = temp_facts(&std::fs::read_to_string(facts_path()).expect("facts"));
    let elsewhere = tempfile::tempdir().expect("dir");
    let target = elsewhere.path().join("facts.toml");
    std::fs::rename(&link, &target).expect("move facts");
    std::os::unix::fs::symlink(&target, &link).expect("symlink");
    let mut ep = serve_facts(&standin, dir, link, &[]).await;
    ep.facts = target;
    ep.write(label("Reloaded by SIGHUP."));
    for _ in 0..2 {
        let status = Command::new("kill")
            .args(["-HUP", &ep.bot.pid().to_string()])
            .status()
            .expect("kill");
        assert!(status.success());
    }
    // Without a handler SIGHUP would end the process; with one it reloads and keeps answering.
    ep.wait_for_dates("Reloaded by SIGHUP.").await;
    assert!(ep.bot.log().contains("SIGHUP"), "{}", ep.bot.log());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secrets_never_reach_the_logs() {
    let standin = StandIn::start().await;
    let key = SigningKey::from_bytes(&[7; 32]);
    let public = hex::encode(key.verifying_key().to_bytes());
    let state = tempfile::tempdir().expect("state");
    let mut bot = Bot::start(
        &standin,
        &[
            "serve",
            "--http",
            "127.0.0.1:0",
            "--register",
            "--state-dir",
            state.path().to_str().expect("utf-8"),
        ],
        &[
            ("DISCORD_PUBLIC_KEY", &public),
            ("FACTDESK_LOG_FORMAT", "json"),
            // Everything the operator can turn on without naming a dependency.
            ("RUST_LOG", "trace"),
        ],
    );
    let url = bot.wait_for_url(WAIT).await;
    standin.wait_op(2, 1, WAIT).await;
    let (status, _) = signed_post(
        &url,
        &key,
        &interaction_payload("1", "secret-interaction-token", 2, "dates", json!([]), 0),
    )
    .await;
    assert_eq!(status, 200);
    let (id, token) = standin.interaction(2, "mou", json!([]), 0);
    standin
        .wait_request(
            "POST",
            &format!("/api/v10/interactions/{id}/{token}/callback"),
            0,
            WAIT,
        )
        .await;
    bot.terminate();
    assert_eq!(bot.wait_exit(WAIT).await.code(), Some(0));
    let log = bot.log();
    assert!(log.lines().count() > 10, "the run logged: {log}");
    for line in log.lines() {
        assert!(
            serde_json::from_str::<Value>(line).is_ok(),
            "every line is JSON: {line}"
        );
    }
    assert!(!log.contains(TOKEN), "the bot token leaked into the log");
    assert!(!log.contains(&public), "the public key leaked into the log");
    assert!(
        !log.contains("secret-interaction-token"),
        "an HTTP interaction's token leaked into the log"
    );
    assert!(
        !log.contains(&token),
        "a gateway interaction's token leaked into the log"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_are_served_when_only_the_gateway_runs() {
    let standin = StandIn::start().await;
    let state = tempfile::tempdir().expect("state");
    let bot = Bot::start(
        &standin,
        &[
            "serve",
            "--metrics",
            "127.0.0.1:0",
            "--state-dir",
            state.path().to_str().expect("utf-8"),
        ],
        &[],
    );
    let base = bot.wait_for_url(WAIT).await.replace("/interactions", "");
    standin.wait_op(2, 1, WAIT).await;
    let (id, token) = standin.interaction(2, "dates", json!([]), 0);
    standin
        .wait_request(
            "POST",
            &format!("/api/v10/interactions/{id}/{token}/callback"),
            0,
            WAIT,
        )
        .await;
    let metrics = reqwest::get(format!("{base}/metrics"))
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text");
    assert!(
        metrics.contains(r#"factdesk_interactions_total{command="dates",outcome="answered"} 1"#),
        "{metrics}"
    );
    assert!(
        metrics.contains("factdesk_fact_base_info{version="),
        "{metrics}"
    );
    let health = reqwest::get(format!("{base}/healthz"))
        .await
        .expect("healthz");
    assert_eq!(health.status().as_u16(), 200);
    let post = reqwest::Client::new()
        .post(format!("{base}/interactions"))
        .body("{}")
        .send()
        .await
        .expect("post");
    assert_eq!(
        post.status().as_u16(),
        404,
        "the metrics listener does not take interactions"
    );
}

fn config_check(config: &str) -> (i32, String) {
    config_check_with(config, &[])
}

fn config_check_with(config: &str, env: &[(&str, &str)]) -> (i32, String) {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("factdesk.toml");
    std::fs::write(&path, config).expect("write");
    let o = Command::new(env!("CARGO_BIN_EXE_factdesk"))
        .args(["--config", path.to_str().expect("utf-8"), "config", "check"])
        .current_dir(crate::support::root())
        .env_remove("FACTDESK_HTTP_ADDR")
        .env_remove("DATABASE_URL")
        .env_remove("DATABASE_URL_FILE")
        .envs(env.iter().copied())
        .output()
        .expect("run");
    (
        o.status.code().unwrap_or(-1),
        format!(
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        ),
    )
}

#[test]
fn config_check_reports_file_line_column() {
    let (code, out) = config_check("http = \"0.0.0.0:8080\"\n[digest]\ncatch_up_hours = 3\n[[digest.subscriptions]]\nchannel = 1\ntime = \"08:00\"\ntime_zone = \"Asia/Kolkata\"\n");
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains(
            "ok — facts facts.toml, state state, digest on in SQLite state/factdesk.db (1 configured subscriptions)"
        ),
        "{out}"
    );

    let (code, out) = config_check("token = \"abc\"\nhttp = \"nowhere\"\n[[digest.subscriptions]]\nchannel = 1\ntime = \"25:00\"\ntime_zone = \"Mars/Base\"\n");
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("token: secrets are not read from the config file"),
        "{out}"
    );
    assert!(
        out.contains("set DISCORD_TOKEN in the environment"),
        "{out}"
    );
    assert!(out.contains("factdesk.toml:2:8"), "{out}");
    assert!(out.contains("`nowhere` is not an address"), "{out}");
    assert!(out.contains("`25:00` is not a time of day"), "{out}");
    assert!(
        out.contains("`Mars/Base` is not a known IANA time zone"),
        "{out}"
    );
    assert!(out.contains("error: 4 problems in"), "{out}");

    let (code, out) = config_check("facts = \"f.toml\"\nlog_fromat = \"json\"\n");
    assert_eq!(code, 1);
    assert!(out.contains("unknown field `log_fromat`"), "{out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reload_re_registers_only_when_commands_changed() {
    let standin = StandIn::start().await;
    let original = std::fs::read_to_string(facts_path()).expect("facts");
    let (dir, facts) = temp_facts(&original);
    let state = dir.path().join("state");
    let bot = Bot::start(
        &standin,
        &[
            "serve",
            "--register",
            "--facts",
            facts.to_str().expect("utf-8"),
            "--state-dir",
            state.to_str().expect("utf-8"),
        ],
        &[],
    );
    standin.wait_op(2, 1, WAIT).await;
    bot.wait_for_line("watching the fact base", WAIT).await;
    let puts = |s: &StandIn| s.requests().iter().filter(|r| r.method == "PUT").count();
    assert_eq!(puts(&standin), 1);

    // A template edit changes replies, not commands: no registration.
    std::fs::write(&facts, label("Edited.")(&original)).expect("write");
    bot.wait_for_line("commands_changed=false", WAIT).await;
    assert_eq!(puts(&standin), 1);

    // A new description is a command change: registered once more.
    let described = original.replacen(
        "When the visit takes place, and where it stands today",
        "When the visit takes place",
        1,
    );
    std::fs::write(&facts, described).expect("write");
    let put = standin
        .wait_request("PUT", "/api/v10/applications/", 1, WAIT)
        .await;
    let dates = put
        .json()
        .as_array()
        .expect("array")
        .iter()
        .find(|c| c["name"] == "dates")
        .cloned()
        .expect("dates");
    assert_eq!(dates["description"], "When the visit takes place");
}

#[test]
fn environment_overrides_win_and_bad_values_are_reported() {
    let (code, out) = config_check_with(
        "state_dir = \"from-file\"\n",
        &[("FACTDESK_STATE_DIR", "from-env")],
    );
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("state from-env"),
        "the environment overrides the file: {out}"
    );

    let (code, out) = config_check_with(
        "",
        &[
            ("FACTDESK_GUILD", "general"),
            ("FACTDESK_DIGEST_CATCH_UP_HOURS", "six"),
        ],
    );
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("environment variable FACTDESK_GUILD: `general` is not a guild id"),
        "{out}"
    );
    assert!(
        out.contains(
            "environment variable FACTDESK_DIGEST_CATCH_UP_HOURS: `six` is not a number of hours"
        ),
        "{out}"
    );
}

/// `factdesk config check` in an empty directory (no factdesk.toml), with `env` added.
fn config_check_in_empty_dir(args: &[&str], env: &[(&str, &str)]) -> (i32, String) {
    let dir = tempfile::tempdir().expect("dir");
    let o = Command::new(env!("CARGO_BIN_EXE_factdesk"))
        .args(args)
        .args(["config", "check"])
        .current_dir(dir.path())
        .env_remove("FACTDESK_CONFIG")
        .env_remove("FACTDESK_DIGEST")
        .env_remove("FACTDESK_HTTP_ADDR")
        .envs(env.iter().copied())
        .output()
        .expect("run");
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

#[test]
fn a_misspelt_boolean_fails_naming_the_variable_and_the_accepted_values() {
    let (code, stderr) = config_check_in_empty_dir(&[], &[("FACTDESK_DIGEST", "ture")]);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("environment variable FACTDESK_DIGEST: `ture` is not a boolean"),
        "{stderr}"
    );
    assert!(
        stderr.contains("true/false, 1/0, yes/no, on/off (any case)"),
        "{stderr}"
    );
    assert!(
        stderr.contains("error: 1 problem in the environment"),
        "{stderr}"
    );

    let (code, stderr) = config_check_in_empty_dir(&[], &[("FACTDESK_DIGEST", "Off")]);
    assert_eq!(code, 0, "any case is accepted: {stderr}");
}

#[test]
fn a_missing_config_file_fails_naming_it() {
    let (code, stderr) = config_check_in_empty_dir(&["--config", "/nonexistent.toml"], &[]);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("/nonexistent.toml: cannot read the configuration file"),
        "{stderr}"
    );
    assert!(stderr.contains("--config (or FACTDESK_CONFIG)"), "{stderr}");
    assert!(
        !stderr.contains("--facts"),
        "not the fact base's advice: {stderr}"
    );
}

/// A signed POST of `payload`, and how long the endpoint took to answer.
async fn timed_post(url: &str, key: &SigningKey, payload: &Value) -> (u16, Value, Duration) {
    let started = Instant::now();
    let (status, body) = signed_post(url, key, payload).await;
    let value = serde_json::from_str(&body).unwrap_or(Value::String(body));
    (status, value, started.elapsed())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_locked_database_defers_digest_answers_and_never_stalls_others() {
    let standin = StandIn::start().await;
    let key = SigningKey::from_bytes(&[42; 32]);
    let public = hex::encode(key.verifying_key().to_bytes());
    let state = tempfile::tempdir().expect("state");
    let bot = Bot::start(
        &standin,
        &[
            "serve",
            "--http",
            "127.0.0.1:0",
            "--state-dir",
            state.path().to_str().expect("utf-8"),
        ],
        &[("DISCORD_TOKEN", ""), ("DISCORD_PUBLIC_KEY", &public)],
    );
    let url = bot.wait_for_url(WAIT).await;
    // Another process holds the digest database (a backup, a migration, an operator's shell).
    let db = rusqlite::Connection::open(state.path().join("factdesk.db")).expect("open db");
    db.execute_batch("BEGIN EXCLUSIVE").expect("lock");

    let subscribe = interaction_payload(
        "1300000000000000001",
        "deferred-token",
        2,
        "digest",
        json!([{"type": 1, "name": "subscribe", "options": [
            {"type": 3, "name": "time", "value": "08:00"},
            {"type": 3, "name": "timezone", "value": "Asia/Kolkata"}]}]),
        crate::support::standin::MANAGE_GUILD,
    );
    let (status, body, took) = timed_post(&url, &key, &subscribe).await;
    // Acknowledged in time (Discord's deadline is 3 s), privately, as the answer will be.
    assert_eq!(
        (status, &body),
        (200, &json!({"type": 5, "data": {"flags": 64}}))
    );
    assert!(took < Duration::from_secs(3), "took {took:?}");
    // Everything else is answered meanwhile.
    let dates = interaction_payload("1300000000000000002", "t2", 2, "dates", json!([]), 0);
    let (status, body, took) = timed_post(&url, &key, &dates).await;
    assert_eq!(status, 200);
    assert_eq!(body["type"], 4, "{body}");
    assert!(
        took < Duration::from_secs(3),
        "/dates took {took:?} behind the lock"
    );

    // The lock goes; the subscription is saved and the deferred answer edited in.
    db.execute_batch("COMMIT").expect("unlock");
    let edited = standin.wait_original_edit("deferred-token", WAIT).await;
    assert!(
        edited["content"]
            .as_str()
            .is_some_and(|c| c.starts_with("Subscribed:")),
        "{edited}\n{}",
        bot.log()
    );
    assert_eq!(edited["allowed_mentions"], json!({"parse": []}));
    assert!(!bot.log().contains("deferred-token"), "{}", bot.log());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_the_gateway_a_locked_database_defers_then_edits_the_answer_in() {
    let standin = StandIn::start().await;
    let state = tempfile::tempdir().expect("state");
    let bot = Bot::start(
        &standin,
        &[
            "serve",
            "--state-dir",
            state.path().to_str().expect("utf-8"),
        ],
        &[],
    );
    standin.wait_op(2, 1, WAIT).await;
    let db = rusqlite::Connection::open(state.path().join("factdesk.db")).expect("open db");
    db.execute_batch("BEGIN EXCLUSIVE").expect("lock");
    let (id, token) = standin.interaction(
        2,
        "digest",
        json!([{"type": 1, "name": "subscribe", "options": [
            {"type": 3, "name": "time", "value": "08:00"},
            {"type": 3, "name": "timezone", "value": "Asia/Kolkata"}]}]),
        crate::support::standin::MANAGE_GUILD,
    );
    let callback = standin
        .wait_request(
            "POST",
            &format!("/api/v10/interactions/{id}/{token}/callback"),
            0,
            WAIT,
        )
        .await;
    assert_eq!(callback.json(), json!({"type": 5, "data": {"flags": 64}}));
    db.execute_batch("COMMIT").expect("unlock");
    let edit = standin.wait_original_edit(&token, WAIT).await;
    assert!(
        edit["content"]
            .as_str()
            .is_some_and(|c| c.starts_with("Subscribed:")),
        "{}",
        bot.log()
    );
    // serenity's callback and our own edit both say who is calling.
    standin.assert_user_agents();
}

/// The number of threads process `pid` runs, or `None` once it is gone (Linux's /proc).
fn threads(pid: u32) -> Option<usize> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("Threads:"))
        .and_then(|n| n.trim().parse().ok())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sighup_while_starting_up_does_not_end_the_process() {
    let standin = StandIn::start().await;
    let (dir, facts) = temp_facts(&std::fs::read_to_string(facts_path()).expect("facts"));
    let mut bot = start_endpoint(&standin, dir.path(), &facts, &[]);
    let pid = bot.pid().to_string();
    let deadline = Instant::now() + WAIT;
    // From the moment its async runtime runs (a second thread: before the configuration, the
    // fact base or the socket are touched) until it has started everything, SIGHUP it as
    // fast as `kill` goes — a deploy script or a ConfigMap reloader may well do that.
    while threads(bot.pid()).is_some_and(|n| n < 2) {
        assert!(Instant::now() < deadline, "factdesk never started a thread");
        tokio::task::yield_now().await;
    }
    let mut sent = 0;
    while !bot.log().contains("watching the fact base") {
        if let Some(status) = bot.exited() {
            panic!(
                "factdesk ended ({status}) after {sent} SIGHUPs during start-up; log:\n{}",
                bot.log()
            );
        }
        assert!(
            Instant::now() < deadline,
            "factdesk never finished starting; log:\n{}",
            bot.log()
        );
        // `kill` fails only if the process is gone, which the next turn reports.
        let _ = Command::new("kill").args(["-HUP", &pid]).status();
        sent += 1;
    }
    assert!(sent > 0, "no SIGHUP was sent during start-up");
    assert_eq!(bot.exited(), None, "{}", bot.log());
    let url = bot.wait_for_url(WAIT).await;
    let (status, body) = signed_post(
        &url,
        &endpoint_key(),
        &interaction_payload("1", "t", 2, "dates", json!([]), 0),
    )
    .await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_reload_only_the_served_version_is_info_1() {
    let standin = StandIn::start().await;
    let ep = endpoint(&standin).await;
    let before = ep.health().await["version"].clone();
    ep.write(label("Edited."));
    ep.wait_for_dates("Edited.").await;
    let version = ep.health().await["version"].clone();
    assert_ne!(before, version, "the edit is a new version");
    let metrics = ep.metrics().await;
    let current: Vec<&str> = metrics
        .lines()
        .filter(|line| line.starts_with("factdesk_fact_base_info{") && line.ends_with(" 1"))
        .collect();
    let version = version.as_str().expect("version");
    assert_eq!(
        current,
        [format!(
            "factdesk_fact_base_info{{version=\"{version}\"}} 1"
        )],
        "{metrics}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_access_log_can_be_turned_off_and_errors_still_show() {
    let standin = StandIn::start().await;
    for (setting, logged) in [("off", false), ("info", true)] {
        let mut ep = endpoint_with(&standin, &[("FACTDESK_ACCESS_LOG", setting)]).await;
        assert!(ep.dates().await.contains("scheduled to last two days"));
        // An error is logged whatever the access log says.
        ep.write(|f| f.replacen("[event]", "[event", 1));
        ep.bot.wait_for_line("fact base reload failed", WAIT).await;
        ep.bot.terminate();
        assert_eq!(ep.bot.wait_exit(WAIT).await.code(), Some(0));
        let log = ep.bot.log();
        let answered = log.lines().any(|line| line.contains("answered"));
        assert_eq!(
            answered,
            logged,
            "FACTDESK_ACCESS_LOG={setting}: expected {} \"answered\" line; log:\n{log}",
            if logged { "an" } else { "no" }
        );
    }
}

/// A bot token in Discord's format (not a real one).
const TOKEN_IN_FILE: &str = "MTk4NjIyNDgzNDcxOTI1MjQ4.Cl2FMQ.ZnCjm1XVW7vRze4b7Cq4se7kKWs";
const WEBHOOK_IN_FILE: &str =
    "https://discord.com/api/webhooks/1150000000000000009/aWebhookSecretThatMustNotLeak_x1";

/// Whether `out` holds eight or more consecutive characters of `secret`.
fn shows_part_of(out: &str, secret: &str) -> bool {
    let chars: Vec<char> = secret.chars().collect();
    chars
        .windows(8)
        .any(|w| out.contains(&w.iter().collect::<String>()))
}

#[test]
fn secrets_written_in_the_config_file_are_not_shown_in_its_errors() {
    let subscription =
        "[[digest.subscriptions]]\nchannel = 1\ntime = \"08:00\"\ntime_zone = \"UTC\"\n";
    let public_key = "4f1d5a5b0c6c7d8e9fa0b1c2d3e4f5061728394a5b6c7d8e9fa0b1c2d3e4f506";
    let cases = [
        (
            format!("token = \"{TOKEN_IN_FILE}\"\n"),
            TOKEN_IN_FILE,
            "factdesk.toml:1:9",
            "token: secrets are not read from the config file",
        ),
        (
            format!("facts = \"facts.toml\"\nbot_token = \"{TOKEN_IN_FILE}\"\n"),
            TOKEN_IN_FILE,
            "factdesk.toml:2:1",
            "unknown field `bot_token`",
        ),
        (
            format!("public_key = \"{public_key}\"\n"),
            public_key,
            "factdesk.toml:1:14",
            "public_key: secrets are not read from the config file",
        ),
        (
            format!("{subscription}webhook_url = \"{WEBHOOK_IN_FILE}\"\n"),
            WEBHOOK_IN_FILE,
            "factdesk.toml:5:15",
            "webhook_url: a webhook URL is a secret",
        ),
        (
            format!("{subscription}webhook_url_env = \"{WEBHOOK_IN_FILE}\"\n"),
            WEBHOOK_IN_FILE,
            "factdesk.toml:5:19",
            "webhook_url_env: ",
        ),
        (
            format!("{subscription}webhook_url_file = \"{WEBHOOK_IN_FILE}\"\n"),
            WEBHOOK_IN_FILE,
            "factdesk.toml:5:20",
            "webhook_url_file: ",
        ),
        // TOML syntax errors on a line that holds a secret: an unterminated string, a bare value.
        (
            format!("http = \"0.0.0.0:8080\"\ntoken = \"{TOKEN_IN_FILE}\n"),
            TOKEN_IN_FILE,
            "factdesk.toml:2:",
            "toml: ",
        ),
        (
            format!("discord_token = {TOKEN_IN_FILE}\n"),
            TOKEN_IN_FILE,
            "factdesk.toml:1:",
            "toml: ",
        ),
    ];
    for (config, secret, place, problem) in cases {
        let (code, out) = config_check(&config);
        assert_eq!(code, 1, "{config}\n{out}");
        assert!(
            !shows_part_of(&out, secret),
            "the secret of\n{config}\nis shown:\n{out}"
        );
        assert!(out.contains(place), "{config}\nnot at {place}:\n{out}");
        assert!(out.contains(problem), "{config}\nnot {problem:?}:\n{out}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn questions_ask_could_not_answer_are_counted_for_the_editors_without_who_asked() {
    let standin = StandIn::start().await;
    let key = SigningKey::from_bytes(&[42; 32]);
    let public = hex::encode(key.verifying_key().to_bytes());
    let state = tempfile::tempdir().expect("state");
    let state_dir = state.path().to_str().expect("utf-8");
    let bot = Bot::start(
        &standin,
        &["serve", "--http", "127.0.0.1:0", "--state-dir", state_dir],
        &[("DISCORD_TOKEN", ""), ("DISCORD_PUBLIC_KEY", &public)],
    );
    let url = bot.wait_for_url(WAIT).await;
    let ask = |id: &str, question: &str| {
        interaction_payload(
            id,
            "t",
            2,
            "ask",
            json!([{"type": 3, "name": "question", "value": question}]),
            0,
        )
    };
    for (id, q) in [
        ("1300000000000000011", "Who won the   Cricket World Cup?"),
        ("1300000000000000012", "who won the cricket world cup?"),
        ("1300000000000000013", "qwxz zzkv plorb"),
    ] {
        let (status, body) = signed_post(&url, &key, &ask(id, q)).await;
        assert_eq!(status, 200, "{body}");
    }
    let listed = || {
        let o = Command::new(env!("CARGO_BIN_EXE_factdesk"))
            .args(["misses", "--state-dir", state_dir])
            .current_dir(crate::support::root())
            .output()
            .expect("run misses");
        String::from_utf8_lossy(&o.stdout).into_owned()
    };
    let deadline = Instant::now() + WAIT;
    let mut out = listed();
    while !out.contains("qwxz") && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
        out = listed();
    }
    let first = out.lines().next().unwrap_or_default();
    assert!(
        first
            .trim_start()
            .starts_with("2  who won the cricket world cup?"),
        "{out}\n{}",
        bot.log()
    );
    assert!(out.contains("1  qwxz zzkv plorb"), "{out}");
    // Only the text is kept: not who asked, nor in which server or channel.
    let mut bytes = Vec::new();
    for entry in std::fs::read_dir(state.path()).expect("state").flatten() {
        bytes.extend(std::fs::read(entry.path()).unwrap_or_default());
    }
    for id in [
        crate::support::standin::USER_ID,
        crate::support::standin::GUILD_ID,
        crate::support::standin::CHANNEL_ID,
    ] {
        assert!(
            !bytes.windows(id.len()).any(|w| w == id.as_bytes()),
            "{id} is stored"
        );
    }
}
