//! The verdict under every table, as data: the JSON contract `verdict` and its reason codes.
//!
//! Owns what a verdict says — its basis (a target, or the cost–latency frontier), the chosen
//! row, the frontier, and each row's reason — but not how it is reached: the ranking rules live
//! in [`crate::result::advice`] ([`crate::result::advice::verdict`]), so `advise`, the sweep's
//! frontier and the verdict under every table never disagree. `render::verdict` words it.

use serde::{Deserialize, Serialize};

/// The verdict of a run (JSON `verdict`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Verdict {
    /// `target` when a target judged the rows, else `frontier`.
    pub basis: Basis,
    /// The ready-latency statistic rows are compared by (`p99` unless the target names another).
    pub measure: String,
    /// The target's bound on that statistic, ms, if it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_latency_ms: Option<f64>,
    /// The most events a row may miss under the target.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_missed: Option<u64>,
    /// The largest peak share of the rate limit a row may use under the target.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_quota: Option<f64>,
    /// The row to choose: with a target, the cheapest that meets it; `None` when none does, and
    /// without a target (the frontier is the answer: which of its rows is best depends on what
    /// latency the design needs).
    pub chosen: Option<String>,
    /// With a target and no row meeting it: the fastest row that misses nothing, has nothing in
    /// flight and is never refused with 429 — what to relax the target to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fastest: Option<String>,
    /// The rows on the cost–latency frontier, cheapest first.
    pub frontier: Vec<String>,
    /// Every row with its reason, in table order.
    pub rows: Vec<RowReason>,
}

/// What the verdict is based on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Basis {
    /// A target judged every row.
    Target,
    /// No target: the cost–latency frontier.
    Frontier,
}

/// One row's place in the verdict.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RowReason {
    /// The row label.
    pub row: String,
    /// Why it is where it is.
    pub code: Reason,
    /// The other row the reason names (`same_as`, `dominated_by`, `costlier_than`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub other: Option<String>,
    /// The count the reason is about (events missed or in flight, 429s).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub count: Option<u64>,
    /// Ready latency at the verdict's statistic, ms (on a replicated run, the upper 95% bound).
    pub latency_ms: Option<f64>,
    /// API requests plus webhook attempts per day.
    pub cost_per_day: f64,
    /// Answered 304 (`Some(0)` explains why ETag polling equals plain polling).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_modified: Option<u64>,
}

/// Reason codes: a contract of the JSON `verdict.rows[].code`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// The row to choose.
    Chosen,
    /// On the frontier (not chosen: a cheaper frontier row was, or there is no target).
    Frontier,
    /// Meets the target, but a cheaper row does too.
    CostlierThan,
    /// The same cost and latency as an earlier row.
    SameAs,
    /// Another row is at least as cheap and at least as fast, and better on one.
    DominatedBy,
    /// Its latency is over the target.
    TooSlow,
    /// Its processed latency is over the processed target.
    ProcessedTooSlow,
    /// It missed events.
    Missed,
    /// Events were still in flight at the end: its latency covers only what it detected.
    InFlight,
    /// Requests were refused with 429.
    OverQuota,
    /// Its peak share of the rate limit is over the target.
    OverQuotaShare,
    /// It detected nothing.
    DetectedNothing,
}
