//! The matrix again with every app on a real `redis-server` (`--store
//! redis://`): the same outcomes as on the memory store (`tests/matrix.rs`
//! checks those against the same expectations), the second instance of each
//! app on the same Redis. Its own test binary, because the store choice is
//! one per process (`sessionlab_harness::lab::use_store`).
//!
//! Skips, saying so, without Debian's `redis-server`, unless
//! `SESSIONLAB_REQUIRE_REDIS=1` (set by `.ci/run`).

use sessionlab_app::{Profile, ProfileName, StoreChoice};
use sessionlab_attack::{Outcome, catalog};
use sessionlab_harness::{run_matrix, start_profiles, stop};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_profile_on_redis_gives_the_memory_stores_matrix() {
    let Some(redis) = sessionlab_app::redis_server::start_or_skip(
        "every_profile_on_redis_gives_the_memory_stores_matrix",
    ) else {
        return;
    };
    let store: StoreChoice = redis.url().parse().expect("a redis:// store");
    sessionlab_harness::lab::use_store(store);
    let profiles: Vec<Profile> = ProfileName::ALL.into_iter().map(Profile::new).collect();
    let lab = start_profiles(&profiles)
        .await
        .expect("the apps start on Redis");
    for p in &lab {
        assert_eq!(p.server.store_name(), redis.url());
    }
    let results = run_matrix(&lab, &catalog::all(), &|_| {}).await;
    stop(lab).await;
    let mut wrong = Vec::new();
    for meta in catalog::all() {
        for (profile, expected) in [
            ("insecure", Outcome::Compromised),
            ("tutorial", meta.tutorial.outcome.outcome()),
            ("hardened", Outcome::Blocked),
        ] {
            let run = results
                .iter()
                .find(|r| r.scenario == meta.id && r.profile == profile)
                .unwrap_or_else(|| panic!("no run of {} against {profile}", meta.id));
            if run.outcome != expected {
                wrong.push(format!(
                    "\n  {} vs {profile}: {} ({})",
                    meta.id, run.outcome, run.evidence
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "on Redis:{}", wrong.concat());
}
