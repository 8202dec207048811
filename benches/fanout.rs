//! Digest fan-out: N subscriptions due at the same minute, posted by the real release binary to
//! the stand-in, which answers each post after ~100 ms, enforces a global limit of RATE
//! requests a second (429 `global: true` beyond it) and Discord's route buckets (5 posts per
//! 5 s per channel). Reports the time from the due instant to the last delivery against the
//! floor of N / RATE seconds, the 429s received and the duplicates (channels with more than
//! one message). With FANOUT_KILL=1 the bot is killed (SIGKILL) once half the channels have
//! their digest and started again on the same database.
//!
//! `cargo bench --bench fanout` (FANOUT_N [2000], FANOUT_RATE [50], FANOUT_DELAY_MS [100],
//! FANOUT_KILL [0], FANOUT_LEAD_S [10]: how long before the due instant the bot starts,
//! FANOUT_BIN: another factdesk binary to run instead, such as an older build;
//! FANOUT_WORKERS [1] and FANOUT_DATABASE_URL: several `serve --no-gateway` digest workers on
//! one PostgreSQL database, each given its share of the global limit — build with
//! `--features postgres`; `bench/fanout.sh` starts a throwaway server for it).
//! Without `--bench` (`cargo test --benches`) N defaults to 50. `bench/fanout.sh` runs the set
//! the README reports.

#[path = "../tests/e2e/support/standin.rs"]
mod standin;

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use standin::{StandIn, Tally, TOKEN};

/// 08:00 in Kolkata on day 1 of the visit: when every subscription is due.
const DUE: &str = "2026-02-25T02:30:00Z";

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// What one run is asked to do.
struct Plan {
    n: u64,
    rate: u64,
    delay: Duration,
    kill: bool,
    lead: Duration,
    /// Digest workers sharing FANOUT_DATABASE_URL (1: one bot on SQLite).
    workers: u64,
    database: Option<String>,
}

/// A state directory holding factdesk.toml with `n` subscriptions due at 08:00 in Kolkata.
fn config(plan: &Plan) -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut text = format!(
        "state_dir = \"{}\"\n[digest]\n",
        dir.path().join("state").display()
    );
    for i in 0..plan.n {
        text.push_str(&format!(
            "[[digest.subscriptions]]\nchannel = {}\ntime = \"08:00\"\ntime_zone = \"Asia/Kolkata\"\n",
            2_300_000_000_000_000_000u64 + i
        ));
    }
    let path = dir.path().join("factdesk.toml");
    std::fs::write(&path, text).expect("write config");
    let path = path.to_str().expect("utf-8 temp dir").to_owned();
    (dir, path)
}

/// Starts `factdesk serve` (or FANOUT_BIN, e.g. an older build to compare with) with its clock
/// at `now`, its log appended to `log`. The rate limit goes in the environment, which an older
/// build without the key ignores.
fn serve(
    standin: &StandIn,
    plan: &Plan,
    config: &str,
    now: jiff::Timestamp,
    log: &std::path::Path,
) -> Child {
    let out = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .expect("open the bot's log");
    let bin = std::env::var("FANOUT_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_factdesk").into());
    let mut command = Command::new(bin);
    command
        .args(["--config", config, "serve", "--now", &now.to_string()])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("DISCORD_TOKEN", TOKEN)
        .env("DISCORD_API_BASE", standin.base())
        // Discord's limit is per bot: the workers share it.
        .env(
            "FACTDESK_RATE_LIMIT",
            (plan.rate / plan.workers).max(1).to_string(),
        )
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(out.try_clone().expect("log handle"));
    if let Some(url) = &plan.database {
        command.arg("--no-gateway").env("DATABASE_URL", url);
    }
    command.spawn().expect("start factdesk serve")
}

/// The bot's peak resident memory so far, in MiB (Linux).
fn peak_rss(child: &Child) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{}/status", child.id())).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

