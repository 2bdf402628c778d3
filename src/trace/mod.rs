//! Recorded workloads: a trace file of event times replayed instead of Poisson arrivals.
//!
//! Owns the trace formats — CSV with a header, or JSON lines — and their validation: a
//! timestamp column (`timestamp`, `time` or `at`) and optional `resource` and `type` columns
//! (when only some rows name a resource, each row without one is a resource of its own).
//! A timestamp is an offset from the run's start (seconds as a plain number such as `12.5`, or a
//! duration such as `1m30s`) or an RFC 3339 UTC time (`2024-05-01T09:00:00Z`), in which case the
//! earliest row lands at 0. Resource ids, any strings, map to dense indices in order of first
//! appearance in time. Every bad row is one sentence naming the file and the line, quoting at most
//! a short escaped excerpt of the field ([`crate::support::quote::excerpt`]), never the whole line. A file
//! is read line by line through [`crate::support::files`] (regular files only, lines and size capped) and
//! stops at the row limit. A recording of `hookbench receive --record`
//! ([`crate::trace::record::HEADER`]) is a trace too: its extra columns are ignored, and a row whose
//! `duplicate` column is `true` is skipped, so each delivery id is one event. It never reads a
//! clock or generates events itself:
//! [`crate::model::source::EventLog`] replays the rows.

pub mod record;

use serde::{Deserialize, Serialize};

use crate::support::limits::{MAX_DURATION, MAX_DURATION_TEXT};
use crate::support::quote::{excerpt, EXCERPT, EXCERPT_PATH};
use crate::support::units::{format_duration, parse_duration, Micros, SECOND};

/// The most rows a trace may hold: as many as one run's events.
pub const MAX_ROWS: usize = crate::support::limits::MAX_EVENTS as usize;

/// One recorded event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TraceRow {
    /// When it happened, from the run's start.
    pub at: Micros,
    /// Its resource's dense index, when the trace names resources.
    pub resource: Option<u32>,
}

/// A parsed trace, rows in time order.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Trace {
    /// The file, as the scenario names it.
    pub file: String,
    /// Number of rows.
    pub rows_total: usize,
    /// Number of distinct resources, when the trace names them.
    pub resources: Option<u32>,
    /// The rows.
    #[serde(skip)]
    pub rows: Vec<TraceRow>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Offset,
    Absolute,
}

/// Parses one timestamp; the kind tells offsets from absolute times.
fn timestamp(text: &str) -> Result<(Micros, Kind), String> {
    let t = text.trim().trim_matches('"').trim();
    let q = excerpt(t, EXCERPT);
    if t.is_empty() {
        return Err("the timestamp is empty".into());
    }
    if let Ok(secs) = t.parse::<f64>() {
        if !secs.is_finite() || secs < 0.0 {
            return Err(format!("`{q}` is not a time; give seconds from the start of 0 or more"));
        }
        if secs * SECOND as f64 >= MAX_DURATION as f64 {
            return Err(over_a_year(&q));
        }
        return Ok(((secs * SECOND as f64).round() as Micros, Kind::Offset));
    }
    if t.len() >= 10 && t.as_bytes()[4] == b'-' {
        let abs = humantime::parse_rfc3339_weak(t)
            .map_err(|e| format!("`{q}` is not an RFC 3339 UTC time ({e}), such as 2024-05-01T09:00:00Z"))?;
        let since = abs.duration_since(std::time::UNIX_EPOCH).map_err(|_| format!("`{q}` is before 1970"))?;
        return Ok((since.as_micros() as Micros, Kind::Absolute));
    }
    let d = parse_duration(t).map_err(|_| {
        format!(
            "`{q}` is not a timestamp; give seconds from the start (`12.5`), a duration (`1m30s`) or an RFC 3339 UTC time (`2024-05-01T09:00:00Z`)"
        )
    })?;
    if d >= MAX_DURATION {
        return Err(over_a_year(&q));
    }
    Ok((d, Kind::Offset))
}

