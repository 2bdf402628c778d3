//! Tests of the per-strategy accumulators and their retirement.

use super::*;
use crate::model::source::Event;

fn log() -> EventLog {
    let events = (0..4u32)
        .map(|i| Event {
            at: u64::from(i) * 10,
            visible_at: u64::from(i) * 10,
            resource: 0,
            version: i + 1,
            kind: 0,
        })
        .collect();
    EventLog::from_events(events, 1, 2)
}

#[test]
fn conservation_holds_and_catches_breaches() {
    let log = log();
    let mut r = Books::new(&log, 100);
    assert!(r.detect(&log, 0, 15));
    assert!(!r.detect(&log, 0, 16));
    r.overwritten(&log, 0, 1, 3); // version 2 (event 1) was overwritten
    assert!(r.detect(&log, 2, 25));
    let out = r.finish(&log, |id| if id == 3 { Fate::InFlight } else { Fate::Missed }).unwrap();
    assert_eq!(
        (out.events.detected, out.events.missed, out.events.in_flight, out.events.total),
        (2, 1, 1, 4)
    );
    assert_eq!(out.sum_us, 15 + 5);

    let mut bad = Books::new(&log, 100);
    bad.detect(&log, 1, 5); // before it happened
    assert!(bad.finish(&log, |_| Fate::Missed).unwrap_err().contains("before it happened"));

    let mut bad = Books::new(&log, 100);
    bad.overwritten(&log, 0, 0, 2);
    bad.detect(&log, 0, 50);
    assert!(bad.finish(&log, |_| Fate::Missed).unwrap_err().contains("declared missed"));
}

#[test]
fn out_of_order_and_throttled_union() {
    let log = log();
    let mut r = Books::new(&log, 100);
    r.detect(&log, 2, 30);
    r.detect(&log, 1, 31);
    r.throttled(10, 50);
    r.throttled(20, 60);
    r.throttled(90, 200);
    let out = r.finish(&log, |_| Fate::InFlight).unwrap();
    assert_eq!(out.events.out_of_order, 1);
    assert_eq!(out.throttled_us, 50 + 10);
}

#[test]
fn retired_statuses_fold_into_the_same_counts() {
    let log = log();
    let mut r = Books::new(&log, 100);
    r.detect(&log, 0, 15);
    r.overwritten(&log, 0, 1, 3); // event 1 declared missed
    r.retire(); // event 0: detected
    r.retire(); // event 1: declared missed
    r.retire(); // event 2: never detected, nothing could reach it
    assert_eq!(r.offset(), 3);
    assert!(r.is_settled(1) && !r.detect(&log, 2, 50), "a retired event is settled");
    assert_eq!(r.unsettled(&log).collect::<Vec<_>>(), vec![3]);
    let out = r.finish(&log, |_| Fate::InFlight).unwrap();
    assert_eq!(
        (out.events.detected, out.events.missed, out.events.in_flight, out.events.total),
        (1, 2, 1, 4)
    );
}
