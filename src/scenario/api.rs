//! The `[api]` section: the provider's API, parsed into the model's [`ApiConfig`].
//!
//! Owns the section's raw keys, its defaults (80 ms median round trip, pages of 100, no quota,
//! 20 s long polls, 3 s event-stream retry) and its checks, among them the two spellings of
//! `rate_limit`: a rate (`"5000/h"`, a fixed window) or a table naming an algorithm. It only reads text; what the
//! settings mean is [`crate::model::api`]'s.

use serde::Deserialize;

use super::check::{Ctx, ScenarioError};
use crate::model::api::ApiConfig;
use crate::model::dist::Delay;
use crate::model::faults::{ApiFaults, ApiOutage, DEFAULT_SLOW};
use crate::model::ratelimit::{Algorithm, Quota};
use crate::support::units::{MILLI, SECOND};

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawApi {
    rtt: Option<toml::Value>,
    rate_limit: Option<toml::Value>,
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
    type_filter: Option<bool>,
    connection: Option<String>,
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
    let rate_limit = match &api.rate_limit {
        None => None,
        Some(toml::Value::String(text)) => quota(cx, Some(text))?,
        Some(toml::Value::Table(t)) => Some(algorithm(cx, t)?),
        Some(_) => return Err(cx.err("api.rate_limit", RATE_LIMIT_HINT)),
    };
    let page_size = cx.count("api.page_size", api.page_size, 100, 1, 10_000)? as u32;
    // A page must fit in a cost bucket, or no poll could ever be admitted.
    if let Some((q, c)) = rate_limit.and_then(|q| q.costs.map(|c| (q, c))) {
        let page = c.page(u64::from(page_size));
        if page > q.limit {
            return Err(cx.err(
                "api.page_size",
                format!(
                    "asks for pages that cost {page} points ({} + {page_size} × {}), more than the capacity of the cost bucket in `api.rate_limit`, {}; lower `page_size` or raise `capacity`",
                    c.connection, c.node, q.limit
                ),
            ));
        }
    }
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
        type_filter: api.type_filter.unwrap_or(false),
        faults: faults(cx, api)?,
        connection: super::network::connection(cx, "api.connection", api.connection.as_deref())?,
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

/// The most requests a quota's window or a bucket's capacity holds.
const MAX_QUOTA: i64 = 1_000_000_000;

const RATE_LIMIT_HINT: &str = "give a rate such as \"5000/h\", `none`, or a table such as \
    { algorithm = \"leaky-bucket\", capacity = 40, leak = \"2/s\" } (algorithms: sliding-window \
    with `limit`; token-bucket with `capacity` and `refill`; leaky-bucket with `capacity` and `leak`; \
    cost-bucket with `capacity` and `refill` in points, and `connection` and `node` costs)";

/// `api.rate_limit = { algorithm = ..., ... }`: a sliding window of `limit`, or a bucket of
/// `capacity` that refills (leaks) at a rate.
fn algorithm(cx: &Ctx, t: &toml::Table) -> Result<Quota, ScenarioError> {
    let key = "api.rate_limit";
    let name = match t.get("algorithm") {
        Some(toml::Value::String(s)) => s.as_str(),
        Some(v) => return Err(cx.err(key, format!("`algorithm = {v}` is not a name; {RATE_LIMIT_HINT}"))),
        None => return Err(cx.err(key, format!("the table has no `algorithm`; {RATE_LIMIT_HINT}"))),
    };
    let (algorithm, allowed, rate_key): (_, &[&str], _) = match name {
        "fixed-window" => (Algorithm::FixedWindow, &["algorithm", "limit"], "limit"),
        "sliding-window" => (Algorithm::SlidingWindow, &["algorithm", "limit"], "limit"),
        "token-bucket" => (Algorithm::TokenBucket, &["algorithm", "capacity", "refill"], "refill"),
        "leaky-bucket" => (Algorithm::LeakyBucket, &["algorithm", "capacity", "leak"], "leak"),
        "cost-bucket" => {
            (Algorithm::CostBucket, &["algorithm", "capacity", "refill", "connection", "node"], "refill")
        }
        other => {
            return Err(cx.err(
                key,
                format!(
                    "`{other}` is not a rate-limit algorithm; use fixed-window, sliding-window, \
                     token-bucket, leaky-bucket or cost-bucket"
                ),
            ))
        }
    };
    if let Some(k) = t.keys().find(|k| !allowed.contains(&k.as_str())) {
        return Err(
            cx.err(key, format!("`{k}` is not a key of a {name} (it takes {})", allowed[1..].join(" and ")))
        );
    }
    let rate_text = match t.get(rate_key) {
        Some(toml::Value::String(s)) => s.clone(),
        Some(v) => return Err(cx.err(key, format!("`{rate_key} = {v}` must be a rate such as \"2/s\""))),
        None => return Err(cx.err(key, format!("a {name} needs `{rate_key}`, a rate such as \"2/s\""))),
    };
    let sub = format!("{key}.{rate_key}");
    if !algorithm.is_bucket() {
        let Some(q) = quota(cx, Some(&rate_text))? else {
            return Err(cx.err(&sub, format!("a {name} needs a limit, not `{rate_text}`")));
        };
        return Ok(Quota { algorithm, ..q });
    }
    let capacity = match t.get("capacity") {
        Some(toml::Value::Integer(n)) if *n >= 1 && *n <= MAX_QUOTA => *n as u64,
        Some(v) => {
            return Err(cx.err(
                &format!("{key}.capacity"),
                format!("{v} is not a capacity; give a whole number of requests from 1 up"),
            ))
        }
        None => return Err(cx.err(key, format!("a {name} needs `capacity`, a whole number of requests"))),
    };
    let r = cx.rate(&sub, &rate_text)?;
    if r.count.is_nan() || r.count <= 0.0 || !r.count.is_finite() {
        return Err(cx.err(&sub, format!("`{rate_text}` must be above zero, such as \"2/s\"")));
    }
    let cell = (r.per as f64 / r.count).round();
    if cell < 1.0 {
        return Err(cx.err(&sub, format!("`{rate_text}` is over a million a second")));
    }
    if cell > crate::support::limits::MAX_DURATION as f64 {
        return Err(cx.err(&sub, format!("`{rate_text}` is under one a year")));
    }
    let mut q = Quota::bucket(algorithm, capacity, cell as u64);
    if let Some(costs) = q.costs.as_mut() {
        for (k, slot) in [("connection", &mut costs.connection), ("node", &mut costs.node)] {
            match t.get(k) {
                None => {}
                Some(toml::Value::Integer(n)) if (0..=MAX_QUOTA).contains(n) => *slot = *n as u64,
                Some(v) => {
                    return Err(cx.err(
                        &format!("{key}.{k}"),
                        format!("{v} is not a cost; give a whole number of points from 0 up"),
                    ))
                }
            }
        }
        if costs.node == 0 && costs.connection == 0 {
            return Err(
                cx.err(key, "charges nothing (`connection` and `node` are both 0); give a query a cost")
            );
        }
    }
    Ok(q)
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
    // The bound a bucket's capacity has; beyond it the count would be clamped, not modelled.
    if r.count > MAX_QUOTA as f64 {
        return Err(cx.err(
            "api.rate_limit",
            format!(
                "`{text}` is more than {MAX_QUOTA} requests a window; give fewer, or `none` for no limit"
            ),
        ));
    }
    Ok(Some(Quota::fixed(r.count as u64, r.per)))
}
