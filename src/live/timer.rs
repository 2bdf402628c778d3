//! A precise timer for the live engine: one thread that wakes waiters within a fraction of a
//! millisecond.
//!
//! Tokio's timer wheel has a resolution of 1 ms, and with time compressed 100× that is 100 ms
//! of scenario time on every wait: enough to bend the latencies the live engine exists to check.
//! This module owns a single OS thread with a heap of deadlines that waits on a condition
//! variable (futex precision: about 0.1 ms of wall time at worst, as the live header says) and
//! completes a oneshot per waiter. It never runs user code on its thread: waking a waiter is a
//! channel send.

use std::sync::{Condvar, Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

use tokio::sync::oneshot;

use crate::support::queue::TimedQueue;

struct Waiters {
    queue: TimedQueue<Instant, oneshot::Sender<()>>,
    /// The timer thread could not be started: every wait falls back to tokio's timer.
    disabled: bool,
}

struct Timer {
    waiters: Mutex<Waiters>,
    cv: Condvar,
}

impl Timer {
    fn lock(&self) -> MutexGuard<'_, Waiters> {
        self.waiters.lock().unwrap_or_else(|p| p.into_inner())
    }
}

fn timer() -> &'static Timer {
    static TIMER: OnceLock<&'static Timer> = OnceLock::new();
    TIMER.get_or_init(|| {
        let waiters = Waiters { queue: TimedQueue::default(), disabled: false };
        let t: &'static Timer =
            Box::leak(Box::new(Timer { waiters: Mutex::new(waiters), cv: Condvar::new() }));
        let spawned = std::thread::Builder::new().name("hookbench-timer".into()).spawn(move || run(t));
        if spawned.is_err() {
            t.lock().disabled = true;
        }
        t
    })
}

/// How long before a deadline the thread stops sleeping and spins: a sleeping thread wakes tens
/// of microseconds late (the kernel's timer, then the scheduler), a spinning one on time.
const SPIN: Duration = Duration::from_micros(150);
/// At most this share of the thread's time is spent spinning (per [`SPIN_WINDOW`]); past it the
/// thread only sleeps, so dense deadlines never cost a core.
const SPIN_SHARE: f64 = 0.05;
const SPIN_WINDOW: Duration = Duration::from_millis(100);

/// The spinning budget of the current window.
struct Budget {
    start: Instant,
    spun: Duration,
}

impl Budget {
    fn allows(&mut self, now: Instant) -> bool {
        if now.duration_since(self.start) >= SPIN_WINDOW {
            *self = Budget { start: now, spun: Duration::ZERO };
        }
        self.spun < SPIN_WINDOW.mul_f64(SPIN_SHARE)
    }
}

fn run(t: &'static Timer) {
    precise_wakeups();
    let mut budget = Budget { start: Instant::now(), spun: Duration::ZERO };
    let mut g = t.lock();
    loop {
        let now = Instant::now();
        while g.queue.peek_at().is_some_and(|when| when <= now) {
            if let Some((_, tx)) = g.queue.pop() {
                let _ = tx.send(());
            }
        }
        g = match g.queue.peek_at() {
            None => t.cv.wait(g).unwrap_or_else(|p| p.into_inner()),
            Some(when) => {
                let left = when - now;
                if left > SPIN {
                    t.cv.wait_timeout(g, left - SPIN).unwrap_or_else(|p| p.into_inner()).0
                } else if !budget.allows(now) {
                    t.cv.wait_timeout(g, left).unwrap_or_else(|p| p.into_inner()).0
                } else {
                    // Spin to the deadline with the lock released, so waiters can still queue;
                    // one that queues an earlier deadline ends the spin at its own.
                    drop(g);
                    loop {
                        let at = Instant::now();
                        let earlier = t
                            .waiters
                            .try_lock()
                            .ok()
                            .and_then(|w| w.queue.peek_at())
                            .is_some_and(|e| e <= at);
                        if at >= when || earlier {
                            budget.spun += at.duration_since(now);
                            break;
                        }
                        std::hint::spin_loop();
                    }
                    t.lock()
                }
            }
        };
    }
}

/// Asks the kernel to wake this thread at its deadlines, not up to 50 µs after them (the default
/// timer slack, which batches the wake-ups of ordinary threads).
#[cfg(target_os = "linux")]
fn precise_wakeups() {
    // SAFETY: PR_SET_TIMERSLACK takes a number of nanoseconds and changes only the calling
    // thread's slack; nothing is read or written through a pointer.
    unsafe {
        libc::prctl(libc::PR_SET_TIMERSLACK, 1 as libc::c_ulong);
    }
}

#[cfg(not(target_os = "linux"))]
fn precise_wakeups() {}

/// Waits until `when`, precisely.
pub async fn sleep_until(when: Instant) {
    if when <= Instant::now() {
        return;
    }
    let t = timer();
    let (tx, rx) = oneshot::channel();
    let queued = {
        let mut g = t.lock();
        if g.disabled {
            false
        } else {
            let earliest = g.queue.peek_at().is_none_or(|first| when < first);
            g.queue.push(when, tx);
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
    async fn wakes_waiters_in_deadline_order_and_never_early() {
        // Order and "not before the deadline" only: how late a wake-up is depends on the
        // machine's load, and the tests assert no wall-clock time.
        let base = Instant::now() + Duration::from_millis(50);
        let done = std::sync::Arc::new(Mutex::new(Vec::new()));
        let mut waiters = Vec::new();
        for k in [3u64, 1, 4, 0, 2] {
            let when = base + Duration::from_millis(10 * k);
            let done = done.clone();
            waiters.push(tokio::spawn(async move {
                sleep_until(when).await;
                assert!(Instant::now() >= when, "woke before its deadline");
                done.lock().unwrap_or_else(|p| p.into_inner()).push(k);
            }));
        }
        for w in waiters {
            w.await.expect("waiter");
        }
        assert_eq!(*done.lock().unwrap_or_else(|p| p.into_inner()), [0, 1, 2, 3, 4]);
    }
}
