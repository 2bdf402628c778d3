//! The model: the event source, the provider's API and webhook emitter, the receiver's faults,
//! the rate limiter and the retry policy — as sans-IO state machines.
//!
//! ```text
//!            ┌──────────── provider ─────────────┐            ┌── consumer ──┐
//!  source ──▶│ event log ──▶ api (pages, ETag,   │◀── polls ──│  strategy    │
//!  (arrivals)│               quota, snapshots)   │─ answers ─▶│  (poll, …,   │
//!            │ emitter (retries, dead letters) ──┼─ POSTs ───▶│   hybrid)    │
//!            └───────────────────────────────────┘  receiver  └──────────────┘
//! ```
//!
//! Every piece takes "now" and its inputs and returns what happens next; none owns a socket, a
//! clock or a thread. The sim engine drives them from a priority queue of timed events; the live
//! engine drives the very same pieces from timers and HTTP.
//!
//! Each piece owns its configuration struct ([`arrivals::EventsConfig`], [`api::ApiConfig`],
//! [`ratelimit::Quota`], [`emitter::WebhookConfig`], [`receiver::ReceiverConfig`]): plain data
//! the scenario parser fills in. Nothing here imports the parser (`crate::scenario`), the
//! report, the renderers, the command line or the live engine; dependencies point down.

pub mod api;
pub mod arrivals;
pub mod capacity;
pub mod dist;
pub mod emitter;
pub mod faults;
pub mod network;
pub mod ratelimit;
pub mod receiver;
pub mod retry;
pub mod signature;
pub mod source;
pub mod types;
pub mod window;
pub mod wire;
