//! Real Chromium as a lab browser.
//!
//! [`ChromiumBrowser`] is one actor's browser: its own headless Chromium
//! process (started at its first request, so the lab network is complete by
//! then), one browser context in it (its own cookie store and HSTS memory),
//! one page. It speaks the DevTools protocol through a small client of its own
//! ([`cdp`]) and turns Chromium's Network events into the lab's
//! [`Exchange`]s ([`events`]): headers as they crossed the wire, status, the
//! body Chromium received, and what Chromium's cookie store did with each
//! cookie, with Chromium's own reasons (`SameSiteStrict`, `InvalidPrefix`,
//! `SecureOnly`, ...).
//!
//! The lab's host names reach Chromium through `--host-resolver-rules` made
//! from the actor's [`Network`] (`MAP app.lab.test:41234 127.0.0.1:41234`,
//! every other name unresolvable), and the app's certificate is trusted by its
//! SPKI hash (`--ignore-certificate-errors-spki-list`); never by
//! `--ignore-certificate-errors`, which makes Chromium drop HSTS.

pub mod cdp;
pub mod events;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};
use sessionlab_browser::browser::ExchangeTap;
use sessionlab_browser::{Exchange, Network, Page, ScriptEffect, StoredCookie};
use sha2::{Digest, Sha256};
use url::Url;

use cdp::{Connection, lock};
use events::PageState;

/// The Debian package that brings `/usr/bin/chromium`.
pub const DEBIAN_PACKAGE: &str = "chromium";

/// How long Chromium may take to start and open its DevTools port.
const START_TIMEOUT: Duration = Duration::from_secs(20);
/// How long one action (a navigation, a form, a click) may take to settle.
const SETTLE_TIMEOUT: Duration = Duration::from_secs(15);
/// Quiet time after the last network event before an action counts as done:
/// long enough for a page script's `fetch()` or `form.submit()` to start.
const QUIET: Duration = Duration::from_millis(60);

/// The flags every lab Chromium runs with: headless, runnable as root (in a
/// container or CI), and with no network or background traffic of its own.
const FLAGS: &[&str] = &[
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--disable-dev-shm-usage",
    "--mute-audio",
    "--remote-debugging-port=0",
];

/// Records CSP violations where the lab can read them (an init script is not
/// subject to the page's CSP).
const CSP_LISTENER: &str = "window.__sessionlabCsp = [];\
document.addEventListener('securitypolicyviolation', e => window.__sessionlabCsp.push(e.originalPolicy));";

#[derive(Debug, thiserror::Error)]
pub enum ChromiumError {
    #[error(
        "Chromium is not installed: `--browser chromium` needs Debian's package `{DEBIAN_PACKAGE}` (apt-get install {DEBIAN_PACKAGE}), or SESSIONLAB_CHROMIUM naming a Chromium binary"
    )]
    Missing,
    #[error("could not start Chromium ({0})")]
    Start(String),
    #[error("Chromium DevTools: {0}")]
    Protocol(String),
    #[error("Chromium: {0}")]
    Page(String),
}

/// The Chromium binary: `SESSIONLAB_CHROMIUM` if set, else `chromium` (or
/// `chromium-browser`) on `PATH`.
pub fn find_chromium() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("SESSIONLAB_CHROMIUM") {
        let path = PathBuf::from(path);
        return path.is_file().then_some(path);
    }
    let dirs = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&dirs)
        .flat_map(|dir| ["chromium", "chromium-browser"].map(|name| dir.join(name)))
        .find(|candidate| candidate.is_file())
}

/// Set to `1` (as `.ci/run` does), a test that needs Chromium fails when it is missing instead of skipping.
pub const REQUIRE_VARIABLE: &str = "SESSIONLAB_REQUIRE_CHROMIUM";

/// For a test that needs Chromium: whether it must skip (Chromium is
/// missing; said on stderr). Panics instead when [`REQUIRE_VARIABLE`] is `1`.
pub fn missing_for_test(test: &str) -> bool {
    if find_chromium().is_some() {
        return false;
    }
    let required = std::env::var(REQUIRE_VARIABLE).is_ok_and(|v| v == "1");
    assert!(
        !required,
        "{REQUIRE_VARIABLE}=1 but {}",
        ChromiumError::Missing
    );
    eprintln!(
        "{test}: skipped: {} (CI installs it)",
        ChromiumError::Missing
    );
    true
}

