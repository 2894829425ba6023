//! Starting the app: binding, TLS, the loopback guard.  (Contract stub.)
use std::net::SocketAddr;

use crate::{DemoAccount, Profile};

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("{0}")]
    RefusedAddress(String),
    #[error("could not bind {addr}: {source}")]
    Bind { addr: SocketAddr, source: std::io::Error },
    #[error("TLS set-up failed: {0}")]
    Tls(String),
}

#[derive(Debug, Clone)]
pub struct ServeOptions {
    pub profile: Profile,
    pub addr: SocketAddr,
    /// Set only by the loudly named `--expose-vulnerable-app` flag.
    pub allow_non_loopback: bool,
}

/// A running app. Dropping it does not stop it; call [`RunningServer::shutdown`].
pub struct RunningServer {
    pub addr: SocketAddr,
    pub profile: Profile,
    pub accounts: Vec<DemoAccount>,
}

impl RunningServer {
    /// "https" when the profile has TLS, else "http".
    pub fn scheme(&self) -> &'static str {
        if self.profile.has(crate::Defense::Tls) { "https" } else { "http" }
    }
    /// e.g. `http://127.0.0.1:41234/`
    pub fn url(&self) -> String {
        format!("{}://{}/", self.scheme(), self.addr)
    }
    pub async fn shutdown(self) {
        todo!()
    }
}

/// Refuses a non-loopback address for the insecure and tutorial profiles unless allowed.
pub fn check_bind_address(_profile: &Profile, _addr: SocketAddr, _allow_non_loopback: bool) -> Result<(), ServeError> {
    todo!()
}

pub async fn start(_options: ServeOptions) -> Result<RunningServer, ServeError> {
    todo!()
}
