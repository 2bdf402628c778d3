//! Profiles to build on: `extends` merges a parent key by key, `--set` changes one key; the
//! effective scenario is the hand-merged one.

use hookbench::scenario::{Scenario, TraceAccess};

use crate::util::{hookbench, temp_dir, text};

fn json(s: &Scenario) -> serde_json::Value {
    serde_json::to_value(s).unwrap()
}

/// For every bundled scenario: a child that only `extends` it and renames it is the parent; with
/// `--set`, the parent with that one key changed.
#[test]
fn extends_and_set_give_the_hand_merged_scenario_for_every_bundled_profile() {
    for name in Scenario::bundled_names() {
        let parent = Scenario::bundled(name).unwrap().unwrap();
        let child_text = format!("name = \"child\"\nextends = \"{name}\"\n");
        let child = Scenario::from_toml(&child_text, "child").unwrap_or_else(|e| panic!("{name}: {e}"));
        let mut expected = json(&parent);
        expected["name"] = "child".into();
        assert_eq!(json(&child), expected, "{name}");

        let sets = ["receiver.workers=8".to_string(), "seed=5".to_string()];
        let set = Scenario::from_toml_set(&child_text, "child", TraceAccess::Nowhere, &sets).unwrap();
        let mut hand = parent.clone();
        hand.name = "child".into();
        hand.seed = 5;
        hand.receiver.capacity.workers = Some(8);
        assert_eq!(json(&set), json(&hand), "{name}");
    }
}

/// A child's section merges into the parent's key by key: keys it does not name are the
/// parent's.
#[test]
fn a_childs_section_merges_key_by_key() {
    let child = "name = \"mine\"\nextends = \"stripe\"\n[events]\nrate = \"2000/d\"\n";
    let s = Scenario::from_toml(child, "mine").unwrap();
    let stripe = Scenario::bundled("stripe").unwrap().unwrap();
    assert!((s.events.rate.per_second() * 86_400.0 - 2000.0).abs() < 1e-6);
    assert_eq!((s.events.resources, &s.events.states), (stripe.events.resources, &stripe.events.states));
    assert_eq!(json(&s)["api"], json(&stripe)["api"]);
}

/// On the command line: a file that extends a bundled profile, `--set` on it, `scenarios show
/// --resolved`; an unknown key is exit 2 naming the nearest valid one; a loop is refused.
#[test]
fn set_and_extends_through_the_command_line() {
    let dir = temp_dir("extends");
    let mine = dir.join("mine.toml");
    std::fs::write(
        &mine,
        "name = \"mine\"\nextends = \"stripe\"\n[receiver]\nworkers = 4\nprocess = \"200ms\"\n",
    )
    .unwrap();
    let m = mine.to_str().unwrap();
    let out = hookbench(&["compare", "-s", m, "-d", "1h", "--set", "receiver.workers=1", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out).1);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["scenario"]["receiver"]["capacity"]["workers"], 1, "{}", v["scenario"]["receiver"]);
    let (shown, _) = text(&hookbench(&["scenarios", "show", "--resolved", m, "--set", "events.rate=2000/d"]));
    assert!(
        shown.contains("rate = \"2000/d\"") && shown.contains("workers = 4") && !shown.contains("extends"),
        "{shown}"
    );
    let out = hookbench(&["compare", "-s", m, "--set", "events.rte=5/h"]);
    let err = text(&out).1;
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("unknown field `rte`") && err.contains("did you mean `rate`?"), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    // A loop: a extends b extends a.
    std::fs::write(dir.join("a.toml"), "name = \"a\"\nextends = \"b.toml\"\n").unwrap();
    std::fs::write(dir.join("b.toml"), "name = \"b\"\nextends = \"a.toml\"\n").unwrap();
    let out = hookbench(&["scenarios", "validate", dir.join("a.toml").to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out).1.contains("loop"), "{}", text(&out).1);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Provider exports replay as traces, event for event: Stripe's `GET /v1/events` pages saved by
