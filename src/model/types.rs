//! Event types: the mix a source emits, and which of them the integration wants.
//!
//! Owns the [`EventTypes`] a scenario's `[events] types` fills in (each type's share of the
//! stream) and the [`Interest`] the source and the books read: the types the integration
//! subscribes to (`[webhook] subscribe`; all of them when it names none) and whether the API
//! can filter its event list to them (`[api] type_filter`, as Stripe's `types[]` does).
//!
//! Where the API filters, an unsubscribed event never reaches anyone: the source leaves it out
//! of the stream (thinning a Poisson stream by type gives a Poisson stream of the subscribed
//! share). Where it cannot, the event stays in the log: pollers fetch it (bytes, and pages it
//! fills), the emitter never sends it, and the books count it neither as produced nor as
//! detected — it is not an event of interest. A type is drawn for every arrival from its own
//! random stream, so a scenario without types draws exactly what it drew before.

use serde::{Deserialize, Serialize};

use crate::model::dist::Rng;

/// The event types a source emits, each with its share of the stream (weights, normalised).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct EventTypes {
    /// Type names, in the order the scenario gave them.
    pub names: Vec<String>,
    /// Relative weight of each (same length as `names`; only ratios matter).
    pub weights: Vec<f64>,
}

impl EventTypes {
    /// Whether the scenario named no types (one implicit type, always wanted).
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// The index of type `name`.
    pub fn index(&self, name: &str) -> Option<usize> {
        self.names.iter().position(|n| n == name)
    }
}

/// Which event types the integration wants, as the source and the books read it.
#[derive(Debug, Clone, Default)]
pub struct Interest {
    /// Cumulative shares, ending at 1 (empty: no types).
    cumulative: Vec<f64>,
    /// Per type: subscribed.
    wanted: Vec<bool>,
    /// The API filters its event list to the subscribed types.
    filtered: bool,
}

impl Interest {
    /// The interest of `types` with `subscribe` (empty: every type) and the API's filter.
    pub fn new(types: &EventTypes, subscribe: &[String], filtered: bool) -> Self {
        if types.is_empty() {
            return Interest::default();
        }
        let total: f64 = types.weights.iter().sum();
        let mut acc = 0.0;
        let mut cumulative: Vec<f64> = types
            .weights
            .iter()
            .map(|w| {
                acc += w / total;
                acc
            })
            .collect();
        if let Some(last) = cumulative.last_mut() {
            *last = 1.0;
        }
        let wanted = types.names.iter().map(|n| subscribe.is_empty() || subscribe.contains(n)).collect();
        Interest { cumulative, wanted, filtered }
    }

    /// Whether the source has types at all (else every event is type 0 and wanted).
    pub fn typed(&self) -> bool {
        !self.cumulative.is_empty()
    }

    /// Draws an arrival's type.
    pub fn draw(&self, rng: &mut Rng) -> u16 {
        if self.cumulative.len() <= 1 {
            return 0;
        }
        let u = rng.unit();
        self.cumulative.partition_point(|&c| c <= u).min(self.cumulative.len() - 1) as u16
    }

    /// Whether type `kind` is subscribed.
    #[inline]
    pub fn wanted(&self, kind: u16) -> bool {
        self.wanted.get(kind as usize).copied().unwrap_or(true)
    }

    /// Whether an arrival of type `kind` enters the stream at all: not where the API filters
    /// it out for everyone.
    pub fn emitted(&self, kind: u16) -> bool {
        !self.filtered || self.wanted(kind)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mix() -> EventTypes {
        EventTypes {
            names: vec!["charge.succeeded".into(), "customer.updated".into(), "invoice.paid".into()],
            weights: vec![2.0, 1.0, 1.0],
        }
    }

    #[test]
    fn draws_follow_the_shares() {
        let i = Interest::new(&mix(), &[], false);
        let mut rng = Rng::new(3, "types");
        let mut counts = [0u32; 3];
        let n = 40_000;
        for _ in 0..n {
            counts[i.draw(&mut rng) as usize] += 1;
        }
        // Binomial: 4 standard deviations.
        for (k, p) in [(0, 0.5), (1, 0.25), (2, 0.25)] {
            let sd = (n as f64 * p * (1.0 - p)).sqrt();
            assert!((f64::from(counts[k]) - n as f64 * p).abs() < 4.0 * sd, "{counts:?}");
        }
    }

    #[test]
    fn what_is_wanted_and_what_is_emitted() {
        let t = mix();
        let sub = vec!["charge.succeeded".to_string()];
        let unfiltered = Interest::new(&t, &sub, false);
        assert!(unfiltered.wanted(0) && !unfiltered.wanted(1) && unfiltered.emitted(1));
        let filtered = Interest::new(&t, &sub, true);
        assert!(!filtered.emitted(1) && filtered.emitted(0));
        assert!(Interest::default().wanted(0) && Interest::default().emitted(0));
    }
}
