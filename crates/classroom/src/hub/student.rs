//! The student's pages: sign-in, the lab page (the challenges, alice's
//! controls, bob's message, the attacker site's editor and log), the
//! scoreboard, the lessons, and the forms that change the lab.

use std::sync::Arc;
use std::time::Duration;

use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};

use super::board::{self, LESSON_RULE, Row, RowKind};
use super::times::{date_and_time, time_of_day};
use super::{
    ClassState, Notice, STUDENT_COOKIE, Student, is_instructor, roster_failed, set_cookie, to_lab,
    warning,
};
use crate::attacker_site::{Hit, MAX_PAGE_BYTES, MAX_SET_COOKIE_BYTES, PageError};
use crate::bot::{Visit, VisitReport};
use crate::challenges;
use crate::class::{Class, SignInError};
use crate::goals::{Goal, READ_NOTE};
use crate::hosts::MAX_NAME_CHARS;
use crate::html::render;
use crate::lab::{STUDENT_ACCOUNT, StudentLab};

/// Largest jump of the lab clock one press may ask for: 10 hours.
pub const MAX_MINUTES: u32 = 600;
/// What the clock form offers first: just past the longest idle time OWASP
/// accepts for a low-risk app (30 minutes), so one press is always "too long".
const SUGGESTED_MINUTES: u32 = 31;
/// The longest seat or instructor code the sign-in form takes.
const MAX_CODE_CHARS: usize = 40;

pub(super) fn routes() -> Router<Arc<Class>> {
    Router::new()
        .route("/", get(home))
        .route("/signin", post(sign_in))
        .route("/lab", get(lab_page))
        .route("/lab/status.json", get(state_cells))
        .route("/scoreboard", get(scoreboard_page))
        .route("/scoreboard.json", get(scoreboard_json))
        .route("/lab/alice", post(send_alice))
        .route("/lab/message", post(set_message))
        .route("/lab/page", post(set_page))
        .route("/lab/time", post(let_time_pass))
        .route("/lab/hint", post(reveal_hint))
        .route("/lab/reset", post(reset_own))
        .route("/lab/copy", post(take_copy))
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

/// The origins of a student's lab: what the lab page links, and the only
/// places bob's message may send alice. Built here alone.
struct LabOrigins {
    app: String,
    app2: String,
    sibling: String,
    cross: String,
}

impl LabOrigins {
    fn of(class: &Class, lab: &StudentLab) -> Self {
        let hosts = &class.hosts;
        let name = &lab.name;
        Self {
            app: hosts.origin(&hosts.app(name)),
            app2: hosts.origin(&hosts.second_app(name)),
            sibling: hosts.origin(&hosts.sibling(name)),
            cross: hosts.origin(&hosts.cross_site(name)),
        }
    }

    /// "http://app..., http://app2..., ...", for a sentence.
    fn listed(&self) -> String {
        [&self.app, &self.app2, &self.sibling, &self.cross]
            .map(String::as_str)
            .join(", ")
    }
}

/// One of alice's buttons: a kind of visit ([`Visit::ALL`]).
struct AliceButton {
    value: &'static str,
    label: &'static str,
}

fn alice_buttons() -> Vec<AliceButton> {
    Visit::ALL
        .iter()
        .map(|(value, visit)| AliceButton {
            value,
            label: match visit {
                Visit::Ordinary => "Send alice",
                Visit::WalkAway => "alice walks away (no logout)",
                Visit::ChangePassword => "alice changes her password (on her phone)",
                Visit::LogOutEverywhere => "alice logs out everywhere (on her phone)",
            },
        })
        .collect()
}

/// The challenges whose goal is not "read alice's note" ([`Goal::Other`]),
/// named at the top of the lab page.
fn solved_otherwise() -> String {
    challenges::challenges()
        .filter(|(_, challenge)| matches!(Goal::of(challenge.solve), Goal::Other(_)))
        .map(|(entry, _)| entry.id)
        .collect::<Vec<_>>()
        .join(", ")
}

#[derive(Template)]
#[template(path = "lab.html")]
struct LabPage {
    warning: Option<&'static str>,
    name: String,
    seat_code: String,
    profile: String,
    bob: &'static str,
    bob_password: String,
    origins: LabOrigins,
    read_note: &'static str,
    solved_otherwise: String,
    lesson_rule: &'static str,
    board: Vec<Row>,
    alice_buttons: Vec<AliceButton>,
    copy: Option<String>,
    clock: String,
    suggested_minutes: u32,
    /// Newest first.
    visits: Vec<VisitReport>,
    message: String,
    page_html: String,
    set_cookie: String,
    /// Newest first.
    log: Vec<Hit>,
}

impl LabPage {
    /// A wall time on the page, to the second.
    fn at(&self, at: &time::OffsetDateTime) -> String {
        time_of_day(*at)
    }
}

async fn lab_page(State(class): ClassState, Student(lab): Student) -> Response {
    let (message, copy, visits) =
        lab.with_state(|s| (s.message.clone(), s.copy.clone(), s.visits.clone()));
    let site = lab.site.page();
    let page = LabPage {
        warning: warning(&class),
        name: lab.name.clone(),
        seat_code: class.seat_code(&lab.name).await.unwrap_or_default(),
        profile: class.config.profile.label(),
        bob: STUDENT_ACCOUNT,
        bob_password: lab.bob_password.clone(),
        origins: LabOrigins::of(&class, &lab),
        read_note: READ_NOTE,
        solved_otherwise: solved_otherwise(),
        lesson_rule: LESSON_RULE,
        board: board::rows(&lab.progress()),
        alice_buttons: alice_buttons(),
        copy,
        clock: date_and_time(lab.app.info.clock.now()),
        suggested_minutes: SUGGESTED_MINUTES,
        visits: visits.into_iter().rev().collect(),
        message: message.map(|u| u.to_string()).unwrap_or_default(),
        page_html: site.html,
        set_cookie: site.set_cookie.unwrap_or_default(),
        log: lab.site.log().into_iter().rev().collect(),
    };
    render(StatusCode::OK, &page)
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
        Ok(url) if class.hosts.is_lab_url(&lab.name, &url) => {
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
