//! A page's ids read straight from its bytes, for the pages the API sends as it sends them.
//!
//! A consumer reads of a page only its run of event ids and `has_more` ([`PageIds`]). Through
//! serde every member of every event is a key to decode, compare and skip with its value: about
//! 40 ns a member, 66 µs for a page of 100 events of 512 B — a quarter of what the poll path
//! costs the machine, client and server together (`cargo bench --bench live`). This scan reads
//! the same page in one pass over the bytes, sixteen bytes at a time through the strings.
//!
//! It reads a plain subset of JSON: strings without escapes and of ASCII bytes only, nesting at
//! most [`DEPTH`] deep. Anything else — an escape, a non-ASCII byte, a duplicate member, a
//! missing one, a value of the wrong type, a syntax error, ids that are not one run — and it says
//! nothing (`None`), and serde reads the page as before and decides. So what it accepts, serde
//! accepts with the same ids and `has_more` (the tests hold it to that over every page shape the
//! server sends and over mutated pages); it only answers the common case sooner.
//!
//! [`PageIds`]: super::PageIds

use super::{parse_event_id, IdRun};

/// What a consumer reads of a page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageSummary {
    /// The events' ids.
    pub ids: IdRun,
    /// More after this page.
    pub has_more: bool,
}

/// The deepest nesting of a skipped value the scan follows (serde goes to 128).
pub const DEPTH: usize = 32;

/// The page in `body`, if it is plain JSON of the page's shape (else `None`: let serde read it).
pub fn page(body: &[u8]) -> Option<PageSummary> {
    let mut s = Scan { b: body, i: 0 };
    s.ws();
    let (mut ids, mut has_more, mut cursor) = (None, None, false);
    s.members(|s, key| {
        match key {
            b"data" if ids.is_none() => ids = Some(s.events()?),
            b"has_more" if has_more.is_none() => has_more = Some(s.boolean()?),
            b"next_cursor" if !cursor => {
                cursor = true;
                if !s.literal(b"null") {
                    s.string()?;
                }
            }
            b"data" | b"has_more" | b"next_cursor" => return None, // a duplicate
            _ => s.skip(1)?,
        }
        Some(())
    })?;
    s.ws();
    if s.i != body.len() {
        return None;
    }
    Some(PageSummary { ids: ids?, has_more: has_more? })
}

struct Scan<'a> {
    b: &'a [u8],
    i: usize,
}

impl<'a> Scan<'a> {
    #[inline]
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    #[inline]
    fn next(&mut self) -> Option<u8> {
        let c = self.peek()?;
        self.i += 1;
        Some(c)
    }

