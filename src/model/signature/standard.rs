//! Standard Webhooks (<https://www.standardwebhooks.com/>, the specification's "Signature
//! scheme"): the signed content `"{webhook-id}.{webhook-timestamp}.{body}"`, HMAC-SHA256 keyed
//! with the decoded `whsec_<base64>` secret, the header `webhook-signature: v1,<base64>` (several
//! may be space-separated). A repeated `webhook-id` is a retry; the scheme sends no attempt number.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use hmac::Mac;

use super::{fresh, required, Headers, HmacSha256, Message, Secret, Verified, VerifyError};

impl Secret {
    fn standard_content(&self, id: &str, timestamp: u64, body: &[u8]) -> HmacSha256 {
        let mut mac = self.standard_mac();
        mac.update(id.as_bytes());
        mac.update(b".");
        mac.update(timestamp.to_string().as_bytes());
        mac.update(b".");
        mac.update(body);
        mac
    }

    /// The `webhook-signature` header value for a message: `v1,<base64>`.
    pub fn sign(&self, id: &str, timestamp: u64, body: &[u8]) -> String {
        let tag = self.standard_content(id, timestamp, body).finalize().into_bytes();
        format!("v1,{}", STANDARD.encode(tag))
    }

    /// Verifies a Standard Webhooks delivery's three headers and body at `now_s` (Unix seconds)
    /// with `tolerance_s`.
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
        let ts = fresh("webhook-timestamp", timestamp, now_s, tolerance_s)?;
        let expected = self.standard_content(id, ts, body);
        for part in signature.split_ascii_whitespace() {
            let Some(("v1", sig)) = part.split_once(',') else { continue };
            if super::matches(&expected, STANDARD.decode(sig).ok()) {
                return Ok(());
            }
        }
        Err(VerifyError::NoMatch)
    }
}

pub(super) fn sign(secret: &Secret, msg: &Message<'_>) -> Vec<(&'static str, String)> {
    vec![
        ("webhook-id", msg.id.to_string()),
        ("webhook-timestamp", msg.timestamp.to_string()),
        ("webhook-signature", secret.sign(msg.id, msg.timestamp, msg.body)),
    ]
}

pub(super) fn verify<H: Headers + ?Sized>(
    secret: &Secret,
    headers: &H,
    body: &[u8],
    now_s: u64,
    tolerance_s: u64,
) -> Result<Verified, VerifyError> {
    if secret.key.is_empty() {
        return Err(VerifyError::BadSecret);
    }
    let id = required(headers, "webhook-id")?;
    let ts = required(headers, "webhook-timestamp")?;
    let sig = required(headers, "webhook-signature")?;
    secret.verify(id, ts, sig, body, now_s, tolerance_s)?;
    Ok(Verified { delivery: id.to_string(), timestamp: ts.parse().ok(), attempt: None })
}

#[cfg(test)]
mod tests {
    use super::super::Scheme;
    use super::*;

    // The specification's test vector (standard-webhooks/standard-webhooks, spec/standard-webhooks.md,
    // and the svix libraries' tests).
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
        let h = [("Webhook-Id", ID), ("webhook-timestamp", "1649367553"), ("webhook-signature", SIG)];
        let v = Scheme::Standard.verify(&s, h.as_slice(), BODY, TS, 300).unwrap();
        assert_eq!(v, Verified { delivery: ID.into(), timestamp: Some(TS), attempt: None });
        // One bit of the timestamp.
        let h = [("webhook-id", ID), ("webhook-timestamp", "1649367552"), ("webhook-signature", SIG)];
        assert_eq!(Scheme::Standard.verify(&s, h.as_slice(), BODY, TS, 300), Err(VerifyError::NoMatch));
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
        assert_eq!(v(SIG, BODY, TS + 301), Err(VerifyError::Expired("webhook-timestamp")));
        assert_eq!(v(SIG, BODY, TS - 301), Err(VerifyError::Expired("webhook-timestamp")));
        assert_eq!(v("", BODY, TS), Err(VerifyError::MissingHeader("webhook-signature")));
        assert_eq!(v("v2,abc v1,", BODY, TS), Err(VerifyError::NoMatch));
        // Several signatures: one valid is enough.
        assert_eq!(v(&format!("v1,AAAA {SIG}"), BODY, TS), Ok(()));
        let other = Secret::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        assert_eq!(other.verify(ID, &ts, SIG, BODY, TS, 300), Err(VerifyError::NoMatch));
        assert_eq!(
            s.verify(ID, "soon", SIG, BODY, TS, 300),
            Err(VerifyError::BadTimestamp("webhook-timestamp"))
        );
        assert!(Secret::parse("C2FVsBQIhrscChlQIMV+b5sSYspob7oD").is_err());
        assert!(Secret::parse("whsec_!!!").is_err());
        assert!(!format!("{s:?}").contains("C2FV"));
        // A text secret that is not `whsec_…` has no Standard Webhooks key.
        let t = Secret::text("plain").unwrap();
        let h = [("webhook-id", ID), ("webhook-timestamp", "1649367553"), ("webhook-signature", SIG)];
        assert_eq!(Scheme::Standard.verify(&t, h.as_slice(), BODY, TS, 300), Err(VerifyError::BadSecret));
    }
}
