//! The one writer: everything hookbench prints reaches stdout or stderr through here.
//!
//! Owns the two streams, what a failed write means, and whether stdout was closed before the
//! program started ([`probe_stdout`]). A closed pipe (`hookbench serve | head
//! -1`) is not an error and never a panic: the text has nowhere to go, and the command goes on
//! to return what it would have returned. Nothing else in the crate may use `print!`,
//! `println!`, `eprint!` or `eprintln!` (a test reads `src/` for them): those panic on a closed
//! pipe. It formats nothing — callers hand in finished text ([`crate::render`] makes it) — and
//! decides no exit code beyond reporting a stdout that cannot be written.

use std::io::Write;

/// Writes `text` to stdout and flushes it. A closed pipe counts as written; any other failure
/// is returned.
pub fn stdout(text: &str) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e),
        _ => Ok(()),
    }
}

/// Writes `text` to stderr: notes, warnings, progress and the final error. A failure is
/// ignored, since there is no other place left to report it.
pub fn stderr(text: &str) {
    let mut err = std::io::stderr().lock();
    let _ = err.write_all(text.as_bytes()).and_then(|_| err.flush());
}

/// [`stderr`] with a line end.
pub fn note(line: &str) {
    stderr(&format!("{line}\n"));
}

/// Set by [`probe_stdout`] when the process started with no standard output at all.
static STDOUT_CLOSED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Notes whether standard output was closed when the process started (`hookbench compare >&-`).
///
/// The Rust runtime reopens a closed stdout on `/dev/null` before `main`, read-write, so every
/// write then succeeds and the result vanishes. A shell's `> /dev/null` opens it write-only: a
/// stdout that is `/dev/null` opened read-write is one that was closed. Call this before any file
/// is opened.
pub fn probe_stdout() {
    #[cfg(unix)]
    {
        use std::os::fd::{AsFd, AsRawFd};
        use std::os::unix::fs::MetadataExt;
        let fd = std::io::stdout().as_raw_fd();
        // SAFETY: fcntl(F_GETFL) only reads the flags of a descriptor; an invalid one gives -1.
        let flags = unsafe { libc::fcntl(fd, libc::F_GETFL) };
        let closed = flags == -1
            || (flags & libc::O_ACCMODE == libc::O_RDWR && {
                let stdout_meta = std::io::stdout()
                    .as_fd()
                    .try_clone_to_owned()
                    .and_then(|owned| std::fs::File::from(owned).metadata());
                let null = std::fs::metadata("/dev/null");
                matches!((stdout_meta, null), (Ok(a), Ok(b)) if a.rdev() == b.rdev() && a.ino() == b.ino())
            });
        STDOUT_CLOSED.store(closed, std::sync::atomic::Ordering::Relaxed);
    }
}

/// Whether [`probe_stdout`] found standard output closed.
pub fn stdout_closed() -> bool {
    STDOUT_CLOSED.load(std::sync::atomic::Ordering::Relaxed)
}
