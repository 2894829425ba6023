//! The forms of the lab page: send alice, bob's message, the attacker
//! page, the lab clock, hints, the copy of alice's cookie, a reset. Each
//! does its work and goes back to the lab page, or says what was wrong.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{Form, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::post;

use super::lab_page::LabOrigins;
use super::{ClassState, Notice, Student, roster_failed, to_lab};
use crate::attacker_site::{MAX_PAGE_BYTES, MAX_SET_COOKIE_BYTES, PageError};
use crate::bot::Visit;
use crate::challenges;
use crate::class::Class;

/// Largest jump of the lab clock one press may ask for: 10 hours.
pub const MAX_MINUTES: u32 = 600;

pub(super) fn routes() -> Router<Arc<Class>> {
    Router::new()
        .route("/lab/alice", post(send_alice))
        .route("/lab/message", post(set_message))
        .route("/lab/page", post(set_page))
        .route("/lab/time", post(let_time_pass))
        .route("/lab/hint", post(reveal_hint))
        .route("/lab/reset", post(reset_own))
        .route("/lab/copy", post(take_copy))
}

#[derive(serde::Deserialize)]
struct AliceForm {
    visit: String,
}

async fn send_alice(
    State(class): ClassState,
    Student(lab): Student,
    Form(form): Form<AliceForm>,
) -> Response {
    let Some(visit) = Visit::from_form(&form.visit) else {
        let valid: Vec<&str> = Visit::ALL.iter().map(|(name, _)| *name).collect();
        return Notice::new(
            "No such visit",
            format!("alice's visits: {}.", valid.join(", ")),
        )
        .back_to("/lab")
        .show(&class, StatusCode::UNPROCESSABLE_ENTITY);
    };
    if lab.visiting.try_lock().is_err() {
        // One visit at a time: a second press would only queue behind the first.
        return Notice::new(
            "alice is busy",
            "alice is on a visit already; wait for it to end.",
        )
        .back_to("/lab")
        .show(&class, StatusCode::TOO_MANY_REQUESTS);
    }
    class.send_alice(&lab.name, visit).await;
    to_lab()
}

#[derive(serde::Deserialize)]
struct MessageForm {
    url: String,
}

async fn set_message(
    State(class): ClassState,
    Student(lab): Student,
    Form(form): Form<MessageForm>,
) -> Response {
    let text = form.url.trim();
    if text.is_empty() {
        lab.with_state(|s| s.message = None);
        return to_lab();
    }
    match url::Url::parse(text) {
        Ok(url) if class.hosts.is_lab_url(&lab.label(), &url) => {
            lab.with_state(|s| s.message = Some(url));
            to_lab()
        }
        _ => Notice::new(
            "Not a lab link",
            format!(
                "alice only opens links to your app or your attacker site ({}), with this port.",
                LabOrigins::of(&class, &lab).listed()
            ),
        )
        .back_to("/lab")
        .show(&class, StatusCode::UNPROCESSABLE_ENTITY),
    }
}

#[derive(serde::Deserialize)]
struct PageForm {
    html: String,
    #[serde(default)]
    set_cookie: Option<String>,
}

async fn set_page(
    State(class): ClassState,
    Student(lab): Student,
    Form(form): Form<PageForm>,
) -> Response {
    let Err(e) = lab.site.set_page(form.html, form.set_cookie) else {
        return to_lab();
    };
    let status = match e {
        PageError::TooLarge(_) | PageError::CookieTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        PageError::CookieNotOneLine => StatusCode::UNPROCESSABLE_ENTITY,
    };
    Notice::new(
        "Page refused",
        format!(
            "{e} (page at most {MAX_PAGE_BYTES} bytes, Set-Cookie at most {MAX_SET_COOKIE_BYTES})."
        ),
    )
    .back_to("/lab")
    .show(&class, status)
}

#[derive(serde::Deserialize)]
struct TimeForm {
    minutes: String,
}

async fn let_time_pass(
    State(class): ClassState,
    Student(lab): Student,
    Form(form): Form<TimeForm>,
) -> Response {
    match form.minutes.trim().parse::<u32>() {
        Ok(minutes) if (1..=MAX_MINUTES).contains(&minutes) => {
            lab.app
                .info
                .clock
                .advance_std(Duration::from_secs(u64::from(minutes) * 60));
            to_lab()
        }
        _ => Notice::new(
            "Not a duration",
            format!("Minutes are a whole number from 1 to {MAX_MINUTES}."),
        )
        .back_to("/lab")
        .show(&class, StatusCode::UNPROCESSABLE_ENTITY),
    }
}

#[derive(serde::Deserialize)]
struct HintForm {
    challenge: String,
}

async fn reveal_hint(
    State(class): ClassState,
    Student(lab): Student,
    Form(form): Form<HintForm>,
) -> Response {
    match challenges::challenges().find(|(e, _)| e.id == form.challenge) {
        Some((entry, _)) => {
            lab.reveal_hint(entry.id);
            Redirect::to(&format!("/lab#challenge-{}", entry.id)).into_response()
        }
        None => Notice::new(
            "No such challenge",
            format!("No challenge {}.", form.challenge),
        )
        .back_to("/lab")
        .show(&class, StatusCode::NOT_FOUND),
    }
}

async fn take_copy(State(class): ClassState, Student(lab): Student) -> Response {
    match lab.take_copy() {
        Some(_) => to_lab(),
        None => Notice::new(
            "No cookie yet",
            "alice has left no cookie behind yet: send her first.",
        )
        .back_to("/lab")
        .show(&class, StatusCode::CONFLICT),
    }
}

async fn reset_own(State(class): ClassState, Student(lab): Student) -> Response {
    match class.reset(&lab.name).await {
        Ok(_) => to_lab(),
        Err(e) => roster_failed(&class, &e),
    }
}
