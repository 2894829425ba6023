//! The lab page: the challenges, alice's controls, bob's message, the
//! attacker site's editor and its access log, in one page
//! (`templates/lab.html`).

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;

use super::board::{self, LESSON_RULE, Row, RowKind};
use super::times::{date_and_time, time_of_day};
use super::{ClassState, Student, warning};
use crate::attacker_site::Hit;
use crate::bot::{Visit, VisitReport};
use crate::challenges;
use crate::class::Class;
use crate::goals::{Goal, READ_NOTE};
use crate::html::render;
use crate::lab::{STUDENT_ACCOUNT, StudentLab};

/// What the clock form offers first: just past the longest idle time OWASP
/// accepts for a low-risk app (30 minutes), so one press is always "too long".
const SUGGESTED_MINUTES: u32 = 31;

/// The origins of a student's lab: what the lab page links, and the only
/// places bob's message may send alice. Built here alone.
pub(super) struct LabOrigins {
    app: String,
    app2: String,
    sibling: String,
    cross: String,
}

impl LabOrigins {
    pub(super) fn of(class: &Class, lab: &StudentLab) -> Self {
        let hosts = &class.hosts;
        let name = &lab.label();
        Self {
            app: hosts.origin(&hosts.app(name)),
            app2: hosts.origin(&hosts.second_app(name)),
            sibling: hosts.origin(&hosts.sibling(name)),
            cross: hosts.origin(&hosts.cross_site(name)),
        }
    }

    /// "http://app..., http://app2..., ...", for a sentence.
    pub(super) fn listed(&self) -> String {
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

pub(super) async fn lab_page(State(class): ClassState, Student(lab): Student) -> Response {
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
