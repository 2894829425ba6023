//! `cargo bench --bench flood`: the two goals of "a server that holds"
//! (issue 14), measured against hardened on the memory store.
//!
//! - **flood**: a signed-in session is made first, then 1,000,000 `GET /login`
//!   arrive over many keep-alive TLS connections, each creating an anonymous
//!   session. Reported: the process's resident memory (`VmRSS` and its peak
//!   `VmHWM` from `/proc/self/status`; the app runs inside this bench process,
//!   so the figure includes the load generator's few connections), and whether
//!   the session made before the flood still works. Goal: RSS under 256 MB.
//! - **sweep**: a second app, its session cap raised to hold them all, gets
//!   1,000,000 anonymous sessions and a few signed-in ones; the lab clock is
//!   then moved past the idle timeout for the anonymous ones only (the signed-in
//!   ones were used in between), and one `GET /login` starts the sweep that
//!   deletes the million. Reported: the latencies of the authenticated
//!   `GET /account` requests made while that sweep runs, p50 and p99. Goal:
//!   p99 under 50 ms.
//!
//! Only loopback is used. `SESSIONLAB_BENCH_REQUESTS` sets the number of
//! sessions (default 1,000,000) for a quicker trial run.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use sessionlab_app::defenses::idle_timeout::IDLE_LIMIT;
use sessionlab_app::{Limits, Profile, ProfileName, RunningServer, ServeOptions};

const DEFAULT_REQUESTS: usize = 1_000_000;
/// Keep-alive connections of the flood.
const FLOOD_CONNECTIONS: usize = 64;
/// Signed-in sessions making authenticated requests while the sweep runs.
const READERS: usize = 8;
/// The host name of the lab certificate.
const HOST: &str = "app.lab.test";

