//! `hookbench advise --max-latency 5s`: the cheapest design that meets a latency target.
//!
//! Owns turning the target, the percentile and an optional rate-limit override into a sweep,
//! and printing the recommendation. The ranking rules live in [`crate::result::advice`], the wording in
//! `render::advice`; this module neither ranks nor formats. Exit 0 with a pick, 1 when no row
//! qualifies.

use super::options::{self, duration, SweepRun};
use super::output::print;
use crate::cli::{AdviseArgs, AdviseFormat};
use crate::error::{Error, Result};
use crate::render;
use crate::result::advice;
use crate::scenario::Quota;
use crate::support::units::{parse_rate, MILLI, SECOND};

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
    Ok(Some(Quota::fixed(r.count as u64, r.per)))
}

/// `hookbench advise`.
pub fn run(args: AdviseArgs) -> Result<u8> {
    let max_processed = match &args.max_processed_latency {
        Some(t) => Some(duration("--max-processed-latency", t, 0)? as f64 / MILLI as f64),
        None => None,
    };
    let quota = args.rate_limit.as_deref().map(parse_quota).transpose()?;
    let sweep = SweepRun::from_args(&args.run, |scenario| {
        if let Some(q) = quota {
            scenario.api.rate_limit = q;
        }
        options::target(&args.target, scenario)?;
        if scenario.target.latency.is_none() {
            return Err(Error::Input(
                "advise needs a latency target: pass --max-latency (such as `--max-latency 5s`) or set `[target] latency` in the scenario".into(),
            ));
        }
        Ok(())
    })?;
    let report = sweep.execute()?;
    let mut target = advice::Target::of(&sweep.scenario.target);
    target.max_processed_ms = max_processed;
    let advice = advice::advise_to(&report, &target);
    print(&match args.format {
        AdviseFormat::Table => render::advice::render(&report, &advice, &sweep.scenario.strategies.intervals),
        AdviseFormat::Json => render::advice::json(&advice),
        AdviseFormat::Markdown => render::advice::markdown(&report, &advice),
    })?;
    Ok(u8::from(advice.pick.is_none()))
}
