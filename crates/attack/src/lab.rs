//! The lab around one scenario run: the target, the credentials, the network
//! the actors' browsers live in, and the step log.

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, SystemTime};

use sessionlab_browser::browser::{ExchangeTap, TappedExchange};
use sessionlab_browser::{
    Browser, BrowserError, Network, fetch_peer_certificate, html, pinned_client_config,
};
use sessionlab_protocol::clock::{FIELD, KEY_HEADER, MAX_ADVANCE_SECONDS, PATH};
use sessionlab_protocol::{DEMO_ATTACKER, DEMO_VICTIM, LabInfo, WELL_KNOWN_PATH, element};
use url::Url;

use crate::app_target::AppTarget;
use crate::outcome::{
    Actor, BodyExcerpt, ExchangeRef, HttpExchange, Proof, ProofKind, Step, Verdict,
};
use crate::victim::{BrowserKind, VictimBrowser};

/// The name the target app has inside the lab network.
pub const APP_HOST: &str = "app.lab.test";
/// The attacker's site, a sibling of the app under `lab.test`: same-site with the app
/// (which is what lets it toss cookies), but another origin.
pub const EVIL_HOST: &str = "evil.lab.test";
/// The attacker's other site, on another registrable domain: cross-site with the app, so
/// SameSite applies to requests it starts (the CSRF lesson).
pub const EVIL_CROSS_SITE_HOST: &str = "evil.test";

/// A username and password for one actor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credentials {
    pub username: String,
    pub password: String,
}

impl Credentials {
    pub fn new(username: &str, password: &str) -> Self {
        Self {
            username: username.into(),
            password: password.into(),
        }
    }

    /// The victim the lab uses unless told otherwise: the demo account alice.
    pub fn default_victim() -> Self {
        Self::new(DEMO_VICTIM.username, DEMO_VICTIM.password)
    }

    /// The attacker's own account unless told otherwise: the demo account bob.
    pub fn default_attacker() -> Self {
        Self::new(DEMO_ATTACKER.username, DEMO_ATTACKER.password)
    }
}

impl std::str::FromStr for Credentials {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.split_once(':') {
            Some((user, pass)) if !user.is_empty() => Ok(Self::new(user, pass)),
            _ => Err(format!("expected USER:PASS, got {s:?}")),
        }
    }
}

/// Why the engine could not start working against a target.
#[derive(Debug, thiserror::Error)]
pub enum TargetError {
    #[error("{0}")]
    BadUrl(String),
    #[error(
        "refusing to attack {0}: it is not a loopback address. Attack only systems you are authorised to test; if you are, pass --authorized-target"
    )]
    NotLoopback(String),
    #[error("cannot reach the target at {url}: {reason}. Is `sessionlab serve` running there?")]
    Unreachable { url: String, reason: String },
    #[error(
        "{url} answered, but not as a sessionlab app ({reason}). To attack an app the lab did not write, describe it in a target file: `sessionlab target init URL/login`, then `sessionlab attack --target-file FILE`"
    )]
    NotALab { url: String, reason: String },
}

/// A target app, as the engine reaches it.
#[derive(Debug, Clone)]
pub struct Target {
    /// The real socket address (loopback unless the user said they are authorised).
    pub addr: SocketAddr,
    /// "https" when the app speaks TLS, else "http".
    pub scheme: String,
    /// The profile label the app reports, with its toggles: "hardened -csp".
    pub profile: String,
    /// The built-in profile it started from: "hardened".
    pub base_profile: String,
    pub defenses: Vec<String>,
    /// The session cookie's name (public: any `Set-Cookie` from the app shows it).
    pub session_cookie: String,
    /// Whether the app says its lab clock can be moved over HTTP (`serve --lab-clock`).
    pub lab_clock: bool,
    /// The app's TLS certificate (DER), the only one the run's browsers trust;
    /// `None` for an app without TLS.
    pub certificate: Option<Vec<u8>>,
    /// How this run may move the app's lab clock, if at all (see [`ClockControl`]).
    pub clock_control: Option<Arc<dyn ClockControl>>,
    /// Other instances of the same app on the same session store, as a load
    /// balancer's other backends (`cross-instance-logout`): the harness
    /// starts one beside each app; `sessionlab attack --instance URL` names
    /// them. Empty: the run reaches one instance only.
    pub instances: Vec<Instance>,
    /// The victim's browser in the browser-dependent scenarios
    /// ([`crate::victim::CHROMIUM_VICTIM_SCENARIOS`]); the process default
    /// ([`set_default_victim_browser`]) unless set with [`Target::with_victim_browser`].
    pub victim_browser: BrowserKind,
    /// An app the lab did not write, described by a target file
    /// ([`crate::app_target`]): its own login, logout and proof page. `None`
    /// for a sessionlab app, whose routes the engine knows.
    pub app: Option<Arc<AppTarget>>,
}

