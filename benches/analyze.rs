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
                let started = Instant::now();
                let tokens = collect(&lab[0].target, "/login", TOKENS)
                    .await
                    .expect("tokens are collected");
                let capture = started.elapsed();
                let started = Instant::now();
                let analysis = analyse(&name.to_string(), &tokens).expect("analysed");
                let analysing = started.elapsed();
                stop(lab).await;
                (startup, capture, analysing, analysis)
            });
            totals.push(sample.1 + sample.2);
            last = Some(sample);
        }
        let (startup, capture, analysing, analysis) = last.expect("samples");
        totals.sort();
        let median = totals[totals.len() / 2];
        println!(
            "  {name:<9} capture + analysis: median {:.0} ms (min {:.0}, max {:.0}) {}",
            ms(median),
            ms(totals[0]),
            ms(totals[totals.len() - 1]),
            if median < GOAL {
                "meets the goal"
            } else {
                "MISSES the goal"
            },
        );
        println!(
            "            last run: capture {:.0} ms, analysis {:.0} ms, app start-up {:.0} ms (not counted); {} bits effective, band {}, FIPS 140-2 {}, {} structure(s)",
            ms(capture),
            ms(analysing),
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
