//! The `[receiver]` section: the subscriber's faults, parsed into the model's
//! [`ReceiverConfig`].
//!
//! Owns the section's raw keys, its defaults (no failures, 30 s slow answers, no outages;
//! unlimited workers with no processing time, answering after processing) and its checks. It only reads text; how a delivery is answered is [`crate::model::receiver`]'s.

use serde::Deserialize;

use super::check::{Ctx, RawWindow, ScenarioError};
use crate::model::capacity::{Ack, CapacityConfig};
use crate::model::dist::Delay;
use crate::model::receiver::ReceiverConfig;
use crate::support::units::{MILLI, SECOND};

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawReceiver {
    failure_rate: Option<f64>,
    slow_rate: Option<f64>,
    slow: Option<String>,
    #[serde(default)]
    outages: Vec<RawWindow>,
    gone_at: Option<String>,
    workers: Option<i64>,
    process: Option<toml::Value>,
    ack: Option<String>,
    queue_limit: Option<i64>,
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
    let outages = cx.windows("receiver.outages", &rc.outages)?;
    let gone_at = match &rc.gone_at {
        Some(t) => Some(cx.duration("receiver.gone_at", t)?),
        None => None,
    };
    let capacity = capacity(cx, rc)?;
    Ok(ReceiverConfig { failure_rate, slow_rate, slow, outages, gone_at, capacity })
}

/// `workers`, `process`, `ack`, `queue_limit`: the receiver's processing capacity.
fn capacity(cx: &Ctx, rc: &RawReceiver) -> Result<CapacityConfig, ScenarioError> {
    let workers = match rc.workers {
        Some(w) => Some(cx.count("receiver.workers", Some(w), 1, 1, 1_000_000)? as u32),
        None => None,
    };
    let process = cx.delay("receiver.process", rc.process.as_ref(), Delay::Fixed(0))?;
    let ack = match rc.ack.as_deref() {
        None | Some("after-processing") => Ack::AfterProcessing,
        Some("on-receipt") => Ack::OnReceipt,
        Some(other) => {
            return Err(cx.err(
                "receiver.ack",
                format!("unknown ack `{other}`; use `after-processing` or `on-receipt`"),
            ))
        }
    };
    let queue_limit = match rc.queue_limit {
        Some(_) if ack != Ack::OnReceipt => {
            return Err(cx
                .err("receiver.queue_limit", "applies only with ack = \"on-receipt\"; remove it or set ack"))
        }
        Some(q) => Some(cx.count("receiver.queue_limit", Some(q), 1, 1, i64::MAX)? as u64),
        None => None,
    };
    Ok(CapacityConfig { workers, process, ack, queue_limit })
}
