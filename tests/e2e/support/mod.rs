//! Shared helpers: paths to the shipped fact base and fixtures, pinned clocks, the engine.

use std::path::PathBuf;

use factdesk::engine::{slash, Engine, Response};

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn facts_path() -> PathBuf {
    root().join("facts.toml")
}

pub fn article() -> String {
    std::fs::read_to_string(root().join("tests/fixtures/visit-article.txt"))
        .expect("fixture exists")
}

pub fn engine() -> Engine {
    Engine::load(&facts_path()).unwrap_or_else(|e| panic!("shipped facts.toml must load:\n{e}"))
}

/// The three pinned clocks of the golden tests: before, during (day 1) and after the visit.
pub const CLOCKS: [(&str, &str); 3] = [
    ("before", "2026-02-20T10:00:00+02:00"),
    ("during", "2026-02-25T10:00:00+02:00"),
    ("after", "2026-03-10T10:00:00+02:00"),
];

pub fn at(time: &str) -> jiff::Timestamp {
    time.parse().expect("test clock is valid RFC 3339")
}

/// The engine's response to a typed slash line at `now`.
pub fn ask(engine: &Engine, line: &str, now: &str) -> Response {
    let inv = slash::parse(engine, line, at(now), None)
        .unwrap_or_else(|e| panic!("`{line}` parses: {e}"));
    factdesk::transport::cli::answer(engine, &inv)
}

/// The engine's response to a slash line at `now` from a reader with `locale` in a server with
/// `guild_locale` (as Discord sends them).
pub fn ask_in(
    engine: &Engine,
    line: &str,
    now: &str,
    locale: Option<&str>,
    guild_locale: Option<&str>,
) -> Response {
    let mut inv = slash::parse(engine, line, at(now), locale)
        .unwrap_or_else(|e| panic!("`{line}` parses: {e}"));
    inv.guild_locale = guild_locale.map(str::to_owned);
    factdesk::transport::cli::answer(engine, &inv)
}

/// `factdesk --config CONFIG <args>` run to completion against the stand-in, whatever the
/// environment of the test run says about databases or fact bases; `env` adds variables.
/// Returns the exit code and stdout followed by stderr.
pub fn run_with_config(
    standin: &standin::StandIn,
    config: &str,
    args: &[&str],
    env: &[(&str, &str)],
) -> (i32, String) {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_factdesk"));
    command
        .args(["--config", config])
        .args(args)
        .current_dir(root())
        .env("DISCORD_TOKEN", standin::TOKEN)
        .env("DISCORD_API_BASE", standin.base())
        .env("RUST_LOG", "warn")
        .env_remove("DATABASE_URL")
        .env_remove("FACTDESK_FACTS");
    for (k, v) in env {
        command.env(k, v);
    }
    let o = command.output().expect("run factdesk");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    (o.status.code().unwrap_or(-1), text)
}

/// Writes `toml` as `facts.toml` into a fresh temp dir beside a copy of the article fixture
/// (at the path the shipped fact base names), returning the dir and the facts path.
pub fn temp_facts(toml: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let fixtures = dir.path().join("tests/fixtures");
    std::fs::create_dir_all(&fixtures).expect("fixture dir");
    std::fs::write(fixtures.join("visit-article.txt"), article()).expect("write fixture");
    let path = dir.path().join("facts.toml");
    std::fs::write(&path, toml).expect("write facts");
    (dir, path)
}

pub mod bot;
#[cfg(feature = "postgres")]
pub mod postgres;
pub mod standin;

/// Signs `body` for the HTTP endpoint as Discord does: Ed25519 over timestamp + body.
pub fn sign(key: &ed25519_dalek::SigningKey, timestamp: &str, body: &[u8]) -> String {
    use ed25519_dalek::Signer;
    let mut message = timestamp.as_bytes().to_vec();
    message.extend_from_slice(body);
    hex::encode(key.sign(&message).to_bytes())
}

/// POSTs a correctly signed `body` to `url`; returns status and body text.
pub async fn signed_post(
    url: &str,
    key: &ed25519_dalek::SigningKey,
    body: &serde_json::Value,
) -> (u16, String) {
    let body = body.to_string();
    let ts = jiff::Timestamp::now().as_second().to_string();
    let response = reqwest::Client::new()
        .post(url)
        .header("x-signature-ed25519", sign(key, &ts, body.as_bytes()))
        .header("x-signature-timestamp", &ts)
        .body(body)
        .send()
        .await
        .expect("the endpoint answers");
    (
        response.status().as_u16(),
        response.text().await.expect("body"),
    )
}
