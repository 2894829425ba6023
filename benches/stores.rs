//! `cargo bench --bench stores`: the three session stores side by side, in
//! one run (issue 9).
//!
//! - **throughput**: authenticated `GET /account` (alice signed in; every
//!   request loads her session, which on SQLite and Redis is a write of its
//!   last use) from [`CONNECTIONS`] keep-alive connections for
//!   [`MEASURE`]: requests per second and p99 latency, per store x profile.
//!   Goal: Redis hardened at least 50% of memory hardened.
//! - **memory per 100k sessions**: `GET /login` (one anonymous session each)
//!   against hardened, [`SESSIONS`] times (`SESSIONLAB_BENCH_SESSIONS`
//!   changes it); per 100,000 sessions: the growth of this process's resident
//!   memory (memory store: the app runs in this process), of the SQLite file
//!   and its WAL, and Redis's `used_memory` (`INFO memory`).
//! - **demo**: wall time of the whole `demo` matrix per store (every scenario
//!   against the three profiles, start-up included). Goal: under 1.5 s on
//!   the memory store.
//!
//! Redis is a real `redis-server` started on a free loopback port for the
//! run (`sessionlab_app::redis_server`); without one its rows say they were
//! skipped. Only loopback is used; every loop is bounded.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use sessionlab_app::{Defense, Profile, ProfileName, RunningServer, ServeOptions, StoreChoice};
use sessionlab_attack::{Outcome, catalog};
use sessionlab_harness::{builtin_profiles, run_matrix, start_profiles, stop};

/// Keep-alive connections of the throughput test.
const CONNECTIONS: usize = 16;
const WARM_UP: Duration = Duration::from_millis(500);
const MEASURE: Duration = Duration::from_secs(3);
const DEFAULT_SESSIONS: usize = 100_000;
const DEMO_SAMPLES: usize = 3;
const HOST: &str = "app.lab.test";

/// One store of the run, and what it needs kept alive.
struct Store {
    name: &'static str,
    choice: StoreChoice,
    /// The SQLite file, to measure and remove.
    file: Option<PathBuf>,
    /// The Redis server's port, for `INFO memory`.
    redis_port: Option<u16>,
}

fn main() {
    sessionlab::return_argon2_memory_to_the_system();
    let sessions = std::env::var("SESSIONLAB_BENCH_SESSIONS")
        .ok()
        .and_then(|n| n.replace('_', "").parse().ok())
        .unwrap_or(DEFAULT_SESSIONS);
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    println!(
        "sessionlab stores bench ({} cores)",
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    let sqlite_file = std::env::temp_dir().join(format!(
        "sessionlab-bench-{}-{:x}.db",
        std::process::id(),
        rand_suffix()
    ));
    let redis = match sessionlab_app::redis_server::start() {
        Ok(server) => Some(server),
        Err(e) => {
            println!("redis: skipped, {e}");
            None
        }
    };
    let mut stores = vec![
        Store {
            name: "memory",
            choice: StoreChoice::memory(),
            file: None,
            redis_port: None,
        },
        Store {
            name: "sqlite",
            choice: format!("sqlite:{}", sqlite_file.display())
                .parse()
                .expect("sqlite store"),
            file: Some(sqlite_file.clone()),
            redis_port: None,
        },
    ];
    if let Some(server) = &redis {
        stores.push(Store {
            name: "redis",
            choice: server.url().parse().expect("redis store"),
            file: None,
            redis_port: Some(server.port()),
        });
    }

    println!(
        "\nauthenticated GET /account, {CONNECTIONS} keep-alive connections, {MEASURE:?} each"
    );
    let mut hardened = Vec::new();
    for store in &stores {
        for name in ProfileName::ALL {
            let (rate, p99) = runtime.block_on(throughput(store, name));
            println!(
                "  {:<7} {:<9} {:>9.0} req/s   p99 {:>7.2} ms",
                store.name,
                name.as_str(),
                rate,
                ms(p99)
            );
            if name == ProfileName::Hardened {
                hardened.push((store.name, rate));
            }
        }
    }
    let rate_of = |name: &str| hardened.iter().find(|(n, _)| *n == name).map(|(_, r)| *r);
    if let (Some(memory), Some(redis)) = (rate_of("memory"), rate_of("redis")) {
        let share = 100.0 * redis / memory;
        let verdict = if share >= 50.0 { "within" } else { "BELOW" };
        println!("  redis hardened is {share:.0}% of memory hardened ({verdict} goal 50%)");
    }

    println!("\nmemory per 100k sessions ({sessions} anonymous sessions of hardened, GET /login)");
    for store in &stores {
        let (what, bytes) = runtime.block_on(memory_per_sessions(store, sessions));
        println!(
            "  {:<7} {:>8.1} MiB per 100k sessions   ({what})",
            store.name,
            bytes * 100_000.0 / sessions as f64 / (1024.0 * 1024.0)
        );
    }

    println!(
        "\ndemo: {} scenarios x 3 profiles (and their second instances), median of {DEMO_SAMPLES}",
        catalog::all().len()
    );
    for store in &stores {
        sessionlab_harness::lab::use_store(store.choice.clone());
        let mut samples: Vec<Duration> = (0..DEMO_SAMPLES)
            .map(|_| runtime.block_on(demo()))
            .collect();
        samples.sort();
        let median = samples[samples.len() / 2];
        let goal = if store.name == "memory" {
            if median < Duration::from_millis(1500) {
                "  (within goal 1500 ms)"
            } else {
                "  (OVER goal 1500 ms)"
            }
        } else {
            ""
        };
        println!(
            "  {:<7} median {:>8.1} ms  min {:>8.1} ms  max {:>8.1} ms{goal}",
            store.name,
            ms(median),
            ms(samples[0]),
            ms(samples[samples.len() - 1])
        );
    }
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", sqlite_file.display()));
    }
    drop(redis);
}

