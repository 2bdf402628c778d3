//! Recorded workloads: a trace file of event times replayed instead of Poisson arrivals.
//!
//! Owns the trace formats — CSV with a header (read by the `csv` crate: quoted fields with
//! commas or newlines, a byte-order mark, CRLF), JSON lines, or a JSON array of objects — and
//! their validation: a time column or key (`timestamp`, `time`, `at`, `created` as Stripe's
//! events have, `created_at` as GitHub's) and an optional `resource` (or `resource_id`) (when only
//! some rows name a resource, each row without one is a resource of its own). A time is an offset
//! from the run's start (seconds as a plain number such as `12.5`, or a duration such as
//! `1m30s`), an RFC 3339 time with any offset (`2026-11-27T10:00:00+01:00`), or Unix epoch
//! seconds, milliseconds or microseconds told apart by magnitude (an offset is under a year) and
//! stated in the result ([`Times`]); with absolute times the earliest row lands at 0. Resource ids, any strings, map to dense indices in order of first
//! appearance in time. Every bad row is one sentence naming the file and the line, quoting at most
//! a short escaped excerpt of the field ([`crate::support::quote::excerpt`]), never the whole line, and
//! only once the first line has parsed as a trace header (a file that is no trace is not quoted). A file
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

/// The most event types a trace may name (as many as a scenario's `[events] types`).
pub const MAX_TYPES: usize = 1000;

/// The most rows a trace may hold: as many as one run's events.
pub const MAX_ROWS: usize = crate::support::limits::MAX_EVENTS as usize;

/// One recorded event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TraceRow {
    /// When it happened, from the run's start.
    pub at: Micros,
    /// Its resource's dense index, when the trace names resources.
    pub resource: Option<u32>,
    /// Its type's index in [`Trace::types`] (0 when the trace names none).
    pub kind: u16,
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
    /// How the trace wrote its times (the epoch unit is told by magnitude, and said here).
    pub times: Times,
    /// The event types the trace names, in order of first appearance (empty: none).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub types: Vec<String>,
    /// How many rows of each of `types`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub type_counts: Vec<u64>,
    /// The rows.
    #[serde(skip)]
    pub rows: Vec<TraceRow>,
}

/// How a trace writes its times.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Times {
    /// Offsets from the run's start: seconds (`12.5`) or durations (`1m30s`).
    Offset,
    /// RFC 3339 times with any offset (`2026-11-27T10:00:00+01:00`), or UTC without one.
    Rfc3339,
    /// Unix epoch seconds (told from offsets by magnitude: an offset is under a year).
    EpochSeconds,
    /// Unix epoch milliseconds.
    EpochMillis,
    /// Unix epoch microseconds.
    EpochMicros,
}

impl Times {
    /// Whether the times are absolute (the earliest row lands at 0).
    fn absolute(self) -> bool {
        self != Times::Offset
    }

    /// How the output names them.
    pub fn describe(self) -> &'static str {
        match self {
            Times::Offset => "offsets from the start",
            Times::Rfc3339 => "RFC 3339 times",
            Times::EpochSeconds => "Unix epoch seconds",
            Times::EpochMillis => "Unix epoch milliseconds",
            Times::EpochMicros => "Unix epoch microseconds",
        }
    }
}

/// A provider's export format: where its events keep their time, resource and type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum TraceFormat {
    /// Stripe's `GET /v1/events` (list pages, concatenated or one per line): `created` (epoch
    /// seconds), `data.object.id`, `type`.
    StripeEvents,
    /// GitHub's events API (a JSON array): `created_at` (RFC 3339), `repo.name`, `type`.
    GithubEvents,
    /// Svix's list-messages API (`GET /api/v1/app/{app_id}/msg/`, pages of `data`):
    /// `timestamp` (RFC 3339) and `eventType`; a message names no resource.
    SvixMessages,
}

impl TraceFormat {
    /// The format's columns: time, resource, type.
    pub fn columns(self) -> Columns {
        let c = |t: &str, r: Option<&str>, k: &str| Columns {
            time: Some(t.into()),
            resource: r.map(Into::into),
            kind: Some(k.into()),
        };
        match self {
            TraceFormat::StripeEvents => c("created", Some("/data/object/id"), "type"),
            TraceFormat::GithubEvents => c("created_at", Some("/repo/name"), "type"),
            TraceFormat::SvixMessages => c("timestamp", None, "eventType"),
        }
    }
}

