//! The hub (`http://localhost:PORT/`): sign-in, each student's lab page with
//! the challenges and their scoreboard, alice's controls, the attacker page's
//! editor and logs, the lessons, and the instructor's view.
//!
//! Every form posts to the hub; the hub's cookies are `HttpOnly;
//! SameSite=Strict`, and a POST that did not come from one of the hub's own
//! pages gets 403 (`same_origin.rs`), so a student's attacker page cannot
//! drive another student's hub.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Form, Path, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::{Next, from_fn_with_state};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};

use crate::attacker_site::{MAX_PAGE_BYTES, MAX_SET_COOKIE_BYTES};
use crate::bot::Visit;
use crate::challenges::{self, Kind};
use crate::class::{Class, StudentsLab};
use crate::html::{CSS, esc, page};
use crate::lab::{STUDENT_ACCOUNT, StudentLab};
use crate::roster::Progress;
use crate::same_origin::{self, PostCheck};

const STUDENT_COOKIE: &str = "class_student";
const INSTRUCTOR_COOKIE: &str = "class_instructor";
/// Largest form the hub reads: the attacker page (the largest field) with
/// every byte percent-encoded (3 bytes each, as `<`, `>` and `"` are), and
/// room for the rest, so a page within its bound gets that bound's message.
pub const MAX_FORM_BYTES: usize = 3 * MAX_PAGE_BYTES + 3 * MAX_SET_COOKIE_BYTES + 1024;
/// Largest jump of the lab clock one press may ask for: 10 hours.
pub const MAX_MINUTES: u32 = 600;

type ClassState = State<Arc<Class>>;

pub fn router(class: Arc<Class>) -> Router {
    Router::new()
        .route("/", get(home))
        .route("/signin", post(sign_in))
        .route("/lab", get(lab_page))
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
        .route("/instructor", get(instructor_page))
        .route("/instructor.json", get(instructor_json))
        .route("/instructor/signin", post(instructor_sign_in))
        .route("/instructor/reset", post(instructor_reset))
        .route("/instructor/codes", post(instructor_codes))
        .route(
            "/class.css",
            get(|| async { ([(header::CONTENT_TYPE, "text/css")], CSS) }),
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
        PostCheck::Refused(why) => warned(
            &class,
            StatusCode::FORBIDDEN,
            "Refused",
            &format!("<p id=\"refused\">{}</p>", esc(&why)),
        ),
    }
}

