//! Scenarios: the TOML a user writes, validated into the typed [`Scenario`] the engines run.
//!
//! Owns the scenario file format (DESIGN.md §8), its defaults, its bounds and the bundled
//! scenarios embedded in the binary. Every problem becomes one [`ScenarioError`] sentence that
//! names the file, the key and what would be right. The engines never see raw TOML.

use serde::{Deserialize, Serialize};

use crate::limits::{MAX_DURATION, MAX_DURATION_TEXT};
use crate::model::dist::Delay;
use crate::model::retry::{RetryPolicy, PRESETS};
use crate::strategy::StrategyKind;
use crate::units::{parse_duration, parse_rate, Micros, Rate, DAY, HOUR, MILLI, SECOND};

/// The bundled scenarios: name and TOML text. The first is the default.
pub const BUNDLED: &[(&str, &str)] = &[
    ("payments", include_str!("../scenarios/payments.toml")),
    ("iot-burst", include_str!("../scenarios/iot-burst.toml")),
    ("receiver-outage", include_str!("../scenarios/receiver-outage.toml")),
    ("high-churn", include_str!("../scenarios/high-churn.toml")),
    ("strict-quota", include_str!("../scenarios/strict-quota.toml")),
    ("eventual-consistency", include_str!("../scenarios/eventual-consistency.toml")),
    ("github-events", include_str!("../scenarios/github-events.toml")),
];

/// The default scenario's name.
pub const DEFAULT: &str = "payments";

pub use crate::limits::MAX_EVENTS;

/// A scenario problem, as one sentence.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{0}")]
pub struct ScenarioError(pub String);

/// A validated scenario: everything the engines need, in typed units.
#[derive(Debug, Clone, Serialize)]
pub struct Scenario {
    /// Short name, e.g. `payments`.
    pub name: String,
    /// One line for people.
    pub description: String,
    /// Span of event arrivals and of the cost window.
    #[serde(rename = "duration_s", serialize_with = "crate::units::secs")]
    pub duration: Micros,
    /// After the window, how long strategies go on to settle in-flight events.
    #[serde(rename = "drain_s", serialize_with = "crate::units::secs")]
    pub drain: Micros,
    /// Whether the file set the drain (else it follows the intervals).
    #[serde(skip)]
    pub drain_explicit: bool,
    /// The seed of every random stream.
    pub seed: u64,
    /// The event source.
    pub events: EventsConfig,
    /// The provider's API.
    pub api: ApiConfig,
    /// The provider's webhook emitter.
    pub webhook: WebhookConfig,
    /// The subscriber's receiver and its faults.
    pub receiver: ReceiverConfig,
    /// Strategy defaults.
    pub strategies: StrategiesConfig,
}

/// The event source.
#[derive(Debug, Clone, Serialize)]
pub struct EventsConfig {
    /// Poisson arrival rate outside bursts, per hour.
    #[serde(rename = "rate_per_h", serialize_with = "crate::units::per_hour")]
    pub rate: Rate,
    /// Number of resources; each event moves one (uniformly chosen) to its next state.
    pub resources: u32,
    /// Resource kind, the prefix of event types (`payment.paid`).
    pub resource_type: String,
    /// The state cycle a resource moves through.
    pub states: Vec<String>,
    /// Size of each event's payload.
    pub payload_bytes: u32,
    /// Delay before an event is visible to the API (the log stays in order).
    #[serde(serialize_with = "crate::model::dist::delay_secs")]
    pub visibility_delay: Delay,
    /// Windows with another arrival rate.
    pub bursts: Vec<Burst>,
    /// Relative arrival weights for each hour of the day (24 of them; mean rate stays `rate`).
    pub daily: Option<Vec<f64>>,
    /// A recorded trace replayed instead of Poisson arrivals.
    pub trace: Option<crate::trace::Trace>,
}

/// A window in which events arrive at another rate.
#[derive(Debug, Clone, Serialize)]
pub struct Burst {
    /// Start, from the beginning of the run.
    #[serde(rename = "at_s", serialize_with = "crate::units::secs")]
    pub at: Micros,
    /// Length.
    #[serde(rename = "duration_s", serialize_with = "crate::units::secs")]
    pub duration: Micros,
    /// Arrival rate during the window (replaces the base rate).
    #[serde(rename = "rate_per_h", serialize_with = "crate::units::per_hour")]
    pub rate: Rate,
}

