//! `--threshold` expressions: `webhook.p99<2s`, `poll@30s.requests_per_day<=3000`,
//! `hybrid-reconcile.missed==0`.
//!
//! Owns parsing an expression (target row, [`Measure`], operator, value in the measure's unit),
//! checking that it names rows the run has, and judging it against a finished [`Report`]:
//! one [`Judgement`] per (threshold, row) (defined in `result::judgement`, below `report`), the JSON
//! result's `thresholds`. Judgements and
//! breaches are plain data ([`Breach`]); it never runs anything and never prints:
//! `render::breaches` formats them and callers decide where they go and which exit code they
//! mean. Malformed expressions are a [`ThresholdError`] whose sentence names the expression.

use std::fmt;

use serde::Serialize;

pub use crate::result::judgement::{tally, Judgement, Tally};

use crate::result::measure::{Measure, MeasureError};
use crate::result::report::{Report, StrategyReport};
use crate::strategy::{Spec, StrategyKind};
use crate::support::units::{format_duration, parse_duration, Micros, UnitError, SECOND};

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `==`
    Eq,
    /// `!=`
    Ne,
}

impl Op {
    /// Longest first, so `<=` is not read as `<`.
    const ALL: [(&'static str, Op); 6] =
        [("<=", Op::Le), (">=", Op::Ge), ("==", Op::Eq), ("!=", Op::Ne), ("<", Op::Lt), (">", Op::Gt)];

    /// Whether `actual op limit` holds.
    pub fn holds(self, actual: f64, limit: f64) -> bool {
        match self {
            Op::Lt => actual < limit,
            Op::Le => actual <= limit,
            Op::Gt => actual > limit,
            Op::Ge => actual >= limit,
            Op::Eq => actual == limit,
            Op::Ne => actual != limit,
        }
    }

    fn symbol(self) -> &'static str {
        Op::ALL.iter().find(|(_, o)| *o == self).map_or("?", |(s, _)| s)
    }
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.symbol())
    }
}

/// One parsed expression.
#[derive(Debug, Clone, PartialEq)]
pub struct Threshold {
    /// The expression as written.
    pub text: String,
    /// The strategy it names.
    pub kind: StrategyKind,
    /// The interval after `@`, if given; without one every row of the strategy matches.
    pub interval: Option<Micros>,
    /// What is measured.
    pub measure: Measure,
    /// How it is compared.
    pub op: Op,
    /// The limit, in the unit [`Measure::of`] returns.
    pub limit: f64,
}

const SHAPE: &str = "expected STRATEGY[@INTERVAL].METRIC OP VALUE, such as `webhook.p99<2s` or `poll@30s.requests_per_day<=3000`";

/// A `--threshold` that cannot be used; the sentence starts with the expression as written.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ThresholdError {
    /// The expression does not parse.
    #[error("--threshold `{text}`: {why}")]
    Malformed {
        /// The expression as written.
        text: String,
        /// What is wrong with it.
        why: Malformed,
    },
    /// The expression names no row of this run.
    #[error("--threshold `{text}`: this run has no row {target}; its rows are {}", rows.join(", "))]
    NoSuchRow {
        /// The expression, trimmed.
        text: String,
        /// The row it names: `poll@45s`.
        target: String,
        /// The rows the run has.
        rows: Vec<String>,
    },
}

/// What is wrong with a malformed expression.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Malformed {
    /// None of `< <= > >= == !=`.
    #[error("no operator (< <= > >= == !=); {SHAPE}")]
    NoOperator,
    /// Nothing after the operator.
    #[error("no value after `{0}`; {SHAPE}")]
    NoValue(&'static str),
    /// `<=<`.
    #[error("two operators; {SHAPE}")]
    TwoOperators,
    /// No `.` between the row and the metric.
    #[error("no `.METRIC` after the strategy; {SHAPE}")]
    NoMetric,
    /// Nothing before `.METRIC`.
    #[error("no strategy before `.{0}`; {SHAPE}")]
    NoStrategy(String),
    /// The interval after `@` is not a duration.
    #[error("interval after `@`: {0}")]
    Interval(UnitError),
    /// An unknown strategy name (the sentence lists the known ones).
    #[error("{0}")]
    Strategy(String),
    /// An unknown metric.
    #[error(transparent)]
    Metric(MeasureError),
    /// The metric does not apply to the strategy (its value is always null): request counts of
    /// `webhook`, webhook counts of a poller.
    #[error(
        "`{}` does not apply to {}: it {}, so the result has no such value (null)",
        measure.name(),
        kind.name(),
        if *kind == StrategyKind::Webhook { "makes no API requests" } else { "takes no webhooks" }
    )]
    NotApplicable {
        /// The strategy.
        kind: StrategyKind,
        /// The metric.
        measure: Measure,
    },
    /// An ack-latency metric outside `serve --report`'s endpoint row: only that row has one.
    #[error(
        "`{}` is the ack latency of `serve --report`'s webhook endpoint (`endpoint.{}`); a compare row has no such value",
        .0.name(),
        .0.name()
    )]
    EndpointOnly(Measure),
    /// The value is not in the metric's unit.
    #[error("{} value: {error}", measure.name())]
    Value {
        /// The metric.
        measure: Measure,
        /// What is wrong with the value.
        error: MeasureError,
    },
}

