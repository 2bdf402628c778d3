//! hookbench: poll the API or take webhooks? Measure it.
//!
//! The same event stream runs through every integration strategy — polling at one or more
//! intervals, ETag polling, state polling, webhooks, hybrids — and each is measured for
//! detection latency, missed and duplicate events, requests, quota and bytes.
//!
//! ```text
//!  cli ──▶ commands (validate into domain types) ──▶ engine::sim  ─┐      ┌─▶ live::engine
//!                                                                  ▼      ▼   (sockets, timers)
//!                                   engine::row::Row  (one per table row: the books, kept once)
//!                                                                  │
//!                                   model + strategy (sans-IO state machines, own their config)
//!                                                                  │
//!                 report::Report ◀── engine::assemble ◀────────────┘
//!                        │
//!                        ├──▶ measure · threshold · advice · baseline (views computed as data)
//!                        ▼
//!                 render (table, JSON, CSV, Markdown, BMF, chart, check, advice, breaches)
//!
//!  scenario (TOML) ──parses into──▶ model configs        dependencies point down, never up
//! ```
//!
//! - [`model`]: the event source and arrivals, the API and its rate limiter, the webhook emitter
//!   and retry policy, the receiver's faults, signatures and the wire model — state machines
//!   with no sockets and no clock; each owns its configuration struct.
//! - [`strategy`]: one consumer strategy per module, behind one trait.
//! - [`engine`]: the row core ([`engine::row`]) that keeps every row's books once, and the sim
//!   driver ([`engine::sim`]) that runs it in virtual time.
//! - [`live`]: the live driver — the mock provider's servers, the emitter, the verifying
//!   receiver and one consumer actor per row, carrying real HTTP into the same row core.
//! - [`scenario`]: the TOML parser, one small function per section, filling in the model's
//!   configuration; [`limits`] holds the caps defined once.
//! - [`export`]: a scenario written out as a program another tool runs (a Locust load test).
//! - [`report`]: the one result, computed once; [`render`] is the only place anything is
//!   formatted for printing.

pub mod cli;
pub mod commands;
pub mod engine;
pub mod error;
pub mod export;
pub mod live;
pub mod model;
pub mod render;
pub mod result;
pub mod scenario;
pub mod strategy;
pub mod support;
pub mod trace;

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
            // A value outside a flag's list (`--scheme gitlab`) is one sentence, like every other
            // bad value.
            if let Some(sentence) = unknown_value(&e) {
                return Err(error::Error::Input(sentence));
            }
            // Help and version go to stdout with 0; usage errors print clap's message, exit 2.
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return Ok(code);
        }
    };
    commands::dispatch(cli.command)
}

/// The binary's entry point.
/// clap's "invalid value" error for a flag with a fixed list of values, as one sentence:
/// ``--scheme: unknown value `gitlab`; use one of standard, github, … (did you mean `github`?)``.
fn unknown_value(e: &clap::Error) -> Option<String> {
    use clap::error::{ContextKind, ContextValue};
    if e.kind() != clap::error::ErrorKind::InvalidValue {
        return None;
    }
    let text = |kind| match e.get(kind) {
        Some(ContextValue::String(s)) => Some(s.clone()),
        Some(ContextValue::Strings(v)) => Some(v.join(", ")),
        _ => None,
    };
    let flag = text(ContextKind::InvalidArg)?;
    let flag = flag.split_whitespace().next().unwrap_or_default().to_string();
    let value = text(ContextKind::InvalidValue)?;
    let valid = text(ContextKind::ValidValue)?;
    let hint = text(ContextKind::SuggestedValue).map_or(String::new(), |s| format!(" (did you mean `{s}`?)"));
    let value = render::text::escape(&support::quote::excerpt(&value, support::quote::EXCERPT));
    Some(format!("{flag}: unknown value `{value}`; use one of {valid}{hint}"))
}

pub fn main() -> ExitCode {
    support::out::probe_stdout();
    support::memory::keep_freed_memory();
    match run(std::env::args_os()) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            support::out::note(&format!("error: {}", render::text::escape(&e.to_string())));
            ExitCode::from(e.exit_code())
        }
    }
}
