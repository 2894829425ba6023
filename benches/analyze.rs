//! `cargo bench --bench analyze`: the token analyzer's speed goal, measured.
//!
//! 20,000 session IDs captured from a profile started in-process (fresh
//! anonymous visits to `/login`, 32 in flight) and analysed (decoding, FIPS
//! 140-2 per bit position and on the stream, entropy, counter and timestamp
//! search): goal under 2 s, per profile. It also prints what the analysis
//! concluded (insecure: a counter; hardened: passes FIPS 140-2), which is
//! what `sessionlab analyze --profile P -n 20000` prints.
//!
//! Only loopback is used; each loop is bounded.

use std::time::{Duration, Instant};

use sessionlab::own_app::{TokenSource, analyze_tokens};
use sessionlab_app::ProfileName;

const TOKENS: usize = 20_000;
const SAMPLES: usize = 3;
const GOAL: Duration = Duration::from_secs(2);

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
        let mut times = Vec::new();
        let mut last = None;
        for _ in 0..SAMPLES {
            let started = Instant::now();
            let analysis = runtime
                .block_on(analyze_tokens(TokenSource::Profile(name), TOKENS))
                .unwrap_or_else(|_| panic!("the {name} profile's tokens are analysed"));
            times.push(started.elapsed());
            last = Some(analysis);
        }
        let analysis = last.expect("samples");
        times.sort();
        let median = times[times.len() / 2];
        println!(
            "  {name:<9} median {:>6.0} ms (capture {} ms, analysis {} ms; min {:.0} ms, max {:.0} ms) {}: {} bits effective, band {}, FIPS 140-2 {}, {} structure(s)",
            median.as_secs_f64() * 1000.0,
            analysis.collect_ms,
            analysis.analyse_ms,
            times[0].as_secs_f64() * 1000.0,
            times[times.len() - 1].as_secs_f64() * 1000.0,
            if median < GOAL {
                "meets the goal"
            } else {
                "MISSES the goal"
            },
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
