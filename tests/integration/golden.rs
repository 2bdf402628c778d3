//! The sim engine's results are a contract: every bundled scenario, every strategy, at the
//! scenario's own intervals plus 5s and 5m, must give byte-identical JSON (but for the wall time)
//! to the files under `tests/integration/golden/`. A change that alters a figure on purpose
//! regenerates them with `HOOKBENCH_BLESS=1 cargo test golden` and says why in its commit.
//! Each row's `timeline` and `ready_cdf` are left out (they would be most of each file);
//! `timeline.rs` and `html.rs` check them.

use hookbench::render::json;
use hookbench::scenario::Scenario;
use hookbench::strategy::StrategyKind;

use crate::util::run;

fn without_wall_time(json: &str) -> String {
    let mut out: String = json
        .lines()
        .filter(|l| !l.trim_start().starts_with("\"wall_time_s\""))
        .collect::<Vec<_>>()
        .join("\n");
    out.push('\n');
    out
}

fn golden_json(name: &str) -> String {
    let s = Scenario::bundled(name).expect("bundled").expect("valid");
    let mut intervals = s.strategies.intervals.clone();
    for extra in [5_000_000, 300_000_000] {
        if !intervals.contains(&extra) {
            intervals.push(extra);
        }
    }
    let mut report = run(&s, &StrategyKind::ALL, &intervals);
    // The timelines (`timeline.rs`) and CDFs (`html.rs`) are checked apart; here they would be
    // most of the file.
    for row in &mut report.strategies {
        row.timeline = None;
        row.ready_cdf = None;
    }
    without_wall_time(&json::render(&report))
}

#[test]
fn every_bundled_scenario_gives_the_golden_json() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/integration/golden");
    let bless = std::env::var_os("HOOKBENCH_BLESS").is_some();
    let mut differ = Vec::new();
    for name in Scenario::bundled_names() {
        let got = golden_json(name);
        let path = dir.join(format!("{name}.json"));
        if bless {
            std::fs::write(&path, &got).expect("write golden");
            continue;
        }
        let want = std::fs::read_to_string(&path).unwrap_or_default();
        if got != want {
            let line = got.lines().zip(want.lines()).position(|(a, b)| a != b).unwrap_or(0);
            differ.push(format!(
                "{name}: first difference at line {}: got `{}`, golden `{}`",
                line + 1,
                got.lines().nth(line).unwrap_or("").trim(),
                want.lines().nth(line).unwrap_or("").trim()
            ));
        }
    }
    assert!(differ.is_empty(), "sim results changed:\n{}", differ.join("\n"));
}
