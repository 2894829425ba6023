//! HTTP hygiene: requests the app refuses before any handler sees them, and
//! headers every answer carries.
//!
//! - [`host_header`]: a missing, duplicated or garbled `Host` gets 400
//!   (RFC 9112 §3.2);
//! - [`form_fields`]: a form field whose percent-escapes decode to bytes that
//!   are not UTF-8 gets 400 naming the field, instead of being read with
//!   U+FFFD in place of the bytes;
//! - [`security_headers`]: the profile's `Content-Security-Policy`,
//!   `Referrer-Policy` and `Strict-Transport-Security`, set by the outermost
//!   layer so that every response has them, the 400s and 431s included.
//!
//! None of these is a defense a profile turns off: like
//! `malformed_cookies.rs`, they are input validation, the same in every
//! profile. A malformed request is a 4xx, never a 5xx or a panic.

pub mod form_fields;
pub mod host_header;
pub mod security_headers;
