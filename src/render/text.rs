//! How values read in text, for every renderer: grouped digits, compact counts, binary byte
//! units, a [`Measure`]'s value in its unit, a quota, a list of durations — and the two guards
//! on text a user supplied: [`redact_url`] hides the secrets a URL may carry, and [`escape`]
//! (defined in [`crate::support::quote`], below the parsers that quote user text in their errors, and
//! re-exported here for the renderers) keeps control and bidi characters from reaching a terminal
//! raw.
//!
//! Owns presentation only. It never decides what a value is — callers hand in report fields —
//! and never computes one.

pub use crate::support::quote::{escape, escape_keeping_lines, excerpt};

use crate::result::measure::{Measure, Unit};
use crate::scenario::Quota;
use crate::support::units::{format_duration, format_ms, Micros, SECOND};

/// Groups digits: 86400 → 86,400.
pub fn group(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A count with its noun, grouped and made plural unless it is one: `1 request`, `1,204 requests`.
pub fn plural(n: u64, one: &str) -> String {
    format!("{} {one}{}", group(n), if n == 1 { "" } else { "s" })
}

/// A count, shortened when large: 8,640 / 132k / 1.2M / 72M.
pub fn compact(x: f64) -> String {
    if x < 100_000.0 {
        group(x.round() as u64)
    } else if x < 999_500.0 {
        format!("{:.0}k", x / 1e3)
    } else if x < 9.95e6 {
        format!("{:.1}M", x / 1e6)
    } else {
        format!("{:.0}M", x / 1e6)
    }
}

/// Bytes with binary units.
pub fn bytes(x: f64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = x;
    let mut u = 0;
    while v >= 1024.0 && u < UNITS.len() - 1 {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{v:.0} {}", UNITS[u])
    } else if v < 10.0 {
        format!("{v:.1} {}", UNITS[u])
    } else {
        format!("{v:.0} {}", UNITS[u])
    }
}

/// A measure's value as people read it: `2.3s`, `3,284`, `42.0%`; `—` when there is none.
pub fn measure(m: Measure, v: Option<f64>) -> String {
    let Some(v) = v else { return "—".into() };
    match m.unit() {
        Unit::Ms => format_ms(v),
        Unit::Seconds => format_ms(v * 1_000.0),
        Unit::Share => format!("{:.1}%", v * 100.0),
        Unit::Count if v.fract() == 0.0 || v.abs() >= 100.0 => group(v.round().max(0.0) as u64),
        Unit::Count => format!("{v:.2}"),
    }
}

/// A quota as people write it: `5000/h`, `60/min`, `100/10m`; another algorithm than the fixed
/// window is named: `sliding-window 100/min`, `leaky-bucket 40, 2/s`.
pub fn quota(q: &Quota) -> String {
    use crate::model::ratelimit::Algorithm;
    match q.algorithm {
        Algorithm::FixedWindow => fixed_quota(q),
        Algorithm::SlidingWindow => format!("sliding-window {}", fixed_quota(q)),
        a => {
            let per_s = SECOND as f64 / q.cell() as f64;
            let rate = crate::support::units::Rate { count: (per_s * 1000.0).round() / 1000.0, per: SECOND };
            format!("{} {}, {rate}", a.name(), q.limit)
        }
    }
}

fn fixed_quota(q: &Quota) -> String {
    let per = match q.window {
        w if w == SECOND => "s".to_string(),
        w if w == 60 * SECOND => "min".to_string(),
        w if w == 3_600 * SECOND => "h".to_string(),
        w if w == 86_400 * SECOND => "d".to_string(),
        w => format_duration(w),
    };
    format!("{}/{per}", q.limit)
}

/// Durations as a list: `1s, 2s, 5s`.
pub fn durations(list: &[Micros]) -> String {
    list.iter().map(|&d| format_duration(d)).collect::<Vec<_>>().join(", ")
}

/// A URL with its secrets hidden, for anything printed or written: the password of the userinfo
/// (`http://user:***@host/`; a user alone, often a token, becomes `***@host`), the value of
/// every query or fragment parameter (`?token=***&page=***`: a name can be percent-encoded or
/// unforeseen, so none is trusted) and of every path parameter (`/hook;token=***`). Works
/// on text that is not a valid URL as well (a password with `#` or `?` in it, no scheme), so an
/// error can quote what was typed.
pub fn redact_url(url: &str) -> String {
    let start = match url.find("://") {
        Some(i) => i + 3,
        None => url.len() - url.trim_start_matches('/').len(),
    };
    let rest = &url[start..];
    let before_path = &rest[..rest.find('/').unwrap_or(rest.len())];
    let mut out = String::with_capacity(url.len());
    out.push_str(&url[..start]);
    // The authority ends at the first `/`, unless there is no userinfo: then at `?` or `#` too.
    let tail = match before_path.rfind('@') {
        Some(at) => {
            let userinfo = &before_path[..at];
            match userinfo.find(':') {
                Some(colon) => out.push_str(&format!("{}:***", &userinfo[..colon])),
                None => out.push_str("***"),
            }
            &rest[at..]
        }
        None => {
            let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
            out.push_str(&rest[..end]);
            &rest[end..]
        }
    };
    // The path as it is; in the query and the fragment, the values of secret-looking names.
    let cut = tail.find(['?', '#']).unwrap_or(tail.len());
    let path: Vec<String> = tail[..cut]
        .split(';')
        .enumerate()
        .map(|(i, part)| match part.split_once('=') {
            Some((name, value)) if i > 0 => {
                format!("{name}=***{}", value.find('/').map_or("", |j| &value[j..]))
            }
            _ => part.to_string(),
        })
        .collect();
    out.push_str(&path.join(";"));
    let mut params = &tail[cut..];
    while let Some(sep) = params.chars().next() {
        out.push(sep);
        let body = &params[1..];
        let end = if sep == '?' { body.find('#').unwrap_or(body.len()) } else { body.len() };
        let pairs: Vec<String> = body[..end]
            .split('&')
            .map(|pair| match pair.split_once('=') {
                Some((name, _)) => format!("{name}=***"),
                _ => pair.to_string(),
            })
            .collect();
        out.push_str(&pairs.join("&"));
        params = &body[end..];
    }
    out
}

/// Header lines, one `Name: value` a line (what `hookbench sign` prints).
pub fn headers(list: &[(&str, String)]) -> String {
    list.iter().map(|(k, v)| format!("{k}: {v}\n")).collect()
}

/// A server banner's URL scheme and TLS note: `http` and nothing without TLS; with it, `https`
/// and where the certificate is (a generated one: the file clients must trust).
pub fn tls_banner(tls: bool, written: Option<&std::path::Path>) -> (&'static str, String) {
    match (tls, written) {
        (false, _) => ("http", String::new()),
        (true, Some(path)) => (
            "https",
            format!(
                " · TLS 1.3/1.2, self-signed certificate {} (trust it: --ca-cert FILE, curl --cacert FILE)",
                escape(&path.display().to_string())
            ),
        ),
        (true, None) => ("https", " · TLS 1.3/1.2, certificate from --tls-cert".to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn measure_values() {
        assert_eq!(measure(Measure::P99, Some(2_300.0)), "2.3s");
        assert_eq!(measure(Measure::Requests, Some(3284.0)), "3,284");
        assert_eq!(measure(Measure::PeakUse, Some(0.42)), "42.0%");
        assert_eq!(measure(Measure::P99, None), "—");
    }

    #[test]
    fn counts_and_quotas() {
        assert_eq!(
            (group(86_400), compact(132_400.0), compact(1.2e6)),
            ("86,400".into(), "132k".into(), "1.2M".into())
        );
        assert_eq!(quota(&Quota::fixed(5000, 3_600 * SECOND)), "5000/h");
        let leaky = Quota::bucket(crate::model::ratelimit::Algorithm::LeakyBucket, 40, SECOND / 2);
        assert_eq!(quota(&leaky), "leaky-bucket 40, 2/s");
        assert_eq!(durations(&[SECOND, 90 * SECOND]), "1s, 1m30s");
    }

    #[test]
    fn urls_lose_their_secrets_and_keep_the_rest() {
        let cases = [
            ("http://user:pw@host/", "http://user:***@host/"),
            ("https://user:p%40ss:word@host:8443/hook?x=1", "https://user:***@host:8443/hook?x=***"),
            ("https://ghp_abc123@github.com/x", "https://***@github.com/x"),
            ("http://127.0.0.1:9090/webhook", "http://127.0.0.1:9090/webhook"),
            (
                "http://h/p?token=abc&page=2&API_KEY=k&sig=s&X-Signature=v&flag",
                "http://h/p?token=***&page=***&API_KEY=***&sig=***&X-Signature=***&flag",
            ),
            ("http://h/p?password=a#frag", "http://h/p?password=***#frag"),
            ("http://h/p?access_token=a=b", "http://h/p?access_token=***"),
            ("http://h/a@b", "http://h/a@b"),
            ("user:pw@x/p", "user:***@x/p"),
            ("http://h?token=t", "http://h?token=***"),
            ("http://h/cb#access_token=t&state=1", "http://h/cb#access_token=***&state=***"),
            (
                "http://h/p?to%6Ben=t&jwt=j&hmac=h&bearer=b",
                "http://h/p?to%6Ben=***&jwt=***&hmac=***&bearer=***",
            ),
            ("http://h/hook;token=t/x;a=b", "http://h/hook;token=***/x;a=***"),
            ("ftp://u:pw@h", "ftp://u:***@h"),
            ("", ""),
        ];
        for (url, want) in cases {
            assert_eq!(redact_url(url), want, "{url}");
        }
        for url in [
            "http://user:hunter2@h/?auth=hunter2",
            "//user:hunter2@h",
            "http://a:hunter2@b@c/",
            "http://u:hun#ter2@h/",
            "http://u:hun?ter2@h/",
        ] {
            assert!(!redact_url(url).contains("hunter2"), "{url}: {}", redact_url(url));
        }
    }
}
