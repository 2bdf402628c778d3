//! The `[events]` section: the arrival process, parsed into the model's [`EventsConfig`].
//!
//! Owns the section's raw keys, its defaults (100 resources, three states, 512-byte payloads)
//! and its checks, including the bound on a run's size ([`MAX_SIM_EVENTS`]). The arithmetic of the
//! rate is the model's ([`expected_events`]); this module only reads text and
//! reads a trace file: one a scenario file names, only inside its directory, or one given on the
//! command line ([`TraceAccess`]).

use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::check::{Ctx, ScenarioError};
use crate::model::arrivals::{expected_events, Burst, EventsConfig};
use crate::model::dist::Delay;
use crate::model::types::EventTypes;
use crate::support::limits::MAX_SIM_EVENTS;
use crate::support::quote::{excerpt, EXCERPT};
use crate::support::units::{Micros, Rate, MILLI};

use crate::trace::{Columns, EpochUnit, ReadOptions, Trace, TraceFormat};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawEvents {
    rate: Option<String>,
    trace: Option<String>,
    daily: Option<Vec<f64>>,
    resources: Option<i64>,
    resource_type: Option<String>,
    states: Option<Vec<String>>,
    payload_bytes: Option<i64>,
    visibility_delay: Option<toml::Value>,
    types: Option<toml::Value>,
    trace_format: Option<String>,
    trace_columns: Option<String>,
    time_unit: Option<String>,
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

/// Where a scenario's trace may come from.
#[derive(Debug, Clone, Copy)]
pub enum TraceAccess<'a> {
    /// A scenario file's directory: `events.trace` is a path, relative to it or absolute, that
    /// must resolve inside it (symlinks and `..` resolved first).
    Within(&'a Path),
    /// A trace the user gave on the command line (`--trace`): it replaces the scenario's
    /// arrivals (`events.rate`, `bursts`, `daily` and `trace`).
    Given(&'a Path),
    /// No directory (a bundled scenario, or scenario text): `events.trace` is refused.
    Nowhere,
}

/// The recorded trace the section names, or the one given on the command line (checked before
/// the run's duration, which a trace can give).
pub(super) fn trace(cx: &Ctx, ev: &RawEvents, access: TraceAccess) -> Result<Option<Trace>, ScenarioError> {
    let opts = read_options(cx, ev)?;
    if let TraceAccess::Given(path) = access {
        let file = path.display().to_string();
        return Ok(Some(
            crate::trace::read(&file, path, &opts).map_err(|e| ScenarioError(format!("--trace: {e}")))?,
        ));
    }
    if ev.rate.is_some() && ev.trace.is_some() {
        return Err(cx.err(
            "events.rate",
            "is set together with `events.trace`; a trace gives the arrival times, so drop the rate",
        ));
    }
    let Some(file) = &ev.trace else { return Ok(None) };
    let TraceAccess::Within(dir) = access else {
        return Err(cx.err(
            "events.trace",
            "names a file, but this scenario has no directory to find it in; give the trace with `--trace FILE`",
        ));
    };
    let path = inside(cx, dir, file)?;
    Ok(Some(crate::trace::read(file, &path, &opts).map_err(|e| cx.err("events.trace", e))?))
}

/// How the trace is read: `events.trace_format`, `events.trace_columns`, `events.time_unit`
/// (also the flags `--trace-format`, `--trace-columns`, `--time-unit`).
fn read_options(cx: &Ctx, ev: &RawEvents) -> Result<ReadOptions, ScenarioError> {
    fn choice<T: clap::ValueEnum>(
        cx: &Ctx,
        key: &str,
        text: Option<&String>,
    ) -> Result<Option<T>, ScenarioError> {
        let Some(text) = text else { return Ok(None) };
        T::from_str(text, true).map(Some).map_err(|_| {
            let names: Vec<String> = T::value_variants().iter().map(crate::trace::option_name).collect();
            cx.err(key, format!("`{}` is not one of {}", excerpt(text, EXCERPT), names.join(", ")))
        })
    }
    let format = choice::<TraceFormat>(cx, "events.trace_format", ev.trace_format.as_ref())?;
    let unit = choice::<EpochUnit>(cx, "events.time_unit", ev.time_unit.as_ref())?;
    let columns = match &ev.trace_columns {
        Some(t) => Columns::parse(t).map_err(|e| cx.err("events.trace_columns", e))?,
        None => Columns::default(),
    };
    Ok(ReadOptions { format, columns, unit })
}

/// `file` resolved inside `dir`: a path (relative to `dir`, or absolute) which after resolving
/// symlinks and `..` is under `dir`.
fn inside(cx: &Ctx, dir: &Path, file: &str) -> Result<PathBuf, ScenarioError> {
    let shown = excerpt(file, EXCERPT);
    let outside = || {
        cx.err(
            "events.trace",
            format!(
                "`{shown}` is outside the scenario's directory; a scenario may name only a trace beside it or below it (give any other with `--trace FILE`)"
            ),
        )
    };
    if file.is_empty() {
        return Err(cx.err("events.trace", "is empty; name the trace file, such as `trace = \"rec.csv\"`"));
    }
    let cannot = |e: std::io::Error| cx.err("events.trace", format!("cannot read trace `{shown}`: {e}"));
    let root = dir.canonicalize().map_err(cannot)?;
    // An absolute path is taken as written (joining keeps it whole); it passes only if it
    // resolves inside the directory, as a relative one must.
    let path = match root.join(file).canonicalize() {
        Ok(path) => path,
        // A missing file named outside is refused as outside, not probed.
        Err(_)
            if Path::new(file).is_absolute()
                && !Path::new(file).starts_with(dir)
                && !Path::new(file).starts_with(&root) =>
        {
            return Err(outside())
        }
        Err(e) => return Err(cannot(e)),
    };
    if !path.starts_with(&root) {
        return Err(outside());
    }
    Ok(path)
}

/// The section as the model's configuration, for a run of `duration`.
pub(super) fn from_raw(
    cx: &Ctx,
    ev: &RawEvents,
    trace: Option<Trace>,
    access: TraceAccess,
    duration: Micros,
) -> Result<EventsConfig, ScenarioError> {
    // A trace from the command line replaces the scenario's arrivals: its rate, bursts and
    // daily curve are not used.
    let given = matches!(access, TraceAccess::Given(_));
    let (daily, raw_bursts) = if given { (None, &[][..]) } else { (ev.daily.as_ref(), &ev.bursts[..]) };
    let rate = match (&ev.rate, &trace) {
        (Some(r), None) if !given => {
            let rate = cx.rate("events.rate", r)?;
            if rate.count <= 0.0 {
                return Err(cx.err("events.rate", "must be above zero, such as `120/h`"));
            }
            rate
        }
        (_, Some(t)) if given || ev.rate.is_none() => {
            let n = t.rows.iter().filter(|r| r.at < duration).count();
            Rate { count: n as f64, per: duration }
        }
        _ => {
            return Err(cx.err(
                "events.rate",
                "is missing; give an arrival rate such as `rate = \"120/h\"`, or a recorded trace with `trace = \"FILE\"`",
            ))
        }
    };
    if trace.is_some() && (!raw_bursts.is_empty() || daily.is_some()) {
        let key = if daily.is_some() { "events.daily" } else { "events.bursts" };
        return Err(cx.err(key, "cannot shape a recorded trace; drop it, or use `rate` instead of `trace`"));
    }
    let daily = match daily {
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
        Some(w) if !w.iter().sum::<f64>().is_finite() => {
            let big = w.iter().copied().fold(0.0, f64::max);
            return Err(cx.err(
                "events.daily",
                format!("has a weight of `{big:e}`, and the 24 weights add up to more than a number can hold; scale them down (only their ratios matter)"),
            ));
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
    let (visibility_delay, visibility_daily) = visibility(cx, ev.visibility_delay.as_ref())?;
    let bursts = bursts(cx, raw_bursts, duration)?;
    // A trace that names its event types gives them, each with its share of the rows.
    let events_trace_types = trace.as_ref().filter(|t| !t.types.is_empty()).map(|t| EventTypes {
        names: t.types.clone(),
        weights: t.type_counts.iter().map(|&c| c as f64).collect(),
    });
    let events = EventsConfig {
        rate,
        resources,
        resource_type: ev.resource_type.clone().unwrap_or_else(|| "resource".into()),
        states,
        payload_bytes,
        visibility_delay,
        visibility_daily,
        bursts,
        daily,
        trace,
        types: match (&events_trace_types, ev.types.is_some()) {
            (Some(_), true) => {
                return Err(cx.err(
                    "events.types",
                    "is set together with a trace that names its event types; the trace's types are used, so drop `types`",
                ))
            }
            (Some(t), false) => t.clone(),
            (None, _) => types(cx, ev.types.as_ref())?,
        },
    };
    // The rate's integral, also for a trace (whose rate is its rows over the duration).
    let expected = expected_events(duration, &events.rate, &events.bursts, events.daily.as_deref());
    if expected > MAX_SIM_EVENTS {
        return Err(cx.err(
            "events.rate",
            format!(
                "about {expected:.0} events over the duration is more than the {MAX_SIM_EVENTS:.0} one run can draw; lower the rate or shorten the duration"
            ),
        ));
    }
    Ok(events)
}

/// `events.visibility_delay`: a delay as every delay key takes, or `{ daily = [24 durations] }`
/// — the delay at the start of each hour from midnight, for an API whose lag follows the time of
/// day (GitHub's events API: "anywhere from 30s to 6h").
fn visibility(cx: &Ctx, v: Option<&toml::Value>) -> Result<(Delay, Vec<Micros>), ScenarioError> {
    let key = "events.visibility_delay";
    let Some(toml::Value::Table(t)) = v.filter(|v| v.get("daily").is_some()) else {
        return Ok((cx.delay(key, v, Delay::Fixed(0))?, Vec::new()));
    };
    if let Some(other) = t.keys().find(|k| *k != "daily") {
        return Err(
            cx.err(key, format!("has `{other}` beside `daily`; a daily delay is the 24 hourly values alone"))
        );
    }
    let hint = "give 24 durations, the delay at the start of each hour from midnight";
    let Some(toml::Value::Array(hours)) = t.get("daily") else {
        return Err(cx.err(&format!("{key}.daily"), format!("is not a list; {hint}")));
    };
    if hours.len() != 24 {
        return Err(cx.err(&format!("{key}.daily"), format!("has {} values; {hint}", hours.len())));
    }
    let mut curve = Vec::with_capacity(24);
    for (i, h) in hours.iter().enumerate() {
        let k = format!("{key}.daily[{i}]");
        let Some(text) = h.as_str() else {
            return Err(cx.err(&k, format!("is not a duration; {hint}")));
        };
        curve.push(cx.duration(&k, text)?);
    }
    Ok((Delay::Fixed(0), curve))
}

/// The most event types a scenario may name.
const MAX_TYPES: usize = 1000;

const TYPES_HINT: &str = "give a table of type names and their shares, such as `types = { \"charge.succeeded\" = 2, \"customer.updated\" = 1 }`, or a list of names for equal shares";

/// `events.types`: a table of names and weights, or a list of names (equal shares).
fn types(cx: &Ctx, v: Option<&toml::Value>) -> Result<EventTypes, ScenarioError> {
    let key = "events.types";
    let pairs: Vec<(String, f64)> = match v {
        None => return Ok(EventTypes::default()),
        Some(toml::Value::Array(a)) => a
            .iter()
            .map(|n| n.as_str().map(|s| (s.to_string(), 1.0)).ok_or_else(|| cx.err(key, TYPES_HINT)))
            .collect::<Result<_, _>>()?,
        Some(toml::Value::Table(t)) => t
            .iter()
            .map(|(n, w)| match w {
                toml::Value::Integer(i) => Ok((n.clone(), *i as f64)),
                toml::Value::Float(f) => Ok((n.clone(), *f)),
                _ => Err(cx.err(
                    &format!("{key}.{n}"),
                    "is not a number; give the type's share, such as `2` or `0.25`",
                )),
            })
            .collect::<Result<_, _>>()?,
        Some(_) => return Err(cx.err(key, TYPES_HINT)),
    };
    if pairs.is_empty() || pairs.len() > MAX_TYPES {
        return Err(cx.err(key, format!("names {} types; give 1 to {MAX_TYPES}", pairs.len())));
    }
    let mut names: Vec<String> = Vec::with_capacity(pairs.len());
    for (n, w) in &pairs {
        if n.trim().is_empty() || n.chars().any(char::is_control) {
            return Err(cx.err(key, "has an empty type name or one with control characters; name each type, such as `charge.succeeded`"));
        }
        if names.contains(n) {
            return Err(cx.err(key, format!("names `{}` twice; name each type once", excerpt(n, EXCERPT))));
        }
        if !w.is_finite() || *w < 0.0 {
            return Err(cx.err(
                &format!("{key}.{}", excerpt(n, EXCERPT)),
                format!("has the share `{w}`; give a share of 0 or more"),
            ));
        }
        names.push(n.clone());
    }
    let weights: Vec<f64> = pairs.iter().map(|(_, w)| *w).collect();
    let total: f64 = weights.iter().sum();
    if !(total > 0.0 && total.is_finite()) {
        return Err(cx.err(key, "needs shares that add up to a positive number (only their ratios matter)"));
    }
    Ok(EventTypes { names, weights })
}

/// The bursts, each inside the run, in order of start.
fn bursts(cx: &Ctx, raw: &[RawBurst], duration: Micros) -> Result<Vec<Burst>, ScenarioError> {
    let mut bursts = Vec::new();
    for (i, b) in raw.iter().enumerate() {
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
    Ok(bursts)
}
