//! The event source: resources moving through their states, arriving on the scenario's clock.
//!
//! Owns the one arrival stream every strategy is fed, drawn from the seed in time order, with
//! each event's resource, version and visibility time. A [`Generator`] draws it one event at a
//! time; an [`EventLog`] holds the events, either all of them (`EventLog::generate`: the live
//! engine, exports, tests) or, in the sim, only a window of them: a [`Source`] appends events as
//! virtual time reaches them and the row retires from the front the events nothing can still ask
//! about. Ids stay global (an event's id is its index in the whole stream), so a retired id is
//! simply below [`EventLog::floor`]; what a retired event still means to the API — its resource's
//! latest state — is kept per resource. Peak memory is then the backlog, not the run.
//!
//! Each sim row draws the stream itself from the same seed (the [`Generator`] is deterministic
//! and draws from its own `source` stream), rather than sharing one log between the rows'
//! threads: rows retire at their own pace with no locks, and every row sees exactly the events
//! the whole-run log holds, so results are byte-identical. The price is that every row draws the
//! stream (three random draws per event) instead of one draw shared by all. Strategies never read the source directly — they learn of events only through the API
//! and the webhook emitter.

use crate::model::arrivals::EventsConfig;
use crate::model::dist::{Rng, Sampler};
use crate::model::types::Interest;
use crate::support::units::{Micros, SECOND};

/// No event (a resource with none yet, a link with no neighbour).
const NONE: u32 = u32::MAX;
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
    /// The event types the integration subscribes to (empty: all of them).
    pub subscribe: &'a [String],
    /// Whether the API filters its event list to them (then the others never enter the stream).
    pub filtered: bool,
}

impl<'a> SourceParams<'a> {
    /// The stream of `events` over `duration` from `seed`, every type wanted.
    pub fn new(events: &'a EventsConfig, duration: Micros, seed: u64) -> Self {
        SourceParams { events, duration, seed, subscribe: &[], filtered: false }
    }
}

/// One state transition of one resource. Its id is its index in the whole stream.
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
    /// Its type (an index into the scenario's `[events] types`; 0 when it names none).
    pub kind: u16,
}

/// Draws a run's arrival stream one event at a time, in time order: the same events, in the same
/// order, as many times as it is asked for from the same parameters.
#[derive(Debug, Clone)]
pub struct Generator<'a> {
    ev: &'a EventsConfig,
    /// `ev.visibility_delay`, ready to draw from.
    visibility: Sampler,
    rng: Rng,
    versions: Vec<u32>,
    last_visible: Micros,
    /// Rate segments `(start, end, rate)` and the one being drawn from.
    segments: Vec<(Micros, Micros, f64)>,
    segment: usize,
    /// The time of the last arrival in the current segment (µs, as drawn).
    t: f64,
    /// The next trace row, for a recorded trace.
    row: usize,
    duration: Micros,
    /// The types, and which are wanted; their own random stream.
    interest: Interest,
    types: Rng,
}

impl<'a> Generator<'a> {
    /// The generator of `params`' stream.
    pub fn new(params: impl Into<SourceParams<'a>>) -> Self {
        let SourceParams { events: ev, duration, seed, subscribe, filtered } = params.into();
        let segments = if ev.trace.is_some() { Vec::new() } else { ev.rate_segments(duration) };
        let t = segments.first().map_or(0.0, |s| s.0 as f64);
        Generator {
            ev,
            visibility: ev.visibility_delay.sampler(),
            rng: Rng::new(seed, "source"),
            versions: vec![0u32; ev.resources as usize],
            last_visible: 0,
            segments,
            segment: 0,
            t,
            row: 0,
            duration,
            interest: Interest::new(&ev.types, subscribe, filtered),
            types: Rng::new(seed, "types"),
        }
    }

    /// Which types the stream's consumers want.
    pub fn interest(&self) -> &Interest {
        &self.interest
    }

    /// The type of the next arrival (drawn only when the source has types), and whether it
    /// enters the stream.
    fn kind(&mut self) -> (u16, bool) {
        if !self.interest.typed() {
            return (0, true);
        }
        let k = self.interest.draw(&mut self.types);
        (k, self.interest.emitted(k))
    }

    /// The source's resource count and state count.
    pub fn shape(&self) -> (u32, usize) {
        (self.ev.resources, self.ev.states.len())
    }

    /// The events the run is expected to hold (a capacity hint).
    pub fn expected(&self) -> usize {
        self.ev.expected_events(self.duration).ceil() as usize + 16
    }

