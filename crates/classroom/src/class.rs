//! The class server: one port for the whole class, each request sent by its
//! `Host` to the hub, a student's app, or a student's attacker site
//! (`hosts.rs`); and the victim's door, a second listener on loopback that
//! only the victim bot uses, whose requests the app sees marked
//! ([`VictimDoor`]).

use std::collections::HashMap;
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
use crate::forward::{FORWARDED_HEADER, ForwardError, Forwarder};
use crate::hosts::{self, Hosts, LabLabel, Place};
use crate::lab::StudentLab;
use crate::roster::{ClassIdentity, Roster, RosterError, Seat, StudentRecord};

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
    /// Several instances: the Redis they share the roster through
    /// (`redis://HOST:PORT/DB`). `None`: this instance is the whole class.
    pub shared: Option<String>,
    /// Where the other instances reach this one (default: `addr`).
    pub peer_addr: Option<SocketAddr>,
    /// The port the students' browsers use, when a load balancer's differs
    /// from `addr`'s (links and alice's accepted links carry it).
    pub public_port: Option<u16>,
    /// How long one of alice's visits may take ([`bot::VISIT_TIMEOUT`] in
    /// `sessionlab class`; tests set a short one).
    pub visit_timeout: Duration,
}

/// Connections one instance serves at once (the `serve` default's half:
/// a class's pages are small, and a stuck client should not hold more).
pub const MAX_CONNECTIONS: usize = 512;

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

/// The running class's state.
pub struct Class {
    pub config: ClassConfig,
    pub hosts: Hosts,
    /// The victim's door (loopback).
    pub door: SocketAddr,
    /// This instance as the others reach it: the `home` of the labs it runs.
    pub me: String,
    /// Who is in the class, and how far they got (`roster.rs`).
    pub roster: Roster,
    /// The labs whose home is this instance, by student.
    labs: RwLock<HashMap<String, Arc<StudentLab>>>,
    forwarder: Forwarder,
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
    #[error("{0}")]
    Roster(String),
}

impl From<RosterError> for SignInError {
    fn from(e: RosterError) -> Self {
        Self::Roster(e.to_string())
    }
}

/// Where a student's lab is, seen from this instance.
pub enum Whereabouts {
    /// Here: this instance is its home.
    Here(Arc<StudentLab>),
    /// On another instance (its peer address).
    Elsewhere(String),
    /// No student of that name.
    Nobody,
}

/// The letters of a seat code: no 0/o, 1/l/i, easy to read off paper.
const CODE_ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
/// Characters in a seat code (about 49 random bits).
pub const CODE_CHARS: usize = 10;

/// A fresh seat code.
pub fn new_code() -> String {
    random_chars(CODE_CHARS)
}

/// A fresh host secret for a seat (`hosts::LabLabel`): of the seat codes'
/// alphabet, so it is a DNS label (lower-case letters and digits, no `-`).
pub fn new_host_secret() -> String {
    random_chars(hosts::HOST_SECRET_CHARS)
}

fn random_chars(count: usize) -> String {
    use rand::Rng;
    let mut rng = rand::rng();
    (0..count)
        .map(|_| CODE_ALPHABET[rng.random_range(0..CODE_ALPHABET.len())] as char)
        .collect()
}

/// The most students one class holds (all its instances together).
pub const MAX_STUDENTS: usize = 500;

impl Class {
    pub fn warning(&self) -> Option<String> {
        self.config.exposed.then(|| EXPOSED_WARNING.to_owned())
    }

    /// A new lab for `name`, with a token for the hub's cookie (refused
    /// when the class needs the instructor's codes).
    pub async fn sign_in(&self, name: &str) -> Result<String, SignInError> {
        if self.config.require_code {
            return Err(SignInError::CodeRequired);
        }
        self.new_seat(name, new_code()).await
    }

    /// With a seat's code: back into that seat (another browser, a lost
    /// cookie). With a code the instructor issued and a name: a new seat.
    pub async fn sign_in_with_code(&self, name: &str, code: &str) -> Result<String, SignInError> {
        let code = code.trim().to_ascii_lowercase();
        if let Some(name) = self.roster.seat_with_code(&code).await? {
            return self.token_for(&name).await;
        }
        if !self.roster.take_pending_code(&code).await? {
            return Err(SignInError::UnknownCode);
        }
        match self.new_seat(name, code.clone()).await {
            Ok(token) => Ok(token),
            Err(e) => {
                // The code stays usable when the name was the problem.
                self.roster.add_pending_codes(&[code]).await?;
                Err(e)
            }
        }
    }

