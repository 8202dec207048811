//! The serving state every transport shares: the live fact base (hot-swapped on reload), the
//! clock, the services handlers may call, in-flight tracking for shutdown, and the one answer
//! path (span, dispatch, cooldowns, metrics, outcome) that the gateway and the HTTP endpoint
//! both take.
//!
//! Transports import this module; it imports only the engine (and the fact base's loader), never
//! a transport, so there is no import circle. It never formats a reply: even the replies its
//! cooldowns send are worded by the engine.

pub mod cooldown;
pub mod reload;

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use arc_swap::ArcSwap;
use tokio::sync::Notify;
use tracing::Instrument;

use crate::engine::{Engine, Invocation, Response, Services};
use crate::facts::LoadError;
use cooldown::Cooldowns;

/// Loads, validates, compiles and lints the fact base: what `factdesk check`, `serve` start-up
/// and every reload do, so served facts always pass the same checks.
pub fn build(path: &Path) -> Result<Engine, LoadError> {
    lint(Engine::load(path)?)
}

/// [`build`] on a fact base held in memory (`path` names it and locates its source files):
/// how the editors' commands check an edit before writing it.
pub fn build_bytes(bytes: &[u8], path: &Path) -> Result<Engine, LoadError> {
    lint(Engine::new(crate::facts::parse_bytes(bytes, path)?)?)
}

/// The engine, if every command and the digest render within Discord's limits.
fn lint(engine: Engine) -> Result<Engine, LoadError> {
    let problems = engine.lint();
    if problems.is_empty() {
        for w in engine.warnings() {
            let line = w.line(&engine.facts().path, &engine.facts().text);
            tracing::warn!(warning = %line, "fact base warning");
        }
        Ok(engine)
    } else {
        Err(engine.facts().error(problems))
    }
}

/// The fact base being served and what answering needs besides it.
pub struct Served {
    engine: ArcSwap<Engine>,
    /// The errors of the last failed reload, without file paths (`/healthz` is public; the log
    /// has them in full); cleared by a successful reload.
    reload_error: Mutex<Option<String>>,
    clock: Clock,
    services: Services,
    in_flight: InFlight,
    cooldowns: Cooldowns,
    /// Counts fact-base swaps, for those who act on a reload (change alerts).
    swaps: tokio::sync::watch::Sender<u64>,
}

/// How long an answer may take before the transport sends a deferred response instead and
/// edits the answer in later: Discord fails an interaction not acknowledged within 3 s.
pub const DEFER_AFTER: Duration = Duration::from_secs(1);

/// An interaction answered now, or acknowledged now and answered later.
#[derive(Debug)]
pub enum Answered {
    Now(Answer),
    /// Send `deferred` now; when `answer` finishes, edit the original response to its reply.
    Later {
        deferred: Response,
        answer: tokio::task::JoinHandle<Answer>,
    },
}

/// One answered interaction: what to send, and how it is counted.
#[derive(Debug)]
pub struct Answer {
    pub response: Response,
    /// The command's name for metrics: a known command, or "unknown" (labels must stay few).
    pub label: String,
    /// "answered", or "refused" when the reply only explains a mistake (ephemeral).
    pub outcome: &'static str,
}

impl Served {
    /// Serves `engine`, answering at `clock`'s time with `services`, without cooldowns.
    pub fn new(engine: Engine, clock: Clock, services: Services) -> Arc<Served> {
        Served::with_cooldowns(engine, clock, services, Cooldowns::off())
    }

    /// Like [`Served::new`], holding answers back as `cooldowns` say (`serve`).
    pub fn with_cooldowns(
        engine: Engine,
        clock: Clock,
        services: Services,
        cooldowns: Cooldowns,
    ) -> Arc<Served> {
        Arc::new(Served {
            engine: ArcSwap::from_pointee(engine),
            reload_error: Mutex::new(None),
            clock,
            services,
            in_flight: InFlight::default(),
            cooldowns,
            swaps: tokio::sync::watch::channel(0).0,
        })
    }

    /// The current engine (hold it for one piece of work only).
    pub fn engine(&self) -> Arc<Engine> {
        self.engine.load_full()
    }

