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