/// Another instance of the target app: another port on the same lab host
/// (`app.lab.test`), so a browser sends it the same cookies, as it would to
/// whichever backend a load balancer picks.
#[derive(Debug, Clone)]
pub struct Instance {
    pub addr: SocketAddr,
    /// Its TLS certificate (DER), trusted as the target's is; `None` without TLS.
    pub certificate: Option<Vec<u8>>,
}

/// What `cross-instance-logout` says when the run reaches one instance only.
pub const NO_SECOND_INSTANCE: &str = "this scenario needs a second instance of the app on the same session store. \
`sessionlab demo` starts one beside each app; against served apps, start two \
`sessionlab serve --profile P --store redis://HOST:PORT` on different ports and run \
`sessionlab attack --target URL_A --instance URL_B ...` (see docs/deploy.md)";

/// Whether targets discovered from now on give their victims real Chromium
/// (the command line's `--browser chromium`: one choice per process).
static CHROMIUM_BY_DEFAULT: AtomicBool = AtomicBool::new(false);

/// Sets the victim browser of every [`Target`] discovered from now on.
pub fn set_default_victim_browser(kind: BrowserKind) {
    CHROMIUM_BY_DEFAULT.store(kind == BrowserKind::Chromium, Ordering::Relaxed);
}

pub(crate) fn default_victim_browser() -> BrowserKind {
    if CHROMIUM_BY_DEFAULT.load(Ordering::Relaxed) {
        BrowserKind::Chromium
    } else {
        BrowserKind::Sim
    }
}

/// Checks a target's base URL: http(s), an IP address (or `localhost`), and
/// loopback unless the user said they are authorised. Returns it with the
/// socket address the lab network routes `app.lab.test` to.
pub(crate) fn resolve_target_url(
    url: &str,
    authorized: bool,
) -> Result<(Url, SocketAddr), TargetError> {
    let url =
        Url::parse(url).map_err(|e| TargetError::BadUrl(format!("bad target URL {url:?}: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(TargetError::BadUrl(format!(
            "the target URL must be http:// or https://, not {}",
            url.scheme()
        )));
    }
    let ip = match url.host() {
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip),
        Some(url::Host::Domain(d)) if d.eq_ignore_ascii_case("localhost") => {
            IpAddr::V4(Ipv4Addr::LOCALHOST)
        }
        _ => {
            return Err(TargetError::BadUrl(format!(
                "give the target as an IP address and port, e.g. http://127.0.0.1:8080 (got {url})"
            )));
        }
    };
    if !ip.is_loopback() && !authorized {
        return Err(TargetError::NotLoopback(url.to_string()));
    }
    let port = url.port_or_known_default().unwrap_or(80);
    Ok((url, SocketAddr::new(ip, port)))
}

impl Target {
    /// Checks the URL, then asks the app who it is. An app that speaks TLS
    /// is trusted by the certificate it presents now (trust on first use):
    /// from then on, the run's browsers trust exactly that certificate.
    pub async fn discover(url: &str, authorized: bool) -> Result<Target, TargetError> {
        Self::discover_trusting(url, authorized, None).await
    }

