//! One student's lab: their own app (in-process, own memory store, users,
//! notes, guestbook, sessions and lab clock; two instances of it over that
//! one store, and the balancer alice reaches them through), alice's secret password, the
//! detector that judges what the app saw, the attacker's site, and the
//! student's progress (hints used). Nothing here is shared between students:
//! a reset replaces the whole lab.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use axum::Router;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use sessionlab_app::observer::Instance;
use sessionlab_app::{ClassApp, ClassOptions, DemoAccount, Profile, build_class_app};
use time::OffsetDateTime;

use crate::attacker_site::AttackerSite;
use crate::bot::VisitReport;
use crate::challenges::HINT_LEVELS;
use crate::detect::{Detector, VICTIM};
use crate::hosts::LabLabel;
use crate::roster::{Progress, SolvedRecord};

/// The student's own account in every lab (they play bob).
pub const STUDENT_ACCOUNT: &str = "bob";
/// How many of alice's visits a lab remembers for its page.
const VISITS_KEPT: usize = 5;

/// What the student changed and what alice did, as the lab page shows it.
#[derive(Debug, Default)]
pub struct LabState {
    /// The link in bob's message to alice (a lab URL), if any.
    pub message: Option<url::Url>,
    /// alice's cookie as she left the shared computer on her last visit (name, value).
    pub left_behind: Option<(String, String)>,
    /// The copy the student took of it ("NAME=VALUE"): the premise of the
    /// stories that give the attacker one. Taking it is recorded: a session
    /// whose copy was taken cannot count as guessed.
    pub copy: Option<String>,
    /// Hint levels revealed, per challenge id.
    pub hints: HashMap<&'static str, usize>,
    /// alice's latest visits, newest last.
    pub visits: Vec<VisitReport>,
}

/// One student's lab.
pub struct StudentLab {
    pub name: String,
    /// The seat's host secret: its hosts are `app.NAME-SECRET.DOMAIN` and so
    /// on ([`StudentLab::label`]).
    host_secret: String,
    pub app: ClassApp,
    /// Where alice's requests to her app's name land.
    pub balancer: Balancer,
    pub detector: Detector,
    pub site: AttackerSite,
    /// alice's password now (she may change it): never shown to anyone.
    alice_password: Mutex<String>,
    pub bob_password: String,
    pub created: OffsetDateTime,
    state: Mutex<LabState>,
    /// One visit of alice at a time.
    pub visiting: tokio::sync::Mutex<()>,
    /// Which lab of this student this is (the roster's count of resets).
    pub generation: u64,
    /// Progress made before this lab was built: by the same student on an
    /// instance that stopped answering (`class.rs`, taking a lab over).
    carried: Vec<SolvedRecord>,
    /// The progress the roster holds, as this lab last wrote it.
    synced: Mutex<Option<Progress>>,
}

