//! The mock provider, built once: the source server's state and one emitter per subscription.
//!
//! Owns the wiring that `compare --engine live` and `hookbench serve` share: one event log, the
//! [`SourceState`] that answers the API over it, and for each webhook subscription a
//! [`LiveOutbox`] registered under `GET /dead-letters` with its delivery task started. It binds
//! no socket and decides nothing of the model.

use std::sync::{Arc, Mutex};

use crate::live::clock::Clock;
use crate::live::emitter::{self, Destination, Emitting, LiveOutbox};
use crate::live::source::SourceState;
use crate::live::transport::HttpClient;
use crate::model::source::EventLog;
use crate::scenario::Scenario;

/// A subscription: its name (under `/dead-letters`, and its random stream) and where it delivers.
pub struct Subscription {
    /// The name.
    pub name: String,
    /// The target.
    pub target: Destination,
}

/// The running provider.
pub struct Provider {
    /// The API's state (serve it with [`crate::live::source::router`]).
    pub source: Arc<SourceState>,
    /// The subscriptions' outboxes, in the order given.
    pub outboxes: Vec<Arc<Mutex<LiveOutbox>>>,
}

/// Starts the provider of `scenario`'s events: the API state now, each subscription's emitter
/// task on the current tokio runtime. No attempt goes out after the scenario's end plus drain.
pub fn start(
    scenario: &Arc<Scenario>,
    log: &Arc<EventLog>,
    clock: Clock,
    client: &HttpClient,
    subscriptions: Vec<Subscription>,
) -> Provider {
    let source = SourceState::new(scenario.clone(), log.clone(), clock);
    let end = scenario.duration.saturating_add(scenario.drain);
    let outboxes = subscriptions
        .into_iter()
        .map(|sub| {
            let outbox = LiveOutbox::new(scenario, log.len(), &sub.name);
            source.register_emitter(&sub.name, outbox.clone());
            tokio::spawn(emitter::run(Emitting {
                scenario: scenario.clone(),
                log: log.clone(),
                clock,
                client: client.clone(),
                target: sub.target,
                outbox: outbox.clone(),
                end,
            }));
            outbox
        })
        .collect();
    Provider { source, outboxes }
}
