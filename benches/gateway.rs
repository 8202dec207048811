//! Gateway throughput: the stand-in dispatches N interactions to the real release binary as
//! fast as it answers (closed loop, C in flight) and reports interactions/s and
//! dispatch→callback latency. Run with `cargo bench --bench gateway` (N=GATEWAY_N, C=GATEWAY_C).

#[path = "../tests/e2e/support/standin.rs"]
mod standin;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::json;
use standin::{StandIn, TOKEN};

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

#[tokio::main(flavor = "multi_thread", worker_threads = 1)]
async fn main() {
    // `cargo bench` passes `--bench`; a plain `cargo test --benches` passes nothing: run small.
    let benching = std::env::args().any(|a| a == "--bench");
    let n = if benching {
        env_usize("GATEWAY_N", 5000)
    } else {
        50
    };
    let c = env_usize("GATEWAY_C", 32);
    let standin = StandIn::start().await;
    let state = std::env::temp_dir().join(format!("factdesk-gateway-bench-{}", std::process::id()));
    let mut child = Command::new(env!("CARGO_BIN_EXE_factdesk"))
        .args([
            "serve",
            "--state-dir",
            state.to_str().expect("utf-8 temp dir"),
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("DISCORD_TOKEN", TOKEN)
        .env("DISCORD_API_BASE", standin.base())
        .env("RUST_LOG", "warn")
        // Throughput of answering, not of refusing: one member asks everything here.
        .env("FACTDESK_COOLDOWN_SECONDS", "0")
        .env("FACTDESK_USER_RATE_PER_MINUTE", "0")
        .stdout(Stdio::null())
        .spawn()
        .expect("start factdesk serve");
    standin.wait_op(2, 1, Duration::from_secs(30)).await;
    // Let READY be processed before the first interaction.
    standin.interaction(2, "dates", json!([]), 0);
    while standin.callback_count() < 1 {
        standin.changed(Duration::from_secs(5)).await;
    }

    let lines = [
        ("dates", json!([])),
        (
            "systems",
            json!([{"name": "name", "type": 3, "value": "arrow"}]),
        ),
        (
            "ask",
            json!([{"name": "question", "type": 3, "value": "is a deal expected"}]),
        ),
        ("mou", json!([])),
    ];
    let mut sent = Vec::with_capacity(n);
    let started = Instant::now();
    let mut done = 0;
    while done < n {
        while sent.len() < n && sent.len() - done < c {
            let (name, options) = &lines[sent.len() % lines.len()];
            let (id, _) = standin.interaction(2, name, options.clone(), 0);
            sent.push((id, Instant::now()));
        }
        standin.changed(Duration::from_millis(50)).await;
        done = standin.callback_count() - 1;
        assert!(
            started.elapsed() < Duration::from_secs(300),
            "gave up: {done}/{n} answered"
        );
    }
    let elapsed = started.elapsed();
    let times = standin.callback_times();
    let mut latencies: Vec<Duration> = sent
        .iter()
        .filter_map(|(id, at)| times.get(id).map(|t| t.duration_since(*at)))
        .collect();
    latencies.sort();
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let _ = child.wait();
    let _ = std::fs::remove_dir_all(&state);
    println!(
        "gateway: {n} interactions, {c} in flight: {:.0} interactions/s; dispatch→callback p50 {:.2} ms, p99 {:.2} ms",
        n as f64 / elapsed.as_secs_f64(),
        percentile(&latencies, 0.50).as_secs_f64() * 1000.0,
        percentile(&latencies, 0.99).as_secs_f64() * 1000.0
    );
}
