//! Benchmarks of the sim engine: a simulated day of the default scenario with all six
//! strategies, raw engine throughput in simulated steps per second, and the flash sale with the
//! receiver's capacity finite.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use hookbench::engine::sim;
use hookbench::model::source::EventLog;
use hookbench::scenario::Scenario;
use hookbench::strategy::{Spec, StrategyKind};

/// The allocator set as the `hookbench` binary sets it at start-up (freed memory kept for the
/// next run: see `hookbench::support::memory`), so that a bench's process is the binary's.
fn as_the_binary() {
    hookbench::support::memory::keep_freed_memory();
}

fn default_day(c: &mut Criterion) {
    as_the_binary();
    let scenario = Scenario::bundled("payments").expect("bundled").expect("valid");
    let specs = Spec::expand(
        &scenario.strategies.list,
        &scenario.strategies.intervals,
        scenario.strategies.reconcile_interval,
    );
    c.bench_function("payments_day_all_strategies", |b| b.iter(|| sim::run(&scenario, &specs).expect("run")));
    // The same work on one core: each strategy in turn, each drawing its own events. An element
    // is one simulated step (`RowResult::steps`, summed over the rows) and nothing else: the
    // events each row draws are work the rows do, not steps, so they are not counted.
    let steps: u64 = specs.iter().map(|s| sim::run_one(&scenario, s).expect("run").steps).sum();
    let mut g = c.benchmark_group("one_core");
    g.throughput(Throughput::Elements(steps));
    g.bench_function("payments_day_all_strategies", |b| {
        b.iter(|| specs.iter().map(|s| sim::run_one(&scenario, s).expect("run").steps).sum::<u64>())
    });
    g.finish();
}

fn steps_per_second(c: &mut Criterion) {
    as_the_binary();
    let text = "name = \"throughput\"\nduration = \"24h\"\nseed = 1\n[events]\nrate = \"36000/h\"\n\
                resources = 1000\n[api]\nrtt = \"50ms\"\n[strategies]\nintervals = [\"1s\"]\n";
    let scenario = Scenario::from_toml(text, "bench").expect("valid");
    // Each row draws its own events (the sim holds only its backlog), so an element is a step
    // or an event drawn, as in `one_core/payments_day_all_strategies`.
    let events = EventLog::count(&scenario);
    let spec = Spec { kind: StrategyKind::Webhook, interval: None };
    let steps = sim::run_one(&scenario, &spec).expect("run").steps;
    let mut g = c.benchmark_group("engine");
    g.throughput(Throughput::Elements(steps + events));
    g.sample_size(10);
    g.bench_function("webhook_day_steps", |b| b.iter(|| sim::run_one(&scenario, &spec).expect("run")));
    let poll = Spec { kind: StrategyKind::Poll, interval: Some(1_000_000) };
    let steps = sim::run_one(&scenario, &poll).expect("run").steps;
    g.throughput(Throughput::Elements(steps + events));
    g.bench_function("poll_1s_day_steps", |b| b.iter(|| sim::run_one(&scenario, &poll).expect("run")));
    g.finish();
}

/// The flash sale with its finite receiver (2 workers, 500 ms an order, retries piling up): every
/// default strategy on one core, in simulated steps per second.
fn capacity(c: &mut Criterion) {
    as_the_binary();
    let scenario = Scenario::bundled("flash-sale").expect("bundled").expect("valid");
    let specs = Spec::expand(
        &scenario.strategies.list,
        &scenario.strategies.intervals,
        scenario.strategies.reconcile_interval,
    );
    let steps: u64 = specs.iter().map(|s| sim::run_one(&scenario, s).expect("run").steps).sum();
    let mut g = c.benchmark_group("one_core");
    g.throughput(Throughput::Elements(steps));
    g.bench_function("flash_sale_capacity_all_strategies", |b| {
        b.iter(|| specs.iter().map(|s| sim::run_one(&scenario, s).expect("run").steps).sum::<u64>())
    });
    g.finish();
}

criterion_group!(benches, default_day, steps_per_second, capacity);
criterion_main!(benches);