fn rand_suffix() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64)
}

async fn start(store: &Store, profile: Profile) -> RunningServer {
    let mut options = ServeOptions::new(profile, SocketAddr::from((Ipv4Addr::LOCALHOST, 0)));
    options.store = store.choice.clone();
    // Room for the memory test's sessions: the cap is not what is measured.
    options.limits.max_sessions = 10 * DEFAULT_SESSIONS.max(1);
    sessionlab_app::start(options).await.expect("app starts")
}

/// A client that reaches `app.lab.test` on loopback, trusting the app's
/// certificate when it has one; one keep-alive connection; no redirects.
fn client(server: &RunningServer) -> reqwest::Client {
    let mut builder = reqwest::Client::builder()
        .resolve(HOST, server.addr)
        .redirect(reqwest::redirect::Policy::none())
        .http1_only()
        .pool_max_idle_per_host(1);
    if let Some(der) = server.certificate_der() {
        builder = builder
            .add_root_certificate(reqwest::Certificate::from_der(der).expect("certificate"))
            .tls_built_in_root_certs(false);
    }
    builder.build().expect("client")
}

fn url(server: &RunningServer, path: &str) -> String {
    format!("{}://{HOST}:{}{path}", server.scheme(), server.addr.port())
}

/// The value of cookie `name` in a response's `Set-Cookie` headers.
fn set_cookie(response: &reqwest::Response, name: &str) -> Option<String> {
    response
        .headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .find_map(|value| {
            let (key, value) = value.split(';').next()?.split_once('=')?;
            (key.trim() == name && !value.is_empty()).then(|| value.trim().to_owned())
        })
}

fn form_token(body: &str) -> Option<&str> {
    let marker = "name=\"csrf_token\" value=\"";
    let start = body.find(marker)? + marker.len();
    let end = body[start..].find('"')? + start;
    Some(&body[start..end])
}

/// Signs alice in as a browser would; returns her `Cookie` header.
async fn sign_in(server: &RunningServer, client: &reqwest::Client) -> String {
    let name = server.session_cookie_name();
    let form = client
        .get(url(server, "/login"))
        .send()
        .await
        .expect("GET /login");
    let first = set_cookie(&form, name).expect("a session cookie");
    let body = form.text().await.expect("login page");
    let mut fields = vec![("username", "alice"), ("password", "wonderland")];
    if let Some(token) = form_token(&body) {
        fields.push(("csrf_token", token));
    }
    let origin = format!("{}://{HOST}:{}", server.scheme(), server.addr.port());
    let reply = client
        .post(url(server, "/login"))
        .header("cookie", format!("{name}={first}"))
        .header("origin", origin)
        .form(&fields)
        .send()
        .await
        .expect("POST /login");
    assert_eq!(reply.status(), reqwest::StatusCode::SEE_OTHER, "sign-in");
    // Rotated at login (hardened), or the same ID kept.
    let cookie = set_cookie(&reply, name).unwrap_or(first);
    format!("{name}={cookie}")
}

