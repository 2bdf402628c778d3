//! Retirement: the row lets go of the events it can no longer be asked about.
//!
//! Owns [`Row::retire`] and the folding of a retired event's processing time into the row's
//! histogram. An event retires once it is visible, settled in the recorder (or out of the
//! strategy's reach — and, for a row that reads resource states, with a newer state of its
//! resource on show and no answer in flight), not pending at the emitter, and processed;
//! retirement goes oldest first and stops at the first event still needed, so the window is the
//! row's backlog. One exception keeps a long retry from pinning every event behind it: in a row
//! that only takes fat webhooks (it never asks the API), an event waiting only on the emitter's
//! attempts or on a finite receiver's processing is parked — the emitter keeps its id, the
//! recorder its time, resource and version (all a later delivery reads), the row its processing
//! time — and the window moves past it. Nothing retired is ever asked about again except a parked event by its delivery, so
//! results do not depend on when retirement runs. No sockets, no clock.

use std::collections::{HashMap, VecDeque};

use super::{Outbox, Row};
use crate::model::emitter::DeliveryState;
use crate::model::source::EventLog;
use crate::scenario::Payload;
use crate::strategy::books::{Parked, Processed};
use crate::support::units::Micros;

impl Row {
    /// Retires, oldest first, the events the row can no longer be asked about at `now`, up to
    /// the first it may still need: the log, the recorder, the emitter and the processing times
    /// drop them, their books folded into counts (a retired undetected event is missed, as
    /// [`Row::finish`] would have found). Returns the new floor. Results do not depend on when
    /// this is called.
    pub fn retire(&mut self, log: &mut EventLog, outbox: Option<&mut Outbox>, now: Micros) -> u32 {
        let mut id = self.rec.offset();
        let end = log.len() as u32;
        let may_park = self.may_park();
        while id < end {
            if log.get(id).visible_at > now {
                break;
            }
            let pending = outbox.as_deref().is_some_and(|o| o.emitter.state(id) == DeliveryState::Pending);
            let processed = self.processed_at.front().copied().unwrap_or(Micros::MAX);
            let working = processed != Micros::MAX && processed > now;
            // Parked only once the emitter has heard of it (its arrival is handled) and it has
            // waited longer than a first attempt takes: a delivery on time costs no map entry.
            if (pending || working)
                && !(may_park
                    && outbox.as_deref().is_some_and(|o| o.emitter.heard(id))
                    && now - log.get(id).at > self.park_after)
            {
                break;
            }
            // An undetected event retires once nothing can reach it. Only a resource's state can
            // show an event the strategy has passed by: while it is still its resource's latest,
            // or while an answer that may carry it is on its way.
            if !self.rec.is_settled(id)
                && (self.strategy.can_still_detect(id, log.superseded(id, now))
                    || (self.reads_resources && (self.outstanding > 0 || !log.superseded_visibly(id, now))))
            {
                break;
            }
            let happened = log.get(id).at;
            match self.processed_at.pop_front().unwrap_or(Micros::MAX) {
                // Never processed, and no attempt left to do it (or no finite pool to).
                Micros::MAX if !pending || self.workers.is_none() => {}
                at if at <= now => fold_processed(&mut self.processed, at - happened),
                // Processing under way, or an attempt ahead that may start it: parked.
                at => {
                    self.parked_work.insert(id, (happened, at));
                }
            }
            if pending && !self.rec.is_settled(id) {
                let e = log.get(id);
                self.rec.park(Parked { at: e.at, resource: e.resource, version: e.version });
            } else {
                self.rec.retire();
            }
            id += 1;
        }
        log.retire(id);
        if let Some(o) = outbox {
            o.emitter.retire(id);
            if self.rec.parked() > 0 {
                // A parked event whose delivery was dead-lettered is missed for good.
                self.rec.drop_parked(|p| o.emitter.state(p) == DeliveryState::Pending);
            }
            if !self.parked_work.is_empty() {
                // Processing done is folded; an event never processed and no longer pending
                // never will be.
                let Row { parked_work, processed, .. } = self;
                parked_work.retain(|&p, &mut (happened, at)| match at {
                    Micros::MAX => o.emitter.state(p) == DeliveryState::Pending,
                    at if at <= now => {
                        fold_processed(processed, at - happened);
                        false
                    }
                    _ => true,
                });
            }
            // Counted twice when both wait on one event: an upper bound on the events held.
            log.hold_parked(o.emitter.parked() + self.parked_work.len());
        }
        id
    }

    /// When event `id` was first processed: held (growing the window up to it) or parked.
    pub(super) fn processed_slot(&mut self, id: u32) -> Option<&mut Micros> {
        let Some(i) = id.checked_sub(self.rec.offset()) else {
            return self.parked_work.get_mut(&id).map(|w| &mut w.1);
        };
        let i = i as usize;
        if i >= self.processed_at.len() {
            self.processed_at.resize(i + 1, Micros::MAX);
        }
        self.processed_at.get_mut(i)
    }

    /// Whether an event waiting only on the emitter or on the receiver's processing may be
    /// parked: the row takes fat webhooks and has never asked the API, so nothing but a
    /// delivery can reach a retired event.
    fn may_park(&self) -> bool {
        self.subscription == Some(Payload::Fat) && !self.asks_api
    }
}

/// Adds to `p` the processing latencies of held events (`offset..`) and of parked ones
/// (`parked_work`: event time, processed) processed by `end`.
pub(super) fn add_processed(
    p: &mut Processed,
    log: &EventLog,
    offset: u32,
    processed_at: &VecDeque<Micros>,
    parked_work: &HashMap<u32, (Micros, Micros)>,
    end: Micros,
) {
    for &(happened, at) in parked_work.values() {
        if at <= end {
            fold_processed(p, at - happened);
        }
    }
    for (id, &at) in (offset..).zip(processed_at) {
        if at <= end {
            fold_processed(p, at - log.get(id).at);
        }
    }
}

/// Records one processing latency.
pub(super) fn fold_processed(p: &mut Processed, lat: Micros) {
    let _ = p.hist.record(lat);
    p.sum_us += u128::from(lat);
    p.max_us = p.max_us.max(lat);
    p.count += 1;
}
