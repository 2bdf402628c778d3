//! `hookbench advise --max-latency 5s`: the cheapest design that meets a latency target.
//!
//! Owns turning the target, the percentile and an optional rate-limit override into a sweep,
//! and printing the recommendation with the numbers behind it. The ranking rules live in
//! [`crate::advice`]; this module never ranks. Exit 0 with a pick, 1 when no row qualifies.

use super::print;
use super::sweep::{describe, SweepRun};
use crate::advice::{self, Advice};
use crate::cli::AdviseArgs;
use crate::error::{Error, Result};
use crate::measure::{quota_text, Measure, Unit};
use crate::render::table::{compact, headline};
use crate::report::Report;
use crate::scenario::Quota;
use crate::units::{parse_duration, parse_rate, MILLI, SECOND};

fn parse_percentile(text: &str) -> Result<Measure> {
    Measure::parse(text).ok().filter(|m| m.unit() == Unit::Ms).ok_or_else(|| {
        Error::Input(format!("--percentile `{text}`: use one of mean, p50, p90, p99, p999, max"))
    })
}

fn parse_quota(text: &str) -> Result<Option<Quota>> {
    if matches!(text.trim(), "none" | "unlimited") {
        return Ok(None);
    }
    let r = parse_rate(text).map_err(|e| Error::Input(format!("--rate-limit: {e}")))?;
    if r.count < 1.0 || r.count.fract() != 0.0 || r.per < SECOND {
        return Err(Error::Input(format!(
            "--rate-limit `{text}`: give a whole number of requests of 1 or more per second or longer, such as `5000/h`, or `none`"
        )));
    }
    Ok(Some(Quota { limit: r.count as u64, window: r.per }))
}

fn render(report: &Report, advice: &Advice, intervals: &str) -> String {
    let p = advice.percentile;
    let target = p.format(Some(advice.max_latency_ms));
    let quota = match report.scenario.api.rate_limit {
        Some(q) => format!("a quota of {}", quota_text(&q)),
        None => "no rate limit".into(),
    };
    let mut s = format!(
        "{}\nswept poll intervals {intervals}; target: {} ≤ {target} with no missed events, within {quota}.\n\
         Ranked by HTTP requests per day (API requests made + webhook deliveries received), then by latency.\n\n",
        headline(report),
        p.name()
    );
    match advice.pick.map(|i| &advice.verdicts[i]) {
        Some(v) => s.push_str(&format!(
            "advice: {} — {} requests/day, {} {}, 0 missed\n",
            v.label,
            compact(v.cost_per_day),
            p.name(),
            p.format(v.latency_ms)
        )),
        None => {
            s.push_str(&format!(
                "advice: none of the {} rows meets {} ≤ {target} with no missed events.\n",
                advice.verdicts.len(),
                p.name()
            ));
            let best = advice
                .verdicts
                .iter()
                .filter(|v| v.missed == 0 && v.throttled == 0)
                .filter_map(|v| v.latency_ms.map(|l| (l, v)))
                .min_by(|a, b| a.0.total_cmp(&b.0));
            match best {
                Some((l, v)) => s.push_str(&format!(
                    "the fastest row that misses nothing and stays within the quota is {} at {} {} ({} requests/day); \
                     relax the target to {} or change the design\n",
                    v.label,
                    p.name(),
                    p.format(Some(l)),
                    compact(v.cost_per_day),
                    p.format(Some(l))
                )),
                None => s.push_str("every row misses events or exceeds the quota\n"),
            }
        }
    }
    s.push_str(&format!("\n{:<20} {:>12} {:>9} {:>7}  verdict\n", "row", "requests/day", p.name(), "missed"));
    for (i, v) in advice.verdicts.iter().enumerate() {
        let verdict = match (&v.fails, Some(i) == advice.pick) {
            (_, true) => "◀ cheapest that qualifies".to_string(),
            (None, false) => "qualifies".to_string(),
            (Some(why), _) => why.clone(),
        };
        s.push_str(&format!(
            "{:<20} {:>12} {:>9} {:>7}  {verdict}\n",
            v.label,
            compact(v.cost_per_day),
            p.format(v.latency_ms),
            compact(v.missed as f64)
        ));
    }
    s
}

/// `hookbench advise`.
pub fn run(args: AdviseArgs) -> Result<u8> {
    let percentile = parse_percentile(&args.percentile)?;
    let max = parse_duration(&args.max_latency).map_err(|e| Error::Input(format!("--max-latency: {e}")))?;
    let quota = args.rate_limit.as_deref().map(parse_quota).transpose()?;
    let sweep = SweepRun::from_args(&args.run, |scenario| {
        if let Some(q) = quota {
            scenario.api.rate_limit = q;
        }
        Ok(())
    })?;
    let report = sweep.execute()?;
    let advice = advice::advise(&report, percentile, max as f64 / MILLI as f64);
    print(&render(&report, &advice, &describe(&sweep.scenario.strategies.intervals)))?;
    Ok(u8::from(advice.pick.is_none()))
}
