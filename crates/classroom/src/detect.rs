//! Solve detection: what the student's app saw, judged against each
//! challenge's solve condition (`scenarios/<id>.toml`, `[challenge] solve`).
//!
//! The app reports three moments (`sessionlab_app::observer`): a password
//! login (with whether its session's ID was issued or adopted), alice's
//! account page going out, and alice's address changing, each with the
//! request and the session it came in. The victim bot reports what it did
//! (which session its login made, when it logged out or walked away, which
//! links carried an ID), and the attacker's site what it received. A challenge is solved only
//! by a request the app answered; the request is kept as the proof.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, PoisonError};

use sessionlab_app::LabClock;
use sessionlab_app::observer::{
    AccountShown, EmailChanged, IdOrigin, Instance, LabObserver, LoggedIn, RequestFacts, SignedInBy,
};
use sessionlab_attack::catalog::SolveCondition;
use time::{Duration, OffsetDateTime};

use crate::challenges;

/// The victim's account name in every lab.
pub const VICTIM: &str = "alice";

/// Idle for longer than this (lab time) is what OWASP calls too long.
pub const IDLE_LIMIT: Duration = Duration::minutes(15);
/// A session older than this (lab time) should be gone, however busy.
pub const LIFETIME_LIMIT: Duration = Duration::hours(8);
/// How many texts of the attacker's site the detector keeps to search for IDs.
const MAX_LEAKS: usize = 500;

/// A solved challenge: when, and the request that solved it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Solve {
    pub challenge: &'static str,
    /// Wall time.
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    /// What the server saw, in one sentence.
    pub summary: String,
    /// The request that did it (for an exfiltration: the one the attacker's site received).
    pub request: RequestFacts,
}

/// What alice's own login made: a session the bot used.
#[derive(Debug, Clone)]
struct VictimSession {
    /// Lab time of her first request in it.
    began: OffsetDateTime,
    /// Lab time her visit in it ended (logout or walking away).
    visit_ended: Option<OffsetDateTime>,
    /// The instance of the app her logout went to, if she logged out.
    logged_out_on: Option<Instance>,
}

/// The login a session token was handed out at: the session it made.
#[derive(Debug, Clone, Default)]
struct IssuedAt {
    id: String,
    handle: String,
}

/// A request the attacker's site received, kept to find IDs in.
#[derive(Debug, Clone)]
struct Leak {
    /// Its decoded path, query and body: what a script (or the student) chose to send.
    sent: String,
    /// Its `Referer`, when that names a page of another host than the
    /// attacker's site: what the browser volunteered about where alice was.
    referer_from_elsewhere: Option<String>,
    /// Whether it carried alice's note: then a script read her page and sent
    /// it, an exfiltration, whatever its `Referer` says.
    carried_note: bool,
}

impl Leak {
    /// The ID came in what was sent: hijack-xss's technique.
    fn sent_carries(&self, carries_it: impl Fn(&str) -> bool) -> bool {
        carries_it(&self.sent)
    }

    /// The ID came only in the `Referer` of a plain request (a link alice
    /// followed, an image on her page): referer-leak's technique. A request
    /// that also carried the ID or her note was built by a script of the
    /// student's, and the Referer of a page on the attacker's own site is the
    /// student's own address, not a leak.
    fn referer_carries(&self, carries_it: impl Fn(&str) -> bool) -> bool {
        !self.carried_note
            && !carries_it(&self.sent)
            && self
                .referer_from_elsewhere
                .as_deref()
                .is_some_and(carries_it)
    }
}

/// The `host[:port]` a URL names, as a `Host` header would.
fn host_of(url: &str) -> Option<String> {
    let url = url::Url::parse(url).ok()?;
    let host = url.host_str()?;
    Some(match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_owned(),
    })
}

