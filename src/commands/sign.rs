//! `hookbench sign`: the headers a signature scheme sends with a body, one `Name: value` a line,
//! for checking a receiver by hand or from a script.
//!
//! Validates the scheme and secret (the same rules as `receive` and `serve`), reads the body, and
//! hands the signing to the model ([`Scheme::sign`]) and the formatting to `render::text`.

use super::options::{self, secret};
use super::output::print;
use crate::cli::SignArgs;
use crate::error::{Error, Result};
use crate::model::signature::{Message, Scheme};
use crate::support::files::{self, FileError, SMALL_FILE, SMALL_FILE_TEXT};

/// `hookbench sign`: prints the headers `--scheme` sends with the body of `--body`.
pub fn run(args: SignArgs) -> Result<u8> {
    let scheme = options::scheme(&args.signing, Scheme::Standard);
    let secret = secret(scheme, args.signing.secret.as_deref(), "hookbench sign")?;
    let shown =
        crate::support::quote::excerpt(&args.body.display().to_string(), crate::support::quote::EXCERPT_PATH);
    // The same rules as every input file: a regular file (not /dev/zero, not a FIFO), capped.
    let body =
        read_body(&args.body).map_err(|e| Error::Input(format!("--body: cannot read `{shown}`: {e}")))?;
    if args.id.chars().any(|c| c.is_control()) {
        return Err(Error::Input(format!(
            "--id `{}` holds a control character, which would end the header line; give an id of printable characters",
            crate::support::quote::excerpt(&args.id, crate::support::quote::EXCERPT)
        )));
    }
    if args.attempt == 0 {
        return Err(Error::Input("--attempt 0: attempts count from 1".into()));
    }
    let timestamp = args.timestamp.unwrap_or_else(crate::live::clock::unix_now);
    let msg = Message { id: &args.id, timestamp, attempt: args.attempt, body: &body };
    print(&crate::render::text::headers(&scheme.sign(&secret, &msg)))?;
    Ok(0)
}

/// The bytes of the body file: a regular file of at most [`SMALL_FILE`] bytes.
fn read_body(path: &std::path::Path) -> std::result::Result<Vec<u8>, FileError> {
    use std::io::Read as _;
    let file = files::open(path)?;
    let mut bytes = Vec::new();
    file.take(SMALL_FILE + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > SMALL_FILE {
        return Err(FileError::TooLarge(SMALL_FILE_TEXT));
    }
    Ok(bytes)
}