/// The name a trace option (a [`TraceFormat`], an [`EpochUnit`]) is written with, on the command
/// line and in a scenario.
pub fn option_name(v: &impl clap::ValueEnum) -> String {
    v.to_possible_value().map_or(String::new(), |p| p.get_name().to_string())
}

/// The unit of a trace's numeric times, when they are Unix epoch times (else told by magnitude).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum EpochUnit {
    /// Seconds.
    S,
    /// Milliseconds.
    Ms,
    /// Microseconds.
    Us,
}

/// Which column (CSV) or key (JSON: a key, a dotted path such as `data.object.id`, or a JSON
/// pointer such as `/data/object/id`) holds each field; `None`: the usual names.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Columns {
    /// The time (default: `timestamp`, `time`, `at`, `created`, `created_at`).
    pub time: Option<String>,
    /// The resource (default: `resource`, `resource_id`, or a provider's pointer).
    pub resource: Option<String>,
    /// The event type (default: `type`, `event_type`, `eventType`).
    pub kind: Option<String>,
}

impl Columns {
    /// Parses `time=created,resource=data.object.id,type=type` (any of the three, in any order).
    pub fn parse(text: &str) -> Result<Columns, String> {
        let mut c = Columns::default();
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (k, v) = part.split_once('=').ok_or_else(|| {
                format!(
                    "`{}` is not FIELD=COLUMN; give e.g. `time=created,resource=data.object.id,type=type`",
                    excerpt(part, EXCERPT)
                )
            })?;
            let v = v.trim();
            if v.is_empty() || v.chars().any(char::is_control) {
                return Err(format!("`{}` names no column", excerpt(part, EXCERPT)));
            }
            let slot = match k.trim() {
                "time" => &mut c.time,
                "resource" => &mut c.resource,
                "type" => &mut c.kind,
                other => {
                    return Err(format!(
                        "`{}` is not a field; map `time`, `resource` or `type`",
                        excerpt(other, EXCERPT)
                    ))
                }
            };
            *slot = Some(v.to_string());
        }
        if c == Columns::default() {
            return Err("maps no field; give e.g. `time=created,resource=data.object.id,type=type`".into());
        }
        Ok(c)
    }
}

/// How to read a trace: a provider's format, columns mapped by hand (over the format's), the unit
/// of numeric epoch times.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReadOptions {
    /// A provider's export format.
    pub format: Option<TraceFormat>,
    /// Columns mapped by hand.
    pub columns: Columns,
    /// The unit of numeric times, which are then epoch times.
    pub unit: Option<EpochUnit>,
}

impl ReadOptions {
    /// The columns in force: the hand-mapped ones over the format's.
    fn columns(&self) -> Columns {
        let base = self.format.map(TraceFormat::columns).unwrap_or_default();
        Columns {
            time: self.columns.time.clone().or(base.time),
            resource: self.columns.resource.clone().or(base.resource),
            kind: self.columns.kind.clone().or(base.kind),
        }
    }
}

