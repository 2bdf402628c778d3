//! Event types and subscriptions against closed forms.
//!
//! A source emitting types with shares wᵢ, of which the integration subscribes to a set S,
//! produces events of interest at the rate λ·s with s = Σ_{i∈S} wᵢ / Σ wᵢ. Webhooks send only
//! those. A poller whose API filters by type (`type_filter = true`) fetches only those; one whose
//! API cannot fetches everything, so the share of fetched events it wastes is 1 − s, and its
//! bytes are the page envelopes plus every event's JSON.

use hookbench::model::wire::{api_headers, event_json, PAGE_ENVELOPE};
use hookbench::strategy::StrategyKind::{Hybrid, Poll, Webhook};
use hookbench::support::units::SECOND;

use crate::util::{hookbench, row, run, scenario, text};

fn typed(filter: bool, page_size: u32) -> hookbench::scenario::Scenario {
    scenario(&format!(
        r#"
        name = "event-types"
        duration = "24h"
        seed = 7
        [events]
        rate = "2000/h"
        payload_bytes = 400
        types = {{ "charge.succeeded" = 1, "customer.updated" = 2, "invoice.paid" = 1 }}
        [webhook]
        subscribe = ["charge.succeeded"]
        [api]
        rtt = "50ms"
        page_size = {page_size}
        type_filter = {filter}
        "#
    ))
}

/// Fetched events of a poll row with one page per call: its bytes less the calls' envelopes,
/// over one event's JSON (plus its comma).
fn fetched(r: &hookbench::result::report::StrategyReport, payload: u32) -> f64 {
    let calls = r.requests.total.unwrap();
    let per_call = api_headers(false) + PAGE_ENVELOPE;
    (r.bytes.received - calls * per_call) as f64 / (event_json(payload) + 1) as f64
}

#[test]
fn an_unfiltered_poller_fetches_every_type_and_wastes_the_unsubscribed_share() {
    let (s_unf, s_f) = (typed(false, 10_000), typed(true, 10_000));
    let kinds = [Poll, Webhook, Hybrid];
    let (unf, fil) = (run(&s_unf, &kinds, &[60 * SECOND]), run(&s_f, &kinds, &[60 * SECOND]));
    let all: f64 = 48_000.0;
    let share: f64 = 0.25;
    for report in [&unf, &fil] {
        for label in ["poll@1m", "webhook", "hybrid"] {
            let r = row(report, label);
            // The events of interest: λ·s·duration, binomial within 4σ.
            let n = r.events.total as f64;
            let sd = (all * share * (1.0 - share)).sqrt() + (all * share).sqrt();
            assert!((n - all * share).abs() < 4.0 * sd, "{label}: {n} events of interest");
            assert_eq!(r.events.detected + r.events.missed + r.events.in_flight, r.events.total, "{label}");
        }
        // Webhooks send the subscribed types only: one attempt each, no duplicate.
        let w = row(report, "webhook");
        assert_eq!(w.webhooks.attempts, Some(w.events.total));
        assert_eq!(w.events.duplicates, 0);
    }
    // The same events are of interest whether or not the API filters.
    assert_eq!(row(&unf, "poll@1m").events.total, row(&fil, "poll@1m").events.total);
    assert_eq!(row(&unf, "webhook").webhooks.attempts, row(&fil, "webhook").webhooks.attempts);

    // Filtered: the poller fetches exactly the events of interest — those of the last poll
    // aside, which land in the drain, where costs no longer count (about 8 a minute).
    let f = row(&fil, "poll@1m");
    let late = f.events.total as f64 - fetched(f, 400);
    assert!((0.0..40.0).contains(&late), "{late} events of interest fetched after the window");
    // Unfiltered: it fetches every type; the share it wastes is 1 − s.
    let u = row(&unf, "poll@1m");
    let got = fetched(u, 400);
    assert_eq!(got.fract(), 0.0, "bytes are whole events");
    let wasted_share = 1.0 - u.events.total as f64 / got;
    let sd = (share * (1.0 - share) / got).sqrt();
    assert!(
        ((1.0 - share) - wasted_share).abs() < 4.0 * sd,
        "wasted share {wasted_share:.4}, closed form 0.75"
    );
    assert!((got - all).abs() < 4.0 * all.sqrt(), "{got} events fetched of about {all}");
    // The calls are the same (one page each); the latency of the events of interest too.
    assert_eq!(u.requests.total, f.requests.total);
    let (mu, mf) = (u.latency_ms.mean.unwrap(), f.latency_ms.mean.unwrap());
    assert!((mu - mf).abs() < 1e-9, "{mu} vs {mf}");
}

