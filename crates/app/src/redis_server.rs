//! A real `redis-server` on a free loopback port, for the tests and benches
//! of the Redis store (`--store redis://`): started with no persistence, in a
//! temporary directory, and stopped (killed and waited for) when dropped.
//!
//! Debian's `redis-server` package provides the binary (`.ci/run` installs
//! it); `SESSIONLAB_REDIS_SERVER` names another one. Without it, [`start`]
//! says so: a test then skips, saying why, unless `SESSIONLAB_REQUIRE_REDIS=1`
//! (set by `.ci/run`), where the missing server fails it ([`start_or_skip`]).

use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The variable that makes a missing `redis-server` fail the tests.
pub const REQUIRE_VARIABLE: &str = "SESSIONLAB_REQUIRE_REDIS";
/// The variable that names a `redis-server` binary other than the one on `PATH`.
pub const BINARY_VARIABLE: &str = "SESSIONLAB_REDIS_SERVER";

/// A running `redis-server`; killed when dropped.
#[derive(Debug)]
pub struct RedisServer {
    child: Option<Child>,
    port: u16,
    dir: PathBuf,
}

/// The binary to run: `SESSIONLAB_REDIS_SERVER`, or `redis-server` found on `PATH`.
pub fn find_redis_server() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os(BINARY_VARIABLE) {
        return Some(PathBuf::from(path));
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join("redis-server"))
        .find(|candidate| candidate.is_file())
}

/// Starts a server on a free loopback port and waits until it accepts connections.
pub fn start() -> Result<RedisServer, String> {
    let dir = std::env::temp_dir().join(format!(
        "sessionlab-redis-{}-{:016x}",
        std::process::id(),
        rand::random::<u64>()
    ));
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut server = RedisServer {
        child: None,
        port: free_port()?,
        dir,
    };
    server.restart()?;
    Ok(server)
}

/// [`start`], or `None` after saying on stderr why the test skips; panics
/// instead when `SESSIONLAB_REQUIRE_REDIS=1`.
pub fn start_or_skip(test: &str) -> Option<RedisServer> {
    match start() {
        Ok(server) => Some(server),
        Err(e) => {
            let required = std::env::var(REQUIRE_VARIABLE).is_ok_and(|v| v == "1");
            assert!(!required, "{REQUIRE_VARIABLE}=1 but {e}");
            eprintln!("{test}: skipped: {e} (CI installs Debian's redis-server)");
            None
        }
    }
}

fn free_port() -> Result<u16, String> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).map_err(|e| e.to_string())?;
    listener
        .local_addr()
        .map(|addr| addr.port())
        .map_err(|e| e.to_string())
}

impl RedisServer {
    /// The `--store` value that reaches it, e.g. `redis://127.0.0.1:41234/0`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/0", self.port)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Kills the server, as a crash or an operator would (SIGKILL): every
    /// session it held is gone with it (it saves nothing to disk).
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts it again on the same port (after [`RedisServer::kill`]).
    pub fn restart(&mut self) -> Result<(), String> {
        self.kill();
        let binary = find_redis_server().ok_or(
            "redis-server is not installed (Debian: apt-get install redis-server; or set SESSIONLAB_REDIS_SERVER)",
        )?;
        let child = Command::new(&binary)
            .args(["--port", &self.port.to_string()])
            .args(["--bind", "127.0.0.1"])
            .args(["--save", ""])
            .args(["--appendonly", "no"])
            .arg("--dir")
            .arg(&self.dir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", binary.display()))?;
        self.child = Some(child);
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, self.port));
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if TcpStream::connect_timeout(&addr, Duration::from_millis(100)).is_ok() {
                return Ok(());
            }
            if let Some(Ok(Some(status))) = self.child.as_mut().map(Child::try_wait) {
                return Err(format!("{} exited at start: {status}", binary.display()));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Err(format!(
            "{} did not listen on {addr} within 10 s",
            binary.display()
        ))
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.kill();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
