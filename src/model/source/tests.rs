//! Tests of the event source and its windows.

use super::*;
use crate::model::dist::Delay;
use crate::support::units::parse_rate;

/// Ten hours of 3600/h over 7 resources, seed 9.
fn scenario(visibility_delay: Delay) -> EventsConfig {
    EventsConfig {
        rate: parse_rate("3600/h").unwrap(),
        resources: 7,
        resource_type: "resource".into(),
        states: vec!["created".into(), "updated".into(), "closed".into()],
        payload_bytes: 512,
        visibility_delay,
        visibility_daily: Vec::new(),
        bursts: Vec::new(),
        daily: None,
        trace: None,
        types: Default::default(),
    }
}

fn generate(events: &EventsConfig) -> EventLog {
    EventLog::generate(SourceParams::new(events, 10 * 3600 * SECOND, 9))
}

#[test]
fn arrivals_are_poisson_ordered_and_versioned() {
    let s = scenario(Delay::Fixed(0));
    let log = generate(&s);
    let n = log.len() as f64;
    assert!((n - 36_000.0).abs() < 4.0 * 36_000f64.sqrt(), "{n}");
    assert!(log.events().windows(2).all(|w| w[0].at <= w[1].at));
    for r in 0..log.resources() {
        for (k, &id) in log.resource_events(r).iter().enumerate() {
            assert_eq!(log.get(id).version as usize, k + 1);
            assert_eq!(log.get(id).resource, r);
        }
    }
}

#[test]
fn visibility_delays_but_never_reorders() {
    let s = scenario(Delay::LogNormal { median: SECOND, p99: 10 * SECOND });
    let log = generate(&s);
    assert!(log.events().windows(2).all(|w| w[0].visible_at <= w[1].visible_at));
    assert!(log.events().iter().all(|e| e.visible_at >= e.at));
    let t = 5 * 3600 * SECOND;
    let n = log.visible_count(t) as usize;
    assert!(log.events()[..n].iter().all(|e| e.visible_at <= t));
    assert!(log.events()[n..].iter().all(|e| e.visible_at > t));
}

#[test]
fn same_seed_same_stream() {
    let a = generate(&scenario(Delay::Fixed(0)));
    let b = generate(&scenario(Delay::Fixed(0)));
    assert_eq!(a.events(), b.events());
}

#[test]
fn resource_snapshots_and_supersession() {
    let s = scenario(Delay::Fixed(0));
    let log = generate(&s);
    let evs = log.resource_events(3).to_vec();
    let first = log.get(evs[0]);
    assert_eq!(log.resource_latest(3, first.visible_at), Some(evs[0]));
    assert_eq!(log.resource_latest(3, first.visible_at.saturating_sub(1)), None);
    assert!(log.superseded(evs[0], log.get(evs[1]).at));
    assert!(!log.superseded(evs[0], log.get(evs[1]).at - 1));
}

/// A row's window, drawn as time passes and retired behind it, answers every question about
/// the events it holds exactly as the whole log does, and holds only the backlog.
#[test]
fn a_window_answers_as_the_whole_log_does() {
    let s = scenario(Delay::LogNormal { median: SECOND, p99: 30 * SECOND });
    let params = SourceParams::new(&s, 10 * 3600 * SECOND, 9);
    let whole = EventLog::generate(params);
    assert_eq!(EventLog::count(params), whole.len() as u64);
    let mut src = Source::new(params);
    let lag = 120 * SECOND;
    for now in (0..10 * 3600 * SECOND).step_by(7 * SECOND as usize) {
        src.reach(now);
        // Everything that happened by now is held, and the next event too.
        let n = src.log.len();
        assert!(n == whole.len() || whole.get(n as u32 - 1).at > now, "{now}");
        assert_eq!(src.log.visible_count(now), whole.visible_count(now));
        for r in 0..whole.resources() {
            assert_eq!(src.log.resource_state(r, now), whole.resource_state(r, now), "{r} at {now}");
        }
        for id in src.log.floor()..n as u32 {
            assert_eq!(src.log.get(id), whole.get(id));
            assert_eq!(src.log.superseded(id, now), whole.superseded(id, now), "{id} at {now}");
            let mut a = Vec::new();
            let mut b = Vec::new();
            let e = whole.get(id);
            src.log.versions_between(e.resource, e.version.saturating_sub(3), e.version, |i| a.push(i));
            whole.versions_between(e.resource, e.version.saturating_sub(3), e.version, |i| b.push(i));
            b.retain(|&i| i >= src.log.floor());
            assert_eq!(a, b);
        }
        // Retire what was visible more than `lag` ago.
        let floor = whole.visible_count(now.saturating_sub(lag));
        src.log.retire(floor);
    }
    src.reach(Micros::MAX);
    assert_eq!(src.log.len(), whole.len());
    // At 1 event/s: twice the events of the lag, the longest visibility delay and a step.
    let delay = whole.events().iter().map(|e| e.visible_at - e.at).max().unwrap_or(0);
    let bound = 2 * ((lag + delay) / SECOND + 7) as usize + 64;
    assert!(src.log.peak_retained() < bound, "held {} (bound {bound})", src.log.peak_retained());
}
