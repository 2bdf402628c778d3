//! Per-client request quota in fixed windows, as GitHub runs it.
//!
//! Owns the quota arithmetic: a window opens with the first counted request after the previous
//! one expired, and resets `window` later; over quota the answer is "retry after the reset".
//! It also keeps the peak share of quota used in any window, and owns the [`Quota`] a scenario
//! configures. It takes "now" from its caller and never reads a clock.

use serde::Serialize;

use crate::units::{Micros, SECOND};

/// A request quota per fixed window.
#[derive(Debug, Clone, Copy, Serialize, PartialEq)]
pub struct Quota {
    /// Requests per window.
    pub limit: u64,
    /// The window.
    #[serde(rename = "window_s", serialize_with = "crate::units::secs")]
    pub window: Micros,
}

/// What the rate-limit headers report at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateState {
    /// Requests per window.
    pub limit: u64,
    /// Requests left in this window.
    pub remaining: u64,
    /// Requests used in this window.
    pub used: u64,
    /// When the window resets (virtual time).
    pub reset_at: Micros,
}

/// A fixed-window limiter for one client.
#[derive(Debug, Clone)]
pub struct RateLimiter {
    quota: Quota,
    window_start: Option<Micros>,
    used: u64,
    peak_used: u64,
}

impl RateLimiter {
    /// A fresh limiter.
    pub fn new(quota: Quota) -> Self {
        RateLimiter { quota, window_start: None, used: 0, peak_used: 0 }
    }

    /// The quota.
    pub fn quota(&self) -> Quota {
        self.quota
    }

    fn roll(&mut self, now: Micros) {
        if let Some(start) = self.window_start {
            if now >= start + self.quota.window {
                self.window_start = None;
                self.used = 0;
            }
        }
    }

    /// Whether a request at `now` is over quota; if so, how long until the window resets.
    pub fn over_quota(&mut self, now: Micros) -> Option<Micros> {
        self.roll(now);
        match self.window_start {
            Some(start) if self.used >= self.quota.limit => Some(start + self.quota.window - now),
            _ => None,
        }
    }

    /// Counts one request at `now`; `track_peak` says whether it counts toward the reported peak.
    pub fn consume(&mut self, now: Micros, track_peak: bool) {
        self.roll(now);
        if self.window_start.is_none() {
            self.window_start = Some(now);
        }
        self.used += 1;
        if track_peak {
            self.peak_used = self.peak_used.max(self.used);
        }
    }

    /// The header values at `now`.
    pub fn state(&mut self, now: Micros) -> RateState {
        self.roll(now);
        let reset_at = self.window_start.unwrap_or(now) + self.quota.window;
        RateState {
            limit: self.quota.limit,
            remaining: self.quota.limit.saturating_sub(self.used),
            used: self.used,
            reset_at,
        }
    }

    /// Whether no window is open at `now`: the next request starts afresh, as it would with a
    /// new limiter (only the reported peak remembers the past).
    pub fn window_over(&self, now: Micros) -> bool {
        self.window_start.is_none_or(|start| now >= start.saturating_add(self.quota.window))
    }

    /// The peak share of the quota used in any window, 0 to 1.
    pub fn peak_use(&self) -> f64 {
        self.peak_used as f64 / self.quota.limit as f64
    }
}

/// `Retry-After` is whole seconds: the wait rounded up.
pub fn retry_after_secs(wait: Micros) -> u64 {
    wait.div_ceil(SECOND).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_window_resets_and_reports_the_wait() {
        let mut rl = RateLimiter::new(Quota { limit: 3, window: 10 * SECOND });
        for t in 0..3 {
            assert_eq!(rl.over_quota(t * SECOND), None);
            rl.consume(t * SECOND, true);
        }
        assert_eq!(rl.over_quota(4 * SECOND), Some(6 * SECOND));
        assert_eq!(rl.state(4 * SECOND).remaining, 0);
        assert_eq!(rl.over_quota(10 * SECOND), None);
        rl.consume(10 * SECOND, true);
        let s = rl.state(11 * SECOND);
        assert_eq!((s.used, s.remaining, s.reset_at), (1, 2, 20 * SECOND));
        assert!((rl.peak_use() - 1.0).abs() < 1e-12);
        assert_eq!(retry_after_secs(1), 1);
        assert_eq!(retry_after_secs(6 * SECOND + 1), 7);
    }
}
