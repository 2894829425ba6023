//! The workspace's one HTML escaper: the target app's pages and the class
//! hub's (through askama, [`Escaper`]), the reports, the handouts and the
//! attack engine's forged pages all escape with [`escape_html`], so a rule
//! changed here changes everywhere, and one test covers it.
//!
//! Escaping the five characters below makes text safe in element content
//! and in a quoted attribute value. It is not enough inside `<script>`,
//! `<style>` or an unquoted attribute: none of the lab's pages put text there.

use std::fmt::{self, Write};

/// Each character HTML gives a meaning, with the entity that stands for it.
const ENTITIES: [(char, &str); 5] = [
    ('&', "&amp;"),
    ('<', "&lt;"),
    ('>', "&gt;"),
    ('"', "&quot;"),
    ('\'', "&#39;"),
];

fn entity(c: char) -> Option<&'static str> {
    ENTITIES
        .iter()
        .find(|(special, _)| *special == c)
        .map(|(_, entity)| *entity)
}

/// Writes `text` to `dest` with every character of [`ENTITIES`] replaced.
pub fn write_escaped_html(mut dest: impl Write, text: &str) -> fmt::Result {
    let mut plain_from = 0;
    for (at, c) in text.char_indices() {
        if let Some(entity) = entity(c) {
            dest.write_str(&text[plain_from..at])?;
            dest.write_str(entity)?;
            plain_from = at + c.len_utf8();
        }
    }
    dest.write_str(&text[plain_from..])
}

/// Text made safe for HTML element content and quoted attribute values.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    // Writing to a String cannot fail.
    let _ = write_escaped_html(&mut out, text);
    out
}

/// [`escape_html`] as askama's escaper: a crate's `askama.toml` names it for
/// `.html` templates, so `{{ value }}` escapes exactly as the rest of the
/// workspace does (askama's own writes `&#60;` where this writes `&lt;`).
#[cfg(feature = "askama")]
#[derive(Debug, Clone, Copy, Default)]
pub struct Escaper;

#[cfg(feature = "askama")]
impl askama::filters::Escaper for Escaper {
    fn write_escaped_str<W: Write>(&self, dest: W, string: &str) -> fmt::Result {
        write_escaped_html(dest, string)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_becomes_text() {
        assert_eq!(
            escape_html("<script>alert('x')</script> & \"q\""),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;"
        );
    }

    #[test]
    fn plain_text_and_other_characters_stay() {
        assert_eq!(escape_html(""), "");
        assert_eq!(escape_html("alice · ünïcode ✓"), "alice · ünïcode ✓");
        assert_eq!(escape_html("a&&b"), "a&amp;&amp;b");
    }

    #[test]
    fn an_attribute_value_cannot_be_closed() {
        let value = escape_html("x\" onmouseover=\"alert(1)");
        assert!(!value.contains('"'), "{value}");
    }

    #[test]
    fn escaping_twice_escapes_the_first_entities() {
        assert_eq!(escape_html(&escape_html("<")), "&amp;lt;");
    }
}