#[derive(Debug, Default)]
struct Evidence {
    /// Sign-in handles of password logins as alice, and whether alice's own browser made each.
    logins: HashMap<String, bool>,
    /// Sign-in handles of those logins whose session ID the app adopted from
    /// the client (never issued: an invented ID), as the app said at the login.
    adopted: HashSet<String>,
    /// Signatures of the session tokens logins handed out (anyone's login),
    /// each with the login it was handed out at.
    issued_tokens: HashMap<String, IssuedAt>,
    victim_sessions: HashMap<String, VictimSession>,
    /// The sign-in handle of alice's latest session.
    latest: Option<String>,
    /// `sid` values in links alice followed.
    lured: HashSet<String>,
    /// Cookie values the attacker's site set.
    tossed: HashSet<String>,
    /// Cookie values this lab showed the student (the stories' "copy of her cookie").
    handed_out: HashSet<String>,
    leaks: Vec<Leak>,
    /// Lab time of alice's last password change, and of her last "Log out everywhere".
    password_changed: Option<OffsetDateTime>,
    logged_out_everywhere: Option<OffsetDateTime>,
    solved: Vec<Solve>,
}

/// One lab's judge: the app's observer, told by the bot and the attacker's site too.
#[derive(Clone)]
pub struct Detector {
    clock: LabClock,
    note: Arc<Mutex<Option<String>>>,
    evidence: Arc<Mutex<Evidence>>,
}

impl std::fmt::Debug for Detector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Detector")
    }
}

fn contains_id(text: &str, id: &str) -> bool {
    !id.is_empty() && text.contains(id)
}

impl Detector {
    pub fn new(clock: LabClock) -> Self {
        Self {
            clock,
            note: Arc::default(),
            evidence: Arc::default(),
        }
    }

    /// alice's private note (known once the app is built; the detector is made first).
    pub fn set_note(&self, note: Option<String>) {
        *self.note.lock().unwrap_or_else(PoisonError::into_inner) = note;
    }

    fn with<T>(&self, f: impl FnOnce(&mut Evidence) -> T) -> T {
        f(&mut self.evidence.lock().unwrap_or_else(PoisonError::into_inner))
    }

    /// The challenges solved so far, oldest first.
    pub fn solved(&self) -> Vec<Solve> {
        self.with(|e| e.solved.clone())
    }

    /// Whether `challenge` is solved.
    pub fn is_solved(&self, challenge: &str) -> bool {
        self.with(|e| e.solved.iter().any(|s| s.challenge == challenge))
    }

    /// The bot's visit ended: logged out on an instance of the app, or
    /// walked away (`None`).
    pub fn visit_ended(&self, logged_out_on: Option<Instance>) {
        let now = self.clock.now();
        self.with(|e| {
            if let Some(session) = e.latest.clone().and_then(|h| e.victim_sessions.get_mut(&h)) {
                session.visit_ended = Some(now);
                session.logged_out_on = session.logged_out_on.or(logged_out_on);
            }
        });
    }

    /// alice changed her password (on her phone).
    pub fn password_changed(&self) {
        let now = self.clock.now();
        self.with(|e| e.password_changed = Some(now));
    }

    /// alice pressed "Log out everywhere" (on her phone).
    pub fn logged_out_everywhere(&self) {
        let now = self.clock.now();
        self.with(|e| e.logged_out_everywhere = Some(now));
    }

    /// alice followed a link carrying `?sid=value`.
    pub fn lured_with(&self, value: &str) {
        self.with(|e| e.lured.insert(value.to_owned()));
    }

    /// The attacker's site set a cookie of this value.
    pub fn tossed(&self, value: &str) {
        self.with(|e| e.tossed.insert(value.to_owned()));
    }

    /// The lab showed the student this copy of alice's cookie.
    pub fn handed_out(&self, value: &str) {
        self.with(|e| e.handed_out.insert(value.to_owned()));
    }

