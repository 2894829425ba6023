//! The lab around one scenario run: the target, the credentials, the network
//! the actors' browsers live in, and the step log.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::{Duration, SystemTime};

use serde::Deserialize;
use sessionlab_app::LabClock;
use sessionlab_app::clock_control::{self, MAX_ADVANCE_SECONDS};
use sessionlab_browser::browser::ExchangeTap;
use sessionlab_browser::{Browser, BrowserError, Network};
use url::Url;

use crate::outcome::{Actor, HttpExchange, Step};

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
        Self::new("alice", "wonderland")
    }

    /// The attacker's own account unless told otherwise: the demo account bob.
    pub fn default_attacker() -> Self {
        Self::new("bob", "builder")
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
    #[error("{url} answered, but not as a sessionlab app ({reason})")]
    NotALab { url: String, reason: String },
}

/// What the app says about itself at `/.well-known/sessionlab` (the banner of every page says the same).
#[derive(Debug, Clone, Deserialize)]
struct LabInfo {
    label: String,
    defenses: Vec<String>,
    session_cookie: String,
    /// Whether the app opened its lab clock's HTTP control (`serve --lab-clock`).
    #[serde(default)]
    lab_clock: bool,
}

/// A target app, as the engine reaches it.
#[derive(Debug, Clone)]
pub struct Target {
    /// The real socket address (loopback unless the user said they are authorised).
    pub addr: SocketAddr,
    /// "https" when the app speaks TLS, else "http".
    pub scheme: String,
    /// The profile label the app reports, e.g. "hardened".
    pub profile: String,
    pub defenses: Vec<String>,
    /// The session cookie's name (public: any `Set-Cookie` from the app shows it).
    pub session_cookie: String,
    /// Whether the app says its lab clock can be moved over HTTP (`serve --lab-clock`).
    pub lab_clock: bool,
    /// How this run may move the app's lab clock, if at all (see [`ClockControl`]).
    pub clock_control: Option<ClockControl>,
}

impl Target {
    /// Checks the URL, then asks the app who it is.
    pub async fn discover(url: &str, authorized: bool) -> Result<Target, TargetError> {
        let url = Url::parse(url)
            .map_err(|e| TargetError::BadUrl(format!("bad target URL {url:?}: {e}")))?;
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
        let addr = SocketAddr::new(ip, port);
        let mut target = Target {
            addr,
            scheme: url.scheme().to_string(),
            profile: String::new(),
            defenses: Vec::new(),
            session_cookie: String::new(),
            lab_clock: false,
            clock_control: None,
        };
        let mut browser = Browser::new("lab", target.network());
        let page = browser
            .open(&target.app_url("/.well-known/sessionlab"), None)
            .await
            .map_err(|e| TargetError::Unreachable {
                url: url.to_string(),
                reason: e.to_string(),
            })?;
        let info: LabInfo = serde_json::from_str(&page.body).map_err(|e| TargetError::NotALab {
            url: url.to_string(),
            reason: e.to_string(),
        })?;
        // A plain-HTTP request to a TLS profile is redirected: follow where the app sent us.
        target.scheme = page.url.scheme().to_string();
        target.profile = info.label;
        target.defenses = info.defenses;
        target.session_cookie = info.session_cookie;
        target.lab_clock = info.lab_clock;
        Ok(target)
    }

    /// The same target, with a hold on its lab clock (the timeout scenarios need one).
    pub fn with_clock_control(mut self, control: ClockControl) -> Self {
        self.clock_control = Some(control);
        self
    }

    /// The lab network: `app.lab.test:<port>` leads to the app.
    pub fn network(&self) -> Network {
        let mut network = Network::new();
        network.route(APP_HOST, self.addr.port(), self.addr);
        network
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

/// How a run moves the target app's lab clock (`sessionlab_app::clock`): the
/// app's timeouts read that clock, so the timeout scenarios can wait hours in
/// milliseconds. The attacker in a scenario never gets this power; the lab does.
#[derive(Clone)]
pub enum ClockControl {
    /// The app runs in this process (`demo`, tests): its clock itself.
    InProcess(LabClock),
    /// An app started with `sessionlab serve --lab-clock`: its HTTP control,
    /// opened by the key it printed at start-up.
    Http { key: String },
}

/// Never prints the key.
impl fmt::Debug for ClockControl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InProcess(clock) => f.debug_tuple("InProcess").field(clock).finish(),
            Self::Http { .. } => f.write_str("Http { key: <secret> }"),
        }
    }
}

