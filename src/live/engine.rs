//! `compare --engine live`: the whole scenario over real loopback sockets in one process.
//!
//! Owns the wiring of a live run: the source server and the receiver on `127.0.0.1:0`, one
//! outbox and emitter per subscribing row, one consumer actor per row with its own API key, the
//! progress (a bar on a terminal, a plain line every 10% elsewhere), and the [`Report`] with
//! `"engine": "live"`. Time runs `speedup` times faster than the wall clock; the report says what
//! that distorts and how late the engine's own timers ran ([`fell_behind`] judges whether that
//! lateness is more than the distortion admits). A run told to stop settles every row at the
//! time it stopped and reports the span it covered, marked partial.

use std::io::IsTerminal;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::net::TcpListener;
use tokio::sync::mpsc::unbounded_channel;
use tokio::sync::watch;

use crate::live::client::ApiClient;
use crate::live::clock::{Clock, Lag};
use crate::live::consumer::{self, RealProcessing, RowEnd, RowTask};
use crate::live::emitter::Destination;
use crate::live::processing::Pool;
use crate::live::provider::{self, Subscription};
use crate::live::receiver::{self, ReceiverState};
use crate::live::serve::{serve_over, serve_refusing, Limits, Refusals};
use crate::live::source;
use crate::live::tls::ServerTls;
use crate::model::dist::Rng;
use crate::model::receiver::Receiver;
use crate::model::signature::{Secret, DEFAULT_TOLERANCE_S};
use crate::model::source::EventLog;
use crate::result::report::{LagMs, LiveInfo, Report, StrategyReport};
use crate::scenario::Scenario;
use crate::strategy::machine::Machine;
use crate::strategy::{Spec, Strategy};
use crate::support::units::{format_duration, secs_f, Micros, MILLI, SECOND};

/// How a live run goes.
#[derive(Debug, Clone, Copy)]
pub struct LiveOptions {
    /// Virtual seconds per wall-clock second.
    pub speedup: f64,
    /// Show progress on stderr: a bar on a terminal, else a plain line every 10% (or 10 s of
    /// wall time) for runs expected to last over [`PLAIN_PROGRESS_AFTER`].
    pub progress: bool,
    /// Both paths over HTTPS: the source server and the receiver serve a self-signed
    /// certificate made for the run, which the one client trusts (and nothing else does).
    pub tls: bool,
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
    ConservationBreach(#[from] crate::engine::row::ConservationBreach),
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
        crate::support::units::format_ms(0.1 * speedup),
        crate::support::units::format_ms(0.1 * speedup),
        crate::support::units::format_ms(0.3 * speedup),
    )
}

/// [`distortion`], and when the scenario models handshakes (`[network]`), what is added for them:
/// the modelled round trips of each new connection are waited as delays on top of the real
/// loopback connection.
pub fn distortion_of(speedup: f64, scenario: &Scenario) -> String {
    let base = distortion(speedup);
    let Some(net) = &scenario.network else { return base };
    let sides: Vec<String> = [("webhook", scenario.webhook.connection), ("api", scenario.api.connection)]
        .iter()
        .filter_map(|(side, c)| c.map(|c| format!("{side} {}", c.name())))
        .collect();
    let tls = match net.tls {
        crate::model::network::Tls::None => "TCP".to_string(),
        crate::model::network::Tls::V12 => "TCP + TLS 1.2".to_string(),
        crate::model::network::Tls::V13 => "TCP + TLS 1.3".to_string(),
    };
    format!(
        "{base}; each modelled new connection ({}, idle timeout {}) waits {} round trips of [network] rtt          ({tls}, {} mean) as a delay on top of the real loopback connection",
        sides.join(", "),
        crate::support::units::format_duration(net.idle_timeout),
        net.handshake_round_trips(),
        crate::support::units::format_ms(net.mean_handshake() / MILLI as f64),
    )
}

/// How late, in wall time, the engine's timers may run at the 99th percentile before the run's
/// numbers are refused: 10 ms of wall time, i.e. 10 ms × speed-up of scenario time. The header
/// admits waits precise to ~0.1 ms and 0.1–0.3 ms per loopback hop when the machine is idle; a
/// busy machine (a debug build sharing two cores) adds a few milliseconds of scheduling noise
/// at a few hundred wake-ups a second. Past 10 ms the engine is not keeping up with the scenario
/// (an overloaded run shows seconds to minutes), and every latency it reports is bent by that much.
pub const LAG_BOUND_WALL_MS: f64 = 10.0;

/// Fewer wake-ups than this are too few to judge by their 99th percentile (it would be one
/// stray wake-up, such as a machine hiccup): at least five must have been late.
pub const MIN_WAKEUPS: u64 = 500;

