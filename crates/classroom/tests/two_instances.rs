//! `cross-instance-logout` by hand: each lab's app runs as two instances
//! over one session store (`app.LABEL` and `app2.LABEL`); alice reaches both
//! through one balancer name and logs out on the first; the student replays
//! the copy of her cookie with a plain HTTP client, on either instance.
//! Solved only when the server showed her note on the instance her logout
//! did not go to.

mod common;

use common::{Student, class, config, note_of, start_class};
use reqwest::StatusCode;
use sessionlab_app::{Defense, Profile, ProfileName};
use sessionlab_classroom::class::new_host_secret;
use sessionlab_classroom::{BotBrowser, RunningClass};

const CHALLENGE: &str = "cross-instance-logout";

/// A class whose labs run `profile` (e.g. with `--without` applied).
async fn class_with(profile: Profile) -> RunningClass {
    let mut config = config(ProfileName::Insecure, BotBrowser::Sim);
    config.profile = profile;
    start_class(config).await
}

/// What one instance answers to `/account` with `cookie`: whether it showed alice's note.
async fn shows_alices_note(
    class: &RunningClass,
    student: &Student,
    url: String,
    cookie: &str,
) -> bool {
    let response = student
        .client
        .get(url)
        .header("cookie", cookie)
        .send()
        .await
        .unwrap();
    let body = response.text().await.unwrap();
    body.contains(&note_of(class, &student.name))
}

/// alice visits (one click on the second instance, logout on the first);
/// the student takes the copy of her cookie.
async fn alice_visits_and_logs_out(student: &Student) -> String {
    student.send_alice(false).await;
    let lab = student.hub_get("/lab").await;
    assert!(
        lab.contains(
            "her next click landed on the second instance of the app: it showed her account"
        ),
        "the second instance knew her session (one store): {lab}"
    );
    assert!(lab.contains("on the first instance (200"), "{lab}");
    student.copy_of_alices_cookie().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_shared_store_the_copy_opens_her_account_on_the_other_instance_only() {
    let profile = Profile::new(ProfileName::Hardened).without(Defense::SharedStore);
    let class = class_with(profile).await;
    let ann = Student::sign_in(&class, "ann").await;
    let lab = ann.hub_get("/lab").await;
    assert!(
        lab.contains(&format!("id=\"app2-url\">{}", ann.app2("/"))),
        "the lab page links the second instance: {lab}"
    );
    assert!(!ann.solved(CHALLENGE).await, "solved before any attempt");

    let copy = alice_visits_and_logs_out(&ann).await;
    // The instance that handled her logout ended the session (server-logout).
    assert!(!shows_alices_note(&class, &ann, ann.app("/account"), &copy).await);
    assert!(!ann.solved(CHALLENGE).await);
    assert!(!ann.solved("logout-reuse").await);
    // The other one still has its own copy of it.
    assert!(shows_alices_note(&class, &ann, ann.app2("/account"), &copy).await);
    assert!(ann.solved(CHALLENGE).await, "solved by the server");
    assert!(
        !ann.solved("logout-reuse").await,
        "the logout did end the session where it was handled: not logout-reuse"
    );
    let progress: serde_json::Value =
        serde_json::from_str(&ann.hub_get("/scoreboard.json").await).expect("JSON progress");
    let solve = progress["solved"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["challenge"] == CHALLENGE)
        .expect("the solve");
    let summary = solve["summary"].as_str().unwrap();
    assert!(
        summary.contains("logged out of this session on the first instance")
            && summary.contains("the second instance answered"),
        "{summary}"
    );

    // Past the cache's five lab minutes the second instance asks the store too.
    let bea = Student::sign_in(&class, "bea").await;
    let copy = alice_visits_and_logs_out(&bea).await;
    let waited = bea.hub_post("/lab/time", &[("minutes", "6")]).await;
    assert_eq!(waited.status(), StatusCode::SEE_OTHER);
    assert!(!shows_alices_note(&class, &bea, bea.app2("/account"), &copy).await);
    assert!(!bea.solved(CHALLENGE).await);
    class.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hardened_ends_the_session_on_both_instances() {
    let class = class(ProfileName::Hardened, BotBrowser::Sim).await;
    let ann = Student::sign_in(&class, "ann").await;
    let copy = alice_visits_and_logs_out(&ann).await;
    assert!(!shows_alices_note(&class, &ann, ann.app2("/account"), &copy).await);
    assert!(!shows_alices_note(&class, &ann, ann.app("/account"), &copy).await);
    for challenge in [CHALLENGE, "logout-reuse"] {
        assert!(!ann.solved(challenge).await, "{challenge} against hardened");
    }
    class.shutdown().await;
}

/// insecure has neither `server-logout` nor `shared-store`: the copy works on
/// both instances. Each replay solves the challenge of the instance it went
/// to: the other instance, cross-instance-logout; the one that handled the
/// logout, logout-reuse (as `sessionlab demo` finds both compromised there).
/// The same without `server-logout` alone: `shared-store` requires it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_server_logout_each_instance_solves_its_own_challenge() {
    for profile in [
        Profile::new(ProfileName::Insecure),
        Profile::new(ProfileName::Hardened).without(Defense::ServerLogout),
    ] {
        let label = profile.label();
        let class = class_with(profile).await;
        let ann = Student::sign_in(&class, "ann").await;
        let copy = alice_visits_and_logs_out(&ann).await;
        assert!(
            shows_alices_note(&class, &ann, ann.app2("/account"), &copy).await,
            "{label}"
        );
        assert!(ann.solved(CHALLENGE).await, "{label}");
        assert!(!ann.solved("logout-reuse").await, "{label}");
        assert!(
            shows_alices_note(&class, &ann, ann.app("/account"), &copy).await,
            "{label}"
        );
        assert!(ann.solved("logout-reuse").await, "{label}");
        class.shutdown().await;
    }
}

/// Two students' second instances are as apart as their apps: one's copy
/// opens nothing in another's lab.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_instance_belongs_to_its_own_lab() {
    let class = class(ProfileName::Insecure, BotBrowser::Sim).await;
    let ann = Student::sign_in(&class, "ann").await;
    let bea = Student::sign_in(&class, "bea").await;
    let copy = alice_visits_and_logs_out(&ann).await;
    let response = bea
        .client
        .get(bea.app2("/account"))
        .header("cookie", &copy)
        .send()
        .await
        .unwrap();
    let body = response.text().await.unwrap();
    assert!(!body.contains(&note_of(&class, "ann")));
    assert!(!body.contains(&note_of(&class, "bea")));
    assert!(!bea.solved(CHALLENGE).await);
    // An unknown student's second instance is a clear 404.
    let nobody = format!(
        "http://app2.nobody-{}.localhost:{}/",
        new_host_secret(),
        bea.port
    );
    let response = bea.client.get(nobody).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    class.shutdown().await;
}
