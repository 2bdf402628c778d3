//! Shopify (<https://shopify.dev/docs/apps/build/webhooks/subscribe/https#step-5-verify-the-webhook>):
//! `X-Shopify-Hmac-Sha256: <base64 HMAC-SHA256 of the body>` keyed with the app's client secret
//! (its text), the delivery id in `X-Shopify-Webhook-Id`. No signed timestamp and no attempt
//! number. Shopify's page shows the computation but publishes no secret/body/digest triple.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use hmac::Mac;

use super::{optional, required, Headers, Message, Secret, Verified, VerifyError};

const SIGNATURE: &str = "X-Shopify-Hmac-Sha256";
const DELIVERY: &str = "X-Shopify-Webhook-Id";

pub(super) fn sign(secret: &Secret, msg: &Message<'_>) -> Vec<(&'static str, String)> {
    let mac = secret.text_mac(&[msg.body]);
    vec![(SIGNATURE, STANDARD.encode(mac.finalize().into_bytes())), (DELIVERY, msg.id.to_string())]
}

pub(super) fn verify<H: Headers + ?Sized>(
    secret: &Secret,
    headers: &H,
    body: &[u8],
) -> Result<Verified, VerifyError> {
    let sig = required(headers, SIGNATURE)?;
    let mac = secret.text_mac(&[body]);
    if !super::matches(&mac, STANDARD.decode(sig).ok()) {
        return Err(VerifyError::NoMatch);
    }
    let delivery = optional(headers, DELIVERY).unwrap_or_default().to_string();
    Ok(Verified { delivery, timestamp: None, attempt: None })
}

#[cfg(test)]
mod tests {
    use super::super::Scheme;
    use super::*;

    // Shopify publishes no vector; this one is RFC 4231 test case 2's key and data ("Jefe",
    // "what do ya want for nothing?", HMAC-SHA256 5bdcc146…ec3843) in base64, so the digest is
    // checked against the HMAC standard's own published value.
    const SECRET: &str = "Jefe";
    const BODY: &[u8] = b"what do ya want for nothing?";
    const SIG: &str = "W9zBRr9gdU5qBCQmCJV1x1oAPwidJzmDnexYuWTsOEM=";

    #[test]
    fn the_hmac_standard_vector_in_shopify_form() {
        let s = Scheme::Shopify.secret(SECRET).unwrap();
        let msg =
            Message { id: "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043", timestamp: 0, attempt: 1, body: BODY };
        let h = Scheme::Shopify.sign(&s, &msg);
        assert_eq!(h[0], (SIGNATURE, SIG.to_string()));
        let v = Scheme::Shopify.verify(&s, h.as_slice(), BODY, 0, 0).unwrap();
        assert_eq!(v.delivery, msg.id);
        assert_eq!((v.timestamp, v.attempt), (None, None));
    }

    #[test]
    fn rejections() {
        let s = Scheme::Shopify.secret(SECRET).unwrap();
        let v =
            |sig: &str, body: &[u8]| Scheme::Shopify.verify(&s, [(SIGNATURE, sig)].as_slice(), body, 0, 0);
        assert!(v(SIG, BODY).is_ok());
        assert_eq!(v(SIG, b"what do ya want for nothing!"), Err(VerifyError::NoMatch));
        assert_eq!(v(&SIG[..SIG.len() - 4], BODY), Err(VerifyError::NoMatch));
        assert_eq!(v("!!", BODY), Err(VerifyError::NoMatch));
        assert_eq!(v("", BODY), Err(VerifyError::MissingHeader(SIGNATURE)));
        let other = Scheme::Shopify.secret("Jeff").unwrap();
        assert!(Scheme::Shopify.verify(&other, [(SIGNATURE, SIG)].as_slice(), BODY, 0, 0).is_err());
    }
}