fn warned(class: &Class, status: StatusCode, title: &str, body: &str) -> Response {
    let warning = class
        .config
        .exposed
        .then_some(crate::class::EXPOSED_WARNING);
    page(status, title, warning, body)
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

async fn home(State(class): ClassState, student: Result<Student, Redirect>) -> Response {
    if student.is_ok() {
        return Redirect::to("/lab").into_response();
    }
    sign_in_page(&class, StatusCode::OK, None)
}

fn sign_in_page(class: &Class, status: StatusCode, error: Option<&str>) -> Response {
    let error = error
        .map(|e| format!("<p class=\"open\" id=\"error\">{}</p>", esc(e)))
        .unwrap_or_default();
    let body = format!(
        "<h1>sessionlab class</h1>\n<p>Profile <strong>{}</strong>. Sign in with a name: it becomes part of your \
         lab's host names (lower-case letters, digits, '-').</p>\n{error}\
         <form method=\"post\" action=\"/signin\"><label>Name <input name=\"name\" maxlength=\"20\"></label> \
         <label>Code <input name=\"code\" maxlength=\"40\"></label> <button>Sign in</button></form>\n\
         <p>A name alone opens a new lab{codes}. A code from your lab page signs you in to it again from another \
         browser; a code from the instructor, with a name, opens a new lab.</p>\n<p><a href=\"/instructor\">Instructor</a></p>",
        esc(&class.config.profile.label()),
        codes = if class.config.require_code {
            " (not in this class: ask the instructor for a code)"
        } else {
            ""
        },
    );
    warned(class, status, "Sign in", &body)
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
    match signed_in {
        Ok(token) => ([set_cookie(STUDENT_COOKIE, &token)], Redirect::to("/lab")).into_response(),
        Err(e @ crate::class::SignInError::Roster(_)) => sign_in_page(
            &class,
            StatusCode::SERVICE_UNAVAILABLE,
            Some(&e.to_string()),
        ),
        Err(e) => sign_in_page(
            &class,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(&e.to_string()),
        ),
    }
}

/// The challenges with their state in `lab`: the scoreboard.
fn scoreboard(progress: &Progress) -> String {
    let solved = &progress.solved;
    let mut rows = String::new();
    for entry in challenges::all() {
        let Kind::Challenge(challenge) = &entry.kind else {
            rows.push_str(&format!(
                "<tr class=\"not-a-challenge\" id=\"challenge-{id}\"><td>{id}</td><td>{title}</td><td colspan=\"2\">{why}</td></tr>\n",
                id = esc(entry.id),
                title = esc(&entry.title),
                why = esc(&entry.why_not().unwrap_or_default()),
            ));
            continue;
        };
        let used = progress.hints.get(entry.id).copied().unwrap_or(0);
        let status = match solved.iter().find(|s| s.challenge == entry.id) {
            Some(solve) => format!(
                "<span class=\"solved\">solved</span> {at}<br>{summary}<br>Lesson: <a href=\"/lesson/{id}\">{id}</a>; \
                 replay: <code>sessionlab lesson {id}</code>",
                at = esc(&solve.at.time().to_string()),
                summary = esc(&solve.summary),
                id = esc(entry.id),
            ),
            None => "<span class=\"open\">not solved</span>".into(),
        };
        let mut hints: String = challenge.hints[..used]
            .iter()
            .enumerate()
            .map(|(i, h)| format!("<p>Hint {}: {}</p>", i + 1, esc(h)))
            .collect();
        if used < challenge.hints.len() {
            hints.push_str(&format!(
                "<form class=\"inline\" method=\"post\" action=\"/lab/hint\"><input type=\"hidden\" name=\"challenge\" value=\"{}\">\
                 <button>Hint {} of {}</button></form>",
                esc(entry.id),
                used + 1,
                challenge.hints.len()
            ));
        }
        let premise = challenge
            .premise
            .as_deref()
            .map(|p| format!("<p><em>{}</em></p>", esc(p)))
            .unwrap_or_default();
        rows.push_str(&format!(
            "<tr id=\"challenge-{id}\"><td>{id}</td><td>{title}{premise}</td><td class=\"status\">{status}</td><td>hints used: {used}{hints}</td></tr>\n",
            id = esc(entry.id),
            title = esc(&entry.title),
        ));
    }
    format!(
        "<table id=\"scoreboard\"><tr><th>challenge</th><th>goal</th><th>state</th><th>hints</th></tr>\n{rows}</table>"
    )
}

async fn scoreboard_page(State(class): ClassState, Student(lab): Student) -> Response {
    let body = format!(
        "<h1>Scoreboard of {}</h1>\n<p><a href=\"/lab\">Back to the lab</a></p>\n{}",
        esc(&lab.name),
        scoreboard(&lab.progress())
    );
    warned(&class, StatusCode::OK, "Scoreboard", &body)
}

/// The student's progress as JSON (`solved`: challenge, RFC 3339 time,
/// summary; `hints`: levels revealed per challenge).
async fn scoreboard_json(Student(lab): Student) -> Response {
    axum::Json(lab.progress()).into_response()
}

async fn lab_page(State(class): ClassState, Student(lab): Student) -> Response {
    let hosts = &class.hosts;
    let name = &lab.name;
    let label = lab.label();
    let app = hosts.origin(&hosts.app(&label));
    let app2 = hosts.origin(&hosts.second_app(&label));
    let sibling = hosts.origin(&hosts.sibling(&label));
    let cross = hosts.origin(&hosts.cross_site(&label));
    let (message, copy, visits) =
        lab.with_state(|s| (s.message.clone(), s.copy.clone(), s.visits.clone()));
    let site = lab.site.page();
    let visits: String = visits
        .iter()
        .rev()
        .map(|v| {
            let steps: String = v
                .steps
                .iter()
                .map(|s| format!("<li>{}</li>", esc(s)))
                .collect();
            let error = v
                .error
                .as_deref()
                .map(|e| format!("<li class=\"open\">{}</li>", esc(e)))
                .unwrap_or_default();
            format!(
                "<li>{} ({} browser)<ol>{steps}{error}</ol></li>",
                esc(&v.at.time().to_string()),
                esc(v.browser)
            )
        })
        .collect();
    let log: String = lab
        .site
        .log()
        .iter()
        .rev()
        .map(|hit| {
            format!(
                "<tr><td>{}</td><td>{}</td><td>{} {}</td><td>{}</td><td>{}</td><td><code>{}</code></td><td>{}</td></tr>",
                esc(&hit.at.time().to_string()),
                if hit.request.from_victim { "alice's browser" } else { "someone else" },
                esc(&hit.request.method),
                esc(&hit.request.target),
                esc(hit.request.host.as_deref().unwrap_or("")),
                esc(hit.request.referer.as_deref().unwrap_or("")),
                esc(&hit.body),
                esc(hit.request.user_agent.as_deref().unwrap_or("")),
            )
        })
        .collect();
    let clock = lab.app.info.clock.now();
    let body = format!(
        "<h1>Lab of {name_e}</h1>\n<p>Your seat code: <code id=\"seat-code\">{seat_code}</code> \
(signs you in to this lab from another browser; keep it to yourself).</p>\n\
<p>Profile <strong id=\"profile\">{profile}</strong>. You are <strong>{bob}</strong> (password <code>{bob_pw}</code>). \
alice's password is secret. Your app: <a href=\"{app_e}/\" id=\"app-url\">{app_e}/</a>; \
its second instance, over the same session store: <a href=\"{app2_e}/\" id=\"app2-url\">{app2_e}/</a> \
(alice reaches both through one load balancer at the first name).</p>\n\
<h2>Challenges</h2>\n{board}\n\
<h2>alice</h2>\n{alice_buttons}\n\
<p>Copy of alice's cookie from the shared computer (the premise of some stories): <code id=\"copy\">{copy}</code> \
<form class=\"inline\" method=\"post\" action=\"/lab/copy\"><button id=\"take-copy\">Take a copy of the cookie she left</button></form></p>\n\
<p>Lab clock: {clock} UTC. <form class=\"inline\" method=\"post\" action=\"/lab/time\"><label>Let <input name=\"minutes\" value=\"31\" size=\"4\"> minutes pass</label> <button>Let time pass</button></form></p>\n\
<ol reversed>{visits}</ol>\n\
<h2>bob's message to alice</h2>\n<p>alice opens a link you send her (only links to your app or your attacker site: {app_e}/..., {app2_e}/..., {sibling_e}/..., {cross_e}/...).</p>\n\
<form method=\"post\" action=\"/lab/message\"><input name=\"url\" size=\"80\" value=\"{message}\"> <button>Send the message</button></form>\n\
<h2>Your attacker site</h2>\n<p>Your page: <a href=\"{sibling_e}/\">{sibling_e}/</a> (same site as your app) and <a href=\"{cross_e}/\">{cross_e}/</a> (another site). \
Any other path is your collector, e.g. <code>{cross_e}/c?data=...</code>.</p>\n\
<form method=\"post\" action=\"/lab/page\"><textarea name=\"html\" rows=\"10\">{html}</textarea>\
<label>Set-Cookie sent with the page (optional): <input name=\"set_cookie\" size=\"80\" value=\"{set_cookie}\"></label> <button>Save the page</button></form>\n\
<h3>Access log (newest first)</h3>\n<table id=\"access-log\"><tr><th>time</th><th>from</th><th>request</th><th>host</th><th>Referer</th><th>body</th><th>User-Agent</th></tr>{log}</table>\n\
<h2>Start over</h2><form method=\"post\" action=\"/lab/reset\"><button>Reset my lab</button></form> (new alice, notes, sessions, clock and site; progress cleared)",
        alice_buttons = alice_buttons(),
        name_e = esc(name),
        seat_code = esc(&class.seat_code(name).await.unwrap_or_default()),
        profile = esc(&class.config.profile.label()),
        bob = STUDENT_ACCOUNT,
        bob_pw = esc(&lab.bob_password),
        app_e = esc(&app),
        app2_e = esc(&app2),
        sibling_e = esc(&sibling),
        cross_e = esc(&cross),
        board = scoreboard(&lab.progress()),
        copy = esc(copy.as_deref().unwrap_or("(none taken yet)")),
        clock = esc(&format!("{} {}", clock.date(), clock.time())),
        message = esc(message.as_ref().map(|u| u.as_str()).unwrap_or("")),
        html = esc(&site.html),
        set_cookie = esc(site.set_cookie.as_deref().unwrap_or("")),
    );
    warned(&class, StatusCode::OK, "Lab", &body)
}

/// One button per kind of visit ([`Visit::ALL`]).
fn alice_buttons() -> String {
    Visit::ALL
        .iter()
        .map(|(value, visit)| {
            let label = match visit {
                Visit::Ordinary => "Send alice",
                Visit::WalkAway => "alice walks away (no logout)",
                Visit::ChangePassword => "alice changes her password (on her phone)",
                Visit::LogOutEverywhere => "alice logs out everywhere (on her phone)",
            };
            format!(
                "<form class=\"inline\" method=\"post\" action=\"/lab/alice\"><input type=\"hidden\" name=\"visit\" value=\"{value}\">\
                 <button id=\"alice-{value}\">{label}</button></form> "
            )
        })
        .collect()
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
        return warned(
            &class,
            StatusCode::UNPROCESSABLE_ENTITY,
            "No such visit",
            &format!(
                "<p>alice's visits: {}. <a href=\"/lab\">Back</a></p>",
                esc(&valid.join(", "))
            ),
        );
    };
    if lab.visiting.try_lock().is_err() {
        // One visit at a time: a second press would only queue behind the first.
        return warned(
            &class,
            StatusCode::TOO_MANY_REQUESTS,
            "alice is busy",
            "<p>alice is on a visit already; wait for it to end. <a href=\"/lab\">Back</a></p>",
        );
    }
    class.send_alice(&lab.name, visit).await;
    Redirect::to("/lab").into_response()
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
        return Redirect::to("/lab").into_response();
    }
    match url::Url::parse(text) {
        Ok(url) if class.hosts.is_lab_url(&lab.label(), &url) => {
            lab.with_state(|s| s.message = Some(url));
            Redirect::to("/lab").into_response()
        }
        _ => warned(
            &class,
            StatusCode::UNPROCESSABLE_ENTITY,
            "Not a lab link",
            &format!(
                "<p>alice only opens links to your app or your attacker site ({}, {}, {}, {}), with this port. \
                 <a href=\"/lab\">Back</a></p>",
                esc(&class.hosts.origin(&class.hosts.app(&lab.label()))),
                esc(&class.hosts.origin(&class.hosts.second_app(&lab.label()))),
                esc(&class.hosts.origin(&class.hosts.sibling(&lab.label()))),
                esc(&class.hosts.origin(&class.hosts.cross_site(&lab.label())))
            ),
        ),
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
    match lab.site.set_page(form.html, form.set_cookie) {
        Ok(()) => Redirect::to("/lab").into_response(),
        Err(e) => {
            let status = match e {
                crate::attacker_site::PageError::TooLarge(_)
                | crate::attacker_site::PageError::CookieTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
                crate::attacker_site::PageError::CookieNotOneLine => {
                    StatusCode::UNPROCESSABLE_ENTITY
                }
            };
            warned(
                &class,
                status,
                "Page refused",
                &format!(
                    "<p>{} (page at most {MAX_PAGE_BYTES} bytes, Set-Cookie at most {MAX_SET_COOKIE_BYTES}). <a href=\"/lab\">Back</a></p>",
                    esc(&e.to_string())
                ),
            )
        }
    }
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
            Redirect::to("/lab").into_response()
        }
        _ => warned(
            &class,
            StatusCode::UNPROCESSABLE_ENTITY,
            "Not a duration",
            &format!(
                "<p>Minutes are a whole number from 1 to {MAX_MINUTES}. <a href=\"/lab\">Back</a></p>"
            ),
        ),
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
        None => warned(
            &class,
            StatusCode::NOT_FOUND,
            "No such challenge",
            &format!(
                "<p>No challenge {}. <a href=\"/lab\">Back</a></p>",
                esc(&form.challenge)
            ),
        ),
    }
}