    /// An event of `resource` at `at`, with its version and visibility time.
    fn make(&mut self, at: Micros, resource: u32, kind: u16) -> Event {
        let v = &mut self.versions[resource as usize];
        *v += 1;
        let delay = self.visibility.sample(&mut self.rng) + self.ev.visibility_lag(at);
        let visible_at = (at + delay).max(self.last_visible);
        self.last_visible = visible_at;
        Event { at, visible_at, resource, version: *v, kind }
    }
}

impl Iterator for Generator<'_> {
    type Item = Event;

    fn next(&mut self) -> Option<Event> {
        if let Some(trace) = &self.ev.trace {
            // A recorded trace: its times, its resources (or uniformly chosen ones).
            loop {
                let row = trace.rows.get(self.row).filter(|r| r.at < self.duration)?;
                self.row += 1;
                let (at, chosen, recorded) = (row.at, row.resource, row.kind);
                let resource =
                    chosen.unwrap_or_else(|| self.rng.below(self.ev.resources)).min(self.ev.resources - 1);
                // A trace that names its types gives each row's; else it is drawn.
                let (kind, emitted) = if trace.types.is_empty() {
                    self.kind()
                } else {
                    (recorded, self.interest.emitted(recorded))
                };
                if emitted {
                    return Some(self.make(at, resource, kind));
                }
            }
        }
        loop {
            let &(_, end, rate) = self.segments.get(self.segment)?;
            if rate > 0.0 {
                self.t += self.rng.exponential(SECOND as f64 / rate);
                if self.t < end as f64 {
                    let resource = self.rng.below(self.ev.resources);
                    let (kind, emitted) = self.kind();
                    if emitted {
                        return Some(self.make(self.t as Micros, resource, kind));
                    }
                    continue;
                }
            }
            self.segment += 1;
            self.t = self.segments.get(self.segment).map_or(0.0, |s| s.0 as f64);
        }
    }
}

/// A window's storage is compacted once this many of its events (and half of them) are retired:
/// it then stays within about twice the backlog, in memory already touched, instead of growing
/// with the run (a day of `payments` grew each row's log to 4,096 events, reallocated and
/// faulted in afresh by every row). Moving the live half costs each event one copy on average.
const COMPACT_AT: usize = 256;

/// The log's per-resource index: the whole stream's (binary searched), or, for a window,
/// links between a resource's neighbouring events.
#[derive(Debug, Clone)]
enum Index {
    /// `res_events[res_start[r]..res_start[r + 1]]` are resource r's events in order.
    Whole { res_start: Vec<u32>, res_events: Vec<u32> },
    /// Per retained event: its resource's previous event and when its next one happened
    /// (`Micros::MAX`: not yet); per resource: its latest event, and its latest retired one
    /// with that one's version.
    Window { prev: Vec<u32>, next_at: Vec<Micros>, last: Vec<u32>, retired: Vec<(u32, u32)> },
}

/// The events of a run, in time order, with a per-resource index: all of them, or a window.
#[derive(Debug, Clone)]
pub struct EventLog {
    /// Events `base..base + events.len()`; those below `floor` are retired.
    events: Vec<Event>,
    base: u32,
    floor: u32,
    index: Index,
    states: usize,
    resources: u32,
    /// Events retired past but still held elsewhere (parked awaiting a webhook attempt).
    parked: usize,
    /// The most events held at once, parked ones included.
    peak: usize,
    /// Which event types are wanted (the default: every one).
    interest: Interest,
    /// Events so far of a type nobody wants (fetched by pollers, never delivered, not counted).
    unwanted: u64,
}