/// Runs expected to take longer than this (wall time) print plain progress lines when stderr is
/// not a terminal.
pub const PLAIN_PROGRESS_AFTER: Duration = Duration::from_secs(5);

/// The lag bound at `speedup`, in scenario milliseconds.
pub fn lag_bound_ms(speedup: f64) -> f64 {
    LAG_BOUND_WALL_MS * speedup
}

/// Whether a finished run fell behind: over at least [`MIN_WAKEUPS`] wake-ups, its timers' p99
/// lateness exceeded [`lag_bound_ms`]. If
/// so, the speed-up that should keep up: scaled down by how far over the bound the p99 was
/// (at least halved, at most divided by 20, never under 1; rounded down to two significant
/// digits).
pub fn fell_behind(info: &LiveInfo) -> Option<f64> {
    let bound = lag_bound_ms(info.speedup);
    if info.wakeups < MIN_WAKEUPS || info.lag_ms.p99 <= bound {
        return None;
    }
    let factor = (info.lag_ms.p99 / bound).clamp(2.0, 20.0);
    let x = info.speedup / factor;
    let digits = 10f64.powf(x.log10().floor() - 1.0).max(1.0);
    Some(((x / digits).floor() * digits).max(1.0))
}

/// The sentence for a run that fell behind at `info.speedup`, naming `suggested`.
pub fn behind_message(info: &LiveInfo, suggested: f64) -> String {
    format!(
        "the live engine fell behind at --speedup {}: its timers ran p99 {} late (max {}, scenario time), more than the {} \
         ({LAG_BOUND_WALL_MS} ms of wall time) its numbers can absorb; run again with `--speedup {suggested}` or lower",
        info.speedup,
        crate::support::units::format_ms(info.lag_ms.p99),
        crate::support::units::format_ms(info.lag_ms.max),
        crate::support::units::format_ms(lag_bound_ms(info.speedup)),
    )
}

/// Runs `specs` over real HTTP.
pub fn run(scenario: &Scenario, specs: &[Spec], opts: LiveOptions) -> Result<Report, LiveError> {
    run_until(scenario, specs, opts, std::future::pending())
}

/// Runs `specs` over real HTTP until done or until `stop` completes; then every row is settled
/// at the scenario time it stopped and the report is marked partial.
pub fn run_until(
    scenario: &Scenario,
    specs: &[Spec],
    opts: LiveOptions,
    stop: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<Report, LiveError> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| LiveError::Setup(format!("cannot start the async runtime: {e}")))?;
    rt.block_on(run_async(scenario, specs, opts, stop))
}

async fn bind() -> Result<TcpListener, LiveError> {
    TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| LiveError::Setup(format!("cannot bind a loopback port: {e}")))
}

