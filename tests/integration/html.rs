//! `--format html`: one self-contained page with the verdict, the tables as markup and the
//! timeline charts inline, nothing fetched.

use hookbench::render::{self, Format};
use hookbench::scenario::Scenario;
use hookbench::strategy::StrategyKind;
use hookbench::support::units::SECOND;

use crate::util::{hookbench, run, temp_dir, text};

/// The page of `api-outage`: three charts with titles, the outages shaded and labelled, the
/// rows as table markup, the verdict, and no script or outside resource.
#[test]
fn the_html_report_is_self_contained_and_has_every_part() {
    let mut s = Scenario::bundled("api-outage").expect("bundled").expect("valid");
    s.bucket = Some(120 * SECOND);
    let mut report =
        run(&s, &[StrategyKind::Poll, StrategyKind::Webhook, StrategyKind::Hybrid], &[30 * SECOND]);
    report.verdict = Some(hookbench::result::advice::verdict_of(&report));
    let page = render::render(&report, Format::Html);
    assert!(page.starts_with("<!DOCTYPE html>"), "{}", &page[..80]);
    assert_eq!(page.matches("<svg").count(), 4, "latency, backlog, requests, CDF");
    for title in [
        "Ready latency over time",
        "Events not yet ready over time",
        "API requests per 2m bucket",
        "Ready latency distribution",
    ] {
        assert!(page.contains(&format!("<title>{title}")), "{title}");
    }
    assert!(page.contains("API down 2h–2h20m"), "the API outage is labelled");
    assert!(page.contains("deliveries stopped 4h–4h30m"), "the delivery outage is labelled");
    assert!(page.contains("<th scope=\"row\">poll@30s</th>"), "rows are table markup");
    assert!(page.contains("class=\"verdict\""), "the verdict");
    assert!(page.contains("prefers-color-scheme: dark") && page.contains("@media print"));
    assert!(!page.contains("<script") && !page.contains(" src=") && !page.contains("<link"));
    let outside: Vec<&str> =
        page.match_indices("http").map(|(i, _)| &page[i..(i + 40).min(page.len())]).collect();
    assert!(outside.iter().all(|u| u.starts_with("http://www.w3.org/2000/svg")), "{outside:?}");
}

/// `-o report.html` writes the page by its extension; the table view is untouched.
#[test]
fn an_html_output_file_is_chosen_by_its_extension() {
    let path = temp_dir("html-extension").join("report.html");
    let p = path.to_str().expect("utf-8 path");
    let out = hookbench(&["compare", "--duration", "1h", "-o", p, "--quiet"]);
    assert!(out.status.success(), "{}", text(&out).1);
    let page = std::fs::read_to_string(&path).expect("written");
    let _ = std::fs::remove_file(&path);
    assert!(page.contains("</html>") && page.contains("<svg"), "{}", page.len());
    let table = text(&hookbench(&["compare", "--duration", "1h"])).0;
    assert!(!table.contains("timeline") && !table.contains("<svg"), "the table view is unchanged");
}

/// `hookbench report RESULT.json --format html` re-renders a saved result into the same page,
/// charts and all (the timelines are read back).
#[test]
fn a_saved_result_renders_as_html() {
    let path = temp_dir("html-saved").join("result.json");
    let p = path.to_str().expect("utf-8 path");
    let out = hookbench(&["compare", "--duration", "2h", "--bucket", "5m", "-o", p, "--quiet"]);
    assert!(out.status.success(), "{}", text(&out).1);
    let again = hookbench(&["report", p, "--format", "html"]);
    let _ = std::fs::remove_file(&path);
    let (page, stderr) = text(&again);
    assert!(again.status.success(), "{stderr}");
    assert_eq!(page.matches("<svg").count(), 4, "the charts come back from the saved timelines and CDFs");
    assert!(page.contains("API requests per 5m bucket"));
}

/// The latency CDF of `flash-sale`: one curve per row, the rows that draw the same curve named
/// together, the target a point on it, the receiver's outage-free scenario marking no outage.
/// `api-outage`'s CDF marks its outages at their lengths.
#[test]
fn the_cdf_chart_names_coinciding_rows_together_and_marks_outages() {
    let s = Scenario::bundled("flash-sale").expect("bundled").expect("valid");
    let report =
        run(&s, &[StrategyKind::Poll, StrategyKind::PollEtag, StrategyKind::Webhook], &[30 * SECOND]);
    for r in &report.strategies {
        let c = r.ready_cdf.as_ref().expect("every row has a CDF");
        assert_eq!((c.q.len(), c.ms.len()), (104, 104), "{}: bounded", r.label);
        assert!(c.ms.windows(2).all(|w| w[0] <= w[1]), "{}: non-decreasing", r.label);
        assert_eq!(c.ms[103], r.ready_ms.max.expect("max"), "{}: ends at the max", r.label);
    }
    let svg = hookbench::render::chart::cdf::render(&report).expect("a chart");
    assert!(svg.contains("<title>Ready latency distribution"), "titled");
    assert!(svg.contains(">poll@30s</text>\n<text") && svg.contains(">= poll-etag@30s<"), "named together");
    assert!(svg.contains("target p99 ≤ 10s"), "the target");
    assert!(!svg.contains("API down"), "no outage to mark");

    let s = Scenario::bundled("api-outage").expect("bundled").expect("valid");
    let report = run(&s, &[StrategyKind::Poll], &[30 * SECOND]);
    let svg = hookbench::render::chart::cdf::render(&report).expect("a chart");
    assert!(
        svg.contains("API down 20m") && svg.contains("deliveries stopped 30m"),
        "outages at their lengths"
    );
}

