//! Capacity: a receiver with finite workers and a provider pipeline with caps, checked against
//! queueing theory's closed forms and the flash-sale story, in the sim and over loopback.

use hookbench::strategy::StrategyKind::{Poll, Webhook};

use hookbench::result::report::Report;

use crate::util::{rel, row, run, scenario};

const SECOND: u64 = 1_000_000;

/// Webhooks with a constant delay `d` into one on-receipt receiver: Poisson arrivals at λ meet
/// a deterministic server (M/D/1), so the mean processed latency is d + D + λD²/(2(1−λD)).
#[test]
fn one_worker_with_constant_work_is_m_d_1() {
    for (rate, rho) in [("5/s", 0.5), ("8/s", 0.8)] {
        let s = scenario(&format!(
            r#"
            name = "md1"
            duration = "8h"
            seed = 3
            [events]
            rate = "{rate}"
            [webhook]
            delay = "100ms"
            [receiver]
            workers = 1
            process = "100ms"
            ack = "on-receipt"
            "#
        ));
        let r = run(&s, &[Webhook], &[]);
        let w = row(&r, "webhook");
        assert!(w.events.total >= 50_000, "{} events", w.events.total);
        let (lambda, d, work) = (rho / 0.1, 0.1, 0.1);
        let closed = 1000.0 * (d + work + lambda * work * work / (2.0 * (1.0 - rho)));
        let mean = w.processed_ms.as_ref().and_then(|p| p.mean).expect("processed latency");
        eprintln!(
            "M/D/1 ρ = {rho}: {} events, measured {mean:.2} ms, closed form {closed:.2} ms",
            w.events.total
        );
        assert!(rel(mean, closed) < 0.03, "ρ = {rho}: measured {mean:.1} ms, M/D/1 {closed:.1} ms");
        assert_eq!((w.events.missed, w.events.duplicates), (0, 0));
    }
}

/// Erlang C: the probability that an arrival waits in an M/M/c queue with offered load a.
fn erlang_c(c: u32, a: f64) -> f64 {
    let mut term = 1.0;
    let mut sum = 1.0;
    for k in 1..c {
        term *= a / f64::from(k);
        sum += term;
    }
    let last = term * a / f64::from(c) * f64::from(c) / (f64::from(c) - a);
    last / (sum + last)
}

/// Four workers with exponential work: the mean wait for a worker is Erlang C's
/// C(c, a) / (cμ − λ).
#[test]
fn four_workers_with_exponential_work_wait_as_erlang_c_says() {
    let s = scenario(
        r#"
        name = "mmc"
        duration = "6h"
        seed = 4
        [events]
        rate = "16/s"
        [webhook]
        delay = "100ms"
        [receiver]
        workers = 4
        process = { mean = "200ms", dist = "exponential" }
        ack = "on-receipt"
        "#,
    );
    let r = run(&s, &[Webhook], &[]);
    let w = row(&r, "webhook");
    let (lambda, mu, c) = (16.0, 5.0, 4);
    let wait = erlang_c(c, lambda / mu) / (f64::from(c) * mu - lambda);
    let mean = w.processed_ms.as_ref().and_then(|p| p.mean).expect("processed latency") / 1000.0;
    let measured_wait = mean - 0.1 - 0.2;
    eprintln!("M/M/4: {} events, measured wait {measured_wait:.4} s, Erlang C {wait:.4} s", w.events.total);
    assert!(rel(measured_wait, wait) < 0.05, "measured wait {measured_wait:.4} s, Erlang C {wait:.4} s");
}

/// A provider paced to 10 deliveries a second sends a burst of ~1,000 events over ~100 s.
#[test]
fn throughput_paces_a_burst() {
    let s = scenario(
        r#"
        name = "paced"
        duration = "10m"
        seed = 5
        [events]
        rate = "1/h"
        bursts = [{ at = "1m", duration = "1s", rate = "1000/s" }]
        [webhook]
        delay = "0s"
        throughput = "10/s"
        "#,
    );
    let log = hookbench::model::source::EventLog::generate(&s);
    let burst = log.events().iter().filter(|e| e.at >= 60 * SECOND && e.at < 61 * SECOND).count() as u64;
    assert!(burst > 900, "{burst} events in the burst");
    let r = run(&s, &[Webhook], &[]);
    let w = row(&r, "webhook");
    assert_eq!((w.events.missed, w.events.in_flight), (0, 0));
    // The last of the burst goes out (burst − 1) × 100 ms after the first; it happened within the
    // burst's one second, so its latency is at least that less one second.
    let max_s = w.latency_ms.max.unwrap() / 1000.0;
    let spread = (burst - 1) as f64 / 10.0;
    assert!(max_s >= spread - 1.0, "max latency {max_s:.1} s for a burst of {burst}");
    assert!(max_s <= spread + 1.0, "max latency {max_s:.1} s for a burst of {burst}");
}

