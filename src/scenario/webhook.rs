//! The `[webhook]` section: the provider's emitter, parsed into the model's [`WebhookConfig`].
//!
//! Owns the section's raw keys, its defaults (300 ms median delay, 15 s timeout, the `svix`
//! schedule with 10% jitter, fat payloads, the `standard` signature scheme) and its checks, including a retry schedule given as
//! a preset name or a list of durations. It only reads text; the schedules themselves are
//! [`crate::model::retry`]'s.

use serde::Deserialize;

use super::check::{nearest, Ctx, RawWindow, ScenarioError};
use crate::model::dist::Delay;
use crate::model::emitter::{Payload, WebhookConfig};
use crate::model::retry::{RetryPolicy, PRESETS};
use crate::model::signature::Scheme;
use crate::model::types::EventTypes;
use crate::support::limits::MAX_DURATION;
use crate::support::quote::{excerpt, EXCERPT};
use crate::support::units::{Rate, MILLI, SECOND};

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawWebhook {
    delay: Option<toml::Value>,
    timeout: Option<String>,
    retry: Option<toml::Value>,
    jitter: Option<f64>,
    payload: Option<String>,
    max_in_flight: Option<i64>,
    throughput: Option<String>,
    #[serde(default)]
    outages: Vec<RawWindow>,
    scheme: Option<String>,
    subscribe: Option<Vec<String>>,
    connection: Option<String>,
}

/// The section as the model's configuration; `types` are the `[events]` section's, which
/// `subscribe` must name from.
pub(super) fn from_raw(
    cx: &Ctx,
    wh: &RawWebhook,
    types: &EventTypes,
) -> Result<WebhookConfig, ScenarioError> {
    let delay = cx.delay(
        "webhook.delay",
        wh.delay.as_ref(),
        Delay::LogNormal { median: 300 * MILLI, p99: 2 * SECOND },
    )?;
    let timeout = match &wh.timeout {
        Some(t) => cx.positive_duration("webhook.timeout", t, MILLI)?,
        None => 15 * SECOND,
    };
    let jitter = wh.jitter.unwrap_or(0.1);
    if !(0.0..1.0).contains(&jitter) {
        return Err(cx.err(
            "webhook.jitter",
            format!("{jitter} is out of range; give a share from 0 to below 1, such as 0.1"),
        ));
    }
    let retry = retry(cx, wh.retry.as_ref(), jitter)?;
    let payload = match wh.payload.as_deref() {
        None | Some("fat") => Payload::Fat,
        Some("thin") => Payload::Thin,
        Some(other) => {
            return Err(cx.err("webhook.payload", format!("unknown payload `{other}`; use `fat` or `thin`")))
        }
    };
    let max_in_flight = match wh.max_in_flight {
        Some(m) => Some(cx.count("webhook.max_in_flight", Some(m), 1, 1, 1_000_000)? as u32),
        None => None,
    };
    let throughput = match &wh.throughput {
        Some(t) => Some(throughput(cx, t)?),
        None => None,
    };
    let outages = cx.windows("webhook.outages", &wh.outages)?;
    let scheme = match &wh.scheme {
        Some(s) => s.parse::<Scheme>().map_err(|e| cx.err("webhook.scheme", e))?,
        None => Scheme::Standard,
    };
    let subscribe = subscribe(cx, wh.subscribe.as_deref(), types)?;
    Ok(WebhookConfig {
        delay,
        timeout,
        retry,
        payload,
        max_in_flight,
        throughput,
        outages,
        scheme,
        subscribe,
        connection: super::network::connection(cx, "webhook.connection", wh.connection.as_deref())?,
    })
}

/// `webhook.subscribe`: types `[events] types` names, each once, at least one.
fn subscribe(cx: &Ctx, given: Option<&[String]>, types: &EventTypes) -> Result<Vec<String>, ScenarioError> {
    let key = "webhook.subscribe";
    let Some(given) = given else { return Ok(Vec::new()) };
    if types.is_empty() {
        return Err(cx.err(
            key,
            "names event types, but `[events] types` lists none; give the types and their shares there first",
        ));
    }
    if given.is_empty() {
        return Err(cx.err(
            key,
            "is empty; name at least one of the `[events] types`, or drop the key for all of them",
        ));
    }
    let mut out: Vec<String> = Vec::with_capacity(given.len());
    for name in given {
        if types.index(name).is_none() {
            let shown = excerpt(name, EXCERPT);
            let hint = match nearest(name, types.names.iter().map(String::as_str)) {
                Some(n) => format!(" (did you mean `{n}`?)"),
                None => String::new(),
            };
            return Err(
                cx.err(key, format!("names `{shown}`, which is not one of the `[events] types`{hint}"))
            );
        }
        if !out.contains(name) {
            out.push(name.clone());
        }
    }
    Ok(out)
}

/// `webhook.throughput`: a rate whose gap between two sends is from 1 µs to a year. A rate that
/// admits nothing (`0/s`) or less than one send a year, or more than one a microsecond, would be
/// modelled as something else, so it is refused; leave the key out for an unlimited pipeline.
fn throughput(cx: &Ctx<'_>, text: &str) -> Result<Rate, ScenarioError> {
    let rate = cx.rate("webhook.throughput", text)?;
    let gap = rate.per as f64 / rate.count;
    if rate.count <= 0.0 || gap > MAX_DURATION as f64 {
        return Err(cx.err(
            "webhook.throughput",
            format!("`{text}` admits less than one delivery a year; give a positive rate such as \"100/s\", or leave the key out for no limit"),
        ));
    }
    if gap < 1.0 {
        return Err(cx.err(
            "webhook.throughput",
            format!("`{text}` is more than one delivery a microsecond; give at most \"1000000/s\", or leave the key out for no limit"),
        ));
    }
    Ok(rate)
}

/// `webhook.retry`: a preset's name or a list of up to 100 delays.
fn retry(cx: &Ctx, raw: Option<&toml::Value>, jitter: f64) -> Result<RetryPolicy, ScenarioError> {
    match raw {
        None => RetryPolicy::preset("svix", jitter)
            .ok_or_else(|| cx.err("webhook.retry", "internal: svix preset missing")),
        Some(toml::Value::String(name)) => RetryPolicy::preset(name, jitter).ok_or_else(|| {
            cx.err(
                "webhook.retry",
                format!("unknown preset `{name}`; use one of {} or a list of durations", PRESETS.join(", ")),
            )
        }),
        Some(toml::Value::Array(items)) => {
            if items.len() > 100 {
                return Err(cx.err("webhook.retry", "has more than 100 retries; give at most 100"));
            }
            let mut schedule = Vec::new();
            for (i, it) in items.iter().enumerate() {
                let key = format!("webhook.retry[{i}]");
                match it {
                    toml::Value::String(s) => schedule.push(cx.positive_duration(&key, s, MILLI)?),
                    _ => return Err(cx.err(&key, "expected a duration string such as \"5s\"")),
                }
            }
            Ok(RetryPolicy { name: "custom".into(), schedule, jitter })
        }
        Some(_) => Err(cx.err(
            "webhook.retry",
            format!("expected a preset name ({}) or a list of durations", PRESETS.join(", ")),
        )),
    }
}
