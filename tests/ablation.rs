//! The scenario files' defense claims, checked against real runs, so the
//! files (and `sessionlab defenses`, the lessons' tables, the ablation's
//! wording) cannot drift from the code. What each field claims is written
//! down in `crates/attack/src/catalog.rs` (`ScenarioMeta`); the claims and
//! their check live in `sessionlab_harness::claims`, shared with
//! `sessionlab ablate`.
//!
//! A claim whose run ended in error has no verdict: the suite could not
//! check it, and that fails the test as loudly as a false claim. Claims about
//! a profile that cannot keep a session (a Secure or `__Host-` cookie without
//! tls: hardened without tls, insecure with secure-cookie) are stated by the
//! harness as exactly that, "its run ends in error", and checked as such.
//!
//! One batch runs every scenario against hardened, hardened minus each
//! defense, insecure plus each defense, and the combinations the files name;
//! then every claim is checked and every false one is reported at once.

use std::time::Instant;

use sessionlab_attack::catalog;
use sessionlab_harness::claims::check_claims;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_scenario_file_claims_what_the_runs_show() {
    let started = Instant::now();
    let check = check_claims(&catalog::all())
        .await
        .expect("the scenario files name real defenses and the apps start");
    eprintln!(
        "ablation test: {} claims ({} unchecked), {} runs against {} profiles in {:.1} s",
        check.claims,
        check.unchecked.len(),
        check.runs,
        check.profiles,
        started.elapsed().as_secs_f64()
    );
    assert!(
        check.false_claims.is_empty(),
        "{} claim(s) of the scenario files do not match the runs:\n  {}",
        check.false_claims.len(),
        check
            .false_claims
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("\n  ")
    );
    assert!(
        check.unchecked.is_empty(),
        "{} claim(s) of the scenario files could not be checked: their run reached no verdict:\n  {}",
        check.unchecked.len(),
        check
            .unchecked
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("\n  ")
    );
}