/// The flash sale: acknowledging after processing falls behind the 15 s timeout in the burst,
/// so the provider retries and duplicates pile up; acknowledging on receipt loses nothing and
/// duplicates nothing, at the price of a backlog.
#[test]
fn flash_sale_after_processing_retries_on_receipt_queues() {
    let text = hookbench::scenario::BUNDLED.iter().find(|(n, _)| *n == "flash-sale").expect("bundled").1;
    let after = scenario(text);
    let r = run(&after, &[Poll, Webhook], &[30 * SECOND]);
    let w = row(&r, "webhook");
    assert!(
        w.webhooks.retried.expect("takes webhooks") > 0 && w.events.duplicates > 0,
        "{:?} {:?}",
        w.webhooks,
        w.events
    );

    let receipt = scenario(&text.replace("after-processing", "on-receipt"));
    let r = run(&receipt, &[Poll, Webhook], &[30 * SECOND]);
    let w = row(&r, "webhook");
    assert_eq!(
        (w.events.duplicates, w.events.missed, w.webhooks.retried.expect("takes webhooks")),
        (0, 0, 0)
    );
    let p = w.processing.as_ref().expect("processing figures");
    assert!(p.peak_backlog > 0);
    // Pollers hand the same events to the same workers: they queue too, and lose nothing.
    let poll = row(&r, "poll@30s");
    assert!(poll.processing.as_ref().unwrap().peak_backlog > 0);
    assert_eq!(poll.events.missed, 0);
    assert!(poll.processed_ms.as_ref().unwrap().p99.unwrap() > poll.latency_ms.p99.unwrap());
}

/// Unlimited workers and no processing time: no processing figures, nothing else changes.
#[test]
fn transparent_capacity_adds_no_figures() {
    let s = scenario("name = \"plain\"\nduration = \"1h\"\n[events]\nrate = \"100/h\"\n");
    let r = run(&s, &[Webhook], &[]);
    let w = row(&r, "webhook");
    assert!(w.processed_ms.is_none() && w.processing.is_none());
}

/// The processing figures reach every view: thresholds, CSV, the table and `advise`.
#[test]
fn processed_latency_reaches_thresholds_csv_table_and_advise() {
    use crate::util::{hookbench, text};
    let base = ["compare", "--scenario", "flash-sale", "--duration", "3h", "--strategies", "poll,webhook"];
    let out = hookbench(&[&base[..], &["--threshold", "webhook.processed_p99<1m"]].concat());
    let (table, err) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("webhook.processed_p99<1m"), "{err}");
    // The first table is ready latency; detection and the queue are the second.
    assert!(
        table.contains("ready latency: from the event until the receiver has processed it (2 workers, answering after processing)"),
        "{table}"
    );
    assert!(table.contains("\ndetection "), "{table}");
    let ok = hookbench(&[&base[..], &["--threshold", "poll@30s.peak_backlog>0"]].concat());
    assert_eq!(ok.status.code(), Some(0));
    let (csv, _) = text(&hookbench(&[&base[..], &["--format", "csv"]].concat()));
    let header: Vec<&str> = csv.lines().next().unwrap().split(',').collect();
    let webhook: Vec<&str> = csv.lines().find(|l| l.contains(",webhook,")).unwrap().split(',').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    assert!(webhook[col("processed_p99_ms")].parse::<f64>().unwrap() > 60_000.0);
    assert!(webhook[col("processing_peak_backlog")].parse::<u64>().unwrap() > 0);
    // advise judges ready latency: webhooks detect in seconds, but are processed tens of minutes
    // late, so they are not the cheapest design that meets 5 s — nor with a processed target.
    let adv = [
        "advise",
        "--scenario",
        "flash-sale",
        "--duration",
        "3h",
        "--intervals",
        "30s",
        "--max-latency",
        "5s",
    ];
    let (a, _) = text(&hookbench(&adv));
    assert!(!a.contains("advice: webhook"), "{a}");
    assert!(a.contains("webhook") && a.contains("too slow"), "{a}");
    let (b, _) = text(&hookbench(&[&adv[..], &["--max-processed-latency", "15m"]].concat()));
    assert!(!b.contains("advice: webhook"), "{b}");
}

