//! The subscriber's receiver, as the emitter meets it: up, down, failing or slow.
//!
//! Owns the fault model of the receiving endpoint — outage windows (connections refused), a
//! failure rate (5xx), and slow answers that arrive after the work was done — and decides how
//! one delivery attempt is answered. Deduplication and signature checks belong to the consumer
//! and to `signature`; this module never sees a socket or a clock. It owns the
//! [`ReceiverConfig`] a scenario fills in.

use serde::{Deserialize, Serialize};

use crate::model::capacity::CapacityConfig;
use crate::model::dist::Rng;
use crate::model::emitter::AttemptOutcome;
pub use crate::model::window::Window;
use crate::support::units::Micros;

/// The subscriber's receiver and its faults.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ReceiverConfig {
    /// Share of deliveries answered with a 5xx.
    pub failure_rate: f64,
    /// Share of deliveries processed but answered only after `slow`.
    pub slow_rate: f64,
    /// How late a slow answer comes.
    #[serde(
        rename = "slow_s",
        serialize_with = "crate::support::units::secs",
        deserialize_with = "crate::support::units::de_secs"
    )]
    pub slow: Micros,
    /// Windows in which the receiver is down (connections refused).
    pub outages: Vec<Window>,
    /// From this time on the endpoint answers `410 Gone` (the emitter disables it).
    #[serde(
        rename = "gone_at_s",
        serialize_with = "crate::support::units::opt_secs",
        deserialize_with = "crate::support::units::de_opt_secs"
    )]
    pub gone_at: Option<Micros>,
    /// Processing capacity (workers, work per delivery, when it answers); shown only when set.
    #[serde(default, skip_serializing_if = "CapacityConfig::is_transparent")]
    pub capacity: CapacityConfig,
}

/// How the receiver answers one attempt arriving at a given time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// Processed and answered 2xx at once.
    Accept,
    /// Down: connection refused; nothing processed.
    Refused,
    /// Answered 5xx; nothing processed.
    Error,
    /// Processed, but the 2xx comes only after this long.
    Slow(Micros),
    /// `410 Gone`: the subscription no longer exists; nothing processed.
    Gone,
}

impl Answer {
    /// Whether the consumer got the event.
    pub fn processed(self) -> bool {
        matches!(self, Answer::Accept | Answer::Slow(_))
    }

    /// How the sender sees this answer with a per-attempt `timeout`: `None` when no answer
    /// comes within it (the attempt fails when the timeout fires).
    pub fn outcome(self, timeout: Micros) -> Option<AttemptOutcome> {
        match self {
            Answer::Accept => Some(AttemptOutcome::Success),
            Answer::Slow(d) if d <= timeout => Some(AttemptOutcome::Success),
            Answer::Slow(_) => None,
            Answer::Refused | Answer::Error => Some(AttemptOutcome::Failure),
            Answer::Gone => Some(AttemptOutcome::Gone),
        }
    }
}

/// The receiver's faults.
#[derive(Debug, Clone)]
pub struct Receiver {
    cfg: ReceiverConfig,
}

impl Receiver {
    /// A receiver with the scenario's faults.
    pub fn new(cfg: &ReceiverConfig) -> Self {
        Receiver { cfg: cfg.clone() }
    }

    /// Whether the receiver is down at `now`.
    pub fn down(&self, now: Micros) -> bool {
        self.cfg.outages.iter().any(|w| w.contains(now))
    }

    /// The answer to an attempt arriving at `now`.
    pub fn answer(&self, now: Micros, rng: &mut Rng) -> Answer {
        if self.cfg.gone_at.is_some_and(|g| now >= g) {
            return Answer::Gone;
        }
        if self.down(now) {
            return Answer::Refused;
        }
        if self.cfg.failure_rate == 0.0 && self.cfg.slow_rate == 0.0 {
            return Answer::Accept;
        }
        let u = rng.unit();
        if u < self.cfg.failure_rate {
            Answer::Error
        } else if u < self.cfg.failure_rate + self.cfg.slow_rate {
            Answer::Slow(self.cfg.slow)
        } else {
            Answer::Accept
        }
    }
}