    /// [`Target::discover`], trusting exactly `certificate` (DER) when the app
    /// speaks TLS: the harness knows the certificate of an app it started.
    pub async fn discover_trusting(
        url: &str,
        authorized: bool,
        certificate: Option<Vec<u8>>,
    ) -> Result<Target, TargetError> {
        let (url, addr) = resolve_target_url(url, authorized)?;
        let mut target = Target::bare(addr, url.scheme(), certificate);
        let unreachable = |e: BrowserError| TargetError::Unreachable {
            url: url.to_string(),
            reason: e.to_string(),
        };
        let well_known = target.app_url(WELL_KNOWN_PATH);
        let page = match Browser::new("lab", target.network())
            .open(&well_known, None)
            .await
        {
            // Plain HTTP may redirect to https: then learn the certificate and ask again.
            Err(BrowserError::UntrustedCertificate { .. }) if target.certificate.is_none() => {
                let learned = fetch_peer_certificate(target.addr, APP_HOST)
                    .await
                    .map_err(unreachable)?;
                target.certificate = Some(learned);
                Browser::new("lab", target.network())
                    .open(&well_known, None)
                    .await
                    .map_err(unreachable)?
            }
            opened => opened.map_err(unreachable)?,
        };
        let info: LabInfo = serde_json::from_str(&page.body).map_err(|e| TargetError::NotALab {
            url: url.to_string(),
            reason: e.to_string(),
        })?;
        // A plain-HTTP request to a TLS profile is redirected: follow where the app sent us.
        target.scheme = page.url.scheme().to_string();
        target.profile = info.label;
        target.base_profile = info.profile;
        target.defenses = info.defenses;
        target.session_cookie = info.session_cookie;
        target.lab_clock = info.lab_clock;
        Ok(target)
    }

    /// The same target, with `instance` as another instance of it (one the
    /// caller started, whose certificate it knows).
    pub fn with_instance(mut self, instance: Instance) -> Self {
        self.instances.push(instance);
        self
    }

    /// The same target, with the app at `url` as another instance of it,
    /// after asking that app who it is: it must run the same profile, with
    /// the same toggles, and speak the same scheme.
    pub async fn with_instance_at(
        mut self,
        url: &str,
        authorized: bool,
    ) -> Result<Self, TargetError> {
        let other = Self::discover(url, authorized).await?;
        if other.profile != self.profile || other.scheme != self.scheme {
            return Err(TargetError::NotALab {
                url: url.to_string(),
                reason: format!(
                    "it runs {} over {}, the target {} over {}: instances of one app run the same profile",
                    other.profile, other.scheme, self.profile, self.scheme
                ),
            });
        }
        if other.addr.port() == self.addr.port() {
            return Err(TargetError::BadUrl(format!(
                "{url} is the target itself: give the other instance's port"
            )));
        }
        self.instances.push(Instance {
            addr: other.addr,
            certificate: other.certificate,
        });
        Ok(self)
    }

    /// A URL on the first other instance, e.g. `https://app.lab.test:41235/account`.
    pub fn instance_url(&self, path_and_query: &str) -> Option<Url> {
        let instance = self.instances.first()?;
        Url::parse(&format!(
            "{}://{APP_HOST}:{}{path_and_query}",
            self.scheme,
            instance.addr.port()
        ))
        .ok()
    }

    /// The same target, its victims using `kind` of browser.
    pub fn with_victim_browser(mut self, kind: BrowserKind) -> Self {
        self.victim_browser = kind;
        self
    }

    /// The same target, with a hold on its lab clock (the timeout scenarios need one).
    pub fn with_clock_control(mut self, control: impl ClockControl + 'static) -> Self {
        self.clock_control = Some(Arc::new(control));
        self
    }

    /// The lab network: `app.lab.test:<port>` leads to the app, whose
    /// certificate (if it speaks TLS) is the one the browsers trust.
    pub fn network(&self) -> Network {
        let mut network = Network::new();
        network.route(APP_HOST, self.addr.port(), self.addr);
        if let Some(certificate) = &self.certificate {
            network.trust_certificate(certificate.clone());
        }
        for instance in &self.instances {
            network.route(APP_HOST, instance.addr.port(), instance.addr);
            if let Some(certificate) = &instance.certificate {
                network.trust_certificate(certificate.clone());
            }
        }
        network
    }

    /// Where the login form is: `/login` on a sessionlab app, `[login].path` on another.
    pub fn login_path(&self) -> &str {
        self.app.as_ref().map_or("/login", |app| &app.login_path)
    }

