//! A row's run in time, as the result carries it: equal buckets from time 0, one array per
//! series, ready to plot.
//!
//! Owns [`Timeline`], the `timeline` of a row in the JSON (`schema.json` documents it), made
//! once from the row core's [`TimelineBooks`]. Every figure is computed here; the charts only
//! draw it. Bucket `i` covers `[i × bucket_s, (i + 1) × bucket_s)` of scenario time.

use serde::{Deserialize, Serialize};

use crate::strategy::books::timeline::Bucket;
use crate::strategy::books::TimelineBooks;
use crate::support::units::{secs_f, Micros, MILLI};

/// One row's timeline: per bucket, one entry of every array.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Timeline {
    /// Width of each bucket, seconds.
    pub bucket_s: f64,
    /// Start of each bucket, seconds from the run's start.
    pub start_s: Vec<f64>,
    /// Events that happened in the bucket.
    pub happened: Vec<u64>,
    /// Events first detected in the bucket.
    pub detected: Vec<u64>,
    /// Events that became ready (processed; detected where the receiver is unlimited).
    pub ready: Vec<u64>,
    /// Median ready latency of the events that *happened* in the bucket and became ready, ms;
    /// null when none did.
    pub ready_p50_ms: Vec<Option<f64>>,
    /// 99th percentile of the same, ms.
    pub ready_p99_ms: Vec<Option<f64>>,
    /// Events that had happened by the bucket's end and were not ready by then (missed ones
    /// stay in it): how far behind the consumer is.
    pub not_ready: Vec<u64>,
    /// The most deliveries waiting for a worker at once during the bucket (a finite receiver
    /// only; absent otherwise).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backlog_peak: Option<Vec<u64>>,
    /// Deliveries waiting for a worker at the bucket's end (a finite receiver only; absent
    /// otherwise).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backlog_end: Option<Vec<u64>>,
    /// API requests made (answered in the bucket; those billed to the window).
    pub requests: Vec<u64>,
    /// 429 answers among them.
    pub throttled: Vec<u64>,
    /// Failed calls among them (5xx, connection failures).
    pub failed: Vec<u64>,
    /// Webhook delivery attempts sent.
    pub webhook_attempts: Vec<u64>,
    /// Attempts that were retries.
    pub webhook_retries: Vec<u64>,
    /// Attempts that failed.
    pub webhook_failed: Vec<u64>,
}

impl Timeline {
    /// The timeline of `books`, covering at least the window (`window` µs); `backlog` when the
    /// receiver is finite.
    pub fn of(books: &TimelineBooks, window: Micros, backlog: bool) -> Timeline {
        let width = books.width();
        let n = books.buckets().len().max(window.div_ceil(width) as usize);
        let empty = Bucket::default();
        let at = |i: usize| books.buckets().get(i).unwrap_or(&empty);
        let series = |f: &dyn Fn(&Bucket) -> u64| (0..n).map(|i| f(at(i))).collect::<Vec<_>>();
        let quantile = |q: f64| {
            (0..n)
                .map(|i| {
                    at(i).latency.as_ref().and_then(|h| h.quantile(q)).map(|us| us as f64 / MILLI as f64)
                })
                .collect::<Vec<_>>()
        };
        let (happened, ready) = (series(&|b| b.happened), series(&|b| b.ready));
        let mut behind = 0i64;
        let not_ready = happened
            .iter()
            .zip(&ready)
            .map(|(&h, &r)| {
                behind += h as i64 - r as i64;
                behind.max(0) as u64
            })
            .collect();
        Timeline {
            bucket_s: secs_f(width),
            start_s: (0..n).map(|i| secs_f(width * i as u64)).collect(),
            happened,
            detected: series(&|b| b.detected),
            ready,
            not_ready,
            ready_p50_ms: quantile(0.5),
            ready_p99_ms: quantile(0.99),
            backlog_peak: backlog.then(|| series(&|b| b.backlog_peak)),
            backlog_end: backlog.then(|| {
                // A bucket the pool left unnoted (past the run's end) keeps the last value.
                let mut last = 0;
                (0..n)
                    .map(|i| {
                        last = at(i).backlog_end.unwrap_or(last);
                        last
                    })
                    .collect()
            }),
            requests: series(&|b| b.requests),
            throttled: series(&|b| b.throttled),
            failed: series(&|b| b.failed),
            webhook_attempts: series(&|b| b.attempts),
            webhook_retries: series(&|b| b.retries),
            webhook_failed: series(&|b| b.attempts_failed),
        }
    }

    /// How many buckets.
    pub fn len(&self) -> usize {
        self.start_s.len()
    }

    /// Whether it has no bucket.
    pub fn is_empty(&self) -> bool {
        self.start_s.is_empty()
    }
}
