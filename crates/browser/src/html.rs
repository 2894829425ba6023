//! Small HTML helpers for pages the actors read: forms, elements by id, inline scripts.
use url::Url;

/// A form found on a page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Form {
    pub action: Url,
    pub method: String,
    /// name -> value of every input/textarea with a name (hidden fields included).
    pub fields: Vec<(String, String)>,
}

/// The forms of a page, with `action` resolved against `base`.
pub fn forms(_html: &str, _base: &Url) -> Vec<Form> {
    todo!()
}

/// The text content of the element with this id, whitespace-trimmed.
pub fn text_by_id(_html: &str, _id: &str) -> Option<String> {
    todo!()
}

/// The source text of every inline `<script>` element (as a browser's parser sees them).
pub fn inline_scripts(_html: &str) -> Vec<String> {
    todo!()
}