/// `curl` and concatenated (epoch `created`, the object in `data.object.id`), and GitHub's events
/// API array (RFC 3339 `created_at` with any offset, the repository in `repo.name`).
#[test]
fn provider_exports_replay_with_their_exact_events_and_times() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/traces");
    let stripe =
        hookbench::trace::read("stripe-events.json", &root.join("stripe-events.json"), &Default::default())
            .unwrap();
    assert_eq!(stripe.times, hookbench::trace::Times::EpochSeconds);
    let at: Vec<(u64, Option<u32>)> = stripe.rows.iter().map(|r| (r.at / 1_000_000, r.resource)).collect();
    // evt_1 (pi_1) at 0 s, evt_2 (pi_1) at 30 s, evt_3 (pi_2) at 60 s.
    assert_eq!(at, [(0, Some(0)), (30, Some(0)), (60, Some(1))]);
    let github =
        hookbench::trace::read("github-events.json", &root.join("github-events.json"), &Default::default())
            .unwrap();
    let at: Vec<(u64, Option<u32>)> = github.rows.iter().map(|r| (r.at / 1_000_000, r.resource)).collect();
    // 09:00:00Z (hello-world), 10:00:30+01:00 = 09:00:30Z (spoon-knife), 09:02:00Z (hello-world).
    assert_eq!(at, [(0, Some(0)), (30, Some(1)), (120, Some(0))]);
    // And through the command line, with the unit said under the table.
    let out = hookbench(&[
        "compare",
        "--trace",
        root.join("stripe-events.json").to_str().unwrap(),
        "--strategies",
        "poll",
    ]);
    let (table, err) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(table.contains("3 events, times read as Unix epoch seconds"), "{table}");
}

/// A bare TOML number where a duration or a rate is expected gets the unit hint every other
/// duration error gives, not serde's sentence alone (issue 23 item 32).
#[test]
fn a_bare_number_for_a_duration_gets_the_unit_hint() {
    for (key, n) in [("[webhook]\ntimeout = 15", "15"), ("[receiver]\nslow = 30", "30")] {
        let e = Scenario::from_toml(&format!("name = \"t\"\n[events]\nrate = \"1/h\"\n{key}\n"), "f")
            .unwrap_err()
            .to_string();
        assert!(e.contains("is a bare number") && e.contains(&format!("`\"{n}s\"`")), "{key}: {e}");
    }
}

/// A scenario that lists one interval twice (in two spellings) or a strategy twice is refused,
/// never run as duplicate rows (issue 23 item 24).
#[test]
fn a_repeated_interval_or_strategy_is_refused() {
    let base = "name = \"t\"\n[events]\nrate = \"1/h\"\n[strategies]\n";
    let e = Scenario::from_toml(&format!("{base}intervals = [\"30s\", \"30000ms\"]\n"), "f")
        .unwrap_err()
        .to_string();
    assert!(e.contains("strategies.intervals[1]") && e.contains("`30000ms` repeats"), "{e}");
    let e = Scenario::from_toml(&format!("{base}list = [\"poll\", \"webhook\", \"poll\"]\n"), "f")
        .unwrap_err()
        .to_string();
    assert!(e.contains("names `poll` twice"), "{e}");
}

