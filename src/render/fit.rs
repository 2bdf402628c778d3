//! `scenarios fit`'s output: the fitted scenario as TOML, with comments saying what was measured.
//!
//! Owns the layout of a [`Fit`] as a scenario file a user can read, keep and edit: the arrivals
//! (the recording itself as `events.trace`, or a fitted Poisson rate and daily curve), the
//! webhook delay, and the shares observed. It computes nothing: every figure is in the [`Fit`].

use crate::scenario::fit::Fit;
use crate::support::units::{format_duration, Micros, MILLI, SECOND};

/// How the arrivals are written.
pub enum Arrivals<'a> {
    /// `events.trace = PATH` (as the scenario file should name it).
    Trace(&'a str),
    /// A fitted Poisson rate (and a daily curve when the fit has one).
    Synthetic,
}

/// A delay as a scenario writes it: whole milliseconds, or microseconds under one.
fn duration(us: Micros) -> String {
    if us >= MILLI {
        format!("{}ms", us.saturating_add(MILLI / 2) / MILLI)
    } else {
        format!("{us}us")
    }
}

fn share(n: usize, of: usize) -> String {
    format!("{:.2}% ({n} of {of})", n as f64 * 100.0 / of.max(1) as f64)
}

/// The scenario TOML fitted from `file`.
pub fn toml(fit: &Fit, file: &str, name: &str, arrivals: Arrivals) -> String {
    let q = |s: &str| toml::Value::String(s.to_string()).to_string();
    let mut s = format!(
        "# Fitted by `hookbench scenarios fit` from the recording {} — {} deliveries, {} distinct\n\
         # events (duplicates dropped) with event times over {}.\n",
        q(file),
        fit.deliveries,
        fit.events,
        format_duration(fit.last - fit.first)
    );
    s += &format!("name = {}\n", q(name));
    s += &format!(
        "description = {}\n",
        q(&format!("Fitted from {file}: {} events, {} deliveries", fit.events, fit.deliveries))
    );
    s += "\n[events]\n";
    match arrivals {
        Arrivals::Trace(path) => {
            s += "# The recorded arrivals, replayed (rows marked duplicate are not events); the run spans them.\n";
            s += &format!("trace = {}\n", q(path));
        }
        Arrivals::Synthetic => {
            let secs = fit.span().div_ceil(SECOND);
            s = s.replace("\n[events]\n", &format!("duration = \"{secs}s\"\n\n[events]\n"));
            s += &format!(
                "# Poisson at the recorded mean: {} events over {}.\nrate = \"{:.3}/h\"\n",
                fit.events,
                format_duration(fit.span()),
                fit.rate_per_hour
            );
            match &fit.daily {
                Some(w) => {
                    let list: Vec<String> = w.iter().map(|x| format!("{x}")).collect();
                    s += "# Events per hour of the recorded day (mean 1), from the hour the recording began.\n";
                    s += &format!("daily = [{}]\n", list.join(", "));
                }
                None => s += "# The recording spans under a day: no daily curve is fitted.\n",
            }
        }
    }
    s += "\n[webhook]\n";
    if fit.early > 0 {
        s += &format!(
            "# {} deliveries arrived before their event time (the sender's clock is ahead of the\n\
             # receiver's): left out of the delay below.\n",
            fit.early
        );
    }
    match &fit.delay {
        Some(d) => {
            s += &format!(
                "# Event time → first arrival over {} deliveries with a known event time ({} from the\n\
                 # signature scheme's timestamp, {} from a payload pointer); {} had none. Measured: median {},\n\
                 # p99 {}. Fitted as a log-normal by maximum likelihood:\n",
                d.samples,
                d.from_scheme,
                d.samples - d.from_scheme,
                fit.events - d.samples,
                format_duration(d.sample_median),
                format_duration(d.sample_p99)
            );
            s += &format!(
                "delay = {{ median = {}, p99 = {} }}\n",
                q(&duration(d.median)),
                q(&duration(d.p99))
            );
        }
        None => {
            s += "# No delivery carried an event time (every `event_time` is `arrival`), so the delay\n\
                  # cannot be measured: the default ({ median = \"300ms\", p99 = \"2s\" }) stands.\n";
        }
    }
    s += &format!(
        "# Observed over {} deliveries: duplicates {}, retries (attempt above 1) {},\n\
         # answered outside 2xx {}. No scenario key takes these; the retry schedule stays the default.\n",
        fit.deliveries,
        share(fit.duplicates, fit.deliveries),
        share(fit.retries, fit.deliveries),
        share(fit.non_2xx, fit.deliveries)
    );
    s
}