    /// The attacker's site received a request: its decoded URL and body, its
    /// `Referer`. alice's note in it solves the exfiltration; an ID in it is
    /// kept, for when someone opens her account with it.
    pub fn attacker_site_received(&self, request: &RequestFacts, text: &str) {
        let note = self
            .note
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        let carried_note = note.as_ref().is_some_and(|n| text.contains(n.as_str()));
        if let Some(note) = note.filter(|_| carried_note) {
            self.solve(
                SolveCondition::Exfiltrated,
                format!(
                    "alice's private note ({note}) reached your site in {} {}",
                    request.method, request.target
                ),
                request.clone(),
            );
        }
        let referer_from_elsewhere = request
            .referer
            .clone()
            .filter(|referer| host_of(referer) != request.host);
        self.with(|e| {
            if e.leaks.len() >= MAX_LEAKS {
                e.leaks.remove(0);
            }
            e.leaks.push(Leak {
                sent: text.to_owned(),
                referer_from_elsewhere,
                carried_note,
            });
        });
    }

    fn solve(&self, condition: SolveCondition, summary: String, request: RequestFacts) {
        let Some((entry, _)) = challenges::challenges().find(|(_, c)| c.solve == condition) else {
            return;
        };
        self.with(|e| {
            if !e.solved.iter().any(|s| s.challenge == entry.id) {
                e.solved.push(Solve {
                    challenge: entry.id,
                    at: OffsetDateTime::now_utc(),
                    summary,
                    request,
                });
            }
        });
    }

    /// A page whose user a token decided: judged by the token alone, before
    /// any session condition, so a forged token in bob's own session never
    /// counts as that session's puzzle. `None` for a token a login handed out
    /// (a copy of alice's): then the login it was handed out at decides, as
    /// her cookie would.
    fn judge_token(&self, signed_in_by: &SignedInBy) -> Option<Vec<(SolveCondition, String)>> {
        let SignedInBy::Token(token) = signed_in_by else {
            return None;
        };
        if token.alg_none {
            return Some(vec![(
                SolveCondition::UnsignedToken,
                "a session token saying alg: none, with no signature, signed you in as alice"
                    .into(),
            )]);
        }
        if self.with(|e| e.issued_tokens.contains_key(&token.signature)) {
            return None;
        }
        Some(vec![(
            SolveCondition::ForgedToken,
            "a validly signed session token no login was handed signed you in as alice".into(),
        )])
    }

