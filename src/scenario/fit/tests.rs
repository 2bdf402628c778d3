use super::*;
use crate::model::dist::{Delay, Rng};
use crate::support::units::MILLI;

fn rfc(us: Micros) -> String {
    let t = std::time::UNIX_EPOCH + std::time::Duration::from_micros(us);
    humantime::format_rfc3339_micros(t).to_string()
}

/// A recording of `n` events a second apart from 2026-01-01, delays log-normal (300 ms, 2 s).
fn recording(n: usize) -> String {
    let delay = Delay::LogNormal { median: 300 * MILLI, p99: 2 * SECOND };
    let mut rng = Rng::new(7, "fit-test");
    let start: Micros = 1_767_225_600 * SECOND;
    let mut s = COLUMNS.join(",") + "\n";
    for i in 0..n as u64 {
        let at = start + i * SECOND;
        let arrived = at + delay.sample(&mut rng);
        s += &format!("{},{},msg_{i},ord_{},order.paid,1,false,200,scheme\n", rfc(at), rfc(arrived), i % 7);
    }
    s
}

fn lines(text: &str) -> impl Iterator<Item = Result<(usize, String), String>> + '_ {
    text.lines().enumerate().map(|(i, l)| Ok((i + 1, l.to_string())))
}

#[test]
fn a_log_normal_delay_is_fitted_within_ten_percent() {
    let rows = read("rec.csv", lines(&recording(5000)), false).unwrap();
    let f = fit(&rows);
    assert_eq!((f.deliveries, f.events, f.duplicates, f.retries), (5000, 5000, 0, 0));
    let d = f.delay.expect("event times known");
    assert_eq!((d.samples, d.from_scheme), (5000, 5000));
    let rel = |a: Micros, b: Micros| (a as f64 - b as f64).abs() / b as f64;
    assert!(rel(d.median, 300 * MILLI) < 0.1, "median {}", d.median);
    assert!(rel(d.p99, 2 * SECOND) < 0.1, "p99 {}", d.p99);
    assert!(f.daily.is_none(), "under a day");
    assert!((f.rate_per_hour - 3600.0).abs() < 1.0, "{}", f.rate_per_hour);
}

#[test]
fn duplicates_retries_and_unknown_event_times_are_counted_apart() {
    let text = "timestamp,arrived,delivery,resource,type,attempt,duplicate,status,event_time\n\
        2026-01-01T00:00:00.000000Z,2026-01-01T00:00:00.500000Z,a,,x,1,false,500,scheme\n\
        2026-01-01T00:00:00.000000Z,2026-01-01T00:00:05.500000Z,a,,x,2,true,200,scheme\n\
        2026-01-01T00:00:10.000000Z,2026-01-01T00:00:10.000000Z,b,,x,1,false,200,arrival\n";
    let f = fit(&read("r.csv", lines(text), false).unwrap());
    assert_eq!((f.deliveries, f.events, f.duplicates, f.retries, f.non_2xx), (3, 2, 1, 1, 1));
    let d = f.delay.unwrap();
    // Only the first arrival of `a` counts: 500 ms; `b` has no event time.
    assert_eq!((d.samples, d.median, d.p99), (1, 500 * MILLI, 500 * MILLI));
    let none = "{\"timestamp\":\"2026-01-01T00:00:00Z\",\"arrived\":\"2026-01-01T00:00:00Z\",\"delivery\":\"a\",\
        \"resource\":null,\"type\":\"x\",\"attempt\":1,\"duplicate\":false,\"status\":200,\"event_time\":\"arrival\"}";
    let f = fit(&read("r.jsonl", lines(none), true).unwrap());
    assert!(f.delay.is_none());
}

#[test]
fn an_empty_attempt_is_a_first_attempt_as_receive_records_it() {
    // Standard Webhooks, GitHub, Stripe and Shopify do not tell the attempt: `receive` leaves it
    // empty (CSV) or null (JSON lines).
    let text = "timestamp,arrived,delivery,resource,type,attempt,duplicate,status,event_time\n\
        2026-01-01T00:00:00.000000Z,2026-01-01T00:00:00.500000Z,a,,x,,false,204,pointer\n";
    let rows = read("r.csv", lines(text), false).unwrap();
    assert_eq!(rows[0].attempt, 1);
    let json = "{\"timestamp\":\"2026-01-01T00:00:00Z\",\"arrived\":\"2026-01-01T00:00:01Z\",\"delivery\":\"a\",\
        \"resource\":null,\"type\":null,\"attempt\":null,\"duplicate\":false,\"status\":204,\"event_time\":\"pointer\"}";
    let f = fit(&read("r.jsonl", lines(json), true).unwrap());
    assert_eq!((f.events, f.retries), (1, 0));
}

#[test]
fn a_day_or_more_gets_an_hourly_curve() {
    // Two days; hour 3 of each day has ten events, every other hour one.
    let start: Micros = 1_767_225_600 * SECOND;
    let mut s = COLUMNS.join(",") + "\n";
    for h in 0..48u64 {
        for k in 0..if h % 24 == 3 { 10 } else { 1 } {
            let at = rfc(start + h * HOUR + k * SECOND);
            s += &format!("{at},{at},d{h}_{k},,x,1,false,200,arrival\n");
        }
    }
    let f = fit(&read("r.csv", lines(&s), false).unwrap());
    let w = f.daily.expect("over a day");
    assert_eq!(w.len(), 24);
    assert!((w[3] / w[0] - 10.0).abs() < 0.5, "{w:?}");
}

#[test]
fn bad_rows_name_their_line() {
    let head = COLUMNS.join(",");
    let cases = [
        ("", "no deliveries"),
        ("timestamp,arrived\n", "no `delivery` column"),
        ("X\n2026-01-01T00:00:00Z,soon,a,,x,1,false,200,scheme", "no `timestamp` column"),
        ("H\n2026-01-01T00:00:00Z,soon,a,,x,1,false,200,scheme", "line 2: `arrived` `soon`"),
        ("H\n2026-01-01T00:00:00Z,2026-01-01T00:00:00Z,a,,x,0,false,200,scheme", "`attempt`"),
        ("H\n2026-01-01T00:00:00Z,2026-01-01T00:00:00Z,a,,x,1,maybe,200,scheme", "`duplicate`"),
        ("H\n2026-01-01T00:00:00Z,2026-01-01T00:00:00Z,a,,x,1,false,200,guess", "`event_time`"),
        ("H\n2026-01-01T00:00:00Z,2026-01-01T00:00:00Z,a", "fewer than the header"),
    ];
    for (text, want) in cases {
        let text = text.replace('H', &head);
        let e = read("r.csv", lines(&text), false).unwrap_err();
        assert!(e.contains(want), "{text:?}: {e}");
    }
}