/// Requests per second and p99 of authenticated `GET /account`.
async fn throughput(store: &Store, name: ProfileName) -> (f64, Duration) {
    let server = start(store, Profile::new(name)).await;
    let cookie = sign_in(&server, &client(&server)).await;
    let account = url(&server, "/account");
    let started = Instant::now();
    let measure_from = started + WARM_UP;
    let until = measure_from + MEASURE;
    let mut tasks = Vec::new();
    for _ in 0..CONNECTIONS {
        let client = client(&server);
        let (cookie, account) = (cookie.clone(), account.clone());
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            loop {
                let sent = Instant::now();
                if sent >= until {
                    return latencies;
                }
                let reply = client
                    .get(&account)
                    .header("cookie", &cookie)
                    .send()
                    .await
                    .expect("GET /account");
                let ok = reply.status() == reqwest::StatusCode::OK;
                let _ = reply.bytes().await;
                assert!(ok, "alice's session holds");
                if sent >= measure_from {
                    latencies.push(sent.elapsed());
                }
            }
        }));
    }
    let mut latencies = Vec::new();
    for task in tasks {
        latencies.extend(task.await.expect("load task"));
    }
    server.shutdown().await;
    latencies.sort();
    let p99 = latencies[(latencies.len() * 99 / 100).min(latencies.len() - 1)];
    (latencies.len() as f64 / MEASURE.as_secs_f64(), p99)
}

/// What grew, and by how many bytes, while `sessions` anonymous sessions were made.
async fn memory_per_sessions(store: &Store, sessions: usize) -> (String, f64) {
    let server = start(store, Profile::new(ProfileName::Hardened)).await;
    assert!(server.profile.has(Defense::Tls));
    let measure = || match (&store.file, store.redis_port) {
        (Some(file), _) => file_bytes(file),
        (None, Some(port)) => redis_used_memory(port),
        (None, None) => rss_bytes(),
    };
    let before = measure();
    let login = url(&server, "/login");
    let per_connection = sessions.div_ceil(CONNECTIONS);
    let mut tasks = Vec::new();
    for connection in 0..CONNECTIONS {
        let count = per_connection.min(sessions.saturating_sub(connection * per_connection));
        let (client, login) = (client(&server), login.clone());
        tasks.push(tokio::spawn(async move {
            for _ in 0..count {
                let reply = client.get(&login).send().await.expect("GET /login");
                assert_eq!(reply.status(), reqwest::StatusCode::OK);
                let _ = reply.bytes().await;
            }
        }));
    }
    for task in tasks {
        task.await.expect("flood task");
    }
    let grown = measure().saturating_sub(before) as f64;
    server.shutdown().await;
    let what = match (&store.file, store.redis_port) {
        (Some(_), _) => "the SQLite file and its WAL",
        (None, Some(_)) => "Redis INFO used_memory",
        (None, None) => "this process's VmRSS, the app inside it",
    };
    (what.to_string(), grown)
}

fn rss_bytes() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| {
            rest.trim()
                .trim_end_matches("kB")
                .trim()
                .parse::<u64>()
                .ok()
        })
        .map_or(0, |kib| kib * 1024)
}

fn file_bytes(file: &Path) -> u64 {
    ["", "-wal"]
        .iter()
        .filter_map(|suffix| std::fs::metadata(format!("{}{suffix}", file.display())).ok())
        .map(|meta| meta.len())
        .sum()
}

/// `used_memory` from `INFO memory`, over RESP by hand (two lines of protocol).
fn redis_used_memory(port: u16) -> u64 {
    let mut stream = TcpStream::connect((Ipv4Addr::LOCALHOST, port)).expect("redis");
    stream
        .write_all(b"*2\r\n$4\r\nINFO\r\n$6\r\nmemory\r\n")
        .expect("INFO");
    let mut reader = BufReader::new(stream);
    let mut header = String::new();
    reader.read_line(&mut header).expect("reply");
    let length: usize = header
        .trim()
        .trim_start_matches('$')
        .parse()
        .expect("a bulk reply");
    let mut body = vec![0; length];
    reader.read_exact(&mut body).expect("INFO body");
    String::from_utf8_lossy(&body)
        .lines()
        .find_map(|line| line.strip_prefix("used_memory:"))
        .and_then(|n| n.trim().parse().ok())
        .expect("used_memory")
}

/// One `demo` matrix on the store `use_store` chose.
async fn demo() -> Duration {
    let started = Instant::now();
    let lab = start_profiles(&builtin_profiles())
        .await
        .expect("lab starts");
    let results = run_matrix(&lab, &catalog::all(), &|_| {}).await;
    stop(lab).await;
    let elapsed = started.elapsed();
    assert!(
        results.iter().all(|r| r.outcome != Outcome::Error),
        "a demo run errored"
    );
    elapsed
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
