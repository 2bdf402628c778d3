//! `advise`'s answer (in words and a small table, as JSON or as Markdown) and the sweep's
//! frontier note.
//!
//! Owns the wording: the run's headline, what was swept and the target, the pick (or the
//! fastest row to relax the target to), and one line per row with its verdict. It never ranks
//! or judges a row: [`crate::result::advice`] does, and this module only words its [`Advice`] and
//! [`Frontiers`].

use super::table::headline;
use super::text::{compact, durations, measure, quota};
use crate::result::advice::{Advice, Fail, Frontiers, RowJudgement};
use crate::result::report::Report;
use crate::support::units::Micros;

/// Why a row does not qualify, in words.
fn fail(advice: &Advice, v: &RowJudgement, why: Fail) -> String {
    let p = advice.percentile;
    match why {
        Fail::Misses(n) => format!("misses {n} event{}", if n == 1 { "" } else { "s" }),
        Fail::InFlight(n) => format!(
            "{} event{} still in flight at the end: its latency covers only what it detected",
            super::text::group(n),
            if n == 1 { "" } else { "s" }
        ),
        Fail::OverQuota(n) => format!("over the quota: {n} requests refused with 429"),
        Fail::DetectedNothing => "detected nothing".to_string(),
        Fail::TooSlow => format!(
            "too slow: {} {}{} > {}",
            p.name(),
            if v.latency_ci95_ms.is_some() { "upper 95% bound " } else { "" },
            measure(p, v.judged_ms()),
            measure(p, Some(advice.max_latency_ms))
        ),
        Fail::OverQuotaShare => format!(
            "over the quota target: peak use above {}",
            advice.max_quota.map_or("—".into(), |q| format!("{:.0}%", q * 100.0))
        ),
        Fail::ProcessedTooSlow => format!(
            "processed too late: {} {} > {}",
            p.processed().unwrap_or(p).name(),
            measure(p, v.processed_ms),
            measure(p, advice.max_processed_ms)
        ),
    }
}

/// The answer to `advise` on a sweep of `intervals`.
pub fn render(report: &Report, advice: &Advice, intervals: &[Micros]) -> String {
    let p = advice.percentile;
    let target = measure(p, Some(advice.max_latency_ms));
    let within = match &report.scenario.api.rate_limit {
        Some(q) => format!("a quota of {}", quota(q)),
        None => "no rate limit".into(),
    };
    let mut s = format!(
        "{}\nswept poll intervals {}; target: {} ≤ {target} with no missed events, within {within}.\n\
         Ranked by HTTP requests per day (API requests made + webhook deliveries received), then by latency.\n",
        headline(report),
        durations(intervals),
        p.name()
    );
    if let Some(r) = &report.replications {
        s.push_str(&format!(
            "Judged by the upper bound of each 95% interval over {} replications: mean latency plus its half-width, \
             and no misses, events in flight or 429s in any replication.\n",
            r.count
        ));
    }
    s.push('\n');
    match advice.pick.map(|i| &advice.verdicts[i]) {
        Some(v) => s.push_str(&format!(
            "advice: {} — {} requests/day, {} {}, 0 missed\n",
            v.label,
            compact(v.cost_per_day),
            p.name(),
            latency(advice, v)
        )),
        None => {
            s.push_str(&format!(
                "advice: none of the {} rows meets {} ≤ {target} with no missed events.\n",
                advice.verdicts.len(),
                p.name()
            ));
            match advice.fastest.map(|i| &advice.verdicts[i]) {
                // The target that binds: when the row meets --max-latency and only its processed
                // latency is over, relaxing --max-latency would change nothing.
                Some(v) if v.fails == Some(Fail::ProcessedTooSlow) => s.push_str(&format!(
                    "the fastest row that misses nothing and stays within the quota is {} at {} {} ({} requests/day), \
                     processed at {}; relax --max-processed-latency to that or change the design\n",
                    v.label,
                    p.name(),
                    latency(advice, v),
                    compact(v.cost_per_day),
                    measure(p, v.processed_ms)
                )),
                Some(v) => s.push_str(&format!(
                    "the fastest row that misses nothing and stays within the quota is {} at {} {} ({} requests/day); \
                     relax the target to {} or change the design\n",
                    v.label,
                    p.name(),
                    latency(advice, v),
                    compact(v.cost_per_day),
                    measure(p, v.judged_ms())
                )),
                None => s.push_str("every row misses events, has events still in flight at the end, or exceeds the quota\n"),
            }
        }
    }
    let width = match report.replications {
        Some(_) => {
            advice.verdicts.iter().map(|v| latency(advice, v).chars().count()).max().unwrap_or(0).max(9)
        }
        None => 9,
    };
    s.push_str(&format!(
        "\n{:<20} {:>12} {:>width$} {:>7}  verdict\n",
        "row",
        "requests/day",
        p.name(),
        "missed"
    ));
    for (i, v) in advice.verdicts.iter().enumerate() {
        let verdict = verdict(advice, i, v);
        s.push_str(&format!(
            "{:<20} {:>12} {:>width$} {:>7}  {verdict}\n",
            v.label,
            compact(v.cost_per_day),
            latency(advice, v),
            compact(v.missed as f64)
        ));
    }
    s
}

