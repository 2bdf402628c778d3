//! `serve --report`: the options of a measured serve run, its thresholds, and its report.
//!
//! Turns `--report`, `--duration`, `--drain`, `--format`, `--output` and `--threshold` into
//! validated [`ReportOptions`] before anything binds; after the run, settles the
//! [`Observer`](crate::engine::observer::Observer)'s books into one [`Report`] whose rows are the
//! clients (`client:KEY`; past the observer's cap, one `other (N clients)` row) and the webhook
//! endpoint (`endpoint`), and gates it. Thresholds name a
//! client row (`client:KEY.p99<60s`), every client (`client.missed==0`) or the endpoint
//! (`endpoint.p99<2s`); their metrics are `compare`'s. It computes no figure of its own.

use crate::cli::ServeArgs;
use crate::commands::options::{duration, output_format, Delivery};
use crate::engine::observer::{client_label, ENDPOINT, OTHER};
use crate::error::{Error, Result};
use crate::result::measure::Measure;
use crate::result::report::Report;
use crate::result::threshold::{judge, Judgement, Op, Threshold, ThresholdError};
use crate::scenario::Scenario;

/// Which rows a serve threshold names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServeRows {
    /// `client:KEY`.
    Client(String),
    /// `client`: every client row.
    AnyClient,
    /// `endpoint`.
    Endpoint,
}

/// One `--threshold` of `serve --report`.
#[derive(Debug, Clone, PartialEq)]
pub struct ServeThreshold {
    /// As written.
    pub text: String,
    /// The rows it names.
    pub target: ServeRows,
    /// What is measured.
    pub measure: Measure,
    /// How it is compared.
    pub op: Op,
    /// The limit in the measure's unit.
    pub limit: f64,
}

const SHAPE: &str = "expected client:KEY.METRIC OP VALUE, client.METRIC OP VALUE or endpoint.METRIC OP VALUE, such as `client:ci-poller.p99<60s` or `endpoint.p99<2s`";

impl ServeThreshold {
    /// Parses `text`; the metric, operator and value read as `compare`'s do.
    pub fn parse(text: &str) -> Result<ServeThreshold> {
        let bad = |why: String| Error::Input(format!("--threshold `{text}`: {why}"));
        let op_at = text.find(['<', '>', '=', '!']).ok_or_else(|| bad(format!("no operator; {SHAPE}")))?;
        let (target, _) =
            text[..op_at].trim().rsplit_once('.').ok_or_else(|| bad(format!("no `.METRIC`; {SHAPE}")))?;
        let (target, proxy) = match target.trim() {
            "endpoint" => (ServeRows::Endpoint, "webhook"),
            "client" => (ServeRows::AnyClient, "poll"),
            t => match t.strip_prefix("client:") {
                Some(key) if !key.is_empty() => (ServeRows::Client(key.to_string()), "poll"),
                _ => return Err(bad(format!("no row `{t}`; {SHAPE}"))),
            },
        };
        let rest = &text[op_at..];
        let metric = text[..op_at].trim().rsplit_once('.').map_or("", |(_, m)| m);
        let rewritten = format!("{proxy}.{metric}{rest}");
        let parsed = match target {
            ServeRows::Endpoint => Threshold::parse_endpoint(&rewritten),
            _ => Threshold::parse(&rewritten),
        };
        let t = parsed.map_err(|e| match e {
            ThresholdError::Malformed { why, .. } => bad(match why {
                crate::result::threshold::Malformed::NotApplicable { measure, .. } => format!(
                    "`{}` does not apply to {}",
                    measure.name(),
                    if target == ServeRows::Endpoint {
                        "the endpoint: it makes no API requests"
                    } else {
                        "a client: it takes no webhooks"
                    }
                ),
                why => why.to_string(),
            }),
            e => bad(e.to_string()),
        })?;
        Ok(ServeThreshold {
            text: text.trim().to_string(),
            target,
            measure: t.measure,
            op: t.op,
            limit: t.limit,
        })
    }

    fn matches(&self, label: &str) -> bool {
        match &self.target {
            ServeRows::Client(key) => label == client_label(key),
            // Every client, those folded into the `other` row too.
            ServeRows::AnyClient => label.starts_with("client:") || label.starts_with(OTHER),
            ServeRows::Endpoint => label == ENDPOINT,
        }
    }
}

/// Validated options of `serve --report`.
#[derive(Debug, Clone)]
pub struct ReportOptions {
    /// Where the report goes: standard output's format, the `--output` files, `--quiet`.
    pub delivery: Delivery,
    /// Thresholds, checked against the finished report.
    pub thresholds: Vec<ServeThreshold>,
}

impl ReportOptions {
    /// Whether standard output carries the report in a format made for programs (everything
    /// but the table, with no `--output`): then nothing else may go there.
    pub fn report_on_stdout(&self) -> bool {
        self.delivery.result_on_stdout_for_programs()
    }

    /// Whether standard output is closed but the report has `--output` files to go to: the run
    /// goes ahead and only the files are written.
    pub fn writes_files_past_closed_stdout(&self) -> bool {
        !self.delivery.files.is_empty() && crate::support::out::stdout_closed()
    }