    /// The page that shows what only the victim may see: the lab app's
    /// `/account` (her private note), or a target file's `[proof].path`.
    pub fn proof_path(&self) -> &str {
        self.app.as_ref().map_or("/account", |app| &app.proof_path)
    }

    /// Whether `body` shows the victim's `note` as this target proves it:
    /// the private-note element of the lab app, the marker on another app.
    /// (A premise check; a verdict's proof is [`RunContext::victim_note_shown`].)
    pub fn shows_victim(&self, body: &str, note: &str) -> bool {
        match &self.app {
            None => shows_private_note(body, note),
            Some(app) => note == app.victim_marker && body.contains(note),
        }
    }

    /// A URL on the app with the app's own scheme, e.g. `https://app.lab.test:41234/login`.
    pub fn app_url(&self, path_and_query: &str) -> Url {
        self.app_url_with_scheme(&self.scheme, path_and_query)
    }

    /// A URL on the app with a chosen scheme (the sniffing scenario's `http://` link).
    pub fn app_url_with_scheme(&self, scheme: &str, path_and_query: &str) -> Url {
        Url::parse(&format!(
            "{scheme}://{APP_HOST}:{}{path_and_query}",
            self.addr.port()
        ))
        .expect("lab URLs are well-formed")
    }
}

/// What a timeout scenario says when the run cannot move the app's clock.
pub const NO_CLOCK_CONTROL: &str = "this scenario moves the app's lab clock forward, and this run has no hold on it. \
Start the app with `sessionlab serve --lab-clock` (it prints a key), then run \
`sessionlab attack --lab-clock-key KEY ...` (`sessionlab demo` needs neither: it holds its own apps' clocks)";

/// A future a [`ClockControl`] returns (boxed, so the trait stays object-safe).
pub type ClockFuture<'a> = Pin<Box<dyn Future<Output = Result<(), RunError>> + Send + 'a>>;

/// How a run moves the target app's lab clock: the app's timeouts read that
/// clock, so the timeout scenarios can wait hours in milliseconds. The
/// attacker in a scenario never gets this power; the lab does.
///
/// The engine never links the app: an app in this process is moved by the
/// harness's implementation (it holds the app's clock), a served one by
/// [`HttpClockControl`].
pub trait ClockControl: Send + Sync + fmt::Debug {
    /// Moves the app's clock forward by `by`.
    fn advance(&self, target: &Target, by: Duration) -> ClockFuture<'_>;
}

/// The HTTP control of an app started with `sessionlab serve --lab-clock`,
/// opened by the key it printed at start-up.
#[derive(Clone)]
pub struct HttpClockControl {
    key: String,
}

impl HttpClockControl {
    pub fn new(key: impl Into<String>) -> Self {
        Self { key: key.into() }
    }
}

/// Never prints the key.
impl fmt::Debug for HttpClockControl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("HttpClockControl { key: <secret> }")
    }
}

impl ClockControl for HttpClockControl {
    fn advance(&self, target: &Target, by: Duration) -> ClockFuture<'_> {
        let target = target.clone();
        Box::pin(async move { advance_over_http(&target, &self.key, by).await })
    }
}

/// `POST /.well-known/sessionlab/clock`, in steps the app accepts (whole
/// seconds, rounded up; at most 30 days each).
async fn advance_over_http(target: &Target, key: &str, by: Duration) -> Result<(), RunError> {
    let url = target.app_url(PATH);
    // Not a lab browser: the lab itself speaks here, with a header no browser sends.
    // The key goes only to the app whose certificate the run trusts.
    let trusted: Vec<Vec<u8>> = target.certificate.iter().cloned().collect();
    let client = reqwest::Client::builder()
        .resolve(APP_HOST, target.addr)
        .use_preconfigured_tls(pinned_client_config(&trusted))
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| RunError::Lab(format!("cannot build an HTTP client: {e}")))?;
    let mut seconds_left = by.as_secs() + u64::from(by.subsec_nanos() > 0);
    while seconds_left > 0 {
        let step = seconds_left.min(MAX_ADVANCE_SECONDS);
        let response = client
            .post(url.clone())
            .header(KEY_HEADER, key)
            .form(&[(FIELD, step.to_string())])
            .send()
            .await
            .map_err(|e| {
                RunError::Lab(format!("cannot reach the lab clock control at {url}: {e}"))
            })?;
        match response.status().as_u16() {
            200 => {}
            404 => {
                return Err(RunError::Lab(format!(
                    "the app has no lab clock control ({url} answered 404): restart it with \
                     `sessionlab serve --lab-clock` and pass the key it prints with --lab-clock-key KEY"
                )));
            }
            403 => {
                return Err(RunError::Lab(
                    "the app refused the lab clock key (403): pass the key that \
                     `sessionlab serve --lab-clock` printed at start-up, with --lab-clock-key KEY"
                        .into(),
                ));
            }
            status => {
                let body = response.text().await.unwrap_or_default();
                return Err(RunError::Lab(format!(
                    "the lab clock control answered {status}: {}",
                    body.lines().next().unwrap_or("")
                )));
            }
        }
        seconds_left -= step;
    }
    Ok(())
}

