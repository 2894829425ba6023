//! The class server: one port for the whole class, each request sent by its
//! `Host` to the hub, a student's app, or a student's attacker site
//! (`hosts.rs`); and the victim's door, a second listener on loopback that
//! only the victim bot uses, whose requests the app sees marked
//! ([`VictimDoor`]).

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use sessionlab_app::observer::VictimDoor;
use sessionlab_app::{Defense, Profile};
use tokio::net::TcpListener;
use tokio::sync::Notify;
use tower::ServiceExt;

use crate::bot::{self, BotBrowser, Visit, VisitReport};
use crate::hosts::{self, Hosts, Place};
use crate::lab::StudentLab;

/// How a class runs.
#[derive(Debug, Clone)]
pub struct ClassConfig {
    /// The profile every lab runs (with `--with`/`--without` applied).
    pub profile: Profile,
    pub addr: SocketAddr,
    /// `localhost` unless the instructor has wildcard names of their own.
    pub domain: String,
    /// Set only by `--expose-vulnerable-app`.
    pub exposed: bool,
    pub victim_browser: BotBrowser,
    /// The instructor's key (from the environment or a file).
    pub instructor_key: String,
    /// How often alice visits each lab on her own; `None`: only when sent.
    pub alice_every: Option<Duration>,
    /// Only codes the instructor issued open new seats (`--require-code`).
    pub require_code: bool,
}

/// The defenses a class lab cannot have: the class serves plain HTTP (one
/// port, host names the student's browser reaches), and these need TLS.
pub const NEED_TLS: [Defense; 4] = [
    Defense::Tls,
    Defense::SecureCookie,
    Defense::HostPrefix,
    Defense::Hsts,
];

/// The profile as a class runs it: without the defenses only TLS gives
/// (the label then says so, on every page).
pub fn class_profile(profile: Profile) -> Profile {
    NEED_TLS.into_iter().fold(profile, Profile::without)
}

/// The warning every page shows when the class listens beyond loopback.
pub const EXPOSED_WARNING: &str = "WARNING: this class server is exposed beyond loopback \
(--expose-vulnerable-app). Its apps are vulnerable on purpose: anyone who reaches it can attack them.";

/// One student's seat: their lab (replaced by a reset) and the seat code
/// that signs them in again from another browser.
struct Seat {
    lab: Arc<StudentLab>,
    code: String,
}

/// The running class's state.
pub struct Class {
    pub config: ClassConfig,
    pub hosts: Hosts,
    /// The victim's door (loopback).
    pub door: SocketAddr,
    seats: RwLock<HashMap<String, Seat>>,
    /// Student sign-in tokens (the hub's cookie) to names.
    tokens: RwLock<HashMap<String, String>>,
    /// Instructor sign-in tokens.
    instructor_tokens: RwLock<Vec<String>>,
    /// Codes the instructor issued that no student has used yet.
    pending_codes: RwLock<HashSet<String>>,
}

/// Why a sign-in was refused.
#[derive(Debug, thiserror::Error)]
pub enum SignInError {
    #[error("{0}")]
    BadName(String),
    #[error("the name {0:?} is taken in this class; pick another")]
    Taken(String),
    #[error("the class is full ({0} students)")]
    Full(usize),
    #[error("this class needs a code from the instructor")]
    CodeRequired,
    #[error("no seat has this code, and the instructor did not issue it")]
    UnknownCode,
}

/// The letters of a seat code: no 0/o, 1/l/i, easy to read off paper.
const CODE_ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
/// Characters in a seat code (about 49 random bits).
pub const CODE_CHARS: usize = 10;

/// A fresh seat code.
pub fn new_code() -> String {
    use rand::Rng;
    let mut rng = rand::rng();
    (0..CODE_CHARS)
        .map(|_| CODE_ALPHABET[rng.random_range(0..CODE_ALPHABET.len())] as char)
        .collect()
}

/// The most students one class server holds.
pub const MAX_STUDENTS: usize = 500;

impl Class {
    fn warning(&self) -> Option<String> {
        self.config.exposed.then(|| EXPOSED_WARNING.to_owned())
    }

    /// A new lab for `name`, with a token for the hub's cookie (refused
    /// when the class needs the instructor's codes).
    pub fn sign_in(&self, name: &str) -> Result<String, SignInError> {
        if self.config.require_code {
            return Err(SignInError::CodeRequired);
        }
        self.new_seat(name, new_code())
    }

