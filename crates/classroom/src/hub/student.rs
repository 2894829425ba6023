//! The student's pages: sign-in, the scoreboard, the state cells
//! `/class.js` polls, and the lessons; the lab page is `lab_page.rs`, the
//! forms that change the lab `lab_forms.rs`.

use std::sync::Arc;

use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};

use super::board::{self, LESSON_RULE, Row, RowKind};
use super::{
    ClassState, Notice, STUDENT_COOKIE, Student, is_instructor, set_cookie, to_lab, warning,
};
use super::{lab_forms, lab_page};
use crate::challenges;
use crate::class::{Class, SignInError};
use crate::hosts::MAX_NAME_CHARS;
use crate::html::render;

/// The longest seat or instructor code the sign-in form takes.
const MAX_CODE_CHARS: usize = 40;

pub(super) fn routes() -> Router<Arc<Class>> {
    Router::new()
        .route("/", get(home))
        .route("/signin", post(sign_in))
        .route("/lab", get(lab_page::lab_page))
        .route("/lab/status.json", get(state_cells))
        .route("/scoreboard", get(scoreboard_page))
        .route("/scoreboard.json", get(scoreboard_json))
        .merge(lab_forms::routes())
        .route("/lesson/{id}", get(lesson))
        // The forged-cookie challenge's wordlist, as the lab's own attacker uses it.
        .route(
            "/wordlists/jwt-secrets.txt",
            get(|| async {
                (
                    [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
                    sessionlab_attack::tokens::PUBLISHED_SECRETS,
                )
            }),
        )
}

#[derive(Template)]
#[template(path = "signin.html")]
struct SignInPage {
    warning: Option<&'static str>,
    profile: String,
    error: Option<String>,
    require_code: bool,
    max_name_chars: usize,
    max_code_chars: usize,
}

async fn home(State(class): ClassState, student: Result<Student, Redirect>) -> Response {
    if student.is_ok() {
        return to_lab();
    }
    sign_in_page(&class, StatusCode::OK, None)
}

fn sign_in_page(class: &Class, status: StatusCode, error: Option<String>) -> Response {
    let page = SignInPage {
        warning: warning(class),
        profile: class.config.profile.label(),
        error,
        require_code: class.config.require_code,
        max_name_chars: MAX_NAME_CHARS,
        max_code_chars: MAX_CODE_CHARS,
    };
    render(status, &page)
}

#[derive(serde::Deserialize)]
struct SignInForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    code: String,
}

async fn sign_in(State(class): ClassState, Form(form): Form<SignInForm>) -> Response {
    let name = form.name.trim().to_ascii_lowercase();
    let signed_in = if form.code.trim().is_empty() {
        class.sign_in(&name).await
    } else {
        class.sign_in_with_code(&name, &form.code).await
    };
    let status = match signed_in {
        Ok(token) => {
            return ([set_cookie(STUDENT_COOKIE, &token)], Redirect::to("/lab")).into_response();
        }
        Err(SignInError::Roster(_)) => StatusCode::SERVICE_UNAVAILABLE,
        Err(_) => StatusCode::UNPROCESSABLE_ENTITY,
    };
    let error = signed_in.err().map(|e| e.to_string());
    sign_in_page(&class, status, error)
}

#[derive(Template)]
#[template(path = "scoreboard.html")]
struct ScoreboardPage {
    warning: Option<&'static str>,
    name: String,
    board: Vec<Row>,
}

async fn scoreboard_page(State(class): ClassState, Student(lab): Student) -> Response {
    let page = ScoreboardPage {
        warning: warning(&class),
        name: lab.name.clone(),
        board: board::rows(&lab.progress()),
    };
    render(StatusCode::OK, &page)
}

/// The student's progress as JSON (`solved`: challenge, RFC 3339 time,
/// summary; `hints`: levels revealed per challenge).
async fn scoreboard_json(Student(lab): Student) -> Response {
    axum::Json(lab.progress()).into_response()
}

/// Each challenge's state cell as the pages render it, by challenge id:
/// what `/class.js` polls to show a solve without a reload.
async fn state_cells(Student(lab): Student) -> Response {
    let mut response = axum::Json(board::rendered_state_cells(&lab.progress())).into_response();
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    response
}

#[derive(Template)]
#[template(path = "lesson.html")]
struct LessonPage {
    warning: Option<&'static str>,
    id: &'static str,
    /// The lesson's Markdown as HTML (`sessionlab_attack::lessons`: raw
    /// HTML in it is text, links to other lessons go to their hub page).
    html: String,
    lesson_rule: &'static str,
}

/// `/lesson/ID`: the lesson, rendered, to the instructor, and to a student
/// once [`LESSON_RULE`] opens it.
async fn lesson(
    State(class): ClassState,
    student: Result<Student, Redirect>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let Some(entry) = challenges::find(&id) else {
        return Notice::new("No such lesson", format!("No lesson {id}."))
            .show(&class, StatusCode::NOT_FOUND);
    };
    let open = match &student {
        Ok(Student(lab)) => board::lesson_is_open(entry, &lab.progress()),
        Err(_) => false,
    };
    if !open && !is_instructor(&class, &headers).await {
        return Notice::new(
            "Lesson not open yet",
            format!("{LESSON_RULE} The lesson of {} is not open yet.", entry.id),
        )
        .back_to("/lab")
        .show(&class, StatusCode::FORBIDDEN);
    }
    let html =
        sessionlab_attack::lessons::html(entry.id, 0, false, &|other| format!("/lesson/{other}"))
            .unwrap_or_default();
    let page = LessonPage {
        warning: warning(&class),
        id: entry.id,
        html,
        lesson_rule: LESSON_RULE,
    };
    render(StatusCode::OK, &page)
}