/// A step failed in a way that makes the run an `error` (not a defense).
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(transparent)]
    Browser(#[from] BrowserError),
    #[error("{0}")]
    Lab(String),
}

/// Everything one scenario run works with.
pub struct RunContext {
    pub target: Target,
    pub victim: Credentials,
    pub attacker: Credentials,
    pub steps: Vec<Step>,
    /// The whole bodies behind each step's exchanges (the steps keep excerpts):
    /// what the proof constructors search. Dropped with the context.
    bodies: Vec<Vec<RecordedBody>>,
    /// Whose each browser is, by the name [`RunContext::browser`] gave it.
    owners: HashMap<String, Actor>,
    /// Every exchange of the run's browsers not yet shown in a step.
    tap: ExchangeTap,
    /// Against a target file: whether this run's [`crate::app_target::check_marker`]
    /// showed the marker private to the victim (no proof without it).
    marker_private: bool,
}

/// A response body as the browser received it.
struct RecordedBody {
    text: String,
    html: bool,
}

impl RunContext {
    pub fn new(target: Target, victim: Credentials, attacker: Credentials) -> Self {
        Self {
            target,
            victim,
            attacker,
            steps: Vec::new(),
            bodies: Vec::new(),
            owners: HashMap::new(),
            tap: ExchangeTap::new(),
            marker_private: false,
        }
    }

    /// Records that this run's marker check passed ([`crate::app_target::check_marker`]).
    pub(crate) fn marker_checked(&mut self) {
        self.marker_private = true;
    }

    /// The page that shows what only the victim may see ([`Target::proof_path`]).
    pub fn proof_url(&self) -> Url {
        self.target.app_url(self.target.proof_path())
    }

    /// The login page ([`Target::login_path`]).
    pub fn login_url(&self) -> Url {
        self.target.app_url(self.target.login_path())
    }

    /// A fresh browser (empty jar, no HSTS memory) on the lab network, owned
    /// by `actor`: its exchanges go into that actor's next step. `name` tells
    /// an actor's browsers apart in the transcript ("victim", "victim-phone").
    pub fn browser(&mut self, actor: Actor, name: &str) -> Browser {
        let previous = self.owners.insert(name.to_string(), actor);
        debug_assert!(
            previous.is_none_or(|owner| owner == actor),
            "the browser name {name:?} belongs to another actor"
        );
        let mut browser = Browser::new(name, self.target.network());
        browser.tap_into(self.tap.clone());
        browser
    }

    /// The victim's browser in a browser-dependent scenario: the simulated
    /// one, or real Chromium when the target says so (`--browser chromium`),
    /// its exchanges in the transcript either way.
    pub fn victim_browser(&mut self, name: &str) -> VictimBrowser {
        match self.target.victim_browser {
            BrowserKind::Sim => VictimBrowser::Sim(self.browser(Actor::Victim, name)),
            BrowserKind::Chromium => {
                self.owners.insert(name.to_string(), Actor::Victim);
                let mut browser =
                    sessionlab_chromium::ChromiumBrowser::new(name, self.target.network());
                browser.tap_into(self.tap.clone());
                VictimBrowser::Chromium(Box::new(browser))
            }
        }
    }

    fn owner(&self, browser: &str) -> Option<Actor> {
        self.owners.get(browser).copied()
    }