    /// With a seat's code: back into that seat (another browser, a lost
    /// cookie). With a code the instructor issued and a name: a new seat.
    pub fn sign_in_with_code(&self, name: &str, code: &str) -> Result<String, SignInError> {
        let code = code.trim().to_ascii_lowercase();
        let seat = self
            .seats
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .find(|(_, seat)| seat.code == code)
            .map(|(name, _)| name.clone());
        if let Some(name) = seat {
            return Ok(self.token_for(&name));
        }
        let issued = self
            .pending_codes
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&code);
        if !issued {
            return Err(SignInError::UnknownCode);
        }
        self.new_seat(name, code.clone()).inspect_err(|_| {
            // The code stays usable when the name was the problem.
            self.pending_codes
                .write()
                .unwrap_or_else(PoisonError::into_inner)
                .insert(code.clone());
        })
    }

    fn new_seat(&self, name: &str, code: String) -> Result<String, SignInError> {
        hosts::valid_name(name).map_err(SignInError::BadName)?;
        let mut seats = self.seats.write().unwrap_or_else(PoisonError::into_inner);
        if seats.contains_key(name) {
            return Err(SignInError::Taken(name.to_owned()));
        }
        if seats.len() >= MAX_STUDENTS {
            return Err(SignInError::Full(MAX_STUDENTS));
        }
        let lab = StudentLab::new(name, &self.config.profile, self.warning());
        seats.insert(name.to_owned(), Seat { lab, code });
        drop(seats);
        Ok(self.token_for(name))
    }

    fn token_for(&self, name: &str) -> String {
        let token = crate::random_token();
        self.tokens
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(token.clone(), name.to_owned());
        token
    }

    /// The code that signs `name` in again.
    pub fn seat_code(&self, name: &str) -> Option<String> {
        self.seats
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(name)
            .map(|seat| seat.code.clone())
    }

    /// Issues `count` codes for new seats (at most 100 at a time).
    pub fn issue_codes(&self, count: usize) -> Vec<String> {
        let codes: Vec<String> = (0..count.min(100)).map(|_| new_code()).collect();
        self.pending_codes
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .extend(codes.iter().cloned());
        codes
    }

    /// The issued codes not used yet, sorted.
    pub fn pending_codes(&self) -> Vec<String> {
        let mut codes: Vec<String> = self
            .pending_codes
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .cloned()
            .collect();
        codes.sort();
        codes
    }

    /// The student a hub cookie names.
    pub fn student_of(&self, token: &str) -> Option<String> {
        self.tokens
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(token)
            .cloned()
    }

    pub fn lab(&self, name: &str) -> Option<Arc<StudentLab>> {
        self.seats
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(name)
            .map(|seat| seat.lab.clone())
    }

    /// Every lab, by name.
    pub fn labs(&self) -> Vec<Arc<StudentLab>> {
        let mut labs: Vec<_> = self
            .seats
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .values()
            .map(|seat| seat.lab.clone())
            .collect();
        labs.sort_by(|a, b| a.name.cmp(&b.name));
        labs
    }

    /// A fresh lab in place of `name`'s: new alice, notes, sessions, clock,
    /// site and progress. False for an unknown name.
    pub fn reset(&self, name: &str) -> bool {
        let mut seats = self.seats.write().unwrap_or_else(PoisonError::into_inner);
        match seats.get_mut(name) {
            Some(seat) => {
                seat.lab = StudentLab::new(name, &self.config.profile, self.warning());
                true
            }
            None => false,
        }
    }

    pub fn reset_all(&self) {
        for lab in self.labs() {
            self.reset(&lab.name);
        }
    }

    /// Sends alice on a visit of `name`'s lab.
    pub async fn send_alice(&self, name: &str, visit: Visit) -> Option<VisitReport> {
        let lab = self.lab(name)?;
        Some(
            bot::send_alice(
                &lab,
                &self.hosts,
                self.door,
                self.config.victim_browser,
                visit,
            )
            .await,
        )
    }

    pub fn instructor_sign_in(&self, key: &str) -> Option<String> {
        use subtle::ConstantTimeEq;
        let expected = self.config.instructor_key.as_bytes();
        if expected.is_empty() || !bool::from(key.as_bytes().ct_eq(expected)) {
            return None;
        }
        let token = crate::random_token();
        self.instructor_tokens
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .push(token.clone());
        Some(token)
    }

    pub fn is_instructor(&self, token: &str) -> bool {
        use subtle::ConstantTimeEq;
        self.instructor_tokens
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .any(|t| bool::from(t.as_bytes().ct_eq(token.as_bytes())))
    }
}