/// Parses one timestamp: an offset from the start, an RFC 3339 time with any offset, or a Unix
/// epoch time whose unit is told by its magnitude (a plain number of a year of seconds or more
/// cannot be an offset: under 1e11 it is seconds, under 1e14 milliseconds, else microseconds).
fn timestamp(text: &str, unit: Option<EpochUnit>) -> Result<(Micros, Times), String> {
    let t = text.trim().trim_matches('"').trim();
    let q = excerpt(t, EXCERPT);
    if t.is_empty() {
        return Err("the timestamp is empty".into());
    }
    if let Ok(n) = t.parse::<f64>() {
        if !n.is_finite() || n < 0.0 {
            return Err(format!(
                "`{q}` is not a time; give seconds from the start of 0 or more, or a Unix epoch time"
            ));
        }
        if let Some(unit) = unit {
            // Told by the user: an epoch time in that unit, whatever its magnitude.
            let (us, kind) = match unit {
                EpochUnit::S => (n * SECOND as f64, Times::EpochSeconds),
                EpochUnit::Ms => (n * 1e3, Times::EpochMillis),
                EpochUnit::Us => (n, Times::EpochMicros),
            };
            if us >= u64::MAX as f64 / 2.0 {
                return Err(format!("`{q}` is not a Unix epoch time this side of the year 200000"));
            }
            return Ok((us.round() as Micros, kind));
        }
        let year_s = MAX_DURATION as f64 / SECOND as f64;
        let (us, kind) = if n < year_s {
            return Ok(((n * SECOND as f64).round() as Micros, Times::Offset));
        } else if n < 1e8 {
            return Err(over_a_year(&q));
        } else if n < 1e11 {
            (n * SECOND as f64, Times::EpochSeconds)
        } else if n < 1e14 {
            (n * 1e3, Times::EpochMillis)
        } else {
            (n, Times::EpochMicros)
        };
        if us >= u64::MAX as f64 / 2.0 {
            return Err(format!(
                "`{q}` is neither an offset from the start (under `{MAX_DURATION_TEXT}`) nor a Unix epoch time this side of the year 200000"
            ));
        }
        return Ok((us.round() as Micros, kind));
    }
    if t.len() >= 10 && t.as_bytes()[4] == b'-' {
        let abs = match t.parse::<jiff::Timestamp>() {
            Ok(ts) => ts,
            // Without an offset the time is UTC (`2024-05-01 09:00:00`).
            Err(_) => match humantime::parse_rfc3339_weak(t) {
                Ok(st) => jiff::Timestamp::try_from(st).map_err(|e| format!("`{q}`: {e}"))?,
                Err(e) => {
                    return Err(format!(
                        "`{q}` is not an RFC 3339 time ({e}), such as 2024-05-01T09:00:00Z or 2026-11-27T10:00:00+01:00"
                    ))
                }
            },
        };
        let us = abs.as_microsecond();
        if us < 0 {
            return Err(format!("`{q}` is before 1970"));
        }
        return Ok((us as Micros, Times::Rfc3339));
    }
    let d = parse_duration(t).map_err(|_| {
        format!(
            "`{q}` is not a timestamp; give seconds from the start (`12.5`), a duration (`1m30s`), an RFC 3339 time (`2024-05-01T09:00:00Z`) or Unix epoch seconds (`1700000000`)"
        )
    })?;
    if d >= MAX_DURATION {
        return Err(over_a_year(&q));
    }
    Ok((d, Times::Offset))
}

/// A row later than a run may last.
fn over_a_year(t: &str) -> String {
    format!("`{t}` is a year or more from the start; a trace must span less than `{MAX_DURATION_TEXT}`, the longest `duration`")
}

/// Reads a trace from `text`; `file` names it in messages.
pub fn parse(file: &str, text: &str) -> Result<Trace, String> {
    parse_with(file, text, &ReadOptions::default())
}

/// [`parse`] with a format, mapped columns or an epoch unit.
pub fn parse_with(file: &str, text: &str, opts: &ReadOptions) -> Result<Trace, String> {
    parse_lines(file, text.lines().enumerate().map(|(i, l)| Ok((i + 1, l.to_string()))), opts)
}

/// Reads the trace file at `path` line by line (see [`crate::support::files::lines`] for its caps);
/// `file` names it in messages. The row limit stops the reading as soon as it is passed.
pub fn read(file: &str, path: &std::path::Path, opts: &ReadOptions) -> Result<Trace, String> {
    let cannot = |e: crate::support::files::FileError| {
        format!("cannot read trace `{}`: {e}", excerpt(file, EXCERPT_PATH))
    };
    let lines = crate::support::files::lines(path).map_err(cannot)?;
    parse_lines(file, lines.map(|l| l.map_err(cannot)), opts)
}

/// The column or key names a trace's time may have (`created`: Stripe's events; `created_at`:
/// GitHub's).
const TIME_KEYS: [&str; 5] = ["timestamp", "time", "at", "created", "created_at"];
/// The names a resource may have.
const RESOURCE_KEYS: [&str; 2] = ["resource", "resource_id"];
/// The names an event type may have (CSV headers are compared in lower case).
const TYPE_KEYS: [&str; 3] = ["type", "event_type", "eventType"];

/// One parsed row before ordering: its line, time, how the time was written, its resource, its
/// type.
type RawRow = (usize, Micros, Times, Option<String>, Option<String>);

/// The lines, re-joined, as bytes for the CSV reader (which handles quoting, embedded newlines
/// and a byte-order mark); an error of the line source ends the stream and is kept for the caller.
struct Joined<I> {
    lines: I,
    pending: Vec<u8>,
    at: usize,
    error: std::rc::Rc<std::cell::RefCell<Option<String>>>,
    /// Bytes handed to the reader so far.
    emitted: u64,
    /// For each left-out line: the bytes handed out before it, and how many lines were left
    /// out up to and including it.
    skips: std::rc::Rc<std::cell::RefCell<Vec<(u64, usize)>>>,
}