/// A row's verdict in words: the pick, qualifies, or why not.
fn verdict(advice: &Advice, i: usize, v: &RowJudgement) -> String {
    match (v.fails, Some(i) == advice.pick) {
        (_, true) => "◀ cheapest that qualifies".to_string(),
        (None, false) => "qualifies".to_string(),
        (Some(why), _) => fail(advice, v, why),
    }
}

/// The answer to `advise` as JSON: the target, the pick and the fastest row by label (null when
/// none), and every row's verdict, cheapest first.
pub fn json(advice: &Advice) -> String {
    let label = |i: Option<usize>| i.map(|i| advice.verdicts[i].label.clone());
    let v = serde_json::json!({
        "percentile": advice.percentile,
        "max_latency_ms": advice.max_latency_ms,
        "max_processed_ms": advice.max_processed_ms,
        "pick": label(advice.pick),
        "fastest": label(advice.fastest),
        "rows": advice.verdicts,
    });
    let mut s = serde_json::to_string_pretty(&v).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"));
    s.push('\n');
    s
}

/// The answer to `advise` as GitHub-flavoured Markdown: the run, the target, the pick in bold
/// and one table row per verdict.
pub fn markdown(report: &Report, advice: &Advice) -> String {
    let p = advice.percentile;
    let cell = |s: &str| super::text::escape(s).replace('|', "\\|");
    let mut s = format!(
        "{}\n\ntarget: {} ≤ {} with no missed events\n\n",
        cell(&headline(report)),
        p.name(),
        measure(p, Some(advice.max_latency_ms))
    );
    match advice.pick.map(|i| &advice.verdicts[i]) {
        Some(v) => s.push_str(&format!(
            "**advice: `{}`** — {} requests/day, {} {}, 0 missed\n\n",
            cell(&v.label),
            compact(v.cost_per_day),
            p.name(),
            latency(advice, v)
        )),
        None => s.push_str(&format!("**advice: none of the {} rows qualifies**\n\n", advice.verdicts.len())),
    }
    s.push_str(&format!(
        "| row | requests/day | {} | missed | verdict |\n|:---|---:|---:|---:|:---|\n",
        p.name()
    ));
    for (i, v) in advice.verdicts.iter().enumerate() {
        s.push_str(&format!(
            "| `{}` | {} | {} | {} | {} |\n",
            cell(&v.label),
            compact(v.cost_per_day),
            latency(advice, v),
            compact(v.missed as f64),
            cell(&verdict(advice, i, v))
        ));
    }
    s
}

/// A verdict's latency, with its 95% half-width on a replicated run (`2.3s ±0.2`).
fn latency(advice: &Advice, v: &RowJudgement) -> String {
    match v.latency_ci95_ms {
        Some(_) if advice.percentile.unit() == crate::result::measure::Unit::Ms => {
            super::table::lat_ci(v.latency_ms, v.latency_ci95_ms)
        }
        _ => measure(advice.percentile, v.latency_ms),
    }
}

/// The frontier note under the sweep table, after a blank line.
pub fn frontier(f: &Frontiers) -> String {
    format!(
        "\nfrontier (cheapest in HTTP requests/day for its latency, no events missed):\n  p50: {}\n  p99: {}\n",
        f.p50.join(", "),
        f.p99.join(", ")
    )
}
