//! Recordings of received deliveries: one row per verified delivery, in the trace format.
//!
//! Owns what `hookbench receive` knows of each delivery — its event time (from a JSON pointer,
//! hookbench's own `occurred_at`, or the signature scheme's timestamp, else none), resource,
//! type, attempt, whether its delivery id was seen before — and the row format of
//! `receive --record` ([`HEADER`], CSV or JSON lines with the same field names), which
//! [`crate::trace`] replays as a scenario's arrivals. Behind a sender compressed N times
//! (`receive --speedup N`) it records in scenario time ([`Recorder::in_scenario_time`]): every
//! time is stretched N times away from the moment the receiver started, so gaps and delays are
//! the scenario's and `scenarios fit` needs no speed-up of its own. Pure: the driver hands in
//! the arrival time and the origin and writes the lines; it never reads a clock or a socket.

use std::collections::HashSet;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::model::signature::Verified;

/// The CSV header of a recording (a contract: `scenarios fit` and the trace reader use it).
pub const HEADER: &str = "timestamp,arrived,delivery,resource,type,attempt,duplicate,status,event_time";

/// Where a row's event time came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeSource {
    /// The signature scheme's timestamp (when the provider signed the attempt).
    Scheme,
    /// A JSON pointer into the body (`--event-time`, or hookbench's `/occurred_at`).
    Pointer,
    /// Unknown: the row's timestamp is the arrival.
    Arrival,
}

impl TimeSource {
    /// The name written in the `event_time` column.
    pub fn name(self) -> &'static str {
        match self {
            TimeSource::Scheme => "scheme",
            TimeSource::Pointer => "pointer",
            TimeSource::Arrival => "arrival",
        }
    }
}

/// One recorded delivery.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordRow {
    /// The event time, when known.
    pub event_time: Option<SystemTime>,
    /// Where it came from.
    pub source: TimeSource,
    /// When the delivery arrived.
    pub arrived: SystemTime,
    /// The delivery id.
    pub delivery: String,
    /// The resource id, from the `--resource` pointer.
    pub resource: Option<String>,
    /// The body's `type`.
    pub kind: Option<String>,
    /// The provider's attempt number, where the scheme tells it.
    pub attempt: Option<u32>,
    /// Whether an earlier row had this delivery id.
    pub duplicate: bool,
    /// The HTTP status answered.
    pub status: u16,
    /// The value found at `--event-time` when it is not a timestamp (quoted, shortened): not
    /// used, the event time comes from the next source.
    pub not_a_time: Option<String>,
}

/// The earliest epoch second read as an event time (2000-01-01T00:00:00Z): a smaller number at
/// the pointer is an amount, a count or an id, not a time.
pub const EARLIEST_EPOCH_S: f64 = 946_684_800.0;

/// Reads a JSON time: epoch seconds (a number, or a numeric string, from [`EARLIEST_EPOCH_S`]
/// and under 10^11) or an RFC 3339 string.
fn json_time(v: &serde_json::Value) -> Option<SystemTime> {
    let secs = match v {
        serde_json::Value::Number(n) => n.as_f64(),
        serde_json::Value::String(s) => match s.trim().parse::<f64>() {
            Ok(x) => Some(x),
            Err(_) => return humantime::parse_rfc3339_weak(s.trim()).ok(),
        },
        _ => None,
    }?;
    (EARLIEST_EPOCH_S..1e11).contains(&secs).then(|| UNIX_EPOCH + Duration::from_secs_f64(secs))
}

