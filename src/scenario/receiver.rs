//! The `[receiver]` section: the subscriber's faults, parsed into the model's
//! [`ReceiverConfig`].
//!
//! Owns the section's raw keys, its defaults (no failures, 30 s slow answers, no outages) and
//! its checks. It only reads text; how a delivery is answered is [`crate::model::receiver`]'s.

use serde::Deserialize;

use super::check::{Ctx, ScenarioError};
use crate::model::receiver::{ReceiverConfig, Window};
use crate::units::{MILLI, SECOND};

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawReceiver {
    failure_rate: Option<f64>,
    slow_rate: Option<f64>,
    slow: Option<String>,
    #[serde(default)]
    outages: Vec<RawWindow>,
    gone_at: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWindow {
    at: String,
    duration: String,
}

/// The section as the model's configuration.
pub(super) fn from_raw(cx: &Ctx, rc: &RawReceiver) -> Result<ReceiverConfig, ScenarioError> {
    let failure_rate = cx.share("receiver.failure_rate", rc.failure_rate)?;
    let slow_rate = cx.share("receiver.slow_rate", rc.slow_rate)?;
    if failure_rate + slow_rate > 1.0 {
        return Err(cx.err("receiver.slow_rate", "failure_rate and slow_rate add up to more than 1"));
    }
    let slow = match &rc.slow {
        Some(t) => cx.positive_duration("receiver.slow", t, MILLI)?,
        None => 30 * SECOND,
    };
    let mut outages = Vec::new();
    for (i, w) in rc.outages.iter().enumerate() {
        let key = format!("receiver.outages[{i}]");
        outages.push(Window {
            at: cx.duration(&format!("{key}.at"), &w.at)?,
            duration: cx.positive_duration(&format!("{key}.duration"), &w.duration, MILLI)?,
        });
    }
    let gone_at = match &rc.gone_at {
        Some(t) => Some(cx.duration("receiver.gone_at", t)?),
        None => None,
    };
    Ok(ReceiverConfig { failure_rate, slow_rate, slow, outages, gone_at })
}
