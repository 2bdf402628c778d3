//! `compare --engine live`: the whole scenario over real loopback sockets in one process.
//!
//! Owns the wiring of a live run: the source server and the receiver on `127.0.0.1:0`, one
//! outbox and emitter per subscribing row, one consumer actor per row with its own API key, the
//! progress bar, and the [`Report`] with `"engine": "live"`. Time runs `speedup` times faster
//! than the wall clock; the report says what that distorts.

use std::io::IsTerminal;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::net::TcpListener;
use tokio::sync::mpsc::unbounded_channel;

use crate::live::clock::Clock;
use crate::live::consumer::{self, Row};
use crate::live::emitter::{self, Emitting, Outbox, Target};
use crate::live::receiver::{self, ReceiverState};
use crate::live::source::{self, SourceState};
use crate::model::dist::Rng;
use crate::model::receiver::Receiver;
use crate::model::signature::{Secret, DEFAULT_TOLERANCE_S};
use crate::model::source::EventLog;
use crate::report::{secs_f, LiveInfo, Report, RunInfo, StrategyReport, SCHEMA};
use crate::scenario::Scenario;
use crate::strategy::Spec;
use crate::units::{Micros, SECOND};

/// How a live run goes.
#[derive(Debug, Clone, Copy)]
pub struct LiveOptions {
    /// Virtual seconds per wall-clock second.
    pub speedup: f64,
    /// Show a progress bar on stderr (only drawn when stderr is a terminal).
    pub progress: bool,
}

/// A live run failed.
#[derive(Debug, thiserror::Error)]
pub enum LiveError {
    /// A socket or runtime could not be set up.
    #[error("{0}")]
    Setup(String),
    /// An internal check failed.
    #[error("internal check failed for {0}")]
    Check(String),
}

/// The speed-up that makes a run last about `target` of wall time (at least 1).
pub fn auto_speedup(scenario: &Scenario, target: Duration) -> f64 {
    let span = scenario.duration.saturating_add(scenario.drain) as f64 / SECOND as f64;
    (span / target.as_secs_f64()).ceil().max(1.0)
}

/// What compression distorts, for the report header.
pub fn distortion(speedup: f64) -> String {
    format!(
        "time runs {speedup}× faster: waits are precise to ~0.1 ms of wall time ({} of scenario time), and the real \
         loopback and HTTP time (~0.1–0.3 ms per hop) counts {speedup}× ({}–{}) on top of the modelled delays",
        crate::units::format_ms(0.1 * speedup),
        crate::units::format_ms(0.1 * speedup),
        crate::units::format_ms(0.3 * speedup),
    )
}

/// Runs `specs` over real HTTP.
pub fn run(scenario: &Scenario, specs: &[Spec], opts: LiveOptions) -> Result<Report, LiveError> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| LiveError::Setup(format!("cannot start the async runtime: {e}")))?;
    rt.block_on(run_async(scenario, specs, opts))
}

async fn bind() -> Result<TcpListener, LiveError> {
    TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| LiveError::Setup(format!("cannot bind a loopback port: {e}")))
}

