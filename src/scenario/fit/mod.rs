//! `scenarios fit`: a scenario fitted to a recording of real webhook deliveries.
//!
//! Owns reading a recording as `receive --record` writes it — CSV with the header
//! `timestamp,arrived,delivery,resource,type,attempt,duplicate,status,event_time`, or JSON lines
//! with the same keys — and what is measured from it: the distinct events (rows whose delivery
//! id was not seen before), their Poisson rate and, over a day or more, their hourly curve; the
//! webhook delay from event time to first arrival, fitted as a log-normal `{ median, p99 }` by
//! maximum likelihood (only rows whose `event_time` is `scheme` or `pointer`: with `arrival` the
//! event's time is unknown); and the duplicate, retry and non-2xx shares. It takes numbered lines
//! from its caller and returns a [`Fit`]; it opens no file and prints nothing (the command reads
//! through [`crate::support::files`], [`crate::render::fit`] writes the TOML).

use crate::support::units::{Micros, HOUR, SECOND};

/// The recording's columns, in the order `receive --record` writes them.
pub const COLUMNS: [&str; 9] =
    ["timestamp", "arrived", "delivery", "resource", "type", "attempt", "duplicate", "status", "event_time"];

/// The 99th percentile of the standard normal.
const Z99: f64 = 2.326_347_874;

/// Where a row's event time came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventTime {
    /// The signature scheme's timestamp.
    Scheme,
    /// A JSON pointer into the payload.
    Pointer,
    /// Unknown: `timestamp` is the arrival.
    Arrival,
}

/// One delivery as recorded.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordedDelivery {
    /// The event's time (Unix microseconds).
    pub timestamp: Micros,
    /// When the delivery arrived (Unix microseconds).
    pub arrived: Micros,
    /// The delivery attempt, 1 for the first (and where the recording leaves it empty).
    pub attempt: u32,
    /// The delivery id was seen before.
    pub duplicate: bool,
    /// The HTTP status answered.
    pub status: u16,
    /// Where the event time came from.
    pub event_time: EventTime,
}

/// A log-normal fitted to delays.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DelayFit {
    /// Deliveries measured.
    pub samples: usize,
    /// Of which the event time came from the scheme's timestamp.
    pub from_scheme: usize,
    /// The sample median and 99th percentile.
    pub sample_median: Micros,
    /// The sample 99th percentile (nearest rank).
    pub sample_p99: Micros,
    /// The fitted median: `exp(mean of ln delay)`.
    pub median: Micros,
    /// The fitted 99th percentile: `exp(mean + 2.326 · sd of ln delay)`.
    pub p99: Micros,
}

/// What a recording shows.
#[derive(Debug, Clone, PartialEq)]
pub struct Fit {
    /// Rows read.
    pub deliveries: usize,
    /// Distinct events (rows not marked duplicate).
    pub events: usize,
    /// Rows marked duplicate.
    pub duplicates: usize,
    /// Rows with `attempt` above 1.
    pub retries: usize,
    /// Rows answered with a status outside 2xx.
    pub non_2xx: usize,
    /// Earliest and latest event time of the distinct events (Unix microseconds).
    pub first: Micros,
    /// The latest.
    pub last: Micros,
    /// The webhook delay, when any distinct event had a known time.
    pub delay: Option<DelayFit>,
    /// Distinct events that arrived before their event time (the sender's clock ahead of the
    /// receiver's): left out of the delay, never fitted as a delay of nothing.
    pub early: usize,
    /// Distinct events per hour over the span.
    pub rate_per_hour: f64,
    /// Over a day or more: 24 hourly weights (mean 1) starting at the hour of day the recording
    /// started, so a synthetic run that starts at 0 follows the recorded day.
    pub daily: Option<Vec<f64>>,
}

impl Fit {
    /// The span of event times, at least a second.
    pub fn span(&self) -> Micros {
        (self.last - self.first).max(SECOND)
    }
}

