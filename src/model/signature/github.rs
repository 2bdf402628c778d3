//! GitHub (<https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries>):
//! `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the body>` keyed with the secret's text, the
//! delivery id in `X-GitHub-Delivery`. No timestamp (so no replay window) and no attempt number:
//! GitHub does not redeliver by itself.

use hmac::Mac;

use super::{hex, optional, required, unhex, Headers, Message, Secret, Verified, VerifyError};

const SIGNATURE: &str = "X-Hub-Signature-256";
const DELIVERY: &str = "X-GitHub-Delivery";

fn signature(secret: &Secret, body: &[u8]) -> String {
    let mac = secret.text_mac(&[body]);
    format!("sha256={}", hex(&mac.finalize().into_bytes()))
}

pub(super) fn sign(secret: &Secret, msg: &Message<'_>) -> Vec<(&'static str, String)> {
    vec![(SIGNATURE, signature(secret, msg.body)), (DELIVERY, msg.id.to_string())]
}

pub(super) fn verify<H: Headers + ?Sized>(
    secret: &Secret,
    headers: &H,
    body: &[u8],
) -> Result<Verified, VerifyError> {
    let sig = required(headers, SIGNATURE)?;
    let claimed = sig.strip_prefix("sha256=").and_then(unhex);
    let mac = secret.text_mac(&[body]);
    if !super::matches(&mac, claimed) {
        return Err(VerifyError::NoMatch);
    }
    let delivery = optional(headers, DELIVERY).unwrap_or_default().to_string();
    Ok(Verified { delivery, timestamp: None, attempt: None })
}

#[cfg(test)]
mod tests {
    use super::super::Scheme;
    use super::*;

    // GitHub's documented example, "Testing the webhook payload validation" on
    // https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries
    const SECRET: &str = "It's a Secret to Everybody";
    const BODY: &[u8] = b"Hello, World!";
    const SIG: &str = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";

    #[test]
    fn the_documented_example() {
        let s = Scheme::Github.secret(SECRET).unwrap();
        let msg = Message { id: "d-1", timestamp: 0, attempt: 1, body: BODY };
        assert_eq!(
            Scheme::Github.sign(&s, &msg),
            vec![(SIGNATURE, SIG.to_string()), (DELIVERY, "d-1".into())]
        );
        let h = [("x-hub-signature-256", SIG), ("x-github-delivery", "72d3162e-cc78-11e3-81ab-4c9367dc0958")];
        let v = Scheme::Github.verify(&s, h.as_slice(), BODY, 0, 300).unwrap();
        assert_eq!(v.delivery, "72d3162e-cc78-11e3-81ab-4c9367dc0958");
        // Upper-case hex is the same signature.
        let upper = format!("sha256={}", SIG[7..].to_ascii_uppercase());
        assert!(Scheme::Github.verify(&s, [(SIGNATURE, upper.as_str())].as_slice(), BODY, 0, 0).is_ok());
    }

    #[test]
    fn rejections() {
        let s = Scheme::Github.secret(SECRET).unwrap();
        let v = |sig: &str, body: &[u8]| Scheme::Github.verify(&s, [(SIGNATURE, sig)].as_slice(), body, 0, 0);
        assert_eq!(v(SIG, b"Hello, World?"), Err(VerifyError::NoMatch));
        assert_eq!(v(&SIG[..SIG.len() - 2], BODY), Err(VerifyError::NoMatch));
        assert_eq!(v("sha256=", BODY), Err(VerifyError::NoMatch));
        assert_eq!(v(&SIG.replace("sha256=", "sha1="), BODY), Err(VerifyError::NoMatch));
        assert_eq!(v(&SIG.replace("sha256=", ""), BODY), Err(VerifyError::NoMatch));
        assert_eq!(v("", BODY), Err(VerifyError::MissingHeader(SIGNATURE)));
        let other = Scheme::Github.secret("It's a Secret to Everybodz").unwrap();
        assert!(Scheme::Github.verify(&other, [(SIGNATURE, SIG)].as_slice(), BODY, 0, 0).is_err());
        // Without the delivery header, the id is the body's hash.
        assert_eq!(v(SIG, BODY).unwrap().delivery, super::super::body_id(BODY));
        assert_eq!(Scheme::Github.secret(""), Err(VerifyError::EmptySecret));
    }
}
