//! `cargo bench --bench class`: the class server's memory, measured (issue 12).
//!
//! Goals: 30 student labs under 100 MB resident, 200 under 300 MB. Each lab
//! is what a student's sign-in makes (its own app, store, users with their
//! argon2id hashes, notes, guestbook, clock, detector and attacker site),
//! and alice visits it once with the simulated browser (a login, her
//! account, the guestbook, a logout), so each lab holds sessions and a
//! visit's record, not just empty maps. Reported: `VmRSS` and its peak
//! `VmHWM` from `/proc/self/status` (the class runs inside this process),
//! after each step.
//!
//! Then, when `redis-server` is installed, the cost of several instances:
//! two instances share one class through a real Redis, and a student's lab
//! page is fetched from its home instance and through the other one, which
//! forwards it (p50 and p99 of each).
//!
//! Only loopback is used; the bench ends by itself.

use std::net::SocketAddr;
use std::time::Instant;

use sessionlab_app::{Profile, ProfileName};
use sessionlab_classroom::bot::Visit;
use sessionlab_classroom::{BotBrowser, ClassConfig, RunningClass, start};

const STEPS: [(usize, f64); 2] = [(30, 100.0), (200, 300.0)];

fn main() {
    sessionlab::return_argon2_memory_to_the_system();
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        let running = start(config(None))
        .await
        .expect("the class starts");
        let class = running.class.clone();
        let (rss, peak) = memory_mib();
        println!("class started: VmRSS {rss:.1} MiB (peak {peak:.1})");
        let mut signed_in = 0;
        for (labs, goal) in STEPS {
            let started = Instant::now();
            while signed_in < labs {
                let name = format!("s{signed_in}");
                class.sign_in(&name).await.expect("sign-in");
                let report = class
                    .send_alice(&name, Visit::Ordinary)
                    .await
                    .expect("a lab");
                assert!(report.error.is_none(), "alice's visit: {:?}", report.error);
                assert!(
                    report.steps.iter().any(|s| s.contains("clicked \"Log out\"")),
                    "alice's visit went through: {:?}",
                    report.steps
                );
                signed_in += 1;
            }
            let (rss, peak) = memory_mib();
            println!(
                "{labs} labs, each visited once by alice: VmRSS {rss:.1} MiB (peak {peak:.1}), goal under {goal} MB \
                 ({}), {:.1} s",
                if rss * 1.048_576 < goal { "met" } else { "MISSED" },
                started.elapsed().as_secs_f64()
            );
        }
        running.shutdown().await;
        forwarding_cost().await;
    });
}

fn config(shared: Option<String>) -> ClassConfig {
    ClassConfig {
        profile: Profile::new(ProfileName::Insecure),
        addr: SocketAddr::from(([127, 0, 0, 1], 0)),
        domain: "localhost".into(),
        exposed: false,
        victim_browser: BotBrowser::Sim,
        instructor_key: "bench-instructor-key".into(),
        alice_every: None,
        require_code: false,
        shared,
        peer_addr: None,
        public_port: Some(8080),
        visit_timeout: sessionlab_classroom::bot::VISIT_TIMEOUT,
    }
}

const FETCHES: usize = 500;

/// A lab page from its home and through another instance.
async fn forwarding_cost() {
    let redis = match sessionlab_app::redis_server::start() {
        Ok(redis) => redis,
        Err(e) => {
            println!("several instances: skipped ({e})");
            return;
        }
    };
    let home = start(config(Some(redis.url()))).await.expect("instance 1");
    let other = start(config(Some(redis.url()))).await.expect("instance 2");
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("a client");
    let signed_in = client
        .post(format!("http://{}/signin", home.addr))
        .header("host", "localhost:8080")
        .header("origin", "http://localhost:8080")
        .form(&[("name", "ann")])
        .send()
        .await
        .expect("sign-in");
    let cookie = signed_in
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .expect("the hub's cookie")
        .to_owned();
    for (what, instance) in [("from its home", &home), ("forwarded", &other)] {
        let times = fetch_lab_page(&client, instance, &cookie).await;
        println!(
            "two instances on one Redis, lab page {what}: p50 {:.2} ms, p99 {:.2} ms ({FETCHES} requests)",
            percentile(&times, 0.50),
            percentile(&times, 0.99)
        );
    }
    other.shutdown().await;
    home.shutdown().await;
}

async fn fetch_lab_page(
    client: &reqwest::Client,
    instance: &RunningClass,
    cookie: &str,
) -> Vec<f64> {
    let mut times = Vec::with_capacity(FETCHES);
    for _ in 0..FETCHES {
        let started = Instant::now();
        let response = client
            .get(format!("http://{}/lab", instance.addr))
            .header("host", "localhost:8080")
            .header("cookie", cookie)
            .send()
            .await
            .expect("the lab page");
        assert_eq!(response.status(), reqwest::StatusCode::OK);
        let page = response.text().await.expect("a body");
        assert!(page.contains("Lab of ann"));
        times.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(f64::total_cmp);
    times
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

/// `VmRSS` and `VmHWM` of this process, in MiB.
fn memory_mib() -> (f64, f64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|kb| kb.parse::<f64>().ok())
            .map_or(0.0, |kb| kb / 1024.0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}
