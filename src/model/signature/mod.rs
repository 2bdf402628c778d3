//! Webhook signature schemes: signing a delivery's headers and verifying them, per provider.
//!
//! Owns the five wire formats a sender may use — [`Scheme::Standard`] (Standard Webhooks),
//! [`Scheme::Github`], [`Scheme::Stripe`], [`Scheme::Shopify`] and [`Scheme::Slack`], one file
//! each — and what a verified delivery tells about itself ([`Verified`]: its delivery id, the
//! scheme's timestamp, the provider's attempt number). Every comparison of a signature runs in
//! constant time (HMAC's own `verify_slice`); schemes with a timestamp (standard, stripe, slack)
//! refuse one outside the tolerance. Pure functions: the caller supplies "now" and the headers
//! through [`Headers`]; secrets are never formatted into errors or `Debug`.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

mod github;
mod shopify;
mod slack;
mod standard;
mod stripe;

type HmacSha256 = Hmac<Sha256>;

/// The default timestamp tolerance of the specifications (Standard Webhooks, Stripe, Slack), in
/// seconds.
pub const DEFAULT_TOLERANCE_S: u64 = 300;

/// How a sender signs its deliveries. The names (`standard`, `github`, `stripe`, `shopify`,
/// `slack`) are a contract of the scenario key `webhook.scheme` and of `--scheme`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum Scheme {
    /// Standard Webhooks: `webhook-id`, `webhook-timestamp`, `webhook-signature: v1,<base64>`.
    #[default]
    Standard,
    /// GitHub: `X-Hub-Signature-256: sha256=<hex HMAC of the body>`, `X-GitHub-Delivery`.
    Github,
    /// Stripe: `Stripe-Signature: t=<ts>,v1=<hex HMAC of "ts.body">`; the id is the body's `id`.
    Stripe,
    /// Shopify: `X-Shopify-Hmac-Sha256: <base64 HMAC of the body>`, `X-Shopify-Webhook-Id`.
    Shopify,
    /// Slack: `X-Slack-Signature: v0=<hex HMAC of "v0:ts:body">`, `X-Slack-Request-Timestamp`;
    /// the id is the body's `event_id`, `X-Slack-Retry-Num` counts retries.
    Slack,
}

/// Every scheme, in the order the help lists them.
pub const SCHEMES: [Scheme; 5] =
    [Scheme::Standard, Scheme::Github, Scheme::Stripe, Scheme::Shopify, Scheme::Slack];

impl Scheme {
    /// The scheme's name.
    pub fn name(self) -> &'static str {
        match self {
            Scheme::Standard => "standard",
            Scheme::Github => "github",
            Scheme::Stripe => "stripe",
            Scheme::Shopify => "shopify",
            Scheme::Slack => "slack",
        }
    }

    /// Whether this is the default scheme (kept out of serialized scenarios).
    pub fn is_standard(&self) -> bool {
        *self == Scheme::Standard
    }

    /// Reads the secret as this scheme uses it: `whsec_<base64>` for Standard Webhooks (the key is
    /// the decoded bytes); any non-empty text for the others, whose key is the text's bytes (Stripe's
    /// `whsec_…` included, as Stripe's own libraries do).
    pub fn secret(self, text: &str) -> Result<Secret, VerifyError> {
        match self {
            Scheme::Standard => Secret::parse(text),
            _ => Secret::text(text),
        }
    }

    /// The headers to send with `msg`, names as the provider spells them.
    pub fn sign(self, secret: &Secret, msg: &Message<'_>) -> Vec<(&'static str, String)> {
        match self {
            Scheme::Standard => standard::sign(secret, msg),
            Scheme::Github => github::sign(secret, msg),
            Scheme::Stripe => stripe::sign(secret, msg),
            Scheme::Shopify => shopify::sign(secret, msg),
            Scheme::Slack => slack::sign(secret, msg),
        }
    }

    /// Verifies a delivery at `now_s` (Unix seconds): on success, what the delivery says about
    /// itself; the delivery id falls back to a hash of the body ([`body_id`]).
    pub fn verify<H: Headers + ?Sized>(
        self,
        secret: &Secret,
        headers: &H,
        body: &[u8],
        now_s: u64,
        tolerance_s: u64,
    ) -> Result<Verified, VerifyError> {
        let mut v = match self {
            Scheme::Standard => standard::verify(secret, headers, body, now_s, tolerance_s),
            Scheme::Github => github::verify(secret, headers, body),
            Scheme::Stripe => stripe::verify(secret, headers, body, now_s, tolerance_s),
            Scheme::Shopify => shopify::verify(secret, headers, body),
            Scheme::Slack => slack::verify(secret, headers, body, now_s, tolerance_s),
        }?;
        if v.delivery.is_empty() {
            v.delivery = body_id(body);
        }
        Ok(v)
    }
}

