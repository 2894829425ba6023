//! `cargo bench --bench analyze`: the token analyzer's speed goal, measured.
//!
//! 20,000 session IDs captured from a profile started in-process (fresh
//! anonymous visits to `/login`, 32 in flight) and analysed (decoding, FIPS
//! 140-2 per bit position and on the stream, entropy, counter and timestamp
//! search): goal under 2 s per profile for capture and analysis. The app's
//! start-up (argon2id hashing of the demo accounts included) is printed
//! apart. It also prints what the analysis concluded (insecure: a counter;
//! hardened: passes FIPS 140-2), as `sessionlab analyze --profile P` does.
//!
//! Only loopback is used; each loop is bounded.

use std::time::{Duration, Instant};

use sessionlab_app::{Profile, ProfileName};
use sessionlab_attack::analyze::{analyse, collect::collect};
use sessionlab_harness::{start_profiles, stop};

const TOKENS: usize = 20_000;
const SAMPLES: usize = 3;
const GOAL: Duration = Duration::from_secs(2);

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// CPU time this process has used (user + system), from /proc (Linux; zero
/// elsewhere): on a machine shared with other work, the wall time says how
/// busy the machine was as much as how fast the code is.
fn cpu_time() -> Duration {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return Duration::ZERO;
    };
    // Fields after the command name (which may hold spaces, inside parentheses).
    let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<u64> = after
        .split_whitespace()
        .filter_map(|f| f.parse().ok())
        .collect();
    // utime and stime are fields 14 and 15 of the line, 12 and 13 here (state is not a number).
    let ticks = fields.get(10).copied().unwrap_or(0) + fields.get(11).copied().unwrap_or(0);
    Duration::from_millis(ticks * 10)
}

/// The machine's one-minute load average, for the record.
fn load() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split_whitespace().next().map(str::to_string))
        .unwrap_or_else(|| "?".into())
}

fn main() {
    sessionlab::return_argon2_memory_to_the_system();
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    println!(
        "analyze benchmark ({} cores): {TOKENS} tokens captured and analysed, goal under {} s",
        std::thread::available_parallelism().map_or(1, |n| n.get()),
        GOAL.as_secs()
    );
    for name in [
        ProfileName::Insecure,
        ProfileName::Hardened,
        ProfileName::Tutorial,
    ] {
        let mut totals = Vec::new();
        let mut last = None;
        for _ in 0..SAMPLES {
            let sample = runtime.block_on(async {
                let started = Instant::now();
                let lab = start_profiles(&[Profile::new(name)])
                    .await
                    .expect("the app starts");
                let startup = started.elapsed();
                let cpu = cpu_time();
                let started = Instant::now();
                let tokens = collect(&lab[0].target, "/login", TOKENS)
                    .await
                    .expect("tokens are collected");
                let capture = started.elapsed();
                let started = Instant::now();
                let analysis = analyse(&name.to_string(), &tokens).expect("analysed");
                let analysing = started.elapsed();
                let used = cpu_time().saturating_sub(cpu);
                stop(lab).await;
                (startup, capture, analysing, analysis, used)
            });
            totals.push(sample.1 + sample.2);
            last = Some(sample);
        }
        let (startup, capture, analysing, analysis, used) = last.expect("samples");
        totals.sort();
        let median = totals[totals.len() / 2];
        println!(
            "  {name:<9} capture + analysis: median {:.0} ms (min {:.0}, max {:.0}; load average {}) {}",
            ms(median),
            ms(totals[0]),
            ms(totals[totals.len() - 1]),
            load(),
            if median < GOAL {
                "meets the goal"
            } else {
                "MISSES the goal"
            },
        );
        println!(
            "            last run: capture {:.0} ms, analysis {:.0} ms, CPU time {:.0} ms (client and app, both cores), app start-up {:.0} ms (not counted); {} bits effective, band {}, FIPS 140-2 {}, {} structure(s)",
            ms(capture),
            ms(analysing),
            ms(used),
            ms(startup),
            analysis.effective_bits,
            analysis.band.as_str(),
            if analysis.passes_fips_140_2 {
                "passed"
            } else {
                "failed"
            },
            analysis.structures.len()
        );
    }
}