impl<I: Iterator<Item = Result<(usize, String), String>>> std::io::Read for Joined<I> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.at == self.pending.len() {
            match self.lines.next() {
                None => return Ok(0),
                Some(Err(e)) => {
                    *self.error.borrow_mut() = Some(e);
                    return Ok(0);
                }
                Some(Ok((_, line))) => {
                    // Blank and comment lines are left out here, and remembered, so the CSV
                    // reader's line numbers (it counts only what it reads) map back to the file's.
                    let t = line.trim();
                    if t.is_empty() || t.starts_with('#') {
                        let mut skips = self.skips.borrow_mut();
                        let before = skips.last().map_or(0, |s| s.1);
                        skips.push((self.emitted, before + 1));
                        continue;
                    }
                    self.pending = line.into_bytes();
                    self.pending.push(b'\n');
                    self.emitted += self.pending.len() as u64;
                    self.at = 0;
                }
            }
        }
        let n = buf.len().min(self.pending.len() - self.at);
        buf[..n].copy_from_slice(&self.pending[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

/// Reads a trace from numbered lines; `file` names it in messages. Blank lines and lines
/// starting with `#` before the first row are skipped; a leading byte-order mark too.
fn parse_lines(
    file: &str,
    lines: impl Iterator<Item = Result<(usize, String), String>>,
    opts: &ReadOptions,
) -> Result<Trace, String> {
    let shown = excerpt(file, EXCERPT_PATH);
    let cols = opts.columns();
    let bad = |n: usize, msg: String| format!("trace `{shown}` line {n}: {msg}");
    let mut lines = lines.peekable();
    // The first line that says something tells the form: `{` JSON lines, `[` a JSON array,
    // anything else a CSV header.
    let mut skipped = Vec::new();
    let first = loop {
        match lines.next() {
            None => return Err(format!("trace `{shown}` is empty; give a CSV header and one row per event")),
            Some(Err(e)) => return Err(e),
            Some(Ok((n, line))) => {
                let line = line.trim_start_matches('\u{feff}').to_string();
                let t = line.trim();
                if t.is_empty() || t.starts_with('#') {
                    skipped.push((n, line));
                    continue;
                }
                break (n, line);
            }
        }
    };
    let mut raw: Vec<RawRow> = Vec::new();
    let head = first.1.trim_start();
    let first_parses = head.starts_with('{') && serde_json::from_str::<serde_json::Value>(head).is_ok();
    let json = head.starts_with('[') || head.starts_with('{');
    if let Some(f) = opts.format.filter(|_| !json) {
        let name = option_name(&f);
        return Err(bad(
            first.0,
            format!("is not JSON, but a `{name}` export is JSON (as its API returns it)"),
        ));
    }
    if first_parses {
        // JSON lines: one object a line (a Stripe list page on a line gives its events).
        let rest = std::iter::once(Ok(first)).chain(lines);
        for item in rest {
            let (n, line) = item?;
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let v: serde_json::Value =
                serde_json::from_str(line).map_err(|e| bad(n, format!("is not a JSON object ({e})")))?;
            for v in items(&v, &cols) {
                if let Some(row) = json_row(v, &cols, opts.unit).map_err(|e| bad(n, e))? {
                    raw.push((n, row.0, row.1, row.2, row.3));
                }
            }
            if raw.len() > MAX_ROWS {
                return Err(bad(n, format!("the trace has more than {MAX_ROWS} rows")));
            }
        }
    } else if head.starts_with('[') || head.starts_with('{') {
        // A JSON document: an array of objects (GitHub's events API), or one or more objects in a
        // row — Stripe's `GET /v1/events` pages as `curl` saves them, concatenated.
        let mut text = first.1;
        for item in lines {
            text.push('\n');
            text.push_str(&item?.1);
        }
        let mut k = 0usize;
        for value in serde_json::Deserializer::from_str(&text).into_iter::<serde_json::Value>() {
            let value = value.map_err(|e| {
                bad(first.0 + e.line().saturating_sub(1), format!("is not JSON: an array or objects ({e})"))
            })?;
            for v in items(&value, &cols) {
                k += 1;
                let row =
                    json_row(v, &cols, opts.unit).map_err(|e| format!("trace `{shown}` item {k}: {e}"))?;
                if let Some(row) = row {
                    raw.push((k, row.0, row.1, row.2, row.3));
                }
                if raw.len() > MAX_ROWS {
                    return Err(format!("trace `{shown}`: more than {MAX_ROWS} rows"));
                }
            }
        }
    } else {
        // CSV line numbers count from the header, which is line `first.0` of the file.
        let offset = first.0 - 1;
        let error = std::rc::Rc::new(std::cell::RefCell::new(None));
        let skips = std::rc::Rc::new(std::cell::RefCell::new(Vec::new()));
        // The file's line of a record the reader puts at `line`, starting at byte `byte`.
        let file_line = |line: u64, byte: u64| {
            let s = skips.borrow();
            let left_out = s.iter().take_while(|(at, _)| *at <= byte).last().map_or(0, |x| x.1);
            line as usize + offset + left_out
        };
        let joined = Joined {
            lines: std::iter::once(Ok(first.clone())).chain(lines),
            pending: Vec::new(),
            at: 0,
            error: error.clone(),
            emitted: 0,
            skips: skips.clone(),
        };
        let mut reader = csv::ReaderBuilder::new()
            .trim(csv::Trim::All)
            .comment(Some(b'#'))
            .flexible(false)
            .from_reader(joined);
        let header: Vec<String> = reader
            .headers()
            .map_err(|e| bad(first.0, format!("is not a CSV header ({e})")))?
            .iter()
            .map(|h| h.trim_start_matches('\u{feff}').to_ascii_lowercase())
            .collect();
        let col = |want: &[&str]| header.iter().position(|n| want.iter().any(|w| w.eq_ignore_ascii_case(n)));
        let fields = if header.len() == 1 { "field" } else { "fields" };
        // A mapped column must be there; the usual names are looked for. A first line with no
        // time column is no trace header, so nothing of the file is quoted (it may be anything:
        // `/proc/self/environ`, a key file); fields are quoted only once the header has shown
        // the file to be a trace.
        let mapped = |name: &Option<String>, usual: &[&str], what: &str| match name {
            Some(c) => col(&[c.as_str()]).map(Some).ok_or_else(|| {
                bad(
                    first.0,
                    format!(
                        "has no `{}` column for the {what} among its {} {fields}",
                        excerpt(c, EXCERPT),
                        header.len()
                    ),
                )
            }),
            None => Ok(col(usual)),
        };
        let t_col = mapped(&cols.time, &TIME_KEYS, "time")?.ok_or_else(|| {
            bad(
                first.0,
                format!(
                    "is not a trace header: none of its {} {fields} is `timestamp` (or `time`, `at`, `created`, `created_at`), so the file is not quoted",
                    header.len()
                ),
            )
        })?;
        let r_col = mapped(&cols.resource, &RESOURCE_KEYS, "resource")?;
        let k_col = mapped(&cols.kind, &TYPE_KEYS, "event type")?;
        let dup_col = col(&["duplicate"]);
        let mut record = csv::StringRecord::new();
        loop {
            let more = reader.read_record(&mut record).map_err(|e| {
                let n = e.position().map_or(first.0, |p| file_line(p.line(), p.byte()));
                match e.kind() {
                    csv::ErrorKind::UnequalLengths { expected_len, len, .. } => {
                        let fields = if *len == 1 { "field" } else { "fields" };
                        bad(n, format!("has {len} {fields} where the header has {expected_len}"))
                    }
                    csv::ErrorKind::Utf8 { .. } => bad(n, "is not UTF-8 text".into()),
                    _ => bad(n, format!("is not CSV ({e})")),
                }
            })?;
            if let Some(e) = error.borrow_mut().take() {
                return Err(e);
            }
            if !more {
                break;
            }
            let n = record.position().map_or(0, |p| file_line(p.line(), p.byte()));
            if dup_col.is_some_and(|c| record[c].eq_ignore_ascii_case("true")) {
                continue;
            }
            let (at, kind) = timestamp(&record[t_col], opts.unit).map_err(|e| bad(n, e))?;
            let resource = r_col.map(|c| record[c].to_string()).filter(|r| !r.is_empty());
            let ty = k_col.map(|c| record[c].to_string()).filter(|r| !r.is_empty());
            raw.push((n, at, kind, resource, ty));
            if raw.len() > MAX_ROWS {
                return Err(bad(n, format!("the trace has more than {MAX_ROWS} rows")));
            }
        }
    }
    finish(file, raw)
}

/// The events a JSON value holds: an array's items, a list page's `data` (Stripe's
/// `{ "object": "list", "data": [...] }`), else the value itself.
fn items<'v>(v: &'v serde_json::Value, cols: &Columns) -> Vec<&'v serde_json::Value> {
    let has_time = |v: &serde_json::Value| match &cols.time {
        Some(c) => field(v, c).is_some(),
        None => v.as_object().is_some_and(|o| TIME_KEYS.iter().any(|k| o.contains_key(*k))),
    };
    match v {
        serde_json::Value::Array(a) => a.iter().collect(),
        serde_json::Value::Object(o) if !has_time(v) => match o.get("data") {
            Some(serde_json::Value::Array(a)) => a.iter().collect(),
            _ => vec![v],
        },
        _ => vec![v],
    }
}

