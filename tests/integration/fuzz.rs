//! Bounded fuzzing under `cargo test` (proptest): the parsers and the verifier take any input
//! without panicking, and what they accept is what they should. Findings are kept as the
//! regression cases at the end.

use proptest::prelude::*;

use hookbench::model::signature::{Message, Scheme, Secret, VerifyError, SCHEMES};
use hookbench::result::threshold::Threshold;
use hookbench::scenario::Scenario;
use hookbench::support::units::{format_duration, parse_duration, parse_rate};

const SECRET: &str = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";

fn scenario_fragments() -> impl Strategy<Value = String> {
    let key = prop::sample::select(vec![
        "name",
        "duration",
        "seed",
        "drain",
        "rate",
        "resources",
        "states",
        "payload_bytes",
        "visibility_delay",
        "rtt",
        "rate_limit",
        "page_size",
        "not_modified_counts",
        "poll_interval_hint",
        "delay",
        "timeout",
        "retry",
        "payload",
        "jitter",
        "failure_rate",
        "slow_rate",
        "slow",
        "outages",
        "gone_at",
        "intervals",
        "reconcile_interval",
        "list",
        "bursts",
        "bogus",
    ]);
    let value = prop::sample::select(vec![
        "\"30s\"",
        "\"-1s\"",
        "\"0s\"",
        "\"30\"",
        "\"5000/h\"",
        "\"0/h\"",
        "\"-5/h\"",
        "1",
        "-1",
        "0",
        "1.5",
        "true",
        "\"svix\"",
        "\"nope\"",
        "[\"5s\", \"1m\"]",
        "[]",
        "{ median = \"80ms\", p99 = \"400ms\" }",
        "{ median = \"1s\", p99 = \"1ms\" }",
        "[{ at = \"1h\", duration = \"10m\" }]",
        "\"thin\"",
        "\"\"",
        "99999999999999999999",
        "\"366d\"",
        "\"1ns\"",
        "nan",
        "inf",
        "[\"poll\", \"sse\"]",
        "{ x = 1 }",
    ]);
    let section = prop::sample::select(vec![
        "",
        "[events]\n",
        "[api]\n",
        "[webhook]\n",
        "[receiver]\n",
        "[strategies]\n",
        "[bogus]\n",
        "[events\n",
    ]);
    prop::collection::vec((section, key, value), 0..12).prop_map(|parts| {
        let mut t = String::from("name = \"fuzz\"\nduration = \"1h\"\n");
        for (section, key, value) in parts {
            t.push_str(section);
            t.push_str(&format!("{key} = {value}\n"));
        }
        t
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, .. ProptestConfig::default() })]

    #[test]
    fn the_scenario_parser_never_panics(text in scenario_fragments()) {
        match Scenario::from_toml(&text, "fuzz.toml") {
            Ok(s) => {
                prop_assert!(s.duration > 0 && !s.strategies.intervals.is_empty());
                prop_assert!(s.expected_events() <= hookbench::scenario::MAX_SIM_EVENTS);
            }
            Err(e) => {
                prop_assert!(e.0.starts_with("scenario fuzz.toml: "), "{}", e.0);
                prop_assert!(!e.0.contains('\n'), "one sentence: {}", e.0);
            }
        }
    }

    #[test]
    fn arbitrary_text_never_panics_the_scenario_parser(text in "\\PC{0,300}") {
        let _ = Scenario::from_toml(&text, "fuzz.toml");
    }

    #[test]
    fn duration_and_rate_parsers_take_anything(text in "\\PC{0,24}") {
        if let Ok(d) = parse_duration(&text) {
            prop_assert!(!text.trim().is_empty());
            let _ = format_duration(d);
        }
        if let Ok(r) = parse_rate(&text) {
            prop_assert!(r.count >= 0.0 && r.count.is_finite() && r.per > 0);
        }
    }

    #[test]
    fn durations_round_trip(secs in 0u64..10_000_000, millis in 0u64..1000) {
        let text = format!("{secs}s {millis}ms");
        prop_assert_eq!(parse_duration(&text).unwrap(), secs * 1_000_000 + millis * 1000);
    }

    #[test]
    fn the_threshold_parser_takes_anything(text in "\\PC{0,40}") {
        let _ = Threshold::parse(&text);
    }

    #[test]
    fn threshold_like_text_never_panics(
        name in "(poll|webhook|hybrid|x)(@[0-9a-z]{0,4})?",
        metric in "(p99|mean|missed|requests_per_day|peak_use|bogus)",
        op in "(<|<=|>|>=|==|!=|=|<>)",
        value in "(-?[0-9]{0,6}(\\.[0-9]{0,3})?)(s|ms|%|m|x)?",
    ) {
        let _ = Threshold::parse(&format!("{name}.{metric}{op}{value}"));
    }

    #[test]
    fn the_verifier_accepts_only_genuine_signatures(
        id in "\\PC{0,40}",
        ts in "\\PC{0,12}",
        sig in "\\PC{0,120}",
        body in prop::collection::vec(any::<u8>(), 0..256),
        now in 0u64..4_000_000_000,
    ) {
        let secret = Secret::parse(SECRET).unwrap();
        if secret.verify(&id, &ts, &sig, &body, now, 300).is_ok() {
            // Only possible if the header holds the real signature for exactly this content.
            let t: u64 = ts.trim().parse().unwrap();
            prop_assert!(sig.split_ascii_whitespace().any(|p| p == secret.sign(&id, t, &body)));
        }
    }

    #[test]
    fn a_genuine_signature_survives_only_untouched(
        body in prop::collection::vec(any::<u8>(), 1..256),
        flip in any::<prop::sample::Index>(),
    ) {
        let secret = Secret::parse(SECRET).unwrap();
        let sig = secret.sign("msg_1", 1_700_000_000, &body);
        prop_assert!(secret.verify("msg_1", "1700000000", &sig, &body, 1_700_000_000, 300).is_ok());
        let mut tampered = body.clone();
        let i = flip.index(tampered.len());
        tampered[i] ^= 0x01;
        prop_assert_eq!(
            secret.verify("msg_1", "1700000000", &sig, &tampered, 1_700_000_000, 300),
            Err(VerifyError::NoMatch)
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, .. ProptestConfig::default() })]

    /// Every scheme: arbitrary header values never verify unless they are the genuine
    /// signature of exactly this body (and, where signed, timestamp).
    #[test]
    fn every_scheme_accepts_only_genuine_signatures(
        which in 0usize..5,
        values in prop::collection::vec("\\PC{0,90}", 4),
        body in prop::collection::vec(any::<u8>(), 0..128),
        now in 0u64..4_000_000_000,
    ) {
        let scheme = SCHEMES[which];
        let secret = scheme.secret(SECRET).unwrap();
        // The header names of this scheme, filled with arbitrary text.
        let names: Vec<&'static str> =
            scheme.sign(&secret, &Message { id: "m", timestamp: 1, attempt: 2, body: b"" }).into_iter().map(|h| h.0).collect();
        let headers: Vec<(&'static str, String)> = names.iter().zip(&values).map(|(n, v)| (*n, v.clone())).collect();
        if let Ok(v) = scheme.verify(&secret, headers.as_slice(), &body, now, 300) {
            // Only possible if re-signing at the claimed time gives the same signature header.
            let again = scheme.sign(&secret, &Message { id: &v.delivery, timestamp: v.timestamp.unwrap_or(0), attempt: 1, body: &body });
            prop_assert!(again.iter().any(|h| headers.contains(h)), "{scheme}: {headers:?}");
        }
    }

    /// Every scheme: a genuine signature survives only an untouched body, timestamp and secret.
    #[test]
    fn every_scheme_refuses_one_flipped_bit(
        which in 0usize..5,
        body in prop::collection::vec(any::<u8>(), 1..256),
        flip in any::<prop::sample::Index>(),
        key_bit in 0usize..8,
    ) {
        let scheme = SCHEMES[which];
        let secret = scheme.secret(SECRET).unwrap();
        let ts = 1_700_000_000;
        let h = scheme.sign(&secret, &Message { id: "msg_1", timestamp: ts, attempt: 1, body: &body });
        prop_assert!(scheme.verify(&secret, h.as_slice(), &body, ts, 300).is_ok());
        let mut tampered = body.clone();
        let i = flip.index(tampered.len());
        tampered[i] ^= 0x01;
        prop_assert!(scheme.verify(&secret, h.as_slice(), &tampered, ts, 300).is_err(), "{scheme}: body");
        // The secret: one bit of its last base64 character's byte.
        let mut text = SECRET.as_bytes().to_vec();
        let last = text.len() - 2;
        text[last] ^= 1 << (key_bit % 2);
        if let Ok(other) = scheme.secret(&String::from_utf8_lossy(&text)) {
            if other != secret {
                prop_assert!(scheme.verify(&other, h.as_slice(), &body, ts, 300).is_err(), "{scheme}: secret");
            }
        }
        // The timestamp, where the scheme signs one: every header re-signed one second later but
        // the signature kept.
        if scheme != Scheme::Github && scheme != Scheme::Shopify {
            let later = scheme.sign(&secret, &Message { id: "msg_1", timestamp: ts + 1, attempt: 1, body: &body });
            let moved: Vec<(&'static str, String)> = later
                .iter()
                .map(|(k, v)| match scheme {
                    // Stripe's one header carries both: keep the signature, move `t`.
                    Scheme::Stripe => (*k, h[0].1.replace(&format!("t={ts}"), &format!("t={}", ts + 1))),
                    _ if k.contains("ignature") => (*k, h.iter().find(|x| x.0 == *k).unwrap().1.clone()),
                    _ => (*k, v.clone()),
                })
                .collect();
            prop_assert!(scheme.verify(&secret, moved.as_slice(), &body, ts, 300).is_err(), "{scheme}: timestamp");
        }
    }
}

/// Findings kept as regression cases.
#[test]
fn regressions() {
    // TOML integers beyond i64 (a seed) are refused with their position, not a panic.
    let e = Scenario::from_toml("name = \"x\"\nseed = 18446744073709551615\n[events]\nrate = \"1/h\"\n", "f")
        .unwrap_err();
    assert!(e.0.contains("line 2"), "{e}");
    // A NaN share.
    assert!(Scenario::from_toml(
        "name = \"x\"\n[events]\nrate = \"1/h\"\n[receiver]\nfailure_rate = nan\n",
        "f"
    )
    .is_err());
    // Multi-line TOML messages are folded into one line.
    let e = Scenario::from_toml("name = \"x\"\n[events\n", "f").unwrap_err();
    assert!(!e.0.contains('\n'), "{e}");
    // Non-ASCII in a signature header is skipped, not sliced.
    let s = Secret::parse(SECRET).unwrap();
    assert!(s.verify("m", "1", "v1,é", b"", 1, 300).is_err());
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, .. ProptestConfig::default() })]

    #[test]
    fn events_query_parameters_never_make_a_5xx(
        after in prop::option::of("(evt_)?-?[0-9]{0,22}|\\PC{0,12}"),
        limit in prop::option::of("-?[0-9]{0,12}|\\PC{0,6}"),
        extra in "[a-z]{0,4}=?\\PC{0,6}",
    ) {
        use tower::ServiceExt;
        let mut q = Vec::new();
        let enc = |s: &str| s.bytes().map(|b| format!("%{b:02X}")).collect::<String>();
        if let Some(a) = &after { q.push(format!("after={}", enc(a))); }
        if let Some(l) = &limit { q.push(format!("limit={}", enc(l))); }
        q.push(enc(&extra));
        let uri = format!("/events?{}", q.join("&"));
        let status = RT.with(|rt| rt.block_on(async {
            let req = axum::http::Request::get(&uri).body(axum::body::Body::empty()).unwrap();
            ROUTER.with(|r| r.clone()).oneshot(req).await.unwrap().status().as_u16()
        }));
        prop_assert!(status == 200 || status == 400, "{uri}: {status}");
    }
}

thread_local! {
    static RT: tokio::runtime::Runtime =
        tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    static ROUTER: axum::Router = {
        let s = std::sync::Arc::new(
            Scenario::from_toml("name = \"q\"\nduration = \"1h\"\n[events]\nrate = \"600/h\"\n[api]\nrtt = \"0s\"\n", "q").unwrap(),
        );
        let log = std::sync::Arc::new(hookbench::model::source::EventLog::generate(&s));
        hookbench::live::source::router(hookbench::live::source::SourceState::new(
            s,
            log,
            hookbench::live::clock::Clock::start(1e6),
        ))
    };
}
