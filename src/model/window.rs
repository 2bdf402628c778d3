//! A span of time: when an outage starts and how long it lasts.
//!
//! Owns the one window type every fault uses (receiver and API outages, the provider's delivery
//! outages) so that none of those modules needs another's. Plain data, no clock.

use serde::{Deserialize, Serialize};

use crate::support::units::Micros;

/// A span of time.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq)]
pub struct Window {
    /// Start.
    #[serde(
        rename = "at_s",
        serialize_with = "crate::support::units::secs",
        deserialize_with = "crate::support::units::de_secs"
    )]
    pub at: Micros,
    /// Length.
    #[serde(
        rename = "duration_s",
        serialize_with = "crate::support::units::secs",
        deserialize_with = "crate::support::units::de_secs"
    )]
    pub duration: Micros,
}

impl Window {
    /// Whether `t` falls inside.
    pub fn contains(&self, t: Micros) -> bool {
        t >= self.at && t < self.at.saturating_add(self.duration)
    }
}