impl std::fmt::Display for Scheme {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Scheme {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        SCHEMES.into_iter().find(|x| x.name() == s).ok_or_else(|| {
            format!(
                "unknown signature scheme `{}`; use one of {}",
                crate::support::quote::excerpt(s, crate::support::quote::EXCERPT),
                SCHEMES.map(Scheme::name).join(", ")
            )
        })
    }
}

/// A scheme reads back from its name.
impl<'de> serde::Deserialize<'de> for Scheme {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        <String as serde::Deserialize>::deserialize(d)?.parse().map_err(serde::de::Error::custom)
    }
}

impl serde::Serialize for Scheme {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

/// A request's headers, looked up by name without regard to case.
pub trait Headers {
    /// The first value of `name`, if it is text.
    fn header(&self, name: &str) -> Option<&str>;
}

impl Headers for [(&str, &str)] {
    fn header(&self, name: &str) -> Option<&str> {
        self.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| *v)
    }
}

impl Headers for [(&'static str, String)] {
    fn header(&self, name: &str) -> Option<&str> {
        self.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

/// What is signed: one delivery attempt.
#[derive(Debug, Clone, Copy)]
pub struct Message<'a> {
    /// The message id, fixed across retries (sent where the scheme has an id header).
    pub id: &'a str,
    /// The attempt's Unix time in seconds.
    pub timestamp: u64,
    /// The attempt number, 1 for the first (sent where the scheme has a retry header).
    pub attempt: u32,
    /// The body, exactly as sent.
    pub body: &'a [u8],
}

/// What a verified delivery tells about itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// The delivery id: the scheme's id header or body field, else a hash of the body.
    pub delivery: String,
    /// The scheme's signed timestamp (Unix seconds), where it has one.
    pub timestamp: Option<u64>,
    /// The provider's attempt number, where the scheme sends one (Slack: retry number + 1).
    pub attempt: Option<u32>,
}

/// Why a delivery was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    /// The secret does not fit the scheme.
    #[error("the secret must be `whsec_` followed by base64 (at least 16 bytes of key)")]
    BadSecret,
    /// An empty secret for a scheme that takes any text.
    #[error("the secret is empty")]
    EmptySecret,
    /// A required header is missing or empty.
    #[error("missing or empty `{0}` header")]
    MissingHeader(&'static str),
    /// A header is not in the scheme's format.
    #[error("the `{0}` header is malformed")]
    BadHeader(&'static str),
    /// The timestamp is not a whole number of seconds.
    #[error("`{0}` is not a Unix time in seconds")]
    BadTimestamp(&'static str),
    /// The timestamp is too far from now.
    #[error("`{0}` is outside the tolerance (replay or clock skew)")]
    Expired(&'static str),
    /// No signature in the header matched.
    #[error("no valid signature matched")]
    NoMatch,
}

/// A webhook signing secret (never printed).
#[derive(Clone)]
pub struct Secret {
    /// The Standard Webhooks key: the decoded bytes of `whsec_<base64>` (empty when the text is
    /// not of that form).
    key: Vec<u8>,
    /// The secret as given; the key of the other schemes.
    text: String,
    /// HMACs keyed once with `key` and with `text` (the key schedule is done here, not per
    /// message): each signature starts from a clone.
    keyed: Box<(HmacSha256, HmacSha256)>,
}

impl PartialEq for Secret {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key && self.text == other.text
    }
}

impl Eq for Secret {}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(…)")
    }
}

fn decode_whsec(text: &str) -> Option<Vec<u8>> {
    let b64 = text.trim().strip_prefix("whsec_")?;
    STANDARD.decode(b64).ok().filter(|k| k.len() >= 16)
}

impl Secret {
    /// Parses a Standard Webhooks secret `whsec_<base64>`.
    pub fn parse(text: &str) -> Result<Secret, VerifyError> {
        let key = decode_whsec(text).ok_or(VerifyError::BadSecret)?;
        Ok(Secret::keyed(key, text.trim().to_string()))
    }

    /// Any non-empty text, as GitHub, Stripe, Shopify and Slack secrets are.
    pub fn text(text: &str) -> Result<Secret, VerifyError> {
        if text.is_empty() {
            return Err(VerifyError::EmptySecret);
        }
        Ok(Secret::keyed(decode_whsec(text).unwrap_or_default(), text.to_string()))
    }

    /// A secret from raw key bytes (its text is the `whsec_…` form).
    pub fn from_bytes(key: &[u8]) -> Secret {
        Secret::keyed(key.to_vec(), format!("whsec_{}", STANDARD.encode(key)))
    }

    fn keyed(key: Vec<u8>, text: String) -> Secret {
        let keyed = Box::new((mac(&key), mac(text.as_bytes())));
        Secret { key, text, keyed }
    }

    /// The secret as text (for handing to a receiver you configure; do not log it).
    pub fn expose(&self) -> String {
        self.text.clone()
    }

    /// An HMAC keyed with the Standard Webhooks key.
    fn standard_mac(&self) -> HmacSha256 {
        self.keyed.0.clone()
    }

    /// An HMAC keyed with the secret's text, as the other schemes key it, over `parts` in order.
    fn text_mac(&self, parts: &[&[u8]]) -> HmacSha256 {
        let mut m = self.keyed.1.clone();
        for part in parts {
            m.update(part);
        }
        m
    }
}

fn mac(key: &[u8]) -> HmacSha256 {
    // HMAC accepts keys of any length.
    <HmacSha256 as Mac>::new_from_slice(key).unwrap_or_else(|_| unreachable!())
}

/// Lower-case hex.
fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Decodes hex of either case; `None` on anything else.
fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) || !text.is_ascii() {
        return None;
    }
    (0..text.len()).step_by(2).map(|i| u8::from_str_radix(&text[i..i + 2], 16).ok()).collect()
}