    /// A seat whose home is this instance, and its lab, built now.
    async fn new_seat(&self, name: &str, code: String) -> Result<String, SignInError> {
        hosts::valid_name(name).map_err(SignInError::BadName)?;
        let seat = Seat {
            code,
            home: self.me.clone(),
            host_secret: new_host_secret(),
        };
        self.roster.add_seat(name, seat).await?;
        self.whereabouts(name).await?;
        self.token_for(name).await
    }

    async fn token_for(&self, name: &str) -> Result<String, SignInError> {
        let token = crate::random_token();
        self.roster.bind_token(&token, name).await?;
        Ok(token)
    }

    /// The code that signs `name` in again.
    pub async fn seat_code(&self, name: &str) -> Option<String> {
        self.roster.seat(name).await.ok().flatten().map(|s| s.code)
    }

    /// Issues `count` codes for new seats (at most 100 at a time).
    pub async fn issue_codes(&self, count: usize) -> Result<Vec<String>, RosterError> {
        let codes: Vec<String> = (0..count.min(100)).map(|_| new_code()).collect();
        self.roster.add_pending_codes(&codes).await?;
        Ok(codes)
    }

    /// The issued codes not used yet, sorted.
    pub async fn pending_codes(&self) -> Result<Vec<String>, RosterError> {
        self.roster.pending_codes().await
    }

    /// The student a hub cookie names.
    pub async fn student_of(&self, token: &str) -> Result<Option<String>, RosterError> {
        self.roster.student_of(token).await
    }

    /// `name`'s lab, if this instance is its home and has built it.
    pub fn lab(&self, name: &str) -> Option<Arc<StudentLab>> {
        self.labs
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(name)
            .cloned()
    }

    /// The labs this instance runs, by name.
    pub fn local_labs(&self) -> Vec<Arc<StudentLab>> {
        let mut labs: Vec<_> = self
            .labs
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .values()
            .cloned()
            .collect();
        labs.sort_by(|a, b| a.name.cmp(&b.name));
        labs
    }

    /// Where `name`'s lab is, for a caller that knows it is `name`'s (the
    /// hub, by the student's own cookie; the instructor). When it is here,
    /// it is the lab of the roster's generation: built now after a reset, a
    /// restart of this instance, or a take-over (then with the progress the
    /// roster holds).
    pub async fn whereabouts(&self, name: &str) -> Result<Whereabouts, RosterError> {
        self.locate(name, |_| true).await
    }

    /// Where the lab a host's label names is: [`Whereabouts::Nobody`] when
    /// its secret is not the seat's, exactly as when no such student signed
    /// in (no answer tells another student which names exist, or how close
    /// a guess came). So no student reaches another's lab by its name
    /// alone (CWE-639, CWE-284; ASVS V4.1.5, V4.2.1).
    pub async fn whereabouts_at(&self, label: &LabLabel) -> Result<Whereabouts, RosterError> {
        self.locate(&label.name, |seat| label.carries(&seat.host_secret))
            .await
    }

    /// Where `name`'s lab is, if its seat `admits` the caller.
    async fn locate(
        &self,
        name: &str,
        admits: impl FnOnce(&Seat) -> bool,
    ) -> Result<Whereabouts, RosterError> {
        let Some(seat) = self.roster.seat(name).await?.filter(|seat| admits(seat)) else {
            return Ok(Whereabouts::Nobody);
        };
        if seat.home != self.me {
            // Moved away while this instance was unreachable: its lab here is stale.
            self.labs
                .write()
                .unwrap_or_else(PoisonError::into_inner)
                .remove(name);
            return Ok(Whereabouts::Elsewhere(seat.home));
        }
        let generation = self.roster.generation(name).await?;
        if let Some(lab) = self.lab(name).filter(|lab| lab.generation == generation) {
            return Ok(Whereabouts::Here(lab));
        }
        let carried = self.roster.progress(name).await?;
        let fresh = StudentLab::new(
            &LabLabel::new(name, &seat.host_secret),
            &self.config.profile,
            self.warning(),
            generation,
            carried,
        );
        let mut labs = self.labs.write().unwrap_or_else(PoisonError::into_inner);
        // Two requests may have built one at once: the first one in stays.
        let lab = match labs.get(name) {
            Some(lab) if lab.generation == generation => lab.clone(),
            _ => {
                labs.insert(name.to_owned(), fresh.clone());
                fresh
            }
        };
        Ok(Whereabouts::Here(lab))
    }

