//! Stripe (<https://docs.stripe.com/webhooks#verify-manually>): `Stripe-Signature:
//! t=<unix seconds>,v1=<hex HMAC-SHA256 of "t.body">` keyed with the endpoint secret's text
//! (`whsec_…` as a whole); several `v1` may appear (secret rotation) and other schemes (`v0`) are
//! ignored. The timestamp must be within the tolerance (Stripe's libraries default to 300 s). The
//! delivery id is the event's `id` in the JSON body. Stripe's page shows a header but not the
//! secret and payload behind it, so the interop test (`.ci/interop.py`) checks this module against
//! the official `stripe` package's `Webhook.construct_event` instead.

use hmac::Mac;

use super::{
    body_field, fresh, hex, required, unhex, Headers, HmacSha256, Message, Secret, Verified, VerifyError,
};

const HEADER: &str = "Stripe-Signature";

fn content(secret: &Secret, ts: &str, body: &[u8]) -> HmacSha256 {
    secret.text_mac(&[ts.as_bytes(), b".", body])
}

pub(super) fn sign(secret: &Secret, msg: &Message<'_>) -> Vec<(&'static str, String)> {
    let ts = msg.timestamp.to_string();
    let tag = content(secret, &ts, msg.body).finalize().into_bytes();
    vec![(HEADER, format!("t={ts},v1={}", hex(&tag)))]
}

pub(super) fn verify<H: Headers + ?Sized>(
    secret: &Secret,
    headers: &H,
    body: &[u8],
    now_s: u64,
    tolerance_s: u64,
) -> Result<Verified, VerifyError> {
    let header = required(headers, HEADER)?;
    let mut ts = None;
    let mut sigs = Vec::new();
    for item in header.split(',') {
        match item.trim().split_once('=') {
            Some(("t", t)) => ts = Some(t),
            Some(("v1", s)) => sigs.push(s),
            _ => {}
        }
    }
    let ts_text = ts.ok_or(VerifyError::BadHeader(HEADER))?;
    if sigs.is_empty() {
        return Err(VerifyError::NoMatch);
    }
    let t = fresh("Stripe-Signature t", ts_text, now_s, tolerance_s)?;
    let mac = content(secret, ts_text, body);
    if !sigs.into_iter().any(|s| super::matches(&mac, unhex(s))) {
        return Err(VerifyError::NoMatch);
    }
    let delivery = body_field(body, "id").unwrap_or_default();
    Ok(Verified { delivery, timestamp: Some(t), attempt: None })
}

#[cfg(test)]
mod tests {
    use super::super::Scheme;
    use super::*;

    const SECRET: &str = "whsec_test_secret";
    const BODY: &[u8] = br#"{"id":"evt_1NG8Du2eZvKYlo2CUI79vXWy","object":"event","type":"invoice.paid"}"#;
    const TS: u64 = 1_492_774_577;

    fn header(sig: &str) -> [(&'static str, String); 1] {
        [(HEADER, sig.to_string())]
    }

    #[test]
    fn signs_and_reads_the_event_id() {
        let s = Scheme::Stripe.secret(SECRET).unwrap();
        let h = Scheme::Stripe.sign(&s, &Message { id: "ignored", timestamp: TS, attempt: 1, body: BODY });
        assert!(h[0].1.starts_with("t=1492774577,v1=") && h[0].1.len() == 16 + 64, "{}", h[0].1);
        let v = Scheme::Stripe.verify(&s, h.as_slice(), BODY, TS + 10, 300).unwrap();
        assert_eq!(
            v,
            Verified { delivery: "evt_1NG8Du2eZvKYlo2CUI79vXWy".into(), timestamp: Some(TS), attempt: None }
        );
        // Several entries, a `v0` and a stale `v1` among them, in any order.
        let mixed = format!("v0=00,{},v1={}", h[0].1, "ab".repeat(32));
        assert!(Scheme::Stripe.verify(&s, header(&mixed).as_slice(), BODY, TS, 300).is_ok());
    }

    #[test]
    fn rejections() {
        let s = Scheme::Stripe.secret(SECRET).unwrap();
        let good =
            Scheme::Stripe.sign(&s, &Message { id: "", timestamp: TS, attempt: 1, body: BODY })[0].1.clone();
        let v =
            |h: &str, body: &[u8], now: u64| Scheme::Stripe.verify(&s, header(h).as_slice(), body, now, 300);
        assert!(v(&good, BODY, TS).is_ok());
        let mut b = BODY.to_vec();
        b[10] ^= 1;
        assert_eq!(v(&good, &b, TS), Err(VerifyError::NoMatch));
        // One bit of the timestamp.
        assert_eq!(v(&good.replace("t=1492774577", "t=1492774576"), BODY, TS), Err(VerifyError::NoMatch));
        assert_eq!(v(&good, BODY, TS + 301), Err(VerifyError::Expired("Stripe-Signature t")));
        assert_eq!(v(&good, BODY, TS - 301), Err(VerifyError::Expired("Stripe-Signature t")));
        assert_eq!(v("t=1492774577", BODY, TS), Err(VerifyError::NoMatch));
        assert_eq!(v("t=1492774577,v1=", BODY, TS), Err(VerifyError::NoMatch));
        assert_eq!(v(&good[..good.len() - 2], BODY, TS), Err(VerifyError::NoMatch));
        assert_eq!(v("v1=abc", BODY, TS), Err(VerifyError::BadHeader(HEADER)));
        assert_eq!(
            v(&good.replace("t=1492774577", "t=soon"), BODY, TS),
            Err(VerifyError::BadTimestamp("Stripe-Signature t"))
        );
        let other = Scheme::Stripe.secret("whsec_test_secreu").unwrap();
        assert!(Scheme::Stripe.verify(&other, header(&good).as_slice(), BODY, TS, 300).is_err());
    }
}