    /// Skips JSON whitespace.
    #[inline]
    fn ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.i += 1;
        }
    }

    #[inline]
    fn byte(&mut self, want: u8) -> Option<()> {
        (self.next()? == want).then_some(())
    }

    /// `:` between whitespace.
    #[inline]
    fn colon(&mut self) -> Option<()> {
        self.ws();
        self.byte(b':')?;
        self.ws();
        Some(())
    }

    /// After a member or element: `,` (false: another follows) or `close` (true: the end).
    #[inline]
    fn after_member(&mut self, close: u8) -> Option<bool> {
        self.ws();
        match self.next()? {
            b',' => Some(false),
            c if c == close => Some(true),
            _ => None,
        }
    }

    /// Takes `word` if it is next.
    #[inline]
    fn literal(&mut self, word: &[u8]) -> bool {
        let found = self.b.get(self.i..self.i + word.len()) == Some(word);
        if found {
            self.i += word.len();
        }
        found
    }

    fn boolean(&mut self) -> Option<bool> {
        if self.literal(b"true") {
            Some(true)
        } else if self.literal(b"false") {
            Some(false)
        } else {
            None
        }
    }

    /// A string's bytes (without its quotes), if it has no escape and only printable ASCII.
    #[inline]
    fn string(&mut self) -> Option<&'a [u8]> {
        self.byte(b'"')?;
        let start = self.i;
        let end = start + plain_run(&self.b[start..]);
        if self.b.get(end) != Some(&b'"') {
            return None;
        }
        self.i = end + 1;
        Some(&self.b[start..end])
    }

    /// An array, its elements read one at a time by `element` (at each, whitespace skipped).
    #[inline]
    fn elements(&mut self, element: impl FnMut(&mut Self) -> Option<()>) -> Option<()> {
        self.list(b'[', b']', element)
    }

    /// An object, its members read one at a time by `member`, given the member's key (its value
    /// is next, whitespace skipped).
    #[inline]
    fn members(&mut self, mut member: impl FnMut(&mut Self, &'a [u8]) -> Option<()>) -> Option<()> {
        self.list(b'{', b'}', |s| {
            let key = s.string()?;
            s.colon()?;
            member(s, key)
        })
    }

    /// `open`, then items read by `item` (each after whitespace), separated by `,`, then `close`.
    #[inline]
    fn list(&mut self, open: u8, close: u8, mut item: impl FnMut(&mut Self) -> Option<()>) -> Option<()> {
        self.byte(open)?;
        self.ws();
        if self.peek()? == close {
            self.i += 1;
            return Some(());
        }
        loop {
            self.ws();
            item(self)?;
            if self.after_member(close)? {
                return Some(());
            }
        }
    }

    /// The page's `data`: an array of events whose ids are one run.
    fn events(&mut self) -> Option<IdRun> {
        let mut run = IdRun::default();
        self.elements(|s| run.push(s.event()?).then_some(()))?;
        Some(run)
    }

    /// An event: an object with one `id` (`evt_…`); its other members skipped.
    fn event(&mut self) -> Option<u32> {
        let mut id = None;
        self.members(|s, key| {
            if key != b"id" {
                return s.skip(2);
            }
            if id.is_some() {
                return None;
            }
            // ASCII, checked by `string`.
            id = Some(parse_event_id(std::str::from_utf8(s.string()?).ok()?)?);
            Some(())
        })?;
        id
    }

    /// Skips one value `depth` deep.
    fn skip(&mut self, depth: usize) -> Option<()> {
        if depth > DEPTH {
            return None;
        }
        match self.peek()? {
            b'"' => {
                self.string()?;
            }
            b'{' => self.members(|s, _| s.skip(depth + 1))?,
            b'[' => self.elements(|s| s.skip(depth + 1))?,
            b't' | b'f' | b'n' => {
                if !(self.literal(b"true") || self.literal(b"false") || self.literal(b"null")) {
                    return None;
                }
            }
            b'-' | b'0'..=b'9' => self.number()?,
            _ => return None,
        }
        Some(())
    }

    /// A number: `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`.
    fn number(&mut self) -> Option<()> {
        if self.peek() == Some(b'-') {
            self.i += 1;
        }
        match self.next()? {
            b'0' => {}
            b'1'..=b'9' => {
                self.digits();
            }
            _ => return None,
        }
        if self.peek() == Some(b'.') {
            self.i += 1;
            if self.digits() == 0 {
                return None;
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.i += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.i += 1;
            }
            if self.digits() == 0 {
                return None;
            }
        }
        Some(())
    }

    /// Skips decimal digits; how many.
    #[inline]
    fn digits(&mut self) -> usize {
        let start = self.i;
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.i += 1;
        }
        self.i - start
    }
}

/// How many bytes at the start of `b` are plain string bytes: printable ASCII other than `"` and
/// `\` (0x20..=0x7e less those two). Sixteen at a time with SSE2 (every x86-64 processor has it).
#[inline]
fn plain_run(b: &[u8]) -> usize {
    #[allow(unused_mut)]
    let mut i = 0;
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::*;
        while i + 16 <= b.len() {
            // SAFETY: SSE2 is part of x86-64; the load reads the 16 bytes `b[i..i + 16]`, in
            // bounds, unaligned.
            let stop = unsafe {
                let v = _mm_loadu_si128(b.as_ptr().add(i).cast());
                // Signed: below 0x20 is a control byte or, as a negative number, 0x80 and above.
                let outside = _mm_or_si128(
                    _mm_cmplt_epi8(v, _mm_set1_epi8(0x20)),
                    _mm_cmpeq_epi8(v, _mm_set1_epi8(0x7f)),
                );
                let quote = _mm_or_si128(
                    _mm_cmpeq_epi8(v, _mm_set1_epi8(b'"' as i8)),
                    _mm_cmpeq_epi8(v, _mm_set1_epi8(b'\\' as i8)),
                );
                _mm_movemask_epi8(_mm_or_si128(outside, quote)) as u32
            };
            if stop != 0 {
                return i + stop.trailing_zeros() as usize;
            }
            i += 16;
        }
    }
    i + b[i..].iter().take_while(|&&c| (0x20..0x7f).contains(&c) && c != b'"' && c != b'\\').count()
}

