//! The event source: resources moving through their states, arriving on the scenario's clock.
//!
//! Owns the one arrival stream every strategy is fed: generated once per run from the seed, in
//! time order, with each event's resource, version and visibility time. It is immutable after
//! generation, so strategies on separate threads read it freely. Strategies never read it
//! directly — they learn of events only through the API and the webhook emitter.

use crate::model::arrivals::EventsConfig;
use crate::model::dist::Rng;
use crate::units::{Micros, SECOND};

/// What generating a run's events needs: the source's configuration, the span of arrivals and
/// the seed. A whole scenario converts into it (`EventLog::generate(&scenario)`).
#[derive(Debug, Clone, Copy)]
pub struct SourceParams<'a> {
    /// The arrival process.
    pub events: &'a EventsConfig,
    /// Arrivals fall in `[0, duration)`.
    pub duration: Micros,
    /// The seed of the run (the source draws from its own stream of it).
    pub seed: u64,
}

/// One state transition of one resource. Its id is its index in the [`EventLog`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Event {
    /// When it happened at the source.
    pub at: Micros,
    /// When the API first shows it (never before `at`; the log stays in order).
    pub visible_at: Micros,
    /// The resource it moved.
    pub resource: u32,
    /// The resource's version after it (1 for its first event).
    pub version: u32,
}

/// Every event of a run, in time order, with a per-resource index.
#[derive(Debug, Clone)]
pub struct EventLog {
    events: Vec<Event>,
    /// `res_events[res_start[r]..res_start[r + 1]]` are resource r's events in order.
    res_start: Vec<u32>,
    res_events: Vec<u32>,
    states: usize,
}

impl EventLog {
    /// Generates the arrival stream of a run: `params` is a [`SourceParams`] or anything that
    /// converts into one, such as a `&Scenario`.
    pub fn generate<'a>(params: impl Into<SourceParams<'a>>) -> EventLog {
        let SourceParams { events: ev, duration, seed } = params.into();
        let mut rng = Rng::new(seed, "source");
        let mut events = Vec::with_capacity(ev.expected_events(duration).ceil() as usize + 16);
        let mut versions = vec![0u32; ev.resources as usize];
        let mut last_visible = 0;
        // Appends an event of `resource` at `at`, with its version and visibility time.
        let mut push = |events: &mut Vec<Event>, rng: &mut Rng, at: Micros, resource: u32| {
            let v = &mut versions[resource as usize];
            *v += 1;
            let visible_at = (at + ev.visibility_delay.sample(rng)).max(last_visible);
            last_visible = visible_at;
            events.push(Event { at, visible_at, resource, version: *v });
        };
        if let Some(trace) = &ev.trace {
            // A recorded trace: its times, its resources (or uniformly chosen ones).
            for row in trace.rows.iter().take_while(|r| r.at < duration) {
                let resource = row.resource.unwrap_or_else(|| rng.below(ev.resources)).min(ev.resources - 1);
                push(&mut events, &mut rng, row.at, resource);
            }
            return Self::from_events(events, ev.resources, ev.states.len());
        }
        for (start, end, rate) in ev.rate_segments(duration) {
            if rate <= 0.0 {
                continue;
            }
            let mean_gap = SECOND as f64 / rate;
            let mut t = start as f64;
            loop {
                t += rng.exponential(mean_gap);
                if t >= end as f64 {
                    break;
                }
                let resource = rng.below(ev.resources);
                push(&mut events, &mut rng, t as Micros, resource);
            }
        }
        Self::from_events(events, ev.resources, ev.states.len())
    }

    /// Builds a log from events already in time order (tests and recorded traces).
    pub fn from_events(events: Vec<Event>, resources: u32, states: usize) -> EventLog {
        let mut counts = vec![0u32; resources as usize + 1];
        for e in &events {
            counts[e.resource as usize + 1] += 1;
        }
        for i in 1..counts.len() {
            counts[i] += counts[i - 1];
        }
        let res_start = counts.clone();
        let mut fill = counts;
        let mut res_events = vec![0u32; events.len()];
        for (i, e) in events.iter().enumerate() {
            let slot = &mut fill[e.resource as usize];
            res_events[*slot as usize] = i as u32;
            *slot += 1;
        }
        EventLog { events, res_start, res_events, states: states.max(1) }
    }

    /// All events.
    pub fn events(&self) -> &[Event] {
        &self.events
    }

    /// Event by id.
    #[inline]
    pub fn get(&self, id: u32) -> &Event {
        &self.events[id as usize]
    }

    /// Number of events.
    pub fn len(&self) -> usize {
        self.events.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }

    /// Number of resources.
    pub fn resources(&self) -> u32 {
        (self.res_start.len() - 1) as u32
    }

    /// The state index an event moved its resource to.
    pub fn state_of(&self, id: u32) -> usize {
        (self.get(id).version as usize - 1) % self.states
    }

    /// How many events the API shows at `now`: they are ids `0..n` (visibility keeps order).
    #[inline]
    pub fn visible_count(&self, now: Micros) -> u32 {
        self.events.partition_point(|e| e.visible_at <= now) as u32
    }

    /// Resource `r`'s events, in order.
    pub fn resource_events(&self, r: u32) -> &[u32] {
        let (a, b) = (self.res_start[r as usize], self.res_start[r as usize + 1]);
        &self.res_events[a as usize..b as usize]
    }

    /// Resource `r` as the API shows it at `now`: its latest visible event, if any.
    pub fn resource_latest(&self, r: u32, now: Micros) -> Option<u32> {
        let evs = self.resource_events(r);
        let n = evs.partition_point(|&i| self.events[i as usize].visible_at <= now);
        n.checked_sub(1).map(|k| evs[k])
    }

    /// Whether a later event of the same resource has happened by `now`.
    pub fn superseded(&self, id: u32, now: Micros) -> bool {
        let e = self.get(id);
        let evs = self.resource_events(e.resource);
        let k = e.version as usize; // index of the next event of this resource
        evs.get(k).is_some_and(|&n| self.get(n).at <= now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::dist::Delay;
    use crate::units::parse_rate;

    /// Ten hours of 3600/h over 7 resources, seed 9.
    fn scenario(visibility_delay: Delay) -> EventsConfig {
        EventsConfig {
            rate: parse_rate("3600/h").unwrap(),
            resources: 7,
            resource_type: "resource".into(),
            states: vec!["created".into(), "updated".into(), "closed".into()],
            payload_bytes: 512,
            visibility_delay,
            bursts: Vec::new(),
            daily: None,
            trace: None,
        }
    }

    fn generate(events: &EventsConfig) -> EventLog {
        EventLog::generate(SourceParams { events, duration: 10 * 3600 * SECOND, seed: 9 })
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
}
