//! Reading the files a user names: regular files only, and never more than a cap.
//!
//! Owns the two checks every input file passes before its bytes are trusted: it is a regular
//! file (not `/dev/zero`, a FIFO, a socket or a directory — checked on the path before opening,
//! and again on the opened handle, which is opened without blocking), and what is read stops at
//! a cap the caller names ([`SMALL_FILE`] for scenarios and results, [`TRACE_FILE`] for traces,
//! which are read line by line). Every refusal is one [`FileError`] that names the limit. It
//! knows no format and parses nothing.

use std::io::{BufRead, Read};
use std::path::Path;

/// The most a scenario or result file may hold: 4 MiB.
pub const SMALL_FILE: u64 = 4 << 20;

/// [`SMALL_FILE`] as users read it.
pub const SMALL_FILE_TEXT: &str = "4 MiB";

/// The most a trace file may hold: 1 GiB (its rows are also bounded, by [`crate::support::limits::MAX_EVENTS`]).
pub const TRACE_FILE: u64 = 1 << 30;

/// [`TRACE_FILE`] as users read it.
pub const TRACE_FILE_TEXT: &str = "1 GiB";

/// The longest line a trace may have: 64 KiB.
pub const TRACE_LINE: usize = 64 << 10;

/// Why a file was not read; the sentence follows "cannot read `FILE`: ".
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    /// Opening or reading failed.
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// Not a regular file.
    #[error("it is {0}, not a regular file; give a file")]
    NotAFile(&'static str),
    /// Larger than the cap.
    #[error("it is larger than {0}, the most hookbench reads from such a file")]
    TooLarge(&'static str),
    /// A line longer than [`TRACE_LINE`].
    #[error("line {0} is longer than 64 KiB")]
    LongLine(usize),
    /// Not UTF-8.
    #[error("it is not UTF-8 text")]
    NotText,
}

/// What kind of thing a non-regular file is, for the message.
fn kind(meta: &std::fs::Metadata) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        let t = meta.file_type();
        if t.is_fifo() {
            return "a named pipe (FIFO)";
        }
        if t.is_char_device() || t.is_block_device() {
            return "a device";
        }
        if t.is_socket() {
            return "a socket";
        }
    }
    if meta.is_dir() {
        "a directory"
    } else {
        "not a regular file"
    }
}

/// Opens `path` for reading if it is a regular file (symlinks followed), without ever blocking
/// on a FIFO.
pub fn open(path: &Path) -> Result<std::fs::File, FileError> {
    let meta = std::fs::metadata(path)?;
    if !meta.is_file() {
        return Err(FileError::NotAFile(kind(&meta)));
    }
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK);
    }
    let file = options.open(path)?;
    // The path may have changed between the two looks; the handle is what is read.
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(FileError::NotAFile(kind(&meta)));
    }
    Ok(file)
}

/// The whole text of a regular file of at most `cap` bytes (`cap_text` names it in messages).
pub fn read_text(path: &Path, cap: u64, cap_text: &'static str) -> Result<String, FileError> {
    let file = open(path)?;
    let mut bytes = Vec::new();
    file.take(cap + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > cap {
        return Err(FileError::TooLarge(cap_text));
    }
    String::from_utf8(bytes).map_err(|_| FileError::NotText)
}

/// The lines of a regular file, numbered from 1, each at most [`TRACE_LINE`] bytes, all of them
/// at most [`TRACE_FILE`] bytes: read as they are asked for, so a caller that stops early (a row
/// limit) reads no further.
pub fn lines(path: &Path) -> Result<impl Iterator<Item = Result<(usize, String), FileError>>, FileError> {
    let mut reader = std::io::BufReader::new(open(path)?.take(TRACE_FILE + 1));
    let (mut n, mut read, mut done) = (0usize, 0u64, false);
    Ok(std::iter::from_fn(move || {
        if done {
            return None;
        }
        let mut buf = Vec::new();
        let result = (&mut reader).take(TRACE_LINE as u64 + 1).read_until(b'\n', &mut buf);
        n += 1;
        read += buf.len() as u64;
        let item = match result {
            Err(e) => Err(FileError::Io(e)),
            Ok(0) => {
                done = true;
                return None;
            }
            Ok(_) if read > TRACE_FILE => Err(FileError::TooLarge(TRACE_FILE_TEXT)),
            Ok(_) if buf.len() > TRACE_LINE && buf.last() != Some(&b'\n') => Err(FileError::LongLine(n)),
            Ok(_) => {
                while matches!(buf.last(), Some(b'\n' | b'\r')) {
                    buf.pop();
                }
                String::from_utf8(buf).map(|line| (n, line)).map_err(|_| FileError::NotText)
            }
        };
        done = item.is_err();
        Some(item)
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn devices_and_directories_are_refused_and_caps_hold() {
        #[cfg(unix)]
        {
            let e = read_text(Path::new("/dev/zero"), SMALL_FILE, SMALL_FILE_TEXT).unwrap_err();
            assert!(e.to_string().contains("a device"), "{e}");
        }
        let e = read_text(Path::new("."), SMALL_FILE, SMALL_FILE_TEXT).unwrap_err();
        assert!(e.to_string().contains("a directory"), "{e}");
        let dir = std::env::temp_dir().join(format!("hookbench-files-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("big.txt");
        std::fs::write(&f, "x".repeat(11)).unwrap();
        assert!(matches!(read_text(&f, 10, "10 B"), Err(FileError::TooLarge("10 B"))));
        assert_eq!(read_text(&f, 11, "11 B").unwrap().len(), 11);
        std::fs::write(&f, "a\r\nb\n\nc").unwrap();
        let got: Vec<(usize, String)> = lines(&f).unwrap().map(Result::unwrap).collect();
        assert_eq!(got, [(1, "a".into()), (2, "b".into()), (3, String::new()), (4, "c".into())]);
        std::fs::write(&f, format!("ok\n{}\n", "y".repeat(TRACE_LINE + 1))).unwrap();
        let got: Vec<_> = lines(&f).unwrap().collect();
        assert!(matches!(got.as_slice(), [Ok(_), Err(FileError::LongLine(2))]), "{got:?}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