/// Where a provider's export names the resource when it has no `resource` key: Stripe's events
/// carry the object (`data.object.id`), GitHub's the repository (`repo.name`).
const RESOURCE_POINTERS: [&str; 2] = ["/data/object/id", "/repo/name"];

/// The value `name` names in `v`: a JSON pointer (`/data/object/id`), a key, or a dotted path
/// (`data.object.id`).
fn field<'v>(v: &'v serde_json::Value, name: &str) -> Option<&'v serde_json::Value> {
    if name.starts_with('/') {
        return v.pointer(name);
    }
    v.get(name).or_else(|| {
        let pointer: String = name.split('.').flat_map(|p| ["/", p]).collect();
        name.contains('.').then(|| v.pointer(&pointer)).flatten()
    })
}

/// A JSON value as row text: a string, or a number's digits.
fn text_of(v: &serde_json::Value) -> Option<String> {
    match v {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Number(x) => Some(x.to_string()),
        _ => None,
    }
}

/// A row of a JSON trace: time, how it was written, resource, type.
type JsonRow = (Micros, Times, Option<String>, Option<String>);

/// One JSON object as a row: its time, how it was written, its resource, its type; `None` for a
/// recorded duplicate delivery.
fn json_row(
    v: &serde_json::Value,
    cols: &Columns,
    unit: Option<EpochUnit>,
) -> Result<Option<JsonRow>, String> {
    let obj = v.as_object().ok_or_else(|| "is not a JSON object".to_string())?;
    let t = match &cols.time {
        Some(c) => field(v, c).ok_or_else(|| format!("has no `{}` for the time", excerpt(c, EXCERPT)))?,
        None => TIME_KEYS
            .iter()
            .find_map(|k| obj.get(*k))
            .ok_or_else(|| "has no `timestamp` (or `time`, `at`, `created`, `created_at`) key".to_string())?,
    };
    let text = match t {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Number(x) => x.to_string(),
        _ => return Err("the timestamp must be a string or a number".into()),
    };
    let (at, kind) = timestamp(&text, unit)?;
    if matches!(obj.get("duplicate"), Some(serde_json::Value::Bool(true)))
        || matches!(obj.get("duplicate"), Some(serde_json::Value::String(d)) if d == "true")
    {
        return Ok(None);
    }
    let named = match &cols.resource {
        Some(c) => field(v, c),
        None => RESOURCE_KEYS.iter().find_map(|k| obj.get(*k)),
    };
    let usual =
        || cols.resource.is_none().then(|| RESOURCE_POINTERS.iter().find_map(|p| v.pointer(p))).flatten();
    let resource = match named.or_else(usual) {
        None | Some(serde_json::Value::Null) => None,
        Some(serde_json::Value::String(s)) if s.is_empty() => None,
        Some(serde_json::Value::String(s)) => Some(s.clone()),
        Some(serde_json::Value::Number(x)) => Some(x.to_string()),
        Some(_) => return Err("`resource` must be a string or a number".into()),
    };
    let ty = match &cols.kind {
        Some(c) => field(v, c),
        None => TYPE_KEYS.iter().find_map(|k| obj.get(*k)),
    };
    let ty = match ty {
        None | Some(serde_json::Value::Null) => None,
        Some(t) => Some(text_of(t).ok_or("the event type must be a string")?).filter(|t| !t.is_empty()),
    };
    Ok(Some((at, kind, resource, ty)))
}

