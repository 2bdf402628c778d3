//! Small utilities every layer uses, each of which knows nothing of hookbench's model: durations
//! and rates as people write them ([`units`]), the bounds every run stays within ([`limits`]),
//! reading user-named files safely ([`files`]), quoting user text ([`quote`]), the one writer to
//! standard output and error ([`out`]), a queue of timed items ([`queue`]), numbered slots for
//! items that wait elsewhere by number ([`slots`]), maps keyed by a run's ids ([`ids`]) and the
//! allocator's settings ([`memory`]).

pub mod files;
pub mod ids;
pub mod limits;
pub mod memory;
pub mod out;
pub mod queue;
pub mod quote;
pub mod slots;
pub mod units;