impl ClockControl {
    /// Moves the app's clock forward by `by`.
    pub async fn advance(&self, target: &Target, by: Duration) -> Result<(), RunError> {
        match self {
            Self::InProcess(clock) => {
                clock.advance_std(by);
                Ok(())
            }
            Self::Http { key } => advance_over_http(target, key, by).await,
        }
    }
}

/// `POST /.well-known/sessionlab/clock`, in steps the app accepts (whole
/// seconds, rounded up; at most 30 days each).
async fn advance_over_http(target: &Target, key: &str, by: Duration) -> Result<(), RunError> {
    let url = target.app_url(clock_control::PATH);
    // Not a lab browser: the lab itself speaks here, with a header no browser sends.
    // The app's TLS certificate is self-signed, as for the browsers.
    let client = reqwest::Client::builder()
        .resolve(APP_HOST, target.addr)
        .danger_accept_invalid_certs(true)
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| RunError::Lab(format!("cannot build an HTTP client: {e}")))?;
    let mut seconds_left = by.as_secs() + u64::from(by.subsec_nanos() > 0);
    while seconds_left > 0 {
        let step = seconds_left.min(MAX_ADVANCE_SECONDS);
        let response = client
            .post(url.clone())
            .header(clock_control::KEY_HEADER, key)
            .form(&[(clock_control::FIELD, step.to_string())])
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
    /// Every exchange of the run's browsers not yet shown in a step.
    tap: ExchangeTap,
}

impl RunContext {
    pub fn new(target: Target, victim: Credentials, attacker: Credentials) -> Self {
        Self {
            target,
            victim,
            attacker,
            steps: Vec::new(),
            tap: ExchangeTap::new(),
        }
    }

    /// A fresh browser (empty jar, no HSTS memory) on the lab network. Its
    /// name says whose it is ([`Actor::of_browser`]): its exchanges go into
    /// that actor's next step.
    pub fn browser(&self, name: &str) -> Browser {
        let mut browser = Browser::new(name, self.target.network());
        browser.tap_into(self.tap.clone());
        browser
    }

    /// Records a step of the transcript, with the HTTP exchanges the actor's
    /// browsers made since the actor's previous step (other actors' exchanges
    /// wait for their own next step).
    pub fn step(&mut self, actor: Actor, action: impl Into<String>, observed: impl Into<String>) {
        let exchanges = self
            .tap
            .take(|browser| Actor::of_browser(browser) == actor)
            .iter()
            .map(|tapped| HttpExchange::new(&tapped.browser, &tapped.exchange))
            .collect();
        self.steps.push(Step {
            actor,
            action: action.into(),
            observed: observed.into(),
            exchanges,
        });
    }

    /// Closes the transcript of a run that failed: the exchanges its
    /// browsers made since their actor's last step would otherwise be lost,
    /// and they are what shows where and why it failed. One last step per
    /// actor that has any, in the order they acted.
    pub fn stop_with_error(&mut self, error: &str) {
        let pending = self.tap.take(|_| true);
        let mut actors: Vec<Actor> = Vec::new();
        for tapped in &pending {
            let actor = Actor::of_browser(&tapped.browser);
            if !actors.contains(&actor) {
                actors.push(actor);
            }
        }
        for actor in actors {
            let exchanges = pending
                .iter()
                .filter(|tapped| Actor::of_browser(&tapped.browser) == actor)
                .map(|tapped| HttpExchange::new(&tapped.browser, &tapped.exchange))
                .collect();
            self.steps.push(Step {
                actor,
                action: "made the requests below before the run stopped".into(),
                observed: format!("the run stopped here: {error}"),
                exchanges,
            });
        }
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
        let mut victim = ctx.browser("victim");
        let mut phone = ctx.browser("victim-phone");
        let mut attacker = ctx.browser("attacker");
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
                    .all(|x| Actor::of_browser(&x.browser) == step.actor),
                "{step:?}"
            );
        }
        // The attacker's replay went out with the copied cookie, and was answered with the note.
        let last = result.steps.last().expect("steps");
        let replay = last.exchanges.last().expect("the replay");
        assert!(replay.request_header("cookie").is_some(), "{replay:?}");
        assert!(replay.body.excerpt.contains("private-note"), "{replay:?}");
        let json = serde_json::to_string(&result).expect("serialises");
        assert!(json.contains("\"exchanges\""));
    }
}