/// The live emitter really paces: a burst behind `throughput = "10/s"` takes as long over
/// loopback as in the sim (within 5%).
#[test]
fn the_live_emitter_paces_as_the_sim_does() {
    let s = scenario(
        r#"
        name = "paced-live"
        duration = "4m"
        drain = "3m"
        seed = 5
        [events]
        rate = "1/h"
        bursts = [{ at = "30s", duration = "1s", rate = "500/s" }]
        [webhook]
        delay = "0s"
        throughput = "10/s"
        max_in_flight = 4
        "#,
    );
    let sim = run(&s, &[Webhook], &[]);
    let live = live(&s, &[Webhook], 30.0);
    let (a, b) = (row(&sim, "webhook"), row(&live, "webhook"));
    assert_eq!((b.events.missed, b.events.in_flight), (0, 0), "{:?}", b.events);
    let (sm, lm) = (a.latency_ms.max.unwrap(), b.latency_ms.max.unwrap());
    assert!(sm > 40_000.0, "the burst is spread over {sm} ms in the sim");
    assert!(rel(lm, sm) < 0.05, "max latency: sim {sm:.0} ms, live {lm:.0} ms");
    let (smean, lmean) = (a.latency_ms.mean.unwrap(), b.latency_ms.mean.unwrap());
    assert!(rel(lmean, smean) < 0.05, "mean latency: sim {smean:.0} ms, live {lmean:.0} ms");
}

/// The live runs whose figures are compared within a few percent go one at a time: several
/// loopback runs at once on a small machine bend them (or make the engine refuse them as behind).
static ONE_LIVE_RUN: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Holds off every other live run that takes it until dropped.
pub fn one_live_run() -> std::sync::MutexGuard<'static, ()> {
    ONE_LIVE_RUN.lock().unwrap_or_else(|p| p.into_inner())
}

/// Runs `kinds` of `s` over loopback at `speedup` (polling at 30 s), one such run at a time.
pub fn live(
    s: &hookbench::scenario::Scenario,
    kinds: &[hookbench::strategy::StrategyKind],
    speedup: f64,
) -> Report {
    let _one = one_live_run();
    let specs = hookbench::strategy::Spec::expand(kinds, &[30 * SECOND], s.strategies.reconcile_interval);
    let opts = hookbench::live::engine::LiveOptions { speedup, progress: false, tls: false };
    hookbench::live::engine::run(s, &specs, opts).unwrap_or_else(|e| panic!("{e}"))
}

/// A flash sale small enough to run live: one worker at 1 s per order meets a 30-second burst at
/// 1 order a second, so the queue outgrows the 5-second timeout.
fn small_flash_sale(ack: &str) -> hookbench::scenario::Scenario {
    scenario(&format!(
        r#"
        name = "flash-live"
        duration = "3m"
        drain = "10m"
        seed = 7
        [events]
        rate = "60/h"
        bursts = [{{ at = "30s", duration = "30s", rate = "3600/h" }}]
        [webhook]
        delay = "200ms"
        timeout = "5s"
        retry = ["5s", "10s", "20s", "40s"]
        [receiver]
        workers = 1
        process = "1s"
        ack = "{ack}"
        "#
    ))
}

/// Issue 12, live: the receiver really holds each delivery. Answering after processing, the
/// sender's timeout really fires in the burst and its retries really arrive twice; answering on
/// receipt, nothing is retried or duplicated and the queue really backs up — for the pages a
/// poller fetches too.
#[test]
fn live_flash_sale_after_processing_retries_on_receipt_queues() {
    let r = live(&small_flash_sale("after-processing"), &[Webhook], 60.0);
    let w = row(&r, "webhook");
    assert!(
        w.webhooks.retried.expect("takes webhooks") > 0 && w.events.duplicates > 0,
        "{:?} {:?}",
        w.webhooks,
        w.events
    );
    assert_eq!(w.events.missed, 0, "{:?}", w.events);
    eprintln!(
        "live flash sale, after processing: {} events, {} retries, {} duplicates, processed max {:?} ms",
        w.events.total,
        w.webhooks.retried.unwrap_or(0),
        w.events.duplicates,
        w.processed_ms.as_ref().and_then(|l| l.max)
    );

    let r = live(&small_flash_sale("on-receipt"), &[Poll, Webhook], 60.0);
    let w = row(&r, "webhook");
    assert_eq!(
        (w.events.duplicates, w.events.missed, w.webhooks.retried.expect("takes webhooks")),
        (0, 0, 0),
        "{:?} {:?}",
        w.webhooks,
        w.events
    );
    let p = w.processing.as_ref().expect("processing figures");
    assert!(p.peak_backlog > 0, "{p:?}");
    assert_eq!(p.processed, w.events.total, "every order processed: {p:?}");
    // Orders waited longer than the sender would have, and it never noticed.
    let max = w.processed_ms.as_ref().and_then(|l| l.max).expect("processed latency");
    eprintln!("live flash sale, on receipt: peak backlog {}, processed max {max:.0} ms", p.peak_backlog);
    assert!(max > 5_000.0, "processed max {max} ms");
    // The poller hands the pages it fetches to the same (real) workers: they queue too.
    let poll = row(&r, "poll@30s");
    let pp = poll.processing.as_ref().expect("processing figures");
    assert_eq!((poll.events.missed, pp.processed), (0, poll.events.total), "{:?} {pp:?}", poll.events);
    assert!(pp.peak_backlog > 0, "{pp:?}");
    let (processed, detected) =
        (poll.processed_ms.as_ref().unwrap().max.unwrap(), poll.latency_ms.max.unwrap());
    // Every event is processed at least its 1 s of work after it was fetched.
    assert!(processed >= detected + 1_000.0, "processed max {processed} ms, detection max {detected} ms");
}

