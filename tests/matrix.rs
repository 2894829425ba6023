//! The promise of the lab, checked end to end: every scenario replayed for real
//! against each profile running in-process on an ephemeral loopback port.
//!
//! - the hardened profile blocks every scenario;
//! - the insecure profile falls to every scenario;
//! - the tutorial profile does exactly what `docs/profiles/tutorial.md` claims.
//!
//! `compromised` can only come from the attacker's own response showing the
//! victim's private note, which is random at every start of the app.

use std::collections::BTreeMap;

use sessionlab_app::{Profile, ProfileName};
use sessionlab_attack::{Outcome, RunResult, catalog};
use sessionlab_harness::{run_matrix, start_profiles, stop};

async fn run_all_against(profile: ProfileName) -> Vec<RunResult> {
    let lab = start_profiles(&[Profile::new(profile)])
        .await
        .expect("the app starts on loopback");
    let results = run_matrix(&lab, &catalog::all(), &|_| {}).await;
    stop(lab).await;
    assert_eq!(
        results.len(),
        catalog::all().len(),
        "one result per scenario"
    );
    results
}

fn report(results: &[RunResult]) -> String {
    results
        .iter()
        .map(|r| format!("\n  {} -> {}: {}", r.scenario, r.outcome, r.evidence))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hardened_blocks_every_scenario() {
    let results = run_all_against(ProfileName::Hardened).await;
    let wrong: Vec<RunResult> = results
        .into_iter()
        .filter(|r| r.outcome != Outcome::Blocked)
        .collect();
    assert!(
        wrong.is_empty(),
        "the hardened profile must block every scenario:{}",
        report(&wrong)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn insecure_falls_to_every_scenario() {
    let results = run_all_against(ProfileName::Insecure).await;
    let wrong: Vec<RunResult> = results
        .into_iter()
        .filter(|r| r.outcome != Outcome::Compromised)
        .collect();
    assert!(
        wrong.is_empty(),
        "the insecure profile must fall to every scenario:{}",
        report(&wrong)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tutorial_matches_the_outcomes_its_doc_page_claims() {
    let claimed = documented_tutorial_outcomes();
    let ids: Vec<String> = catalog::all().into_iter().map(|m| m.id).collect();
    assert_eq!(
        claimed.keys().cloned().collect::<Vec<_>>(),
        sorted(ids),
        "docs/profiles/tutorial.md lists every scenario once"
    );
    let results = run_all_against(ProfileName::Tutorial).await;
    let wrong: Vec<&RunResult> = results
        .iter()
        .filter(|r| claimed.get(&r.scenario) != Some(&r.outcome))
        .collect();
    assert!(
        wrong.is_empty(),
        "the tutorial profile must match docs/profiles/tutorial.md:{}",
        report(&wrong.into_iter().cloned().collect::<Vec<_>>())
    );
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

/// Reads the `| scenario | outcome | why |` table of docs/profiles/tutorial.md.
fn documented_tutorial_outcomes() -> BTreeMap<String, Outcome> {
    let doc = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/docs/profiles/tutorial.md"
    ))
    .expect("docs/profiles/tutorial.md exists");
    let mut lines = doc
        .lines()
        .skip_while(|l| !l.trim_start().starts_with("| scenario | outcome |"));
    lines.next().expect("the outcome table's header");
    let mut claimed = BTreeMap::new();
    for line in lines
        .skip(1)
        .take_while(|l| l.trim_start().starts_with('|'))
    {
        let cells: Vec<&str> = line
            .split('|')
            .map(|c| c.trim().trim_matches('`'))
            .collect();
        let outcome = match cells[2] {
            "compromised" => Outcome::Compromised,
            "blocked" => Outcome::Blocked,
            other => panic!(
                "docs/profiles/tutorial.md: outcome {other:?} is neither compromised nor blocked"
            ),
        };
        assert!(
            claimed.insert(cells[1].to_string(), outcome).is_none(),
            "{} listed twice",
            cells[1]
        );
    }
    claimed
}