async fn run_async(
    scenario: &Scenario,
    specs: &[Spec],
    opts: LiveOptions,
    stop: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<Report, LiveError> {
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
    let tls = match opts.tls {
        true => Some(ServerTls::self_signed(&[]).map_err(|e| LiveError::Setup(e.to_string()))?),
        false => None,
    };
    let scheme = if tls.is_some() { "https" } else { "http" };
    let trusted = match &tls {
        Some(t) => vec![reqwest::Certificate::from_pem(t.chain_pem.as_bytes())
            .map_err(|e| LiveError::Setup(format!("cannot trust the run's certificate: {e}")))?],
        None => Vec::new(),
    };
    // Both servers are on loopback: one client reaches them, never through a proxy.
    let loopback = reqwest::Url::parse(&format!("{scheme}://{src_addr}/"))
        .map_err(|e| LiveError::Setup(format!("cannot name the source server: {e}")))?;
    let client = crate::live::client::http_client_trusting(&loopback, 256, &trusted)
        .map_err(|e| LiveError::Setup(format!("cannot build the HTTP client: {e}")))?;
    // Row i subscribes (if it takes webhooks) at POST /hooks/i of the receiver.
    let payloads: Vec<_> = specs.iter().map(|spec| Machine::new(spec, &scenario).subscription()).collect();
    let subscriptions = specs
        .iter()
        .zip(&payloads)
        .enumerate()
        .filter_map(|(i, (spec, payload))| {
            payload.map(|payload| Subscription {
                name: spec.label(),
                target: Destination {
                    url: format!("{scheme}://{rcv_addr}/hooks/{i}"),
                    secret: secret.clone(),
                    scheme: scenario.webhook.scheme,
                    payload,
                },
            })
        })
        .collect();
    let provider = provider::start(&scenario, &log, clock, &client, subscriptions);
    let provider_outboxes = provider.outboxes.clone();
    let mut outboxes = provider.outboxes.into_iter();
    let mut sinks = Vec::new();
    let mut pools = Vec::new();
    let mut tasks = Vec::new();
    // A finite receiver processes each row's deliveries and fetched events for real, asking the
    // row how.
    let finite = !scenario.receiver.capacity.is_transparent();
    for (i, (spec, payload)) in specs.iter().zip(&payloads).enumerate() {
        let (dtx, drx) = unbounded_channel();
        sinks.push(dtx);
        let processing = finite.then(|| {
            let (wtx, work) = unbounded_channel();
            let pool = Pool::new(&scenario.receiver.capacity, clock, wtx);
            pools.push(Some(pool.clone()));
            RealProcessing { pool, work }
        });
        let api = ApiClient {
            client: client.clone(),
            base: format!("{scheme}://{src_addr}"),
            key: format!("row-{i}"),
            limited: scenario.api.rate_limit.is_some(),
            payload_bytes: scenario.events.payload_bytes,
        };
        let outbox = payload.and_then(|_| outboxes.next());
        tasks.push(RowTask { spec: *spec, api, outbox, deliveries: drx, processing });
    }
    let receiver = ReceiverState::with_scheme(
        scenario.webhook.scheme,
        secret,
        DEFAULT_TOLERANCE_S,
        Receiver::new(&scenario.receiver),
        clock,
        scenario.seed,
        sinks,
    );
    let receiver = ReceiverState::with_pools(receiver, pools);
    let source = provider.source;
    let src_router = source::router(source.clone());
    // An API outage with `refuse = true` refuses connections for real: served by the accept
    // loop that can (the plain one otherwise).
    let refusals = scenario.api.faults.refusals();
    let src_server = if let Some(tls) = tls.clone() {
        // Over TLS: the hardened accept loop is the one that speaks it (refusing, if asked).
        let refusals = Refusals::new(clock, refusals);
        tokio::spawn(async move {
            serve_over(
                src_listener,
                src_router,
                Limits::default(),
                refusals,
                Some(tls),
                std::future::pending(),
            )
            .await;
            Ok(())
        })
    } else if refusals.is_empty() {
        tokio::spawn(async move { axum::serve(src_listener, src_router).await.map_err(|e| e.to_string()) })
    } else {
        let refusals = Refusals::new(clock, refusals);
        tokio::spawn(async move {
            serve_refusing(src_listener, src_router, Limits::default(), refusals, std::future::pending())
                .await;
            Ok(())
        })
    };
    let rcv_router = receiver::router(receiver);
    let rcv_server = match tls {
        Some(tls) => tokio::spawn(async move {
            serve_over(
                rcv_listener,
                rcv_router,
                Limits::default(),
                Refusals::none(),
                Some(tls),
                std::future::pending(),
            )
            .await;
            Ok(())
        }),
        None => tokio::spawn(async move { axum::serve(rcv_listener, rcv_router).await }),
    };

    let (stop_tx, stop_rx) = watch::channel(None);
    let handles: Vec<_> = tasks
        .into_iter()
        .map(|task| {
            let run = consumer::run_until(scenario.clone(), log.clone(), clock, end, task, stop_rx.clone());
            tokio::spawn(run)
        })
        .collect();
    let stopper = tokio::spawn(async move {
        stop.await;
        let _ = stop_tx.send(Some(clock.now()));
    });
    let progress = Progress::start(opts, clock, end);

    let mut rows: Vec<RowEnd> = Vec::new();
    for (h, spec) in handles.into_iter().zip(specs) {
        let done =
            h.await.map_err(|e| LiveError::Check(format!("{}: its task failed: {e}", spec.label())))?;
        rows.push(done?);
    }
    stopper.abort();
    progress.finish().await;
    src_server.abort();
    rcv_server.abort();

    let stopped = rows.iter().any(|r| r.stopped);
    let ended = rows.iter().map(|r| r.ended).max().unwrap_or(end);
    let mut lag = Lag::default();
    for r in &rows {
        lag.add(&r.lag);
    }
    for ob in &provider_outboxes {
        lag.add(&crate::live::lock(ob).lag);
    }
    // A partial run covers [0, ended): the events after it never happened, and per-day figures
    // scale from the span covered.
    let span = if stopped { crate::engine::covered_span(&scenario, ended) } else { (*scenario).clone() };
    let mut reports = Vec::new();
    for (i, (r, spec)) in rows.iter().zip(specs).enumerate() {
        let peak = source.peak_use(&format!("row-{i}"));
        reports.push(StrategyReport::new(spec, &span, &r.row.outcome, r.row.effective, peak));
    }
    // Each row settled itself at the time it stopped, leaving out what had not happened yet; the
    // rows count only the subscribed types, the run every type the source produced (as the sim).
    let unwanted = if log.unwanted() == 0 {
        0
    } else {
        let stop = if stopped { ended } else { Micros::MAX };
        (0..log.len() as u32).filter(|&id| log.unwanted_id(id) && log.get(id).at <= stop).count() as u64
    };
    let happened = reports.first().map_or(log.len() as u64, |r| r.events.total + unwanted);

    let (p50, p99, max) = lag.summary();
    let ms = |us: Micros| us as f64 / MILLI as f64;
    let live = LiveInfo {
        speedup: opts.speedup,
        timer_resolution_ms: 0.1 * opts.speedup,
        distortion: distortion_of(opts.speedup, &scenario),
        lag_ms: LagMs { p50: ms(p50), p99: ms(p99), max: ms(max) },
        wakeups: lag.count(),
        ended_s: secs_f(ended),
        tls: opts.tls,
    };
    let mut report = crate::engine::assemble("live", &scenario, happened, 0, started, Some(live), reports);
    if stopped {
        report.run.partial = true;
        report.run.covered_s = Some(secs_f(ended));
    }
    Ok(report)
}

/// Progress on stderr while a live run goes: a bar on a terminal; elsewhere a plain line every
/// 10% of the span (or every 10 s of wall time) for runs expected to last a while; nothing when
/// not asked.
struct Progress {
    done: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl Progress {
    fn start(opts: LiveOptions, clock: Clock, end: Micros) -> Self {
        let terminal = std::io::stderr().is_terminal();
        let long = clock.real(end) > PLAIN_PROGRESS_AFTER;
        if !opts.progress || !(terminal || long) {
            return Progress { done: None, task: None };
        }
        let (done, mut stop) = tokio::sync::oneshot::channel::<()>();
        let status = move |now: Micros| {
            let left = clock.real(end.saturating_sub(now)).as_secs();
            format!("{} of {} simulated · at most {left}s left", format_duration(now), format_duration(end))
        };
        let task = if terminal {
            let bar = indicatif::ProgressBar::with_draw_target(
                Some(end / SECOND),
                indicatif::ProgressDrawTarget::hidden(),
            );
            bar.set_style(
                indicatif::ProgressStyle::with_template(
                    "{spinner} live run [{bar:20}] {percent:>3}% · {wide_msg}",
                )
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
            // The first frame already says where the run stands.
            bar.set_message(status(0));
            bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
            tokio::spawn(async move {
                loop {
                    let now = clock.now().min(end);
                    bar.set_position(now / SECOND);
                    bar.set_message(status(now));
                    tokio::select! {
                        _ = tokio::time::sleep(Duration::from_millis(100)) => {}
                        _ = &mut stop => break,
                    }
                }
                bar.finish_and_clear();
            })
        } else {
            let wall = Instant::now();
            tokio::spawn(async move {
                let (mut next_tenth, mut last) = (1u64, Instant::now());
                loop {
                    tokio::select! {
                        _ = tokio::time::sleep(Duration::from_millis(200)) => {}
                        _ = &mut stop => break,
                    }
                    let now = clock.now().min(end);
                    let tenth = now.saturating_mul(10) / end.max(1);
                    if tenth >= next_tenth || last.elapsed() >= Duration::from_secs(10) {
                        next_tenth = tenth + 1;
                        last = Instant::now();
                        crate::support::out::note(&format!(
                            "live run: {}% · {} · {:.0} s elapsed",
                            now.saturating_mul(100) / end.max(1),
                            status(now),
                            wall.elapsed().as_secs_f64()
                        ));
                    }
                }
            })
        };
        Progress { done: Some(done), task: Some(task) }
    }

    /// Stops the display and waits until it has cleared, so nothing draws over the result.
    async fn finish(mut self) {
        if let Some(done) = self.done.take() {
            let _ = done.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(speedup: f64, p99: f64, wakeups: u64) -> LiveInfo {
        LiveInfo {
            speedup,
            timer_resolution_ms: 0.1 * speedup,
            distortion: distortion(speedup),
            lag_ms: LagMs { p50: p99 / 2.0, p99, max: p99 },
            wakeups,
            ended_s: 60.0,
            tls: false,
        }
    }

    #[test]
    fn a_run_falls_behind_only_past_the_bound_over_enough_wake_ups() {
        assert_eq!(fell_behind(&info(200.0, 2_000.0, 10_000)), None, "at the bound: fine");
        assert_eq!(fell_behind(&info(200.0, 50_000.0, 100)), None, "too few wake-ups to judge");
        // 2.5× over the bound (2 s at 200×): 200 / 2.5 = 80.
        assert_eq!(fell_behind(&info(200.0, 5_000.0, 10_000)), Some(80.0));
        // Far over: divided by at most 20, never under 1.
        assert_eq!(fell_behind(&info(1000.0, 1e9, 10_000)), Some(50.0));
        assert_eq!(fell_behind(&info(3.0, 1e9, 10_000)), Some(1.0));
        let m = behind_message(&info(200.0, 5_000.0, 10_000), 80.0);
        assert!(m.contains("--speedup 200") && m.contains("`--speedup 80`"), "{m}");
    }
}