/// base64(SHA-256(SubjectPublicKeyInfo)) of a DER certificate: what
/// `--ignore-certificate-errors-spki-list` takes.
pub fn spki_hash(certificate_der: &[u8]) -> Result<String, ChromiumError> {
    let (_, certificate) = x509_parser::parse_x509_certificate(certificate_der)
        .map_err(|e| ChromiumError::Start(format!("cannot read the app's certificate: {e}")))?;
    let spki = certificate.tbs_certificate.subject_pki.raw;
    Ok(STANDARD.encode(Sha256::digest(spki)))
}

/// `--host-resolver-rules` for a lab network: each `host:port` onto its
/// socket address, every other name unresolvable (nothing touches real DNS).
pub fn host_resolver_rules(network: &Network) -> String {
    let mut rules: Vec<String> = network
        .routes()
        .map(|(host, port, to)| format!("MAP {host}:{port} {to}"))
        .collect();
    rules.sort();
    rules.push("MAP * ~NOTFOUND".into());
    rules.join(", ")
}

/// `--host-resolver-rules` for a browser on a person's own machine, where
/// the class runs: `localhost` and every `*.localhost` name left to
/// Chromium's own rule (loopback, RFC 6761; no DNS is asked), every other
/// name unresolvable.
pub const LOCALHOST_ONLY_RULES: &str = "MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE *.localhost";

/// Which names a [`ChromiumBrowser`] can reach.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Names {
    /// Only its [`Network`]'s routes ([`host_resolver_rules`]).
    LabNetwork,
    /// `localhost` and `*.localhost`, as on any machine ([`LOCALHOST_ONLY_RULES`]).
    Localhost,
}

/// One Chromium process, ended (with its helpers) and its profile removed on drop.
struct Process {
    child: Child,
    profile: PathBuf,
}

impl Drop for Process {
    fn drop(&mut self) {
        // The process group this process leads: Chromium and the helpers it started.
        let group = self.child.id() as libc::pid_t;
        // SAFETY: kill(2) on our own child's process group; no memory is touched.
        unsafe {
            libc::kill(-group, libc::SIGKILL);
        }
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

/// A started browser: process, connection, context, page.
struct Session {
    connection: Connection,
    session_id: String,
    context_id: String,
    state: Arc<Mutex<PageState>>,
    // Last: dropped after the connection's users.
    _process: Process,
}

/// One actor's real browser (see the crate documentation).
pub struct ChromiumBrowser {
    pub name: String,
    /// The lab network as this actor sees it; read when Chromium starts.
    pub network: Network,
    /// Every exchange this browser made, in order.
    pub exchanges: Vec<Exchange>,
    /// The cookies of its context after its last action (`Storage.getCookies`).
    pub cookies: Vec<StoredCookie>,
    tap: Option<ExchangeTap>,
    session: Option<Session>,
    names: Names,
}

impl std::fmt::Debug for ChromiumBrowser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChromiumBrowser")
            .field("name", &self.name)
            .field("started", &self.session.is_some())
            .finish()
    }
}

impl Drop for ChromiumBrowser {
    fn drop(&mut self) {
        if let Some(session) = &self.session {
            session.connection.forget(&session.session_id);
        }
    }
}

impl ChromiumBrowser {
    /// A browser for `name` on `network`; Chromium starts at the first request.
    pub fn new(name: impl Into<String>, network: Network) -> Self {
        Self {
            name: name.into(),
            network,
            exchanges: Vec::new(),
            cookies: Vec::new(),
            tap: None,
            session: None,
            names: Names::LabNetwork,
        }
    }

    /// A browser as a student's or an instructor's on their own machine:
    /// it reaches `localhost` and `*.localhost` the way a browser does
    /// there, and nothing else. For driving the class hub the way a person
    /// does ([`Self::type_into`], [`Self::press`]).
    pub fn on_localhost(name: impl Into<String>) -> Self {
        let mut browser = Self::new(name, Network::new());
        browser.names = Names::Localhost;
        browser
    }

    /// Copies every exchange into `tap` as well (the run's transcript).
    pub fn tap_into(&mut self, tap: ExchangeTap) {
        self.tap = Some(tap);
    }

    /// Opens `url` as if typed into the address bar.
    pub async fn open(&mut self, url: &Url) -> Result<Page, ChromiumError> {
        self.start().await?;
        let session = self.session.as_ref().expect("started");
        lock(&session.state).load_fired = false;
        let answer = session
            .connection
            .call(
                Some(&session.session_id),
                "Page.navigate",
                json!({ "url": url.as_str() }),
            )
            .await?;
        if let Some(error) = answer.get("errorText").and_then(Value::as_str) {
            // The failed request is in the transcript too.
            let _ = self.settle().await;
            return Err(ChromiumError::Page(format!(
                "opening {url} failed: {error}"
            )));
        }
        self.settle().await
    }

