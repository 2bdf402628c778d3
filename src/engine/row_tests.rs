//! Tests of the row core: settling a partial run, and handing fetched events to real workers.

use super::*;
use crate::strategy::StrategyKind;
use crate::support::units::SECOND;

/// A run stopped early settles its rows at the time it stopped: the events after it never
/// happened, so they count neither in the total nor in flight — for every strategy, whatever
/// its emitter would have said of them.
#[test]
fn a_row_settled_early_leaves_out_the_events_not_yet_happened() {
    let s = Scenario::from_toml("name = \"early\"\nduration = \"1h\"\n[events]\nrate = \"600/h\"\n", "test")
        .expect("a valid scenario");
    let log = EventLog::generate(&s);
    let end = 20 * 60 * SECOND;
    let happened = log.events().iter().filter(|e| e.at <= end).count();
    assert!(happened > 100 && happened < log.len() - 100, "{happened} of {}", log.len());
    for kind in [StrategyKind::Poll, StrategyKind::Webhook] {
        let spec = Spec { kind, interval: Some(30 * SECOND) };
        let row = Row::new(&s, &log, &spec, "test");
        let outbox = row.subscription().map(|_| Outbox::new(&s, log.len()));
        let out = row.finish(outbox.as_ref(), end, &log).expect("conserved").outcome.events;
        assert_eq!(out.total, happened as u64, "{kind:?}");
        assert_eq!((out.detected, out.missed, out.in_flight), (0, 0, happened as u64), "{kind:?}");
    }
}

/// A driver that processes for real gets the events its poller fetched handed over, with the
/// model's processing times, and the row counts them processed only when told they are.
#[test]
fn fetched_events_are_handed_over_when_the_driver_processes_for_real() {
    let s = Scenario::from_toml(
        "name = \"real\"\nduration = \"10m\"\n[events]\nrate = \"600/h\"\n\
         [receiver]\nworkers = 1\nprocess = \"1s\"\nack = \"on-receipt\"\n",
        "test",
    )
    .expect("a valid scenario");
    let log = EventLog::generate(&s);
    let spec = Spec { kind: StrategyKind::Poll, interval: Some(30 * SECOND) };
    let mut row = Row::new(&s, &log, &spec, "test");
    row.hold_for_real();
    let mut api = crate::model::api::Api::new(&s.api, s.events.payload_bytes);
    let mut wakes = std::collections::BTreeMap::new();
    let mut handed = Vec::new();
    row.start(0, &log);
    let mut now = 0;
    loop {
        while let Some(a) = row.poll_action() {
            match a {
                Action::Send { tag, req, billable } => {
                    let resp = api.handle(&log, now, req, billable);
                    row.handle(now, Input::Answer { tag, resp: &resp, billable }, &log);
                }
                Action::Wake { at, token } => {
                    wakes.insert((at, token), ());
                }
            }
        }
        handed.extend(row.take_handover());
        let Some((&(at, token), _)) = wakes.iter().next() else { break };
        if at > s.duration {
            break;
        }
        wakes.remove(&(at, token));
        now = at;
        row.handle(now, Input::Timer(token), &log);
    }
    assert!(handed.len() > 50, "{} handed over", handed.len());
    assert!(handed.iter().all(|&(_, work)| work == SECOND), "the model draws the work");
    assert!(!row.settled(None, now, &log), "held events are still being processed");
    for &(id, _) in &handed[..10] {
        row.processing_done(now, id);
    }
    let out = row.finish(None, now, &log).expect("conserved").outcome;
    assert_eq!(out.processed.expect("finite capacity").count, 10, "only what was reported done");
}
