//! `hookbench serve`: the mock source alone — the pollable API, and webhooks to your URL.
//!
//! Validates the flags (scenario, speed-up, URL, secret, and the listening limits it shares with
//! `receive`), binds loopback (another address only with `--allow-remote`), prints the address
//! it bound (on standard error instead when standard output carries a `--report` in a format other
//! than the table), and runs until Ctrl-C or `--stop-after`, then prints a one-line summary.

use std::sync::{Arc, Mutex};

mod report;

use self::report::ReportOptions;
use super::options::{self, check_whole_log, secret, stop_after};
use super::output::print;
use super::serving::{
    addr, bind, limits, parse_url, reachable, runtime, server_tls, trust, until_stopped, write_certificate,
};
use crate::cli::{Engine, ServeArgs};
use crate::engine::observer::Observer;
use crate::error::{Error, Result};
use crate::live::clock::Clock;
use crate::live::emitter::Destination;
use crate::live::lock;
use crate::live::provider::{self, Subscription};
use crate::live::source;
use crate::model::source::EventLog;
use crate::render::text::{escape, plural, redact_url};
use crate::result::report::{LagMs, LiveInfo, Report, StrategyReport};
use crate::support::units::format_duration;

/// `hookbench serve`.
pub fn run(args: ServeArgs) -> Result<u8> {
    let mut scenario = options::scenario(&args.from, crate::support::limits::MAX_EVENTS)?;
    let reporting = ReportOptions::from_args(&args, &mut scenario)?;
    check_whole_log(&scenario, Engine::Live)?;
    scenario.webhook.scheme = options::scheme(&args.signing, scenario.webhook.scheme);
    let speedup = options::speedup(&args.speedup)?;
    let stop = stop_after(args.server.stop_after.as_deref())?;
    let limits = limits(&args.server)?;
    let bound = addr(&args.server, "127.0.0.1:8080").to_string();
    let tls = server_tls(&args.tls, &args.tls_cert, &bound)?;
    let roots = trust(&args.trust)?;
    let target = match &args.webhook_url {
        Some(url) => Some((
            parse_url(url)?,
            secret(scenario.webhook.scheme, args.signing.secret.as_deref(), "--webhook-url")?,
        )),
        None => None,
    };
    runtime()?.block_on(async move {
        let listener = bind(&bound, args.server.allow_remote).await?;
        let addr = listener.local_addr().map_err(|e| Error::Input(format!("cannot read the bound address: {e}")))?;
        let written = tls.as_ref().map(|t| write_certificate(t, "serve", addr.port())).transpose()?.flatten();
        let https = tls.is_some();
        let (scheme, tls_note) = crate::render::text::tls_banner(https, written.as_deref());
        if let Some((u, _)) = &target {
            reachable(u).await?;
        }
        let log = Arc::new(EventLog::generate(&scenario));
        let scenario = Arc::new(scenario);
        let clock = Clock::start(speedup);
        // The client only ever talks to the webhook URL (none: it stays idle).
        let loopback = reqwest::Url::parse("http://127.0.0.1/").map_err(|e| Error::Internal(e.to_string()))?;
        let client =
            crate::live::client::http_client_trusting(target.as_ref().map_or(&loopback, |(u, _)| u), usize::MAX, &roots)
            .map_err(|e| Error::Internal(format!("cannot build the HTTP client: {e}")))?;
        let subscriptions = target
            .iter()
            .map(|(u, secret)| Subscription {
                name: "webhook".into(),
                target: Destination {
                    url: u.to_string(),
                    secret: secret.clone(),
                    scheme: scenario.webhook.scheme,
                    payload: scenario.webhook.payload,
                },
            })
            .collect();
        let provider = provider::start(&scenario, &log, clock, &client, subscriptions);
        let (state, outbox) = (provider.source, provider.outboxes.into_iter().next());
        let observer = reporting.is_some().then(|| Arc::new(Mutex::new(Observer::new(outbox.is_some(), scenario.timeline_bucket()))));
        if let Some(o) = &observer {
            state.observe(o.clone());
            if let Some(ob) = &outbox {
                lock(ob).observer = Some(o.clone());
            }
        }
        let hooks = target.as_ref().map_or("off".to_string(), |(u, _)| format!("→ {}", redact_url(u.as_str())));
        let listening = format!(
            "hookbench serve: listening on {scheme}://{addr} · scenario {} · {} events over {} at {speedup}× · webhooks {hooks}{tls_note}\n",
            escape(&scenario.name),
            log.len(),
            format_duration(scenario.duration),
        );
        // When standard output carries the report (JSON, CSV, Markdown, BMF), it carries nothing
        // else: the line goes to standard error. So it does when standard output is closed and
        // the report goes to its `--output` files, which a closed stdout must not stop.
        if reporting.as_ref().is_some_and(|r| r.report_on_stdout() || r.writes_files_past_closed_stdout()) {
            crate::support::out::stderr(&listening);
        } else {
            print(&listening)?;
        }
        let started = std::time::Instant::now();
        // A measured run ends by itself after the window and the drain.
        let end = scenario.duration.saturating_add(scenario.drain);
        let measured = observer.is_some();
        let stopped = async {
            tokio::select! {
                _ = until_stopped(stop) => {}
                _ = clock.sleep_until(end), if measured => {}
            }
        };
        // An API outage with `refuse = true` refuses connections for real.
        let refusals = crate::live::serve::Refusals::new(clock, scenario.api.faults.refusals());
        crate::live::serve::serve_over(listener, source::router(state.clone()), limits, refusals, tls, stopped)
            .await;
        if let (Some(o), Some(opts)) = (observer, &reporting) {
            let ended = clock.now().min(end);
            let books = std::mem::take(&mut *lock(&o));
            let report = settle(&scenario, &log, &state, outbox.as_ref(), books, ended, started, speedup, https)?;
            // Stopped before the end by a signal (not by --stop-after): exit 130 after the report.
            let signalled = ended < end && stop.is_none_or(|d| started.elapsed() < d);
            return report::finish(report, opts, signalled);
        }
        let st = state.stats();
        let now = clock.now();
        let happened = log.events().partition_point(|e| e.at <= now);
        let hooks = outbox.map_or(String::new(), |o| {
            let c = lock(&o).outbox.counts;
            format!(
                "; webhooks: {}, {} delivered, {} failed, {} dead-lettered",
                plural(c.attempts, "attempt"),
                c.delivered,
                c.failed,
                c.dead_lettered
            )
        });
        // Every answer is in the total; the parts in brackets are some of them.
        print(&format!(
            "hookbench serve: stopped after {:.1}s: {} answered ({} 304, {} 429, {} other 4xx: malformed, unknown or not GET); {happened} of {} happened{hooks}\n",
            started.elapsed().as_secs_f64(),
            plural(st.requests, "request"),
            st.not_modified,
            st.throttled,
            st.bad,
            plural(log.len() as u64, "event"),
        ))?;
        Ok(0)
    })
}

