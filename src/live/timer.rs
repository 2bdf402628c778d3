//! A precise timer for the live engine: one thread that wakes waiters within a fraction of a
//! millisecond.
//!
//! Tokio's timer wheel has a resolution of 1 ms, and with time compressed 100× that is 100 ms
//! of scenario time on every wait: enough to bend the latencies the live engine exists to check.
//! This module owns a single OS thread with a heap of deadlines that waits on a condition
//! variable (futex precision, tens of microseconds) and completes a oneshot per waiter. It never
//! runs user code on its thread: waking a waiter is a channel send.

use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::sync::{Condvar, Mutex, OnceLock};
use std::time::{Duration, Instant};

use tokio::sync::oneshot;

struct Entry {
    when: Instant,
    seq: u64,
    tx: oneshot::Sender<()>,
}

impl PartialEq for Entry {
    fn eq(&self, o: &Self) -> bool {
        (self.when, self.seq) == (o.when, o.seq)
    }
}
impl Eq for Entry {}
impl PartialOrd for Entry {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Entry {
    fn cmp(&self, o: &Self) -> Ordering {
        (o.when, o.seq).cmp(&(self.when, self.seq))
    }
}

struct Timer {
    queue: Mutex<(BinaryHeap<Entry>, u64)>,
    cv: Condvar,
}

fn timer() -> &'static Timer {
    static TIMER: OnceLock<&'static Timer> = OnceLock::new();
    TIMER.get_or_init(|| {
        let t: &'static Timer =
            Box::leak(Box::new(Timer { queue: Mutex::new((BinaryHeap::new(), 0)), cv: Condvar::new() }));
        let spawned = std::thread::Builder::new().name("hookbench-timer".into()).spawn(move || run(t));
        if spawned.is_err() {
            // Without the thread every wait falls back to tokio's timer (see `sleep_until`).
            t.queue.lock().unwrap_or_else(|p| p.into_inner()).1 = u64::MAX;
        }
        t
    })
}

fn run(t: &'static Timer) {
    let mut g = t.queue.lock().unwrap_or_else(|p| p.into_inner());
    loop {
        let now = Instant::now();
        while g.0.peek().is_some_and(|e| e.when <= now) {
            if let Some(e) = g.0.pop() {
                let _ = e.tx.send(());
            }
        }
        g = match g.0.peek().map(|e| e.when) {
            None => t.cv.wait(g).unwrap_or_else(|p| p.into_inner()),
            Some(when) => t.cv.wait_timeout(g, when - now).unwrap_or_else(|p| p.into_inner()).0,
        };
    }
}

/// Waits until `when`, precisely.
pub async fn sleep_until(when: Instant) {
    if when <= Instant::now() {
        return;
    }
    let t = timer();
    let (tx, rx) = oneshot::channel();
    let queued = {
        let mut g = t.queue.lock().unwrap_or_else(|p| p.into_inner());
        if g.1 == u64::MAX {
            false
        } else {
            g.1 += 1;
            let seq = g.1;
            let earliest = g.0.peek().is_none_or(|e| when < e.when);
            g.0.push(Entry { when, seq, tx });
            if earliest {
                t.cv.notify_one();
            }
            true
        }
    };
    if queued {
        let _ = rx.await;
    } else {
        tokio::time::sleep_until(tokio::time::Instant::from_std(when)).await;
    }
}

/// Waits for `d`, precisely.
pub async fn sleep(d: Duration) {
    sleep_until(Instant::now() + d).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn wakes_in_order_and_close_to_the_deadline() {
        let start = Instant::now();
        let mut lateness = Vec::new();
        for ms in [3u64, 1, 2, 0] {
            let when = start + Duration::from_millis(ms) + Duration::from_micros(300);
            sleep_until(when).await;
            lateness.push(Instant::now().saturating_duration_since(when));
        }
        lateness.sort();
        // Typically tens of microseconds; generous bound for a loaded CI machine.
        assert!(lateness[1] < Duration::from_millis(5), "{lateness:?}");
    }
}
