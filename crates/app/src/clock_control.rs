//! The lab clock's HTTP control, mounted only under `sessionlab serve --lab-clock`.
//!
//! `POST /.well-known/sessionlab/clock` with the header `Lab-Clock-Key: <key>`
//! and the form field `advance_seconds=<n>` moves the app's [`LabClock`]
//! forward by `n` seconds and answers `{"advanced_seconds": n,
//! "offset_seconds": total}`. This is how `sessionlab attack --lab-clock-key`
//! runs the timeout scenarios against an app in another process.
//!
//! Why a key, and why only with the flag: whoever moves the clock can expire
//! any session, or make the timeouts look broken. Without `--lab-clock` the
//! route does not exist (404). With it, the key is 128 random bits made at
//! start-up and printed to the operator's terminal only; the app never sends
//! it to a client, and a wrong or missing key gets 403 after a comparison in
//! constant time. A page on another site cannot use it through a visitor's
//! browser either: a custom header makes the browser ask first (a CORS
//! preflight), and the app answers no such question. Time only moves forward
//! (see `clock.rs`), so nothing can bring an expired session back.
//!
//! The route sits outside the app's layers (`app.rs`): it is no page, reads
//! no session, and its key stands in for the session-bound checks.

use std::fmt;
use std::sync::Arc;

use axum::Router;
use axum::extract::rejection::FormRejection;
use axum::extract::{DefaultBodyLimit, Form, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use subtle::ConstantTimeEq;
use time::Duration;

use crate::LabClock;
use crate::state::App;

pub use sessionlab_protocol::clock::{FIELD, KEY_HEADER, MAX_ADVANCE_SECONDS, PATH};
/// The environment variable a lab clock key may come from, for `serve
/// --lab-clock` (a fixed key) and `attack`: it stays out of `ps` and shell history.
pub const KEY_VARIABLE: &str = "SESSIONLAB_CLOCK_KEY";
/// The shortest key accepted: 22 base64url characters are 128 bits.
const MIN_KEY_CHARS: usize = 22;
const MAX_KEY_CHARS: usize = 256;
/// The form is one short field: anything larger gets 413.
const MAX_BODY_BYTES: usize = 1024;

/// The secret that opens the control: 128 bits from the OS-seeded CSPRNG,
/// base64url without padding (22 characters).
#[derive(Clone, PartialEq, Eq)]
pub struct LabClockKey(String);

impl LabClockKey {
    pub fn generate() -> Self {
        let bytes: [u8; 16] = rand::random();
        Self(URL_SAFE_NO_PAD.encode(bytes))
    }

    /// A key the operator chose (`SESSIONLAB_CLOCK_KEY` or a key file): 22 to
    /// 256 visible ASCII characters, so it holds at least as many guesses as a
    /// generated one could and fits in a header as it is.
    pub fn from_secret(secret: &str) -> Result<Self, String> {
        let secret = secret.trim();
        let length_ok = (MIN_KEY_CHARS..=MAX_KEY_CHARS).contains(&secret.len());
        if !length_ok || !secret.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(format!(
                "a lab clock key must be {MIN_KEY_CHARS} to {MAX_KEY_CHARS} visible ASCII characters \
                 (no spaces), e.g. the 22 a `serve --lab-clock` prints"
            ));
        }
        Ok(Self(secret.to_owned()))
    }

    /// The key from `file` if given, else from [`KEY_VARIABLE`] if set: ways
    /// to hand a key over that stay out of `ps` and shell history, unlike a
    /// command-line argument. `Ok(None)`: neither.
    pub fn configured(file: Option<&std::path::Path>) -> Result<Option<Self>, String> {
        if let Some(file) = file {
            let text = std::fs::read_to_string(file).map_err(|e| {
                format!("cannot read the lab clock key file {}: {e}", file.display())
            })?;
            return Self::from_secret(&text)
                .map(Some)
                .map_err(|e| format!("{}: {e}", file.display()));
        }
        match std::env::var(KEY_VARIABLE) {
            Ok(value) => Self::from_secret(&value)
                .map(Some)
                .map_err(|e| format!("{KEY_VARIABLE}: {e}")),
            Err(std::env::VarError::NotPresent) => Ok(None),
            Err(std::env::VarError::NotUnicode(_)) => {
                Err(format!("{KEY_VARIABLE} is not valid UTF-8"))
            }
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Constant time: the answer's timing says nothing about how much of a
    /// guess was right.
    fn matches(&self, offered: &[u8]) -> bool {
        self.0.as_bytes().ct_eq(offered).into()
    }
}

/// Never prints the key itself (the app's state is `Debug`).
impl fmt::Debug for LabClockKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("LabClockKey(<secret>)")
    }
}