    /// Which conditions an account page shown to someone other than alice meets.
    fn judge_read(&self, event: &AccountShown) -> Vec<(SolveCondition, String)> {
        if let Some(met) = self.judge_token(&event.signed_in_by) {
            return met;
        }
        let now = self.clock.now();
        let session = &event.session;
        // A copied token stands for the login it was handed out at, and is
        // as good as that session's ID wherever it was shown or leaked.
        let token = match &event.signed_in_by {
            SignedInBy::Token(token) => Some(token.signature.clone()),
            SignedInBy::Session => None,
        };
        self.with(|e| {
            let (id, handle) = match token.as_ref().and_then(|t| e.issued_tokens.get(t)) {
                Some(login) => (login.id.clone(), login.handle.clone()),
                None => (
                    session.id.clone().unwrap_or_default(),
                    session.sign_in_handle.clone().unwrap_or_default(),
                ),
            };
            let carries_it = |text: &str| {
                contains_id(text, &id) || token.as_deref().is_some_and(|t| contains_id(text, t))
            };
            let mut met = Vec::new();
            match e.logins.get(&handle) {
                None => {
                    met.push((
                        SolveCondition::NoLogin,
                        "nobody logged in as alice with a password in this session".to_string(),
                    ));
                    return met;
                }
                Some(false) => {
                    met.push((
                        SolveCondition::ForeignLogin,
                        "this session was logged in as alice, but not by alice's browser"
                            .to_string(),
                    ));
                    return met;
                }
                Some(true) => {}
            }
            let Some(victim) = e.victim_sessions.get(&handle) else {
                return met;
            };
            let sent = e.leaks.iter().any(|l| l.sent_carries(carries_it));
            let in_referer = e.leaks.iter().any(|l| l.referer_carries(carries_it));
            let lured = e.lured.iter().any(|v| carries_it(v));
            let tossed = e.tossed.iter().any(|v| carries_it(v));
            let handed = e.handed_out.iter().any(|v| carries_it(v));
            if let Some(on) = victim.logged_out_on {
                met.push(read_after_logout(on, event.instance));
            } else if let Some(ended) = victim.visit_ended.filter(|t| now - *t > IDLE_LIMIT) {
                met.push((
                    SolveCondition::ReadAfterIdle,
                    format!(
                        "alice had left this session idle for {} minutes of lab time",
                        (now - ended).whole_minutes()
                    ),
                ));
            }
            let before = |event: Option<OffsetDateTime>| {
                victim.logged_out_on.is_none() && event.is_some_and(|at| victim.began < at)
            };
            if before(e.password_changed) {
                met.push((
                    SolveCondition::ReadAfterPasswordChange,
                    "alice changed her password after she logged in to this session".into(),
                ));
            }
            if before(e.logged_out_everywhere) {
                met.push((
                    SolveCondition::ReadAfterLogOutEverywhere,
                    "alice pressed \"Log out everywhere\" after she logged in to this session"
                        .into(),
                ));
            }
            if now - victim.began > LIFETIME_LIMIT {
                met.push((
                    SolveCondition::ReadAfterLifetime,
                    format!(
                        "alice logged in to this session {} hours of lab time before",
                        (now - victim.began).whole_hours()
                    ),
                ));
            }
            if lured {
                met.push((
                    SolveCondition::FixedByLink,
                    "its ID came to alice in a link she followed".into(),
                ));
            }
            // An invented ID tossed is its own challenge, not an issued one's.
            if tossed && e.adopted.contains(&handle) {
                met.push((
                    SolveCondition::FixedByInventedToss,
                    "its ID was a cookie your site set in alice's browser, an ID the app \
                     never issued: it adopted it, and kept it when she logged in"
                        .into(),
                ));
            } else if tossed {
                met.push((
                    SolveCondition::FixedByToss,
                    "its ID was a cookie your site set in alice's browser".into(),
                ));
            }
            if sent {
                met.push((
                    SolveCondition::Exfiltrated,
                    "its ID reached your site in a request from alice's browser".into(),
                ));
            }
            if in_referer {
                met.push((
                    SolveCondition::LeakedByReferer,
                    "its ID reached your site in a Referer".into(),
                ));
            }
            if !(lured || tossed || handed || sent || in_referer) {
                met.push((
                    SolveCondition::GuessedSession,
                    "its ID was never shown to you, lured, tossed or leaked".into(),
                ));
            }
            met
        })
    }
}

/// A read in a session alice logged out of on `logged_out_on`, answered by
/// `answered_on`: `logout-reuse` on the same instance (the logout did not end
/// the session), `cross-instance-logout` on another (it ended it where it was
/// handled, and another instance's own copy lived on).
fn read_after_logout(logged_out_on: Instance, answered_on: Instance) -> (SolveCondition, String) {
    if logged_out_on == answered_on {
        (
            SolveCondition::ReadAfterLogout,
            "alice had logged out of this session".into(),
        )
    } else {
        (
            SolveCondition::LoggedOutElsewhere,
            format!(
                "alice had logged out of this session on {logged_out_on}, and {answered_on} \
                 answered"
            ),
        )
    }
}

impl LabObserver for Detector {
    fn logged_in(&self, event: LoggedIn) {
        if let Some(signature) = event.token_signature.clone() {
            let login = IssuedAt {
                id: event.session.id.clone().unwrap_or_default(),
                handle: event.session.sign_in_handle.clone().unwrap_or_default(),
            };
            self.with(|e| e.issued_tokens.insert(signature, login));
        }
        if event.user != VICTIM {
            return;
        }
        if let Some(handle) = event.session.sign_in_handle {
            self.with(|e| {
                if event.id_origin == IdOrigin::Adopted {
                    e.adopted.insert(handle.clone());
                }
                e.logins.insert(handle, event.request.from_victim)
            });
        }
    }

