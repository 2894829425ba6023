//! Starting the app: binding, TLS on the same port, the loopback guard, and
//! the connection-level bounds: the head's size and time limits here, the
//! connection cap (`bounds/connection_cap.rs`).

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::{HttpService, service_fn};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;
use tokio::task::{JoinHandle, JoinSet};
use tokio_rustls::TlsAcceptor;

use crate::app::{Joined, build_app};
use crate::bounds::Limits;
use crate::bounds::connection_cap::{self, ConnectionCap};
use crate::clock_control::LabClockKey;
use crate::defenses::{signed_cookie, tls};
use crate::store::{LabStore, StoreChoice};
use crate::users::UserDirectory;
use crate::{DemoAccount, LabClock, Profile, ProfileName};

/// Request head limit (request line and headers): a larger head, e.g. a huge
/// Cookie header, gets 431 and the connection is closed. Enforced by hyper's
/// `max_header_size` on the parsed head; the read buffer's cap
/// (`max_buf_size`) alone would let a head arriving in one large read pass.
pub const MAX_REQUEST_HEAD_BYTES: usize = 64 * 1024;
/// How long a client may take to send its first byte, TLS handshake or request head.
const CLIENT_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("{0}")]
    RefusedAddress(String),
    #[error("could not bind {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("TLS set-up failed: {0}")]
    Tls(String),
    /// The session store could not be opened or reached at start-up.
    #[error("{0}")]
    Store(String),
}

#[derive(Debug, Clone)]
pub struct ServeOptions {
    pub profile: Profile,
    pub addr: SocketAddr,
    /// Set only by the loudly named `--expose-vulnerable-app` flag.
    pub allow_non_loopback: bool,
    /// `--lab-clock`: open the clock's HTTP control, guarded by a key made at
    /// start-up (`RunningServer::lab_clock_key`). Off: no client can move time.
    pub lab_clock: bool,
    /// With `lab_clock`: this key instead of a fresh one (`SESSIONLAB_CLOCK_KEY`
    /// or `serve --lab-clock-key-file`), so it need not be on a command line.
    pub lab_clock_key: Option<LabClockKey>,
    /// Request deadline, connection cap, stored sessions (`bounds/`).
    pub limits: Limits,
    /// `--store`: where sessions live (memory by default; `store.rs`).
    pub store: StoreChoice,
}

impl ServeOptions {
    /// `profile` on `addr` with the default limits, no lab clock, loopback only.
    pub fn new(profile: Profile, addr: SocketAddr) -> Self {
        Self {
            profile,
            addr,
            allow_non_loopback: false,
            lab_clock: false,
            lab_clock_key: None,
            limits: Limits::default(),
            store: StoreChoice::memory(),
        }
    }
}

/// A running app. Dropping it does not stop it; call [`RunningServer::shutdown`].
pub struct RunningServer {
    pub addr: SocketAddr,
    pub profile: Profile,
    pub accounts: Vec<DemoAccount>,
    /// A line for the operator, e.g. that `SESSION_SECRET` is unset (tutorial).
    pub notice: Option<String>,
    session_cookie_name: &'static str,
    clock: LabClock,
    lab_clock_key: Option<LabClockKey>,
    /// PEM, DER and the SPKI hash of the TLS certificate, when the profile has TLS.
    certificate: Option<(String, Vec<u8>, String)>,
    stop: Arc<Notify>,
    accept_loop: JoinHandle<()>,
    store: LabStore,
    /// What another instance of this app shares with it (`start_instance`).
    users: Arc<UserDirectory>,
    signing_key: Option<tower_sessions::cookie::Key>,
    limits: Limits,
}

/// What [`start`] is given beyond its options when it starts a second
/// instance of a running app.
struct Beside {
    store: LabStore,
    joined: Joined,
    clock: LabClock,
}

