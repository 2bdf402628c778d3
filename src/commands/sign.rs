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

/// `hookbench sign`: prints the headers `--scheme` sends with the body of `--body`.
pub fn run(args: SignArgs) -> Result<u8> {
    let scheme = options::scheme(&args.signing, Scheme::Standard);
    let secret = secret(scheme, args.signing.secret.as_deref(), "hookbench sign")?;
    let shown =
        crate::support::quote::excerpt(&args.body.display().to_string(), crate::support::quote::EXCERPT_PATH);
    let body = std::fs::read(&args.body)
        .map_err(|e| Error::Input(format!("--body: cannot read `{shown}` ({e})")))?;
    if args.attempt == 0 {
        return Err(Error::Input("--attempt 0: attempts count from 1".into()));
    }
    let timestamp = args.timestamp.unwrap_or_else(crate::live::clock::unix_now);
    let msg = Message { id: &args.id, timestamp, attempt: args.attempt, body: &body };
    print(&crate::render::text::headers(&scheme.sign(&secret, &msg)))?;
    Ok(0)
}
