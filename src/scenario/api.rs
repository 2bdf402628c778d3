//! The `[api]` section: the provider's API, parsed into the model's [`ApiConfig`].
//!
//! Owns the section's raw keys, its defaults (80 ms median round trip, pages of 100, no quota,
//! 20 s long polls, 3 s event-stream retry) and its checks. It only reads text; what the
//! settings mean is [`crate::model::api`]'s.

use serde::Deserialize;

use super::check::{Ctx, ScenarioError};
use crate::model::api::ApiConfig;
use crate::model::dist::Delay;
use crate::model::faults::{ApiFaults, ApiOutage, DEFAULT_SLOW};
use crate::model::ratelimit::Quota;
use crate::units::{MILLI, SECOND};

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawApi {
    rtt: Option<toml::Value>,
    rate_limit: Option<String>,
    page_size: Option<i64>,
    not_modified_counts: Option<bool>,
    poll_interval_hint: Option<String>,
    long_poll_max: Option<String>,
    sse_retry: Option<String>,
    sse_drops: Option<Vec<String>>,
    sse_drop_every: Option<String>,
    failure_rate: Option<f64>,
    #[serde(default)]
    outages: Vec<RawOutage>,
    slow_rate: Option<f64>,
    slow: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOutage {
    at: String,
    duration: String,
    #[serde(default)]
    refuse: bool,
}

/// The section as the model's configuration.
pub(super) fn from_raw(cx: &Ctx, api: &RawApi) -> Result<ApiConfig, ScenarioError> {
    let rtt =
        cx.delay("api.rtt", api.rtt.as_ref(), Delay::LogNormal { median: 80 * MILLI, p99: 400 * MILLI })?;
    let rate_limit = quota(cx, api.rate_limit.as_deref())?;
    let page_size = cx.count("api.page_size", api.page_size, 100, 1, 10_000)? as u32;
    let poll_interval_hint = match &api.poll_interval_hint {
        Some(t) => Some(cx.positive_duration("api.poll_interval_hint", t, MILLI)?),
        None => None,
    };
    let long_poll_max = match &api.long_poll_max {
        Some(t) => cx.positive_duration("api.long_poll_max", t, MILLI)?,
        None => 20 * SECOND,
    };
    let sse_retry = match &api.sse_retry {
        Some(t) => cx.duration("api.sse_retry", t)?,
        None => 3 * SECOND,
    };
    let mut sse_drops = Vec::new();
    for (i, t) in api.sse_drops.iter().flatten().enumerate() {
        sse_drops.push(cx.duration(&format!("api.sse_drops[{i}]"), t)?);
    }
    sse_drops.sort_unstable();
    let sse_drop_every = match &api.sse_drop_every {
        Some(t) => Some(cx.positive_duration("api.sse_drop_every", t, SECOND)?),
        None => None,
    };
    Ok(ApiConfig {
        rtt,
        rate_limit,
        page_size,
        not_modified_counts: api.not_modified_counts.unwrap_or(false),
        poll_interval_hint,
        long_poll_max,
        sse_retry,
        sse_drops,
        sse_drop_every,
        faults: faults(cx, api)?,
    })
}

/// `failure_rate`, `outages`, `slow_rate`, `slow`: the API's faults.
fn faults(cx: &Ctx, api: &RawApi) -> Result<ApiFaults, ScenarioError> {
    let failure_rate = cx.share("api.failure_rate", api.failure_rate)?;
    let slow_rate = cx.share("api.slow_rate", api.slow_rate)?;
    if failure_rate + slow_rate > 1.0 {
        return Err(cx.err("api.slow_rate", "failure_rate and slow_rate add up to more than 1"));
    }
    let slow = match &api.slow {
        Some(t) => cx.positive_duration("api.slow", t, MILLI)?,
        None => DEFAULT_SLOW,
    };
    let outages = api
        .outages
        .iter()
        .enumerate()
        .map(|(i, o)| {
            let window = cx.window(&format!("api.outages[{i}]"), &o.at, &o.duration)?;
            Ok(ApiOutage { window, refuse: o.refuse })
        })
        .collect::<Result<Vec<_>, ScenarioError>>()?;
    Ok(ApiFaults { failure_rate, outages, slow_rate, slow })
}

/// `api.rate_limit`: a whole number of requests per window of a second or more, or `none`.
fn quota(cx: &Ctx, text: Option<&str>) -> Result<Option<Quota>, ScenarioError> {
    let text = match text.map(str::trim) {
        None | Some("none") | Some("unlimited") => return Ok(None),
        Some(text) => text,
    };
    let r = cx.rate("api.rate_limit", text)?;
    if r.count < 1.0 || r.count.fract() != 0.0 {
        return Err(cx.err(
            "api.rate_limit",
            format!("`{text}` needs a whole number of requests of 1 or more, such as `5000/h`, or `none`"),
        ));
    }
    if r.per < SECOND {
        return Err(
            cx.err("api.rate_limit", format!("`{text}` has a window under a second; use `/s` or longer"))
        );
    }
    Ok(Some(Quota { limit: r.count as u64, window: r.per }))
}