impl Threshold {
    /// Parses `text`; the error says what was expected.
    pub fn parse(text: &str) -> Result<Threshold, ThresholdError> {
        Threshold::parse_parts(text, false)
            .map_err(|why| ThresholdError::Malformed { text: text.to_string(), why })
    }

    /// Parses `text` for `serve --report`'s endpoint row, which also has the ack measures
    /// ([`Measure::endpoint_only`]); its target is written as `webhook`.
    pub fn parse_endpoint(text: &str) -> Result<Threshold, ThresholdError> {
        Threshold::parse_parts(text, true)
            .map_err(|why| ThresholdError::Malformed { text: text.to_string(), why })
    }

    fn parse_parts(text: &str, endpoint: bool) -> Result<Threshold, Malformed> {
        let (at, sym, op) = Op::ALL
            .iter()
            .filter_map(|(s, o)| text.find(s).map(|i| (i, *s, *o)))
            .min_by_key(|(i, s, _)| (*i, std::cmp::Reverse(s.len())))
            .ok_or(Malformed::NoOperator)?;
        let (lhs, rhs) = (text[..at].trim(), text[at + sym.len()..].trim());
        if rhs.is_empty() {
            return Err(Malformed::NoValue(sym));
        }
        if Op::ALL.iter().any(|(s, _)| rhs.starts_with(s)) {
            return Err(Malformed::TwoOperators);
        }
        let (target, metric) = lhs.rsplit_once('.').ok_or(Malformed::NoMetric)?;
        let (name, interval) = match target.split_once('@') {
            Some((n, i)) => (n, Some(parse_duration(i).map_err(Malformed::Interval)?)),
            None => (target, None),
        };
        if name.trim().is_empty() {
            return Err(Malformed::NoStrategy(metric.to_string()));
        }
        let kind = StrategyKind::parse(name).map_err(Malformed::Strategy)?;
        let measure = Measure::parse(metric).map_err(Malformed::Metric)?;
        if !measure.applies_to(kind) {
            return Err(Malformed::NotApplicable { kind, measure });
        }
        if measure.endpoint_only() && !endpoint {
            return Err(Malformed::EndpointOnly(measure));
        }
        let limit = measure.parse_value(rhs).map_err(|error| Malformed::Value { measure, error })?;
        Ok(Threshold { text: text.trim().to_string(), kind, interval, measure, op, limit })
    }

    /// Whether this expression applies to a row of `kind` at `interval`.
    fn matches(&self, kind: &str, interval: Option<Micros>) -> bool {
        kind == self.kind.name() && (self.interval.is_none() || self.interval == interval)
    }

    /// The target as written back: `poll@30s` or `webhook`.
    pub fn target(&self) -> String {
        match self.interval {
            Some(i) => format!("{}@{}", self.kind.name(), format_duration(i)),
            None => self.kind.name().to_string(),
        }
    }
}

/// Parses every expression, or fails on the first malformed one.
pub fn parse_all(texts: &[String]) -> Result<Vec<Threshold>, ThresholdError> {
    texts.iter().map(|t| Threshold::parse(t)).collect()
}

