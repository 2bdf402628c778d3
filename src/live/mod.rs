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
//! Owns only drivers, and keeps no books: the source server turns [`crate::model::api::Api`]
//! answers into real headers and JSON ([`source`]), the emitter tasks turn the row core's
//! [`crate::engine::row::Outbox`] decisions into signed POSTs ([`emitter`]; both built by one
//! function, [`provider`], for `compare --engine live` and `serve`), the receiver verifies
//! signatures and applies the scenario's faults ([`receiver`]) and, when its capacity is finite,
//! really holds deliveries for their processing ([`processing`]), entity tags are written, read and
//! compared in one place ([`etag`]), and each consumer actor
//! ([`consumer`]) carries real answers ([`client`], [`sse`]) into the very
//! [`crate::engine::row::Row`] the sim engine drives. Virtual time runs `speedup` times faster
//! than the wall clock ([`clock::Clock`], [`timer`]); [`serve`] is the hardened accept loop (and
//! the one that refuses connections in an API outage with `refuse = true`).

pub mod client;
pub mod clock;
pub mod consumer;
pub mod emitter;
pub mod engine;
pub mod etag;
pub mod json;
pub mod openapi;
pub mod processing;
pub mod provider;
pub mod receiver;
pub mod serve;
pub mod source;
pub mod sse;
pub mod timer;
pub mod tls;
pub mod transport;

use std::sync::{Mutex, MutexGuard};

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

/// Locks a mutex, recovering from a poisoned one (a panicked handler must not take the server
/// down with it).
pub fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// A JSON error answer, the one error shape of both servers.
pub fn error(status: StatusCode, message: &str) -> Response {
    let body = serde_json::json!({ "error": { "status": status.as_u16(), "message": message } });
    (status, axum::Json(body)).into_response()
}
