//! Retirement: the row lets go of the events it can no longer be asked about.
//!
//! Owns [`Row::retire`] and the folding of a retired event's processing time into the row's
//! histogram. An event retires once it is visible, settled in the recorder (or out of the
//! strategy's reach — and, for a row that reads resource states, with a newer state of its
//! resource on show and no answer in flight), not pending at the emitter, and processed; retirement goes oldest first and stops at the first event still needed, so the
//! window is the row's backlog. Nothing retired is ever asked about again, so results do not
//! depend on when retirement runs. No sockets, no clock.

use std::collections::VecDeque;

use super::{Outbox, Row};
use crate::metrics::Processed;
use crate::model::emitter::DeliveryState;
use crate::model::source::EventLog;
use crate::units::Micros;

impl Row {
    /// Retires, oldest first, the events the row can no longer be asked about at `now`, up to
    /// the first it may still need: the log, the recorder, the emitter and the processing times
    /// drop them, their books folded into counts (a retired undetected event is missed, as
    /// [`Row::finish`] would have found). Returns the new floor. Results do not depend on when
    /// this is called.
    pub fn retire(&mut self, log: &mut EventLog, outbox: Option<&mut Outbox>, now: Micros) -> u32 {
        let mut id = self.rec.offset();
        let end = log.len() as u32;
        while id < end {
            if log.get(id).visible_at > now {
                break;
            }
            if outbox.as_deref().is_some_and(|o| o.emitter.state(id) == DeliveryState::Pending) {
                break;
            }
            let processed = self.processed_at.front().copied().unwrap_or(Micros::MAX);
            if processed != Micros::MAX && processed > now {
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
            if let Some(at) = self.processed_at.pop_front() {
                if at != Micros::MAX {
                    fold_processed(&mut self.processed, at - log.get(id).at);
                }
            }
            self.rec.retire();
            id += 1;
        }
        log.retire(id);
        if let Some(o) = outbox {
            o.emitter.retire(id);
        }
        id
    }
}

/// Adds to `p` the processing latencies of held events (`offset..`) processed by `end`.
pub(super) fn add_processed(
    p: &mut Processed,
    log: &EventLog,
    offset: u32,
    processed_at: &VecDeque<Micros>,
    end: Micros,
) {
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