    /// Fills the fields of the shown page's form whose action path is
    /// `action_path` and submits it, as a person pressing its button would.
    pub async fn submit_form(
        &mut self,
        action_path: &str,
        fields: &[(&str, &str)],
    ) -> Result<Page, ChromiumError> {
        let script = format!(
            "(() => {{ const form = [...document.forms].find(f => new URL(f.action, location.href).pathname === {action});\
              if (!form) return false;\
              for (const [name, value] of {fields}) {{\
                let input = form.elements[name];\
                if (!input) {{ input = document.createElement('input'); input.type = 'hidden'; input.name = name; form.appendChild(input); }}\
                input.value = value; }}\
              form.submit(); return true; }})()",
            action = json!(action_path),
            fields = json!(fields),
        );
        self.act(&script, &format!("a form posting to {action_path}"))
            .await
    }

    /// Clicks the first link of the shown page whose text or address contains `contains`.
    pub async fn follow_link(&mut self, contains: &str) -> Result<Page, ChromiumError> {
        let script = format!(
            "(() => {{ const a = [...document.links].find(a => a.textContent.includes({0}) || a.href.includes({0}));\
              if (!a) return false; a.click(); return true; }})()",
            json!(contains)
        );
        self.act(&script, &format!("a link to {contains}")).await
    }

    /// Clicks the element `selector` finds with the mouse, as a person
    /// does (scrolled into view, pressed and released at its centre: the
    /// browser's own events, trusted, with no header set by the lab), and
    /// waits for the page it leads to.
    pub async fn press(&mut self, selector: &str) -> Result<Page, ChromiumError> {
        self.start().await?;
        lock(&self.session.as_ref().expect("started").state).load_fired = false;
        self.mouse_click(selector).await?;
        self.settle().await
    }

    /// Clicks the field `selector` finds, to focus it, and types `text`
    /// into it as keyboard input (`Input.insertText`).
    pub async fn type_into(&mut self, selector: &str, text: &str) -> Result<(), ChromiumError> {
        self.start().await?;
        self.mouse_click(selector).await?;
        let session = self.session.as_ref().expect("started");
        session
            .connection
            .call(
                Some(&session.session_id),
                "Input.insertText",
                json!({ "text": text }),
            )
            .await?;
        Ok(())
    }

    /// The value of `expression` in the shown page (for a test to read what
    /// a person would see there: a cell's text, the page's width).
    pub async fn evaluate(&mut self, expression: &str) -> Result<Value, ChromiumError> {
        self.start().await?;
        evaluate(self.session.as_ref().expect("started"), expression).await
    }

    /// Sets the viewport, as a window of that size: `width` by `height` CSS pixels.
    pub async fn set_viewport(&mut self, width: u32, height: u32) -> Result<(), ChromiumError> {
        self.start().await?;
        let session = self.session.as_ref().expect("started");
        session
            .connection
            .call(
                Some(&session.session_id),
                "Emulation.setDeviceMetricsOverride",
                json!({ "width": width, "height": height, "deviceScaleFactor": 1, "mobile": false }),
            )
            .await?;
        Ok(())
    }

    async fn mouse_click(&mut self, selector: &str) -> Result<(), ChromiumError> {
        let session = self.session.as_ref().expect("started");
        let script = format!(
            "(() => {{ const el = document.querySelector({0}); if (!el) return null;\
              el.scrollIntoView({{ block: 'center' }}); const r = el.getBoundingClientRect();\
              return [r.left + r.width / 2, r.top + r.height / 2]; }})()",
            json!(selector)
        );
        let centre = evaluate(session, &script).await?;
        let (Some(x), Some(y)) = (centre[0].as_f64(), centre[1].as_f64()) else {
            return Err(ChromiumError::Page(format!(
                "the page shows nothing matching {selector}"
            )));
        };
        for kind in ["mouseMoved", "mousePressed", "mouseReleased"] {
            session
                .connection
                .call(
                    Some(&session.session_id),
                    "Input.dispatchMouseEvent",
                    json!({ "type": kind, "x": x, "y": y, "button": "left", "clickCount": 1 }),
                )
                .await?;
        }
        Ok(())
    }

    /// Runs `script`, which returns whether it found what it acts on, then settles.
    async fn act(&mut self, script: &str, what: &str) -> Result<Page, ChromiumError> {
        self.start().await?;
        let session = self.session.as_ref().expect("started");
        lock(&session.state).load_fired = false;
        let found = evaluate(session, script).await?;
        if found != Value::Bool(true) {
            return Err(ChromiumError::Page(format!("the page shows no {what}")));
        }
        self.settle().await
    }