impl EventLog {
    /// Generates the whole arrival stream of a run: `params` is a [`SourceParams`] or anything
    /// that converts into one, such as a `&Scenario`.
    pub fn generate<'a>(params: impl Into<SourceParams<'a>>) -> EventLog {
        let gen = Generator::new(params);
        let (resources, states) = gen.shape();
        let interest = gen.interest().clone();
        let mut events = Vec::with_capacity(gen.expected());
        events.extend(gen);
        Self::from_events(events, resources, states).wanting(interest)
    }

    /// The log with `interest` saying which event types are wanted.
    pub fn wanting(mut self, interest: Interest) -> EventLog {
        self.interest = interest;
        self.unwanted = self.events.iter().filter(|e| !self.interest.wanted(e.kind)).count() as u64;
        self
    }

    /// Whether `id` is a held event of a type nobody wants (false for a retired one). While no
    /// such event has been drawn at all, none is held: the check costs nothing then.
    #[inline]
    pub fn unwanted_id(&self, id: u32) -> bool {
        self.unwanted != 0 && self.try_get(id).is_some_and(|e| !self.interest.wanted(e.kind))
    }

    /// How many events so far are of a type nobody wants.
    pub fn unwanted(&self) -> u64 {
        self.unwanted
    }

    /// How many events `params`' stream holds, drawn without keeping them.
    pub fn count<'a>(params: impl Into<SourceParams<'a>>) -> u64 {
        Generator::new(params).count() as u64
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
        let peak = events.len();
        EventLog {
            events,
            base: 0,
            floor: 0,
            index: Index::Whole { res_start, res_events },
            states: states.max(1),
            resources,
            parked: 0,
            peak,
            interest: Interest::default(),
            unwanted: 0,
        }
    }

    /// An empty window over a stream of `resources` resources and `states` states: events are
    /// appended with [`EventLog::push`] and retired with [`EventLog::retire`].
    pub fn window(resources: u32, states: usize) -> EventLog {
        let r = resources as usize;
        EventLog {
            events: Vec::new(),
            base: 0,
            floor: 0,
            index: Index::Window {
                prev: Vec::new(),
                next_at: Vec::new(),
                last: vec![NONE; r],
                retired: vec![(NONE, 0); r],
            },
            states: states.max(1),
            resources,
            parked: 0,
            peak: 0,
            interest: Interest::default(),
            unwanted: 0,
        }
    }

    /// Appends the stream's next event to a window (a whole log ignores it).
    pub fn push(&mut self, e: Event) {
        let id = self.len() as u32;
        let Index::Window { prev, next_at, last, .. } = &mut self.index else { return };
        let before = std::mem::replace(&mut last[e.resource as usize], id);
        if before != NONE && before >= self.base {
            next_at[(before - self.base) as usize] = e.at;
        }
        prev.push(before);
        next_at.push(Micros::MAX);
        self.unwanted += u64::from(!self.interest.wanted(e.kind));
        self.events.push(e);
        self.peak = self.peak.max((id + 1 - self.floor) as usize + self.parked);
    }

    /// `n` events below the floor are still held elsewhere (parked until a webhook attempt
    /// settles them): they count toward [`EventLog::peak_retained`].
    pub fn hold_parked(&mut self, n: usize) {
        self.parked = n;
        self.peak = self.peak.max(self.len() - self.floor as usize + n);
    }

    /// Retires a window's events below `floor`: nothing may ask about them again except as
    /// their resource's latest retired state. Storage is compacted once half of it (and at least
    /// [`COMPACT_AT`] events) is retired.
    pub fn retire(&mut self, floor: u32) {
        let Index::Window { prev, next_at, retired, .. } = &mut self.index else { return };
        let floor = floor.min(self.base + self.events.len() as u32);
        for id in self.floor..floor {
            let e = self.events[(id - self.base) as usize];
            retired[e.resource as usize] = (id, e.version);
        }
        self.floor = self.floor.max(floor);
        let dead = (self.floor - self.base) as usize;
        if dead >= COMPACT_AT && dead * 2 >= self.events.len() {
            self.events.drain(..dead);
            prev.drain(..dead);
            next_at.drain(..dead);
            self.base = self.floor;
        }
    }

    /// The lowest id still held (0 for a whole log).
    pub fn floor(&self) -> u32 {
        self.floor
    }

    /// The most events held at once, parked ones included.
    pub fn peak_retained(&self) -> usize {
        self.peak
    }

    /// The events held, from [`EventLog::floor`] on.
    pub fn events(&self) -> &[Event] {
        &self.events[(self.floor - self.base) as usize..]
    }

    /// Event by id (held: at or above the floor).
    #[inline]
    pub fn get(&self, id: u32) -> &Event {
        &self.events[(id - self.base) as usize]
    }

    /// Event by id, if it is held (`None` past the last one or below the floor).
    #[inline]
    pub fn try_get(&self, id: u32) -> Option<&Event> {
        id.checked_sub(self.floor).and_then(|_| self.events.get((id - self.base) as usize))
    }

    /// Number of events so far (retired or not): the next event's id.
    pub fn len(&self) -> usize {
        self.base as usize + self.events.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Number of resources.
    pub fn resources(&self) -> u32 {
        self.resources
    }

    /// The state index an event moved its resource to.
    pub fn state_of(&self, id: u32) -> usize {
        (self.get(id).version as usize - 1) % self.states
    }

    /// How many events the API shows at `now`: they are ids `0..n` (visibility keeps order;
    /// retired events were all visible).
    #[inline]
    pub fn visible_count(&self, now: Micros) -> u32 {
        self.floor + self.events().partition_point(|e| e.visible_at <= now) as u32
    }

    /// Whether event `id` exists and is visible at `now`.
    pub fn visible(&self, id: u32, now: Micros) -> bool {
        id < self.floor || self.try_get(id).is_some_and(|e| e.visible_at <= now)
    }

    /// Resource `r`'s events, in order (a whole log only; a window has none).
    pub fn resource_events(&self, r: u32) -> &[u32] {
        match &self.index {
            Index::Whole { res_start, res_events } => {
                let (a, b) = (res_start[r as usize], res_start[r as usize + 1]);
                &res_events[a as usize..b as usize]
            }
            Index::Window { .. } => &[],
        }
    }

    /// Resource `r` as the API shows it at `now`: its latest visible event, if any.
    pub fn resource_latest(&self, r: u32, now: Micros) -> Option<u32> {
        self.resource_state(r, now).map(|(id, _)| id)
    }

    /// Resource `r` as the API shows it at `now`: its latest visible event and that event's
    /// version, if any.
    #[inline(always)]
    pub fn resource_state(&self, r: u32, now: Micros) -> Option<(u32, u32)> {
        match &self.index {
            Index::Whole { .. } => {
                let evs = self.resource_events(r);
                let n = evs.partition_point(|&i| self.get(i).visible_at <= now);
                n.checked_sub(1).map(|k| (evs[k], self.get(evs[k]).version))
            }
            Index::Window { prev, last, retired, .. } => {
                let mut id = last[r as usize];
                while id != NONE && id >= self.floor {
                    let e = self.get(id);
                    if e.visible_at <= now {
                        return Some((id, e.version));
                    }
                    id = prev[(id - self.base) as usize];
                }
                let (id, version) = retired[r as usize];
                (id != NONE).then_some((id, version))
            }
        }
    }

    /// Calls `f` with each held event of resource `resource` whose version is strictly between
    /// `seen` and `below`, newest first (older ones that are retired are left out).
    pub fn versions_between(&self, resource: u32, seen: u32, below: u32, mut f: impl FnMut(u32)) {
        match &self.index {
            Index::Whole { .. } => {
                let evs = self.resource_events(resource);
                for v in (seen + 1..below).rev() {
                    if let Some(&id) = evs.get(v as usize - 1) {
                        f(id);
                    }
                }
            }
            Index::Window { prev, last, .. } => {
                let mut id = last[resource as usize];
                while id != NONE && id >= self.floor {
                    let v = self.get(id).version;
                    if v <= seen {
                        break;
                    }
                    if v < below {
                        f(id);
                    }
                    id = prev[(id - self.base) as usize];
                }
            }
        }
    }

    /// Whether a later event of the same resource has happened by `now`.
    pub fn superseded(&self, id: u32, now: Micros) -> bool {
        match &self.index {
            Index::Whole { .. } => {
                let e = self.get(id);
                let evs = self.resource_events(e.resource);
                let k = e.version as usize; // index of the next event of this resource
                evs.get(k).is_some_and(|&n| self.get(n).at <= now)
            }
            Index::Window { next_at, .. } => next_at[(id - self.base) as usize] <= now,
        }
    }

    /// Whether a later event of the same resource is visible at `now` (so the API no longer
    /// shows this one as its resource's state).
    pub fn superseded_visibly(&self, id: u32, now: Micros) -> bool {
        let e = self.get(id);
        self.resource_state(e.resource, now).is_some_and(|(_, v)| v > e.version)
    }
}