    /// `name`'s lab when it is here.
    pub async fn lab_here(&self, name: &str) -> Option<Arc<StudentLab>> {
        match self.whereabouts(name).await {
            Ok(Whereabouts::Here(lab)) => Some(lab),
            _ => None,
        }
    }

    /// Every student of the class (on every instance), with their progress.
    pub async fn students(&self) -> Result<Vec<StudentRecord>, RosterError> {
        self.roster.students().await
    }

    /// A fresh lab in place of `name`'s: new alice, notes, sessions, clock,
    /// site and progress (built at once when it is here; by its home on its
    /// next request otherwise). False for an unknown name.
    pub async fn reset(&self, name: &str) -> Result<bool, RosterError> {
        if !self.roster.reset(name).await? {
            return Ok(false);
        }
        self.whereabouts(name).await?;
        Ok(true)
    }

    pub async fn reset_all(&self) -> Result<(), RosterError> {
        for student in self.students().await? {
            self.reset(&student.name).await?;
        }
        Ok(())
    }

    /// Writes the lab's progress to the roster if it changed.
    pub async fn sync_progress(&self, lab: &StudentLab) {
        if let Some(progress) = lab.unsynced_progress()
            && self
                .roster
                .write_progress(&lab.name, lab.generation, &progress)
                .await
                .is_ok()
        {
            lab.mark_synced(progress);
        }
    }

    /// Sends alice on a visit of `name`'s lab (here).
    pub async fn send_alice(&self, name: &str, visit: Visit) -> Option<VisitReport> {
        let lab = self.lab_here(name).await?;
        let report = bot::send_alice(
            &lab,
            &self.hosts,
            self.door,
            self.config.victim_browser,
            visit,
            self.config.visit_timeout,
        )
        .await;
        self.sync_progress(&lab).await;
        Some(report)
    }

    pub async fn instructor_sign_in(&self, key: &str) -> Option<String> {
        use subtle::ConstantTimeEq;
        let expected = self.config.instructor_key.as_bytes();
        if expected.is_empty() || !bool::from(key.as_bytes().ct_eq(expected)) {
            return None;
        }
        let token = crate::random_token();
        self.roster.add_instructor_token(&token).await.ok()?;
        Some(token)
    }

    /// Whether a hub cookie is an instructor's (128 random bits, looked up
    /// as a whole: nothing to learn from timing).
    pub async fn is_instructor(&self, token: &str) -> bool {
        self.roster
            .is_instructor_token(token)
            .await
            .unwrap_or(false)
    }

    /// Sends the request to the lab's home; when nothing answers there any
    /// more, this instance takes the lab over (a fresh lab, the student's
    /// progress kept) and answers it itself.
    async fn forward_or_take_over(
        self: &Arc<Self>,
        name: &str,
        home: String,
        hub: Router,
        request: Request,
    ) -> Response {
        let (parts, body) = request.into_parts();
        let body = match axum::body::to_bytes(body, MAX_FORWARDED_BODY).await {
            Ok(body) => body,
            Err(_) => {
                return (
                    StatusCode::PAYLOAD_TOO_LARGE,
                    format!("a request to the class is at most {MAX_FORWARDED_BODY} bytes"),
                )
                    .into_response();
            }
        };
        match self.forwarder.forward(&home, &parts, body.clone()).await {
            Ok(response) => response,
            Err(ForwardError::Unreachable(_)) => {
                if let Err(e) = self.roster.move_home(name, &home, &self.me).await {
                    return roster_failed(&e);
                }
                let request = Request::from_parts(parts, Body::from(body));
                Box::pin(dispatch(self.clone(), hub, request, false)).await
            }
            Err(e) => e.into_response(),
        }
    }
}

