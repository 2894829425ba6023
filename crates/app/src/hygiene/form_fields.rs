//! Form fields must decode to UTF-8, or 400 naming the field.
//!
//! **What it does.** For a body of type `application/x-www-form-urlencoded`,
//! the layer decodes every field's name and value (`+` is a space, `%XX` a
//! byte) and answers 400 when the bytes are not UTF-8, naming the first such
//! field: "the form field `new_password` is not valid UTF-8". A valid form
//! goes on to the handlers byte for byte.
//!
//! **Why.** The usual decoder (`form_urlencoded`, under axum's `Form`)
//! replaces every invalid sequence with U+FFFD. Then `new_password=%FF%FE`
//! and `new_password=%FE%FF` are the same password, `%C3` and `%FF` the same
//! name: different inputs silently collapse into one, and the user is never
//! told that what they typed was not what the server kept. A 400 that names
//! the field says so.
//!
//! CWE-20, CWE-172 (encoding error) · ASVS 5.0.0 1.2.1, 2.2.1

use axum::body::{Body, to_bytes};
use axum::extract::Request;
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::state::MAX_BODY_BYTES;

/// The longest field name a 400 repeats.
const MAX_NAME_CHARS: usize = 40;

/// Why a form is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FormProblem {
    /// The value of this field is not UTF-8 once decoded.
    Value(String),
    /// A field's name is not UTF-8 once decoded.
    Name,
}

impl FormProblem {
    pub fn text(&self) -> String {
        match self {
            Self::Value(name) => {
                let shown: String = name.chars().take(MAX_NAME_CHARS).collect();
                format!(
                    "the form field `{}` is not valid UTF-8 (its percent-escapes decode to bytes \
                     that are no text)",
                    shown.escape_debug()
                )
            }
            Self::Name => "a form field name is not valid UTF-8".to_owned(),
        }
    }
}

/// `+` as a space and `%XX` as its byte; a `%` not followed by two hex digits
/// stays as it is (what `form_urlencoded` does too).
pub fn decode(raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        let escaped = raw
            .get(i + 1..i + 3)
            .and_then(|digits| Some(hex(digits[0])? << 4 | hex(digits[1])?));
        match (raw[i], escaped) {
            (b'+', _) => out.push(b' '),
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 2;
            }
            (byte, _) => out.push(byte),
        }
        i += 1;
    }
    out
}

fn hex(byte: u8) -> Option<u8> {
    (byte as char).to_digit(16).map(|digit| digit as u8)
}

/// The first field of `body` whose name or value is not UTF-8, if any.
pub fn check(body: &[u8]) -> Option<FormProblem> {
    for pair in body
        .split(|&byte| byte == b'&')
        .filter(|pair| !pair.is_empty())
    {
        let (name, value) = match pair.iter().position(|&byte| byte == b'=') {
            Some(at) => (&pair[..at], &pair[at + 1..]),
            None => (pair, &[][..]),
        };
        let Ok(name) = String::from_utf8(decode(name)) else {
            return Some(FormProblem::Name);
        };
        if std::str::from_utf8(&decode(value)).is_err() {
            return Some(FormProblem::Value(name));
        }
    }
    None
}

/// The layer, as `axum::middleware::from_fn` middleware: reads a form body
/// (within the app's 16 KiB limit), checks it, hands it on intact.
pub async fn require_utf8(request: Request, next: Next) -> Response {
    let is_form = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .is_some_and(|mime| {
            mime.trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        });
    if !is_form {
        return next.run(request).await;
    }
    let (parts, body) = request.into_parts();
    let bytes = match to_bytes(body, MAX_BODY_BYTES).await {
        Ok(bytes) => bytes,
        Err(_) => {
            return (
                StatusCode::PAYLOAD_TOO_LARGE,
                "413 Payload Too Large: the form is larger than this app reads, or did not arrive whole.\n",
            )
                .into_response();
        }
    };
    if let Some(problem) = check(&bytes) {
        return (
            StatusCode::BAD_REQUEST,
            [
                (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
                (header::CACHE_CONTROL, "no-store"),
            ],
            format!("400 Bad Request: {}.\n", problem.text()),
        )
            .into_response();
    }
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_the_field_whose_bytes_are_no_text() {
        assert_eq!(check(b"username=alice&password=wonderland"), None);
        assert_eq!(check(b"a=%C3%A9&b=+%2B%25&c&=x&&"), None);
        assert_eq!(
            check(b"current_password=x&new_password=%FF%FE"),
            Some(FormProblem::Value("new_password".into()))
        );
        assert_eq!(check(b"%FF=1"), Some(FormProblem::Name));
        assert_eq!(check(b"a=%C3"), Some(FormProblem::Value("a".into())));
        // Raw bytes outside UTF-8 count too, not only escapes.
        assert_eq!(check(b"a=\xff"), Some(FormProblem::Value("a".into())));
        // A stray % is kept as it is, like form_urlencoded does.
        assert_eq!(decode(b"100%"), b"100%");
        assert_eq!(decode(b"%4"), b"%4");
        assert_eq!(decode(b"%41%4a+"), b"AJ ");
    }
}
