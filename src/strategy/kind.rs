//! The strategy kinds: the names users type and reports print, in table order.
//!
//! Owns [`StrategyKind`], its names and which kinds are run by default, so the scenario parser
//! and the command line can name a strategy without building one. It is plain data at the
//! bottom of `strategy`: it imports nothing from the crate.

use serde::{Deserialize, Serialize};

/// The strategy kinds, as named on the command line and in reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum StrategyKind {
    /// Cursor polling of the event log at a fixed interval.
    Poll,
    /// The same with `If-None-Match`.
    PollEtag,
    /// Polling every resource's current state.
    PollState,
    /// Fat webhooks only.
    Webhook,
    /// Thin webhook, then one fetch of the event.
    Hybrid,
    /// Webhooks plus a slow reconciliation poll of the event log.
    HybridReconcile,
    /// Long polling: the server holds each request until an event or its wait limit.
    LongPoll,
    /// A server-sent events stream, resumed with `Last-Event-ID` after a drop.
    Sse,
    /// Cursor polling that speeds up after activity and backs off when idle.
    PollAdaptive,
}

impl StrategyKind {
    /// All kinds, in table order.
    pub const ALL: [StrategyKind; 9] = [
        StrategyKind::Poll,
        StrategyKind::PollEtag,
        StrategyKind::PollState,
        StrategyKind::Webhook,
        StrategyKind::Hybrid,
        StrategyKind::HybridReconcile,
        StrategyKind::LongPoll,
        StrategyKind::Sse,
        StrategyKind::PollAdaptive,
    ];

    /// The kinds `compare` and `sweep` run when neither the scenario nor the command line name
    /// any: the push-or-pull six. The middle ground (`long-poll`, `sse`, `poll-adaptive`) is
    /// asked for by name.
    pub const DEFAULT: &'static [StrategyKind] = StrategyKind::ALL.split_at(6).0;

    /// The name users type.
    pub fn name(self) -> &'static str {
        match self {
            StrategyKind::Poll => "poll",
            StrategyKind::PollEtag => "poll-etag",
            StrategyKind::PollState => "poll-state",
            StrategyKind::Webhook => "webhook",
            StrategyKind::Hybrid => "hybrid",
            StrategyKind::HybridReconcile => "hybrid-reconcile",
            StrategyKind::LongPoll => "long-poll",
            StrategyKind::Sse => "sse",
            StrategyKind::PollAdaptive => "poll-adaptive",
        }
    }

    /// Parses a name, with the list of valid ones on error.
    pub fn parse(name: &str) -> Result<StrategyKind, String> {
        let n = name.trim();
        StrategyKind::ALL.into_iter().find(|k| k.name() == n).ok_or_else(|| {
            let all: Vec<&str> = StrategyKind::ALL.iter().map(|k| k.name()).collect();
            format!("unknown strategy `{n}`; use one of {}", all.join(", "))
        })
    }

    /// Whether each `--interval` gives this strategy its own row.
    pub fn polls_at_interval(self) -> bool {
        matches!(self, StrategyKind::Poll | StrategyKind::PollEtag | StrategyKind::PollState)
    }
}
