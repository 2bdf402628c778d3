//! The named measures of a result row: one table shared by thresholds, `check`, `advise`, the
//! sweep chart and the BMF export, so a name means the same number everywhere.
//!
//! Owns each measure's name, unit and "worse" direction, reading it off a [`StrategyReport`],
//! and the two small report-side derivations the views need (a row's HTTP cost per day and the
//! quota per day). It never computes a statistic from raw data: every value is a report field
//! or a sum of two of them. It never formats a value for people either: `render::text` does.

use serde::{Serialize, Serializer};

use crate::result::report::{Applies, Report, StrategyReport};
use crate::strategy::StrategyKind;
use crate::support::units::{parse_duration, UnitError, SECOND};

/// A metric name or a value that cannot be read; the sentence says what would be right.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum MeasureError {
    /// No measure has this name.
    #[error("unknown metric `{name}`; use one of {}", Measure::names().join(", "))]
    Unknown {
        /// The name as given, trimmed.
        name: String,
    },
    /// A duration value is malformed.
    #[error(transparent)]
    Duration(#[from] UnitError),
    /// A share is neither `80%` nor `0.8`.
    #[error("`{0}` is not a share; write `80%` or `0.8`")]
    NotAShare(String),
    /// A count is not a number of zero or more.
    #[error("`{0}` is not a number; write a count such as `3000`")]
    NotACount(String),
}

/// How a measure's value reads and how a threshold value for it is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// Milliseconds of latency; thresholds take a duration (`2s`, `250ms`).
    Ms,
    /// Seconds; thresholds take a duration.
    Seconds,
    /// A count; thresholds take a plain number.
    Count,
    /// A share 0–1; thresholds take `80%` or `0.8`.
    Share,
}

/// A named measure of one row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Measure {
    /// Mean detection latency.
    Mean,
    /// Median detection latency.
    P50,
    /// 90th percentile.
    P90,
    /// 99th percentile.
    P99,
    /// 99.9th percentile.
    P999,
    /// Maximum.
    Max,
    /// Events detected.
    Detected,
    /// Events missed.
    Missed,
    /// Events still in flight at the end.
    InFlight,
    /// Duplicate deliveries.
    Duplicates,
    /// Events detected out of order.
    OutOfOrder,
    /// API requests in the window.
    Requests,
    /// Requests that brought nothing new.
    Wasted,
    /// Requests answered 429.
    Throttled,
    /// Webhook delivery attempts in the window.
    WebhookAttempts,
    /// API requests per day.
    RequestsPerDay,
    /// Webhook delivery attempts per day.
    WebhookAttemptsPerDay,
    /// API requests plus webhook attempts per day: every HTTP request the design costs.
    HttpRequestsPerDay,
    /// Bytes per day, both ways.
    BytesPerDay,
    /// Peak share of the quota used in any window.
    PeakUse,
    /// Time held back by 429s.
    ThrottledS,
    /// Mean processed latency (event → processing finished), with a finite receiver.
    ProcessedMean,
    /// Median processed latency.
    ProcessedP50,
    /// 90th percentile of processed latency.
    ProcessedP90,
    /// 99th percentile of processed latency.
    ProcessedP99,
    /// 99.9th percentile of processed latency.
    ProcessedP999,
    /// Largest processed latency.
    ProcessedMax,
    /// The most deliveries or events that waited for a worker at once.
    PeakBacklog,
    /// Requests that failed (5xx, connection failures).
    Failed,
    /// `serve --report`'s endpoint row: mean ack latency (delivery sent → 2xx).
    AckMean,
    /// Median ack latency.
    AckP50,
    /// 90th percentile of ack latency.
    AckP90,
    /// 99th percentile of ack latency.
    AckP99,
    /// 99.9th percentile of ack latency.
    AckP999,
    /// Largest ack latency.
    AckMax,
}