    /// Records a step of the transcript, with the HTTP exchanges the actor's
    /// browsers made since the actor's previous step (other actors' exchanges
    /// wait for their own next step). Returns the step's index.
    pub fn step(
        &mut self,
        actor: Actor,
        action: impl Into<String>,
        observed: impl Into<String>,
    ) -> usize {
        let owners = self.owners.clone();
        let tapped = self.tap.take(|browser| owners.get(browser) == Some(&actor));
        self.push_step(actor, action.into(), observed.into(), tapped)
    }

    fn push_step(
        &mut self,
        actor: Actor,
        action: String,
        observed: String,
        tapped: Vec<TappedExchange>,
    ) -> usize {
        let exchanges = tapped
            .iter()
            .map(|t| HttpExchange::new(&t.browser, &t.exchange))
            .collect();
        self.bodies.push(
            tapped
                .into_iter()
                .map(|t| RecordedBody {
                    html: t
                        .exchange
                        .response_header("content-type")
                        .is_some_and(|kind| kind.to_ascii_lowercase().contains("text/html")),
                    text: t.exchange.body,
                })
                .collect(),
        );
        self.steps.push(Step {
            actor,
            action,
            observed,
            exchanges,
        });
        self.steps.len() - 1
    }

    /// Closes the transcript of a run that failed: the exchanges its
    /// browsers made since their actor's last step would otherwise be lost,
    /// and they are what shows where and why it failed. One last step per
    /// actor that has any, in the order they acted.
    pub fn stop_with_error(&mut self, error: &str) {
        let pending = self.tap.take(|_| true);
        let mut actors: Vec<Actor> = Vec::new();
        for tapped in &pending {
            if let Some(actor) = self.owner(&tapped.browser)
                && !actors.contains(&actor)
            {
                actors.push(actor);
            }
        }
        for actor in actors {
            let theirs = pending
                .iter()
                .filter(|tapped| self.owner(&tapped.browser) == Some(actor))
                .cloned()
                .collect();
            self.push_step(
                actor,
                "made the requests below before the run stopped".into(),
                format!("the run stopped here: {error}"),
                theirs,
            );
        }
    }

    /// The one way to `compromised` by reading: the attacker's step `step`
    /// holds a response (200) whose private-note element is `note`, the
    /// victim's own. Its excerpt is moved to show the note. `None` when no
    /// response of that step shows it: then the attack did not get through.
    ///
    /// Against a target file, `note` is the file's victim marker, and the
    /// response must be the proof page (200) containing it, in a run whose
    /// marker check passed (the marker private to the victim).
    pub fn victim_note_shown(
        &mut self,
        step: usize,
        note: &str,
        evidence: impl Into<String>,
    ) -> Option<Verdict> {
        if self.steps.get(step)?.actor != Actor::Attacker || note.is_empty() {
            return None;
        }
        let (kind, exchange) = match self.target.app.clone() {
            None => (
                ProofKind::VictimNote,
                self.find_in_step(step, |x, body| {
                    x.status == 200 && shows_private_note(&body.text, note)
                })?,
            ),
            Some(app) => {
                if !self.marker_private || note != app.victim_marker {
                    return None;
                }
                let exchange = self.find_in_step(step, |x, body| {
                    x.status == 200
                        && Url::parse(&x.url).is_ok_and(|u| u.path() == app.proof_path)
                        && body.text.contains(note)
                })?;
                (ProofKind::VictimMarker, exchange)
            }
        };
        let proof = self.proof_at(kind, step, exchange, note, None)?;
        Some(Verdict::compromised(evidence.into(), proof))
    }