/// Reads a recording from numbered lines (`jsonl`: JSON lines, else CSV with a header); `file`
/// names it in messages. Blank lines and `#` comments are skipped.
pub fn read(
    file: &str,
    lines: impl Iterator<Item = Result<(usize, String), String>>,
    jsonl: bool,
) -> Result<Vec<RecordedDelivery>, String> {
    let bad = |n: usize, msg: String| format!("recording `{file}` line {n}: {msg}");
    let mut out = Vec::new();
    let mut header: Option<Vec<usize>> = None;
    for item in lines {
        let (n, line) = item?;
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let fields: Vec<String> = if jsonl {
            let v: serde_json::Value =
                serde_json::from_str(line).map_err(|e| bad(n, format!("is not a JSON object ({e})")))?;
            let obj = v.as_object().ok_or_else(|| bad(n, "is not a JSON object".into()))?;
            let mut f = Vec::new();
            for k in COLUMNS {
                f.push(match obj.get(k) {
                    Some(serde_json::Value::String(s)) => s.clone(),
                    Some(serde_json::Value::Null) | None
                        if k == "resource" || k == "type" || k == "attempt" =>
                    {
                        String::new()
                    }
                    Some(v @ (serde_json::Value::Number(_) | serde_json::Value::Bool(_))) => v.to_string(),
                    _ => {
                        return Err(bad(
                            n,
                            format!("has no `{k}`; a recording row has {}", COLUMNS.join(", ")),
                        ))
                    }
                });
            }
            f
        } else {
            // One CSV record per line, quoted fields as a csv::Writer writes them.
            let mut r = csv::ReaderBuilder::new().has_headers(false).from_reader(line.as_bytes());
            let mut rec = csv::StringRecord::new();
            match r.read_record(&mut rec) {
                Ok(true) => {}
                _ => return Err(bad(n, "is not a CSV row (a quoted field left open?)".into())),
            }
            let f: Vec<String> = rec.iter().map(|x| x.trim().to_string()).collect();
            let Some(cols) = &header else {
                let names: Vec<String> = f.iter().map(|x| x.to_ascii_lowercase()).collect();
                let mut cols = Vec::new();
                for k in COLUMNS {
                    let i = names.iter().position(|x| x == k).ok_or_else(|| {
                        bad(
                            n,
                            format!("the header has no `{k}` column; a recording has {}", COLUMNS.join(",")),
                        )
                    })?;
                    cols.push(i);
                }
                header = Some(cols);
                continue;
            };
            if f.len() <= cols.iter().copied().max().unwrap_or(0) {
                return Err(bad(n, format!("has {} fields, fewer than the header", f.len())));
            }
            cols.iter().map(|&i| f[i].clone()).collect()
        };
        out.push(row(&fields).map_err(|e| bad(n, e))?);
        if out.len() > crate::support::limits::MAX_EVENTS as usize {
            return Err(bad(
                n,
                format!("the recording has more than {} rows", crate::support::limits::MAX_EVENTS),
            ));
        }
    }
    if out.is_empty() {
        return Err(format!("recording `{file}` has no deliveries; give the file `receive --record` wrote"));
    }
    Ok(out)
}

/// One row from its fields in [`COLUMNS`] order.
fn row(f: &[String]) -> Result<RecordedDelivery, String> {
    let time = |k: &str, t: &str| -> Result<Micros, String> {
        let at = humantime::parse_rfc3339_weak(t)
            .map_err(|e| format!("`{k}` `{}` is not an RFC 3339 UTC time ({e})", short(t)))?;
        let d = at.duration_since(std::time::UNIX_EPOCH).map_err(|_| format!("`{k}` is before 1970"))?;
        Ok(d.as_micros() as Micros)
    };
    // Empty where the scheme does not tell the attempt (`receive --record` leaves it so): a
    // first attempt, as far as the recording can say.
    let attempt = match f[5].as_str() {
        "" => 1,
        a => a
            .parse::<u32>()
            .ok()
            .filter(|&a| a >= 1)
            .ok_or_else(|| format!("`attempt` `{}` is not a whole number of 1 or more", short(a)))?,
    };
    let duplicate = match f[6].as_str() {
        "true" => true,
        "false" => false,
        other => return Err(format!("`duplicate` `{}` is neither true nor false", short(other))),
    };
    let status = f[7]
        .parse::<u16>()
        .ok()
        .filter(|s| (100..600).contains(s))
        .ok_or_else(|| format!("`status` `{}` is not an HTTP status", short(&f[7])))?;
    let event_time = match f[8].as_str() {
        "scheme" => EventTime::Scheme,
        "pointer" => EventTime::Pointer,
        "arrival" => EventTime::Arrival,
        other => return Err(format!("`event_time` `{}` is not scheme, pointer or arrival", short(other))),
    };
    Ok(RecordedDelivery {
        timestamp: time("timestamp", &f[0])?,
        arrived: time("arrived", &f[1])?,
        attempt,
        duplicate,
        status,
        event_time,
    })
}

