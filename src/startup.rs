//! Start-up and shutdown of `factdesk serve` (and `register`), callable from tests: what runs is
//! decided from the resolved [`Settings`], every part gets the same shutdown signal, and
//! [`run`] returns once they have all stopped — no new work, work in flight finished, the
//! database closed. The binary only parses arguments and maps the result to an exit code.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use tokio::sync::watch;
use tokio::task::JoinSet;

use crate::config::{self, Settings};
use crate::digest::{self, Service};
use crate::engine::alerts::Alerts;
use crate::engine::misses::Misses;
use crate::engine::{Services, Subscriptions};
use crate::facts::LoadError;
use crate::serving::cooldown::{Cooldowns, Locate};
use crate::serving::reload::Hangups;
use crate::serving::{self, Clock, Served};
use crate::transport::{gateway, http};

/// Why `serve` or `register` could not run, or stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    /// The fact base is invalid: reported with file:line:column.
    #[error(transparent)]
    Facts(#[from] LoadError),
    /// The operator's settings do not allow a start (nothing to serve, a missing key).
    #[error("{0}")]
    Settings(String),
    /// The configuration file names what the fact base does not have (a channel's `locale`):
    /// reported with file:line:column.
    #[error(transparent)]
    Config(#[from] config::ConfigError),
    #[error(transparent)]
    Store(#[from] digest::StoreError),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error(transparent)]
    Gateway(#[from] gateway::GatewayError),
    /// A part stopped with an error while serving.
    #[error("{0}")]
    Stopped(String),
}

impl From<StartupError> for crate::transport::cli::CliError {
    fn from(e: StartupError) -> Self {
        match e {
            StartupError::Facts(e) => Self::Load(e),
            StartupError::Config(e) => Self::Config(e),
            other => Self::Failed(other.to_string()),
        }
    }
}

/// What `serve` was asked for beyond the configuration.
#[derive(Debug, Default)]
pub struct Options {
    /// Do not run the digest scheduler in this process. (With a shared database, `/digest`
    /// still manages subscriptions here: HTTP replicas answer it.)
    pub no_digest: bool,
    /// Start the clock at this instant; it runs on from there.
    pub now: Option<jiff::Timestamp>,
    /// SIGHUP, if the caller caught it already (the binary does, before reading its
    /// configuration); else [`run`] catches it first thing.
    pub hangups: Option<Hangups>,
}

/// The gateway's settings, when a token is set.
pub fn gateway_config(s: &Settings) -> Result<gateway::Config, StartupError> {
    let token = config::token().ok_or_else(|| StartupError::Settings("DISCORD_TOKEN is not set; export the bot token from the Discord Developer Portal (Bot → Token)".into()))?;
    Ok(gateway::Config {
        token,
        api_base: s.api_base.clone(),
        application_id: s.application_id,
        register: s.register.then_some(scope(s)),
        state_dir: s.state_dir.clone(),
        commands_changed: None,
    })
}

/// Where commands are registered: the configured guild, or globally.
pub fn scope(s: &Settings) -> gateway::Scope {
    s.guild
        .map_or(gateway::Scope::Global, gateway::Scope::Guild)
}

/// `factdesk register`: overwrites the application's commands with the fact base's.
pub async fn register(s: &Settings) -> Result<String, StartupError> {
    let config = gateway_config(s)?;
    let engine = crate::engine::Engine::load(&s.facts)?;
    let count = gateway::register(&config, &engine, scope(s)).await?;
    let place = s
        .guild
        .map_or("global".to_owned(), |g| format!("guild {g}"));
    Ok(format!("registered {count} commands ({place})"))
}

/// `factdesk invite`: the OAuth2 URL adding the bot to a server (the application id from the
/// configuration, or looked up with the token), and why each permission is asked for.
pub async fn invite(s: &Settings) -> Result<(String, Vec<&'static str>), StartupError> {
    let id = match s.application_id {
        Some(id) => id,
        None => {
            let config = gateway_config(s).map_err(|_| {
                StartupError::Settings("set DISCORD_APPLICATION_ID (Developer Portal → General Information → Application ID), or DISCORD_TOKEN to look it up".into())
            })?;
            gateway::application_id(&config).await?
        }
    };
    let digest = s.digest_enabled;
    Ok((
        crate::transport::cli::invite::url(id, digest),
        crate::transport::cli::invite::reasons(digest),
    ))
}

/// What `serve` keeps in the digest database, opened once: the digest service (posting, when
/// this process runs the `scheduler`; `/digest subscribe` also without it when the database
/// is shared, so HTTP replicas answer it) and the missed-question log; and what handlers may
/// call of them.
async fn state(
    s: &Settings,
    scheduler: bool,
) -> Result<(Option<Arc<Service>>, Services), StartupError> {
    let manages = scheduler || s.database.shared();
    let store = match manages || s.record_misses {
        true => Some(s.database.open().await?),
        false => None,
    };
    let service = match &store {
        Some(store) if manages => {
            // Only a scheduler makes the configured subscriptions exactly its file's: an HTTP
            // replica (often started without the file) must not delete them.
            if scheduler {
                store.sync_config(&s.subscriptions, true).await?;
                store
                    .sync_alert_config(&s.alert_subscriptions, true)
                    .await?;
            }
            Some(Arc::new(Service::new(Arc::clone(store), s.digest())))
        }
        _ => None,
    };
    let misses = match (store, s.record_misses) {
        (Some(store), true) => Some(Arc::new(digest::MissLog::start(store)) as Arc<dyn Misses>),
        _ => None,
    };
    let services = Services {
        subscriptions: service.clone().map(|d| d as Arc<dyn Subscriptions>),
        misses,
        alerts: service.clone().map(|d| d as Arc<dyn Alerts>),
    };
    Ok((service, services))
}

/// The cooldowns `serve` applies, as configured; a repeat's link is found through the
/// interaction webhook (no bot token needed, so HTTP-only replicas link too).
fn cooldowns(s: &Settings) -> Cooldowns {
    let locate = crate::transport::followup::FollowUp::new(s.api_base.as_deref());
    Cooldowns::new(
        s.cooldown,
        s.user_rate_per_minute,
        Some(Arc::new(locate) as Arc<dyn Locate>),
    )
}

/// The gateway's settings (with a token, unless `gateway` is off) and the HTTP endpoint's key
/// (with `--http`); an error when the process would serve nothing. A digest worker
/// (`--no-gateway` with the scheduler) serves neither: it only posts.
fn transports(
    s: &Settings,
    scheduler: bool,
) -> Result<(Option<gateway::Config>, Option<ed25519_dalek::VerifyingKey>), StartupError> {
    let gateway = match config::token() {
        Some(_) if s.gateway => Some(gateway_config(s)?),
        _ if s.http.is_some() || (!s.gateway && scheduler) => None,
        _ => return Err(StartupError::Settings("nothing to serve: set DISCORD_TOKEN for the gateway bot, and/or --http ADDR (FACTDESK_HTTP_ADDR) for the HTTP interactions endpoint; or run a digest worker with --no-gateway".into())),
    };
    let key = match s.http {
        Some(_) => Some(
            http::public_key(std::env::var("DISCORD_PUBLIC_KEY").ok().as_deref())
                .map_err(|e| StartupError::Settings(e.to_string()))?,
        ),
        None => None,
    };
    Ok((gateway, key))
}

/// Runs what `s` configures — gateway (with `DISCORD_TOKEN`), HTTP endpoint, metrics, digest
/// scheduler and hot reload — until `shutdown` resolves or one part fails, then stops them all.
pub async fn run(
    s: &Settings,
    options: Options,
    shutdown: impl Future<Output = ()>,
) -> Result<(), StartupError> {
    // Before anything slow: until SIGHUP is caught, one ends the process.
    let hangups = match options.hangups {
        Some(hangups) => hangups,
        None => Hangups::catch()
            .map_err(|e| StartupError::Settings(format!("cannot listen for SIGHUP: {e}")))?,
    };
    let scheduler = s.digest_enabled && !options.no_digest;
    let (gateway, key) = transports(s, scheduler)?;
    // Served facts pass the same checks as `factdesk check` and every reload; the channels'
    // configured languages are the fact base's — before the subscriptions are synced.
    let started = std::time::Instant::now();
    let engine = serving::build(&s.facts)?;
    s.post_locales.check(&engine.facts().locales)?;
    crate::telemetry::record_fact_base(
        engine.version(),
        engine.facts().facts.len(),
        started.elapsed(),
    );
    let (digest, services) = state(s, scheduler).await?;
    let clock = options.now.map_or_else(Clock::system, Clock::starting_at);
    let served = Served::with_cooldowns(engine, clock, services, cooldowns(s));
    let (stop, stopped) = watch::channel(false);
    let mut tasks = Parts {
        set: JoinSet::new(),
        stopped,
    };
    tasks.http(s, &served, key).await?;
    let done = tasks.signal();
    tasks.set.spawn(async move {
        crate::telemetry::upkeep(done).await;
        Ok(())
    });
    let grace = s.shutdown_grace;
    if let Some(service) = digest.filter(|_| scheduler) {
        let (alerts, served_alerts, done) = (service.clone(), served.clone(), tasks.signal());
        tasks.set.spawn(async move {
            alerts.run_alerts(served_alerts, grace, done).await;
            Ok(())
        });
        let (served, done) = (served.clone(), tasks.signal());
        tasks.set.spawn(async move {
            service.run(served, grace, done).await;
            Ok(())
        });
    }
    let (commands_tx, commands_rx) = watch::channel(0u64);
    let (path, reload_served, done) = (s.facts.clone(), served.clone(), tasks.signal());
    tasks.set.spawn(async move {
        serving::reload::run(path, reload_served, commands_tx, hangups, done).await
    });
    if let Some(mut config) = gateway {
        config.commands_changed = Some(commands_rx);
        let (served, done) = (served.clone(), tasks.signal());
        tasks.set.spawn(async move {
            gateway::run(served, config, done)
                .await
                .map_err(|e| e.to_string())
        });
    }
    tasks.until(shutdown, stop, grace).await
}

/// The running parts and the signal that stops them.
struct Parts {
    set: JoinSet<Result<(), String>>,
    stopped: watch::Receiver<bool>,
}

impl Parts {
    /// A future that resolves when the parts are told to stop.
    fn signal(&self) -> impl Future<Output = ()> + Send + 'static {
        let mut rx = self.stopped.clone();
        async move {
            let _ = rx.wait_for(|stop| *stop).await;
        }
    }

    /// Binds and serves the HTTP endpoint (with `key`) and the metrics listener, as configured.
    async fn http(
        &mut self,
        s: &Settings,
        served: &Arc<Served>,
        key: Option<ed25519_dalek::VerifyingKey>,
    ) -> Result<(), StartupError> {
        let endpoint = s.http.zip(key).map(|(addr, key)| {
            let followup = crate::transport::followup::FollowUp::new(s.api_base.as_deref());
            (addr, http::router(served.clone(), key, followup))
        });
        let metrics = s
            .metrics
            .map(|addr| (addr, http::metrics_router(served.clone())));
        for (addr, app) in [endpoint, metrics].into_iter().flatten() {
            let (listener, _) = http::bind(addr)
                .await
                .map_err(|source| StartupError::Bind { addr, source })?;
            let done = self.signal();
            let grace = s.shutdown_grace;
            self.set.spawn(async move {
                let limits = http::Limits {
                    shutdown_grace: grace,
                    ..http::Limits::default()
                };
                http::serve_with(listener, app, limits, done)
                    .await
                    .map_err(|e| format!("HTTP server on {addr} failed: {e}"))
            });
        }
        Ok(())
    }

    /// Waits for `shutdown` or the first part to stop, then stops the rest — each finishes
    /// its work in flight within `grace`; whatever is still running a little after that is
    /// aborted, so shutdown is bounded on every path — and collects every error.
    async fn until(
        mut self,
        shutdown: impl Future<Output = ()>,
        stop: watch::Sender<bool>,
        grace: std::time::Duration,
    ) -> Result<(), StartupError> {
        let mut errors = Vec::new();
        let mut collect = |result: Result<Result<(), String>, tokio::task::JoinError>| {
            if let Ok(Err(message)) | Err(message) = result.map_err(|e| e.to_string()) {
                tracing::error!(error = %message, "stopped");
                errors.push(message);
            }
        };
        tokio::select! {
            () = shutdown => {}
            Some(result) = self.set.join_next() => collect(result),
        }
        let _ = stop.send(true);
        // Parts bound their own draining by `grace`; this is the backstop.
        let deadline = tokio::time::Instant::now() + grace + std::time::Duration::from_secs(2);
        loop {
            match tokio::time::timeout_at(deadline, self.set.join_next()).await {
                Ok(Some(result)) => collect(result),
                Ok(None) => break,
                Err(_) => {
                    tracing::warn!(
                        parts = self.set.len(),
                        "still running at the shutdown deadline; stopping them"
                    );
                    self.set.abort_all();
                    break;
                }
            }
        }
        tracing::info!("stopped");
        match errors.is_empty() {
            true => Ok(()),
            false => Err(StartupError::Stopped(errors.join("; "))),
        }
    }
}

/// Resolves on SIGINT (Ctrl-C) or SIGTERM (systemd, Kubernetes, docker stop).
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
    tracing::info!("shutdown signal received");
}
