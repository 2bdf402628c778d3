//! The integration tests: one binary, modules by topic, a small harness in `util`.

mod api_faults;
mod bad_input;
mod capacity;
mod closed_forms;
mod conservation;
mod determinism;
mod export;
mod faults;
mod fit;
mod fuzz;
mod golden;
mod inputs;
mod json_contract;
mod live;
mod live_servers;
mod numbers;
mod profiles;
mod rate_limits;
mod replications;
mod retention;
mod schemes;
mod serve_report;
mod strategies;
mod structure;
mod util;
mod views;