impl Measure {
    /// Every measure, in display order.
    pub const ALL: [Measure; 35] = [
        Measure::Mean,
        Measure::P50,
        Measure::P90,
        Measure::P99,
        Measure::P999,
        Measure::Max,
        Measure::Detected,
        Measure::Missed,
        Measure::InFlight,
        Measure::Duplicates,
        Measure::OutOfOrder,
        Measure::Requests,
        Measure::Wasted,
        Measure::Throttled,
        Measure::WebhookAttempts,
        Measure::RequestsPerDay,
        Measure::WebhookAttemptsPerDay,
        Measure::HttpRequestsPerDay,
        Measure::BytesPerDay,
        Measure::PeakUse,
        Measure::ThrottledS,
        Measure::ProcessedMean,
        Measure::ProcessedP50,
        Measure::ProcessedP90,
        Measure::ProcessedP99,
        Measure::ProcessedP999,
        Measure::ProcessedMax,
        Measure::PeakBacklog,
        Measure::Failed,
        Measure::AckMean,
        Measure::AckP50,
        Measure::AckP90,
        Measure::AckP99,
        Measure::AckP999,
        Measure::AckMax,
    ];

    /// The latency measures, fastest-moving first.
    pub const LATENCIES: [Measure; 6] =
        [Measure::Mean, Measure::P50, Measure::P90, Measure::P99, Measure::P999, Measure::Max];