    /// The current instant on the serving clock.
    pub fn now(&self) -> jiff::Timestamp {
        self.clock.now()
    }

    /// The serving clock.
    pub fn clock(&self) -> Clock {
        self.clock
    }

    /// Serves `engine` from now on, and clears any reload error.
    pub fn replace(&self, engine: Engine) {
        self.engine.store(Arc::new(engine));
        self.set_reload_error(None);
        self.swaps.send_modify(|n| *n += 1);
    }

    /// Changes each time a new fact base is swapped in.
    pub fn swaps(&self) -> tokio::sync::watch::Receiver<u64> {
        self.swaps.subscribe()
    }

    /// Sets (a failed reload; the old engine keeps serving) or clears the last reload's errors.
    pub fn set_reload_error(&self, errors: Option<String>) {
        *self
            .reload_error
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = errors;
    }

    /// The errors of the last reload, if it failed.
    pub fn reload_error(&self) -> Option<String> {
        self.reload_error
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Work in progress, for shutdown to wait on (a transport enters it for the whole of an
    /// interaction, sending included).
    pub fn in_flight(&self) -> &InFlight {
        &self.in_flight
    }

    /// Answers `inv` from the current fact base. An answer that waits on a service (the
    /// digest database) longer than [`DEFER_AFTER`] keeps running in its own task and comes
    /// back as [`Answered::Later`], so the transport can acknowledge in time. The interaction
    /// metric is counted when the answer is ready, before the transport sends it. The
    /// cooldowns apply: a member over their rate is refused before dispatch, and a public answer
    /// already in the channel goes to the asker only (`from` is where this interaction can be
    /// found later, should its answer be the first). Call it inside [`span`].
    pub async fn answer(&self, inv: &Invocation, from: Option<&Reachable>) -> Answered {
        let engine = self.engine();
        if let Some(reply) = self.cooldowns.refuse(&engine, inv) {
            return Answered::Now(throttled(&engine, inv, reply));
        }
        let ephemeral = engine.answers_ephemerally(inv);
        let services = self.services.clone();
        let owned = inv.clone();
        let answering = engine.clone();
        let mut task = tokio::spawn(
            async move {
                let engine = answering;
                let started = Instant::now();
                let response = engine.dispatch(&owned, &services).await;
                counted(&engine, &owned, response, started)
            }
            .instrument(tracing::Span::current()),
        );
        // Autocomplete cannot be deferred; it never waits on a service anyway.
        let deadline = match inv.focused {
            Some(_) => Duration::MAX,
            None => DEFER_AFTER,
        };
        match tokio::time::timeout(deadline, &mut task).await {
            Ok(Ok(answer)) => Answered::Now(self.cooldowns.apply(&engine, inv, from, answer).await),
            Ok(Err(e)) => Answered::Now(failed(&engine, inv, &e)),
            Err(_) => {
                tracing::info!("the answer waits on a service; deferring");
                Answered::Later {
                    deferred: Response::Deferred { ephemeral },
                    answer: task,
                }
            }
        }
    }
}

/// The command's name for metrics: a known command, a button's kind, or "unknown" (labels
/// must stay few).
fn label(engine: &Engine, inv: &Invocation) -> String {
    match (&inv.component, engine.command(&inv.command)) {
        (Some(custom_id), _) => component_label(custom_id),
        (None, Some(c)) => c.name.clone(),
        (None, None) => "unknown".to_owned(),
    }
}

/// Counts and logs a finished answer.
fn counted(engine: &Engine, inv: &Invocation, response: Response, started: Instant) -> Answer {
    let label = label(engine, inv);
    let outcome = match &response {
        Response::Message(r) if r.refused => "refused",
        _ => "answered",
    };
    // Counted and (as the access log is set) logged.
    crate::telemetry::record_interaction(&label, outcome, started.elapsed());
    Answer {
        response,
        label,
        outcome,
    }
}

/// A button's name for metrics and logs: `button:` and its kind (`button:src`), or
/// `button:unknown` — never the rest of the `custom_id`, which varies per answer.
fn component_label(custom_id: &str) -> String {
    let prefix = custom_id.split(':').next().unwrap_or_default();
    match crate::engine::components::COMPONENTS
        .iter()
        .find(|c| c.prefix == prefix)
    {
        Some(c) => format!("button:{}", c.prefix),
        None => "button:unknown".to_owned(),
    }
}

/// The answer to a member over their rate limit (not dispatched): counted as "throttled".
fn throttled(engine: &Engine, inv: &Invocation, reply: crate::engine::Reply) -> Answer {
    let label = label(engine, inv);
    crate::telemetry::record_interaction(&label, "throttled", Duration::ZERO);
    Answer {
        response: Response::Message(reply),
        label,
        outcome: "throttled",
    }
}

/// What a later message about an interaction needs to reach it: the application and the
/// interaction token (a secret for 15 minutes: never logged). Deferred answers are edited in
/// through it, and the cooldowns find a first answer's message with it.
#[derive(Clone)]
pub struct Reachable {
    pub application_id: Option<u64>,
    pub token: String,
}

impl std::fmt::Debug for Reachable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reachable")
            .field("application_id", &self.application_id)
            .field("token", &"<redacted>")
            .finish()
    }
}