/// A row later than a run may last.
fn over_a_year(t: &str) -> String {
    format!("`{t}` is a year or more from the start; a trace must span less than `{MAX_DURATION_TEXT}`, the longest `duration`")
}

/// Splits a CSV line into trimmed fields (no commas inside fields), unquoting each.
fn fields(line: &str) -> Vec<String> {
    line.split(',').map(|f| f.trim().trim_matches('"').trim().to_string()).collect()
}

/// Reads a trace from `text`; `file` names it in messages. Blank lines and lines starting
/// with `#` are skipped.
pub fn parse(file: &str, text: &str) -> Result<Trace, String> {
    parse_lines(file, text.lines().enumerate().map(|(i, l)| Ok((i + 1, l.to_string()))))
}

/// Reads the trace file at `path` line by line (see [`crate::support::files::lines`] for its caps);
/// `file` names it in messages. The row limit stops the reading as soon as it is passed.
pub fn read(file: &str, path: &std::path::Path) -> Result<Trace, String> {
    let cannot = |e: crate::support::files::FileError| {
        format!("cannot read trace `{}`: {e}", excerpt(file, EXCERPT_PATH))
    };
    let lines = crate::support::files::lines(path).map_err(cannot)?;
    parse_lines(file, lines.map(|l| l.map_err(cannot)))
}

