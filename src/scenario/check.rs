//! The field checks every section of a scenario file shares, and the sentence each problem
//! becomes.
//!
//! Owns [`ScenarioError`] and [`Ctx`] — where the file came from — with its checks: durations
//! (with the crate's bounds from [`crate::support::limits`]), rates, shares, delays and whole numbers,
//! each failing as one sentence that names the file, the key and what would be right. It knows
//! no section, builds no model type beyond a [`Delay`], and imports nothing from its parent.

use crate::model::dist::Delay;
use crate::support::limits::{MAX_DURATION, MAX_DURATION_TEXT};
use crate::support::units::{format_duration, parse_duration, parse_rate, Micros, Rate};

/// A scenario problem, as one sentence.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{0}")]
pub struct ScenarioError(pub String);

/// Where a scenario came from, for error messages.
pub(super) struct Ctx<'a> {
    pub(super) origin: &'a str,
}

impl Ctx<'_> {
    /// The error for `key`.
    pub(super) fn err(&self, key: &str, msg: impl std::fmt::Display) -> ScenarioError {
        ScenarioError(format!("scenario {}: `{key}`: {msg}", self.origin))
    }

    /// Any duration up to a year ([`MAX_DURATION`]): every duration key shares this bound and
    /// its sentence.
    pub(super) fn duration(&self, key: &str, text: &str) -> Result<Micros, ScenarioError> {
        let d = parse_duration(text).map_err(|e| self.err(key, e))?;
        if d > MAX_DURATION {
            return Err(self.err(key, format!("`{text}` is over a year; use at most `{MAX_DURATION_TEXT}`")));
        }
        Ok(d)
    }

    /// A duration of at least `min` (and at most a year, as every duration).
    pub(super) fn positive_duration(
        &self,
        key: &str,
        text: &str,
        min: Micros,
    ) -> Result<Micros, ScenarioError> {
        let d = self.duration(key, text)?;
        if d < min {
            return Err(
                self.err(key, format!("`{text}` is too short; it must be at least {}", format_duration(min)))
            );
        }
        Ok(d)
    }

    /// A rate such as `120/h`.
    pub(super) fn rate(&self, key: &str, text: &str) -> Result<Rate, ScenarioError> {
        parse_rate(text).map_err(|e| self.err(key, e))
    }

    /// A share from 0 to 1; absent is 0.
    pub(super) fn share(&self, key: &str, v: Option<f64>) -> Result<f64, ScenarioError> {
        let v = v.unwrap_or(0.0);
        if !(0.0..=1.0).contains(&v) || v.is_nan() {
            return Err(self.err(key, format!("{v} is not a share; give a number from 0 to 1")));
        }
        Ok(v)
    }

    /// A fixed delay (`"80ms"`) or a log-normal one (`{ median, p99 }`); absent is `default`.
    pub(super) fn delay(
        &self,
        key: &str,
        v: Option<&toml::Value>,
        default: Delay,
    ) -> Result<Delay, ScenarioError> {
        let Some(v) = v else { return Ok(default) };
        let hint = "give a duration such as \"80ms\", { median = \"80ms\", p99 = \"400ms\" }, \
                    or { mean = \"200ms\", dist = \"exponential\" }";
        match v {
            toml::Value::String(s) => Ok(Delay::Fixed(self.duration(key, s)?)),
            toml::Value::Table(t) if t.contains_key("dist") || t.contains_key("mean") => {
                for k in t.keys() {
                    if k != "mean" && k != "dist" {
                        return Err(self.err(
                            key,
                            format!("unknown key `{k}`; an exponential delay has `mean` and `dist`"),
                        ));
                    }
                }
                match t.get("dist") {
                    Some(toml::Value::String(d)) if d == "exponential" => {}
                    Some(other) => {
                        return Err(self.err(
                            &format!("{key}.dist"),
                            format!(
                                "unknown distribution {other}; use \"exponential\" (or give median and p99)"
                            ),
                        ))
                    }
                    None => return Err(self.err(key, format!("`dist` is missing; {hint}"))),
                }
                match t.get("mean") {
                    Some(toml::Value::String(s)) => {
                        Ok(Delay::Exponential { mean: self.duration(&format!("{key}.mean"), s)? })
                    }
                    Some(_) => Err(self.err(&format!("{key}.mean"), format!("expected a string; {hint}"))),
                    None => Err(self.err(key, format!("`mean` is missing; {hint}"))),
                }
            }
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

    /// A whole number from `min` to `max`; absent is `default`.
    pub(super) fn count(
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

/// A window as written: `{ at = "6h", duration = "15m" }`.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawWindow {
    at: String,
    duration: String,
}

impl Ctx<'_> {
    /// `key`'s windows.
    pub(super) fn windows(
        &self,
        key: &str,
        raw: &[RawWindow],
    ) -> Result<Vec<crate::model::window::Window>, ScenarioError> {
        raw.iter().enumerate().map(|(i, w)| self.window(&format!("{key}[{i}]"), &w.at, &w.duration)).collect()
    }

    /// One window at `at` lasting `duration`.
    pub(super) fn window(
        &self,
        key: &str,
        at: &str,
        duration: &str,
    ) -> Result<crate::model::window::Window, ScenarioError> {
        Ok(crate::model::window::Window {
            at: self.duration(&format!("{key}.at"), at)?,
            duration: self.positive_duration(
                &format!("{key}.duration"),
                duration,
                crate::support::units::MILLI,
            )?,
        })
    }
}

/// Turns a TOML parse error into "line L, column C: message".
/// In serde's "unknown field `x`, expected one of `a`, `b`", the expected key nearest to `x` by
/// edit distance, when it is near (at most a third of its letters differ).
fn nearest_key(msg: &str) -> Option<String> {
    let rest = msg.strip_prefix("unknown field `")?;
    let (given, rest) = rest.split_once('`')?;
    let expected: Vec<&str> = rest.split('`').skip(1).step_by(2).collect();
    nearest(given, expected.iter().copied())
}

/// Of `candidates`, the one nearest to `given` by edit distance, when it is near (at most a
/// third of its letters differ) and not `given` itself.
pub(super) fn nearest<'a>(given: &str, candidates: impl Iterator<Item = &'a str>) -> Option<String> {
    let distance = |a: &str, b: &str| {
        let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
        let mut prev: Vec<usize> = (0..=b.len()).collect();
        for (i, ca) in a.iter().enumerate() {
            let mut row = vec![i + 1];
            for (j, cb) in b.iter().enumerate() {
                row.push((prev[j] + usize::from(ca != cb)).min(prev[j + 1] + 1).min(row[j] + 1));
            }
            prev = row;
        }
        prev[b.len()]
    };
    let (d, best) = candidates.map(|k| (distance(given, k), k)).min()?;
    (d > 0 && d * 3 <= given.chars().count().max(best.chars().count())).then(|| best.to_string())
}

pub(super) fn toml_error(origin: &str, text: &str, e: &toml::de::Error) -> ScenarioError {
    let msg = e.message().split('\n').map(str::trim).filter(|l| !l.is_empty()).collect::<Vec<_>>().join("; ");
    let mut msg = msg.trim_end_matches('.').to_string();
    // A bare number where a string is expected is most often a duration or a rate without its
    // unit: say so as every other duration error does.
    let bare = ["invalid type: integer `", "invalid type: floating point `"]
        .iter()
        .find_map(|p| msg.strip_prefix(p)?.split_once("`, expected a string"))
        .map(|(n, _)| n.to_string());
    if let Some(n) = bare {
        msg = format!(
            "`{n}` is a bare number; a duration or a rate is a string with its unit, such as `\"{n}s\"` or `\"{n}/h\"`"
        );
    }
    let msg = match nearest_key(&msg) {
        Some(k) => format!("{msg}; did you mean `{k}`?"),
        None => msg,
    };
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