/// The provider's API.
#[derive(Debug, Clone, Serialize)]
pub struct ApiConfig {
    /// Round trip of one request: network both ways plus server time.
    #[serde(serialize_with = "crate::model::dist::delay_secs")]
    pub rtt: Delay,
    /// Per-client quota per window; `None` for no limit.
    pub rate_limit: Option<Quota>,
    /// Largest page `GET /events` returns.
    pub page_size: u32,
    /// Whether a 304 uses quota (GitHub: no).
    pub not_modified_counts: bool,
    /// Suggested poll interval sent as `X-Poll-Interval`.
    #[serde(rename = "poll_interval_hint_s", serialize_with = "crate::units::opt_secs")]
    pub poll_interval_hint: Option<Micros>,
    /// The longest the server holds a long poll (SQS and Telegram: 20 s).
    #[serde(rename = "long_poll_max_s", serialize_with = "crate::units::secs")]
    pub long_poll_max: Micros,
    /// The `retry:` reconnection delay the event stream asks for.
    #[serde(rename = "sse_retry_s", serialize_with = "crate::units::secs")]
    pub sse_retry: Micros,
    /// Times at which the server drops every open event stream.
    #[serde(rename = "sse_drops_s", serialize_with = "crate::units::secs_vec")]
    pub sse_drops: Vec<Micros>,
    /// The server also drops every open stream at each multiple of this.
    #[serde(rename = "sse_drop_every_s", serialize_with = "crate::units::opt_secs")]
    pub sse_drop_every: Option<Micros>,
}

/// A request quota per fixed window.
#[derive(Debug, Clone, Copy, Serialize, PartialEq)]
pub struct Quota {
    /// Requests per window.
    pub limit: u64,
    /// The window.
    #[serde(rename = "window_s", serialize_with = "crate::units::secs")]
    pub window: Micros,
}

/// Fat or thin webhook payloads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Payload {
    /// The whole event.
    Fat,
    /// Id and type only; the consumer fetches the rest.
    Thin,
}

/// The provider's webhook emitter.
#[derive(Debug, Clone, Serialize)]
pub struct WebhookConfig {
    /// From the event to the attempt reaching the receiver (queueing plus network).
    #[serde(serialize_with = "crate::model::dist::delay_secs")]
    pub delay: Delay,
    /// Per-attempt timeout.
    #[serde(rename = "timeout_s", serialize_with = "crate::units::secs")]
    pub timeout: Micros,
    /// Retry schedule.
    pub retry: RetryPolicy,
    /// Payload the `webhook` and `hybrid-reconcile` strategies receive (`hybrid` is always thin).
    pub payload: Payload,
}

/// The subscriber's receiver and its faults.
#[derive(Debug, Clone, Serialize)]
pub struct ReceiverConfig {
    /// Share of deliveries answered with a 5xx.
    pub failure_rate: f64,
    /// Share of deliveries processed but answered only after `slow`.
    pub slow_rate: f64,
    /// How late a slow answer comes.
    #[serde(rename = "slow_s", serialize_with = "crate::units::secs")]
    pub slow: Micros,
    /// Windows in which the receiver is down (connections refused).
    pub outages: Vec<Window>,
    /// From this time on the endpoint answers `410 Gone` (the emitter disables it).
    #[serde(rename = "gone_at_s", serialize_with = "crate::units::opt_secs")]
    pub gone_at: Option<Micros>,
}

/// A span of time.
#[derive(Debug, Clone, Copy, Serialize, PartialEq)]
pub struct Window {
    /// Start.
    #[serde(rename = "at_s", serialize_with = "crate::units::secs")]
    pub at: Micros,
    /// Length.
    #[serde(rename = "duration_s", serialize_with = "crate::units::secs")]
    pub duration: Micros,
}

impl Window {
    /// Whether `t` falls inside.
    pub fn contains(&self, t: Micros) -> bool {
        t >= self.at && t < self.at.saturating_add(self.duration)
    }
}