/// Settles the observer's books at scenario time `ended` into the report of a measured run.
#[allow(clippy::too_many_arguments)]
fn settle(
    scenario: &crate::scenario::Scenario,
    log: &EventLog,
    state: &source::SourceState,
    outbox: Option<&Arc<Mutex<crate::live::emitter::LiveOutbox>>>,
    books: Observer,
    ended: crate::support::units::Micros,
    started: std::time::Instant,
    speedup: f64,
    tls: bool,
) -> Result<Report> {
    use crate::model::emitter::DeliveryState;
    let delivering =
        |id: u32| outbox.is_some_and(|o| lock(o).outbox.emitter.state(id) == DeliveryState::Pending);
    let mut rows =
        books.finish(log, scenario.duration, ended, scenario.drain, delivering).map_err(Error::Internal)?;
    // The endpoint's delivery attempts in time are the model's (the outbox's), as its counts are.
    if let Some(o) = outbox {
        let ob = lock(o);
        let endpoint = rows.iter_mut().filter(|r| r.label == crate::engine::observer::ENDPOINT);
        for t in endpoint.filter_map(|r| r.outcome.timeline.as_mut()) {
            t.merge(&ob.outbox.timeline);
        }
    }
    // Stopped early, the report covers [0, ended), as compare's live engine does: per-day
    // figures scale from that span.
    let end = scenario.duration.saturating_add(scenario.drain);
    let span = if ended < end { crate::engine::covered_span(scenario, ended) } else { scenario.clone() };
    let mut lag = (0, 0, 0, 0);
    let rows = rows
        .iter()
        .map(|row| {
            let key = row.label.strip_prefix("client:");
            let mut r = StrategyReport::observed(row, &span, key.and_then(|k| state.peak_use(k)));
            if let (true, Some(o)) = (row.label == crate::engine::observer::ENDPOINT, outbox) {
                // The delivery counts are the model's (the outbox), not the observer's.
                let ob = lock(o);
                let c = ob.outbox.counts;
                r.webhooks = crate::result::report::Webhooks {
                    attempts: Some(c.attempts),
                    delivered: Some(c.delivered),
                    failed: Some(c.failed),
                    retried: Some(c.retried),
                    dead_lettered: Some(c.dead_lettered),
                };
                let (p50, p99, max) = ob.lag.summary();
                lag = (p50, p99, max, ob.lag.count());
            }
            r
        })
        .collect();
    let ms = |us: crate::support::units::Micros| us as f64 / crate::support::units::MILLI as f64;
    let live = LiveInfo {
        speedup,
        timer_resolution_ms: 0.1 * speedup,
        distortion: crate::live::engine::distortion_of(speedup, scenario),
        tls,
        lag_ms: LagMs { p50: ms(lag.0), p99: ms(lag.1), max: ms(lag.2) },
        wakeups: lag.3,
        ended_s: crate::result::report::secs_f(ended),
    };
    let happened = log.events().partition_point(|e| e.at <= ended) as u64;
    let mut report = crate::engine::assemble("serve", scenario, happened, 0, started, Some(live), rows);
    if ended < end {
        report.run.partial = true;
        report.run.covered_s = Some(crate::result::report::secs_f(ended));
    }
    Ok(report)
}
