//! `cargo bench`: the two speed targets of the lab, measured.
//!
//! - start-up: from `sessionlab_app::start` to the first complete response to
//!   `GET /` (goal: under 50 ms), per profile;
//! - demo: wall time of the whole `demo` matrix, every scenario against the
//!   three profiles including their start-up (goal: under 1.5 s for every
//!   scenario of the full catalog);
//! - chromium: the same with real Chromium as the victim (`--browser
//!   chromium`), the five browser scenarios x three profiles (goal: under
//!   30 s on a 2-core machine); skipped, saying so, without Chromium.
//!
//! Only loopback is used. Loops are bounded; the bench ends by itself.

use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use sessionlab_app::{Defense, Profile, ProfileName, ServeOptions};
use sessionlab_attack::victim::CHROMIUM_VICTIM_SCENARIOS;
use sessionlab_attack::{BrowserKind, Outcome, catalog};
use sessionlab_harness::{builtin_profiles, run_matrix, start_profiles, stop};

const STARTUP_SAMPLES: usize = 20;
const DEMO_SAMPLES: usize = 5;
const CHROMIUM_SAMPLES: usize = 2;

fn main() {
    sessionlab::return_argon2_memory_to_the_system();
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    println!(
        "sessionlab benchmarks ({} cores)",
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    // The demo first: each start-up sample leaves its app's password hashing
    // queued on the shared argon2 slots, which a demo run right after would wait for.
    let scenarios = catalog::all();
    let mut samples = Vec::new();
    for _ in 0..DEMO_SAMPLES {
        let started = Instant::now();
        let results = runtime.block_on(async {
            let lab = start_profiles(&builtin_profiles())
                .await
                .expect("lab starts");
            let results = run_matrix(&lab, &scenarios, &|_| {}).await;
            stop(lab).await;
            results
        });
        samples.push(started.elapsed());
        assert!(
            results.iter().all(|r| r.outcome != Outcome::Error),
            "a demo run errored"
        );
    }
    report(
        &format!("demo, {} scenarios x 3 profiles", scenarios.len()),
        samples,
        Duration::from_millis(1500),
    );
    if sessionlab_chromium::find_chromium().is_some() {
        let browser_scenarios: Vec<_> = scenarios
            .iter()
            .filter(|m| CHROMIUM_VICTIM_SCENARIOS.contains(&m.id.as_str()))
            .cloned()
            .collect();
        let mut samples = Vec::new();
        for _ in 0..CHROMIUM_SAMPLES {
            let started = Instant::now();
            let results = runtime.block_on(async {
                let mut lab = start_profiles(&builtin_profiles())
                    .await
                    .expect("lab starts");
                for profile in &mut lab {
                    profile.target.victim_browser = BrowserKind::Chromium;
                }
                let results = run_matrix(&lab, &browser_scenarios, &|_| {}).await;
                stop(lab).await;
                results
            });
            samples.push(started.elapsed());
            assert!(
                results.iter().all(|r| r.outcome != Outcome::Error),
                "a Chromium run errored"
            );
        }
        report(
            &format!(
                "demo --browser chromium, {} scenarios x 3 profiles",
                browser_scenarios.len()
            ),
            samples,
            Duration::from_secs(30),
        );
    } else {
        println!(
            "demo --browser chromium: skipped, {}",
            sessionlab_chromium::ChromiumError::Missing
        );
    }
    for name in ProfileName::ALL {
        let samples: Vec<Duration> = (0..STARTUP_SAMPLES)
            .map(|_| runtime.block_on(startup_to_first_response(name)))
            .collect();
        report(
            &format!("start-up to first response, {name}"),
            samples,
            Duration::from_millis(50),
        );
    }
}

async fn startup_to_first_response(name: ProfileName) -> Duration {
    let profile = Profile::new(name);
    let tls = profile.has(Defense::Tls);
    let started = Instant::now();
    let server = sessionlab_app::start(ServeOptions {
        profile,
        addr: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
        allow_non_loopback: false,
        lab_clock: false,
        lab_clock_key: None,
        limits: sessionlab_app::Limits::default(),
        store: Default::default(),
    })
    .await
    .expect("app starts");
    let addr = server.addr;
    // A plain request: for the TLS profile the same port answers with its redirect,
    // which is the first response a browser following an http:// link gets.
    let status = tokio::task::spawn_blocking(move || first_response(addr))
        .await
        .expect("request");
    let elapsed = started.elapsed();
    assert!(
        if tls {
            status.starts_with("HTTP/1.1 301")
        } else {
            status.starts_with("HTTP/1.1 200")
        },
        "{status}"
    );
    server.shutdown().await;
    elapsed
}

fn first_response(addr: SocketAddr) -> String {
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream
        .write_all(b"GET / HTTP/1.1\r\nHost: app.lab.test\r\nConnection: close\r\n\r\n")
        .expect("write");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("read");
    response.lines().next().unwrap_or_default().to_string()
}

fn report(what: &str, mut samples: Vec<Duration>, goal: Duration) {
    samples.sort();
    let median = samples[samples.len() / 2];
    let max = *samples.last().expect("samples");
    let verdict = if median < goal { "within" } else { "OVER" };
    println!(
        "{what:<45} median {:>8.2} ms  min {:>8.2} ms  max {:>8.2} ms  ({verdict} goal {} ms, n={})",
        ms(median),
        ms(samples[0]),
        ms(max),
        goal.as_millis(),
        samples.len()
    );
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