#[test]
fn unsubscribed_events_fill_pages_so_an_unfiltered_poller_makes_more_calls() {
    // Pages of 10 at 2,000 events an hour and 5-minute polls: about 167 events a poll, of which
    // about 42 are of interest. Unfiltered, a poll reads ⌈167/10⌉ = 17 pages; filtered, ⌈42/10⌉ = 5.
    let kinds = [Poll];
    let t = 300 * SECOND;
    let (unf, fil) = (run(&typed(false, 10), &kinds, &[t]), run(&typed(true, 10), &kinds, &[t]));
    let (u, f) = (row(&unf, "poll@5m"), row(&fil, "poll@5m"));
    let polls = 288.0;
    let (cu, cf) = (u.requests.total.unwrap() as f64, f.requests.total.unwrap() as f64);
    // Each poll reads its backlog to the end: ⌊n/10⌋ + 1 pages for n events, so the calls are
    // the polls plus a tenth of the events read.
    assert!((cu - (polls + fetched(u, 400) / 10.0)).abs() < polls * 0.6, "{cu} calls unfiltered");
    assert!((cf - (polls + f.events.total as f64 / 10.0)).abs() < polls * 0.6, "{cf} calls filtered");
    assert!(cu > 2.5 * cf, "{cu} calls unfiltered vs {cf} filtered");
    assert_eq!(u.events.total, f.events.total);
}

#[test]
fn a_scenario_without_types_is_unchanged_and_every_event_counts() {
    let s = scenario(
        r#"
        name = "untyped"
        duration = "2h"
        [events]
        rate = "600/h"
        "#,
    );
    let r = run(&s, &[Webhook], &[]);
    let w = row(&r, "webhook");
    assert_eq!(w.events.total, r.run.events);
    assert_eq!(w.webhooks.attempts, Some(w.events.total));
}

#[test]
fn bad_types_and_subscriptions_are_one_sentence() {
    let dir = crate::util::temp_dir("event-types");
    let cases = [
        (
            "[events]\nrate = \"1/s\"\ntypes = { a = 1, b = 1 }\n[webhook]\nsubscribe = [\"charge\"]\n",
            "not one of the `[events] types`",
        ),
        (
            "[events]\nrate = \"1/s\"\ntypes = { \"charge.succeeded\" = 1 }\n[webhook]\nsubscribe = [\"charge.suceeded\"]\n",
            "did you mean `charge.succeeded`?",
        ),
        ("[events]\nrate = \"1/s\"\n[webhook]\nsubscribe = [\"a\"]\n", "lists none"),
        ("[events]\nrate = \"1/s\"\ntypes = { a = -1 }\n", "share of 0 or more"),
        ("[events]\nrate = \"1/s\"\ntypes = { a = 0 }\n", "add up to a positive number"),
        ("[events]\nrate = \"1/s\"\ntypes = 3\n", "table of type names"),
        ("[events]\nrate = \"1/s\"\ntypes = { a = 1 }\n[webhook]\nsubscribe = []\n", "is empty"),
    ];
    for (i, (body, want)) in cases.iter().enumerate() {
        let path = dir.join(format!("t{i}.toml"));
        std::fs::write(&path, format!("name = \"t\"\nduration = \"1h\"\n{body}")).unwrap();
        let out = hookbench(&["compare", "--quiet", "-s", path.to_str().unwrap()]);
        let (_, err) = text(&out);
        assert_eq!(out.status.code(), Some(2), "{body}: {err}");
        assert!(err.contains(want), "{body}: {err}");
        assert_eq!(err.trim().lines().count(), 1, "{err}");
    }
}

/// The live engine over real HTTP: the emitter sends only the subscribed type, every row counts
/// only it, the unfiltered poller's pages carry every type by name, and the counts match the sim's
/// exactly (the same stream, the same subscribed events).
#[test]
fn live_runs_send_and_count_only_the_subscribed_types() {
    let dir = crate::util::temp_dir("event-types-live");
    let path = dir.join("typed.toml");
    std::fs::write(
        &path,
        r#"
        name = "typed-live"
        duration = "10m"
        drain = "2m"
        seed = 3
        [events]
        rate = "1200/h"
        types = { "charge.succeeded" = 1, "customer.updated" = 3 }
        [webhook]
        subscribe = ["charge.succeeded"]
        delay = "100ms"
        [api]
        rtt = "50ms"
        [strategies]
        list = ["webhook", "poll"]
        intervals = ["10s"]
        "#,
    )
    .unwrap();
    let p = path.to_str().unwrap();
    let json = |args: &[&str]| {
        let out = hookbench(args);
        let (stdout, err) = text(&out);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {err}");
        serde_json::from_str::<serde_json::Value>(&stdout).unwrap()
    };
    let live =
        json(&["compare", "--engine", "live", "--speedup", "200", "--quiet", "--format", "json", "-s", p]);
    let sim = json(&["compare", "--quiet", "--format", "json", "-s", p]);
    for label in ["webhook", "poll@10s"] {
        let row = |r: &serde_json::Value| {
            r["strategies"].as_array().unwrap().iter().find(|s| s["label"] == label).unwrap().clone()
        };
        let (l, s) = (row(&live), row(&sim));
        assert_eq!(l["events"]["total"], s["events"]["total"], "{label}");
        assert_eq!(l["events"]["detected"], l["events"]["total"], "{label}: {l}");
        assert_eq!(l["events"]["duplicates"], 0, "{label}");
    }
    // The run counts every type the source produced, in both engines.
    assert_eq!(live["run"]["events"], sim["run"]["events"]);
    let hook = |r: &serde_json::Value| r["strategies"][0]["webhooks"]["attempts"].clone();
    assert_eq!(hook(&live), hook(&sim));
    assert_eq!(hook(&live), live["strategies"][0]["events"]["total"]);
    let _ = std::fs::remove_dir_all(&dir);
}
