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
use crate::support::limits::MAX_SIM_EVENTS;
use crate::support::quote::{excerpt, EXCERPT};
use crate::support::units::{Micros, Rate, MILLI};
use crate::trace::Trace;

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
    if let TraceAccess::Given(path) = access {
        let file = path.display().to_string();
        return Ok(Some(
            crate::trace::read(&file, path).map_err(|e| ScenarioError(format!("--trace: {e}")))?,
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
    Ok(Some(crate::trace::read(file, &path).map_err(|e| cx.err("events.trace", e))?))
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
    let visibility_delay =
        cx.delay("events.visibility_delay", ev.visibility_delay.as_ref(), Delay::Fixed(0))?;
    let bursts = bursts(cx, raw_bursts, duration)?;
    let events = EventsConfig {
        rate,
        resources,
        resource_type: ev.resource_type.clone().unwrap_or_else(|| "resource".into()),
        states,
        payload_bytes,
        visibility_delay,
        bursts,
        daily,
        trace,
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