/// The largest request body one instance passes to another (the hub's
/// largest form; the apps and the attacker's site take less).
pub const MAX_FORWARDED_BODY: usize = crate::hub::MAX_FORM_BYTES;

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
    // Whose lab the request is for: by the label its host carries (the
    // seat's secret included), or on the hub by the student's cookie.
    let student = match &place {
        Place::App(label, _) | Place::Attacker(label, _) => {
            Some((label.name.clone(), class.whereabouts_at(label).await))
        }
        Place::Hub if !from_door => match crate::hub::student_token(request.headers()) {
            Some(token) => match class.student_of(token).await {
                Ok(Some(name)) => {
                    let whereabouts = class.whereabouts(&name).await;
                    Some((name, whereabouts))
                }
                Ok(None) => None,
                Err(e) => return roster_failed(&e),
            },
            None => None,
        },
        _ => None,
    };
    let lab = match student {
        Some((name, whereabouts)) => match whereabouts {
            Ok(Whereabouts::Here(lab)) => Some(lab),
            Ok(Whereabouts::Elsewhere(home))
                if !from_door && !request.headers().contains_key(FORWARDED_HEADER) =>
            {
                return class.forward_or_take_over(&name, home, hub, request).await;
            }
            Ok(Whereabouts::Elsewhere(home)) => {
                return (
                    StatusCode::SERVICE_UNAVAILABLE,
                    format!("{name:?}'s lab has moved to the instance at {home}; try again"),
                )
                    .into_response();
            }
            Ok(Whereabouts::Nobody) => None,
            Err(e) => return roster_failed(&e),
        },
        None => None,
    };
    if let Some(lab) = &lab {
        request.extensions_mut().insert(StudentsLab(lab.clone()));
    }
    let response = match (place, &lab) {
        (Place::Hub, _) if !from_door => hub.oneshot(request).await.into_response(),
        (Place::App(_, instance), Some(lab)) => lab
            .router(instance, from_door)
            .clone()
            .oneshot(request)
            .await
            .into_response(),
        (Place::Attacker(..), Some(lab)) => lab.site.serve(request, &lab.detector).await,
        (Place::App(..) | Place::Attacker(..), None) => no_lab_at(&host),
        _ => (
            StatusCode::NOT_FOUND,
            format!(
                "{host:?} is no host of this class: the hub is {}, a student's app app.LABEL.{d} \
                 (its second instance app2.LABEL.{d}), their attacker site evil.LABEL.{d} and LABEL.attacker.{d}, \
                 where LABEL is NAME-SECRET as the student's lab page shows it",
                class.hosts.hub(),
                d = class.hosts.domain
            ),
        )
            .into_response(),
    };
    if let Some(lab) = &lab {
        class.sync_progress(lab).await;
    }
    response
}

/// The lab a hub request is about, as `dispatch` found it (here, at the
/// roster's generation): the hub's pages take it from the request.
#[derive(Clone)]
pub(crate) struct StudentsLab(pub Arc<StudentLab>);

/// The roster could not be read: a clear 503, never a guess.
fn roster_failed(e: &RosterError) -> Response {
    (
        StatusCode::SERVICE_UNAVAILABLE,
        format!("the class cannot reach its roster: {e}"),
    )
        .into_response()
}

/// A lab host whose label names no seat, or a seat with another secret:
/// one answer for both, so it tells nobody which names exist.
fn no_lab_at(host: &str) -> Response {
    (
        StatusCode::NOT_FOUND,
        format!(
            "no lab answers at {host:?}: a lab's host names (NAME-SECRET) are on its own student's lab page"
        ),
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
    #[error(
        "listening on {0}, this instance needs --peer-addr IP:PORT: the address the other instances of the \
         class reach it at"
    )]
    NoPeerAddress(SocketAddr),
    #[error("{0}")]
    Roster(#[from] RosterError),
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
    let peer = config.peer_addr.unwrap_or(addr);
    if config.shared.is_some() && peer.ip().is_unspecified() {
        return Err(StartError::NoPeerAddress(addr));
    }
    let hosts = Hosts {
        domain: config.domain.clone(),
        port: config.public_port.unwrap_or(addr.port()),
    };
    let roster = match &config.shared {
        None => Roster::local(),
        Some(url) => {
            let identity = ClassIdentity {
                profile: config.profile.label(),
                domain: hosts.domain.clone(),
                public_port: hosts.port,
            };
            Roster::shared(url, &identity).await?
        }
    };
    let class = Arc::new(Class {
        hosts,
        config,
        door: door_addr,
        me: peer.to_string(),
        roster,
        labs: RwLock::default(),
        forwarder: Forwarder::default(),
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
        tasks.push(tokio::spawn(sessionlab_app::server::serve_plain(
            listener,
            service,
            MAX_CONNECTIONS,
            stop,
        )));
    }
    if let Some(every) = alice_every {
        let class = class.clone();
        tasks.push(tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            tick.tick().await;
            loop {
                tick.tick().await;
                for lab in class.local_labs() {
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
