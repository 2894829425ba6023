//! The lab's private network: names like `app.lab.test` resolve only here, to loopback.
use std::net::SocketAddr;
use url::Url;

#[derive(Debug, Clone, Default)]
pub struct Network {}

impl Network {
    pub fn new() -> Self {
        Self::default()
    }
    /// Route `host:port` (as written in lab URLs) to a real loopback socket address.
    pub fn route(&mut self, _host: &str, _port: u16, _to: SocketAddr) {
        todo!()
    }
    /// Where a connection to this URL really goes. Unknown hosts are an error: nothing touches real DNS.
    pub fn resolve(&self, _url: &Url) -> Result<SocketAddr, crate::BrowserError> {
        todo!()
    }
}