impl std::fmt::Debug for StudentLab {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StudentLab")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

fn random_secret() -> String {
    let mut bytes = [0u8; 16];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

impl StudentLab {
    /// A fresh lab for the student and seat secret of `label` (inside a Tokio runtime: the password hashing
    /// starts in the background). `warning` is shown on every app page;
    /// `carried` is the progress the student made before this lab.
    pub fn new(
        label: &LabLabel,
        profile: &Profile,
        warning: Option<String>,
        generation: u64,
        carried: Progress,
    ) -> Arc<Self> {
        let alice_password = random_secret();
        let bob = sessionlab_app::demo_accounts()
            .into_iter()
            .find(|a| a.username == STUDENT_ACCOUNT)
            .expect("bob is a demo account");
        // The detector reads the lab clock the app makes, so the app's
        // observer is a relay connected to it once both exist.
        let observer = Arc::new(Relay::default());
        let app = build_class_app(
            profile,
            ClassOptions {
                passwords: vec![(VICTIM.to_owned(), alice_password.clone())],
                shown_accounts: vec![DemoAccount {
                    username: bob.username.clone(),
                    password: bob.password.clone(),
                }],
                observer: observer.clone(),
                warning,
            },
        );
        let detector = Detector::new(app.info.clock.clone());
        detector.set_note(app.handle.private_note(VICTIM));
        observer.connect(detector.clone());
        Arc::new(Self {
            name: label.name.clone(),
            host_secret: label.secret.clone(),
            app,
            balancer: Balancer::default(),
            detector,
            site: AttackerSite::default(),
            alice_password: Mutex::new(alice_password),
            bob_password: bob.password,
            created: OffsetDateTime::now_utc(),
            state: Mutex::new(LabState {
                hints: carried
                    .hints
                    .iter()
                    .filter_map(|(id, level)| {
                        let entry = crate::challenges::find(id)?;
                        Some((entry.id, (*level).min(HINT_LEVELS)))
                    })
                    .collect(),
                ..LabState::default()
            }),
            visiting: tokio::sync::Mutex::new(()),
            generation,
            synced: Mutex::new(Some(carried.clone()).filter(|p| *p != Progress::default())),
            carried: carried.solved,
        })
    }

    /// The label in this lab's host names, `NAME-SECRET`: what every
    /// [`Hosts`](crate::hosts::Hosts) method takes.
    pub fn label(&self) -> String {
        LabLabel::new(&self.name, &self.host_secret).to_string()
    }

    /// The instance of the app that answers a request for `named` (by its
    /// host name): alice's requests (through the victim's door) to the
    /// first instance's name land where the balancer sends them.
    pub fn router(&self, named: Instance, from_victim: bool) -> &Router {
        let instance = match named {
            Instance::First if from_victim => self.balancer.now(),
            named => named,
        };
        match instance {
            Instance::First => &self.app.router,
            Instance::Second => &self.app.second_instance,
        }
    }

    /// The student's progress: what this lab's detector judged solved (and
    /// what was carried over), and the hints revealed.
    pub fn progress(&self) -> Progress {
        let mut solved = self.carried.clone();
        for solve in self.detector.solved() {
            if !solved.iter().any(|s| s.challenge == solve.challenge) {
                solved.push(SolvedRecord {
                    challenge: solve.challenge.to_owned(),
                    at: solve.at,
                    summary: solve.summary,
                });
            }
        }
        let hints = self.with_state(|s| {
            s.hints
                .iter()
                .filter(|(_, level)| **level > 0)
                .map(|(id, level)| ((*id).to_owned(), *level))
                .collect()
        });
        Progress { solved, hints }
    }

    /// The progress to write to the roster, if it changed since the last write.
    pub(crate) fn unsynced_progress(&self) -> Option<Progress> {
        let progress = self.progress();
        let synced = self.synced.lock().unwrap_or_else(PoisonError::into_inner);
        (synced.as_ref() != Some(&progress)
            && !(synced.is_none() && progress == Progress::default()))
        .then_some(progress)
    }

    /// The roster now holds `progress`.
    pub(crate) fn mark_synced(&self, progress: Progress) {
        *self.synced.lock().unwrap_or_else(PoisonError::into_inner) = Some(progress);
    }

    pub fn alice_password(&self) -> String {
        self.alice_password
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    pub(crate) fn set_alice_password(&self, password: String) {
        *self
            .alice_password
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = password;
    }

    pub fn with_state<T>(&self, f: impl FnOnce(&mut LabState) -> T) -> T {
        f(&mut self.state.lock().unwrap_or_else(PoisonError::into_inner))
    }

    /// Reveals the next hint of `challenge`; the number revealed now.
    pub fn reveal_hint(&self, challenge: &'static str) -> usize {
        self.with_state(|s| {
            let level = s.hints.entry(challenge).or_default();
            *level = (*level + 1).min(HINT_LEVELS);
            *level
        })
    }

    pub fn hints_used(&self, challenge: &str) -> usize {
        self.with_state(|s| s.hints.get(challenge).copied().unwrap_or(0))
    }

    /// The student takes the copy of alice's cookie she left behind, if any.
    pub fn take_copy(&self) -> Option<String> {
        let taken = self.with_state(|s| {
            let (name, value) = s.left_behind.clone()?;
            s.copy = Some(format!("{name}={value}"));
            Some(value)
        });
        if let Some(value) = &taken {
            self.detector.handed_out(value);
        }
        taken
    }

    pub fn record_visit(&self, report: VisitReport) {
        self.with_state(|s| {
            if s.visits.len() >= VISITS_KEPT {
                s.visits.remove(0);
            }
            s.visits.push(report);
        });
    }
}

/// The load balancer alice reaches her app through: one name
/// (`app.NAME-SECRET.localhost`) in front of both instances, so her browser sends
/// her one cookie to either, as behind a real balancer. It sends her
/// requests to the first instance, except while the bot has turned it for
/// one click of her visit (`bot.rs`: "her next request landed on the other
/// instance"). A student has no balancer: each instance has its own name.
#[derive(Debug, Default)]
pub struct Balancer(Mutex<Instance>);

impl Balancer {
    /// Where alice's requests land now.
    pub fn now(&self) -> Instance {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Sends alice's requests to `instance` until the turn is dropped (also
    /// when her visit is cut short).
    pub fn turn_to(&self, instance: Instance) -> BalancerTurn<'_> {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) = instance;
        BalancerTurn(self)
    }
}

/// A turn of the [`Balancer`]: back to the first instance when dropped.
pub struct BalancerTurn<'a>(&'a Balancer);

impl Drop for BalancerTurn<'_> {
    fn drop(&mut self) {
        *self.0.0.lock().unwrap_or_else(PoisonError::into_inner) = Instance::First;
    }
}

/// The app's observer, passed on to the lab's detector once it exists.
#[derive(Default)]
struct Relay(Mutex<Option<Detector>>);

impl Relay {
    fn connect(&self, detector: Detector) {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) = Some(detector);
    }
    fn detector(&self) -> Option<Detector> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

impl sessionlab_app::observer::LabObserver for Relay {
    fn logged_in(&self, event: sessionlab_app::observer::LoggedIn) {
        if let Some(d) = self.detector() {
            d.logged_in(event);
        }
    }
    fn account_shown(&self, event: sessionlab_app::observer::AccountShown) {
        if let Some(d) = self.detector() {
            d.account_shown(event);
        }
    }
    fn email_changed(&self, event: sessionlab_app::observer::EmailChanged) {
        if let Some(d) = self.detector() {
            d.email_changed(event);
        }
    }
}
