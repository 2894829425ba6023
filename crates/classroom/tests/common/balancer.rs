//! A round-robin TCP load balancer on loopback, standing in for the nginx of
//! docs/deploy.md: each connection goes to the next instance, skipping one
//! that refuses (stopped), with no stickiness of any kind.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use tokio::net::{TcpListener, TcpStream};

pub struct Balancer {
    pub addr: SocketAddr,
    backends: Arc<Mutex<Vec<SocketAddr>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Balancer {
    /// Listens now (so its port can go into the instances' links); the
    /// instances come with [`Balancer::set_backends`].
    pub async fn bind() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let backends: Arc<Mutex<Vec<SocketAddr>>> = Arc::default();
        let next = Arc::new(AtomicUsize::new(0));
        let task = tokio::spawn({
            let backends = backends.clone();
            async move {
                while let Ok((mut client, _)) = listener.accept().await {
                    let list = backends
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .clone();
                    let first = next.fetch_add(1, Ordering::Relaxed);
                    tokio::spawn(async move {
                        for i in 0..list.len() {
                            let backend = list[(first + i) % list.len()];
                            if let Ok(mut upstream) = TcpStream::connect(backend).await {
                                let _ =
                                    tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
                                return;
                            }
                        }
                    });
                }
            }
        });
        Self {
            addr,
            backends,
            task,
        }
    }

    pub fn set_backends(&self, backends: Vec<SocketAddr>) {
        *self.backends.lock().unwrap_or_else(PoisonError::into_inner) = backends;
    }
}

impl Drop for Balancer {
    fn drop(&mut self) {
        self.task.abort();
    }
}