/// Strategy defaults; command-line flags override.
#[derive(Debug, Clone, Serialize)]
pub struct StrategiesConfig {
    /// The poll intervals, each its own row per poll strategy.
    #[serde(rename = "intervals_s", serialize_with = "crate::units::secs_vec")]
    pub intervals: Vec<Micros>,
    /// Interval of `hybrid-reconcile`'s reconciliation poll.
    #[serde(rename = "reconcile_interval_s", serialize_with = "crate::units::secs")]
    pub reconcile_interval: Micros,
    /// Which strategies run.
    pub list: Vec<StrategyKind>,
    /// How long `long-poll` asks the server to hold each request.
    #[serde(rename = "long_poll_wait_s", serialize_with = "crate::units::secs")]
    pub long_poll_wait: Micros,
    /// The interval policy of `poll-adaptive`.
    pub adaptive: Adaptive,
}

/// `poll-adaptive`'s policy: after a poll that brings events the interval drops to `min`;
/// after an empty one it grows by `backoff`, up to `max`.
#[derive(Debug, Clone, Copy, Serialize, PartialEq)]
pub struct Adaptive {
    /// The interval after activity.
    #[serde(rename = "min_s", serialize_with = "crate::units::secs")]
    pub min: Micros,
    /// The longest interval when idle.
    #[serde(rename = "max_s", serialize_with = "crate::units::secs")]
    pub max: Micros,
    /// The factor an empty poll multiplies the interval by.
    pub backoff: f64,
}