fn main() {
    sessionlab::return_argon2_memory_to_the_system();
    let requests = std::env::var("SESSIONLAB_BENCH_REQUESTS")
        .ok()
        .and_then(|n| n.replace('_', "").parse().ok())
        .unwrap_or(DEFAULT_REQUESTS);
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    println!(
        "sessionlab flood and sweep bench ({} cores, hardened, memory store, {requests} sessions)",
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    runtime.block_on(flood(requests));
    runtime.block_on(sweep(requests));
}

async fn start(limits: Limits) -> RunningServer {
    let mut options = ServeOptions::new(
        Profile::new(ProfileName::Hardened),
        SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
    );
    options.limits = limits;
    sessionlab_app::start(options).await.expect("app starts")
}

/// A client that trusts the app's certificate, reaches `app.lab.test` on
/// loopback, keeps its connection alive and follows no redirect.
fn client(server: &RunningServer) -> reqwest::Client {
    let der = server.certificate_der().expect("hardened has TLS");
    reqwest::Client::builder()
        .resolve(HOST, server.addr)
        .add_root_certificate(reqwest::Certificate::from_der(der).expect("certificate"))
        .tls_built_in_root_certs(false)
        .redirect(reqwest::redirect::Policy::none())
        .http1_only()
        .build()
        .expect("client")
}

fn url(server: &RunningServer, path: &str) -> String {
    format!("https://{HOST}:{}{path}", server.addr.port())
}

/// The value of cookie `name` in a response's `Set-Cookie` headers.
fn set_cookie(response: &reqwest::Response, name: &str) -> Option<String> {
    response
        .headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .find_map(|value| {
            let pair = value.split(';').next()?;
            let (key, value) = pair.split_once('=')?;
            (key.trim() == name).then(|| value.trim().to_owned())
        })
}

fn form_token(body: &str) -> Option<&str> {
    let marker = "name=\"csrf_token\" value=\"";
    let start = body.find(marker)? + marker.len();
    let end = body[start..].find('"')? + start;
    Some(&body[start..end])
}

/// Signs alice in as a browser would; returns her session cookie (`name=value`).
async fn sign_in(server: &RunningServer, client: &reqwest::Client) -> String {
    let name = server.session_cookie_name();
    let form = client
        .get(url(server, "/login"))
        .send()
        .await
        .expect("GET /login");
    let cookie = set_cookie(&form, name).expect("a session cookie");
    let body = form.text().await.expect("login page");
    let token = form_token(&body).expect("a form token").to_owned();
    let origin = format!("https://{HOST}:{}", server.addr.port());
    let reply = client
        .post(url(server, "/login"))
        .header("cookie", format!("{name}={cookie}"))
        .header("origin", origin)
        .header("sec-fetch-site", "same-origin")
        .form(&[
            ("username", "alice"),
            ("password", "wonderland"),
            ("csrf_token", token.as_str()),
        ])
        .send()
        .await
        .expect("POST /login");
    assert_eq!(reply.status(), reqwest::StatusCode::SEE_OTHER, "sign-in");
    let cookie = set_cookie(&reply, name).unwrap_or(cookie);
    format!("{name}={cookie}")
}

/// Whether `cookie` still opens alice's account page.
async fn is_signed_in(server: &RunningServer, client: &reqwest::Client, cookie: &str) -> bool {
    let reply = client
        .get(url(server, "/account"))
        .header("cookie", cookie)
        .send()
        .await
        .expect("GET /account");
    let ok = reply.status() == reqwest::StatusCode::OK;
    let body = reply.text().await.unwrap_or_default();
    ok && body.contains("alice")
}

/// `total` anonymous `GET /login` over [`FLOOD_CONNECTIONS`] keep-alive
/// connections. Returns the count of answers other than 200.
async fn flood_logins(server: &RunningServer, total: usize) -> usize {
    let next = Arc::new(AtomicUsize::new(0));
    let not_ok = Arc::new(AtomicUsize::new(0));
    let target = url(server, "/login");
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..FLOOD_CONNECTIONS {
        let (client, next, not_ok, target) =
            (client(server), next.clone(), not_ok.clone(), target.clone());
        tasks.spawn(async move {
            while next.fetch_add(1, Ordering::Relaxed) < total {
                match client.get(&target).send().await {
                    Ok(reply) => {
                        if reply.status() != reqwest::StatusCode::OK {
                            not_ok.fetch_add(1, Ordering::Relaxed);
                        }
                        let _ = reply.bytes().await;
                    }
                    Err(_) => {
                        not_ok.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
        });
    }
    tasks.join_all().await;
    not_ok.load(Ordering::Relaxed)
}

/// `VmRSS` and `VmHWM` of this process, in MiB.
fn memory_mib() -> (f64, f64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|line| line.strip_prefix(name))
            .and_then(|rest| rest.split_whitespace().next()?.parse::<f64>().ok())
            .map_or(f64::NAN, |kib| kib / 1024.0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

async fn flood(requests: usize) {
    let server = start(Limits::default()).await;
    let alice = client(&server);
    let cookie = sign_in(&server, &alice).await;
    let (rss_before, _) = memory_mib();
    let started = Instant::now();
    let not_ok = flood_logins(&server, requests).await;
    let elapsed = started.elapsed();
    let (rss, peak) = memory_mib();
    let still_signed_in = is_signed_in(&server, &alice, &cookie).await;
    println!(
        "flood: {requests} GET /login in {:.1} s ({:.0}/s, {FLOOD_CONNECTIONS} keep-alive TLS connections), {not_ok} not 200",
        elapsed.as_secs_f64(),
        requests as f64 / elapsed.as_secs_f64()
    );
    println!(
        "flood: RSS {rss:.1} MiB after (peak {peak:.1} MiB, {rss_before:.1} MiB before; bench process = app + load generator), session cap {}  ({} goal 256 MB)",
        Limits::default().max_sessions,
        if peak * 1024.0 * 1024.0 < 256e6 {
            "within"
        } else {
            "OVER"
        }
    );
    println!(
        "flood: the session signed in before the flood {}",
        if still_signed_in {
            "still works"
        } else {
            "was LOST"
        }
    );
    server.shutdown().await;
}

async fn sweep(requests: usize) {
    let limits = Limits {
        max_sessions: requests + 2 * READERS,
        ..Limits::default()
    };
    let server = start(limits).await;
    let started = Instant::now();
    let mut readers = Vec::new();
    for _ in 0..READERS {
        let client = client(&server);
        let cookie = sign_in(&server, &client).await;
        readers.push((client, cookie));
    }
    let not_ok = flood_logins(&server, requests).await;
    let filled = started.elapsed();
    println!(
        "sweep: {requests} anonymous sessions stored in {:.1} s ({not_ok} not 200), RSS {:.1} MiB",
        filled.as_secs_f64(),
        memory_mib().0
    );
    // The anonymous sessions were last used before now. Use the signed-in
    // sessions, move the clock to a minute before the idle limit, use them
    // again, then two minutes on: past the limit for every anonymous session,
    // two minutes idle for the readers.
    for (client, cookie) in &readers {
        assert!(is_signed_in(&server, client, cookie).await, "reader lost");
    }
    server
        .clock()
        .advance(IDLE_LIMIT - time::Duration::minutes(1));
    for (client, cookie) in &readers {
        assert!(is_signed_in(&server, client, cookie).await, "reader lost");
    }
    server.clock().advance(time::Duration::minutes(2));

    let sweeping = Arc::new(AtomicBool::new(false));
    let done = Arc::new(AtomicBool::new(false));
    let mut tasks = tokio::task::JoinSet::new();
    for (client, cookie) in readers.clone() {
        let (sweeping, done, target) = (sweeping.clone(), done.clone(), url(&server, "/account"));
        tasks.spawn(async move {
            let (mut during, mut before, mut failures) = (Vec::new(), Vec::new(), 0usize);
            while !done.load(Ordering::Acquire) {
                let in_sweep = sweeping.load(Ordering::Acquire);
                let sent = Instant::now();
                let reply = client.get(&target).header("cookie", &cookie).send().await;
                let ok = match reply {
                    Ok(reply) => {
                        let ok = reply.status() == reqwest::StatusCode::OK;
                        ok & reply.bytes().await.is_ok()
                    }
                    Err(_) => false,
                };
                let latency = sent.elapsed();
                if !ok {
                    failures += 1;
                }
                if in_sweep && sweeping.load(Ordering::Acquire) {
                    during.push(latency);
                } else if !in_sweep {
                    before.push(latency);
                }
            }
            (before, during, failures)
        });
    }
    // A second of baseline, then the request that starts the sweep.
    tokio::time::sleep(Duration::from_secs(1)).await;
    sweeping.store(true, Ordering::Release);
    let trigger = client(&server);
    let sent = Instant::now();
    let reply = trigger.get(url(&server, "/login")).send().await;
    let sweep_time = sent.elapsed();
    sweeping.store(false, Ordering::Release);
    assert!(reply.is_ok_and(|r| r.status() == reqwest::StatusCode::OK));
    done.store(true, Ordering::Release);
    let (mut before, mut during, mut failures) = (Vec::new(), Vec::new(), 0);
    for (b, d, f) in tasks.join_all().await {
        before.extend(b);
        during.extend(d);
        failures += f;
    }
    println!(
        "sweep: the GET /login that ran the sweep of {requests} expired sessions took {:.1} ms",
        ms(sweep_time)
    );
    report("before the sweep", &mut before, failures);
    let p99 = report("while the sweep runs", &mut during, failures);
    println!(
        "sweep: p99 {:.2} ms while sweeping ({} goal 50 ms); RSS {:.1} MiB after",
        ms(p99),
        if p99 < Duration::from_millis(50) {
            "within"
        } else {
            "OVER"
        },
        memory_mib().0
    );
    server.shutdown().await;
}

/// Prints p50, p99 and max of `samples`; returns p99.
fn report(what: &str, samples: &mut [Duration], failures: usize) -> Duration {
    samples.sort();
    let at = |q: f64| {
        samples
            .get(((samples.len() as f64 * q) as usize).min(samples.len().saturating_sub(1)))
            .copied()
            .unwrap_or_default()
    };
    let p99 = at(0.99);
    println!(
        "sweep: authenticated GET /account {what:<21} p50 {:>7.2} ms  p99 {:>7.2} ms  max {:>7.2} ms  (n={}, {READERS} sessions, {failures} failed in all)",
        ms(at(0.5)),
        ms(p99),
        ms(samples.last().copied().unwrap_or_default()),
        samples.len()
    );
    p99
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
