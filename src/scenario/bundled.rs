//! The bundled scenarios: the TOML files under `scenarios/`, embedded in the binary.
//!
//! Owns their names, their order (the first is the default) and looking one up by name. The
//! texts go through the same parser as a user's file (`Scenario::bundled`); nothing here parses
//! or builds a scenario, and it imports nothing.

/// The bundled scenarios: name and TOML text. The first is the default.
pub const BUNDLED: &[(&str, &str)] = &[
    ("payments", include_str!("../../scenarios/payments.toml")),
    ("iot-burst", include_str!("../../scenarios/iot-burst.toml")),
    ("receiver-outage", include_str!("../../scenarios/receiver-outage.toml")),
    ("high-churn", include_str!("../../scenarios/high-churn.toml")),
    ("strict-quota", include_str!("../../scenarios/strict-quota.toml")),
    ("eventual-consistency", include_str!("../../scenarios/eventual-consistency.toml")),
    ("github-events", include_str!("../../scenarios/github-events.toml")),
    ("flash-sale", include_str!("../../scenarios/flash-sale.toml")),
    ("api-outage", include_str!("../../scenarios/api-outage.toml")),
    ("github", include_str!("../../scenarios/github.toml")),
    ("stripe", include_str!("../../scenarios/stripe.toml")),
    ("shopify", include_str!("../../scenarios/shopify.toml")),
    ("shopify-rest", include_str!("../../scenarios/shopify-rest.toml")),
    ("slack", include_str!("../../scenarios/slack.toml")),
];

/// The default scenario's name.
pub const DEFAULT: &str = "payments";

/// The TOML text of the bundled scenario `name`.
pub fn text(name: &str) -> Option<&'static str> {
    BUNDLED.iter().find(|(n, _)| *n == name).map(|(_, text)| *text)
}

/// Names of the bundled scenarios, in order.
pub fn names() -> Vec<&'static str> {
    BUNDLED.iter().map(|(n, _)| *n).collect()
}
