//! A work pool over all cores for independent simulation jobs: rows, replications, sweep points.
//!
//! Owns scheduling only. Workers take the next job index from one atomic counter, so a slow row
//! never leaves a core idle behind a static split; each result is put back at its job's index,
//! so the output is the same, byte for byte, for any number of workers. Jobs share nothing
//! mutable: each builds its own books, merged by the caller in job order.

use std::sync::atomic::{AtomicUsize, Ordering};

/// Workers to use when nothing says otherwise: every core.
pub fn default_jobs() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// Runs `f` on every item with up to `workers` threads; results in item order. A job whose
/// worker panicked is `None`.
pub fn map<T: Sync, R: Send>(items: &[T], workers: usize, f: impl Fn(&T) -> R + Sync) -> Vec<Option<R>> {
    let workers = workers.clamp(1, items.len().max(1));
    let mut out: Vec<Option<R>> = (0..items.len()).map(|_| None).collect();
    if workers == 1 {
        for (slot, item) in out.iter_mut().zip(items) {
            *slot = Some(f(item));
        }
        return out;
    }
    let next = AtomicUsize::new(0);
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                scope.spawn(|| {
                    let mut done = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(item) = items.get(i) else { break };
                        done.push((i, f(item)));
                    }
                    done
                })
            })
            .collect();
        for h in handles {
            if let Ok(done) = h.join() {
                for (i, r) in done {
                    out[i] = Some(r);
                }
            }
        }
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_keep_item_order_for_any_worker_count() {
        let items: Vec<u64> = (0..57).collect();
        let want: Vec<Option<u64>> = items.iter().map(|x| Some(x * x)).collect();
        for w in [1, 2, 3, 8, 100] {
            assert_eq!(map(&items, w, |x| x * x), want, "{w} workers");
        }
        assert!(map(&[] as &[u64], 4, |x| *x).is_empty());
    }
}
