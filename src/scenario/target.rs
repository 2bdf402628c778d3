//! The `[target]` section: what the design must achieve, so every table can end in a verdict
//! that names the cheapest row meeting it.
//!
//! Owns the section's keys — `latency = "p99<1m"` (a latency statistic, `<` or `<=`, a
//! duration), `missed = 0` (the most events a row may lose), `quota = "80%"` (the largest peak
//! share of the rate limit it may use) — and their checks. It only reads text; judging rows
//! against it is [`crate::result::advice`]'s.

use serde::{Deserialize, Deserializer, Serialize};

use super::check::{Ctx, ScenarioError};
use crate::support::units::{parse_duration, Micros};

/// The latency statistic a target bounds: ready latency at a percentile, or its mean or max.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Statistic {
    /// The mean.
    Mean,
    /// The median.
    P50,
    /// The 90th percentile.
    P90,
    /// The 99th percentile.
    P99,
    /// The 99.9th percentile.
    P999,
    /// The largest.
    Max,
}

impl Statistic {
    /// Every statistic with its name.
    pub const NAMES: [(&'static str, Statistic); 6] = [
        ("mean", Statistic::Mean),
        ("p50", Statistic::P50),
        ("p90", Statistic::P90),
        ("p99", Statistic::P99),
        ("p999", Statistic::P999),
        ("max", Statistic::Max),
    ];

    /// Its name, as `NAMES` has it.
    pub fn name(self) -> &'static str {
        Statistic::NAMES.iter().find(|(_, s)| *s == self).map_or("p99", |(n, _)| n)
    }

    /// The quantile it is read at, 0 to 1 (`None` for the mean).
    pub fn quantile(self) -> Option<f64> {
        match self {
            Statistic::Mean => None,
            Statistic::P50 => Some(0.5),
            Statistic::P90 => Some(0.9),
            Statistic::P99 => Some(0.99),
            Statistic::P999 => Some(0.999),
            Statistic::Max => Some(1.0),
        }
    }

    /// The statistic named `name` (`p99.9` and `median` too).
    pub fn parse(name: &str) -> Option<Statistic> {
        let name = match name.trim() {
            "p99.9" => "p999",
            "median" => "p50",
            other => other,
        };
        Statistic::NAMES.iter().find(|(n, _)| *n == name).map(|(_, s)| *s)
    }
}

/// What a design must achieve (every part optional; an empty target is no target).
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct TargetConfig {
    /// The latency bound: the statistic and the longest it may be, µs.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "latency",
        deserialize_with = "latency_back"
    )]
    pub latency: Option<(Statistic, Micros)>,
    /// The most events a row may miss (0 when the section does not say).
    #[serde(default)]
    pub missed: u64,
    /// The largest peak share of the rate limit a row may use, 0–1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quota: Option<f64>,
}

/// The latency bound as a saved result writes it (`{ "statistic": "p99", "max_s": 10.0 }`).
fn latency_back<'de, D: Deserializer<'de>>(d: D) -> Result<Option<(Statistic, Micros)>, D::Error> {
    #[derive(Deserialize)]
    struct Saved {
        statistic: Statistic,
        max_s: f64,
    }
    let saved = Option::<Saved>::deserialize(d)?;
    Ok(saved.map(|s| (s.statistic, (s.max_s * crate::support::units::SECOND as f64).round() as Micros)))
}

fn latency<S: serde::Serializer>(v: &Option<(Statistic, Micros)>, s: S) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeStruct;
    let Some((stat, us)) = v else { return s.serialize_none() };
    let mut st = s.serialize_struct("Latency", 2)?;
    st.serialize_field("statistic", stat)?;
    st.serialize_field("max_s", &crate::support::units::secs_f(*us))?;
    st.end()
}

impl TargetConfig {
    /// Whether the target says anything beyond the default (miss nothing).
    pub fn is_set(&self) -> bool {
        self.latency.is_some() || self.quota.is_some() || self.missed > 0
    }
}

/// The raw section.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawTarget {
    latency: Option<String>,
    missed: Option<i64>,
    quota: Option<toml::Value>,
}

/// Parses `p99<1m`, `p99 <= 1m`, `mean<5s`: a statistic, `<` or `<=`, a duration.
pub fn parse_latency(text: &str) -> Result<(Statistic, Micros), String> {
    let shape = "write a statistic, `<` and a duration, such as `p99<1m` or `mean<5s`";
    let Some(at) = text.find('<') else { return Err(format!("`{text}` has no `<`; {shape}")) };
    let stat = Statistic::parse(&text[..at]).ok_or_else(|| {
        format!(
            "`{}` is not a latency statistic; use one of mean, p50, p90, p99, p999, max",
            text[..at].trim()
        )
    })?;
    let rest = text[at + 1..].trim_start_matches('=').trim();
    let d = parse_duration(rest).map_err(|e| format!("{e}; {shape}"))?;
    Ok((stat, d))
}

/// Parses a share written `80%` or `0.8`, from 0 to 1.
fn share(v: &toml::Value) -> Option<f64> {
    let x = match v {
        toml::Value::String(s) => match s.trim().strip_suffix('%') {
            Some(p) => p.trim().parse::<f64>().ok()? / 100.0,
            None => s.trim().parse::<f64>().ok()?,
        },
        toml::Value::Float(f) => *f,
        toml::Value::Integer(i) => *i as f64,
        _ => return None,
    };
    (x.is_finite() && (0.0..=1.0).contains(&x)).then_some(x)
}

/// The section as the target.
pub(super) fn from_raw(cx: &Ctx, raw: &RawTarget) -> Result<TargetConfig, ScenarioError> {
    let latency = match &raw.latency {
        Some(t) => Some(parse_latency(t).map_err(|e| cx.err("target.latency", e))?),
        None => None,
    };
    let missed = match raw.missed {
        Some(n) if n < 0 => return Err(cx.err("target.missed", "is negative; give 0 or more events")),
        Some(n) => n as u64,
        None => 0,
    };
    let quota = match &raw.quota {
        Some(v) => Some(
            share(v)
                .ok_or_else(|| cx.err("target.quota", "is not a share; write `80%` or `0.8` (0 to 1)"))?,
        ),
        None => None,
    };
    Ok(TargetConfig { latency, missed, quota })
}
