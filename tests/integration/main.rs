//! The integration tests: one binary, modules by topic, a small harness in `util`.

mod api_faults;
mod bad_input;
mod capacity;
mod closed_forms;
mod conservation;
mod determinism;
mod faults;
mod fuzz;
mod golden;
mod inputs;
mod json_contract;
mod live;
mod live_servers;
mod numbers;
mod rate_limits;
mod schemes;
mod strategies;
mod structure;
mod util;
mod views;
