//! A precise timer for the live engine: one thread that wakes waiters within a fraction of a
//! millisecond.
//!
//! Tokio's timer wheel has a resolution of 1 ms, and with time compressed 100× that is 100 ms
//! of scenario time on every wait: enough to bend the latencies the live engine exists to check.
//! This module owns a single OS thread with a heap of deadlines that waits on a condition
//! variable (futex precision: about 0.1 ms of wall time at worst, as the live header says) and
//! completes a oneshot per waiter. It never runs user code on its thread: waking a waiter is a
//! channel send.
//!
//! A waiter is woken [`LEAD`] before its deadline and spins the rest on its own worker: a parked
//! tokio worker takes tens of microseconds to be woken (more on a virtual machine), and the
//! deadline then finds the waiting task already running instead of waiting for its thread. The
//! timer thread itself never spins, and the waiters' spinning is capped at a small share of one
//! core.

use std::sync::{Condvar, Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

use tokio::sync::oneshot;

use crate::support::queue::TimedQueue;

struct Waiters {
    queue: TimedQueue<Instant, oneshot::Sender<()>>,
    /// When the timer thread looks at the queue next of its own accord (`None`: only when told):
    /// a waiter due no earlier needs no futex wake-up to be seen in time.
    looks_at: Option<Instant>,
    /// The timer thread could not be started: every wait falls back to tokio's timer.
    disabled: bool,
}

struct Timer {
    waiters: Mutex<Waiters>,
    cv: Condvar,
    /// The waiters' spinning budget (the timer thread itself never spins).
    spin: Mutex<Budget>,
}

impl Timer {
    fn lock(&self) -> MutexGuard<'_, Waiters> {
        lock(&self.waiters)
    }
}

fn timer() -> &'static Timer {
    static TIMER: OnceLock<&'static Timer> = OnceLock::new();
    TIMER.get_or_init(|| {
        let waiters = Waiters { queue: TimedQueue::default(), looks_at: None, disabled: false };
        let t: &'static Timer = Box::leak(Box::new(Timer {
            waiters: Mutex::new(waiters),
            cv: Condvar::new(),
            spin: Mutex::new(Budget::new()),
        }));
        let spawned = std::thread::Builder::new().name("hookbench-timer".into()).spawn(move || run(t));
        if spawned.is_err() {
            t.lock().disabled = true;
        }
        t
    })
}

/// How long before its deadline a waiter is woken, to spin the rest on its own thread: more than
/// the thread oversleeps (the kernel's timer, then the scheduler: tens of microseconds) plus the
/// time a parked tokio worker takes to be woken (tens more on a virtual machine). A waiter woken
/// later than that is late by the difference, as every waiter was before.
pub const LEAD: Duration = Duration::from_micros(150);
/// At most this share of one core is spent by waiters spinning to their deadlines (per
/// [`SPIN_WINDOW`]); past it a waiter is woken at its deadline instead, so dense deadlines never
/// cost a core.
const SPIN_SHARE: f64 = 0.05;
const SPIN_WINDOW: Duration = Duration::from_millis(100);
/// After waking waiters, the thread looks at its queue again this much later even if it is empty:
/// a woken waiter commonly asks for its next deadline at once, and one due after this look is
/// queued without waking the thread (a futex wake-up on the waiter's path, and often a context
/// switch: tens of microseconds on a virtual machine).
const LOOK_AGAIN: Duration = Duration::from_micros(500);

/// The spinning budget of the current window.
struct Budget {
    start: Instant,
    spun: Duration,
}

impl Budget {
    fn new() -> Self {
        Budget { start: Instant::now(), spun: Duration::ZERO }
    }

    /// Reserves `d` of spinning now, if the window has room for all of it.
    fn take(&mut self, now: Instant, d: Duration) -> bool {
        if now.duration_since(self.start) >= SPIN_WINDOW {
            *self = Budget { start: now, spun: Duration::ZERO };
        }
        let ok = self.spun + d <= SPIN_WINDOW.mul_f64(SPIN_SHARE);
        if ok {
            self.spun += d;
        }
        ok
    }
}