/// Checks before a run that every threshold names at least one of its rows.
pub fn check_targets(thresholds: &[Threshold], specs: &[Spec]) -> Result<(), ThresholdError> {
    match thresholds.iter().find(|t| !specs.iter().any(|s| t.matches(s.kind.name(), s.interval))) {
        Some(t) => Err(ThresholdError::NoSuchRow {
            text: t.text.clone(),
            target: t.target(),
            rows: specs.iter().map(Spec::label).collect(),
        }),
        None => Ok(()),
    }
}

/// A threshold a row did not meet.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Breach {
    /// The expression.
    pub threshold: String,
    /// The row.
    pub row: String,
    /// What was measured.
    pub measure: Measure,
    /// The row's value in the measure's unit; `None` when nothing was detected. On a replicated
    /// run, the pessimistic bound of its 95% interval that was judged.
    pub actual: Option<f64>,
    /// Judged by the pessimistic bound of a replicated run's 95% interval (the upper bound for
    /// `<`, the lower for `>`), not the mean.
    pub bound: bool,
}

/// The breaches among `judged`, in order.
pub fn breaches(judged: &[Judgement]) -> Vec<Breach> {
    judged
        .iter()
        .filter(|j| !j.pass)
        .filter_map(|j| {
            let measure = Measure::parse(&j.metric).ok()?;
            Some(Breach {
                threshold: j.expr.clone(),
                row: j.row.clone(),
                measure,
                actual: j.value,
                bound: j.bound,
            })
        })
        .collect()
}

/// Whether a row's events are conserved (`detected + missed + in_flight == total`): what a CI
/// report asserts of each row of a run given no thresholds.
pub fn conserved(row: &StrategyReport) -> bool {
    let e = &row.events;
    e.detected + e.missed + e.in_flight == e.total
}

fn row_interval(row: &StrategyReport) -> Option<Micros> {
    row.interval_s.map(|s| (s * SECOND as f64).round() as Micros)
}

/// Every (threshold, row) pair judged, in threshold then row order. A threshold on a row
/// without a value fails: a latency when nothing was detected (no latency could meet it),
/// `peak_use` in a scenario without a quota. (A metric that never applies to the strategy is
/// refused when parsed.)
pub fn evaluate(thresholds: &[Threshold], report: &Report) -> Vec<Judgement> {
    let mut out = Vec::new();
    for t in thresholds {
        let rows = report.strategies.iter().filter(|r| t.matches(&r.name, row_interval(r)));
        out.extend(rows.map(|row| judge(&t.text, t.measure, t.op, t.limit, row)));
    }
    out
}

