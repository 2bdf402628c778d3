//! The process's allocator settings: freed memory stays with the process for the next run to use.
//!
//! A sim row builds its books, its event window and its queue, grows them as the run needs, and
//! frees them when it ends; the next row (or replication) on the same thread builds them again.
//! With glibc's defaults the free space at the top of the heap is handed back to the kernel once
//! it passes a threshold that starts at 128 KiB, and a block past the mmap threshold (also
//! 128 KiB at first) is unmapped when freed. The next row then takes every page again from the
//! kernel, one page fault each: 2,297 faults against 931 with the settings below over three
//! replications of the flash sale's six rows (`perf stat -e page-faults hookbench compare -s
//! flash-sale --jobs 1 --replications 3`), about 4% of the run's time.
//!
//! [`keep_freed_memory`] sets both thresholds once at start-up: the trim threshold to
//! [`TRIM_THRESHOLD`], the mmap threshold to [`MMAP_THRESHOLD`]. What is freed is reused before the
//! heap grows, so the peak does not rise (a day of `year-100s` with 10 s buckets peaks at 22.3 MB
//! against 24.3 MB); a process keeps up to [`TRIM_THRESHOLD`] of free heap instead of returning
//! it. Other platforms and allocators keep their own policies: the call does nothing there.

/// The free heap a process keeps before handing its top back to the kernel.
pub const TRIM_THRESHOLD: usize = 128 << 20;
/// Blocks this large or larger are mapped on their own and unmapped when freed. Above the blocks a
/// row grows and frees (its event window, queue and books), below the few large ones it keeps for
/// the whole run (a long run's timeline): 32 MiB, glibc's upper bound, took the faults down as
/// far but raised that peak by 3 MB.
pub const MMAP_THRESHOLD: usize = 1 << 20;

/// Keeps freed memory in the process for reuse (glibc on Linux; nothing elsewhere). Whether the
/// allocator took both settings.
pub fn keep_freed_memory() -> bool {
    imp::keep_freed_memory()
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
mod imp {
    use super::{MMAP_THRESHOLD, TRIM_THRESHOLD};

    pub fn keep_freed_memory() -> bool {
        let (Ok(trim), Ok(mmap)) =
            (libc::c_int::try_from(TRIM_THRESHOLD), libc::c_int::try_from(MMAP_THRESHOLD))
        else {
            return false;
        };
        // SAFETY: mallopt takes two integers and changes only the allocator's thresholds; glibc
        // applies it under the allocator's own lock, so it is safe with other threads running.
        unsafe {
            libc::mallopt(libc::M_TRIM_THRESHOLD, trim) == 1
                && libc::mallopt(libc::M_MMAP_THRESHOLD, mmap) == 1
        }
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
mod imp {
    pub fn keep_freed_memory() -> bool {
        false
    }
}

#[cfg(all(test, target_os = "linux", target_env = "gnu"))]
mod tests {
    use super::*;

    /// Minor page faults of the calling thread so far.
    fn faults() -> i64 {
        // SAFETY: getrusage writes one `rusage` into the struct it is given, and nothing else.
        unsafe {
            let mut u: libc::rusage = std::mem::zeroed();
            libc::getrusage(libc::RUSAGE_THREAD, &mut u);
            u.ru_minflt
        }
    }

    /// Allocates and touches `bytes`, then frees them: the faults this took.
    fn touch(bytes: usize) -> i64 {
        let before = faults();
        let v = std::hint::black_box(vec![1u8; bytes]);
        drop(v);
        faults() - before
    }

    #[test]
    fn a_block_freed_and_allocated_again_is_not_taken_from_the_kernel_again() {
        assert!(keep_freed_memory(), "glibc takes both thresholds");
        // On this thread's own arena: 768 KiB (past glibc's first mmap and trim thresholds, under
        // ours) is taken from the kernel once, and reused.
        let size = 768 << 10;
        let pages = (size / 4096) as i64;
        std::thread::spawn(move || {
            let first = touch(size);
            let again: Vec<i64> = (0..4).map(|_| touch(size)).collect();
            assert!(first >= pages / 2, "the first block is new memory: {first} faults for {pages} pages");
            for f in again {
                assert!(f < pages / 8, "a block freed and allocated again faulted {f} of its {pages} pages");
            }
        })
        .join()
        .expect("the allocating thread");
    }
}
