//! What the strategies are configured with: the scenario's `[strategies]` section, and the few
//! numbers building one strategy takes.
//!
//! Owns [`StrategiesConfig`] (which kinds run, at which intervals, with which long-poll wait and
//! adaptive policy), the [`Adaptive`] interval policy, and [`StrategyParams`], the input of
//! [`Spec::build`](super::Spec::build). Plain data that the scenario parser fills in; it never
//! parses text and never imports the scenario, the report or an engine.

use serde::{Deserialize, Serialize};

use super::breaker::BreakerConfig;
use super::kind::StrategyKind;
use crate::model::emitter::Payload;
use crate::support::units::Micros;

/// Strategy defaults; command-line flags override.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StrategiesConfig {
    /// The poll intervals, each its own row per poll strategy.
    #[serde(
        rename = "intervals_s",
        serialize_with = "crate::support::units::secs_vec",
        deserialize_with = "crate::support::units::de_secs_vec"
    )]
    pub intervals: Vec<Micros>,
    /// Interval of `hybrid-reconcile`'s reconciliation poll.
    #[serde(
        rename = "reconcile_interval_s",
        serialize_with = "crate::support::units::secs",
        deserialize_with = "crate::support::units::de_secs"
    )]
    pub reconcile_interval: Micros,
    /// Which strategies run.
    pub list: Vec<StrategyKind>,
    /// How long `long-poll` asks the server to hold each request.
    #[serde(
        rename = "long_poll_wait_s",
        serialize_with = "crate::support::units::secs",
        deserialize_with = "crate::support::units::de_secs"
    )]
    pub long_poll_wait: Micros,
    /// The interval policy of `poll-adaptive`.
    pub adaptive: Adaptive,
    /// The circuit breaker on API calls, if any; shown only when set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub circuit_breaker: Option<BreakerConfig>,
}

/// `poll-adaptive`'s policy: after a poll that brings events the interval drops to `min`;
/// after an empty one it grows by `backoff`, up to `max`.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq)]
pub struct Adaptive {
    /// The interval after activity.
    #[serde(
        rename = "min_s",
        serialize_with = "crate::support::units::secs",
        deserialize_with = "crate::support::units::de_secs"
    )]
    pub min: Micros,
    /// The longest interval when idle.
    #[serde(
        rename = "max_s",
        serialize_with = "crate::support::units::secs",
        deserialize_with = "crate::support::units::de_secs"
    )]
    pub max: Micros,
    /// The factor an empty poll multiplies the interval by.
    pub backoff: f64,
}

/// Everything [`Spec::build`](super::Spec::build) needs besides the row's own kind and interval:
/// the strategy settings, and the few facts of the provider a strategy is built around. A
/// scenario converts into it (`impl From<&Scenario>` lives in the scenario module).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StrategyParams {
    /// The interval of a row that has none of its own (`hybrid-reconcile`'s reconcile poll).
    pub reconcile_interval: Micros,
    /// How long `long-poll` asks the server to hold each request.
    pub long_poll_wait: Micros,
    /// `poll-adaptive`'s interval policy.
    pub adaptive: Adaptive,
    /// The page size the cursor pollers ask for (the API's largest page).
    pub page_size: u32,
    /// How many resources `poll-state` walks.
    pub resources: u32,
    /// The webhook payload `hybrid-reconcile` subscribes to.
    pub payload: Payload,
}

impl StrategyParams {
    /// The parameters from the strategy settings and the provider's facts.
    pub fn new(strategies: &StrategiesConfig, page_size: u32, resources: u32, payload: Payload) -> Self {
        StrategyParams {
            reconcile_interval: strategies.reconcile_interval,
            long_poll_wait: strategies.long_poll_wait,
            adaptive: strategies.adaptive,
            page_size,
            resources,
            payload,
        }
    }
}
