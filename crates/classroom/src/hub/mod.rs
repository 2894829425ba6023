//! The hub (`http://localhost:PORT/`): sign-in, each student's lab page with
//! the challenges and their scoreboard, alice's controls, the attacker page's
//! editor and logs, the lessons (`student.rs`, `lab_page.rs`,
//! `lab_forms.rs`), and the instructor's view (`instructor.rs`). The pages
//! are askama templates (`templates/`).
//!
//! Every form posts to the hub; the hub's cookies are `HttpOnly;
//! SameSite=Strict`, and a POST that did not come from one of the hub's own
//! pages gets 403 (`same_origin.rs`), so a student's attacker page cannot
//! drive another student's hub.

mod board;
mod instructor;
mod lab_forms;
mod lab_page;
mod student;
mod times;

use std::sync::Arc;

use askama::Template;
use axum::Router;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::{Next, from_fn_with_state};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;

use crate::attacker_site::{MAX_PAGE_BYTES, MAX_SET_COOKIE_BYTES};
use crate::class::{Class, StudentsLab};
use crate::html::{CSS, SCRIPT, render};
use crate::lab::StudentLab;
use crate::same_origin::{self, PostCheck};

const STUDENT_COOKIE: &str = "class_student";
const INSTRUCTOR_COOKIE: &str = "class_instructor";
/// Largest form the hub reads: the attacker page (the largest field) with
/// every byte percent-encoded (3 bytes each, as `<`, `>` and `"` are), and
/// room for the rest, so a page within its bound gets that bound's message.
pub const MAX_FORM_BYTES: usize = 3 * MAX_PAGE_BYTES + 3 * MAX_SET_COOKIE_BYTES + 1024;

type ClassState = State<Arc<Class>>;

pub fn router(class: Arc<Class>) -> Router {
    Router::new()
        .merge(student::routes())
        .merge(instructor::routes())
        .route(
            "/class.css",
            get(|| async { ([(header::CONTENT_TYPE, "text/css")], CSS) }),
        )
        .route(
            "/class.js",
            get(|| async { ([(header::CONTENT_TYPE, "text/javascript")], SCRIPT) }),
        )
        .fallback(|| async { (StatusCode::NOT_FOUND, "no such page on the class hub") })
        .layer(DefaultBodyLimit::max(MAX_FORM_BYTES))
        .layer(from_fn_with_state(class.clone(), same_origin_posts))
        .with_state(class)
}

/// A POST that did not come from one of the hub's own pages gets 403 and
/// never changes state (`same_origin.rs`: the rule, and why).
async fn same_origin_posts(State(class): ClassState, request: Request, next: Next) -> Response {
    let host = request
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("");
    match same_origin::check(request.method(), request.headers(), host) {
        PostCheck::Allowed => next.run(request).await,
        PostCheck::Refused(why) => Notice::new("Refused", why)
            .with_id("refused")
            .show(&class, StatusCode::FORBIDDEN),
    }
}

/// A short page that says one thing (an error, a refusal), with a link back.
#[derive(Template)]
#[template(path = "notice.html")]
struct Notice {
    warning: Option<&'static str>,
    title: &'static str,
    text: String,
    /// The paragraph's id, for a test or a script to find it.
    id: Option<&'static str>,
    back: Option<&'static str>,
}

impl Notice {
    fn new(title: &'static str, text: impl Into<String>) -> Self {
        Self {
            warning: None,
            title,
            text: text.into(),
            id: None,
            back: None,
        }
    }

    fn with_id(self, id: &'static str) -> Self {
        Self {
            id: Some(id),
            ..self
        }
    }

    /// A "Back" link to `path`.
    fn back_to(self, path: &'static str) -> Self {
        Self {
            back: Some(path),
            ..self
        }
    }

    fn show(self, class: &Class, status: StatusCode) -> Response {
        render(
            status,
            &Self {
                warning: warning(class),
                ..self
            },
        )
    }
}

/// The line every page shows above all when the class listens beyond loopback.
fn warning(class: &Class) -> Option<&'static str> {
    class
        .config
        .exposed
        .then_some(crate::class::EXPOSED_WARNING)
}

fn roster_failed(class: &Class, e: &crate::roster::RosterError) -> Response {
    Notice::new("Roster unavailable", e.to_string()).show(class, StatusCode::SERVICE_UNAVAILABLE)
}

fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, v)| v)
}

/// The hub's student sign-in token in a request, if any.
pub(crate) fn student_token(headers: &HeaderMap) -> Option<&str> {
    cookie(headers, STUDENT_COOKIE)
}

fn set_cookie(name: &str, value: &str) -> (header::HeaderName, String) {
    (
        header::SET_COOKIE,
        format!("{name}={value}; Path=/; HttpOnly; SameSite=Strict"),
    )
}

/// Whether the request carries the instructor's sign-in.
async fn is_instructor(class: &Class, headers: &HeaderMap) -> bool {
    match cookie(headers, INSTRUCTOR_COOKIE) {
        Some(token) => class.is_instructor(token).await,
        None => false,
    }
}

/// The signed-in student's lab, as an extractor: anyone else is sent to the sign-in page.
struct Student(Arc<StudentLab>);

impl axum::extract::FromRequestParts<Arc<Class>> for Student {
    type Rejection = Redirect;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _class: &Arc<Class>,
    ) -> Result<Self, Self::Rejection> {
        // The class found the lab from the student's cookie before it
        // passed the request here (or forwarded it to the lab's home).
        parts
            .extensions
            .get::<StudentsLab>()
            .map(|lab| Student(lab.0.clone()))
            .ok_or_else(|| Redirect::to("/"))
    }
}

/// Back to the lab page after a form did its work.
fn to_lab() -> Response {
    Redirect::to("/lab").into_response()
}