/// Polls the stand-in until `done` holds or `deadline` passes.
async fn until(standin: &StandIn, deadline: Instant, done: impl Fn(&Tally) -> bool) -> Tally {
    loop {
        let tally = standin.tally();
        if done(&tally) || Instant::now() >= deadline {
            return tally;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn plan() -> Plan {
    // `cargo bench` passes `--bench`; a plain `cargo test --benches` passes nothing: run small.
    let benching = std::env::args().any(|a| a == "--bench");
    Plan {
        n: env_u64("FANOUT_N", if benching { 2000 } else { 50 }),
        rate: env_u64("FANOUT_RATE", 50).max(1),
        delay: Duration::from_millis(env_u64("FANOUT_DELAY_MS", 100)),
        kill: env_u64("FANOUT_KILL", 0) == 1,
        lead: Duration::from_secs(env_u64("FANOUT_LEAD_S", if benching { 10 } else { 3 })),
        workers: env_u64("FANOUT_WORKERS", 1).max(1),
        database: std::env::var("FANOUT_DATABASE_URL")
            .ok()
            .filter(|u| !u.is_empty()),
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 1)]
async fn main() {
    let plan = plan();
    let standin = StandIn::start().await;
    standin.limit_global(u32::try_from(plan.rate).expect("a rate that fits u32"));
    standin.limit_routes(5, Duration::from_secs(5));
    standin.answer_posts_after(plan.delay);
    let (dir, config) = config(&plan);
    let log = dir.path().join("factdesk.log");
    let due: jiff::Timestamp = DUE.parse().expect("a valid instant");
    let lead = jiff::SignedDuration::try_from(plan.lead).expect("a short lead");
    assert!(
        plan.workers == 1 || plan.database.is_some(),
        "several workers share a PostgreSQL database: set FANOUT_DATABASE_URL"
    );
    let started = Instant::now();
    let mut bot = serve(&standin, &plan, &config, due - lead, &log);
    let mut others: Vec<Child> = (1..plan.workers)
        .map(|_| serve(&standin, &plan, &config, due - lead, &log))
        .collect();
    let due_at = started + plan.lead;
    let floor = Duration::from_secs_f64(plan.n as f64 / plan.rate as f64);
    let deadline = due_at + floor * 3 + Duration::from_secs(120);
    let n = plan.n as usize;
    let mut restarted = false;
    if plan.kill {
        until(&standin, deadline, |t| t.channels >= n / 2).await;
        bot.kill().expect("SIGKILL the bot");
        let _ = bot.wait();
        let elapsed = jiff::SignedDuration::try_from(started.elapsed()).expect("short");
        bot = serve(&standin, &plan, &config, due - lead + elapsed, &log);
        restarted = true;
    }
    let tally = until(&standin, deadline, |t| t.channels >= n).await;
    let rss = peak_rss(&bot);
    for (i, worker) in others.iter_mut().enumerate() {
        if let Ok(Some(status)) = worker.try_wait() {
            eprintln!("worker {} exited early: {status}", i + 2);
        }
    }
    for worker in std::iter::once(&mut bot).chain(others.iter_mut()) {
        let _ = worker.kill();
        let _ = worker.wait();
    }
    report(&plan, &tally, due_at, floor, restarted, rss);
    let errors = std::fs::read_to_string(&log).unwrap_or_default();
    let errors: Vec<&str> = errors.lines().filter(|l| l.contains("ERROR")).collect();
    if !errors.is_empty() {
        eprintln!(
            "{} error lines in the bot's log, first: {}",
            errors.len(),
            errors[0]
        );
    }
}

fn report(
    plan: &Plan,
    t: &Tally,
    due_at: Instant,
    floor: Duration,
    restarted: bool,
    rss: Option<f64>,
) {
    let secs = |at: Option<Instant>| {
        at.map_or(f64::NAN, |a| {
            a.saturating_duration_since(due_at).as_secs_f64()
        })
    };
    let last = secs(t.last_answered);
    println!(
        "fan-out: N = {}, global limit {}/s, posts answered after {} ms, {}{}",
        plan.n,
        plan.rate,
        plan.delay.as_millis(),
        if plan.database.is_some() {
            format!("{} workers on PostgreSQL", plan.workers)
        } else {
            "one bot on SQLite".to_owned()
        },
        if restarted {
            ", one killed (SIGKILL) halfway and restarted"
        } else {
            ""
        }
    );
    println!(
        "  delivered {}/{} channels; first post {:.2} s after due; last delivery {:.1} s after due; floor {:.1} s; {:.3} x floor",
        t.channels,
        plan.n,
        secs(t.first_post),
        last,
        floor.as_secs_f64(),
        last / floor.as_secs_f64()
    );
    println!(
        "  posts {}; 429s {} ({} global) = {:.2} % of posts; messages {}; channels with more than one: {}; resent (nonce-deduplicated or retried): {}",
        t.posts,
        t.rate_limited,
        t.global_rate_limited,
        100.0 * t.rate_limited as f64 / t.posts.max(1) as f64,
        t.messages,
        t.duplicated,
        t.posts.saturating_sub(t.rate_limited + t.messages)
    );
    println!(
        "  most posts in flight at once {}; bot peak RSS {}",
        t.most_in_flight,
        rss.map_or("?".to_owned(), |m| format!("{m:.1} MiB"))
    );
}