/// A row's own copy of the stream, drawn as virtual time reaches it into a window.
#[derive(Debug, Clone)]
pub struct Source<'a> {
    gen: Generator<'a>,
    /// The window of events held.
    pub log: EventLog,
    /// The time of the last event drawn (`None` once the stream is exhausted).
    horizon: Option<Micros>,
}

impl<'a> Source<'a> {
    /// The stream of `params`, with its first event drawn.
    pub fn new(params: impl Into<SourceParams<'a>>) -> Self {
        let gen = Generator::new(params);
        let (resources, states) = gen.shape();
        let log = EventLog::window(resources, states).wanting(gen.interest().clone());
        let mut s = Source { gen, log, horizon: Some(0) };
        s.draw();
        s
    }

    fn draw(&mut self) {
        match self.gen.next() {
            Some(e) => {
                self.horizon = Some(e.at);
                self.log.push(e);
            }
            None => self.horizon = None,
        }
    }

    /// Draws until every event that happened by `now` is held, and the one after it too (so
    /// the next arrival, and the event after any visible one, are known).
    #[inline]
    pub fn reach(&mut self, now: Micros) {
        if self.horizon.is_some_and(|h| h <= now) {
            self.draw_until(now);
        }
    }

    /// [`Source::reach`]'s drawing, a loop compiled on its own: the generator's work is then laid
    /// out with the loop that waits on it, not wherever the sim's step loop inlined it (with
    /// link-time optimisation, a day of polling every second ran 7% slower inlined).
    #[inline(never)]
    fn draw_until(&mut self, now: Micros) {
        while self.horizon.is_some_and(|h| h <= now) {
            self.draw();
        }
    }
}

#[cfg(test)]
mod tests;