/// The control's route when the app has a key; no route at all otherwise.
pub(crate) fn routes(key: Option<&LabClockKey>) -> Router<Arc<App>> {
    match key {
        Some(_) => Router::new()
            .route(PATH, post(advance))
            .layer(DefaultBodyLimit::max(MAX_BODY_BYTES)),
        None => Router::new(),
    }
}

#[derive(serde::Deserialize)]
pub(crate) struct AdvanceForm {
    advance_seconds: String,
}

async fn advance(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    form: Result<Form<AdvanceForm>, FormRejection>,
) -> Response {
    let Some(key) = &app.lab_clock_key else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let offered = headers
        .get(KEY_HEADER)
        .map(|value| value.as_bytes())
        .unwrap_or_default();
    if !key.matches(offered) {
        return (
            StatusCode::FORBIDDEN,
            "403 Forbidden: wrong or missing Lab-Clock-Key header (the key `sessionlab serve --lab-clock` printed at start-up)\n",
        )
            .into_response();
    }
    let seconds = match form {
        Ok(Form(form)) => parse_seconds(&form.advance_seconds),
        Err(rejection) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            return rejection.into_response();
        }
        Err(rejection) => Err(format!(
            "expected a form with {FIELD}=<seconds> ({})",
            rejection.body_text()
        )),
    };
    match seconds {
        Ok(seconds) => {
            advance_clock(&app.clock, seconds);
            axum::Json(serde_json::json!({
                "advanced_seconds": seconds,
                "offset_seconds": app.clock.offset().whole_seconds(),
            }))
            .into_response()
        }
        Err(problem) => (
            StatusCode::BAD_REQUEST,
            format!("400 Bad Request: {problem}\n"),
        )
            .into_response(),
    }
}

/// A whole number of seconds from 1 to [`MAX_ADVANCE_SECONDS`], digits only.
fn parse_seconds(text: &str) -> Result<u64, String> {
    let problem =
        || format!("{FIELD} must be a whole number of seconds from 1 to {MAX_ADVANCE_SECONDS}");
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(problem());
    }
    match text.parse::<u64>() {
        Ok(seconds @ 1..=MAX_ADVANCE_SECONDS) => Ok(seconds),
        _ => Err(problem()),
    }
}

fn advance_clock(clock: &LabClock, seconds: u64) {
    // At most 30 days: far inside i64.
    clock.advance(Duration::seconds(seconds as i64));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_22_base64url_characters_and_differ() {
        let (a, b) = (LabClockKey::generate(), LabClockKey::generate());
        assert_eq!(a.as_str().len(), 22);
        assert!(
            a.as_str()
                .bytes()
                .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
        );
        assert_ne!(a, b);
        assert!(a.matches(a.as_str().as_bytes()));
        assert!(!a.matches(b.as_str().as_bytes()));
        assert!(!a.matches(b""));
        assert!(!format!("{a:?}").contains(a.as_str()));
    }

    #[test]
    fn a_chosen_key_is_long_and_plain() {
        let generated = LabClockKey::generate();
        let line = format!("{}\n", generated.as_str());
        assert_eq!(LabClockKey::from_secret(&line), Ok(generated));
        for bad in [
            "",
            "short",
            "with a space in it, long enough",
            "é-is-not-ascii-but-long-enough",
        ] {
            assert!(LabClockKey::from_secret(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn only_a_positive_whole_number_within_the_cap_is_accepted() {
        assert_eq!(parse_seconds("1860"), Ok(1860));
        assert_eq!(
            parse_seconds(&MAX_ADVANCE_SECONDS.to_string()),
            Ok(MAX_ADVANCE_SECONDS)
        );
        for bad in [
            "",
            "0",
            "-5",
            "+5",
            "1.5",
            " 60",
            "1e3",
            "2592001",
            "99999999999999999999999",
        ] {
            assert!(parse_seconds(bad).is_err(), "{bad:?} was accepted");
        }
    }
}