#[cfg(test)]
mod tests {
    use super::super::PageIds;
    use super::*;

    /// What serde makes of `body`, as the consumer reads it.
    fn serde(body: &[u8]) -> Option<PageSummary> {
        let p = serde_json::from_slice::<PageIds>(body).ok()?;
        Some(PageSummary { ids: p.data, has_more: p.has_more })
    }

    /// The scan agrees with serde wherever it answers; `answers`: it must answer here.
    fn agrees(body: &[u8], answers: bool) {
        let (fast, slow) = (page(body), serde(body));
        if let Some(f) = fast {
            assert_eq!(Some(f), slow, "the scan read what serde does not: {}", String::from_utf8_lossy(body));
        }
        if answers {
            assert!(fast.is_some(), "the scan left a plain page to serde: {}", String::from_utf8_lossy(body));
        }
    }

    #[test]
    fn plain_runs_stop_at_quotes_escapes_control_and_non_ascii_bytes() {
        for len in 0..70 {
            for stop in [b'"', b'\\', 0x00, 0x1f, 0x7f, 0x80, 0xff] {
                let mut b = vec![b'x'; len];
                b.push(stop);
                b.extend_from_slice(b"yyyyyyyyyyyyyyyyyyyy");
                assert_eq!(plain_run(&b), len, "{len} then {stop:#x}");
            }
            assert_eq!(plain_run(&vec![b' '; len]), len);
            assert_eq!(plain_run(&vec![b'~'; len]), len);
        }
    }

    #[test]
    fn the_servers_pages_are_read_as_serde_reads_them() {
        use crate::live::clock::Clock;
        use crate::live::json::{event, PageOut};
        use crate::model::source::EventLog;
        use crate::scenario::Scenario;
        for (payload, types) in [(512, ""), (0, ""), (3, "types = [\"order.created\", \"order.paid\"]\n")] {
            let s = Scenario::from_toml(
                &format!("name = \"p\"\nduration = \"1h\"\nseed = 4\n[events]\nrate = \"2000/h\"\npayload_bytes = {payload}\n{types}"),
                "t",
            )
            .expect("valid");
            let log = EventLog::generate(&s);
            let clock = Clock::start(1.0);
            for (from, n, more) in [(0u32, 0u32, false), (0, 1, true), (17, 100, true), (1900, 37, false)] {
                let n = n.min(log.len() as u32 - from);
                let page = PageOut {
                    data: (from..from + n).map(|i| event(&s, &log, &clock, i)).collect(),
                    has_more: more,
                    next_cursor: (n > 0).then(|| crate::live::json::event_id(from + n - 1)),
                };
                let body = serde_json::to_vec(&page).expect("json");
                agrees(&body, true);
                assert_eq!(page_ids(&body), (Some(from).filter(|_| n > 0), n, more));
                let pretty = serde_json::to_vec_pretty(&page).expect("json");
                agrees(&pretty, true);
            }
        }
    }

    fn page_ids(body: &[u8]) -> (Option<u32>, u32, bool) {
        let p = page(body).expect("read");
        (p.ids.first, p.ids.count, p.has_more)
    }