/// Reads a trace from numbered lines; `file` names it in messages.
fn parse_lines(
    file: &str,
    lines: impl Iterator<Item = Result<(usize, String), String>>,
) -> Result<Trace, String> {
    let lines = lines
        .map(|l| l.map(|(n, line)| (n, line.trim().to_string())))
        .filter(|l| l.as_ref().map_or(true, |(_, l)| !l.is_empty() && !l.starts_with('#')));
    let mut raw: Vec<(usize, Micros, Kind, Option<String>)> = Vec::new();
    let mut lines = lines.peekable();
    let json = matches!(lines.peek(), Some(Ok((_, l))) if l.starts_with('{'));
    let shown = excerpt(file, EXCERPT_PATH);
    let bad = |n: usize, msg: String| format!("trace `{shown}` line {n}: {msg}");
    const TIME_KEYS: [&str; 3] = ["timestamp", "time", "at"];
    if json {
        for item in lines {
            let (n, line) = item?;
            let v: serde_json::Value =
                serde_json::from_str(&line).map_err(|e| bad(n, format!("is not a JSON object ({e})")))?;
            let obj = v.as_object().ok_or_else(|| bad(n, "is not a JSON object".into()))?;
            let t = TIME_KEYS
                .iter()
                .find_map(|k| obj.get(*k))
                .ok_or_else(|| bad(n, "has no `timestamp` (or `time`, `at`) key".into()))?;
            let text = match t {
                serde_json::Value::String(s) => s.clone(),
                serde_json::Value::Number(x) => x.to_string(),
                _ => return Err(bad(n, "the timestamp must be a string or a number".into())),
            };
            let (at, kind) = timestamp(&text).map_err(|e| bad(n, e))?;
            if matches!(obj.get("duplicate"), Some(serde_json::Value::Bool(true)))
                || matches!(obj.get("duplicate"), Some(serde_json::Value::String(d)) if d == "true")
            {
                continue;
            }
            let resource = match obj.get("resource") {
                None | Some(serde_json::Value::Null) => None,
                Some(serde_json::Value::String(s)) if s.is_empty() => None,
                Some(serde_json::Value::String(s)) => Some(s.clone()),
                Some(serde_json::Value::Number(x)) => Some(x.to_string()),
                Some(_) => return Err(bad(n, "`resource` must be a string or a number".into())),
            };
            raw.push((n, at, kind, resource));
            if raw.len() > MAX_ROWS {
                return Err(bad(n, format!("the trace has more than {MAX_ROWS} rows")));
            }
        }
    } else {
        let (hn, header) = match lines.next() {
            Some(item) => item?,
            None => return Err(format!("trace `{shown}` is empty; give a CSV header and one row per event")),
        };
        let names: Vec<String> = fields(&header).into_iter().map(|f| f.to_ascii_lowercase()).collect();
        let col = |want: &[&str]| names.iter().position(|n| want.contains(&n.as_str()));
        let t_col = col(&TIME_KEYS).ok_or_else(|| {
            bad(
                hn,
                format!(
                    "the header `{}` has no `timestamp` (or `time`, `at`) column",
                    excerpt(&header, EXCERPT)
                ),
            )
        })?;
        let r_col = col(&["resource", "resource_id"]);
        let dup_col = col(&["duplicate"]);
        for item in lines {
            let (n, line) = item?;
            let f = fields(&line);
            if f.len() != names.len() {
                return Err(bad(n, format!("has {} fields where the header has {}", f.len(), names.len())));
            }
            if dup_col.is_some_and(|c| f[c].eq_ignore_ascii_case("true")) {
                continue;
            }
            let (at, kind) = timestamp(&f[t_col]).map_err(|e| bad(n, e))?;
            let resource = r_col.map(|c| f[c].clone()).filter(|r| !r.is_empty());
            raw.push((n, at, kind, resource));
            if raw.len() > MAX_ROWS {
                return Err(bad(n, format!("the trace has more than {MAX_ROWS} rows")));
            }
        }
    }
    let Some(&(_, _, kind, _)) = raw.first() else {
        return Err(format!("trace `{shown}` has no events; give one row per event"));
    };
    if let Some((n, ..)) = raw.iter().find(|r| r.2 != kind) {
        return Err(bad(
            *n,
            "mixes RFC 3339 times with offsets from the start; use one kind throughout".into(),
        ));
    }
    let named = raw.iter().filter(|r| r.3.is_some()).count();
    let origin = if kind == Kind::Absolute { raw.iter().map(|r| r.1).min().unwrap_or(0) } else { 0 };
    if let Some((n, at, ..)) = raw.iter().find(|r| r.1 - origin >= MAX_DURATION) {
        return Err(bad(
            *n,
            format!(
                "is {} after the first row; a trace must span less than `{MAX_DURATION_TEXT}`, the longest `duration`",
                format_duration(at - origin)
            ),
        ));
    }
    raw.sort_by_key(|r| r.1);
    // Dense indices in order of first appearance in time. When some rows name a resource and
    // others do not, each unnamed row is a resource of its own, seen once (a recording where
    // some bodies carry a resource id and others none).
    let mut ids = std::collections::HashMap::new();
    let mut next = 0u32;
    let rows = raw
        .into_iter()
        .map(|(_, at, _, res)| {
            let resource = match res {
                Some(r) => Some(*ids.entry(r).or_insert_with(|| {
                    next += 1;
                    next - 1
                })),
                None if named != 0 => {
                    next += 1;
                    Some(next - 1)
                }
                None => None,
            };
            TraceRow { at: at - origin, resource }
        })
        .collect::<Vec<_>>();
    let resources = (named != 0).then_some(next);
    Ok(Trace { file: file.to_string(), rows_total: rows.len(), resources, rows })
}

