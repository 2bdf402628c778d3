//! Per-client request quotas: GitHub's fixed window, a sliding window, a token bucket,
//! Shopify's REST leaky bucket and its GraphQL cost bucket.
//!
//! Owns the quota arithmetic of each algorithm, what it answers ("admit", or "retry after this
//! wait") and what its state reports in the rate-limit header fields: the IETF draft's
//! `RateLimit-Policy`/`RateLimit` (draft-ietf-httpapi-ratelimit-headers-10,
//! <https://www.ietf.org/archive/id/draft-ietf-httpapi-ratelimit-headers-10.txt>, whose `t` is
//! "the number of seconds until additional quota is made available") and GitHub's
//! `X-RateLimit-*`. The header text is made here, once, for the live server to copy. It also keeps
//! the peak share of quota used, and owns the [`Quota`] a scenario configures. It takes "now"
//! from its caller and never reads a clock.
//!
//! A fixed window opens with the first counted request after the previous one expired and
//! resets `window` later. A sliding window (a log) admits a request when fewer than `limit`
//! requests were counted in the `window` before it. The buckets are the generic cell rate
//! algorithm: a bucket of `limit` cells that gains one every `window / limit`; as meters (a full
//! bucket refuses, it does not queue) a leaky bucket's level is a token bucket's missing tokens,
//! so the two admit the same requests and report the same fields. A cost bucket (Shopify's
//! GraphQL Admin API, "calculated query cost") is the same bucket counted in points: a request is
//! admitted when the bucket has room for its *requested* cost (a connection of `first: n` costs
//! `connection + n × node` points, one object `node`), and is charged its *actual* cost (the nodes
//! it returned) once it ran — "the bucket is refunded the difference"
//! (<https://shopify.dev/docs/apps/build/apis/graphql-admin/rate-limits>).

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};

use crate::support::units::{Micros, SECOND};

/// How a quota is enforced.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "kebab-case")]
pub enum Algorithm {
    /// `limit` per window, the window opening with the first request (GitHub).
    #[default]
    FixedWindow,
    /// At most `limit` in any `window` ending now.
    SlidingWindow,
    /// `limit` tokens, one refilled every `window / limit`.
    TokenBucket,
    /// A bucket of `limit` that leaks one every `window / limit` (Shopify's REST Admin API).
    LeakyBucket,
    /// A bucket of `limit` points restoring one every `window / limit`, each request charged
    /// its calculated cost (Shopify's GraphQL Admin API).
    CostBucket,
}

impl Algorithm {
    /// The name a scenario writes.
    pub fn name(self) -> &'static str {
        match self {
            Algorithm::FixedWindow => "fixed-window",
            Algorithm::SlidingWindow => "sliding-window",
            Algorithm::TokenBucket => "token-bucket",
            Algorithm::LeakyBucket => "leaky-bucket",
            Algorithm::CostBucket => "cost-bucket",
        }
    }

    /// Whether this is the fixed window (left out of JSON, so older results read the same).
    pub fn is_fixed(&self) -> bool {
        *self == Algorithm::FixedWindow
    }

    /// Whether this is a bucket.
    pub fn is_bucket(self) -> bool {
        matches!(self, Algorithm::TokenBucket | Algorithm::LeakyBucket | Algorithm::CostBucket)
    }
}

/// What requests cost in a cost bucket, in points (Shopify's defaults: an object 1, a connection
/// 2 plus its nodes).
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
pub struct QueryCosts {
    /// A connection (a page of events), before its nodes.
    pub connection: u64,
    /// Each node a connection asks for or returns, and one object fetched alone.
    pub node: u64,
}

impl Default for QueryCosts {
    fn default() -> Self {
        QueryCosts { connection: 2, node: 1 }
    }
}

impl QueryCosts {
    /// A page of `n` nodes.
    pub fn page(&self, n: u64) -> u64 {
        self.connection.saturating_add(n.saturating_mul(self.node))
    }
}

/// A request quota: `limit` per `window` under an algorithm. For a bucket, `limit` is its
/// capacity and `window` the time to refill (or drain) it whole, `limit` cells apart.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq)]
pub struct Quota {
    /// Requests per window; a bucket's capacity.
    pub limit: u64,
    /// The window; for a bucket, the time one whole bucket takes to refill.
    #[serde(
        rename = "window_s",
        serialize_with = "crate::support::units::secs",
        deserialize_with = "crate::support::units::de_secs"
    )]
    pub window: Micros,
    /// How it is enforced.
    #[serde(default, skip_serializing_if = "Algorithm::is_fixed")]
    pub algorithm: Algorithm,
    /// A cost bucket's query costs (absent for the other algorithms).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub costs: Option<QueryCosts>,
}