fn run(t: &'static Timer) {
    precise_wakeups();
    let mut g = t.lock();
    loop {
        let now = Instant::now();
        let mut woke = false;
        while g.queue.peek_at().is_some_and(|when| when <= now) {
            if let Some((_, tx)) = g.queue.pop() {
                woke |= tx.send(()).is_ok();
            }
        }
        let look = match g.queue.peek_at() {
            Some(when) => Some(when - now),
            None if woke => Some(LOOK_AGAIN),
            None => None,
        };
        g.looks_at = look.map(|d| now + d);
        g = match look {
            Some(d) => t.cv.wait_timeout(g, d).unwrap_or_else(|p| p.into_inner()).0,
            None => t.cv.wait(g).unwrap_or_else(|p| p.into_inner()),
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

/// Waits until `when`, precisely: woken [`LEAD`] early by the timer thread, then spinning to
/// the deadline when the budget allows (else woken at the deadline itself).
pub async fn sleep_until(when: Instant) {
    let now = Instant::now();
    if when <= now {
        return;
    }
    if let Some(early) = when.checked_sub(LEAD).filter(|e| *e > now) {
        wait(early).await;
    }
    let now = Instant::now();
    if when <= now {
        return;
    }
    if lock(&timer().spin).take(now, when - now) {
        // On its own worker, for at most `LEAD`: the deadline finds this task running.
        while Instant::now() < when {
            std::hint::spin_loop();
        }
    } else {
        wait(when).await;
    }
}

/// `m`'s guard (a waiter that panicked while holding it left nothing half-done).
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Whether a deadline `when` would pass before the thread looks at its queue of its own accord
/// (at `looks_at`; `None`: only when told), so that queueing it must wake the thread.
fn unseen(looks_at: Option<Instant>, when: Instant) -> bool {
    looks_at.is_none_or(|look| when < look)
}

/// Waits until the timer thread passes `when`.
async fn wait(when: Instant) {
    let t = timer();
    let (tx, rx) = oneshot::channel();
    let queued = {
        let mut g = t.lock();
        if g.disabled {
            false
        } else {
            let unseen = unseen(g.looks_at, when);
            g.queue.push(when, tx);
            if unseen {
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

    #[test]
    fn a_deadline_the_thread_will_look_at_in_time_does_not_wake_it() {
        let now = Instant::now();
        let look = now + Duration::from_millis(1);
        assert!(unseen(None, now + Duration::from_secs(1)), "a thread waiting to be told is told");
        assert!(unseen(Some(look), look - Duration::from_micros(1)), "one due before the look wakes it");
        assert!(!unseen(Some(look), look), "one due at the look is seen then");
        assert!(!unseen(Some(look), look + Duration::from_secs(1)));
    }

    #[test]
    fn spinning_is_capped_per_window_and_the_cap_renews() {
        let start = Instant::now();
        let mut b = Budget { start, spun: Duration::ZERO };
        let cap = SPIN_WINDOW.mul_f64(SPIN_SHARE);
        assert!(b.take(start, LEAD));
        // Reserving the rest of the cap succeeds; one more microsecond does not.
        assert!(b.take(start, cap - LEAD));
        assert!(!b.take(start, Duration::from_micros(1)), "spinning past the cap");
        assert_eq!(b.spun, cap, "a refused reservation takes nothing");
        // The next window starts empty.
        assert!(b.take(start + SPIN_WINDOW, cap));
        assert!(!b.take(start + SPIN_WINDOW, Duration::from_micros(1)));
    }

    #[tokio::test]
    async fn a_waiter_past_the_budget_still_wakes_in_order_and_never_early() {
        // With the whole window's spinning taken, every waiter waits for the thread instead.
        *lock(&timer().spin) = Budget { start: Instant::now(), spun: Duration::from_secs(3600) };
        let base = Instant::now() + Duration::from_millis(20);
        let mut waiters = Vec::new();
        for k in [2u64, 0, 1] {
            let when = base + Duration::from_millis(5 * k);
            waiters.push(tokio::spawn(async move {
                sleep_until(when).await;
                (k, Instant::now() >= when)
            }));
        }
        let mut woke = Vec::new();
        for w in waiters {
            let (k, on_time) = w.await.expect("waiter");
            assert!(on_time, "waiter {k} woke before its deadline");
            woke.push(k);
        }
        lock(&timer().spin).spun = Duration::ZERO;
        assert_eq!(woke, [2, 0, 1], "each waiter's own result");
    }

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
