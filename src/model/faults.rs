//! Faults on the provider's side: an API that fails or goes down, and a delivery pipeline that
//! stops sending.
//!
//! Owns the fault configuration of the API (`[api]` `failure_rate`, `outages`, `slow_rate`,
//! `slow`) and of the provider's webhook pipeline (`[webhook]` `outages`), and decides, for one
//! request at one time, whether the API answers normally, slowly, with a 5xx, or not at all. It
//! draws from its own random stream, so a scenario without these keys draws nothing and every
//! result stays what it was. No sockets, no clock.

use serde::{Deserialize, Serialize};

use crate::model::dist::Rng;
use crate::model::window::Window;
use crate::support::units::{Micros, SECOND};

/// A window in which the API is down.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ApiOutage {
    /// When, and how long.
    #[serde(flatten)]
    pub window: Window,
    /// The live server refuses connections instead of answering 503 (the sim treats both as a
    /// failed request).
    pub refuse: bool,
}

/// The API's faults.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct ApiFaults {
    /// Share of answers that are 500/503.
    pub failure_rate: f64,
    /// Windows in which every request fails.
    pub outages: Vec<ApiOutage>,
    /// Share of answers delayed by `slow`.
    pub slow_rate: f64,
    /// How much later a slow answer comes.
    #[serde(
        rename = "slow_s",
        serialize_with = "crate::support::units::secs",
        deserialize_with = "crate::support::units::de_secs"
    )]
    pub slow: Micros,
}

impl ApiFaults {
    /// Whether any fault is configured.
    pub fn any(&self) -> bool {
        self.failure_rate > 0.0 || self.slow_rate > 0.0 || !self.outages.is_empty()
    }

    /// Whether nothing is configured (for `skip_serializing_if`).
    pub fn is_none(&self) -> bool {
        !self.any()
    }

    /// The outage covering `now`, if any.
    pub fn outage(&self, now: Micros) -> Option<&ApiOutage> {
        self.outages.iter().find(|o| o.window.contains(now))
    }

    /// The outages in which the live server refuses connections (`refuse = true`).
    pub fn refusals(&self) -> Vec<Window> {
        self.outages.iter().filter(|o| o.refuse).map(|o| o.window).collect()
    }
}

/// Whether one of `refusals` covers `now`.
pub fn refusing(refusals: &[Window], now: Micros) -> bool {
    refusals.iter().any(|w| w.contains(now))
}

/// When the first of `refusals` that begins after `now` begins, if one does.
pub fn next_refusal(refusals: &[Window], now: Micros) -> Option<Micros> {
    refusals.iter().map(|w| w.at).filter(|&at| at > now).min()
}

/// How the API meets one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Normally.
    None,
    /// Answered this much later than usual.
    Slow(Micros),
    /// Answered 5xx (or, in a refusing outage, not at all).
    Failed,
}

/// The faults of one client's view of the API, with their own random stream.
#[derive(Debug, Clone)]
pub struct FaultModel {
    cfg: ApiFaults,
    rng: Rng,
}

impl FaultModel {
    /// The faults of `cfg`, drawing from the stream `stream` of `seed`.
    pub fn new(cfg: &ApiFaults, seed: u64, stream: &str) -> Self {
        FaultModel { cfg: cfg.clone(), rng: Rng::new(seed, stream) }
    }

    /// How a request arriving at `now` is met.
    pub fn meet(&mut self, now: Micros) -> Fault {
        if self.cfg.outage(now).is_some() {
            return Fault::Failed;
        }
        if self.cfg.failure_rate == 0.0 && self.cfg.slow_rate == 0.0 {
            return Fault::None;
        }
        let u = self.rng.unit();
        if u < self.cfg.failure_rate {
            Fault::Failed
        } else if u < self.cfg.failure_rate + self.cfg.slow_rate {
            Fault::Slow(self.cfg.slow)
        } else {
            Fault::None
        }
    }
}

/// When an attempt due at `now` may go out: at once, or when the provider's delivery outage
/// covering `now` ends (the schedule does not advance while the provider itself is down).
pub fn provider_ready(outages: &[Window], now: Micros) -> Micros {
    let mut t = now;
    // Back-to-back windows: keep going until `t` is outside every one.
    while let Some(w) = outages.iter().find(|w| w.contains(t)) {
        t = w.at.saturating_add(w.duration);
    }
    t
}

/// The default `slow` of a slow API answer.
pub const DEFAULT_SLOW: Micros = 10 * SECOND;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outages_fail_everything_and_rates_follow_their_share() {
        let cfg = ApiFaults {
            failure_rate: 0.1,
            outages: vec![ApiOutage { window: Window { at: 100, duration: 50 }, refuse: false }],
            slow_rate: 0.2,
            slow: 7,
        };
        let mut m = FaultModel::new(&cfg, 1, "t");
        assert_eq!(m.meet(120), Fault::Failed);
        let n = 100_000;
        let (mut failed, mut slow) = (0, 0);
        for _ in 0..n {
            match m.meet(0) {
                Fault::Failed => failed += 1,
                Fault::Slow(7) => slow += 1,
                _ => {}
            }
        }
        assert!((f64::from(failed) / f64::from(n) - 0.1).abs() < 0.005);
        assert!((f64::from(slow) / f64::from(n) - 0.2).abs() < 0.005);
    }

    #[test]
    fn only_refusing_outages_refuse_and_the_next_one_is_found() {
        let cfg = ApiFaults {
            outages: vec![
                ApiOutage { window: Window { at: 100, duration: 50 }, refuse: false },
                ApiOutage { window: Window { at: 300, duration: 50 }, refuse: true },
                ApiOutage { window: Window { at: 200, duration: 50 }, refuse: true },
            ],
            ..ApiFaults::default()
        };
        let r = cfg.refusals();
        assert!(!refusing(&r, 120) && refusing(&r, 220) && refusing(&r, 349) && !refusing(&r, 350));
        assert_eq!(
            (next_refusal(&r, 0), next_refusal(&r, 200), next_refusal(&r, 300)),
            (Some(200), Some(300), None)
        );
    }

    #[test]
    fn a_provider_outage_holds_attempts_until_it_ends() {
        let w = [Window { at: 10, duration: 5 }, Window { at: 15, duration: 5 }];
        assert_eq!(provider_ready(&w, 3), 3);
        assert_eq!(provider_ready(&w, 12), 20);
    }
}