    /// Waits until the action is over, then turns what Chromium reported into
    /// exchanges and the page it shows.
    async fn settle(&mut self) -> Result<Page, ChromiumError> {
        let session = self.session.as_ref().expect("started");
        let began = Instant::now();
        loop {
            tokio::time::sleep(Duration::from_millis(10)).await;
            let state = lock(&session.state);
            let quiet = state.last_activity.elapsed();
            if state.idle() && quiet >= QUIET && (state.load_fired || quiet >= QUIET * 10) {
                break;
            }
            if began.elapsed() > SETTLE_TIMEOUT {
                return Err(ChromiumError::Page(format!(
                    "the page did not settle within {}s",
                    SETTLE_TIMEOUT.as_secs()
                )));
            }
        }
        let drained = lock(&session.state).drain();
        let cookies = session
            .connection
            .call(
                None,
                "Storage.getCookies",
                json!({ "browserContextId": session.context_id }),
            )
            .await?;
        self.cookies = cookies["cookies"]
            .as_array()
            .map(|all| all.iter().map(events::cookie_of).collect())
            .unwrap_or_default();
        let mut scripts = Vec::new();
        let violations = evaluate(session, "window.__sessionlabCsp || []").await?;
        for policy in violations.as_array().into_iter().flatten() {
            scripts.push(ScriptEffect::BlockedByCsp {
                policy: policy.as_str().unwrap_or("").to_string(),
            });
        }
        let document_cookie = evaluate(session, "document.cookie").await?;
        for url in &drained.fetched {
            scripts.push(ScriptEffect::Exfiltrated {
                document_cookie: document_cookie.as_str().unwrap_or("").to_string(),
                request: url.clone(),
            });
        }
        let page = drained.document.map(|index| {
            let document = &drained.exchanges[index];
            Page {
                url: document.url.clone(),
                status: document.status,
                headers: document.response_headers.clone(),
                body: document.body.clone(),
                scripts,
            }
        });
        for exchange in drained.exchanges {
            if let Some(tap) = &self.tap {
                tap.record(&self.name, &exchange);
            }
            self.exchanges.push(exchange);
        }
        page.ok_or_else(|| ChromiumError::Page("no page was loaded".into()))
    }

    /// Starts Chromium, its context and its page, unless already started.
    async fn start(&mut self) -> Result<(), ChromiumError> {
        if self.session.is_some() {
            return Ok(());
        }
        let binary = find_chromium().ok_or(ChromiumError::Missing)?;
        let profile = std::env::temp_dir().join(format!(
            "sessionlab-chromium-{}-{:016x}",
            std::process::id(),
            rand::random::<u64>()
        ));
        std::fs::create_dir_all(&profile).map_err(|e| ChromiumError::Start(e.to_string()))?;
        let mut command = Command::new(&binary);
        command
            .args(FLAGS)
            .arg(format!("--user-data-dir={}", profile.display()))
            .arg(format!(
                "--host-resolver-rules={}",
                match self.names {
                    Names::LabNetwork => host_resolver_rules(&self.network),
                    Names::Localhost => LOCALHOST_ONLY_RULES.to_owned(),
                }
            ));
        let hashes = self
            .network
            .trusted_certificates()
            .iter()
            .map(|der| spki_hash(der))
            .collect::<Result<Vec<_>, _>>()?;
        if !hashes.is_empty() {
            command.arg(format!(
                "--ignore-certificate-errors-spki-list={}",
                hashes.join(",")
            ));
        }
        command
            .arg("about:blank")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        std::os::unix::process::CommandExt::process_group(&mut command, 0);
        let child = command
            .spawn()
            .map_err(|e| ChromiumError::Start(format!("{}: {e}", binary.display())))?;
        let process = Process { child, profile };
        let ws_url = devtools_url(&process.profile).await?;
        let connection = Connection::connect(&ws_url).await?;
        let context = connection
            .call(None, "Target.createBrowserContext", json!({}))
            .await?;
        let context_id = context["browserContextId"]
            .as_str()
            .unwrap_or("")
            .to_string();
        let target = connection
            .call(
                None,
                "Target.createTarget",
                json!({ "url": "about:blank", "browserContextId": context_id }),
            )
            .await?;
        let target_id = target["targetId"].as_str().unwrap_or("").to_string();
        let attached = connection
            .call(
                None,
                "Target.attachToTarget",
                json!({ "targetId": target_id, "flatten": true }),
            )
            .await?;
        let session_id = attached["sessionId"].as_str().unwrap_or("").to_string();
        // A page's main frame has its target's id.
        let state = Arc::new(Mutex::new(PageState::new(target_id)));
        let (handler_state, handler_connection, handler_session) =
            (state.clone(), connection.clone(), session_id.clone());
        connection.on_events(
            &session_id,
            Box::new(move |method, params| {
                let fetch_body = lock(&handler_state).apply(method, params);
                if let Some(request_id) = fetch_body {
                    let (state, connection, session) = (
                        handler_state.clone(),
                        handler_connection.clone(),
                        handler_session.clone(),
                    );
                    tokio::spawn(async move {
                        let body = connection
                            .call(
                                Some(&session),
                                "Network.getResponseBody",
                                json!({ "requestId": request_id }),
                            )
                            .await
                            .ok()
                            .map(|answer| decode_body(&answer));
                        lock(&state).set_body(&request_id, body);
                    });
                }
            }),
        );
        let on_page = |method: &'static str, params: Value| {
            let connection = connection.clone();
            let session_id = session_id.clone();
            async move { connection.call(Some(&session_id), method, params).await }
        };
        on_page("Network.enable", json!({})).await?;
        on_page("Page.enable", json!({})).await?;
        on_page(
            "Page.addScriptToEvaluateOnNewDocument",
            json!({ "source": CSP_LISTENER }),
        )
        .await?;
        self.session = Some(Session {
            connection,
            session_id,
            context_id,
            state,
            _process: process,
        });
        Ok(())
    }

    /// The values of the cookies named `name` in this browser's store.
    pub fn cookie_values(&self, name: &str) -> Vec<String> {
        self.cookies
            .iter()
            .filter(|c| c.name == name)
            .map(|c| c.value.clone())
            .collect()
    }

    /// When a cookie of this name was stored, as seen in the responses.
    pub fn stored_at(&self, name: &str) -> Option<SystemTime> {
        let session = self.session.as_ref()?;
        let state = lock(&session.state);
        state
            .stored_at
            .iter()
            .filter(|((n, _), _)| n == name)
            .map(|(_, at)| *at)
            .max()
    }
}