    /// The name used in thresholds, `check --metric` and exports.
    pub fn name(self) -> &'static str {
        match self {
            Measure::Mean => "mean",
            Measure::P50 => "p50",
            Measure::P90 => "p90",
            Measure::P99 => "p99",
            Measure::P999 => "p999",
            Measure::Max => "max",
            Measure::Detected => "detected",
            Measure::Missed => "missed",
            Measure::InFlight => "in_flight",
            Measure::Duplicates => "duplicates",
            Measure::OutOfOrder => "out_of_order",
            Measure::Requests => "requests",
            Measure::Wasted => "wasted",
            Measure::Throttled => "throttled",
            Measure::WebhookAttempts => "webhook_attempts",
            Measure::RequestsPerDay => "requests_per_day",
            Measure::WebhookAttemptsPerDay => "webhook_attempts_per_day",
            Measure::HttpRequestsPerDay => "http_requests_per_day",
            Measure::BytesPerDay => "bytes_per_day",
            Measure::PeakUse => "peak_use",
            Measure::ThrottledS => "throttled_s",
            Measure::ProcessedMean => "processed_mean",
            Measure::ProcessedP50 => "processed_p50",
            Measure::ProcessedP90 => "processed_p90",
            Measure::ProcessedP99 => "processed_p99",
            Measure::ProcessedP999 => "processed_p999",
            Measure::ProcessedMax => "processed_max",
            Measure::PeakBacklog => "peak_backlog",
            Measure::Failed => "failed",
            Measure::AckMean => "ack_mean",
            Measure::AckP50 => "ack_p50",
            Measure::AckP90 => "ack_p90",
            Measure::AckP99 => "ack_p99",
            Measure::AckP999 => "ack_p999",
            Measure::AckMax => "ack_max",
        }
    }

    /// Parses a name; the error lists the valid ones.
    pub fn parse(name: &str) -> Result<Measure, MeasureError> {
        let n = name.trim();
        let alias = match n {
            "p99.9" => "p999",
            "p90.0" => "p90",
            "median" => "p50",
            "429s" => "throttled",
            other => other,
        };
        Measure::ALL
            .into_iter()
            .find(|m| m.name() == alias)
            .ok_or_else(|| MeasureError::Unknown { name: n.to_string() })
    }

    /// All names, for error messages.
    pub fn names() -> Vec<&'static str> {
        Measure::ALL.iter().map(|m| m.name()).collect()
    }

    /// The unit of the value [`Measure::of`] returns.
    pub fn unit(self) -> Unit {
        match self {
            Measure::Mean
            | Measure::P50
            | Measure::P90
            | Measure::P99
            | Measure::P999
            | Measure::Max
            | Measure::ProcessedMean
            | Measure::ProcessedP50
            | Measure::ProcessedP90
            | Measure::ProcessedP99
            | Measure::ProcessedP999
            | Measure::ProcessedMax
            | Measure::AckMean
            | Measure::AckP50
            | Measure::AckP90
            | Measure::AckP99
            | Measure::AckP999
            | Measure::AckMax => Unit::Ms,
            Measure::ThrottledS => Unit::Seconds,
            Measure::PeakUse => Unit::Share,
            _ => Unit::Count,
        }
    }

    /// The processed-latency measure at the same percentile, for a detection-latency measure.
    pub fn processed(self) -> Option<Measure> {
        Some(match self {
            Measure::Mean => Measure::ProcessedMean,
            Measure::P50 => Measure::ProcessedP50,
            Measure::P90 => Measure::ProcessedP90,
            Measure::P99 => Measure::ProcessedP99,
            Measure::P999 => Measure::ProcessedP999,
            Measure::Max => Measure::ProcessedMax,
            _ => return None,
        })
    }

    /// The ack-latency measure at the same percentile, for a detection-latency measure: on an
    /// endpoint row, `check` compares both.
    pub fn ack(self) -> Option<Measure> {
        Some(match self {
            Measure::Mean => Measure::AckMean,
            Measure::P50 => Measure::AckP50,
            Measure::P90 => Measure::AckP90,
            Measure::P99 => Measure::AckP99,
            Measure::P999 => Measure::AckP999,
            Measure::Max => Measure::AckMax,
            _ => return None,
        })
    }

    /// Whether the measure exists only on `serve --report`'s endpoint row (the ack latency of the
    /// user's webhook receiver); `compare`'s rows never have it.
    pub fn endpoint_only(self) -> bool {
        matches!(
            self,
            Measure::AckMean
                | Measure::AckP50
                | Measure::AckP90
                | Measure::AckP99
                | Measure::AckP999
                | Measure::AckMax
        )
    }

    /// Whether a higher value is worse (latency, misses, cost); only `detected` is the other way.
    pub fn higher_is_worse(self) -> bool {
        self != Measure::Detected
    }

    /// Whether the measure can have a value on a row of `kind` at all (under a rate limit):
    /// request counts need a strategy that calls the API, webhook counts one that takes webhooks
    /// ([`Applies`]). A threshold on a measure that does not apply is refused before a run.
    pub fn applies_to(self, kind: StrategyKind) -> bool {
        let a = Applies::of(kind, true);
        match self {
            Measure::Requests
            | Measure::Wasted
            | Measure::Throttled
            | Measure::RequestsPerDay
            | Measure::PeakUse
            | Measure::Failed => a.api,
            Measure::WebhookAttempts | Measure::WebhookAttemptsPerDay => a.webhooks,
            m if m.endpoint_only() => a.webhooks,
            _ => true,
        }
    }

    /// The value on `row`; `None` for a latency when nothing was detected, for the processing
    /// measures when the receiver's capacity is unlimited, for the ack measures on a row that is
    /// not `serve --report`'s endpoint or whose endpoint never answered 2xx, and for a figure that does not apply
    /// (request counts of `webhook`, webhook counts of a poller, quota use without a limit).
    pub fn of(self, row: &StrategyReport) -> Option<f64> {
        let l = &row.latency_ms;
        let p = row.processed_ms.as_ref();
        let ack = row.ack_ms.as_ref();
        let count = |n: u64| Some(n as f64);
        let opt = |n: Option<u64>| n.map(|n| n as f64);
        match self {
            Measure::Mean => l.mean,
            Measure::P50 => l.p50,
            Measure::P90 => l.p90,
            Measure::P99 => l.p99,
            Measure::P999 => l.p999,
            Measure::Max => l.max,
            Measure::Detected => count(row.events.detected),
            Measure::Missed => count(row.events.missed),
            Measure::InFlight => count(row.events.in_flight),
            Measure::Duplicates => count(row.events.duplicates),
            Measure::OutOfOrder => count(row.events.out_of_order),
            Measure::Requests => opt(row.requests.total),
            Measure::Wasted => opt(row.requests.wasted),
            Measure::Throttled => opt(row.requests.throttled),
            Measure::WebhookAttempts => opt(row.webhooks.attempts),
            Measure::RequestsPerDay => row.per_day.requests,
            Measure::WebhookAttemptsPerDay => row.per_day.webhook_attempts,
            Measure::HttpRequestsPerDay => Some(http_requests_per_day(row)),
            Measure::BytesPerDay => Some(row.per_day.bytes),
            Measure::PeakUse => row.rate_limit.peak_use,
            Measure::ThrottledS => Some(row.rate_limit.throttled_s),
            Measure::ProcessedMean => p.and_then(|p| p.mean),
            Measure::ProcessedP50 => p.and_then(|p| p.p50),
            Measure::ProcessedP90 => p.and_then(|p| p.p90),
            Measure::ProcessedP99 => p.and_then(|p| p.p99),
            Measure::ProcessedP999 => p.and_then(|p| p.p999),
            Measure::ProcessedMax => p.and_then(|p| p.max),
            Measure::PeakBacklog => row.processing.as_ref().map(|p| p.peak_backlog as f64),
            Measure::Failed => row.requests.total.and(count(row.requests.failed)),
            Measure::AckMean => ack.and_then(|a| a.mean),
            Measure::AckP50 => ack.and_then(|a| a.p50),
            Measure::AckP90 => ack.and_then(|a| a.p90),
            Measure::AckP99 => ack.and_then(|a| a.p99),
            Measure::AckP999 => ack.and_then(|a| a.p999),
            Measure::AckMax => ack.and_then(|a| a.max),
        }
    }

    /// Parses a threshold value in this measure's unit (durations need a unit, as everywhere).
    pub fn parse_value(self, text: &str) -> Result<f64, MeasureError> {
        let t = text.trim();
        match self.unit() {
            Unit::Ms => Ok(parse_duration(t)? as f64 / 1_000.0),
            Unit::Seconds => Ok(parse_duration(t)? as f64 / SECOND as f64),
            Unit::Share => {
                let (num, divisor) = match t.strip_suffix('%') {
                    Some(n) => (n.trim(), 100.0),
                    None => (t, 1.0),
                };
                num.parse::<f64>()
                    .ok()
                    .filter(|v| v.is_finite() && *v >= 0.0)
                    .map(|v| v / divisor)
                    .ok_or_else(|| MeasureError::NotAShare(t.to_string()))
            }
            Unit::Count => t
                .replace('_', "")
                .parse::<f64>()
                .ok()
                .filter(|v| v.is_finite() && *v >= 0.0)
                .ok_or_else(|| MeasureError::NotACount(t.to_string())),
        }
    }
}