/// Where a request goes: by `Host`, through the public port or the door.
async fn dispatch(
    class: Arc<Class>,
    hub: Router,
    mut request: Request,
    from_door: bool,
) -> Response {
    // A request from the network never carries the mark; only the door adds it.
    request.extensions_mut().remove::<VictimDoor>();
    if from_door {
        request.extensions_mut().insert(VictimDoor);
    }
    let host = request
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let place = class.hosts.place(&host);
    let lab = |name: &str| class.lab(name);
    match place {
        Place::Hub if !from_door => hub.oneshot(request).await.into_response(),
        Place::App(name) => match lab(&name) {
            Some(lab) => lab
                .app
                .router
                .clone()
                .oneshot(request)
                .await
                .into_response(),
            None => unknown_student(&name),
        },
        Place::Attacker(name, _) => match lab(&name) {
            Some(lab) => lab.site.serve(request, &lab.detector).await,
            None => unknown_student(&name),
        },
        _ => (
            StatusCode::NOT_FOUND,
            format!(
                "{host:?} is no host of this class: the hub is {}, a student's app app.NAME.{d}, \
                 their attacker site evil.NAME.{d} and NAME.attacker.{d}",
                class.hosts.hub(),
                d = class.hosts.domain
            ),
        )
            .into_response(),
    }
}

fn unknown_student(name: &str) -> Response {
    (
        StatusCode::NOT_FOUND,
        format!("no student {name:?} has signed in to this class"),
    )
        .into_response()
}

/// A running class server. Dropping it does not stop it; call [`RunningClass::shutdown`].
pub struct RunningClass {
    pub addr: SocketAddr,
    pub class: Arc<Class>,
    stop: Arc<Notify>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl RunningClass {
    /// The hub's URL, e.g. `http://localhost:8080/`.
    pub fn hub_url(&self) -> String {
        format!("{}/", self.class.hosts.origin(&self.class.hosts.hub()))
    }

    pub async fn shutdown(self) {
        self.stop.notify_waiters();
        for task in self.tasks {
            task.abort();
            let _ = task.await;
        }
    }
}

/// Why the class could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(
        "refusing to listen on {0}: a class runs vulnerable apps and a victim bot; anyone who can reach \
         that address could attack them. Use a loopback address, or pass --expose-vulnerable-app on a \
         network you control."
    )]
    RefusedAddress(SocketAddr),
    #[error("could not bind {0}: {1}")]
    Bind(SocketAddr, std::io::Error),
    #[error("the instructor key is empty")]
    NoInstructorKey,
}

/// Binds the class's port and the victim's door and serves them in the background.
pub async fn start(mut config: ClassConfig) -> Result<RunningClass, StartError> {
    if !config.addr.ip().to_canonical().is_loopback() && !config.exposed {
        return Err(StartError::RefusedAddress(config.addr));
    }
    if config.instructor_key.trim().is_empty() {
        return Err(StartError::NoInstructorKey);
    }
    config.profile = class_profile(config.profile);
    let public = TcpListener::bind(config.addr)
        .await
        .map_err(|e| StartError::Bind(config.addr, e))?;
    let addr = public
        .local_addr()
        .map_err(|e| StartError::Bind(config.addr, e))?;
    let door_addr = SocketAddr::from(([127, 0, 0, 1], 0));
    let door = TcpListener::bind(door_addr)
        .await
        .map_err(|e| StartError::Bind(door_addr, e))?;
    let door_addr = door
        .local_addr()
        .map_err(|e| StartError::Bind(door_addr, e))?;
    let alice_every = config.alice_every;
    let class = Arc::new(Class {
        hosts: Hosts {
            domain: config.domain.clone(),
            port: addr.port(),
        },
        config,
        door: door_addr,
        seats: RwLock::default(),
        tokens: RwLock::default(),
        instructor_tokens: RwLock::default(),
        pending_codes: RwLock::default(),
    });
    let hub = crate::hub::router(class.clone());
    let stop = Arc::new(Notify::new());
    let mut tasks = Vec::new();
    for (listener, from_door) in [(public, false), (door, true)] {
        let (class, hub, stop) = (class.clone(), hub.clone(), stop.clone());
        let service = Router::new()
            .fallback(
                move |State(class): State<Arc<Class>>, request: Request<Body>| {
                    let hub = hub.clone();
                    async move { dispatch(class, hub, request, from_door).await }
                },
            )
            .with_state(class);
        tasks.push(tokio::spawn(async move {
            let _ = axum::serve(listener, service)
                .with_graceful_shutdown(async move { stop.notified().await })
                .await;
        }));
    }
    if let Some(every) = alice_every {
        let class = class.clone();
        tasks.push(tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            tick.tick().await;
            loop {
                tick.tick().await;
                for lab in class.labs() {
                    // One visit at a time per lab; a busy lab skips this round.
                    if lab.visiting.try_lock().is_ok() {
                        let class = class.clone();
                        tokio::spawn(async move {
                            class.send_alice(&lab.name, Visit::Ordinary).await;
                        });
                    }
                }
            }
        }));
    }
    Ok(RunningClass {
        addr,
        class,
        stop,
        tasks,
    })
}
