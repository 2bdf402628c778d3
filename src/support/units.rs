//! Durations and rates as people write them: `30s`, `1m30s`, `250ms`, `5000/h`, `2/s`.
//!
//! Owns the text ↔ number conversions for every time and rate a user can type, on the command
//! line or in a scenario file. All virtual time in hookbench is an integer count of
//! microseconds ([`Micros`]). This module must never guess: a bare number with no unit is refused
//! with a hint rather than read as seconds or milliseconds. It also owns how a time or a rate is
//! written into JSON (seconds, events per hour), so every serialized struct says it the same way.
//! It sits at the bottom of the crate and imports nothing from it.

use std::fmt;

use serde::{Deserialize, Deserializer, Serializer};

/// Virtual time and durations, in microseconds.
pub type Micros = u64;

/// One second in [`Micros`].
pub const SECOND: Micros = 1_000_000;
/// One millisecond in [`Micros`].
pub const MILLI: Micros = 1_000;
/// One hour in [`Micros`].
pub const HOUR: Micros = 3_600 * SECOND;
/// One day in [`Micros`].
pub const DAY: Micros = 24 * HOUR;

/// A malformed duration or rate, with a sentence that says what would be right.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct UnitError(pub String);

/// Parses a duration such as `30s`, `1m30s`, `250ms`, `2h`, `1d`.
pub fn parse_duration(text: &str) -> Result<Micros, UnitError> {
    let s = text.trim();
    if s.is_empty() {
        return Err(UnitError(
            "an empty duration was given; write one such as `30s`, `250ms` or `1m30s`".into(),
        ));
    }
    if s.starts_with('-') {
        return Err(UnitError(format!("`{s}` is negative; a duration must be zero or more, such as `30s`")));
    }
    if s.parse::<f64>().is_ok() {
        return Err(UnitError(format!("`{s}` has no unit; write it with one, such as `{s}s` or `{s}ms`")));
    }
    match humantime::parse_duration(s) {
        Ok(d) => {
            let us = d.as_micros();
            u64::try_from(us).map_err(|_| UnitError(format!("`{s}` is too long a duration")))
        }
        Err(e) => Err(UnitError(format!(
            "`{s}` is not a duration ({e}); write one such as `30s`, `250ms`, `1m30s` or `2h`"
        ))),
    }
}

/// A count per period: `5000/h` is 5000 per hour, `100/10m` 100 per ten minutes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rate {
    /// How many in one period.
    pub count: f64,
    /// The period, in microseconds (never zero).
    pub per: Micros,
}

impl Rate {
    /// The rate per second.
    pub fn per_second(&self) -> f64 {
        self.count * SECOND as f64 / self.per as f64
    }
}

impl fmt::Display for Rate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", trim_float(self.count), format_period(self.per))
    }
}

fn trim_float(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{}", x as i64)
    } else {
        format!("{x}")
    }
}

fn format_period(per: Micros) -> String {
    match per {
        p if p == SECOND => "s".into(),
        p if p == 60 * SECOND => "m".into(),
        p if p == HOUR => "h".into(),
        p if p == DAY => "d".into(),
        p => format_duration(p),
    }
}

/// Parses a rate such as `5000/h`, `2/s`, `120/h`, `0.5/s`, `100/10m`.
pub fn parse_rate(text: &str) -> Result<Rate, UnitError> {
    let s = text.trim();
    let hint = "write a count per period, such as `5000/h`, `2/s` or `100/10m`";
    let Some((count, period)) = s.split_once('/') else {
        return Err(UnitError(format!("`{s}` is not a rate; {hint}")));
    };
    let count: f64 = count
        .trim()
        .parse()
        .map_err(|_| UnitError(format!("`{s}` is not a rate: `{count}` is not a number; {hint}")))?;
    if !count.is_finite() {
        return Err(UnitError(format!("`{s}` is not a finite rate; {hint}")));
    }
    if count < 0.0 {
        return Err(UnitError(format!("`{s}` is negative; a rate must be zero or more, {hint}")));
    }
    let period = period.trim();
    let per = match period {
        "s" | "sec" | "second" => SECOND,
        "m" | "min" | "minute" => 60 * SECOND,
        "h" | "hr" | "hour" => HOUR,
        "d" | "day" => DAY,
        other => parse_duration(other)
            .map_err(|_| UnitError(format!("`{s}` is not a rate: `{other}` is not a period; {hint}")))?,
    };
    if per == 0 {
        return Err(UnitError(format!("`{s}` has a zero period; {hint}")));
    }
    Ok(Rate { count, per })
}

/// Formats a duration compactly for tables: `250ms`, `15.0s`, `1m02s`, `3h05m`, `2d03h`.
pub fn format_duration(us: Micros) -> String {
    let s = us as f64 / SECOND as f64;
    if us == 0 {
        "0s".into()
    } else if us < MILLI {
        format!("{us}µs")
    } else if us < 10 * MILLI {
        format!("{:.1}ms", us as f64 / MILLI as f64)
    } else if us < SECOND {
        format!("{}ms", (us as f64 / MILLI as f64).round() as u64)
    } else if us < 60 * SECOND {
        if us.is_multiple_of(SECOND) {
            format!("{}s", us / SECOND)
        } else {
            format!("{s:.1}s")
        }
    } else if us < HOUR {
        let total = (s.round()) as u64;
        let (m, sec) = (total / 60, total % 60);
        if sec == 0 {
            format!("{m}m")
        } else {
            format!("{m}m{sec:02}s")
        }
    } else if us < 2 * DAY {
        let total = (s / 60.0).round() as u64;
        let (h, m) = (total / 60, total % 60);
        if m == 0 {
            format!("{h}h")
        } else {
            format!("{h}h{m:02}m")
        }
    } else {
        let total = (s / 3600.0).round() as u64;
        let (d, h) = (total / 24, total % 24);
        if h == 0 {
            format!("{d}d")
        } else {
            format!("{d}d{h:02}h")
        }
    }
}