/// A measure serializes as its name.
impl Serialize for Measure {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

/// Every HTTP request a design costs per day: API requests the consumer makes plus webhook
/// delivery attempts it receives. This is how `sweep` places webhooks on the cost axis and how
/// `advise` ranks candidates, so a design that polls nothing is not shown as free.
pub fn http_requests_per_day(row: &StrategyReport) -> f64 {
    row.per_day.requests.unwrap_or(0.0) + row.per_day.webhook_attempts.unwrap_or(0.0)
}

/// API requests per day the scenario's rate limit allows (limit × 86,400 s / window), if any.
pub fn quota_per_day(report: &Report) -> Option<f64> {
    report
        .scenario
        .api
        .rate_limit
        .map(|q| q.limit as f64 * (86_400.0 * SECOND as f64) / q.window.max(1) as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_unknown_lists_all() {
        for m in Measure::ALL {
            assert_eq!(Measure::parse(m.name()), Ok(m));
        }
        assert_eq!(Measure::parse("p99.9"), Ok(Measure::P999));
        let e = Measure::parse("p42").unwrap_err().to_string();
        assert!(e.contains("unknown metric `p42`") && e.contains("requests_per_day"), "{e}");
    }

    #[test]
    fn values_in_each_unit() {
        assert_eq!(Measure::P99.parse_value("2s"), Ok(2_000.0));
        assert_eq!(Measure::P99.parse_value("250ms"), Ok(250.0));
        assert!(Measure::P99.parse_value("2").unwrap_err().to_string().contains("no unit"));
        assert_eq!(Measure::ThrottledS.parse_value("1m"), Ok(60.0));
        assert_eq!(Measure::PeakUse.parse_value("80%"), Ok(0.8));
        assert_eq!(Measure::PeakUse.parse_value("0.8"), Ok(0.8));
        assert_eq!(Measure::RequestsPerDay.parse_value("3_000"), Ok(3000.0));
        assert!(Measure::Missed.parse_value("none").is_err());
        assert!(Measure::Missed.parse_value("-1").is_err());
    }
}