/// Whether `mac` equals the 32 bytes of `claimed`, in constant time.
fn matches(mac: &HmacSha256, claimed: Option<Vec<u8>>) -> bool {
    claimed.is_some_and(|raw| raw.len() == 32 && mac.clone().verify_slice(&raw).is_ok())
}

/// A non-empty header value, trimmed.
fn required<'h, H: Headers + ?Sized>(headers: &'h H, name: &'static str) -> Result<&'h str, VerifyError> {
    headers.header(name).map(str::trim).filter(|v| !v.is_empty()).ok_or(VerifyError::MissingHeader(name))
}

/// A non-empty optional header value.
fn optional<'h, H: Headers + ?Sized>(headers: &'h H, name: &str) -> Option<&'h str> {
    headers.header(name).map(str::trim).filter(|v| !v.is_empty())
}

/// A Unix-seconds timestamp header within `tolerance_s` of `now_s`.
fn fresh(name: &'static str, text: &str, now_s: u64, tolerance_s: u64) -> Result<u64, VerifyError> {
    let ts: u64 = text.trim().parse().map_err(|_| VerifyError::BadTimestamp(name))?;
    if ts.abs_diff(now_s) > tolerance_s {
        return Err(VerifyError::Expired(name));
    }
    Ok(ts)
}

/// A string field of a JSON object body, if the body is one and has it.
fn body_field(body: &[u8], field: &str) -> Option<String> {
    let v: serde_json::Value = serde_json::from_slice(body).ok()?;
    v.get(field)?.as_str().filter(|s| !s.is_empty()).map(str::to_string)
}

/// The fallback delivery id: `sha256:` and the first 16 bytes of the body's SHA-256, in hex.
pub fn body_id(body: &[u8]) -> String {
    format!("sha256:{}", hex(&Sha256::digest(body)[..16]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_unknown_names_are_refused() {
        for s in SCHEMES {
            assert_eq!(s.to_string().parse::<Scheme>(), Ok(s));
        }
        let e = "GitHub".parse::<Scheme>().unwrap_err();
        assert!(e.contains("standard, github, stripe, shopify, slack"), "{e}");
        assert_eq!(Scheme::default(), Scheme::Standard);
    }

    #[test]
    fn every_scheme_verifies_what_it_signs_and_nothing_else() {
        let now = 1_700_000_000;
        let body = br#"{"id":"evt_1","event_id":"Ev1","type":"order.paid"}"#;
        for s in SCHEMES {
            let secret = s.secret("whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD").unwrap();
            let msg = Message { id: "msg_1", timestamp: now, attempt: 3, body };
            let h = s.sign(&secret, &msg);
            let v = s.verify(&secret, h.as_slice(), body, now, 300).unwrap();
            assert!(!v.delivery.is_empty(), "{s}");
            // One bit of the body or the secret: refused (the timestamp: in each scheme's tests).
            let mut b = body.to_vec();
            b[3] ^= 1;
            assert!(s.verify(&secret, h.as_slice(), &b, now, 300).is_err(), "{s} body");
            let other = s.secret("whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oE").unwrap();
            assert!(s.verify(&other, h.as_slice(), body, now, 300).is_err(), "{s} secret");
        }
    }

    #[test]
    fn the_fallback_id_is_a_hash_of_the_body() {
        assert_eq!(body_id(b"x"), body_id(b"x"));
        assert_ne!(body_id(b"x"), body_id(b"y"));
        assert!(body_id(b"").starts_with("sha256:") && body_id(b"").len() == 7 + 32);
    }
}