    /// Validates the report flags and applies `--duration` and `--drain` to `scenario`; `None`
    /// without `--report` (then any report flag is refused).
    pub fn from_args(args: &ServeArgs, scenario: &mut Scenario) -> Result<Option<ReportOptions>> {
        let out = &args.out;
        if !args.report {
            let given = [
                (args.from.duration.is_some(), "--duration"),
                (args.drain.is_some(), "--drain"),
                (out.format.is_some(), "--format"),
                (!out.output.is_empty(), "--output"),
                (!out.threshold.is_empty(), "--threshold"),
                (out.quiet.quiet, "--quiet"),
                (args.timeline.bucket.is_some(), "--bucket"),
            ];
            if let Some((_, flag)) = given.iter().find(|(g, _)| *g) {
                return Err(Error::Input(format!("{flag} applies to `serve --report` only; add --report")));
            }
            return Ok(None);
        }
        if let Some(text) = &args.drain {
            scenario.drain = duration("--drain", text, 0)?;
            scenario.drain_explicit = true;
        }
        if let Some(text) = &args.timeline.bucket {
            scenario.bucket = Some(super::super::options::bucket(text, scenario)?);
        }
        let thresholds =
            out.threshold.iter().map(|t| ServeThreshold::parse(t)).collect::<Result<Vec<_>>>()?;
        if args.webhook_url.is_none() {
            if let Some(t) = thresholds.iter().find(|t| t.target == ServeRows::Endpoint) {
                return Err(Error::Input(format!(
                    "--threshold `{}`: there is no endpoint row without --webhook-url",
                    t.text
                )));
            }
        }
        Ok(Some(ReportOptions { delivery: output_format(out)?, thresholds }))
    }
}

/// Every (threshold, row) pair judged; a threshold naming a client that never called fails too
/// (its value is absent).
pub fn evaluate(thresholds: &[ServeThreshold], report: &Report) -> Vec<Judgement> {
    let mut out = Vec::new();
    for t in thresholds {
        let rows: Vec<_> = report.strategies.iter().filter(|r| t.matches(&r.label)).collect();
        if rows.is_empty() {
            let row = match &t.target {
                ServeRows::Client(key) => client_label(key),
                ServeRows::AnyClient => "client".into(),
                ServeRows::Endpoint => ENDPOINT.into(),
            };
            out.push(Judgement {
                expr: t.text.clone(),
                row,
                metric: t.measure.name().to_string(),
                value: None,
                limit: t.limit,
                pass: false,
                bound: false,
            });
        }
        out.extend(rows.into_iter().map(|row| judge(&t.text, t.measure, t.op, t.limit, row)));
    }
    out
}

/// Judges the thresholds into the report, prints or writes it and gates it: 0, 1 on a breach
/// (breaches and the summary on stderr), 130 for a run stopped by a signal.
pub fn finish(mut report: Report, opts: &ReportOptions, signalled: bool) -> Result<u8> {
    if !opts.thresholds.is_empty() {
        report.thresholds = Some(evaluate(&opts.thresholds, &report));
    }
    crate::commands::output::emit(&report, &opts.delivery)?;
    match crate::commands::output::gate(&report, opts.delivery.quiet) {
        0 if signalled => Ok(130),
        code => Ok(code),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_and_metrics_parse() {
        let t = ServeThreshold::parse("client:ci-poller.p99<60s").unwrap();
        assert_eq!(
            (t.target, t.measure, t.op, t.limit),
            (ServeRows::Client("ci-poller".into()), Measure::P99, Op::Lt, 60_000.0)
        );
        let t = ServeThreshold::parse("client:a.b.missed==0").unwrap();
        assert_eq!(t.target, ServeRows::Client("a.b".into()));
        assert_eq!(ServeThreshold::parse("endpoint.p99<2s").unwrap().target, ServeRows::Endpoint);
        assert_eq!(ServeThreshold::parse("client.throttled==0").unwrap().target, ServeRows::AnyClient);
        let t = ServeThreshold::parse("endpoint.ack_p99<2s").unwrap();
        assert_eq!((t.target, t.measure, t.limit), (ServeRows::Endpoint, Measure::AckP99, 2_000.0));
        assert_eq!(ServeThreshold::parse("endpoint.ack_max<=500ms").unwrap().measure, Measure::AckMax);
        for (text, needle) in [
            ("poll.p99<1s", "no row `poll`"),
            ("client:.p99<1s", "no row"),
            ("client:x.p98<1s", "unknown metric"),
            ("client:x.p99", "no operator"),
            ("endpoint.requests<5", "does not apply to the endpoint"),
            ("client:x.webhook_attempts<5", "does not apply to a client"),
            ("client:x.ack_p99<2s", "does not apply to a client"),
        ] {
            let e = ServeThreshold::parse(text).unwrap_err().to_string();
            assert!(e.contains(needle) && e.starts_with(&format!("--threshold `{text}`")), "{text}: {e}");
        }
    }
}
