//! Exports: a scenario turned into a program another tool runs (today a Locust load test).
//!
//! Owns the generation of the exported text and nothing else: it takes a resolved scenario, its
//! event stream and validated options, and returns the file's bytes — deterministic for the same
//! scenario, seed and options (same bytes), and bounded ([`MAX_EXPORT_EVENTS`]). It never reads
//! or writes a file, a socket or a clock, and never parses flags: `commands::export` validates
//! them and writes the result.

pub mod locust;

/// The most events an exported file embeds (about 11 bytes each, so about 11 MB at most).
pub const MAX_EXPORT_EVENTS: usize = 1_000_000;
