//! Entity tags on the wire: the one place an `ETag` is written or read, and `If-None-Match`
//! evaluated.
//!
//! Owns the syntax of RFC 9110 §8.8.3 (`entity-tag = [ "W/" ] DQUOTE *etagc DQUOTE`) and the
//! evaluation of `If-None-Match` (§13.1.2): `*` matches any current representation, a list
//! matches when one of its tags matches, and the comparison is weak (a `W/` prefix is ignored on
//! either side). The server's tags are 16 lowercase hex digits; a listed tag of another shape is
//! valid but can never match. A field that is not valid is ignored, as if it were absent. It
//! decides nothing about what a match means: the model answers 304.

use axum::http::HeaderMap;

/// A model tag as an `ETag` field value: `"0123456789abcdef"`.
pub fn format(tag: u64) -> String {
    format!("\"{tag:016x}\"")
}

/// The model tag of an `ETag` field value (weak or strong), if it is one of ours.
pub fn parse(value: &str) -> Option<u64> {
    match entity_tags(value)?.as_slice() {
        [one] => *one,
        _ => None,
    }
}

/// What an `If-None-Match` field asks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IfNoneMatch {
    /// `*`: any current representation.
    Any,
    /// A list of entity tags; `None` for a tag that cannot be one of ours.
    Tags(Vec<Option<u64>>),
}

impl IfNoneMatch {
    /// The condition of the request's `If-None-Match` fields (several lines form one list), or
    /// `None` when there is none or it is not valid.
    pub fn from_headers(headers: &HeaderMap) -> Option<Self> {
        let mut values = Vec::new();
        for v in headers.get_all("if-none-match") {
            values.push(std::str::from_utf8(v.as_bytes()).ok()?);
        }
        if values.is_empty() {
            return None;
        }
        let value = values.join(",");
        if value.trim() == "*" {
            return Some(IfNoneMatch::Any);
        }
        entity_tags(&value).filter(|tags| !tags.is_empty()).map(IfNoneMatch::Tags)
    }

    /// Whether the condition matches the current tag (weak comparison): a `GET` is then
    /// answered 304.
    pub fn matches(&self, current: u64) -> bool {
        match self {
            IfNoneMatch::Any => true,
            IfNoneMatch::Tags(tags) => tags.contains(&Some(current)),
        }
    }
}

/// A comma-separated list of entity tags (empty elements allowed, as in every `#rule` list),
/// each as a model tag if it is one; `None` if the text is not such a list.
fn entity_tags(text: &str) -> Option<Vec<Option<u64>>> {
    let mut tags = Vec::new();
    let mut rest = text;
    loop {
        rest = rest.trim_start_matches([' ', '\t', ',']);
        if rest.is_empty() {
            return Some(tags);
        }
        let unweak = rest.strip_prefix("W/").unwrap_or(rest);
        let quoted = unweak.strip_prefix('"')?;
        let end = quoted.find('"')?;
        let opaque = &quoted[..end];
        // etagc: %x21 / %x23-7E / obs-text (the closing quote was found above).
        if opaque.bytes().any(|b| b <= 0x20 || b == 0x7f) {
            return None;
        }
        tags.push(ours(opaque));
        rest = quoted[end + 1..].trim_start_matches([' ', '\t']);
        if !(rest.is_empty() || rest.starts_with(',')) {
            return None;
        }
    }
}

/// The model tag an opaque tag spells, if it is 16 lowercase hex digits.
fn ours(opaque: &str) -> Option<u64> {
    let hex = opaque.len() == 16 && opaque.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    if hex {
        u64::from_str_radix(opaque, 16).ok()
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cond(lines: &[&str]) -> Option<IfNoneMatch> {
        let mut h = HeaderMap::new();
        for l in lines {
            h.append("if-none-match", l.parse().unwrap());
        }
        IfNoneMatch::from_headers(&h)
    }

    #[test]
    fn tags_round_trip_weak_or_strong() {
        let t = 0x0123_4567_89ab_cdef;
        assert_eq!(format(t), "\"0123456789abcdef\"");
        assert_eq!(parse(&format(t)), Some(t));
        assert_eq!(parse(&format!("W/{}", format(t))), Some(t));
        for bad in
            ["0123456789abcdef", "\"0123456789ABCDEF\"", "\"+123456789abcdef\"", "\"x\"", "", "\"a\", \"b\""]
        {
            assert_eq!(parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn if_none_match_as_rfc_9110_defines_it() {
        let t = 0xfeed_f00d_dead_beef;
        let tag = format(t);
        let matching =
            [vec!["*"], vec![" * "], vec![tag.as_str()], vec!["\"x\", W/\"0\", ", &tag], vec!["\"x\"", &tag]];
        for lines in &matching {
            let c = cond(lines).unwrap_or_else(|| panic!("{lines:?} is valid"));
            assert!(c.matches(t), "{lines:?}");
        }
        let w = format!("W/{tag}");
        assert!(cond(&[&w]).unwrap().matches(t), "weak comparison");
        assert!(!cond(&["\"x\", \"y\""]).unwrap().matches(t));
        assert!(!cond(&["\"0000000000000000\""]).unwrap().matches(t));
        // Not valid: ignored, as if absent.
        for bad in ["", "x", "\"unterminated", "*, \"x\"", "\"a\" \"b\"", "W/ \"a\"", &t.to_string()] {
            assert_eq!(cond(&[bad]), None, "{bad}");
        }
        assert_eq!(cond(&[]), None);
    }
}
