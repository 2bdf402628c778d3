//! A circuit breaker for a consumer's API calls.
//!
//! Owns the breaker's states: closed (calls go out; consecutive failures are counted), open
//! (after `failures` consecutive failures no call goes out for `open`), half-open (one probe call;
//! a success closes the breaker, a failure opens it again). One breaker per row, shared by its
//! poller and its fetcher, since both call the same API. It decides when a call may go; the
//! callers wait, and the row's books count openings and the calls the open breaker saved.

use serde::{Deserialize, Serialize};

use crate::support::units::Micros;

/// `[strategies] circuit_breaker = { failures = 5, open = "30s" }`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct BreakerConfig {
    /// Consecutive failures that open it.
    pub failures: u32,
    /// How long it stays open before a probe.
    #[serde(
        rename = "open_s",
        serialize_with = "crate::support::units::secs",
        deserialize_with = "crate::support::units::de_secs"
    )]
    pub open: Micros,
}

/// The breaker's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Closed {
        failures: u32,
    },
    Open {
        until: Micros,
    },
    /// The open period is over: one probe may go out, and its answer decides.
    HalfOpen {
        probe_out: bool,
    },
}

/// One row's circuit breaker.
#[derive(Debug, Clone)]
pub struct Breaker {
    cfg: BreakerConfig,
    state: State,
}

impl Breaker {
    /// A closed breaker.
    pub fn new(cfg: BreakerConfig) -> Self {
        Breaker { cfg, state: State::Closed { failures: 0 } }
    }

    /// When a call wanted at `now` may go out: `now`, the end of the open period, or — while
    /// another call is the probe — one open period later, to ask again.
    pub fn ready_at(&mut self, now: Micros) -> Micros {
        match self.state {
            State::Open { until } if now < until => until,
            State::Open { .. } => {
                self.state = State::HalfOpen { probe_out: false };
                now
            }
            State::HalfOpen { probe_out: true } => now + self.cfg.open,
            _ => now,
        }
    }

    /// A call goes out at `now`; past the open period it is the probe.
    pub fn sent(&mut self, now: Micros) {
        self.ready_at(now);
        if let State::HalfOpen { .. } = self.state {
            self.state = State::HalfOpen { probe_out: true };
        }
    }

    /// A call succeeded.
    pub fn success(&mut self) {
        self.state = State::Closed { failures: 0 };
    }

    /// A call failed at `now`: true if that opened the breaker (it stays open until `now` plus
    /// `open`).
    pub fn failure(&mut self, now: Micros) -> bool {
        let failures = match self.state {
            State::Closed { failures } => failures + 1,
            State::HalfOpen { .. } => self.cfg.failures,
            State::Open { .. } => return false,
        };
        if failures >= self.cfg.failures {
            self.state = State::Open { until: now + self.cfg.open };
            true
        } else {
            self.state = State::Closed { failures };
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opens_after_n_failures_probes_then_closes() {
        let mut b = Breaker::new(BreakerConfig { failures: 3, open: 30 });
        assert!(!b.failure(0) && !b.failure(1));
        assert!(b.failure(2), "the third consecutive failure opens it");
        assert_eq!(b.ready_at(10), 32);
        assert_eq!(b.ready_at(32), 32, "half-open: one probe");
        b.sent(32);
        assert_eq!(b.ready_at(32), 62, "the probe is out: others wait");
        assert!(b.failure(33), "a failed probe opens it again");
        assert_eq!(b.ready_at(40), 63);
        assert_eq!(b.ready_at(63), 63);
        b.success();
        assert!(!b.failure(70), "closed again: counting from zero");
    }
}
