//! A cap on concurrent connections: past it, a clear refusal.
//!
//! **What it does.** The server holds one permit per open connection, at most
//! [`DEFAULT`] (512) unless `serve --max-connections` says otherwise. A
//! connection that arrives when none is left gets, without reading anything
//! from it, `503 Service Unavailable` with `Retry-After: 1` and is closed. A
//! TLS client cannot read that plain-text answer: it sees the connection
//! closed.
//!
//! **Why.** Every connection costs a file descriptor and memory. Without a
//! cap, clients that open connections and hold them (slowly, within every
//! deadline) use up the process's descriptors: then `accept` fails for
//! everyone and the server looks dead. With the cap the server keeps working
//! for the connections it holds and says plainly why it refuses the others.
//! Keep the cap below the process's descriptor limit (`ulimit -n`).
//!
//! CWE-400, CWE-770 · ASVS 5.0.0 13.1.2

use std::sync::Arc;

use tokio::net::TcpStream;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Connections served at once unless `serve --max-connections` sets another number.
pub const DEFAULT: usize = 512;

/// The answer to a connection past the cap: short enough for one write.
pub const REFUSAL: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\n\
    Content-Type: text/plain; charset=utf-8\r\nRetry-After: 1\r\nConnection: close\r\n\
    Content-Length: 54\r\n\r\n\
    503 Service Unavailable: too many connections; retry.\n";

/// The permits, shared by the accept loop.
#[derive(Debug, Clone)]
pub struct ConnectionCap {
    permits: Arc<Semaphore>,
}

impl ConnectionCap {
    pub fn new(max_connections: usize) -> Self {
        Self {
            permits: Arc::new(Semaphore::new(max_connections.max(1))),
        }
    }

    /// A permit the connection holds until it ends, or `None` past the cap.
    pub fn admit(&self) -> Option<OwnedSemaphorePermit> {
        self.permits.clone().try_acquire_owned().ok()
    }
}

/// Refuses `stream` without waiting for it: one non-blocking write of
/// [`REFUSAL`] (a fresh socket's send buffer always has room), then close.
pub fn refuse(stream: TcpStream) {
    let _ = stream.try_write(REFUSAL);
    drop(stream);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_refusal_declares_its_own_length() {
        let text = std::str::from_utf8(REFUSAL).expect("ascii");
        let (head, body) = text.split_once("\r\n\r\n").expect("head and body");
        assert!(
            head.contains(&format!("Content-Length: {}", body.len())),
            "{body:?}"
        );
    }

    #[test]
    fn permits_run_out_and_come_back() {
        let cap = ConnectionCap::new(2);
        let (a, b) = (cap.admit(), cap.admit());
        assert!(a.is_some() && b.is_some());
        assert!(cap.admit().is_none());
        drop(a);
        assert!(cap.admit().is_some());
    }
}