/// `measure op limit` (written as `text`) judged on `row`; an absent value never holds. Shared
/// by `compare`'s thresholds and `serve --report`'s.
///
/// On a replicated run a figure with a 95% interval `[lo, hi]` holds only if it holds for every
/// value in it: `<`/`<=` judge `hi`, `>`/`>=` judge `lo`, `==` needs both, `!=` neither; the
/// judged bound is the value recorded.
pub fn judge(text: &str, measure: Measure, op: Op, limit: f64, row: &StrategyReport) -> Judgement {
    let value = measure.of(row);
    let hw =
        crate::result::replication::figure_path(measure).and_then(|p| row.ci95_of(p)).filter(|hw| *hw > 0.0);
    let (lo, hi) = match (value, hw) {
        (Some(v), Some(hw)) => (Some(v - hw), Some(v + hw)),
        _ => (value, value),
    };
    let holds = |x: Option<f64>| x.is_some_and(|a| op.holds(a, limit));
    let (pass, judged) = match op {
        Op::Lt | Op::Le => (holds(hi), hi),
        Op::Gt | Op::Ge => (holds(lo), lo),
        Op::Eq => (holds(lo) && holds(hi), if holds(lo) { hi } else { lo }),
        Op::Ne => (value.is_some() && (limit < lo.unwrap_or(0.0) || limit > hi.unwrap_or(0.0)), value),
    };
    Judgement {
        expr: text.to_string(),
        row: row.label.clone(),
        metric: measure.name().to_string(),
        value: judged,
        limit,
        pass,
        bound: hw.is_some(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::support::units::MILLI;

    #[test]
    fn good_expressions() {
        let t = Threshold::parse("webhook.p99<2s").unwrap();
        assert_eq!(
            (t.kind, t.interval, t.measure, t.op, t.limit),
            (StrategyKind::Webhook, None, Measure::P99, Op::Lt, 2000.0)
        );
        let t = Threshold::parse("poll@30s.requests_per_day<=3000").unwrap();
        assert_eq!(
            (t.kind, t.interval, t.op, t.limit),
            (StrategyKind::Poll, Some(30 * SECOND), Op::Le, 3000.0)
        );
        let t = Threshold::parse("hybrid-reconcile.missed==0").unwrap();
        assert_eq!((t.measure, t.op, t.limit), (Measure::Missed, Op::Eq, 0.0));
        let t = Threshold::parse(" poll-etag@1m.peak_use >= 80% ").unwrap();
        assert_eq!((t.interval, t.op, t.limit), (Some(60 * SECOND), Op::Ge, 0.8));
        assert_eq!(Threshold::parse("poll.mean!=250ms").unwrap().limit, 250.0);
        assert_eq!(Threshold::parse("poll.throttled_s>1m").unwrap().limit, 60.0);
        assert_eq!(Threshold::parse("poll.throttled==0").unwrap().measure, Measure::Throttled);
        assert_eq!(Threshold::parse("poll@500ms.p999<1s").unwrap().interval, Some(500 * MILLI));
    }

    #[test]
    fn bad_expressions_say_what_was_expected() {
        for (text, needle) in [
            ("webhook.p99", "no operator"),
            ("webhook.p99<", "no value"),
            ("webhook<2s", "no `.METRIC`"),
            ("webhok.p99<2s", "unknown strategy `webhok`"),
            ("webhook.p98<2s", "unknown metric `p98`"),
            ("webhook.p99<2", "no unit"),
            ("webhook.p99<=<2s", "two operators"),
            ("poll@30x.p99<2s", "interval after `@`"),
            ("poll.missed==none", "not a number"),
            (".p99<2s", "no strategy"),
        ] {
            let e = Threshold::parse(text).unwrap_err().to_string();
            assert!(e.contains(needle), "{text}: {e}");
            assert!(e.starts_with(&format!("--threshold `{text}`")), "{e}");
        }
    }

    #[test]
    fn targets_must_exist() {
        let specs = Spec::expand(&[StrategyKind::Poll, StrategyKind::Webhook], &[30 * SECOND], 900 * SECOND);
        let ok = parse_all(&["poll.p99<1m".into(), "poll@30s.missed==0".into()]).unwrap();
        assert!(check_targets(&ok, &specs).is_ok());
        let bad = parse_all(&["poll@45s.p99<1m".into()]).unwrap();
        let e = check_targets(&bad, &specs).unwrap_err().to_string();
        assert!(e.contains("no row poll@45s") && e.contains("poll@30s, webhook"), "{e}");
        let bad = parse_all(&["hybrid.p99<1m".into()]).unwrap();
        assert!(check_targets(&bad, &specs).is_err());
    }

    #[test]
    fn metrics_that_do_not_apply_are_refused() {
        for (text, why) in [
            ("webhook.requests_per_day<100", "makes no API requests"),
            ("webhook.peak_use<80%", "makes no API requests"),
            ("poll@30s.webhook_attempts==0", "takes no webhooks"),
            ("poll-state.webhook_attempts_per_day<1", "takes no webhooks"),
            ("poll.ack_p99<2s", "takes no webhooks"),
            ("webhook.ack_p99<2s", "ack latency of `serve --report`'s webhook endpoint (`endpoint.ack_p99`)"),
            ("hybrid.ack_mean<1s", "a compare row has no such value"),
        ] {
            let e = Threshold::parse(text).unwrap_err().to_string();
            assert!(e.starts_with(&format!("--threshold `{text}`: `")) && e.contains(why), "{e}");
        }
        assert_eq!(Threshold::parse_endpoint("webhook.ack_p99<2s").unwrap().measure, Measure::AckP99);
        for ok in
            ["hybrid.requests<10", "hybrid-reconcile.webhook_attempts>0", "webhook.http_requests_per_day<1"]
        {
            assert!(Threshold::parse(ok).is_ok(), "{ok}");
        }
    }

    #[test]
    fn operators() {
        assert!(Op::Lt.holds(1.0, 2.0) && !Op::Lt.holds(2.0, 2.0));
        assert!(Op::Le.holds(2.0, 2.0) && Op::Ge.holds(2.0, 2.0));
        assert!(Op::Gt.holds(3.0, 2.0) && Op::Ne.holds(3.0, 2.0) && Op::Eq.holds(0.0, 0.0));
    }
}