/// Issue 12, live against sim: M/D/1 (Poisson arrivals, one worker, constant work, on receipt)
/// over loopback. The receiver's share of the processed latency — from receipt to processing
/// done, the mean processed latency less the mean detection latency — agrees with the sim's
/// within 5% on the same event stream. (The whole processed latency also carries the real
/// loopback and HTTP time of each delivery, multiplied by the speed-up, which the live report's
/// header admits; it is not the receiver's to match.)
#[test]
fn live_processing_agrees_with_the_sim_on_m_d_1() {
    let s = scenario(
        r#"
        name = "md1-live"
        duration = "8m"
        drain = "2m"
        seed = 3
        [events]
        rate = "900/h"
        [webhook]
        delay = "100ms"
        [receiver]
        workers = 1
        process = "2s"
        ack = "on-receipt"
        "#,
    );
    let sim = run(&s, &[Webhook], &[]);
    let live = live(&s, &[Webhook], 100.0);
    let (a, b) = (row(&sim, "webhook"), row(&live, "webhook"));
    let at_receiver = |r: &hookbench::result::report::StrategyReport| {
        r.processed_ms.as_ref().and_then(|p| p.mean).unwrap() - r.latency_ms.mean.unwrap()
    };
    let (sq, lq) = (at_receiver(a), at_receiver(b));
    eprintln!(
        "M/D/1 ρ = 0.5, {} events: receipt to processed, mean: sim {sq:.1} ms, live {lq:.1} ms",
        b.events.total
    );
    // M/D/1 at ρ = 0.5: 2 s of work and on average 1 s of wait (fewer events, so only near it).
    assert!(sq > 2_300.0, "the queue adds to the 2 s of work: {sq}");
    assert!(rel(lq, sq) < 0.05, "receipt to processed, mean: sim {sq:.1} ms, live {lq:.1} ms");
    let (sp, lp) = (a.processing.as_ref().unwrap(), b.processing.as_ref().unwrap());
    assert_eq!(lp.processed, b.events.total);
    assert!(lp.peak_backlog.abs_diff(sp.peak_backlog) <= 1, "peak backlog sim {sp:?}, live {lp:?}");
}

/// Issue 12, live: past `queue_limit` the receiver really answers 503, the sender counts a failed
/// attempt and retries, and nothing is lost or processed twice.
#[test]
fn live_on_receipt_past_the_queue_limit_answers_503() {
    let s = scenario(
        r#"
        name = "limit-live"
        duration = "2m"
        drain = "10m"
        seed = 7
        [events]
        rate = "60/h"
        bursts = [{ at = "20s", duration = "20s", rate = "7200/h" }]
        [webhook]
        delay = "200ms"
        timeout = "5s"
        retry = ["10s", "30s", "1m", "2m", "4m"]
        [receiver]
        workers = 1
        process = "1s"
        ack = "on-receipt"
        queue_limit = 5
        "#,
    );
    let r = live(&s, &[Webhook], 60.0);
    let w = row(&r, "webhook");
    let p = w.processing.as_ref().expect("processing figures");
    assert!(p.rejected > 0, "{p:?}");
    assert!(p.peak_backlog <= 6, "the queue never holds much past its limit: {p:?}");
    let failed = w.webhooks.failed.expect("takes webhooks");
    assert!(failed >= p.rejected, "every 503 is a failed attempt: {failed} failed, {p:?}");
    assert!(w.webhooks.retried.expect("takes webhooks") > 0);
    assert_eq!((w.events.missed, w.events.duplicates), (0, 0), "{:?}", w.events);
    eprintln!(
        "live queue limit 5: {} answered 503, {failed} failed attempts, peak backlog {}",
        p.rejected, p.peak_backlog
    );
}