/// At most 40 characters of a field, control characters escaped, for messages.
fn short(s: &str) -> String {
    s.chars()
        .take(40)
        .flat_map(|c| if c.is_control() { c.escape_default().collect() } else { vec![c] })
        .collect()
}

/// What the deliveries show.
pub fn fit(rows: &[RecordedDelivery]) -> Fit {
    let firsts: Vec<&RecordedDelivery> = rows.iter().filter(|r| !r.duplicate).collect();
    let events = firsts.len();
    let first = firsts.iter().map(|r| r.timestamp).min().unwrap_or(0);
    let last = firsts.iter().map(|r| r.timestamp).max().unwrap_or(0);
    let known = || firsts.iter().filter(|r| r.event_time != EventTime::Arrival);
    let early = known().filter(|r| r.arrived < r.timestamp).count();
    let delays: Vec<(Micros, EventTime)> = known()
        .filter(|r| r.arrived >= r.timestamp)
        .map(|r| (r.arrived - r.timestamp, r.event_time))
        .collect();
    let mut fit = Fit {
        deliveries: rows.len(),
        events,
        duplicates: rows.iter().filter(|r| r.duplicate).count(),
        retries: rows.iter().filter(|r| r.attempt > 1).count(),
        non_2xx: rows.iter().filter(|r| !(200..300).contains(&r.status)).count(),
        first,
        last,
        delay: delay_fit(&delays),
        early,
        rate_per_hour: 0.0,
        daily: None,
    };
    fit.rate_per_hour = events as f64 * HOUR as f64 / fit.span() as f64;
    if last - first >= 24 * HOUR {
        fit.daily = Some(daily(firsts.iter().map(|r| r.timestamp), first, last));
    }
    fit
}

/// A log-normal by maximum likelihood in log space (a delay under a microsecond counts as one).
fn delay_fit(delays: &[(Micros, EventTime)]) -> Option<DelayFit> {
    if delays.is_empty() {
        return None;
    }
    let mut sorted: Vec<Micros> = delays.iter().map(|d| d.0).collect();
    sorted.sort_unstable();
    let rank = |q: f64| sorted[((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len()) - 1];
    let logs: Vec<f64> = sorted.iter().map(|&d| (d.max(1) as f64).ln()).collect();
    let n = logs.len() as f64;
    let mean = logs.iter().sum::<f64>() / n;
    let sd = if logs.len() > 1 {
        (logs.iter().map(|l| (l - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt()
    } else {
        0.0
    };
    Some(DelayFit {
        samples: delays.len(),
        from_scheme: delays.iter().filter(|d| d.1 == EventTime::Scheme).count(),
        sample_median: rank(0.5),
        sample_p99: rank(0.99),
        median: mean.exp().round() as Micros,
        p99: (mean + Z99 * sd).exp().round() as Micros,
    })
}

/// Events per hour of day, each hour's count over how many times the span covered that hour,
/// scaled to a mean of 1 and rotated to start at the recording's first hour.
fn daily(times: impl Iterator<Item = Micros>, first: Micros, last: Micros) -> Vec<f64> {
    let mut counts = [0f64; 24];
    for t in times {
        counts[((t - first) / HOUR % 24) as usize] += 1.0;
    }
    let hours = (last - first) / HOUR + 1;
    let mut weights: Vec<f64> = (0..24u64)
        .map(|h| counts[h as usize] / (hours / 24 + u64::from(h < hours % 24)).max(1) as f64)
        .collect();
    let mean = weights.iter().sum::<f64>() / 24.0;
    if mean > 0.0 {
        weights.iter_mut().for_each(|w| *w = (*w / mean * 1000.0).round() / 1000.0);
    }
    weights
}

#[cfg(test)]
mod tests;
