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
//! Only loopback is used; the bench ends by itself.

use std::net::SocketAddr;
use std::time::Instant;

use sessionlab_app::{Profile, ProfileName};
use sessionlab_classroom::{BotBrowser, ClassConfig, start};

const STEPS: [(usize, f64); 2] = [(30, 100.0), (200, 300.0)];

fn main() {
    sessionlab::return_argon2_memory_to_the_system();
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        let running = start(ClassConfig {
            profile: Profile::new(ProfileName::Insecure),
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            domain: "localhost".into(),
            exposed: false,
            victim_browser: BotBrowser::Sim,
            instructor_key: "bench-instructor-key".into(),
            alice_every: None,
        require_code: false,
        shared: None,
        peer_addr: None,
        public_port: None,
        })
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
                let report = class.send_alice(&name, sessionlab_classroom::bot::Visit::Ordinary).await.expect("a lab");
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
    });
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