/// The rows in time order, absolute times moved so the earliest is 0, resources made dense.
fn finish(file: &str, mut raw: Vec<RawRow>) -> Result<Trace, String> {
    let shown = excerpt(file, EXCERPT_PATH);
    let bad = |n: usize, msg: String| format!("trace `{shown}` line {n}: {msg}");
    let Some(&(_, _, kind, _, _)) = raw.first() else {
        return Err(format!("trace `{shown}` has no events; give one row per event"));
    };
    if let Some((n, ..)) = raw.iter().find(|r| r.2.absolute() != kind.absolute()) {
        return Err(bad(
            *n,
            "mixes absolute times (RFC 3339 or epoch) with offsets from the start; use one kind throughout"
                .into(),
        ));
    }
    let named = raw.iter().filter(|r| r.3.is_some()).count();
    let origin = if kind.absolute() { raw.iter().map(|r| r.1).min().unwrap_or(0) } else { 0 };
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
    // Types, in order of first appearance in time; a row without one, among typed rows, is
    // `untyped`.
    let typed = raw.iter().any(|r| r.4.is_some());
    let mut types: Vec<String> = Vec::new();
    let mut type_counts: Vec<u64> = Vec::new();
    let mut type_ids: std::collections::HashMap<String, u16> = std::collections::HashMap::new();
    for (n, .., ty) in &raw {
        if !typed {
            break;
        }
        let name = ty.clone().unwrap_or_else(|| "untyped".into());
        if !type_ids.contains_key(&name) {
            if types.len() >= MAX_TYPES {
                return Err(bad(*n, format!("is of a type past the first {MAX_TYPES}; a trace may name at most {MAX_TYPES} event types")));
            }
            type_ids.insert(name.clone(), types.len() as u16);
            types.push(name);
            type_counts.push(0);
        }
    }
    let rows = raw
        .into_iter()
        .map(|(_, at, _, res, ty)| {
            let kind = match ty {
                Some(t) => type_ids[&t],
                None => type_ids.get("untyped").copied().unwrap_or(0),
            };
            if typed {
                type_counts[kind as usize] += 1;
            }
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
            TraceRow { at: at - origin, resource, kind }
        })
        .collect::<Vec<_>>();
    let resources = (named != 0).then_some(next);
    Ok(Trace {
        file: file.to_string(),
        rows_total: rows.len(),
        resources,
        times: kind,
        types,
        type_counts,
        rows,
    })
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
        assert!(e.contains("line 2") && e.contains("has 1 field where the header has 2"), "{e}");
        let e = parse("f.jsonl", "{\"at\": 1}\n{\"at\": -3}\n").unwrap_err();
        assert!(e.contains("line 2"), "{e}");
        let e = parse("f.csv", "at\n1\n2024-05-01T09:00:00Z\n").unwrap_err();
        assert!(e.contains("line 3") && e.contains("mixes"), "{e}");
        assert!(parse("f.csv", "at\n").unwrap_err().contains("no events"));
    }

    /// Columns mapped by hand (CSV headers, JSON keys, dotted paths and pointers), an epoch unit
    /// given, and event types read.
    #[test]
    fn mapped_columns_units_and_types() {
        let opts = |c: &str, unit: Option<EpochUnit>| ReadOptions {
            format: None,
            columns: Columns::parse(c).unwrap(),
            unit,
        };
        let csv = "When,Order,Kind
1700000000500,o1,paid
1700000000000,o2,created
1700000001000,o1,paid
";
        let t = parse_with("m.csv", csv, &opts("time=when,resource=order,type=kind", None)).unwrap();
        assert_eq!(t.times, Times::EpochMillis);
        assert_eq!(
            t.rows.iter().map(|r| (r.at, r.resource, r.kind)).collect::<Vec<_>>(),
            [(0, Some(0), 0), (500_000, Some(1), 1), (SECOND, Some(1), 1)]
        );
        assert_eq!(
            (t.types.clone(), t.type_counts.clone()),
            (vec!["created".into(), "paid".into()], vec![1, 2])
        );
        // Small numbers are offsets unless a unit says they are epoch times.
        let e = parse_with(
            "u.csv",
            "t
5
7
",
            &opts("time=t", Some(EpochUnit::S)),
        )
        .unwrap();
        assert_eq!((e.times, e.rows[1].at), (Times::EpochSeconds, 2 * SECOND));
        // A JSON key, a dotted path, a pointer.
        let j = r#"[{"meta":{"ts":"2024-05-01T09:00:05Z","obj":"a"},"kind":"x"},{"meta":{"ts":"2024-05-01T09:00:00Z","obj":"b"},"kind":"y"}]"#;
        let t = parse_with("j.json", j, &opts("time=meta.ts,resource=/meta/obj,type=kind", None)).unwrap();
        assert_eq!(
            t.rows.iter().map(|r| (r.at, r.resource)).collect::<Vec<_>>(),
            [(0, Some(0)), (5 * SECOND, Some(1))]
        );
        assert_eq!(t.types, ["y", "x"]);
        // A mapped column that is missing is named.
        let e = parse_with(
            "m.csv",
            "at
1
",
            &opts("time=when", None),
        )
        .unwrap_err();
        assert!(e.contains("no `when` column for the time"), "{e}");
        let e = parse_with("j.json", r#"[{"at":1}]"#, &opts("time=when", None)).unwrap_err();
        assert!(e.contains("no `when`"), "{e}");
        // Bad mappings.
        assert!(Columns::parse("when").unwrap_err().contains("FIELD=COLUMN"));
        assert!(Columns::parse("size=bytes").unwrap_err().contains("not a field"));
        // A provider format on a CSV file is refused.
        let f = ReadOptions { format: Some(TraceFormat::StripeEvents), ..ReadOptions::default() };
        assert!(parse_with(
            "s.csv",
            "created
1
",
            &f
        )
        .unwrap_err()
        .contains("is not JSON"));
    }

    /// Exports as people have them: quoted commas and newlines, a BOM, CRLF, RFC 3339 with an
    /// offset, Stripe's epoch `created`, GitHub's `created_at` in a JSON array.
    #[test]
    fn traces_as_people_have_them() {
        let csv = "\u{feff}timestamp,resource,note\r\n2026-11-27T10:00:00+01:00,ord_1,\"Order 1, gift\"\r\n\
                   2026-11-27T09:00:30Z,ord_2,\"two\nlines\"\r\n2026-11-27T09:01:00Z,ord_1,x\r\n";
        let t = parse("a.csv", csv).unwrap();
        assert_eq!(t.times, Times::Rfc3339);
        // 10:00+01:00 is 09:00Z: the first row; the others 30 s and 60 s after it.
        assert_eq!(
            t.rows.iter().map(|r| (r.at, r.resource)).collect::<Vec<_>>(),
            [(0, Some(0)), (30 * SECOND, Some(1)), (60 * SECOND, Some(0))]
        );
        let stripe =
            "id,created,type\nevt_1,1700000000,charge.succeeded\nevt_2,1700000060,x\nevt_3,1700000030,y\n";
        let t = parse("stripe.csv", stripe).unwrap();
        assert_eq!(t.times, Times::EpochSeconds);
        assert_eq!(t.rows.iter().map(|r| r.at).collect::<Vec<_>>(), [0, 30 * SECOND, 60 * SECOND]);
        let ms = parse("ms.csv", "time\n1700000000000\n1700000000250\n").unwrap();
        assert_eq!((ms.times, ms.rows[1].at), (Times::EpochMillis, 250_000));
        let us = parse("us.csv", "time\n1700000000000000\n1700000000000007\n").unwrap();
        assert_eq!((us.times, us.rows[1].at), (Times::EpochMicros, 7));
        let gh = r#"[{"id":"1","created_at":"2024-05-01T09:00:00Z"},
                     {"id":"2","created_at":"2024-05-01T10:00:00+01:00"},
                     {"id":"3","created_at":"2024-05-01T09:02:00Z"}]"#;
        let t = parse("gh.json", gh).unwrap();
        assert_eq!(t.rows.iter().map(|r| r.at).collect::<Vec<_>>(), [0, 0, 120 * SECOND]);
        // An offset of a year or more that is too small to be an epoch time is refused.
        assert!(parse("x.csv", "at\n50000000\n").unwrap_err().contains("a year or more"));
        // Epoch and RFC 3339 are both absolute: they may mix; offsets may not.
        assert!(parse("m.csv", "at\n1700000000\n2023-11-14T22:13:30Z\n").is_ok());
        // An unterminated quote is refused with its line.
        let e = parse("q.csv", "at,resource\n1,a\n\"2,b\n").unwrap_err();
        assert!(e.contains("line 3"), "{e}");
    }
}
