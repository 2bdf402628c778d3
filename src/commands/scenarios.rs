//! `hookbench scenarios list|show|validate`.

use super::{load_scenario, print};
use crate::cli::ScenariosCommand;
use crate::error::Result;
use crate::scenario::{Scenario, BUNDLED, DEFAULT};
use crate::units::format_duration;

/// Runs a `scenarios` subcommand.
pub fn run(cmd: ScenariosCommand) -> Result<u8> {
    match cmd {
        ScenariosCommand::List => {
            let mut t = comfy_table::Table::new();
            t.load_preset(comfy_table::presets::NOTHING);
            t.set_header(vec!["name", "span", "events", "quota", "description"]);
            for (name, _) in BUNDLED {
                let Some(Ok(s)) = Scenario::bundled(name) else { continue };
                let mark = if *name == DEFAULT { " (default)" } else { "" };
                t.add_row(vec![
                    format!("{name}{mark}"),
                    format_duration(s.duration),
                    format!("~{:.0}", s.expected_events()),
                    s.api.rate_limit.map_or("none".into(), |q| {
                        crate::units::Rate { count: q.limit as f64, per: q.window }.to_string()
                    }),
                    s.description.clone(),
                ]);
            }
            print(&format!("{t}\n"))?;
            Ok(0)
        }
        ScenariosCommand::Show { scenario } => {
            if let Some((_, text)) = BUNDLED.iter().find(|(n, _)| *n == scenario) {
                print(text)?;
            } else {
                let (_, text) = load_scenario(&scenario)?;
                print(&text.unwrap_or_default())?;
            }
            Ok(0)
        }
        ScenariosCommand::Validate { scenarios } => {
            let mut out = String::new();
            for name in &scenarios {
                let (s, _) = load_scenario(name)?;
                out.push_str(&format!(
                    "ok: {name}: `{}`, {} window, ~{:.0} events, {} strategies\n",
                    s.name,
                    format_duration(s.duration),
                    s.expected_events(),
                    s.strategies.list.len()
                ));
            }
            print(&out)?;
            Ok(0)
        }
    }
}
