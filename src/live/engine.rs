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

use crate::live::client::Api;
use crate::live::clock::Clock;
use crate::live::consumer::{self, RowTask};
use crate::live::emitter::Target;
use crate::live::provider::{self, Subscription};
use crate::live::receiver::{self, ReceiverState};
use crate::live::source;
use crate::model::dist::Rng;
use crate::model::receiver::Receiver;
use crate::model::signature::{Secret, DEFAULT_TOLERANCE_S};
use crate::model::source::EventLog;
use crate::report::{LiveInfo, Report, StrategyReport};
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

/// A live run failed. Both kinds are internal errors (exit 3): the live engine's own servers
/// bind loopback port 0, so a failure to set up is the machine's or hookbench's, never the
/// user's input.
#[derive(Debug, thiserror::Error)]
pub enum LiveError {
    /// A socket or runtime could not be set up.
    #[error("the live engine could not start: {0}")]
    Setup(String),
    /// A row broke a model invariant.
    #[error(transparent)]
    Breach(#[from] crate::engine::row::Breach),
    /// A row's task died.
    #[error("internal check failed for {0}")]
    Check(String),
}

impl From<LiveError> for crate::error::Error {
    fn from(e: LiveError) -> Self {
        crate::error::Error::Internal(e.to_string())
    }
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
    // Both servers are on loopback: one client reaches them, never through a proxy.
    let loopback = reqwest::Url::parse(&format!("http://{src_addr}/"))
        .map_err(|e| LiveError::Setup(format!("cannot name the source server: {e}")))?;
    let client = crate::live::client::http_client(&loopback, 256)
        .map_err(|e| LiveError::Setup(format!("cannot build the HTTP client: {e}")))?;
    // Row i subscribes (if it takes webhooks) at POST /hooks/i of the receiver.
    let payloads: Vec<_> = specs.iter().map(|spec| spec.build(&scenario).subscription()).collect();
    let subscriptions = specs
        .iter()
        .zip(&payloads)
        .enumerate()
        .filter_map(|(i, (spec, payload))| {
            payload.map(|payload| Subscription {
                name: spec.label(),
                target: Target {
                    url: format!("http://{rcv_addr}/hooks/{i}"),
                    secret: secret.clone(),
                    payload,
                },
            })
        })
        .collect();
    let provider = provider::start(&scenario, &log, clock, &client, subscriptions);
    let mut outboxes = provider.outboxes.into_iter();
    let mut sinks = Vec::new();
    let mut tasks = Vec::new();
    for (i, (spec, payload)) in specs.iter().zip(&payloads).enumerate() {
        let (dtx, drx) = unbounded_channel();
        sinks.push(dtx);
        let api = Api {
            client: client.clone(),
            base: format!("http://{src_addr}"),
            key: format!("row-{i}"),
            limited: scenario.api.rate_limit.is_some(),
            payload_bytes: scenario.events.payload_bytes,
        };
        let outbox = payload.and_then(|_| outboxes.next());
        tasks.push(RowTask { spec: *spec, api, outbox, deliveries: drx });
    }
    let receiver = ReceiverState::new(
        secret,
        DEFAULT_TOLERANCE_S,
        Receiver::new(&scenario.receiver),
        clock,
        scenario.seed,
        sinks,
    );
    let source = provider.source;
    let src_router = source::router(source.clone());
    let src_server = tokio::spawn(async move { axum::serve(src_listener, src_router).await });
    let rcv_server = tokio::spawn(async move { axum::serve(rcv_listener, receiver::router(receiver)).await });

    let handles: Vec<_> = tasks
        .into_iter()
        .map(|task| tokio::spawn(consumer::run(scenario.clone(), log.clone(), clock, end, task)))
        .collect();

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
    for (i, (h, spec)) in handles.into_iter().zip(specs).enumerate() {
        let done =
            h.await.map_err(|e| LiveError::Check(format!("{}: its task failed: {e}", spec.label())))?;
        let done = done?;
        let peak = source.peak_use(&format!("row-{i}"));
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

    let live = LiveInfo {
        speedup: opts.speedup,
        timer_resolution_ms: 0.1 * opts.speedup,
        distortion: distortion(opts.speedup),
    };
    Ok(crate::engine::assemble("live", &scenario, log.len() as u64, 0, started, Some(live), reports))
}