    /// The one way to `compromised` by forgery: the victim's own step `step`
    /// holds her account page (200) whose e-mail element is `value`, the
    /// attacker's change, and `forged_request` is the request that made it.
    /// `None` when her page does not show it.
    pub fn forged_change_shown(
        &mut self,
        step: usize,
        value: &str,
        forged_request: ExchangeRef,
        evidence: impl Into<String>,
    ) -> Option<Verdict> {
        if self.steps.get(step)?.actor != Actor::Victim || value.is_empty() {
            return None;
        }
        self.steps
            .get(forged_request.step)?
            .exchanges
            .get(forged_request.exchange)?;
        // The lab app's e-mail element; on a target file's app, its effect page containing the value.
        let effect = self
            .target
            .app
            .as_ref()
            .and_then(|app| app.csrf.as_ref())
            .map(|csrf| csrf.effect_path.clone());
        let exchange = self.find_in_step(step, |x, body| {
            x.status == 200
                && match &effect {
                    None => html::text_by_id(&body.text, element::EMAIL).as_deref() == Some(value),
                    Some(path) => {
                        Url::parse(&x.url).is_ok_and(|u| u.path() == path)
                            && body.text.contains(value)
                    }
                }
        })?;
        let proof = self.proof_at(
            ProofKind::ForgedChange,
            step,
            exchange,
            value,
            Some(forged_request),
        )?;
        Some(Verdict::compromised(evidence.into(), proof))
    }

    /// The last exchange of step `step` that `shows` accepts.
    fn find_in_step(
        &self,
        step: usize,
        shows: impl Fn(&HttpExchange, &RecordedBody) -> bool,
    ) -> Option<usize> {
        let exchanges = &self.steps.get(step)?.exchanges;
        let bodies = self.bodies.get(step)?;
        exchanges
            .iter()
            .zip(bodies)
            .rposition(|(x, body)| shows(x, body))
    }

    /// A proof at `steps[step].exchanges[exchange]`, whose excerpt is made to
    /// show `value` (so a reader of the transcript sees it where it says).
    fn proof_at(
        &mut self,
        kind: ProofKind,
        step: usize,
        exchange: usize,
        value: &str,
        forged_request: Option<ExchangeRef>,
    ) -> Option<Proof> {
        let body = &self.bodies[step][exchange];
        let excerpt = BodyExcerpt::around(&body.text, body.html, value)?;
        self.steps[step].exchanges[exchange].body = excerpt;
        Some(Proof {
            kind,
            value: value.to_string(),
            step,
            exchange,
            forged_request,
        })
    }

    /// Where the last exchange of `step` that matches `request` sits.
    pub fn find_exchange(
        &self,
        step: usize,
        request: impl Fn(&HttpExchange) -> bool,
    ) -> Option<ExchangeRef> {
        let exchange = self.steps.get(step)?.exchanges.iter().rposition(request)?;
        Some(ExchangeRef { step, exchange })
    }

    pub fn app_url(&self, path_and_query: &str) -> Url {
        self.target.app_url(path_and_query)
    }

    /// Fails at once, with the instructions, when the run cannot move the
    /// app's clock: better than a transcript that stops half-way.
    pub fn require_clock_control(&self) -> Result<(), RunError> {
        match self.target.clock_control {
            Some(_) => Ok(()),
            None => Err(RunError::Lab(NO_CLOCK_CONTROL.into())),
        }
    }

    /// Lets lab time pass: moves the app's clock and the clocks of `browsers`
    /// forward by `by`, together, so cookies age in the browsers as sessions
    /// age on the server. Records no step (the scenario says what the wait
    /// means). Without a clock control, an error that says how to get one.
    pub async fn advance_clock(
        &self,
        by: Duration,
        browsers: &mut [&mut Browser],
    ) -> Result<(), RunError> {
        let control = self
            .target
            .clock_control
            .as_ref()
            .ok_or_else(|| RunError::Lab(NO_CLOCK_CONTROL.into()))?;
        control.advance(&self.target, by).await?;
        for browser in browsers.iter_mut() {
            browser.advance_clock(by);
        }
        Ok(())
    }
}

/// The proof test of every reading scenario: the page's private-note element
/// is exactly the victim's note (a note merely quoted elsewhere is not).
pub fn shows_private_note(body: &str, note: &str) -> bool {
    html::text_by_id(body, element::PRIVATE_NOTE).as_deref() == Some(note)
}

/// Puts a cookie into a browser the attacker controls, as if the app had set it
/// (an attacker can edit their own browser's cookies at will, rules or not).
pub fn plant_cookie(browser: &mut Browser, url: &Url, name: &str, value: &str) {
    browser.jar.plant(url, name, value, SystemTime::now());
}

#[cfg(test)]
mod tests {
    use std::net::{Ipv4Addr, SocketAddr};

    use sessionlab_app::{Profile, ProfileName, ServeOptions};