/// A JSON value at `pointer` as text (strings as they are, numbers printed).
fn text_at(body: Option<&serde_json::Value>, pointer: &str) -> Option<String> {
    match body?.pointer(pointer)? {
        serde_json::Value::String(s) if !s.is_empty() => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Builds rows and remembers which delivery ids it has recorded.
#[derive(Debug, Default)]
pub struct Recorder {
    event_time: Option<String>,
    resource: Option<String>,
    seen: HashSet<String>,
    /// Scenario time: the origin (a wall time) and the speed-up times are stretched by.
    stretch: Option<(SystemTime, f64)>,
}

impl Recorder {
    /// A recorder reading the event time and the resource at these JSON pointers, when given.
    pub fn new(event_time: Option<String>, resource: Option<String>) -> Self {
        Recorder { event_time, resource, seen: HashSet::new(), stretch: None }
    }

    /// Records in scenario time behind a sender compressed `speedup` times: a wall time `t`
    /// becomes `origin + (t − origin) × speedup` (so `origin`, the receiver's start, is both a
    /// wall and a scenario time). At a speed-up of 1 nothing changes.
    pub fn in_scenario_time(mut self, origin: SystemTime, speedup: f64) -> Self {
        self.stretch = (speedup != 1.0).then_some((origin, speedup));
        self
    }

    /// `t` in the recording's clock.
    fn clock(&self, t: SystemTime) -> SystemTime {
        let Some((origin, n)) = self.stretch else { return t };
        let stretched =
            |d: Duration| Duration::try_from_secs_f64(d.as_secs_f64() * n).unwrap_or(Duration::MAX);
        match t.duration_since(origin) {
            Ok(after) => origin.checked_add(stretched(after)).unwrap_or(t),
            Err(e) => origin.checked_sub(stretched(e.duration())).unwrap_or(UNIX_EPOCH),
        }
    }

    /// The row of one verified delivery.
    pub fn row(&mut self, verified: &Verified, body: &[u8], status: u16, arrived: SystemTime) -> RecordRow {
        let json = serde_json::from_slice::<serde_json::Value>(body).ok();
        let at = |p: &str| json.as_ref().and_then(|v| v.pointer(p)).and_then(json_time);
        // A value at an explicit pointer that is not a timestamp is refused (and reported), never
        // read as one; a missing value is not an error.
        let mut not_a_time = None;
        let pointed = match &self.event_time {
            Some(p) => {
                let found = json.as_ref().and_then(|v| v.pointer(p)).filter(|v| !v.is_null());
                let time = found.and_then(json_time);
                if let (Some(v), None) = (found, time) {
                    not_a_time =
                        Some(crate::support::quote::excerpt(&v.to_string(), crate::support::quote::EXCERPT));
                }
                time
            }
            None => at("/occurred_at"),
        };
        let (event_time, source) = match (pointed, verified.timestamp) {
            (Some(t), _) => (Some(t), TimeSource::Pointer),
            (None, Some(s)) => (Some(UNIX_EPOCH + Duration::from_secs(s)), TimeSource::Scheme),
            (None, None) => (None, TimeSource::Arrival),
        };
        let (event_time, arrived) = (event_time.map(|t| self.clock(t)), self.clock(arrived));
        let resource = self.resource.as_deref().and_then(|p| text_at(json.as_ref(), p));
        let kind = text_at(json.as_ref(), "/type");
        let duplicate = !self.seen.insert(verified.delivery.clone());
        RecordRow {
            event_time,
            source,
            arrived,
            delivery: verified.delivery.clone(),
            resource,
            kind,
            attempt: verified.attempt,
            duplicate,
            status,
            not_a_time,
        }
    }
}

fn rfc3339(t: SystemTime) -> String {
    humantime::format_rfc3339_micros(t).to_string()
}

impl RecordRow {
    /// The row's `timestamp`: the event time, else the arrival.
    pub fn timestamp(&self) -> SystemTime {
        self.event_time.unwrap_or(self.arrived)
    }

    /// The detection latency, arrival minus event time, when the event time is known: `Err`
    /// with how far ahead of the arrival it is when the event time is in the future (the
    /// sender's clock runs ahead), which is not a latency.
    pub fn latency(&self) -> Option<Result<Duration, Duration>> {
        let t = self.event_time?;
        Some(self.arrived.duration_since(t).map_err(|e| e.duration()))
    }

    /// The row as a CSV line (no newline), fields in [`HEADER`]'s order.
    /// Written by a `csv::Writer`: a field with a comma, a quote or a line break is quoted as RFC
    /// 4180 says, so spreadsheets and pandas read it as written.
    pub fn csv(&self) -> String {
        let record = [
            rfc3339(self.timestamp()),
            rfc3339(self.arrived),
            self.delivery.clone(),
            self.resource.clone().unwrap_or_default(),
            self.kind.clone().unwrap_or_default(),
            self.attempt.map_or(String::new(), |a| a.to_string()),
            self.duplicate.to_string(),
            self.status.to_string(),
            self.source.name().to_string(),
        ];
        let mut w = csv::WriterBuilder::new().terminator(csv::Terminator::Any(b'\n')).from_writer(Vec::new());
        // Writing to memory cannot fail; an empty row would be refused by the reader, never lost.
        let _ = w.write_record(&record);
        let bytes = w.into_inner().unwrap_or_default();
        String::from_utf8_lossy(&bytes).trim_end_matches('\n').to_string()
    }

    /// The row as one JSON line (no newline), with [`HEADER`]'s field names.
    pub fn json(&self) -> String {
        serde_json::json!({
            "timestamp": rfc3339(self.timestamp()),
            "arrived": rfc3339(self.arrived),
            "delivery": self.delivery,
            "resource": self.resource,
            "type": self.kind,
            "attempt": self.attempt,
            "duplicate": self.duplicate,
            "status": self.status,
            "event_time": self.source.name(),
        })
        .to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(id: &str, ts: Option<u64>, attempt: Option<u32>) -> Verified {
        Verified { delivery: id.into(), timestamp: ts, attempt }
    }

    #[test]
    fn event_time_precedence_and_duplicates() {
        let arrived = UNIX_EPOCH + Duration::from_micros(1_700_000_010_250_000);
        let mut r = Recorder::new(Some("/created".into()), Some("/data/object/id".into()));
        let body = br#"{"created":1700000000,"type":"invoice.paid","data":{"object":{"id":"in_1"}}}"#;
        let row = r.row(&v("evt_1", Some(1_700_000_005), None), body, 204, arrived);
        assert_eq!(
            row.csv(),
            "2023-11-14T22:13:20.000000Z,2023-11-14T22:13:30.250000Z,evt_1,in_1,invoice.paid,,false,204,pointer"
        );
        let again = r.row(&v("evt_1", Some(1_700_000_005), Some(2)), b"not json, at all", 500, arrived);
        assert_eq!(
            again.csv(),
            "2023-11-14T22:13:25.000000Z,2023-11-14T22:13:30.250000Z,evt_1,,,2,true,500,scheme"
        );
        let none = r.row(&v("a,b\"%", None, None), b"{}", 204, arrived);
        assert_eq!(none.source, TimeSource::Arrival);
        // RFC 4180: the comma and the quote are quoted, the quote doubled; a CSV reader gets the
        // id back as written.
        let line = none.csv();
        assert!(
            line.starts_with("2023-11-14T22:13:30.250000Z,2023-11-14T22:13:30.250000Z,\"a,b\"\"%\","),
            "{line}"
        );
        let mut rd = csv::ReaderBuilder::new().has_headers(false).from_reader(line.as_bytes());
        let rec = rd.records().next().unwrap().unwrap();
        assert_eq!(&rec[2], "a,b\"%");
        let j: serde_json::Value = serde_json::from_str(&again.json()).unwrap();
        assert_eq!(j["duplicate"], true);
        assert_eq!(j["attempt"], 2);
        assert_eq!(j["event_time"], "scheme");
        assert_eq!(
            j.as_object().unwrap().keys().cloned().collect::<Vec<_>>().join(","),
            HEADER,
            "the JSON fields are the header's, in order"
        );
    }

    #[test]
    fn behind_a_speedup_times_are_stretched_from_the_origin() {
        let origin = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let mut r = Recorder::new(None, None).in_scenario_time(origin, 10.0);
        // An event 1.5 s (wall) after the start, arriving 0.25 s later: 15 s and 2.5 s of scenario.
        let body = br#"{"occurred_at":"2023-11-14T22:13:21.500Z"}"#;
        let arrived = origin + Duration::from_millis(1_750);
        let row = r.row(&v("a", None, None), body, 204, arrived);
        assert!(
            row.csv().starts_with("2023-11-14T22:13:35.000000Z,2023-11-14T22:13:37.500000Z,"),
            "{}",
            row.csv()
        );
        // Before the origin: stretched backwards.
        let early = br#"{"occurred_at":"2023-11-14T22:13:19.900Z"}"#;
        let row = r.row(&v("b", None, None), early, 204, origin);
        assert!(
            row.csv().starts_with("2023-11-14T22:13:19.000000Z,2023-11-14T22:13:20.000000Z,"),
            "{}",
            row.csv()
        );
        // At a speed-up of 1 nothing moves.
        let mut one = Recorder::new(None, None).in_scenario_time(origin, 1.0);
        assert_eq!(one.row(&v("c", None, None), body, 204, arrived).arrived, arrived);
    }

    #[test]
    fn hookbench_bodies_carry_their_own_time_and_rfc3339_strings_read() {
        let mut r = Recorder::new(None, None);
        let body = br#"{"id":"evt_0000000001","occurred_at":"2024-05-01T09:00:00.5Z"}"#;
        let row = r.row(&v("m", Some(1), None), body, 204, UNIX_EPOCH);
        assert_eq!(row.source, TimeSource::Pointer);
        assert!(row.csv().starts_with("2024-05-01T09:00:00.500000Z,"));
    }
}