async fn take_copy(State(class): ClassState, Student(lab): Student) -> Response {
    match lab.take_copy() {
        Some(_) => Redirect::to("/lab").into_response(),
        None => warned(
            &class,
            StatusCode::CONFLICT,
            "No cookie yet",
            "<p>alice has left no cookie behind yet: send her first. <a href=\"/lab\">Back</a></p>",
        ),
    }
}

async fn reset_own(State(class): ClassState, Student(lab): Student) -> Response {
    match class.reset(&lab.name).await {
        Ok(_) => Redirect::to("/lab").into_response(),
        Err(e) => roster_failed(&class, &e),
    }
}

async fn lesson(State(class): ClassState, Path(id): Path<String>) -> Response {
    match sessionlab_attack::scenarios::find(&id) {
        Some(scenario) => warned(
            &class,
            StatusCode::OK,
            scenario.id,
            &format!(
                "<p>Replay it with proof: <code>sessionlab lesson {}</code></p>\n<pre>{}</pre>",
                esc(scenario.id),
                esc(scenario.lesson)
            ),
        ),
        None => warned(
            &class,
            StatusCode::NOT_FOUND,
            "No such lesson",
            &format!("<p>No lesson {}.</p>", esc(&id)),
        ),
    }
}

async fn is_instructor(class: &Class, headers: &HeaderMap) -> bool {
    match cookie(headers, INSTRUCTOR_COOKIE) {
        Some(token) => class.is_instructor(token).await,
        None => false,
    }
}