/// OpenAPI 3.0's `nullable: true` in JSON Schema's words: the type or null.
fn openapi_nullable(schema: &mut serde_json::Value) {
    match schema {
        serde_json::Value::Object(map) => {
            if map.get("nullable") == Some(&serde_json::Value::Bool(true)) {
                if let Some(t) = map.get("type").cloned() {
                    map.insert("type".into(), serde_json::json!([t, "null"]));
                }
            }
            map.values_mut().for_each(openapi_nullable);
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(openapi_nullable),
        _ => {}
    }
}

/// `--trace-format` reads a provider's export where that provider keeps each field — the time,
/// the resource and the event type — and the types become the scenario's, each with its share of
/// the rows. Svix's list-messages pages here, and the committed sample, are first checked against
/// Svix's own schema for that answer (`ListResponse_MessageOut_` from Svix's OpenAPI document,
/// `tests/fixtures/svix-list-messages.schema.json`), so the reader is tried on the shape Svix's API
/// returns, not on a shape written here.
#[test]
fn trace_formats_read_time_resource_and_type_where_each_provider_keeps_them() {
    let mut schema: serde_json::Value =
        serde_json::from_str(include_str!("../fixtures/svix-list-messages.schema.json")).unwrap();
    openapi_nullable(&mut schema);
    let svix =
        jsonschema::options().should_validate_formats(true).build(&schema).expect("Svix's schema compiles");
    let assert_svix = |page: &serde_json::Value| {
        let errors: Vec<String> =
            svix.iter_errors(page).map(|e| format!("{} at {}", e, e.instance_path)).collect();
        assert!(errors.is_empty(), "not a Svix list-messages page: {errors:?}");
    };
    // Svix's schema is strict enough to tell: a message without its eventType, or with a time
    // that is not RFC 3339, is refused.
    let bad = serde_json::json!({ "data": [{ "id": "msg_1", "payload": {}, "timestamp": "2026-11-27T09:00:00Z" }], "done": true });
    assert!(!svix.is_valid(&bad));
    let bad = serde_json::json!({ "data": [{ "id": "msg_1", "eventType": "a", "payload": {}, "timestamp": "yesterday" }], "done": true });
    assert!(!svix.is_valid(&bad));
    let msg = |id: &str, ty: &str, at: &str| serde_json::json!({ "eventType": ty, "payload": { "type": ty }, "id": id, "timestamp": at });
    let page = serde_json::json!({
        "data": [
            msg("msg_3", "invoice.paid", "2026-11-27T09:02:00Z"),
            msg("msg_2", "invoice.created", "2026-11-27T09:00:30Z"),
            msg("msg_1", "invoice.created", "2026-11-27T09:00:00Z"),
        ],
        "done": true,
        "iterator": null,
        "prevIterator": null,
    });
    assert_svix(&page);
    let committed =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/traces/svix-messages.json");
    let committed = std::fs::read_to_string(committed).unwrap();
    let pages: Vec<serde_json::Value> =
        serde_json::Deserializer::from_str(&committed).into_iter().collect::<Result<_, _>>().unwrap();
    assert_eq!(pages.len(), 2, "the committed sample is two pages as curl appends them");
    pages.iter().for_each(assert_svix);
    let dir = crate::util::temp_dir("trace-formats");
    let file = dir.join("svix.json");
    std::fs::write(&file, serde_json::to_string(&page).unwrap()).unwrap();
    let run = |args: &[&str]| {
        let mut all = vec!["compare", "--quiet", "--format", "json", "--strategies", "webhook"];
        all.extend_from_slice(args);
        let out = hookbench(&all);
        let (stdout, err) = text(&out);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {err}");
        serde_json::from_str::<serde_json::Value>(&stdout).unwrap()
    };
    let r = run(&["--trace", file.to_str().unwrap(), "--trace-format", "svix-messages"]);
    let ev = &r["scenario"]["events"];
    assert_eq!(ev["types"]["names"], serde_json::json!(["invoice.created", "invoice.paid"]));
    assert_eq!(ev["types"]["weights"], serde_json::json!([2.0, 1.0]));
    assert_eq!(ev["trace"]["times"], "rfc3339");
    assert_eq!(r["strategies"][0]["events"]["total"], 3);

    // Stripe: subscribe to one type; only its events are delivered and counted.
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/traces");
    let stripe = root.join("stripe-events.json");
    let r = run(&[
        "--trace",
        stripe.to_str().unwrap(),
        "--trace-format",
        "stripe-events",
        "--set",
        "webhook.subscribe=[\"payment_intent.succeeded\"]",
    ]);
    let row = &r["strategies"][0];
    assert_eq!(row["events"]["total"], 2, "{row}");
    assert_eq!(row["webhooks"]["attempts"], 2, "{row}");
    // The committed Svix sample: two pages as curl saves them, one with a +01:00 offset.
    let r = run(&[
        "--trace",
        root.join("svix-messages.json").to_str().unwrap(),
        "--trace-format",
        "svix-messages",
    ]);
    assert_eq!(r["strategies"][0]["events"]["total"], 4);
    assert_eq!(r["scenario"]["events"]["types"]["weights"], serde_json::json!([2.0, 2.0]));
    // GitHub's array, read by its format: three types.
    let r = run(&[
        "--trace",
        root.join("github-events.json").to_str().unwrap(),
        "--trace-format",
        "github-events",
    ]);
    assert_eq!(
        r["scenario"]["events"]["types"]["names"],
        serde_json::json!(["WatchEvent", "IssuesEvent", "PushEvent"])
    );
    // Bad mappings are one sentence and exit 2.
    for (args, want) in [
        (vec!["--trace-columns", "when"], "--trace-columns: `when` is not FIELD=COLUMN"),
        (vec!["--trace", stripe.to_str().unwrap(), "--trace-columns", "time=when"], "no `when` for the time"),
    ] {
        let mut all = vec!["compare", "--quiet"];
        all.extend_from_slice(&args);
        let out = hookbench(&all);
        let (_, err) = text(&out);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert!(err.contains(want) && err.trim().lines().count() == 1, "{err}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
