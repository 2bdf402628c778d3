//! Slack (<https://api.slack.com/authentication/verifying-requests-from-slack>): `X-Slack-Signature:
//! v0=<hex HMAC-SHA256 of "v0:ts:body">` keyed with the signing secret's text, the timestamp in
//! `X-Slack-Request-Timestamp` (within the tolerance; Slack suggests five minutes). The delivery
//! id is the Events API body's `event_id`; `X-Slack-Retry-Num` (1 for the first retry) makes the
//! attempt number retry + 1.

use hmac::Mac;

use super::{
    body_field, fresh, hex, optional, required, unhex, Headers, HmacSha256, Message, Secret, Verified,
    VerifyError,
};

const SIGNATURE: &str = "X-Slack-Signature";
const TIMESTAMP: &str = "X-Slack-Request-Timestamp";
const RETRY: &str = "X-Slack-Retry-Num";

fn content(secret: &Secret, ts: &str, body: &[u8]) -> HmacSha256 {
    secret.text_mac(&[b"v0:", ts.as_bytes(), b":", body])
}

pub(super) fn sign(secret: &Secret, msg: &Message<'_>) -> Vec<(&'static str, String)> {
    let ts = msg.timestamp.to_string();
    let tag = content(secret, &ts, msg.body).finalize().into_bytes();
    let mut h = vec![(SIGNATURE, format!("v0={}", hex(&tag))), (TIMESTAMP, ts)];
    if msg.attempt > 1 {
        h.push((RETRY, (msg.attempt - 1).to_string()));
        h.push(("X-Slack-Retry-Reason", "http_error".to_string()));
    }
    h
}

pub(super) fn verify<H: Headers + ?Sized>(
    secret: &Secret,
    headers: &H,
    body: &[u8],
    now_s: u64,
    tolerance_s: u64,
) -> Result<Verified, VerifyError> {
    let sig = required(headers, SIGNATURE)?;
    let ts_text = required(headers, TIMESTAMP)?;
    let ts = fresh(TIMESTAMP, ts_text, now_s, tolerance_s)?;
    let claimed = sig.strip_prefix("v0=").and_then(unhex);
    if !super::matches(&content(secret, ts_text, body), claimed) {
        return Err(VerifyError::NoMatch);
    }
    let attempt = match optional(headers, RETRY) {
        None => Some(1),
        Some(n) => Some(n.parse::<u32>().map_err(|_| VerifyError::BadHeader(RETRY))?.saturating_add(1)),
    };
    let delivery = body_field(body, "event_id").unwrap_or_default();
    Ok(Verified { delivery, timestamp: Some(ts), attempt })
}

#[cfg(test)]
mod tests {
    use super::super::Scheme;
    use super::*;

    // The worked example of https://api.slack.com/authentication/verifying-requests-from-slack
    // ("Validating a request").
    const SECRET: &str = "8f742231b10e8888abcd99yyyzzz85a5";
    const TS: &str = "1531420618";
    const BODY: &[u8] = b"token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c";
    const SIG: &str = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503";
    const NOW: u64 = 1_531_420_618;

    #[test]
    fn the_documented_example() {
        let s = Scheme::Slack.secret(SECRET).unwrap();
        let h = Scheme::Slack.sign(&s, &Message { id: "", timestamp: NOW, attempt: 1, body: BODY });
        assert_eq!(h, vec![(SIGNATURE, SIG.to_string()), (TIMESTAMP, TS.to_string())]);
        let v =
            Scheme::Slack.verify(&s, [(SIGNATURE, SIG), (TIMESTAMP, TS)].as_slice(), BODY, NOW, 300).unwrap();
        assert_eq!(
            v,
            Verified { delivery: super::super::body_id(BODY), timestamp: Some(NOW), attempt: Some(1) }
        );
    }

    #[test]
    fn retries_and_event_ids() {
        let s = Scheme::Slack.secret(SECRET).unwrap();
        let body = br#"{"type":"event_callback","event_id":"Ev08MFMKH6"}"#;
        let h = Scheme::Slack.sign(&s, &Message { id: "", timestamp: NOW, attempt: 3, body });
        let v = Scheme::Slack.verify(&s, h.as_slice(), body, NOW, 300).unwrap();
        assert_eq!((v.delivery.as_str(), v.attempt), ("Ev08MFMKH6", Some(3)));
    }

    #[test]
    fn rejections() {
        let s = Scheme::Slack.secret(SECRET).unwrap();
        let v = |sig: &str, ts: &str, body: &[u8], now: u64| {
            Scheme::Slack.verify(&s, [(SIGNATURE, sig), (TIMESTAMP, ts)].as_slice(), body, now, 300)
        };
        let mut b = BODY.to_vec();
        b[0] ^= 1;
        assert_eq!(v(SIG, TS, &b, NOW), Err(VerifyError::NoMatch));
        assert_eq!(v(SIG, "1531420619", BODY, NOW), Err(VerifyError::NoMatch), "one bit of the timestamp");
        assert_eq!(v(SIG, TS, BODY, NOW + 301), Err(VerifyError::Expired(TIMESTAMP)));
        assert_eq!(v(&SIG[..SIG.len() - 2], TS, BODY, NOW), Err(VerifyError::NoMatch));
        assert_eq!(v("v0=", TS, BODY, NOW), Err(VerifyError::NoMatch));
        assert_eq!(v(&SIG[3..], TS, BODY, NOW), Err(VerifyError::NoMatch));
        assert_eq!(v(SIG, "", BODY, NOW), Err(VerifyError::MissingHeader(TIMESTAMP)));
        let other = Scheme::Slack.secret("8f742231b10e8888abcd99yyyzzz85a4").unwrap();
        let h = [(SIGNATURE, SIG), (TIMESTAMP, TS)];
        assert_eq!(Scheme::Slack.verify(&other, h.as_slice(), BODY, NOW, 300), Err(VerifyError::NoMatch));
        let h = [(SIGNATURE, SIG), (TIMESTAMP, TS), (RETRY, "x")];
        assert_eq!(
            Scheme::Slack.verify(&s, h.as_slice(), BODY, NOW, 300),
            Err(VerifyError::BadHeader(RETRY))
        );
    }
}