fn roster_failed(class: &Class, e: &crate::roster::RosterError) -> Response {
    warned(
        class,
        StatusCode::SERVICE_UNAVAILABLE,
        "Roster unavailable",
        &format!("<p>{}</p>", esc(&e.to_string())),
    )
}

fn instructor_only(class: &Class) -> Response {
    warned(
        class,
        StatusCode::FORBIDDEN,
        "Instructor",
        "<p>Sign in as the instructor first.</p>",
    )
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

async fn instructor_page(State(class): ClassState, headers: HeaderMap) -> Response {
    if !is_instructor(&class, &headers).await {
        return warned(
            &class,
            StatusCode::OK,
            "Instructor",
            "<h1>Instructor</h1><form method=\"post\" action=\"/instructor/signin\"><label>Instructor key \
             <input type=\"password\" name=\"key\" required></label> <button>Sign in</button></form>",
        );
    }
    let ids: Vec<&str> = challenges::challenges().map(|(e, _)| e.id).collect();
    let head: String = ids
        .iter()
        .map(|id| format!("<th>{}</th>", esc(id)))
        .collect();
    let students = match class.students().await {
        Ok(students) => students,
        Err(e) => return roster_failed(&class, &e),
    };
    let shared = class.config.shared.is_some();
    let mut rows = String::new();
    for student in &students {
        let progress = &student.progress;
        let cells: String = ids
            .iter()
            .map(|id| {
                let mark = if progress.is_solved(id) { "solved" } else { "" };
                format!(
                    "<td class=\"{mark}\">{mark} {}</td>",
                    match progress.hints.get(*id).copied().unwrap_or(0) {
                        0 => String::new(),
                        n => format!("(hints {n})"),
                    }
                )
            })
            .collect();
        let home = if shared {
            format!("<td>{}</td>", esc(&student.home))
        } else {
            String::new()
        };
        rows.push_str(&format!(
            "<tr><td>{n}</td>{home}{cells}<td><form method=\"post\" action=\"/instructor/reset\"><input type=\"hidden\" name=\"name\" value=\"{n}\"><button>Reset</button></form></td></tr>\n",
            n = esc(&student.name)
        ));
    }
    let codes = match class.roster.pending_codes().await {
        Ok(codes) => codes,
        Err(e) => return roster_failed(&class, &e),
    };
    let body = format!(
        "<h1>Instructor: {} students, profile {}</h1>\n<p>As JSON: <a href=\"/instructor.json\">/instructor.json</a></p>\n\
         <table id=\"progress\"><tr><th>student</th>{home_head}{head}<th></th></tr>\n{rows}</table>\n\
         <form method=\"post\" action=\"/instructor/reset\"><input type=\"hidden\" name=\"name\" value=\"*\"><button>Reset every lab</button></form>\n\
         <h2>Codes for new seats</h2>\n<p>Unused: <code id=\"codes\">{codes}</code></p>\n\
         <form method=\"post\" action=\"/instructor/codes\"><label>Issue <input name=\"count\" value=\"30\" size=\"3\"> codes</label> <button>Issue</button></form>",
        students.len(),
        esc(&class.config.profile.label()),
        home_head = if shared { "<th>instance</th>" } else { "" },
        codes = esc(&codes.join(" ")),
    );
    warned(&class, StatusCode::OK, "Instructor", &body)
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
        None => warned(
            &class,
            StatusCode::FORBIDDEN,
            "Instructor",
            "<p>Wrong instructor key. <a href=\"/instructor\">Back</a></p>",
        ),
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
    let done = if form.name == "*" {
        class.reset_all().await.map(|()| true)
    } else {
        class.reset(&form.name).await
    };
    match done {
        Ok(true) => {}
        Err(e) => return roster_failed(&class, &e),
        Ok(false) => {
            return warned(
                &class,
                StatusCode::NOT_FOUND,
                "Instructor",
                &format!("<p>No student {}.</p>", esc(&form.name)),
            );
        }
    }
    Redirect::to("/instructor").into_response()
}

#[derive(serde::Deserialize)]
struct CodesForm {
    count: String,
}

/// Issues codes for new seats (1 to 100 at a time).
async fn instructor_codes(
    State(class): ClassState,
    headers: HeaderMap,
    Form(form): Form<CodesForm>,
) -> Response {
    if !is_instructor(&class, &headers).await {
        return instructor_only(&class);
    }
    match form.count.trim().parse::<usize>() {
        Ok(count) if (1..=100).contains(&count) => match class.issue_codes(count).await {
            Ok(_) => Redirect::to("/instructor").into_response(),
            Err(e) => roster_failed(&class, &e),
        },
        _ => warned(
            &class,
            StatusCode::UNPROCESSABLE_ENTITY,
            "Instructor",
            "<p>Issue 1 to 100 codes at a time. <a href=\"/instructor\">Back</a></p>",
        ),
    }
}
