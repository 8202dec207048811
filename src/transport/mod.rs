//! Ways invocations arrive and replies leave. Each converts its input to an
//! [`crate::engine::Invocation`] and sends [`crate::engine::Response::to_json`] unchanged.

pub mod cli;
pub mod gateway;
pub mod http;
pub mod interaction;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use arc_swap::ArcSwap;
use tokio::sync::Notify;

use crate::engine::Engine;

/// The engine every transport answers from; swapped whole on reload, so an interaction always
/// sees one consistent fact base.
pub type SharedEngine = Arc<ArcSwap<Engine>>;

/// Wraps an engine for sharing.
pub fn shared(engine: Engine) -> SharedEngine {
    Arc::new(ArcSwap::from_pointee(engine))
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