impl Quota {
    /// GitHub's fixed window: `limit` per `window`.
    pub fn fixed(limit: u64, window: Micros) -> Self {
        Quota { limit, window, algorithm: Algorithm::FixedWindow, costs: None }
    }

    /// A bucket of `capacity` gaining one cell every `cell`.
    pub fn bucket(algorithm: Algorithm, capacity: u64, cell: Micros) -> Self {
        let costs = (algorithm == Algorithm::CostBucket).then(QueryCosts::default);
        Quota { limit: capacity, window: capacity.saturating_mul(cell), algorithm, costs }
    }

    /// A bucket's time per cell (refill or leak); the window over the limit otherwise.
    pub fn cell(&self) -> Micros {
        (self.window / self.limit.max(1)).max(1)
    }
}

/// What the rate-limit headers report at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateState {
    /// Requests per window (a bucket's capacity).
    pub limit: u64,
    /// Requests that would be admitted now, one after another.
    pub remaining: u64,
    /// Requests counted against the quota now (a bucket's level).
    pub used: u64,
    /// When more quota is made available (virtual time): a fixed window's reset, a sliding
    /// window's oldest request leaving it, a bucket's next cell; `now` when nothing is used.
    pub reset_at: Micros,
}

#[derive(Debug, Clone)]
enum Books {
    Fixed {
        start: Option<Micros>,
        used: u64,
    },
    Sliding {
        log: VecDeque<Micros>,
    },
    /// The generic cell rate algorithm's "theoretical arrival time": when the bucket is empty
    /// of debt (a token bucket full, a leaky bucket drained).
    Bucket {
        full_at: Micros,
    },
}

/// One client's limiter.
#[derive(Debug, Clone)]
pub struct RateLimiter {
    quota: Quota,
    /// `quota.cell()`, worked out once (a division; every request needs it).
    cell: Micros,
    books: Books,
    peak_used: u64,
}

impl RateLimiter {
    /// A fresh limiter.
    pub fn new(quota: Quota) -> Self {
        let books = match quota.algorithm {
            Algorithm::FixedWindow => Books::Fixed { start: None, used: 0 },
            Algorithm::SlidingWindow => Books::Sliding { log: VecDeque::new() },
            Algorithm::TokenBucket | Algorithm::LeakyBucket | Algorithm::CostBucket => {
                Books::Bucket { full_at: 0 }
            }
        };
        RateLimiter { quota, cell: quota.cell(), books, peak_used: 0 }
    }

    /// The points a request costs, when the quota is a cost bucket.
    #[inline]
    pub fn costs(&self) -> Option<QueryCosts> {
        self.quota.costs
    }

    /// Forgets what no longer counts at `now`.
    #[inline(always)]
    fn roll(&mut self, now: Micros) {
        let window = self.quota.window;
        match &mut self.books {
            Books::Fixed { start, used } => {
                if start.is_some_and(|s| now >= s + window) {
                    *start = None;
                    *used = 0;
                }
            }
            Books::Sliding { log } => {
                while log.front().is_some_and(|&t| t.saturating_add(window) <= now) {
                    log.pop_front();
                }
            }
            Books::Bucket { .. } => {}
        }
    }

    /// The bucket's debt at `now`, in whole cells used, and when the next cell frees.
    #[inline]
    fn bucket(&self, full_at: Micros, now: Micros) -> (u64, Micros) {
        let cell = self.cell;
        let debt = full_at.saturating_sub(now);
        let used = debt.div_ceil(cell);
        let next = if used == 0 { now } else { full_at - (used - 1) * cell };
        (used, next)
    }

    /// Whether a request at `now` is over quota; if so, how long until one would be admitted.
    pub fn over_quota(&mut self, now: Micros) -> Option<Micros> {
        self.over_quota_cost(now, 1)
    }

    /// Whether a request of `cost` units (1 but in a cost bucket: its requested points) is over
    /// quota at `now`; if so, how long until it would be admitted.
    #[inline(always)]
    pub fn over_quota_cost(&mut self, now: Micros, cost: u64) -> Option<Micros> {
        self.roll(now);
        let (limit, window) = (self.quota.limit, self.quota.window);
        match &self.books {
            Books::Fixed { start: Some(start), used } if *used >= limit => Some(start + window - now),
            Books::Fixed { .. } => None,
            Books::Sliding { log } if log.len() as u64 >= limit => {
                // The request `limit` back leaves the window first.
                log.get(log.len() - limit as usize).map(|&t| t + window - now)
            }
            Books::Sliding { .. } => None,
            Books::Bucket { full_at } => {
                let (used, next) = self.bucket(*full_at, now);
                if cost <= 1 {
                    return (used >= limit).then(|| next - now);
                }
                // Room for `cost` points: the debt must fall to `limit - cost` cells.
                let room = limit.saturating_sub(cost).saturating_mul(self.cell);
                let debt = full_at.saturating_sub(now);
                (debt > room).then(|| debt - room)
            }
        }
    }

