//! Standard Webhooks signatures: signing and verifying `webhook-signature`.
//!
//! Owns the wire format of the specification: a secret `whsec_<base64>`, the signed content
//! `"{webhook-id}.{webhook-timestamp}.{body}"`, HMAC-SHA256, and the header
//! `v1,<base64 signature>` (several may be space-separated). Verification compares in constant
//! time, rejects an empty (`v1,`) or truncated signature, and a timestamp outside the tolerance.
//! Pure functions: the caller supplies "now"; secrets are never formatted into errors.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// The default timestamp tolerance of the specification, in seconds.
pub const DEFAULT_TOLERANCE_S: u64 = 300;

/// A webhook signing secret (the key bytes; never printed).
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Vec<u8>);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(…)")
    }
}

/// Why a delivery was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    /// The secret is not `whsec_` followed by base64.
    #[error("the secret must be `whsec_` followed by base64 (at least 16 bytes of key)")]
    BadSecret,
    /// A required header is missing or empty.
    #[error("missing or empty `{0}` header")]
    MissingHeader(&'static str),
    /// The timestamp is not a whole number of seconds.
    #[error("`webhook-timestamp` is not a Unix time in seconds")]
    BadTimestamp,
    /// The timestamp is too far from now.
    #[error("`webhook-timestamp` is outside the tolerance (replay or clock skew)")]
    Expired,
    /// No `v1` signature in the header matched.
    #[error("no valid `v1` signature matched")]
    NoMatch,
}

impl Secret {
    /// Parses `whsec_<base64>`.
    pub fn parse(text: &str) -> Result<Secret, VerifyError> {
        let b64 = text.trim().strip_prefix("whsec_").ok_or(VerifyError::BadSecret)?;
        let key = STANDARD.decode(b64).map_err(|_| VerifyError::BadSecret)?;
        if key.len() < 16 {
            return Err(VerifyError::BadSecret);
        }
        Ok(Secret(key))
    }

    /// A secret from raw key bytes.
    pub fn from_bytes(key: &[u8]) -> Secret {
        Secret(key.to_vec())
    }

    /// The `whsec_…` form (for handing to a receiver you configure; do not log it).
    pub fn expose(&self) -> String {
        format!("whsec_{}", STANDARD.encode(&self.0))
    }

    fn mac(&self, id: &str, timestamp: u64, body: &[u8]) -> HmacSha256 {
        // HMAC accepts keys of any length.
        let mut mac = <HmacSha256 as Mac>::new_from_slice(&self.0).unwrap_or_else(|_| unreachable!());
        mac.update(id.as_bytes());
        mac.update(b".");
        mac.update(timestamp.to_string().as_bytes());
        mac.update(b".");
        mac.update(body);
        mac
    }

    /// The `webhook-signature` header value for a message: `v1,<base64>`.
    pub fn sign(&self, id: &str, timestamp: u64, body: &[u8]) -> String {
        let tag = self.mac(id, timestamp, body).finalize().into_bytes();
        format!("v1,{}", STANDARD.encode(tag))
    }

    /// Verifies a delivery's headers and body at `now_s` (Unix seconds) with `tolerance_s`.
    pub fn verify(
        &self,
        id: &str,
        timestamp: &str,
        signature: &str,
        body: &[u8],
        now_s: u64,
        tolerance_s: u64,
    ) -> Result<(), VerifyError> {
        if id.is_empty() {
            return Err(VerifyError::MissingHeader("webhook-id"));
        }
        if signature.trim().is_empty() {
            return Err(VerifyError::MissingHeader("webhook-signature"));
        }
        let ts: u64 = timestamp.trim().parse().map_err(|_| VerifyError::BadTimestamp)?;
        if ts.abs_diff(now_s) > tolerance_s {
            return Err(VerifyError::Expired);
        }
        let expected = self.mac(id, ts, body);
        for part in signature.split_ascii_whitespace() {
            let Some(("v1", sig)) = part.split_once(',') else { continue };
            if sig.is_empty() {
                continue;
            }
            let Ok(raw) = STANDARD.decode(sig) else { continue };
            if raw.len() != 32 {
                continue;
            }
            // Constant-time comparison.
            if expected.clone().verify_slice(&raw).is_ok() {
                return Ok(());
            }
        }
        Err(VerifyError::NoMatch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";
    const ID: &str = "msg_27UH4WbU6Z5A5EzD8u03UvzRbpk";
    const TS: u64 = 1_649_367_553;
    const BODY: &[u8] = br#"{"email":"test@example.com","username":"test_user"}"#;
    const SIG: &str = "v1,tZ1I4/hDygAJgO5TYxiSd6Sd0kDW6hPenDe+bTa3Kkw=";

    #[test]
    fn the_specification_test_vector() {
        let s = Secret::parse(SECRET).unwrap();
        assert_eq!(s.sign(ID, TS, BODY), SIG);
        assert_eq!(s.verify(ID, &TS.to_string(), SIG, BODY, TS, 300), Ok(()));
        assert_eq!(s.expose(), SECRET);
    }

    #[test]
    fn rejections() {
        let s = Secret::parse(SECRET).unwrap();
        let ts = TS.to_string();
        let v = |sig: &str, body: &[u8], now: u64| s.verify(ID, &ts, sig, body, now, 300);
        assert_eq!(v("v1,", BODY, TS), Err(VerifyError::NoMatch));
        assert_eq!(v("v1,tZ1I4/hDygAJgO5TYxiSd6Sd0kDW6hPenDe+bTa3", BODY, TS), Err(VerifyError::NoMatch));
        assert_eq!(v(&SIG[..SIG.len() - 4], BODY, TS), Err(VerifyError::NoMatch));
        assert_eq!(v(SIG, b"{\"email\":\"evil@example.com\"}", TS), Err(VerifyError::NoMatch));
        assert_eq!(v(SIG, BODY, TS + 301), Err(VerifyError::Expired));
        assert_eq!(v(SIG, BODY, TS - 301), Err(VerifyError::Expired));
        assert_eq!(v("", BODY, TS), Err(VerifyError::MissingHeader("webhook-signature")));
        assert_eq!(v("v2,abc v1,", BODY, TS), Err(VerifyError::NoMatch));
        // Several signatures: one valid is enough.
        assert_eq!(v(&format!("v1,AAAA {SIG}"), BODY, TS), Ok(()));
        let other = Secret::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        assert_eq!(other.verify(ID, &ts, SIG, BODY, TS, 300), Err(VerifyError::NoMatch));
        assert_eq!(s.verify(ID, "soon", SIG, BODY, TS, 300), Err(VerifyError::BadTimestamp));
        assert!(Secret::parse("C2FVsBQIhrscChlQIMV+b5sSYspob7oD").is_err());
        assert!(Secret::parse("whsec_!!!").is_err());
        assert!(!format!("{s:?}").contains("C2FV"));
    }
}
