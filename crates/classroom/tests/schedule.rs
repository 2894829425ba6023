//! alice on her own schedule (`--alice-every`): with a period set she visits
//! every lab without anyone pressing "Send alice", and the server records
//! it (the lab's visits, and a login and logout the detector judges a replay
//! against); with none she never comes.

mod common;

use std::time::{Duration, Instant};

use common::{Student, class, config, note_of, start_class};
use reqwest::StatusCode;
use sessionlab_app::ProfileName;
use sessionlab_classroom::BotBrowser;
use sessionlab_classroom::bot::Visit;

/// The test's period: short, so the test is quick; the CLI's unit is minutes.
const EVERY: Duration = Duration::from_secs(1);
/// How long the test waits for what a working schedule does in two periods.
const PATIENCE: Duration = Duration::from_secs(30);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alice_visits_on_her_schedule_and_never_without_one() {
    let mut scheduled = config(ProfileName::Insecure, BotBrowser::Sim);
    scheduled.alice_every = Some(EVERY);
    let scheduled = start_class(scheduled).await;
    let unscheduled = class(ProfileName::Insecure, BotBrowser::Sim).await;
    let ann = Student::sign_in(&scheduled, "ann").await;
    let bea = Student::sign_in(&unscheduled, "bea").await;
    let bea_since = Instant::now();

    // Two visits: a schedule, not a single visit at start-up.
    let ann_lab = scheduled.class.lab("ann").unwrap();
    let deadline = Instant::now() + PATIENCE;
    while ann_lab.with_state(|s| s.visits.len()) < 2 {
        assert!(
            Instant::now() < deadline,
            "alice did not visit twice within {PATIENCE:?} on a {EVERY:?} schedule"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let visits = ann_lab.with_state(|s| s.visits.clone());
    assert!(
        visits
            .iter()
            .all(|v| v.visit == Visit::Ordinary && v.error.is_none()),
        "scheduled visits are ordinary and whole: {visits:?}"
    );
    let page = ann.hub_get("/lab").await;
    assert!(page.contains("logged in and read her account"), "{page}");
    assert!(page.contains("clicked &quot;Log out&quot;"), "{page}");

    // The detector saw her log in and out: the copy she left solves
    // logout-reuse, with no "Send alice" pressed. A copy taken while a visit
    // is still under way is not logged out yet, so try until one is.
    let note = note_of(&scheduled, "ann");
    let deadline = Instant::now() + PATIENCE;
    while !ann.solved("logout-reuse").await {
        assert!(
            Instant::now() < deadline,
            "no copy of a scheduled visit's cookie solved logout-reuse"
        );
        let copy = ann.copy_of_alices_cookie().await;
        let (_, body, _) = ann.app_get("/account", Some(&copy)).await;
        assert!(body.contains(&note), "the copy opens alice's account");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    // The same class without a schedule, given at least as long: no visit.
    let waited = bea_since.elapsed();
    if waited < 3 * EVERY {
        tokio::time::sleep(3 * EVERY - waited).await;
    }
    let bea_lab = unscheduled.class.lab("bea").unwrap();
    assert_eq!(
        bea_lab.with_state(|s| s.visits.len()),
        0,
        "alice came unsent"
    );
    let page = bea.hub_get("/lab").await;
    assert!(!page.contains("logged in and read her account"), "{page}");
    let taken = bea.hub_post("/lab/copy", &[]).await;
    assert_eq!(
        taken.status(),
        StatusCode::CONFLICT,
        "alice left no cookie where she never came"
    );
    assert_eq!(bea_lab.app.handle.signed_in_sessions("alice").await, 0);
    scheduled.shutdown().await;
    unscheduled.shutdown().await;
}