    fn account_shown(&self, event: AccountShown) {
        if event.user != VICTIM {
            return;
        }
        if event.request.from_victim {
            let now = self.clock.now();
            if let Some(handle) = event.session.sign_in_handle.clone() {
                self.with(|e| {
                    e.victim_sessions
                        .entry(handle.clone())
                        .or_insert(VictimSession {
                            began: now,
                            visit_ended: None,
                            logged_out_on: None,
                        });
                    e.latest = Some(handle);
                });
            }
            return;
        }
        for (condition, why) in self.judge_read(&event) {
            let summary = format!(
                "{} {} showed alice's private note to a request that was not alice's: {why}",
                event.request.method, event.request.target
            );
            self.solve(condition, summary, event.request.clone());
        }
    }

    fn email_changed(&self, event: EmailChanged) {
        if event.user != VICTIM || !event.request.from_victim {
            return;
        }
        let host = event.request.host.clone().unwrap_or_default();
        let started_by = event
            .request
            .origin
            .clone()
            .or_else(|| event.request.referer.clone());
        let from_elsewhere = match started_by.as_deref() {
            None | Some("null") => true,
            Some(url) => host_of(url).is_none_or(|origin_host| origin_host != host),
        };
        if from_elsewhere {
            let summary = format!(
                "alice's browser changed her e-mail to {} in a request started by {}",
                event.new_email,
                started_by.as_deref().unwrap_or("no page it names")
            );
            self.solve(SolveCondition::ForgedChange, summary, event.request);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "0123456789abcdef";
    const ATTACKER: &str = "ann.attacker.localhost:8080";

    fn received(detector: &Detector, text: &str, referer: Option<&str>) {
        let request = RequestFacts {
            method: "GET".into(),
            target: "/".into(),
            from_victim: true,
            user_agent: None,
            origin: None,
            referer: referer.map(str::to_owned),
            sec_fetch_site: None,
            host: Some(ATTACKER.into()),
        };
        detector.attacker_site_received(&request, text);
    }

    /// (sent, in a Referer) for the one leak `detector` kept.
    fn leaked(detector: &Detector) -> (bool, bool) {
        let carries_it = |text: &str| contains_id(text, ID);
        detector.with(|e| {
            (
                e.leaks.iter().any(|l| l.sent_carries(carries_it)),
                e.leaks.iter().any(|l| l.referer_carries(carries_it)),
            )
        })
    }

    fn detector() -> Detector {
        let detector = Detector::new(LabClock::default());
        detector.set_note(Some("note #42".into()));
        detector
    }

    #[test]
    fn a_referer_from_alices_page_on_a_plain_request_is_a_referer_leak() {
        let detector = detector();
        let page = format!("http://app.ann.localhost:8080/guestbook?sid={ID}");
        received(&detector, "/hello", Some(&page));
        assert_eq!(leaked(&detector), (false, true));
    }

    #[test]
    fn a_request_that_carries_the_id_itself_is_an_exfiltration_whatever_its_referer() {
        let detector = detector();
        let page = format!("http://app.ann.localhost:8080/guestbook?sid={ID}");
        received(&detector, &format!("/steal c=sid={ID}"), Some(&page));
        assert_eq!(leaked(&detector), (true, false));
    }

    #[test]
    fn a_request_that_carries_alices_note_is_no_referer_leak() {
        let detector = detector();
        let page = format!("http://app.ann.localhost:8080/account?sid={ID}");
        received(&detector, "/steal n=note #42", Some(&page));
        assert_eq!(leaked(&detector), (false, false));
        assert!(detector.is_solved("hijack-xss"), "the note itself solves");
    }

    #[test]
    fn the_referer_of_a_page_on_the_attackers_own_site_is_no_leak() {
        let detector = detector();
        let own_page = format!("http://{ATTACKER}/guestbook?sid={ID}");
        received(&detector, "/favicon.ico", Some(&own_page));
        assert_eq!(leaked(&detector), (false, false));
    }
}