/// Dark mode recolours the charts through CSS custom properties, not a filter: every colour an
/// SVG of the page paints with has a rule mapping it to its property, which the dark media
/// query and the print media query both set.
#[test]
fn every_chart_colour_has_a_custom_property_for_dark_mode_and_print() {
    let mut s = Scenario::bundled("flash-sale").expect("bundled").expect("valid");
    s.bucket = Some(300 * SECOND);
    let report = run(&s, &[StrategyKind::Poll, StrategyKind::Webhook], &[30 * SECOND]);
    let page = render::render(&report, Format::Html);
    assert!(!page.contains("filter:") && !page.contains("invert("), "no filter");
    let mut seen = 0;
    for name in ["fill", "stroke"] {
        let pattern = format!("{name}=\"#");
        for (i, _) in page.match_indices(&pattern) {
            let value: String = page[i + pattern.len() - 1..].chars().take_while(|c| *c != '"').collect();
            let prop = format!("--c-{}", value[1..].to_ascii_lowercase());
            assert!(page.contains(&format!("[{name}=\"{value}\"] {{")), "{value}: no rule");
            assert_eq!(page.matches(&format!("{prop}:")).count(), 3, "{value}: light, dark and print");
            seen += 1;
        }
    }
    assert!(seen > 50, "{seen} colours checked");
}

/// A sweep's page shows its cost–latency chart (no timelines for its dozens of rows); a
/// replicated sweep draws its 95% intervals as bands and bars and says so.
#[test]
fn a_sweep_renders_its_frontier_chart_and_replicated_bands() {
    let sweep = ["sweep", "--duration", "2h", "--intervals", "10s,1m", "--no-chart", "--quiet"];
    let out = hookbench(&[&sweep[..], &["--format", "html"]].concat());
    let (page, stderr) = text(&out);
    assert!(out.status.success(), "{stderr}");
    assert_eq!(page.matches("<svg").count(), 1, "the frontier chart alone");
    assert!(page.contains("<title>hookbench sweep:") && !page.contains("class=\"band\""));
    let path = temp_dir("html-sweep").join("sweep.json");
    let p = path.to_str().expect("utf-8 path");
    let out = hookbench(&[&sweep[..], &["--replications", "3", "-o", p]].concat());
    assert!(out.status.success(), "{}", text(&out).1);
    let again = hookbench(&["report", p, "--format", "html"]);
    let _ = std::fs::remove_file(&path);
    let (page, stderr) = text(&again);
    assert!(again.status.success(), "{stderr}");
    assert!(page.matches("class=\"band\"").count() >= 4, "bands for the poll lines, bars for the pushes");
    assert!(page.contains("95% intervals over 3 replications"));
}

/// `report RESULT.json --charts DIR` writes each of the run's charts as SVG (`--png`: and PNG),
/// named after the scenario; a missing folder is one sentence and exit 2.
#[test]
fn report_writes_each_chart_into_a_folder() {
    let dir = temp_dir("html-charts");
    let result = dir.join("result.json");
    let r = result.to_str().expect("utf-8 path");
    let out = hookbench(&["compare", "--scenario", "flash-sale", "--duration", "2h", "-o", r, "--quiet"]);
    assert!(out.status.success(), "{}", text(&out).1);
    let d = dir.to_str().expect("utf-8 path");
    let out = hookbench(&["report", r, "--charts", d, "--png", "--quiet"]);
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stderr}");
    assert!(stdout.is_empty(), "quiet, with the charts as the output: {stdout}");
    for chart in ["latency", "behind", "backlog", "requests", "cdf"] {
        let svg = std::fs::read_to_string(dir.join(format!("flash-sale-{chart}.svg"))).expect(chart);
        assert!(svg.starts_with("<svg") && svg.contains("<title>"), "{chart}");
        let png = std::fs::read(dir.join(format!("flash-sale-{chart}.png"))).expect(chart);
        assert!(png.starts_with(b"\x89PNG"), "{chart}");
    }
    let out = hookbench(&["report", r, "--charts", &format!("{d}/nowhere")]);
    let _ = std::fs::remove_dir_all(&dir);
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("--charts") && stderr.trim().lines().count() == 1, "{stderr}");
}

/// The scenario in words names what the new keys change: the event types and their shares, the
/// subscription (and whether the API filters to it), and an API lag that follows the clock.
#[test]
fn the_html_scenario_names_types_subscriptions_and_the_api_lag() {
    let mut s = Scenario::bundled("github").expect("bundled").expect("valid");
    s.duration = 6 * 3600 * SECOND;
    let report = run(&s, &[StrategyKind::Poll, StrategyKind::Webhook], &[60 * SECOND]);
    let page = render::render(&report, Format::Html);
    assert!(page.contains("<dt>API lag</dt><dd>by time of day, 30s to 6h</dd>"), "the lag");
    let typed = crate::util::scenario(
        r#"
        name = "typed"
        duration = "1h"
        [events]
        rate = "100/h"
        types = { "charge.succeeded" = 1, "customer.updated" = 3 }
        [webhook]
        subscribe = ["charge.succeeded"]
        "#,
    );
    let report = run(&typed, &[StrategyKind::Webhook], &[]);
    let page = render::render(&report, Format::Html);
    assert!(page.contains("<dd>charge.succeeded 25%, customer.updated 75%</dd>"), "the mix");
    assert!(page.contains("<dd>charge.succeeded (pollers fetch every type)</dd>"), "the subscription");
}
