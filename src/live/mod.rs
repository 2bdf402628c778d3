//! The live engine: the same sans-IO model over real HTTP on loopback.
//!
//! ```text
//!  ┌────────── source server (axum) ──────────┐        ┌──── consumers ────┐
//!  │ GET /events  /events/{id}  /resources/{id}│◀─GET──│ one actor per row  │
//!  │ model::api::Api per client (X-Api-Key)    │─JSON─▶│ (reqwest), driving │
//!  │ emitter tasks ── signed POST ─────────────┼──────▶│ the strategy state │
//!  └───────────────────────────────────────────┘ recv. │ machine            │
//!                                               server └────────────────────┘
//! ```
//!
//! Owns only drivers: the source server turns [`crate::model::api::Api`] answers into real
//! headers and JSON, the emitter tasks turn [`crate::model::emitter::Emitter`] decisions into
//! signed POSTs, the receiver verifies signatures and applies the scenario's faults, and each
//! consumer actor feeds real answers to the very strategy state machine the sim engine runs.
//! Virtual time runs `speedup` times faster than the wall clock ([`clock::Clock`]).

pub mod clock;
pub mod consumer;
pub mod emitter;
pub mod engine;
pub mod json;
pub mod openapi;
pub mod receiver;
pub mod serve;
pub mod source;
pub mod timer;