impl Trace {
    /// The default run length: up to the last row, rounded up to the next whole second.
    pub fn span(&self) -> Micros {
        let last = self.rows.last().map_or(0, |r| r.at);
        (last / SECOND + 1) * SECOND
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_with_offsets_sorted_and_resources_dense() {
        let t =
            parse("t.csv", "time,resource,type\n# comment\n2.5,ord_9,order.paid\n1m,ord_3,x\n0.5,ord_9,y\n")
                .unwrap();
        let at: Vec<_> = t.rows.iter().map(|r| (r.at, r.resource)).collect();
        assert_eq!(at, vec![(SECOND / 2, Some(0)), (5 * SECOND / 2, Some(0)), (60 * SECOND, Some(1))]);
        assert_eq!(t.resources, Some(2));
        assert_eq!(t.span(), 61 * SECOND);
    }

    #[test]
    fn json_lines_with_absolute_times_start_at_zero() {
        let t = parse(
            "t.jsonl",
            "{\"timestamp\":\"2024-05-01T09:00:10Z\"}\n{\"timestamp\":\"2024-05-01T09:00:00Z\",\"resource\":null}\n",
        )
        .unwrap();
        assert_eq!(t.rows.iter().map(|r| r.at).collect::<Vec<_>>(), vec![0, 10 * SECOND]);
        assert_eq!(t.resources, None);
    }

    #[test]
    fn a_recording_replays_one_event_per_delivery() {
        let csv = format!(
            "{}\n\
             2024-05-01T09:00:00.000000Z,2024-05-01T09:00:00.300000Z,msg_1,ord_1,order.paid,,false,500,pointer\n\
             2024-05-01T09:00:00.000000Z,2024-05-01T09:00:05.300000Z,msg_1,ord_1,order.paid,2,true,204,pointer\n\
             2024-05-01T09:00:02.500000Z,2024-05-01T09:00:02.600000Z,msg_2,ord_2,,,false,204,scheme\n",
            crate::trace::record::HEADER
        );
        let t = parse("rec.csv", &csv).unwrap();
        assert_eq!(
            t.rows.iter().map(|r| (r.at, r.resource)).collect::<Vec<_>>(),
            vec![(0, Some(0)), (5 * SECOND / 2, Some(1))]
        );
        let jsonl = "{\"timestamp\":\"2024-05-01T09:00:00.000000Z\",\"delivery\":\"a\",\"resource\":null,\"duplicate\":false}\n\
                     {\"timestamp\":\"2024-05-01T09:00:09.000000Z\",\"delivery\":\"a\",\"resource\":null,\"duplicate\":true}\n\
                     {\"timestamp\":\"2024-05-01T09:00:01.000000Z\",\"delivery\":\"b\",\"resource\":\"\",\"duplicate\":false}\n";
        let t = parse("rec.jsonl", jsonl).unwrap();
        assert_eq!(t.rows.iter().map(|r| r.at).collect::<Vec<_>>(), vec![0, SECOND]);
        assert_eq!(t.resources, None);
    }

    #[test]
    fn rows_without_a_resource_among_named_ones_each_get_a_fresh_one() {
        let t = parse("t.csv", "at,resource\n0,ord_1\n1,\n2,ord_1\n3,\n4,ord_2\n").unwrap();
        let got: Vec<_> = t.rows.iter().map(|r| r.resource).collect();
        assert_eq!(got, vec![Some(0), Some(1), Some(0), Some(2), Some(3)]);
        assert_eq!(t.resources, Some(4));
        // JSON lines: a null resource is none too.
        let t = parse("t.jsonl", "{\"at\":0,\"resource\":null}\n{\"at\":1,\"resource\":\"a\"}\n").unwrap();
        assert_eq!(t.rows.iter().map(|r| r.resource).collect::<Vec<_>>(), vec![Some(0), Some(1)]);
        assert_eq!(t.resources, Some(2));
    }

    #[test]
    fn bad_rows_name_their_line() {
        let e = parse("f.csv", "at\n1\n\nsoon\n").unwrap_err();
        assert!(e.contains("`f.csv` line 4") && e.contains("`soon`"), "{e}");
        let e = parse("f.csv", "when\n1\n").unwrap_err();
        assert!(e.contains("line 1") && e.contains("timestamp"), "{e}");
        let e = parse("f.csv", "at,resource\n1\n").unwrap_err();
        assert!(e.contains("line 2") && e.contains("fields"), "{e}");
        let e = parse("f.jsonl", "{\"at\": 1}\n{\"at\": -3}\n").unwrap_err();
        assert!(e.contains("line 2"), "{e}");
        let e = parse("f.csv", "at\n1\n2024-05-01T09:00:00Z\n").unwrap_err();
        assert!(e.contains("line 3") && e.contains("mixes"), "{e}");
        assert!(parse("f.csv", "at\n").unwrap_err().contains("no events"));
    }
}
