//! The instructor's pages: sign-in with the instructor key, every
//! student's progress in one table that fits a projector, resets, and codes
//! for new seats.

use std::sync::Arc;

use askama::Template;
use axum::Router;
use axum::extract::{Form, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};

use super::{
    ClassState, INSTRUCTOR_COOKIE, Notice, is_instructor, roster_failed, set_cookie, warning,
};
use crate::challenges;
use crate::class::Class;
use crate::html::render;
use crate::roster::StudentRecord;

/// The most codes one press issues.
pub const MAX_CODES_AT_ONCE: usize = 100;
/// What the codes form offers first: a class's worth.
const SUGGESTED_CODES: usize = 30;
/// The `name` of the reset form that resets every lab.
const EVERY_LAB: &str = "*";

pub(super) fn routes() -> Router<Arc<Class>> {
    Router::new()
        .route("/instructor", get(instructor_page))
        .route("/instructor.json", get(instructor_json))
        .route("/instructor/signin", post(instructor_sign_in))
        .route("/instructor/reset", post(instructor_reset))
        .route("/instructor/codes", post(instructor_codes))
}

fn instructor_only(class: &Class) -> Response {
    Notice::new("Instructor", "Sign in as the instructor first.").show(class, StatusCode::FORBIDDEN)
}

/// Every student's progress as JSON, for the instructor (`name`, `home`:
/// the instance their lab runs on, `progress`).
async fn instructor_json(State(class): ClassState, headers: HeaderMap) -> Response {
    if !is_instructor(&class, &headers).await {
        return instructor_only(&class);
    }
    match class.students().await {
        Ok(students) => axum::Json(students).into_response(),
        Err(e) => roster_failed(&class, &e),
    }
}

#[derive(Template)]
#[template(path = "instructor_signin.html")]
struct SignInPage {
    warning: Option<&'static str>,
}

/// One cell of the progress table: a challenge for one student.
struct Mark {
    challenge: &'static str,
    solved: bool,
    hints: usize,
}

/// One row of the progress table.
struct StudentRow {
    name: String,
    /// The instance the lab runs on (a shared class only).
    home: String,
    marks: Vec<Mark>,
}

impl StudentRow {
    fn of(student: &StudentRecord) -> Self {
        let progress = &student.progress;
        let marks = challenges::challenges()
            .map(|(entry, _)| Mark {
                challenge: entry.id,
                solved: progress.is_solved(entry.id),
                hints: progress.hints.get(entry.id).copied().unwrap_or(0),
            })
            .collect();
        Self {
            name: student.name.clone(),
            home: student.home.clone(),
            marks,
        }
    }
}

#[derive(Template)]
#[template(path = "instructor.html")]
struct InstructorPage {
    warning: Option<&'static str>,
    profile: String,
    /// The challenges' ids: the table's columns.
    challenges: Vec<&'static str>,
    /// A shared class shows the instance each lab runs on.
    shared: bool,
    students: Vec<StudentRow>,
    codes: String,
    every_lab: &'static str,
    suggested_codes: usize,
}

async fn instructor_page(State(class): ClassState, headers: HeaderMap) -> Response {
    if !is_instructor(&class, &headers).await {
        let page = SignInPage {
            warning: warning(&class),
        };
        return render(StatusCode::OK, &page);
    }
    let students = match class.students().await {
        Ok(students) => students,
        Err(e) => return roster_failed(&class, &e),
    };
    let codes = match class.roster.pending_codes().await {
        Ok(codes) => codes,
        Err(e) => return roster_failed(&class, &e),
    };
    let page = InstructorPage {
        warning: warning(&class),
        profile: class.config.profile.label(),
        challenges: challenges::challenges().map(|(e, _)| e.id).collect(),
        shared: class.config.shared.is_some(),
        students: students.iter().map(StudentRow::of).collect(),
        codes: codes.join(" "),
        every_lab: EVERY_LAB,
        suggested_codes: SUGGESTED_CODES,
    };
    render(StatusCode::OK, &page)
}

#[derive(serde::Deserialize)]
struct KeyForm {
    key: String,
}

async fn instructor_sign_in(State(class): ClassState, Form(form): Form<KeyForm>) -> Response {
    match class.instructor_sign_in(form.key.trim()).await {
        Some(token) => (
            [set_cookie(INSTRUCTOR_COOKIE, &token)],
            Redirect::to("/instructor"),
        )
            .into_response(),
        None => Notice::new("Instructor", "Wrong instructor key.")
            .back_to("/instructor")
            .show(&class, StatusCode::FORBIDDEN),
    }
}

#[derive(serde::Deserialize)]
struct ResetForm {
    name: String,
}

async fn instructor_reset(
    State(class): ClassState,
    headers: HeaderMap,
    Form(form): Form<ResetForm>,
) -> Response {
    if !is_instructor(&class, &headers).await {
        return instructor_only(&class);
    }
    let done = if form.name == EVERY_LAB {
        class.reset_all().await.map(|()| true)
    } else {
        class.reset(&form.name).await
    };
    match done {
        Ok(true) => Redirect::to("/instructor").into_response(),
        Ok(false) => Notice::new("Instructor", format!("No student {}.", form.name))
            .show(&class, StatusCode::NOT_FOUND),
        Err(e) => roster_failed(&class, &e),
    }
}

#[derive(serde::Deserialize)]
struct CodesForm {
    count: String,
}

/// Issues codes for new seats (1 to [`MAX_CODES_AT_ONCE`] at a time).
async fn instructor_codes(
    State(class): ClassState,
    headers: HeaderMap,
    Form(form): Form<CodesForm>,
) -> Response {
    if !is_instructor(&class, &headers).await {
        return instructor_only(&class);
    }
    match form.count.trim().parse::<usize>() {
        Ok(count) if (1..=MAX_CODES_AT_ONCE).contains(&count) => {
            match class.issue_codes(count).await {
                Ok(_) => Redirect::to("/instructor").into_response(),
                Err(e) => roster_failed(&class, &e),
            }
        }
        _ => Notice::new(
            "Instructor",
            format!("Issue 1 to {MAX_CODES_AT_ONCE} codes at a time."),
        )
        .back_to("/instructor")
        .show(&class, StatusCode::UNPROCESSABLE_ENTITY),
    }
}