impl RunningServer {
    /// "https" when the profile has TLS, else "http".
    pub fn scheme(&self) -> &'static str {
        if self.profile.has(crate::Defense::Tls) {
            "https"
        } else {
            "http"
        }
    }
    /// e.g. `http://127.0.0.1:41234/`
    pub fn url(&self) -> String {
        format!("{}://{}/", self.scheme(), self.addr)
    }
    /// `sid` (`connect.sid` in the tutorial), with `__Host-` in front under `host-prefix`.
    pub fn session_cookie_name(&self) -> &str {
        self.session_cookie_name
    }
    /// Where sessions live, as the banner names it: `memory`, `sqlite:PATH`, `redis://HOST:PORT/DB`.
    pub fn store_name(&self) -> &str {
        self.store.name()
    }
    /// The app's lab clock, in-process only: what the timeout scenarios advance.
    pub fn clock(&self) -> &LabClock {
        &self.clock
    }
    /// The key of the clock's HTTP control, when started with `lab_clock`:
    /// for the operator's eyes (print it), never for the app's clients.
    pub fn lab_clock_key(&self) -> Option<&str> {
        self.lab_clock_key.as_ref().map(LabClockKey::as_str)
    }
    /// The self-signed certificate (PEM) when the profile has TLS, for clients to trust.
    pub fn certificate_pem(&self) -> Option<&str> {
        self.certificate.as_ref().map(|(pem, _, _)| pem.as_str())
    }
    /// The same certificate, DER-encoded: what a client pins when it trusts
    /// exactly this app (the lab's simulated browsers do). `None` without `tls`.
    pub fn certificate_der(&self) -> Option<&[u8]> {
        self.certificate.as_ref().map(|(_, der, _)| der.as_slice())
    }
    /// The base64 SHA-256 of the certificate's public key: how a real browser
    /// is told to trust exactly this app (`chromium
    /// --ignore-certificate-errors-spki-list=<this>`) instead of clicking
    /// through its warning, which would silently turn HSTS off.
    pub fn certificate_spki_sha256(&self) -> Option<&str> {
        self.certificate.as_ref().map(|(_, _, spki)| spki.as_str())
    }
    /// Starts another instance of this app on `addr` (loopback; port 0 picks
    /// a free one), as a deployment behind a load balancer runs several: the
    /// same profile, session store (the very backend, memory included), user
    /// directory, signing key and lab clock; its own process state otherwise,
    /// such as the `shared-store` weakness's cache. Without TLS it is a
    /// second port; with TLS it has a certificate of its own. Stop it before
    /// this one: the first instance empties a private namespace when it stops.
    pub async fn start_instance(&self, addr: SocketAddr) -> Result<RunningServer, ServeError> {
        let mut options = ServeOptions::new(self.profile.clone(), addr);
        options.limits = self.limits;
        let beside = Beside {
            store: self.store.beside(&self.profile),
            joined: Joined {
                key: self.signing_key.clone(),
                users: Some(self.users.clone()),
                ..Joined::default()
            },
            clock: self.clock.clone(),
        };
        start_with(options, Some(beside)).await
    }

    /// Stops accepting connections, closes the open ones and waits for the task to end.
    pub async fn shutdown(self) {
        self.stop.notify_one();
        let _ = self.accept_loop.await;
        self.store.close().await;
    }
}

/// Refuses a non-loopback address for the insecure and tutorial profiles unless allowed.
///
/// Stricter than that: only a profile with exactly the built-in hardened
/// defense set may listen beyond loopback without the flag.
pub fn check_bind_address(
    profile: &Profile,
    addr: SocketAddr,
    allow_non_loopback: bool,
) -> Result<(), ServeError> {
    let is_hardened = profile.defenses == Profile::new(ProfileName::Hardened).defenses;
    if addr.ip().to_canonical().is_loopback() || is_hardened || allow_non_loopback {
        return Ok(());
    }
    Err(ServeError::RefusedAddress(format!(
        "refusing to listen on {addr}: the {label} profile is vulnerable on purpose, and anyone who can \
         reach that address could take over its sessions. Use a loopback address (127.0.0.1 or ::1), or \
         pass --expose-vulnerable-app if you really mean to expose it on a network you control.",
        label = profile.label()
    )))
}

/// Binds `options.addr` (port 0 picks a free port) and serves the app in a
/// background task. Returns within milliseconds: the password hashing runs in
/// the background, so nothing slow stands before the first response (the one
/// exception: with `SESSION_SECRET` set, the tutorial's argon2id key
/// derivation, about 25 ms).
pub async fn start(options: ServeOptions) -> Result<RunningServer, ServeError> {
    start_with(options, None).await
}