/// The answer when answering itself failed (a handler panicked): an apology in the reader's
/// language (`engine`'s words), and an error log.
pub fn failed(engine: &Engine, inv: &Invocation, e: &dyn std::fmt::Display) -> Answer {
    tracing::error!(command = %inv.command, error = %e, "answering failed");
    crate::telemetry::record_interaction("unknown", "failed", Duration::ZERO);
    let reply = crate::engine::notices::failed(engine.reader_language(inv));
    Answer {
        response: Response::Message(reply),
        label: "unknown".into(),
        outcome: "failed",
    }
}

/// The span one interaction is answered in: its id, command, kind and guild, and the
/// transport it came by. Never the interaction token.
pub fn span(inv: &Invocation, transport: &'static str) -> tracing::Span {
    let (kind, command) = match (&inv.component, &inv.focused) {
        (Some(custom_id), _) => ("button", component_label(custom_id)),
        (None, Some(_)) => ("autocomplete", inv.command.clone()),
        (None, None) => ("command", inv.command.clone()),
    };
    tracing::info_span!(
        "interaction",
        id = inv.id,
        command = %command,
        kind,
        transport,
        guild = inv.caller.guild_id,
    )
}

/// The serving clock: the system clock, optionally shifted so that it starts at a chosen
/// instant and runs on from there (`serve --now`, for demos and tests with a pinned date).
#[derive(Debug, Clone, Copy, Default)]
pub struct Clock {
    offset: jiff::SignedDuration,
}

impl Clock {
    /// The system clock.
    pub fn system() -> Clock {
        Clock::default()
    }

    /// A clock that reads `start` now and advances in real time.
    pub fn starting_at(start: jiff::Timestamp) -> Clock {
        Clock {
            offset: start.duration_since(jiff::Timestamp::now()),
        }
    }

    /// The current instant on this clock.
    pub fn now(&self) -> jiff::Timestamp {
        jiff::Timestamp::now()
            .checked_add(self.offset)
            .unwrap_or_else(|_| jiff::Timestamp::now())
    }
}

/// Counts work in progress so shutdown can wait for it.
#[derive(Default)]
pub struct InFlight {
    count: AtomicUsize,
    idle: Notify,
}

/// Marks one unit of work; dropping it ends the work.
pub struct InFlightGuard<'a>(&'a InFlight);

impl InFlight {
    /// Starts a unit of work.
    pub fn enter(&self) -> InFlightGuard<'_> {
        self.count.fetch_add(1, Ordering::SeqCst);
        InFlightGuard(self)
    }

    /// Waits until no work is in progress, at most `deadline`; `false` if time ran out.
    pub async fn drained(&self, deadline: Duration) -> bool {
        tokio::time::timeout(deadline, async {
            loop {
                let idle = self.idle.notified();
                if self.count.load(Ordering::SeqCst) == 0 {
                    return;
                }
                idle.await;
            }
        })
        .await
        .is_ok()
    }
}

impl Drop for InFlightGuard<'_> {
    fn drop(&mut self) {
        if self.0.count.fetch_sub(1, Ordering::SeqCst) == 1 {
            self.0.idle.notify_waiters();
        }
    }
}
