//! Quoting what a user wrote: the one escape for text on its way to a terminal, and the short
//! excerpt an error sentence may quote.
//!
//! Owns which characters are never printed raw — control characters (an ESC starts a colour,
//! cursor or clear-screen sequence) and the invisible and bidirectional formatting characters
//! (U+202E turns the rest of a line around) — and how long a quote of user input may be. It sits
//! below everything that quotes user text (the trace reader, the scenario parser, the renderers,
//! which use it through [`crate::render::text`]) and imports nothing.

/// The most characters of a field an error sentence quotes ([`excerpt`]).
pub const EXCERPT: usize = 40;

/// The most characters of a path an error sentence quotes: paths are longer than fields, but
/// still bounded.
pub const EXCERPT_PATH: usize = 160;

/// Text a user supplied (a scenario's name or description, a row label read from a file, a
/// path, a threshold) made safe for a terminal: control characters (C0, DEL, C1 — the escape
/// that starts a colour or cursor sequence among them) and the invisible and bidirectional
/// formatting characters (U+200B–U+200F, U+202A–U+202E, U+2066–U+2069, U+061C, U+2028, U+2029,
/// U+FEFF) are written as `\n`, `\t`, `\r` or `\u{…}`. Everything else passes unchanged.
pub fn escape(text: &str) -> String {
    escape_with(text, false)
}

/// [`escape`] for a whole file shown as written (`scenarios show`): line ends and tabs stay.
pub fn escape_keeping_lines(text: &str) -> String {
    escape_with(text, true)
}

fn escape_with(text: &str, keep_lines: bool) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\n' | '\t' if keep_lines => out.push(c),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() || is_format_char(c) => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

/// The invisible and bidirectional formatting characters [`escape`] writes out.
fn is_format_char(c: char) -> bool {
    matches!(c, '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
        || matches!(c, '\u{061c}' | '\u{2028}' | '\u{2029}' | '\u{feff}')
}

/// A short, escaped quote of user text for an error sentence: at most `max` characters of it
/// (then `…`), [`escape`]d.
pub fn excerpt(text: &str, max: usize) -> String {
    let mut short: String = text.chars().take(max).collect();
    if text.chars().nth(max).is_some() {
        short.push('…');
    }
    escape(&short)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_and_bidi_characters_are_written_out() {
        assert_eq!(escape("plain · ünïcode"), "plain · ünïcode");
        assert_eq!(escape("a\u{1b}[31mred\u{1b}[0m"), "a\\u{1b}[31mred\\u{1b}[0m");
        assert_eq!(escape("x\u{202e}y\u{2066}z\u{200b}"), "x\\u{202e}y\\u{2066}z\\u{200b}");
        assert_eq!(escape("l1\nl2\tt\r\u{7f}\u{9b}\u{0}"), "l1\\nl2\\tt\\r\\u{7f}\\u{9b}\\u{0}");
        assert_eq!(escape_keeping_lines("a = 1\n\tb\u{1b}\n"), "a = 1\n\tb\\u{1b}\n");
        assert_eq!(excerpt("abcdef", 3), "abc…");
        assert_eq!(excerpt("ab\u{1b}", 3), "ab\\u{1b}");
        assert_eq!(
            excerpt("HOOKBENCH_SECRET=whsec_abcdefghijklmnopqrstuvwxyz0123456789", 20),
            "HOOKBENCH_SECRET=whs…"
        );
    }
}
