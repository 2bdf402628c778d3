//! hookbench: poll the API or take webhooks? Measure it.
//!
//! The same event stream runs through every integration strategy — polling at one or more
//! intervals, ETag polling, state polling, webhooks, hybrids — and each is measured for
//! detection latency, missed and duplicate events, requests, quota and bytes.
//!
//! ```text
//!  cli ──▶ commands (validate) ──▶ engine::sim ──drives──▶ model + strategy (sans-IO)
//!                                        │
//!                                        ▼
//!                                 report::Report ──▶ render (table, json, csv, markdown, bmf, chart)
//!                                        │
//!                                        ▼
//!                      measure · threshold · advice (views: gates, frontier, advice)
//! ```
//!
//! - [`model`]: the event source, the API, the webhook emitter, the receiver, the rate limiter
//!   and retry policy — state machines with no sockets and no clock.
//! - [`strategy`]: one consumer strategy per module, behind one trait.
//! - [`engine`]: drivers; `sim` runs the model in virtual time.
//! - [`report`]: the one result, computed once; [`render`] only formats it.

pub mod advice;
pub mod baseline;
pub mod cli;
pub mod commands;
pub mod engine;
pub mod error;
pub mod limits;
pub mod live;
pub mod measure;
pub mod metrics;
pub mod model;
pub mod queue;
pub mod render;
pub mod report;
pub mod scenario;
pub mod strategy;
pub mod threshold;
pub mod trace;
pub mod units;

use std::process::ExitCode;

use clap::Parser;

/// Runs the command line given by `args` (the program name first).
pub fn run<I, T>(args: I) -> error::Result<u8>
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    let cli = match cli::Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            // Help and version go to stdout with 0; usage errors print clap's message, exit 2.
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return Ok(code);
        }
    };
    commands::dispatch(cli.command)
}

/// The binary's entry point.
pub fn main() -> ExitCode {
    match run(std::env::args_os()) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(e.exit_code())
        }
    }
}
