//! Hot reload of the fact base: on a change to the file (notify) or on SIGHUP, the new
//! `facts.toml` is loaded, validated and linted on a blocking thread — off the path that
//! answers interactions — and swapped in atomically. An invalid edit keeps the old facts
//! serving, logs every error with file:line:column, and shows in `/healthz` and `/metrics`.
//!
//! Editors save in bursts (and many editors save by writing a new file and renaming it), so
//! changes to the fact base's directory are debounced: the last valid version wins.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use notify::{RecursiveMode, Watcher};
use tokio::sync::{mpsc, watch};
use tracing::{error, info, warn};

use super::{build, Served};
use crate::engine::{application_commands, fingerprint};

/// Quiet time after the last change before reloading.
const DEBOUNCE: Duration = Duration::from_millis(250);

/// SIGHUP, caught from the moment this is made. Until a process catches SIGHUP, one ends it;
/// `serve` makes this first thing, before the slow parts of starting, and a SIGHUP that comes
/// before [`run`] watches is kept: it reloads as soon as `run` starts.
#[derive(Debug)]
pub struct Hangups {
    #[cfg(unix)]
    signal: tokio::signal::unix::Signal,
}

impl Hangups {
    /// Ignores SIGHUP until [`Hangups::catch`] catches it: for the moments before there is a
    /// runtime to catch it with. (A SIGHUP then asks to reload a fact base not read yet.)
    pub fn ignore() {
        // SAFETY: SIG_IGN runs no code in a signal handler, and this is called before any
        // thread is started, so nothing sets SIGHUP's disposition at the same time.
        #[cfg(unix)]
        unsafe {
            libc::signal(libc::SIGHUP, libc::SIG_IGN);
        }
    }

    /// Catches SIGHUP from now on. Call inside a tokio runtime.
    pub fn catch() -> std::io::Result<Hangups> {
        Ok(Hangups {
            #[cfg(unix)]
            signal: tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())?,
        })
    }

    /// The next SIGHUP (never, where there are no signals).
    async fn next(&mut self) {
        #[cfg(unix)]
        self.signal.recv().await;
        #[cfg(not(unix))]
        std::future::pending::<()>().await;
    }
}

/// Reloads once, now. Returns whether the command definitions changed.
pub async fn reload(path: &Path, served: &Served, why: &str) -> bool {
    let started = Instant::now();
    let owned = path.to_owned();
    let result = tokio::task::spawn_blocking(move || build(&owned)).await;
    match result {
        Ok(Ok(engine)) => {
            let old = served.engine();
            if engine.version() == old.version() {
                // Back to the served version (e.g. a broken edit reverted): healthy again.
                served.set_reload_error(None);
                return false;
            }
            let commands_changed = fingerprint(&application_commands(&engine))
                != fingerprint(&application_commands(&old));
            let version = engine.version().to_owned();
            crate::telemetry::record_fact_base(
                &version,
                engine.facts().facts.len(),
                started.elapsed(),
            );
            metrics::counter!("factdesk_fact_base_reloads_total", "outcome" => "ok").increment(1);
            metrics::gauge!("factdesk_fact_base_reload_ok").set(1.0);
            for miss in engine.check_questions() {
                warn!(question = %miss.field, problem = %miss.message, "an expected question is answered differently (reloaded anyway)");
            }
            served.replace(engine);
            info!(%version, trigger = why, commands_changed, load_ms = started.elapsed().as_secs_f64() * 1000.0, "fact base reloaded");
            commands_changed
        }
        Ok(Err(e)) => {
            metrics::counter!("factdesk_fact_base_reloads_total", "outcome" => "invalid")
                .increment(1);
            metrics::gauge!("factdesk_fact_base_reload_ok").set(0.0);
            let errors = e.to_string();
            error!(trigger = why, errors = %errors, "fact base reload failed; still serving the previous version");
            served.set_reload_error(Some(e.public_summary()));
            false
        }
        Err(e) => {
            error!(error = %e, "fact base reload task failed");
            false
        }
    }
}

/// Watches `path` (and SIGHUP, through `hangups`) until `shutdown`, reloading into `served`.
/// Each reload that changes the command definitions bumps `commands`, so the gateway can
/// re-register.
pub async fn run(
    path: PathBuf,
    served: Arc<Served>,
    commands: watch::Sender<u64>,
    mut hangups: Hangups,
    shutdown: impl std::future::Future<Output = ()>,
) -> Result<(), String> {
    let (tx, mut rx) = mpsc::unbounded_channel::<()>();
    let name = path.file_name().map(ToOwned::to_owned);
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    let mut watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        // Only events that touch the fact base file itself (saved in place or renamed over),
        // or Kubernetes' `..data` symlink, which it swaps to update a mounted ConfigMap.
        let ours = |p: &PathBuf| {
            let file = p.file_name();
            file == name.as_deref()
                || file
                    .and_then(|f| f.to_str())
                    .is_some_and(|f| f.starts_with("..data"))
        };
        if let Ok(event) = event {
            if event.paths.iter().any(ours) && !event.kind.is_access() {
                let _ = tx.send(());
            }
        }
    })
    .map_err(|e| format!("cannot watch {}: {e}", dir.display()))?;
    watcher
        .watch(&dir, RecursiveMode::NonRecursive)
        .map_err(|e| format!("cannot watch {}: {e}", dir.display()))?;
    info!(path = %path.display(), "watching the fact base for changes (SIGHUP reloads too)");

    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let why = tokio::select! {
            () = hangups.next() => "SIGHUP",
            Some(()) = rx.recv() => {
                // Debounce: wait until the file has been quiet for a moment.
                while let Ok(Some(())) = tokio::time::timeout(DEBOUNCE, rx.recv()).await {}
                "file change"
            }
            () = &mut shutdown => return Ok(()),
        };
        if !path.exists() {
            warn!(path = %path.display(), "the fact base file is missing (mid-save?); keeping the current version");
            continue;
        }
        if reload(&path, &served, why).await {
            commands.send_modify(|generation| *generation += 1);
        }
    }
}
