//! The integration tests: one binary, modules by topic, a small harness in `util`.

mod bad_input;
mod closed_forms;
mod conservation;
mod determinism;
mod faults;
mod fuzz;
mod golden;
mod json_contract;
mod live;
mod live_servers;
mod rate_limits;
mod strategies;
mod util;
mod views;