/// Formats milliseconds (as reported) compactly, the same way as [`format_duration`].
pub fn format_ms(ms: f64) -> String {
    format_duration((ms * MILLI as f64).round().max(0.0) as Micros)
}

/// Microseconds as seconds.
pub fn secs_f(us: Micros) -> f64 {
    us as f64 / SECOND as f64
}

/// Serializes microseconds as seconds (`serialize_with = "crate::support::units::secs"`).
pub fn secs<S: Serializer>(us: &Micros, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(secs_f(*us))
}

/// Serializes optional microseconds as seconds or null.
pub fn opt_secs<S: Serializer>(us: &Option<Micros>, s: S) -> Result<S::Ok, S::Error> {
    match us {
        Some(us) => s.serialize_f64(secs_f(*us)),
        None => s.serialize_none(),
    }
}

/// Serializes a list of microseconds as seconds.
pub fn secs_vec<S: Serializer>(us: &[Micros], s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(us.iter().map(|u| secs_f(*u)))
}

/// Serializes a rate as events per hour.
pub fn per_hour<S: Serializer>(r: &Rate, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(r.per_second() * 3600.0)
}

/// Serializes an optional rate per hour (`serialize_with`; pair with `skip_serializing_if`).
pub fn opt_per_hour<S: Serializer>(r: &Option<Rate>, s: S) -> Result<S::Ok, S::Error> {
    match r {
        Some(r) => per_hour(r, s),
        None => s.serialize_none(),
    }
}

/// Reads seconds (as [`secs`] writes them) back as microseconds; a negative or non-finite number
/// is refused.
pub fn de_secs<'de, D: Deserializer<'de>>(d: D) -> Result<Micros, D::Error> {
    micros_of(f64::deserialize(d)?)
}

fn micros_of<E: serde::de::Error>(s: f64) -> Result<Micros, E> {
    if s.is_finite() && s >= 0.0 {
        Ok((s * SECOND as f64).round() as Micros)
    } else {
        Err(E::custom(format!("{s} is not a duration in seconds")))
    }
}

/// Reads optional seconds (as [`opt_secs`] writes them) back as microseconds.
pub fn de_opt_secs<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Micros>, D::Error> {
    Option::<f64>::deserialize(d)?.map(micros_of).transpose()
}

/// Reads a list of seconds (as [`secs_vec`] writes it) back as microseconds.
pub fn de_secs_vec<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Micros>, D::Error> {
    Vec::<f64>::deserialize(d)?.into_iter().map(micros_of).collect()
}

/// Reads a rate per hour (as [`per_hour`] writes it) back.
pub fn de_per_hour<'de, D: Deserializer<'de>>(d: D) -> Result<Rate, D::Error> {
    let count = f64::deserialize(d)?;
    if count.is_finite() && count >= 0.0 {
        Ok(Rate { count, per: HOUR })
    } else {
        Err(serde::de::Error::custom(format!("{count} is not a rate per hour")))
    }
}

/// Reads an optional rate per hour back.
pub fn de_opt_per_hour<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Rate>, D::Error> {
    match Option::<f64>::deserialize(d)? {
        None => Ok(None),
        Some(count) if count.is_finite() && count >= 0.0 => Ok(Some(Rate { count, per: HOUR })),
        Some(count) => Err(serde::de::Error::custom(format!("{count} is not a rate per hour"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_as_people_write_them() {
        assert_eq!(parse_duration("30s").unwrap(), 30 * SECOND);
        assert_eq!(parse_duration("1m30s").unwrap(), 90 * SECOND);
        assert_eq!(parse_duration("250ms").unwrap(), 250 * MILLI);
        assert_eq!(parse_duration("2h").unwrap(), 2 * HOUR);
        assert_eq!(parse_duration("1d").unwrap(), DAY);
        assert_eq!(parse_duration(" 15m ").unwrap(), 900 * SECOND);
    }

    #[test]
    fn bare_numbers_are_refused_with_a_hint() {
        let e = parse_duration("30").unwrap_err();
        assert!(e.0.contains("no unit") && e.0.contains("`30s`"), "{e}");
        assert!(parse_duration("30x").unwrap_err().0.contains("not a duration"));
        assert!(parse_duration("-5s").unwrap_err().0.contains("negative"));
        assert!(parse_duration("").is_err());
    }

    #[test]
    fn rates() {
        let r = parse_rate("5000/h").unwrap();
        assert_eq!((r.count, r.per), (5000.0, HOUR));
        assert!((parse_rate("2/s").unwrap().per_second() - 2.0).abs() < 1e-12);
        assert!((parse_rate("100/10m").unwrap().per_second() - 100.0 / 600.0).abs() < 1e-12);
        assert_eq!(parse_rate("5000/h").unwrap().to_string(), "5000/h");
        assert!(parse_rate("5000").unwrap_err().0.contains("count per period"));
        assert!(parse_rate("-1/s").unwrap_err().0.contains("negative"));
        assert!(parse_rate("x/s").is_err());
        assert!(parse_rate("1/0s").is_err());
        assert!(parse_rate("1/parsec").is_err());
    }

    #[test]
    fn compact_formatting() {
        assert_eq!(format_duration(250 * MILLI), "250ms");
        assert_eq!(format_duration(15_040 * MILLI), "15.0s");
        assert_eq!(format_duration(62 * SECOND), "1m02s");
        assert_eq!(format_duration(3 * HOUR + 300 * SECOND), "3h05m");
        assert_eq!(format_duration(30 * SECOND), "30s");
    }
}
