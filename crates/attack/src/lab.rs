//! The lab around one scenario run: the target, the credentials, the network
//! the actors' browsers live in, and the step log.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::SystemTime;

use serde::Deserialize;
use sessionlab_browser::{Browser, BrowserError, Network};
use url::Url;

use crate::outcome::{Actor, Step};

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
        Ok(target)
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
}

impl RunContext {
    pub fn new(target: Target, victim: Credentials, attacker: Credentials) -> Self {
        Self {
            target,
            victim,
            attacker,
            steps: Vec::new(),
        }
    }

    /// A fresh browser (empty jar, no HSTS memory) on the lab network.
    pub fn browser(&self, name: &str) -> Browser {
        Browser::new(name, self.target.network())
    }

    /// Records a step of the transcript.
    pub fn step(&mut self, actor: Actor, action: impl Into<String>, observed: impl Into<String>) {
        self.steps.push(Step {
            actor,
            action: action.into(),
            observed: observed.into(),
        });
    }

    pub fn app_url(&self, path_and_query: &str) -> Url {
        self.target.app_url(path_and_query)
    }
}

/// Puts a cookie into a browser the attacker controls, as if the app had set it
/// (an attacker can edit their own browser's cookies at will, rules or not).
pub fn plant_cookie(browser: &mut Browser, url: &Url, name: &str, value: &str) {
    browser.jar.plant(url, name, value, SystemTime::now());
}