async fn evaluate(session: &Session, expression: &str) -> Result<Value, ChromiumError> {
    let answer = session
        .connection
        .call(
            Some(&session.session_id),
            "Runtime.evaluate",
            json!({ "expression": expression, "returnByValue": true }),
        )
        .await?;
    if let Some(exception) = answer.get("exceptionDetails") {
        return Err(ChromiumError::Page(format!(
            "a lab script failed: {exception}"
        )));
    }
    Ok(answer["result"]["value"].clone())
}

fn decode_body(answer: &Value) -> String {
    let body = answer["body"].as_str().unwrap_or("");
    if answer["base64Encoded"].as_bool().unwrap_or(false) {
        STANDARD
            .decode(body)
            .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
            .unwrap_or_default()
    } else {
        body.to_string()
    }
}

/// Waits for Chromium to write `DevToolsActivePort` into its profile.
async fn devtools_url(profile: &Path) -> Result<String, ChromiumError> {
    let file = profile.join("DevToolsActivePort");
    let began = Instant::now();
    while began.elapsed() < START_TIMEOUT {
        if let Ok(text) = std::fs::read_to_string(&file) {
            let mut lines = text.lines();
            if let (Some(port), Some(path)) = (lines.next(), lines.next()) {
                return Ok(format!("ws://127.0.0.1:{port}{path}"));
            }
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Err(ChromiumError::Start(format!(
        "no DevTools port after {}s",
        START_TIMEOUT.as_secs()
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_spki_hash_is_that_of_the_certificates_own_key() {
        use rcgen::PublicKeyData;
        let key = rcgen::KeyPair::generate().expect("a key");
        let params = rcgen::CertificateParams::new(vec!["app.lab.test".into()]).expect("params");
        let certificate = params.self_signed(&key).expect("a certificate");
        let expected = STANDARD.encode(Sha256::digest(key.subject_public_key_info()));
        assert_eq!(spki_hash(certificate.der()).expect("parses"), expected);
        assert!(spki_hash(b"not a certificate").is_err());
    }

    #[test]
    fn the_rules_map_each_route_and_nothing_else() {
        let mut network = Network::new();
        network.route("app.lab.test", 4000, "127.0.0.1:5000".parse().unwrap());
        network.route("evil.test", 6000, "127.0.0.1:6000".parse().unwrap());
        assert_eq!(
            host_resolver_rules(&network),
            "MAP app.lab.test:4000 127.0.0.1:5000, MAP evil.test:6000 127.0.0.1:6000, MAP * ~NOTFOUND"
        );
    }
}
