//! Ways invocations arrive and replies leave. Each converts its input to an
//! [`crate::engine::Invocation`] and sends [`crate::engine::Response::to_json`] unchanged.

pub mod cli;
pub mod gateway;
pub mod http;
pub mod interaction;
pub mod reload;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use arc_swap::ArcSwap;
use tokio::sync::Notify;

use crate::engine::{Engine, Invocation, Response};

/// The engine every transport answers from; swapped whole on reload, so an interaction always
/// sees one consistent fact base.
pub type SharedEngine = Arc<Served>;

/// The fact base being served, and how the last reload went.
pub struct Served {
    engine: ArcSwap<Engine>,
    /// The errors of the last failed reload (cleared by a successful one).
    reload_error: std::sync::Mutex<Option<String>>,
}

impl Served {
    /// The current engine (cheap; hold it for one interaction only).
    pub fn load(&self) -> arc_swap::Guard<Arc<Engine>> {
        self.engine.load()
    }

    /// The current engine as an owned `Arc`.
    pub fn load_full(&self) -> Arc<Engine> {
        self.engine.load_full()
    }

    /// Serves `engine` from now on.
    pub fn replace(&self, engine: Engine) {
        self.engine.store(Arc::new(engine));
        *self
            .reload_error
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = None;
    }

    /// Records a failed reload (the old engine keeps serving).
    pub fn reload_failed(&self, errors: String) {
        self.replace_error(Some(errors));
    }

    /// Sets or clears the last reload's errors.
    pub fn replace_error(&self, errors: Option<String>) {
        *self
            .reload_error
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = errors;
    }

    /// The errors of the last reload, if it failed.
    pub fn reload_error(&self) -> Option<String> {
        self.reload_error
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }
}

/// Wraps an engine for sharing.
pub fn shared(engine: Engine) -> SharedEngine {
    Arc::new(Served {
        engine: ArcSwap::from_pointee(engine),
        reload_error: std::sync::Mutex::new(None),
    })
}

/// The transports' clock: the system clock, optionally shifted so that it starts at a chosen
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

/// Answers an invocation: `/digest` goes to the digest service when this process has one,
/// everything else to the engine.
pub fn respond(
    engine: &Engine,
    digest: Option<&crate::digest::Service>,
    inv: &Invocation,
) -> Response {
    match digest {
        Some(service) if inv.command == "digest" && inv.focused.is_none() => {
            let mut reply = service.answer(engine, inv);
            reply.fit();
            Response::Message(reply)
        }
        _ => engine.dispatch(inv),
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