async fn start_with(
    options: ServeOptions,
    beside: Option<Beside>,
) -> Result<RunningServer, ServeError> {
    let ServeOptions {
        profile,
        addr,
        allow_non_loopback,
        lab_clock,
        lab_clock_key: fixed_key,
        limits,
        store: store_choice,
    } = options;
    check_bind_address(&profile, addr, allow_non_loopback)?;
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|source| ServeError::Bind { addr, source })?;
    let addr = listener
        .local_addr()
        .map_err(|source| ServeError::Bind { addr, source })?;
    // Certificate generation and (tutorial) the argon2 key derivation from
    // SESSION_SECRET take a few milliseconds of CPU: off the async workers.
    let with_tls = tls::is_on(&profile);
    let setup_profile = profile.clone();
    let lab_clock_key = lab_clock.then(|| fixed_key.unwrap_or_else(LabClockKey::generate));
    let router_key = lab_clock_key.clone();
    let (store, joined, clock) = match beside {
        Some(Beside {
            store,
            joined,
            clock,
        }) => (store, joined, clock),
        None => {
            let clock = LabClock::new();
            let store = LabStore::open(&profile, clock.clone(), limits.max_sessions, &store_choice)
                .await
                .map_err(ServeError::Store)?;
            // The app's own key (cookie signing, and the tokens' key under secret-from-env).
            let key = if signed_cookie::makes_own_key(&profile) {
                Some(store.kept_signing_key().await.map_err(ServeError::Store)?)
            } else {
                None
            };
            let joined = Joined {
                key,
                ..Joined::default()
            };
            (store, joined, clock)
        }
    };
    let app_store = store.clone();
    let (tls_setup, (router, info)) = tokio::task::spawn_blocking(move || {
        let session_secret = std::env::var(signed_cookie::SECRET_VARIABLE).ok();
        (
            with_tls.then(tls::self_signed),
            build_app(
                &setup_profile,
                session_secret,
                router_key,
                limits,
                app_store,
                clock,
                joined,
            ),
        )
    })
    .await
    .map_err(|e| ServeError::Tls(format!("set-up task failed: {e}")))?;
    let tls_setup = tls_setup.transpose().map_err(ServeError::Tls)?;

    let stop = Arc::new(Notify::new());
    let acceptor = tls_setup.as_ref().map(|setup| setup.acceptor.clone());
    let cap = ConnectionCap::new(limits.max_connections);
    let accept_loop = tokio::spawn(accept_connections(
        listener,
        router,
        acceptor,
        cap,
        stop.clone(),
    ));
    Ok(RunningServer {
        addr,
        profile,
        accounts: info.accounts,
        notice: info.notice,
        session_cookie_name: info.session_cookie_name,
        clock: info.clock,
        lab_clock_key,
        certificate: tls_setup.map(|setup| {
            (
                setup.certificate_pem,
                setup.certificate_der,
                setup.spki_sha256,
            )
        }),
        stop,
        accept_loop,
        store,
        users: info.users,
        signing_key: info.signing_key,
        limits,
    })
}

/// Serves `router` on `listener` in plain HTTP, with the lab's connection
/// bounds (the connection cap, the request head's size and time limits),
/// until `stop` is notified. `sessionlab class` serves its port and the
/// victim's door this way.
pub async fn serve_plain(
    listener: TcpListener,
    router: Router,
    max_connections: usize,
    stop: Arc<Notify>,
) {
    let cap = ConnectionCap::new(max_connections);
    accept_connections(listener, router, None, cap, stop).await;
}

async fn accept_connections(
    listener: TcpListener,
    router: Router,
    tls: Option<TlsAcceptor>,
    cap: ConnectionCap,
    stop: Arc<Notify>,
) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            biased;
            () = stop.notified() => break,
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
            accepted = listener.accept() => match accepted {
                Ok((stream, _peer)) => match cap.admit() {
                    Some(permit) => {
                        let connection = serve_connection(stream, router.clone(), tls.clone());
                        connections.spawn(async move {
                            connection.await;
                            drop(permit);
                        });
                    }
                    None => connection_cap::refuse(stream),
                },
                // E.g. out of file descriptors: back off instead of spinning.
                Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
            },
        }
    }
    drop(listener);
    connections.shutdown().await;
}

/// One TCP connection. Without TLS: the app. With TLS: peek at the first
/// byte; a TLS handshake gets the app over TLS, anything else the redirect.
async fn serve_connection(stream: TcpStream, router: Router, tls: Option<TlsAcceptor>) {
    // Small responses go out at once (no Nagle delay).
    let _ = stream.set_nodelay(true);
    let Some(acceptor) = tls else {
        return serve_http(stream, TowerToHyperService::new(router)).await;
    };
    let mut first_byte = [0u8; 1];
    match tokio::time::timeout(CLIENT_TIMEOUT, stream.peek(&mut first_byte)).await {
        Ok(Ok(1..)) => {}
        _ => return, // closed, failed or silent
    }
    if tls::starts_tls_handshake(first_byte[0]) {
        if let Ok(Ok(stream)) = tokio::time::timeout(CLIENT_TIMEOUT, acceptor.accept(stream)).await
        {
            serve_http(stream, TowerToHyperService::new(router)).await;
        }
    } else {
        // The redirect names the app's own host, never the request's: see `tls.rs`.
        let Ok(local) = stream.local_addr() else {
            return;
        };
        let redirect = service_fn(move |request| async move {
            Ok::<_, Infallible>(tls::redirect_to_https(&request, local))
        });
        serve_http(stream, redirect).await;
    }
}

async fn serve_http<I, S>(io: I, service: S)
where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    S: HttpService<Incoming>,
    S::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    S::ResBody: 'static,
    <S::ResBody as hyper::body::Body>::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let _ = http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(CLIENT_TIMEOUT)
        .max_header_size(MAX_REQUEST_HEAD_BYTES)
        .max_buf_size(MAX_REQUEST_HEAD_BYTES)
        .serve_connection(TokioIo::new(io), service)
        .await;
}
