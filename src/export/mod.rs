//! Exports: a scenario turned into a program another tool runs (today a Locust load test).
//!
//! Owns the generation of the exported text and nothing else: it takes a resolved scenario, its
//! event stream and validated options, and returns the file's bytes — deterministic for the same
//! scenario, seed and options (same bytes), and bounded ([`MAX_EXPORT_EVENTS`]). It never reads
//! or writes a file, a socket or a clock, and never parses flags: `commands::export` validates
//! them and writes the result.

pub mod locust;

/// The signature schemes an export can sign with, in the order `--help` lists them. The names
/// are a contract (`--scheme`).
pub const SCHEMES: [&str; 5] = ["standard", "github", "stripe", "shopify", "slack"];

/// The most events an exported file embeds (about 11 bytes each, so about 11 MB at most).
pub const MAX_EXPORT_EVENTS: usize = 1_000_000;

/// How deliveries are signed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    /// Standard Webhooks: `webhook-id`, `webhook-timestamp`, `webhook-signature: v1,<base64>`.
    Standard,
    /// GitHub: `X-Hub-Signature-256: sha256=<hex HMAC(body)>` and `X-GitHub-Delivery`.
    Github,
    /// Stripe: `Stripe-Signature: t=<ts>,v1=<hex HMAC("ts.body")>`.
    Stripe,
    /// Shopify: `X-Shopify-Hmac-Sha256: <base64 HMAC(body)>` and `X-Shopify-Webhook-Id`.
    Shopify,
    /// Slack: `X-Slack-Signature: v0=<hex HMAC("v0:ts:body")>` and `X-Slack-Request-Timestamp`.
    Slack,
}

impl Scheme {
    /// The scheme named `name` (one of [`SCHEMES`]).
    pub fn parse(name: &str) -> Option<Scheme> {
        Some(match name {
            "standard" => Scheme::Standard,
            "github" => Scheme::Github,
            "stripe" => Scheme::Stripe,
            "shopify" => Scheme::Shopify,
            "slack" => Scheme::Slack,
            _ => return None,
        })
    }

    /// Its name, as `--scheme` takes it.
    pub fn name(self) -> &'static str {
        match self {
            Scheme::Standard => "standard",
            Scheme::Github => "github",
            Scheme::Stripe => "stripe",
            Scheme::Shopify => "shopify",
            Scheme::Slack => "slack",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_listed_scheme_parses_back_to_its_name() {
        for name in SCHEMES {
            assert_eq!(Scheme::parse(name).map(Scheme::name), Some(name));
        }
        assert_eq!(Scheme::parse("Standard"), None);
    }
}