// ---------------------------------------------------------------------------------------------
// The raw file.

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    name: String,
    #[serde(default)]
    description: String,
    duration: Option<String>,
    drain: Option<String>,
    seed: Option<u64>,
    events: RawEvents,
    #[serde(default)]
    api: RawApi,
    #[serde(default)]
    webhook: RawWebhook,
    #[serde(default)]
    receiver: RawReceiver,
    #[serde(default)]
    strategies: RawStrategies,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEvents {
    rate: Option<String>,
    trace: Option<String>,
    daily: Option<Vec<f64>>,
    resources: Option<i64>,
    resource_type: Option<String>,
    states: Option<Vec<String>>,
    payload_bytes: Option<i64>,
    visibility_delay: Option<toml::Value>,
    #[serde(default)]
    bursts: Vec<RawBurst>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBurst {
    at: String,
    duration: String,
    rate: String,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawApi {
    rtt: Option<toml::Value>,
    rate_limit: Option<String>,
    page_size: Option<i64>,
    not_modified_counts: Option<bool>,
    poll_interval_hint: Option<String>,
    long_poll_max: Option<String>,
    sse_retry: Option<String>,
    sse_drops: Option<Vec<String>>,
    sse_drop_every: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawWebhook {
    delay: Option<toml::Value>,
    timeout: Option<String>,
    retry: Option<toml::Value>,
    jitter: Option<f64>,
    payload: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawReceiver {
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

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawStrategies {
    intervals: Option<Vec<String>>,
    reconcile_interval: Option<String>,
    list: Option<Vec<String>>,
    long_poll_wait: Option<String>,
    adaptive: Option<RawAdaptive>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAdaptive {
    min: Option<String>,
    max: Option<String>,
    backoff: Option<f64>,
}

// ---------------------------------------------------------------------------------------------

/// Where a scenario came from, for error messages.
struct Ctx<'a> {
    origin: &'a str,
}

impl Ctx<'_> {
    fn err(&self, key: &str, msg: impl std::fmt::Display) -> ScenarioError {
        ScenarioError(format!("scenario {}: `{key}`: {msg}", self.origin))
    }

    fn duration(&self, key: &str, text: &str) -> Result<Micros, ScenarioError> {
        parse_duration(text).map_err(|e| self.err(key, e))
    }

    fn positive_duration(&self, key: &str, text: &str, min: Micros) -> Result<Micros, ScenarioError> {
        let d = self.duration(key, text)?;
        if d < min {
            return Err(self.err(
                key,
                format!("`{text}` is too short; it must be at least {}", crate::units::format_duration(min)),
            ));
        }
        if d > MAX_DURATION {
            return Err(self.err(key, format!("`{text}` is over a year; use at most `{MAX_DURATION_TEXT}`")));
        }
        Ok(d)
    }

    fn rate(&self, key: &str, text: &str) -> Result<Rate, ScenarioError> {
        parse_rate(text).map_err(|e| self.err(key, e))
    }

    fn share(&self, key: &str, v: Option<f64>) -> Result<f64, ScenarioError> {
        let v = v.unwrap_or(0.0);
        if !(0.0..=1.0).contains(&v) || v.is_nan() {
            return Err(self.err(key, format!("{v} is not a share; give a number from 0 to 1")));
        }
        Ok(v)
    }

    fn delay(&self, key: &str, v: Option<&toml::Value>, default: Delay) -> Result<Delay, ScenarioError> {
        let Some(v) = v else { return Ok(default) };
        let hint = "give a duration such as \"80ms\", or { median = \"80ms\", p99 = \"400ms\" }";
        match v {
            toml::Value::String(s) => Ok(Delay::Fixed(self.duration(key, s)?)),
            toml::Value::Table(t) => {
                for k in t.keys() {
                    if k != "median" && k != "p99" {
                        return Err(
                            self.err(key, format!("unknown key `{k}`; a delay table has `median` and `p99`"))
                        );
                    }
                }
                let get = |k: &str| -> Result<Micros, ScenarioError> {
                    match t.get(k) {
                        Some(toml::Value::String(s)) => self.duration(&format!("{key}.{k}"), s),
                        Some(_) => Err(self.err(&format!("{key}.{k}"), format!("expected a string; {hint}"))),
                        None => Err(self.err(key, format!("`{k}` is missing; {hint}"))),
                    }
                };
                let (median, p99) = (get("median")?, get("p99")?);
                if p99 < median {
                    return Err(self.err(key, "p99 is below the median; the p99 must be at least the median"));
                }
                Ok(Delay::LogNormal { median, p99 })
            }
            _ => Err(self.err(key, format!("expected a string or a table; {hint}"))),
        }
    }

    fn count(
        &self,
        key: &str,
        v: Option<i64>,
        default: i64,
        min: i64,
        max: i64,
    ) -> Result<i64, ScenarioError> {
        let v = v.unwrap_or(default);
        if v < min || v > max {
            return Err(
                self.err(key, format!("{v} is out of range; give a whole number from {min} to {max}"))
            );
        }
        Ok(v)
    }
}

/// Turns a TOML parse error into "line L, column C: message".
fn toml_error(origin: &str, text: &str, e: &toml::de::Error) -> ScenarioError {
    let msg = e.message().split('\n').map(str::trim).filter(|l| !l.is_empty()).collect::<Vec<_>>().join("; ");
    let msg = msg.trim_end_matches('.').to_string();
    match e.span() {
        Some(span) => {
            let before = &text[..span.start.min(text.len())];
            let line = before.matches('\n').count() + 1;
            let col = before.chars().rev().take_while(|&c| c != '\n').count() + 1;
            ScenarioError(format!("scenario {origin}: line {line}, column {col}: {msg}"))
        }
        None => ScenarioError(format!("scenario {origin}: {msg}")),
    }
}

impl Scenario {
    /// Parses and validates scenario TOML; `origin` names the file in messages. A trace file is
    /// looked for relative to the current directory.
    pub fn from_toml(text: &str, origin: &str) -> Result<Scenario, ScenarioError> {
        Scenario::from_toml_at(text, origin, std::path::Path::new("."))
    }

    /// Reads and validates a scenario file; a trace it names is relative to its directory.
    pub fn from_file(path: &std::path::Path, text: &str) -> Result<Scenario, ScenarioError> {
        let base = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(std::path::Path::new("."));
        Scenario::from_toml_at(text, &path.display().to_string(), base)
    }

    /// Parses and validates scenario TOML whose trace file, if any, is relative to `base`.
    pub fn from_toml_at(text: &str, origin: &str, base: &std::path::Path) -> Result<Scenario, ScenarioError> {
        let raw: Raw = toml::from_str(text).map_err(|e| toml_error(origin, text, &e))?;
        let cx = Ctx { origin };

        let name = raw.name.trim().to_string();
        if name.is_empty() {
            return Err(cx.err("name", "is empty; give the scenario a short name"));
        }
        let ev = &raw.events;
        if ev.rate.is_some() && ev.trace.is_some() {
            return Err(cx.err(
                "events.rate",
                "is set together with `events.trace`; a trace gives the arrival times, so drop the rate",
            ));
        }
        let trace = match &ev.trace {
            None => None,
            Some(file) => {
                let path = base.join(file);
                let text = std::fs::read_to_string(&path).map_err(|e| {
                    cx.err("events.trace", format!("cannot read trace `{}`: {e}", path.display()))
                })?;
                Some(crate::trace::parse(file, &text).map_err(|e| cx.err("events.trace", e))?)
            }
        };
        let duration = match (&raw.duration, &trace) {
            (Some(d), _) => cx.positive_duration("duration", d, SECOND)?,
            (None, Some(t)) => t.span(),
            (None, None) => DAY,
        };

        // Events.
        let rate = match (&ev.rate, &trace) {
            (Some(r), None) => {
                let rate = cx.rate("events.rate", r)?;
                if rate.count <= 0.0 {
                    return Err(cx.err("events.rate", "must be above zero, such as `120/h`"));
                }
                rate
            }
            (None, Some(t)) => {
                let n = t.rows.iter().filter(|r| r.at < duration).count();
                crate::units::Rate { count: n as f64, per: duration }
            }
            (Some(_), Some(_)) | (None, None) => {
                return Err(cx.err(
                    "events.rate",
                    "is missing; give an arrival rate such as `rate = \"120/h\"`, or a recorded trace with `trace = \"FILE\"`",
                ))
            }
        };
        if trace.is_some() && (!ev.bursts.is_empty() || ev.daily.is_some()) {
            let key = if ev.daily.is_some() { "events.daily" } else { "events.bursts" };
            return Err(
                cx.err(key, "cannot shape a recorded trace; drop it, or use `rate` instead of `trace`")
            );
        }
        let daily = match &ev.daily {
            None => None,
            Some(w) if w.len() != 24 => {
                return Err(cx.err(
                    "events.daily",
                    format!("has {} weights; give 24, one per hour of the day from midnight", w.len()),
                ))
            }
            Some(w) if w.iter().any(|x| !x.is_finite() || *x < 0.0) || w.iter().sum::<f64>() <= 0.0 => {
                return Err(cx.err("events.daily", "needs weights of 0 or more with at least one above 0"))
            }
            Some(w) => Some(w.clone()),
        };
        let resources = match trace.as_ref().and_then(|t| t.resources) {
            Some(n) => n,
            None => cx.count("events.resources", ev.resources, 100, 1, 10_000_000)? as u32,
        };
        let states =
            ev.states.clone().unwrap_or_else(|| vec!["created".into(), "updated".into(), "closed".into()]);
        if states.is_empty() || states.len() > 1000 || states.iter().any(|s| s.trim().is_empty()) {
            return Err(cx.err("events.states", "give a list of 1 to 1000 non-empty state names"));
        }
        let payload_bytes = cx.count("events.payload_bytes", ev.payload_bytes, 512, 0, 10_000_000)? as u32;
        let visibility_delay =
            cx.delay("events.visibility_delay", ev.visibility_delay.as_ref(), Delay::Fixed(0))?;
        let mut bursts = Vec::new();
        for (i, b) in ev.bursts.iter().enumerate() {
            let key = format!("events.bursts[{i}]");
            let at = cx.duration(&format!("{key}.at"), &b.at)?;
            let d = cx.positive_duration(&format!("{key}.duration"), &b.duration, MILLI)?;
            let r = cx.rate(&format!("{key}.rate"), &b.rate)?;
            if at >= duration {
                return Err(
                    cx.err(&format!("{key}.at"), "starts after the scenario ends; move it inside `duration`")
                );
            }
            bursts.push(Burst { at, duration: d, rate: r });
        }
        bursts.sort_by_key(|b| b.at);
        let expected = expected_events(duration, &rate, &bursts, daily.as_deref());
        if expected > MAX_EVENTS {
            return Err(cx.err(
                "events.rate",
                format!(
                    "about {expected:.0} events over the duration is more than the {MAX_EVENTS:.0} one run can hold; lower the rate or shorten the duration"
                ),
            ));
        }

        // API.
        let api = &raw.api;
        let rtt =
            cx.delay("api.rtt", api.rtt.as_ref(), Delay::LogNormal { median: 80 * MILLI, p99: 400 * MILLI })?;
        let rate_limit = match api.rate_limit.as_deref().map(str::trim) {
            None | Some("none") | Some("unlimited") => None,
            Some(text) => {
                let r = cx.rate("api.rate_limit", text)?;
                if r.count < 1.0 || r.count.fract() != 0.0 {
                    return Err(cx.err("api.rate_limit", format!("`{text}` needs a whole number of requests of 1 or more, such as `5000/h`, or `none`")));
                }
                if r.per < SECOND {
                    return Err(cx.err(
                        "api.rate_limit",
                        format!("`{text}` has a window under a second; use `/s` or longer"),
                    ));
                }
                Some(Quota { limit: r.count as u64, window: r.per })
            }
        };
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

        // Webhook.
        let wh = &raw.webhook;
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
        let retry = match &wh.retry {
            None => RetryPolicy::preset("svix", jitter)
                .ok_or_else(|| cx.err("webhook.retry", "internal: svix preset missing"))?,
            Some(toml::Value::String(name)) => RetryPolicy::preset(name, jitter).ok_or_else(|| {
                cx.err(
                    "webhook.retry",
                    format!(
                        "unknown preset `{name}`; use one of {} or a list of durations",
                        PRESETS.join(", ")
                    ),
                )
            })?,
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
                RetryPolicy { name: "custom".into(), schedule, jitter }
            }
            Some(_) => {
                return Err(cx.err(
                    "webhook.retry",
                    format!("expected a preset name ({}) or a list of durations", PRESETS.join(", ")),
                ))
            }
        };
        let payload = match wh.payload.as_deref() {
            None | Some("fat") => Payload::Fat,
            Some("thin") => Payload::Thin,
            Some(other) => {
                return Err(
                    cx.err("webhook.payload", format!("unknown payload `{other}`; use `fat` or `thin`"))
                )
            }
        };

        // Receiver.
        let rc = &raw.receiver;
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

        // Strategies.
        let st = &raw.strategies;
        let intervals = match &st.intervals {
            Some(list) if list.is_empty() => {
                return Err(
                    cx.err("strategies.intervals", "is empty; give at least one interval such as \"30s\"")
                )
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
        let long_poll_wait = match &st.long_poll_wait {
            Some(t) => cx.positive_duration("strategies.long_poll_wait", t, MILLI)?,
            None => 20 * SECOND,
        };
        let adaptive = {
            let a = st.adaptive.as_ref();
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
            Adaptive { min, max, backoff }
        };

        let longest_poll = intervals.iter().copied().max().unwrap_or(0);
        let drain = match &raw.drain {
            Some(t) => cx.duration("drain", t).and_then(|d| {
                if d > MAX_DURATION {
                    Err(cx.err("drain", format!("is over a year; use at most `{MAX_DURATION_TEXT}`")))
                } else {
                    Ok(d)
                }
            })?,
            None => default_drain(longest_poll, reconcile_interval),
        };

        Ok(Scenario {
            name,
            description: raw.description.trim().to_string(),
            duration,
            drain,
            drain_explicit: raw.drain.is_some(),
            seed: raw.seed.unwrap_or(42),
            events: EventsConfig {
                rate,
                resources,
                resource_type: ev.resource_type.clone().unwrap_or_else(|| "resource".into()),
                states,
                payload_bytes,
                visibility_delay,
                bursts,
                daily,
                trace,
            },
            api: ApiConfig {
                rtt,
                rate_limit,
                page_size,
                not_modified_counts: api.not_modified_counts.unwrap_or(false),
                poll_interval_hint,
                long_poll_max,
                sse_retry,
                sse_drops,
                sse_drop_every,
            },
            webhook: WebhookConfig { delay, timeout, retry, payload },
            receiver: ReceiverConfig { failure_rate, slow_rate, slow, outages, gone_at },
            strategies: StrategiesConfig { intervals, reconcile_interval, list, long_poll_wait, adaptive },
        })
    }

    /// A bundled scenario by name.
    pub fn bundled(name: &str) -> Option<Result<Scenario, ScenarioError>> {
        BUNDLED
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(n, text)| Scenario::from_toml(text, &format!("{n} (bundled)")))
    }

    /// Names of the bundled scenarios.
    pub fn bundled_names() -> Vec<&'static str> {
        BUNDLED.iter().map(|(n, _)| *n).collect()
    }

    /// Recomputes the drain after the intervals changed, unless the file set one.
    pub fn refresh_default_drain(&mut self) {
        if !self.drain_explicit {
            let longest = self.strategies.intervals.iter().copied().max().unwrap_or(0);
            self.drain = default_drain(longest, self.strategies.reconcile_interval);
        }
    }

    /// Changes the span of the run (`--duration`): bursts past it are dropped, and a trace's
    /// reported rate is recomputed over the rows that now fall inside it.
    pub fn set_duration(&mut self, duration: Micros) {
        self.duration = duration;
        self.events.bursts.retain(|b| b.at < duration);
        if let Some(t) = &self.events.trace {
            let n = t.rows.iter().filter(|r| r.at < duration).count();
            self.events.rate = Rate { count: n as f64, per: duration };
        }
    }

    /// The expected number of events (the integral of the arrival rate).
    pub fn expected_events(&self) -> f64 {
        match &self.events.trace {
            Some(t) => t.rows.iter().filter(|r| r.at < self.duration).count() as f64,
            None => expected_events(
                self.duration,
                &self.events.rate,
                &self.events.bursts,
                self.events.daily.as_deref(),
            ),
        }
    }
}

/// Default drain: long enough for the slowest poll to come round three times, at least an hour.
pub fn default_drain(longest_poll: Micros, reconcile: Micros) -> Micros {
    HOUR.max(3 * longest_poll).max(3 * reconcile)
}

/// The piecewise-constant arrival rate as segments `(start, end, per-second rate)` covering
/// `[0, duration)`. With a daily curve, the base rate in hour h of each day is
/// `rate × daily[h] / mean(daily)` (so the mean over a day stays `rate`; the run starts at
/// midnight). Inside a burst its rate replaces the base rate; where bursts overlap, the highest
/// rate holds.
pub fn rate_segments(
    duration: Micros,
    base: &Rate,
    bursts: &[Burst],
    daily: Option<&[f64]>,
) -> Vec<(Micros, Micros, f64)> {
    let mut cuts = vec![0, duration];
    if daily.is_some() {
        cuts.extend((1..=duration / HOUR).map(|h| h * HOUR));
    }
    let hourly = |t: Micros| match daily {
        Some(w) if !w.is_empty() => {
            let mean = w.iter().sum::<f64>() / w.len() as f64;
            base.per_second() * w[((t / HOUR) % w.len() as u64) as usize] / mean
        }
        _ => base.per_second(),
    };
    for b in bursts {
        cuts.push(b.at.min(duration));
        cuts.push(b.at.saturating_add(b.duration).min(duration));
    }
    cuts.sort_unstable();
    cuts.dedup();
    let mut segs = Vec::new();
    for w in cuts.windows(2) {
        let (s, e) = (w[0], w[1]);
        let rate = bursts
            .iter()
            .filter(|b| b.at <= s && s < b.at.saturating_add(b.duration))
            .map(|b| b.rate.per_second())
            .fold(None, |m: Option<f64>, r| Some(m.map_or(r, |m| m.max(r))))
            .unwrap_or_else(|| hourly(s));
        segs.push((s, e, rate));
    }
    segs
}

fn expected_events(duration: Micros, base: &Rate, bursts: &[Burst], daily: Option<&[f64]>) -> f64 {
    rate_segments(duration, base, bursts, daily)
        .iter()
        .map(|(s, e, r)| r * (e - s) as f64 / SECOND as f64)
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_bundled_scenario_validates() {
        for (name, _) in BUNDLED {
            let s = Scenario::bundled(name).unwrap().unwrap();
            assert_eq!(&s.name, name);
        }
    }

    #[test]
    fn minimal_scenario_gets_defaults() {
        let s = Scenario::from_toml("name = \"x\"\n[events]\nrate = \"60/h\"\n", "t").unwrap();
        assert_eq!(s.duration, DAY);
        assert_eq!(s.strategies.intervals, vec![30 * SECOND]);
        assert_eq!(s.strategies.list.len(), 6);
        assert!(s.api.rate_limit.is_none());
        assert!((s.expected_events() - 1440.0).abs() < 1e-9);
    }

    #[test]
    fn errors_name_the_key_and_the_fix() {
        let e = Scenario::from_toml("name = \"x\"\n[events]\nrate = \"60\"\n", "f.toml").unwrap_err();
        assert!(e.0.contains("events.rate") && e.0.contains("f.toml"), "{e}");
        let e = Scenario::from_toml("name = \"x\"\nbogus = 1\n[events]\nrate = \"60/h\"\n", "f").unwrap_err();
        assert!(e.0.contains("line 2") && e.0.contains("bogus"), "{e}");
        let e = Scenario::from_toml("name = \"x\"\n[events\n", "f").unwrap_err();
        assert!(e.0.contains("line 2, column"), "{e}");
        let e = Scenario::from_toml(
            "name = \"x\"\n[events]\nrate = \"60/h\"\n[webhook]\nretry = \"nope\"\n",
            "f",
        )
        .unwrap_err();
        assert!(e.0.contains("svix"), "{e}");
        let e = Scenario::from_toml(
            "name = \"x\"\n[events]\nrate = \"60/h\"\n[receiver]\nfailure_rate = 1.5\n",
            "f",
        )
        .unwrap_err();
        assert!(e.0.contains("from 0 to 1"), "{e}");
    }

    #[test]
    fn bursts_replace_the_base_rate() {
        let base = parse_rate("3600/h").unwrap();
        let b = Burst { at: 10 * SECOND, duration: 10 * SECOND, rate: parse_rate("36000/h").unwrap() };
        let segs = rate_segments(60 * SECOND, &base, std::slice::from_ref(&b), None);
        assert_eq!(segs.len(), 3);
        assert_eq!(segs[1], (10 * SECOND, 20 * SECOND, 10.0));
        assert!((expected_events(60 * SECOND, &base, std::slice::from_ref(&b), None) - 150.0).abs() < 1e-9);
    }

    #[test]
    fn daily_curves_shape_the_hours_and_keep_the_mean() {
        let base = parse_rate("240/h").unwrap();
        let mut w = vec![0.0; 24];
        w[9] = 1.0;
        w[10] = 3.0;
        let segs = rate_segments(2 * DAY, &base, &[], Some(&w));
        assert_eq!(segs.len(), 48);
        // 240/h × 3 / (4/24) = 4320/h = 1.2/s in hour 10 of each day; none at night.
        assert!((segs[34].2 - 1.2).abs() < 1e-9 && segs[3].2 == 0.0, "{:?}", &segs[30..36]);
        assert!((expected_events(2 * DAY, &base, &[], Some(&w)) - 2.0 * 24.0 * 240.0).abs() < 1e-6);
        let e = Scenario::from_toml("name = \"x\"\n[events]\nrate = \"60/h\"\ndaily = [1.0, 2.0]\n", "f")
            .unwrap_err();
        assert!(e.0.contains("events.daily") && e.0.contains("24"), "{e}");
    }

    #[test]
    fn new_keys_are_validated() {
        let bad = |extra: &str, key: &str| {
            let e = Scenario::from_toml(&format!("name = \"x\"\n{extra}"), "f").unwrap_err();
            assert!(e.0.contains(key), "{e}");
        };
        bad("[events]\nresources = 3\n", "trace");
        bad("[events]\nrate = \"1/h\"\ntrace = \"nope.csv\"\n", "events.rate");
        bad("[events]\ntrace = \"/nonexistent/t.csv\"\n", "cannot read trace");
        bad("[events]\nrate = \"1/h\"\n[api]\nsse_drops = [\"soon\"]\n", "api.sse_drops[0]");
        bad(
            "[events]\nrate = \"1/h\"\n[strategies]\nadaptive = { min = \"1m\", max = \"1s\" }\n",
            "adaptive.max",
        );
        bad("[events]\nrate = \"1/h\"\n[strategies]\nadaptive = { backoff = 0.5 }\n", "adaptive.backoff");
        bad("[events]\nrate = \"1/h\"\n[strategies]\nadaptive = { fast = \"1s\" }\n", "fast");
        bad("[events]\nrate = \"1/h\"\n[strategies]\nlong_poll_wait = \"0s\"\n", "long_poll_wait");
    }
}