    /// Counts one request at `now`; `track_peak` says whether it counts toward the reported peak.
    pub fn consume(&mut self, now: Micros, track_peak: bool) {
        self.consume_cost(now, 1, track_peak);
    }

    /// Charges a request `cost` units at `now` (1 but in a cost bucket: its actual points, which
    /// may be 0 only there).
    #[inline(always)]
    pub fn consume_cost(&mut self, now: Micros, cost: u64, track_peak: bool) {
        self.roll(now);
        self.consume_checked(now, cost, track_peak);
    }

    /// [`RateLimiter::consume_cost`] right after [`RateLimiter::over_quota_cost`] at the same
    /// `now`, as the API answers one request: that check rolled the window to `now` already, so
    /// it is not rolled again (the sim answers a request on most of its steps).
    #[inline(always)]
    pub fn consume_checked(&mut self, now: Micros, cost: u64, track_peak: bool) {
        let cell = self.cell;
        let used = match &mut self.books {
            Books::Fixed { start, used } => {
                start.get_or_insert(now);
                *used += 1;
                *used
            }
            Books::Sliding { log } => {
                log.push_back(now);
                log.len() as u64
            }
            Books::Bucket { full_at } => {
                *full_at = (*full_at).max(now).saturating_add(cell.saturating_mul(cost));
                (*full_at - now).div_ceil(cell)
            }
        };
        if track_peak {
            self.peak_used = self.peak_used.max(used);
        }
    }

    /// The header values at `now`.
    pub fn state(&mut self, now: Micros) -> RateState {
        self.roll(now);
        let (limit, window) = (self.quota.limit, self.quota.window);
        let (used, reset_at) = match &self.books {
            Books::Fixed { start, used } => (*used, start.unwrap_or(now) + window),
            Books::Sliding { log } => (log.len() as u64, log.front().map_or(now, |&t| t + window)),
            Books::Bucket { full_at } => self.bucket(*full_at, now),
        };
        RateState { limit, remaining: limit.saturating_sub(used), used, reset_at }
    }

    /// Whether the limiter holds nothing at `now` that a fresh one would not (only the
    /// reported peak remembers the past).
    pub fn window_over(&self, now: Micros) -> bool {
        let window = self.quota.window;
        match &self.books {
            Books::Fixed { start, .. } => start.is_none_or(|s| now >= s.saturating_add(window)),
            Books::Sliding { log } => log.back().is_none_or(|&t| now >= t.saturating_add(window)),
            Books::Bucket { full_at } => *full_at <= now,
        }
    }

    /// The peak share of the quota used, 0 to 1.
    pub fn peak_use(&self) -> f64 {
        self.peak_used as f64 / self.quota.limit as f64
    }
}

/// `Retry-After` is whole seconds: the wait rounded up.
pub fn retry_after_secs(wait: Micros) -> u64 {
    wait.div_ceil(SECOND).max(1)
}

/// The rate-limit header fields of an answer given at `now` under `quota` with `state`, in
/// order: `RateLimit-Policy` and `RateLimit` (the IETF draft), then GitHub's `X-RateLimit-Limit`,
/// `-Remaining`, `-Used` and `-Reset` (`reset_epoch_s`: `state.reset_at` as Unix seconds, which
/// only the live server's clock knows).
pub fn header_fields(
    quota: &Quota,
    state: &RateState,
    now: Micros,
    reset_epoch_s: u64,
) -> [(&'static str, String); 6] {
    let window = (quota.window / SECOND).max(1);
    let reset_in = state.reset_at.saturating_sub(now).div_ceil(SECOND);
    [
        ("ratelimit-policy", format!("\"default\";q={};w={window}", state.limit)),
        ("ratelimit", format!("\"default\";r={};t={reset_in}", state.remaining)),
        ("x-ratelimit-limit", state.limit.to_string()),
        ("x-ratelimit-remaining", state.remaining.to_string()),
        ("x-ratelimit-used", state.used.to_string()),
        ("x-ratelimit-reset", reset_epoch_s.to_string()),
    ]
}

#[cfg(test)]
mod tests;
