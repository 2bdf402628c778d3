//! The `[strategies]` section: which strategies run and how, parsed into the strategies'
//! [`StrategiesConfig`].
//!
//! Owns the section's raw keys, its defaults (one 30 s interval, a 15 min reconcile poll, the
//! six default kinds, 20 s long polls, an adaptive policy of 1 s to 2 min doubling) and its
//! checks. Strategy names are [`StrategyKind`]'s to parse; this module imports it downward and
//! builds no strategy.

use serde::Deserialize;

use super::check::{Ctx, ScenarioError};
use crate::strategy::BreakerConfig;
use crate::strategy::{Adaptive, StrategiesConfig, StrategyKind};
use crate::support::units::{MILLI, SECOND};

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawStrategies {
    intervals: Option<Vec<String>>,
    reconcile_interval: Option<String>,
    list: Option<Vec<String>>,
    long_poll_wait: Option<String>,
    adaptive: Option<RawAdaptive>,
    circuit_breaker: Option<RawBreaker>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBreaker {
    failures: i64,
    open: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAdaptive {
    min: Option<String>,
    max: Option<String>,
    backoff: Option<f64>,
}

/// The section as the strategies' configuration.
pub(super) fn from_raw(cx: &Ctx, st: &RawStrategies) -> Result<StrategiesConfig, ScenarioError> {
    let intervals = match &st.intervals {
        Some(list) if list.is_empty() => {
            return Err(cx.err("strategies.intervals", "is empty; give at least one interval such as \"30s\""))
        }
        Some(list) => list
            .iter()
            .enumerate()
            .map(|(i, t)| cx.positive_duration(&format!("strategies.intervals[{i}]"), t, MILLI))
            .collect::<Result<Vec<_>, _>>()?,
        None => vec![30 * SECOND],
    };
    let reconcile_interval = match &st.reconcile_interval {
        Some(t) => cx.positive_duration("strategies.reconcile_interval", t, MILLI)?,
        None => 15 * 60 * SECOND,
    };
    let list = match &st.list {
        Some(names) => names
            .iter()
            .map(|n| StrategyKind::parse(n).map_err(|e| cx.err("strategies.list", e)))
            .collect::<Result<Vec<_>, _>>()?,
        None => StrategyKind::DEFAULT.to_vec(),
    };
    if list.is_empty() {
        return Err(cx.err("strategies.list", "is empty; name at least one strategy"));
    }
    // Each row once: two spellings of one interval (`30s`, `30000ms`) or a strategy named twice
    // would be two identical rows under one label.
    if let Some(i) = (1..intervals.len()).find(|&i| intervals[..i].contains(&intervals[i])) {
        let given = st.intervals.as_ref().map_or("", |l| l[i].as_str());
        return Err(cx.err(
            &format!("strategies.intervals[{i}]"),
            format!("`{given}` repeats an interval listed before it; list each interval once"),
        ));
    }
    if let Some(i) = (1..list.len()).find(|&i| list[..i].contains(&list[i])) {
        return Err(
            cx.err("strategies.list", format!("names `{}` twice; name each strategy once", list[i].name()))
        );
    }
    let long_poll_wait = match &st.long_poll_wait {
        Some(t) => cx.positive_duration("strategies.long_poll_wait", t, MILLI)?,
        None => 20 * SECOND,
    };
    let adaptive = adaptive(cx, st.adaptive.as_ref())?;
    let circuit_breaker = match &st.circuit_breaker {
        Some(b) => Some(BreakerConfig {
            failures: cx.count("strategies.circuit_breaker.failures", Some(b.failures), 1, 1, 1_000_000)?
                as u32,
            open: cx.positive_duration("strategies.circuit_breaker.open", &b.open, MILLI)?,
        }),
        None => None,
    };
    Ok(StrategiesConfig { intervals, reconcile_interval, list, long_poll_wait, adaptive, circuit_breaker })
}

/// `strategies.adaptive`: `min` ≤ `max`, a backoff factor from 1 to 100.
fn adaptive(cx: &Ctx, a: Option<&RawAdaptive>) -> Result<Adaptive, ScenarioError> {
    let min = match a.and_then(|a| a.min.as_deref()) {
        Some(t) => cx.positive_duration("strategies.adaptive.min", t, MILLI)?,
        None => SECOND,
    };
    let max = match a.and_then(|a| a.max.as_deref()) {
        Some(t) => cx.positive_duration("strategies.adaptive.max", t, MILLI)?,
        None => 120 * SECOND,
    };
    if max < min {
        return Err(cx.err(
            "strategies.adaptive.max",
            "is below `min`; the longest interval must be at least the shortest",
        ));
    }
    let backoff = a.and_then(|a| a.backoff).unwrap_or(2.0);
    if !(1.0..=100.0).contains(&backoff) {
        return Err(cx.err(
            "strategies.adaptive.backoff",
            format!("{backoff} is out of range; give a factor from 1 to 100, such as 2.0"),
        ));
    }
    Ok(Adaptive { min, max, backoff })
}