    #[test]
    fn what_the_scan_does_not_read_it_leaves_to_serde() {
        let plain = [
            r#"{"data":[],"has_more":false}"#,
            r#" { "has_more" : true , "data" : [ { "id" : "evt_7" } ] , "next_cursor" : null } "#,
            r#"{"data":[{"x":{"a":[1,-2.5e+3,0.0,true,false,null,{}],"b":[]},"id":"evt_1"},{"id":"evt_2"}],"has_more":true,"other":[[[]]]}"#,
        ];
        for body in plain {
            agrees(body.as_bytes(), true);
        }
        let left_or_refused = [
            r#"{"data":[{"id":"evt_1"},{"id":"evt_3"}],"has_more":true}"#,
            r#"{"data":[{"id":"evt_1","id":"evt_1"}],"has_more":true}"#,
            r#"{"data":[{"id":"\u0065vt_1"}],"has_more":true}"#,
            r#"{"data":[{"\u0069d":"evt_1"}],"has_more":true}"#,
            r#"{"data":[{"id":"evt_1","note":"caf\u00e9"}],"has_more":true}"#,
            "{\"data\":[{\"id\":\"evt_1\",\"note\":\"caf\u{e9}\"}],\"has_more\":true}",
            "{\"data\":[{\"id\":\"evt_1\",\"note\":\"a\tb\"}],\"has_more\":true}",
            r#"{"data":[{"id":"evt_1"}],"has_more":true,"has_more":false}"#,
            r#"{"data":[{"id":"evt_1"}]}"#,
            r#"{"has_more":true}"#,
            r#"{"data":[{"id":"evt_1"}],"has_more":1}"#,
            r#"{"data":[{"id":"evt_1"}],"has_more":true,}"#,
            r#"{"data":[{"id":"evt_1"},],"has_more":true}"#,
            r#"{"data":[{"id":"evt_1","v":01}],"has_more":true}"#,
            r#"{"data":[{"id":"evt_1","v":1.}],"has_more":true}"#,
            r#"{"data":[{"id":"evt_1","v":-}],"has_more":true}"#,
            r#"{"data":[{"id":"evt_1","v":tru}],"has_more":true}"#,
            r#"{"data":[{"id":"evt_1"}],"has_more":true} x"#,
            r#"{"data":[{"id":"evt_1"}],"has_more":true,"next_cursor":5}"#,
            r#"[[{"id":"evt_1"}],true,null]"#,
            r#"{"data":[{"id":"res_1"}],"has_more":true}"#,
            r#"{"data":[{"id":7}],"has_more":true}"#,
            r#"{"data":[{}],"has_more":true}"#,
            r#"{"data":null,"has_more":true}"#,
            r#"{"data":[{"id":"evt_1"}],"has_more":true"#,
            "",
        ];
        for body in left_or_refused {
            agrees(body.as_bytes(), false);
        }
        let deep = format!(
            r#"{{"data":[{{"id":"evt_1","x":{}0{}}}],"has_more":true}}"#,
            "[".repeat(40),
            "]".repeat(40)
        );
        assert_eq!(page(deep.as_bytes()), None, "deeper than the scan follows");
        agrees(deep.as_bytes(), false);
    }

    /// Pages with bytes changed, dropped, doubled or cut: wherever the scan answers, serde gives
    /// the same answer.
    #[test]
    fn mutated_pages_are_read_as_serde_reads_them_or_left_to_it() {
        use crate::model::dist::Rng;
        let base = r#"{"data":[{"id":"evt_0000000041","type":"a.b","v":12,"f":-0.5e3,"d":{"note":"xx","l":[1,true,null]}},{"id":"evt_0000000042","type":"c","v":0,"f":1E+2,"d":{}}],"has_more":false,"next_cursor":"evt_0000000042"}"#;
        let alphabet = b"{}[]:,\"\\ 0123456789-+.eEtrufalsn_vx\t\n\x01\x7f\xc3\xa9";
        let mut rng = Rng::new(11, "mutate");
        let (mut read, mut total) = (0, 0);
        for _ in 0..40_000 {
            let mut b = base.as_bytes().to_vec();
            for _ in 0..=rng.below(3) {
                let at = rng.below(b.len() as u32) as usize;
                match rng.below(4) {
                    0 => b[at] = alphabet[rng.below(alphabet.len() as u32) as usize],
                    1 => {
                        b.remove(at);
                    }
                    2 => b.insert(at, alphabet[rng.below(alphabet.len() as u32) as usize]),
                    _ => b.truncate(at),
                }
                if b.is_empty() {
                    break;
                }
            }
            agrees(&b, false);
            total += 1;
            read += usize::from(page(&b).is_some());
        }
        assert!(
            read > total / 20,
            "the scan read {read} of {total} mutated pages: too few to hold it to anything"
        );
    }
}