    use super::*;
    use crate::actors::run_against;
    use crate::outcome::{CookieAction, Outcome};

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_step_holds_the_exchanges_of_its_actor_and_only_those() {
        let server = sessionlab_app::start(ServeOptions {
            profile: Profile::new(ProfileName::Insecure),
            addr: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            allow_non_loopback: false,
            lab_clock: false,
            lab_clock_key: None,
            limits: sessionlab_app::Limits::default(),
            store: Default::default(),
        })
        .await
        .expect("the app starts on loopback");
        let target = Target::discover(&server.url(), false)
            .await
            .expect("the app answers");
        let mut ctx = RunContext::new(
            target,
            Credentials::default_victim(),
            Credentials::default_attacker(),
        );
        let mut victim = ctx.browser(Actor::Victim, "victim");
        let mut phone = ctx.browser(Actor::Victim, "victim-phone");
        let mut attacker = ctx.browser(Actor::Attacker, "attacker");
        victim.open(&ctx.app_url("/login"), None).await.unwrap();
        attacker.open(&ctx.app_url("/"), None).await.unwrap();
        phone.open(&ctx.app_url("/guestbook"), None).await.unwrap();
        // A browser the lab made without the context is not in the transcript.
        let mut untapped = Browser::new("victim", ctx.target.network());
        untapped.open(&ctx.app_url("/"), None).await.unwrap();

        ctx.step(Actor::Victim, "opened two pages", "two pages");
        ctx.step(Actor::Victim, "did nothing", "nothing");
        ctx.step(Actor::Attacker, "opened the home page", "the home page");
        server.shutdown().await;

        let paths = |step: &Step| -> Vec<(String, String)> {
            step.exchanges
                .iter()
                .map(|x| {
                    let path = Url::parse(&x.url).unwrap().path().to_string();
                    (x.browser.clone(), path)
                })
                .collect()
        };
        assert_eq!(
            paths(&ctx.steps[0]),
            [
                ("victim".to_string(), "/login".to_string()),
                ("victim-phone".to_string(), "/guestbook".to_string())
            ]
        );
        assert!(
            ctx.steps[1].exchanges.is_empty(),
            "drained by the first step"
        );
        assert_eq!(
            paths(&ctx.steps[2]),
            [("attacker".to_string(), "/".to_string())]
        );
        // The login page hands out a session: the jar's decision is in the transcript.
        let login = &ctx.steps[0].exchanges[0];
        assert_eq!(login.status, 200);
        assert!(login.response_header("set-cookie").is_some(), "{login:?}");
        assert!(
            login
                .cookies_in
                .iter()
                .any(|note| note.action == CookieAction::Stored),
            "{login:?}"
        );
        assert!(!login.request_headers.iter().any(|(n, _)| n == "User-Agent"));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_scenario_run_carries_the_transcript_in_its_steps() {
        let result = run_against("logout-reuse", Profile::new(ProfileName::Insecure)).await;
        assert_eq!(result.outcome, Outcome::Compromised, "{}", result.evidence);
        for step in &result.steps {
            assert!(!step.exchanges.is_empty(), "{step:?}");
            assert!(
                step.exchanges
                    .iter()
                    .all(|x| x.browser == step.actor.as_str()),
                "{step:?}"
            );
        }
        // The attacker's replay went out with the copied cookie, and was answered with the note.
        let last = result.steps.last().expect("steps");
        let replay = last.exchanges.last().expect("the replay");
        assert!(replay.request_header("cookie").is_some(), "{replay:?}");
        assert!(replay.body.excerpt.contains("private-note"), "{replay:?}");
        // The proof points at that response, and its excerpt holds the note.
        let proof = result
            .proof
            .as_ref()
            .expect("a compromised run has a proof");
        assert_eq!(proof.kind, crate::outcome::ProofKind::VictimNote);
        assert_eq!(Some(proof.step), result.decided_at);
        let shown = result.exchange(proof.at()).expect("the proof's exchange");
        assert!(shown.body.excerpt.contains(&proof.value), "{shown:?}");
        assert_eq!(result.steps[proof.step].actor, Actor::Attacker);
        let json = serde_json::to_string(&result).expect("serialises");
        assert!(json.contains("\"exchanges\""));
    }
}
