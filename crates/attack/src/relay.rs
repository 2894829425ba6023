//! The on-path observer of the sniffing scenario: a TCP relay on loopback that
//! forwards a victim's connections to the app and keeps a copy of every byte
//! the victim sent. It sees exactly what crossed it: plaintext HTTP can be
//! read; of a TLS connection only the handshake is readable (the ClientHello
//! with the hostname in SNI, and in TLS 1.2 the server's certificate), and
//! the HTTP inside it is encrypted.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// The first byte of a TLS handshake record.
const TLS_HANDSHAKE: u8 = 0x16;

/// What the observer recorded of one connection, victim to app.
#[derive(Debug, Clone, Default)]
pub struct CapturedConnection {
    pub bytes: Vec<u8>,
}

impl CapturedConnection {
    /// A TLS connection starts with a handshake record; its bytes are unreadable.
    pub fn is_tls(&self) -> bool {
        self.bytes.first() == Some(&TLS_HANDSHAKE)
    }

    /// The values of `Cookie:` request headers readable in plaintext.
    pub fn cookie_headers(&self) -> Vec<String> {
        if self.is_tls() {
            return Vec::new();
        }
        String::from_utf8_lossy(&self.bytes)
            .lines()
            .filter_map(|line| {
                let (name, value) = line.split_once(':')?;
                name.trim()
                    .eq_ignore_ascii_case("cookie")
                    .then(|| value.trim().to_string())
            })
            .collect()
    }

    /// Whether a login form body with a password crossed in plaintext.
    pub fn shows_password(&self) -> bool {
        !self.is_tls() && String::from_utf8_lossy(&self.bytes).contains("password=")
    }
}

type Capture = Arc<Mutex<Vec<Arc<Mutex<CapturedConnection>>>>>;

/// A running relay. Stops when dropped.
pub struct SniffingRelay {
    addr: SocketAddr,
    capture: Capture,
    task: JoinHandle<()>,
}

impl SniffingRelay {
    /// Listens on an ephemeral loopback port and forwards every connection to `upstream`.
    pub async fn start(upstream: SocketAddr) -> std::io::Result<Self> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await?;
        let addr = listener.local_addr()?;
        let capture = Capture::default();
        let connections = capture.clone();
        let task = tokio::spawn(async move {
            while let Ok((victim, _)) = listener.accept().await {
                let record = Arc::new(Mutex::new(CapturedConnection::default()));
                connections
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .push(record.clone());
                tokio::spawn(relay_connection(victim, upstream, record));
            }
        });
        Ok(Self {
            addr,
            capture,
            task,
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// A copy of everything recorded so far, one entry per connection.
    pub fn connections(&self) -> Vec<CapturedConnection> {
        self.capture
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .map(|c| c.lock().unwrap_or_else(|p| p.into_inner()).clone())
            .collect()
    }
}

impl Drop for SniffingRelay {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Copies bytes both ways, recording the victim-to-app direction.
async fn relay_connection(
    victim: TcpStream,
    upstream: SocketAddr,
    record: Arc<Mutex<CapturedConnection>>,
) {
    let Ok(app) = TcpStream::connect(upstream).await else {
        return;
    };
    let (mut victim_read, mut victim_write) = victim.into_split();
    let (mut app_read, mut app_write) = app.into_split();
    let to_app = async {
        let mut buf = [0u8; 8192];
        loop {
            match victim_read.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    record
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .bytes
                        .extend_from_slice(&buf[..n]);
                    if app_write.write_all(&buf[..n]).await.is_err() {
                        break;
                    }
                }
            }
        }
        let _ = app_write.shutdown().await;
    };
    let to_victim = async {
        let _ = tokio::io::copy(&mut app_read, &mut victim_write).await;
        let _ = victim_write.shutdown().await;
    };
    tokio::join!(to_app, to_victim);
}