async fn run_async(scenario: &Scenario, specs: &[Spec], opts: LiveOptions) -> Result<Report, LiveError> {
    let started = Instant::now();
    let scenario = Arc::new(scenario.clone());
    let log = Arc::new(EventLog::generate(&scenario));
    let end: Micros = scenario.duration.saturating_add(scenario.drain);
    let (src_listener, rcv_listener) = (bind().await?, bind().await?);
    let src_addr = src_listener.local_addr().map_err(|e| LiveError::Setup(e.to_string()))?;
    let rcv_addr = rcv_listener.local_addr().map_err(|e| LiveError::Setup(e.to_string()))?;

    let mut key = [0u8; 24];
    let mut rng = Rng::new(scenario.seed, "live-secret");
    for b in key.iter_mut() {
        *b = rng.below(256) as u8;
    }
    let secret = Secret::from_bytes(&key);

    let clock = Clock::start(opts.speedup);
    let source = SourceState::new(scenario.clone(), log.clone(), clock);
    let mut sinks = Vec::new();
    let mut rows = Vec::new();
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(256)
        .build()
        .map_err(|e| LiveError::Setup(format!("cannot build the HTTP client: {e}")))?;
    for (i, spec) in specs.iter().enumerate() {
        let (dtx, drx) = unbounded_channel();
        sinks.push(dtx);
        let outbox = spec.build(&scenario).subscription().map(|payload| {
            let outbox = Outbox::new(&scenario, log.len(), &spec.label());
            source.register_emitter(&spec.label(), outbox.clone());
            let cx = Emitting {
                scenario: scenario.clone(),
                log: log.clone(),
                clock,
                client: client.clone(),
                target: Target {
                    url: format!("http://{rcv_addr}/hooks/{i}"),
                    secret: secret.clone(),
                    payload,
                },
                outbox: outbox.clone(),
                end,
            };
            (outbox, cx)
        });
        rows.push((spec, outbox, drx));
    }
    let receiver = ReceiverState::new(
        secret,
        DEFAULT_TOLERANCE_S,
        Receiver::new(&scenario.receiver),
        clock,
        scenario.seed,
        sinks,
    );
    let src_router = source::router(source.clone());
    let src_server = tokio::spawn(async move { axum::serve(src_listener, src_router).await });
    let rcv_server = tokio::spawn(async move { axum::serve(rcv_listener, receiver::router(receiver)).await });

    let mut handles = Vec::new();
    for (i, (spec, outbox, drx)) in rows.into_iter().enumerate() {
        if let Some((_, cx)) = &outbox {
            tokio::spawn(emitter::run(cx.clone()));
        }
        let row = Row {
            spec: *spec,
            key: format!("row-{i}"),
            base: format!("http://{src_addr}"),
            outbox: outbox.map(|(o, _)| o),
            deliveries: drx,
        };
        handles.push(tokio::spawn(consumer::run(
            scenario.clone(),
            log.clone(),
            clock,
            client.clone(),
            end,
            row,
        )));
    }

    let bar = (opts.progress && std::io::stderr().is_terminal()).then(|| {
        let bar = indicatif::ProgressBar::new(end / SECOND);
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} live run [{bar:40}] {percent}% · {msg} · ETA {eta}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        bar
    });
    let ticker = bar.clone().map(|bar| {
        tokio::spawn(async move {
            loop {
                let now = clock.now().min(end);
                bar.set_position(now / SECOND);
                bar.set_message(format!(
                    "{} of {} simulated",
                    crate::units::format_duration(now),
                    crate::units::format_duration(end)
                ));
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        })
    });

    let mut reports = Vec::new();
    for (h, spec) in handles.into_iter().zip(specs) {
        let done =
            h.await.map_err(|e| LiveError::Check(format!("{}: its task failed: {e}", spec.label())))?;
        let done = done.map_err(LiveError::Check)?;
        let peak = source.peak_use(&format!("row-{}", reports.len()));
        reports.push(StrategyReport::new(spec, &scenario, &done.outcome, done.effective, peak));
    }
    if let Some(t) = ticker {
        t.abort();
    }
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    src_server.abort();
    rcv_server.abort();

    Ok(Report {
        schema: SCHEMA,
        hookbench_version: env!("CARGO_PKG_VERSION").to_string(),
        engine: "live".into(),
        seed: scenario.seed,
        scenario: (*scenario).clone(),
        wall_time_s: started.elapsed().as_secs_f64(),
        run: RunInfo {
            window_s: secs_f(scenario.duration),
            drain_s: secs_f(scenario.drain),
            events: log.len() as u64,
            steps: 0,
        },
        live: Some(LiveInfo {
            speedup: opts.speedup,
            timer_resolution_ms: 0.1 * opts.speedup,
            distortion: distortion(opts.speedup),
        }),
        strategies: reports,
    })
}
