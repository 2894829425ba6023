//! HSTS (RFC 6797): remembered hosts are upgraded from http to https before a request leaves.
use std::time::SystemTime;
use url::Url;

#[derive(Debug, Clone, Default)]
pub struct HstsStore {}

impl HstsStore {
    pub fn new() -> Self {
        Self::default()
    }
    /// Records a `Strict-Transport-Security` header received over https (ignored over http and for IP hosts).
    pub fn observe(&mut self, _url: &Url, _header: &str, _now: SystemTime) {
        todo!()
    }
    /// If `url` is http and its host (or a parent with includeSubDomains) is known, returns the https URL.
    pub fn upgrade(&self, _url: &Url, _now: SystemTime) -> Option<Url> {
        todo!()
    }
}
