//! The lab's own app, attacked as if the lab had not written it: described
//! by a target file (its login form, its `POST /logout`, `/account` as the
//! proof page, alice's e-mail address as the marker) instead of being
//! discovered at `/.well-known/sessionlab`. Every scenario that runs on any
//! app must reach the verdict it reaches in the lab's own mode, so the
//! generic path (form detection, the marker check, the analyzer behind
//! hijack-predict) is held to the lab's proofs. The marker rules are checked
//! too: a marker everyone sees, or the attacker sees, is an error that says so.

use sessionlab_app::{Defense, Profile, ProfileName};
use sessionlab_attack::app_target::{AppOptions, TargetFile};
use sessionlab_attack::{Actor, Credentials, Outcome, ProofKind, REGISTRY, Target, run_scenario};
use sessionlab_harness::lab::start_profile;

fn file_for(url: &str, marker: &str) -> TargetFile {
    TargetFile::parse(&format!(
        r#"
url = "{url}"
[login]
path = "/login"
[logout]
path = "/logout"
method = "POST"
[accounts]
victim = "alice:wonderland"
attacker = "bob:builder"
[proof]
path = "/account"
victim_marker = "{marker}"
[csrf]
form_page = "/account/settings"
action = "/account/email"
field = "email"
effect_path = "/account"
"#
    ))
    .expect("the file parses")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_target_file_reaches_the_labs_own_verdicts() {
    for name in ProfileName::ALL {
        let lab = start_profile(&Profile::new(name))
            .await
            .expect("the app starts on loopback");
        let url = format!(
            "{}://127.0.0.1:{}",
            lab.target.scheme,
            lab.target.addr.port()
        );
        let app_target =
            Target::from_app_file(&file_for(&url, "alice@lab.test"), &AppOptions::default())
                .await
                .unwrap_or_else(|e| panic!("{name}: {e}"));
        let app = app_target.app.clone().expect("an app target");
        assert_eq!(app.session_cookie, lab.target.session_cookie, "{name}");
        assert_eq!(
            (app.username_field.as_str(), app.password_field.as_str()),
            ("username", "password"),
            "{name}: found in the form"
        );
        let mut compared = 0;
        // csrf last: against a target file nothing puts alice's address back,
        // and her address is the marker of the others.
        let (others, last): (Vec<_>, Vec<_>) = REGISTRY.iter().partition(|s| s.id != "csrf");
        for scenario in others.into_iter().chain(last) {
            let generic = run_scenario(
                scenario.id,
                &app_target,
                &Credentials::default_victim(),
                &Credentials::default_attacker(),
            )
            .await;
            if generic.outcome == Outcome::NotApplicable {
                continue;
            }
            let own = run_scenario(
                scenario.id,
                &lab.target,
                &Credentials::default_victim(),
                &Credentials::default_attacker(),
            )
            .await;
            assert_eq!(
                generic.outcome, own.outcome,
                "{name} {}:\n  target file: {}\n  lab:         {}",
                scenario.id, generic.evidence, own.evidence
            );
            if generic.outcome == Outcome::Compromised {
                let proof = generic.proof.as_ref().expect("a proof");
                if scenario.id == "csrf" {
                    assert_eq!(proof.kind, ProofKind::ForgedChange);
                    assert!(proof.value.ends_with("@evil.test"), "{}", proof.value);
                } else {
                    assert_eq!(proof.kind, ProofKind::VictimMarker);
                    assert_eq!(proof.value, "alice@lab.test");
                }
            }
            compared += 1;
        }
        assert!(compared >= 5, "{name}: only {compared} scenarios ran");
        lab.server.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_marker_anyone_else_sees_is_an_error_that_says_so() {
    let lab = start_profile(&Profile::new(ProfileName::Insecure))
        .await
        .expect("the app starts on loopback");
    let url = format!("http://127.0.0.1:{}", lab.target.addr.port());
    for (marker, says) in [
        // The profile banner is on every page, the login page an anonymous visitor lands on too.
        ("insecure", "shows to everyone"),
        // Every signed-in account page shows the domain.
        ("@lab.test", "attacker's own session"),
        // Not on alice's page at all.
        ("no such text", "does not show the marker"),
    ] {
        let target = Target::from_app_file(&file_for(&url, marker), &AppOptions::default())
            .await
            .expect("the file is valid");
        let result = run_scenario(
            "credential-bypass",
            &target,
            &Credentials::default_victim(),
            &Credentials::default_attacker(),
        )
        .await;
        assert_eq!(
            result.outcome,
            Outcome::Error,
            "{marker}: {}",
            result.evidence
        );
        assert!(
            result.evidence.contains(says),
            "{marker}: {}",
            result.evidence
        );
        assert!(result.proof.is_none());
    }
    lab.server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_timeout_on_a_target_file_really_waits() {
    let lab = start_profile(&Profile::new(ProfileName::Insecure))
        .await
        .expect("the app starts on loopback");
    let url = format!("http://127.0.0.1:{}", lab.target.addr.port());
    let file = file_for(&url, "alice@lab.test");
    let without = Target::from_app_file(&file, &AppOptions::default())
        .await
        .expect("the file is valid");
    let result = run_scenario(
        "idle-timeout",
        &without,
        &Credentials::default_victim(),
        &Credentials::default_attacker(),
    )
    .await;
    assert_eq!(result.outcome, Outcome::NotApplicable);
    assert!(
        result.evidence.contains("--idle-wait"),
        "{}",
        result.evidence
    );

    let wait = std::time::Duration::from_secs(1);
    let options = AppOptions {
        authorized: false,
        idle_wait: Some(wait),
    };
    let with = Target::from_app_file(&file, &options)
        .await
        .expect("the file is valid");
    let result = run_scenario(
        "idle-timeout",
        &with,
        &Credentials::default_victim(),
        &Credentials::default_attacker(),
    )
    .await;
    // The insecure app's idle window is an hour: a second later the copy still works.
    assert_eq!(result.outcome, Outcome::Compromised, "{}", result.evidence);
    assert!(result.duration_ms >= wait.as_millis() as u64);
    assert!(
        result.evidence.contains("1 s of real time"),
        "{}",
        result.evidence
    );
    lab.server.shutdown().await;
}

/// Runs `scenario` against `profile` described by a target file (alice's
/// address on `/account` as the marker).
async fn run_by_file(profile: Profile, scenario: &str) -> sessionlab_attack::RunResult {
    let lab = start_profile(&profile)
        .await
        .expect("the app starts on loopback");
    let url = format!(
        "{}://127.0.0.1:{}",
        lab.target.scheme,
        lab.target.addr.port()
    );
    let target = Target::from_app_file(&file_for(&url, "alice@lab.test"), &AppOptions::default())
        .await
        .expect("the file is valid");
    let result = run_scenario(
        scenario,
        &target,
        &Credentials::default_victim(),
        &Credentials::default_attacker(),
    )
    .await;
    lab.server.shutdown().await;
    result
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_found_in_the_attackers_cookies_is_cracked_and_forged() {
    let result = run_by_file(Profile::new(ProfileName::Insecure), "forged-cookie").await;
    assert_eq!(result.outcome, Outcome::Compromised, "{}", result.evidence);
    let proof = result.proof.as_ref().expect("a proof");
    assert_eq!(proof.kind, ProofKind::VictimMarker);
    assert_eq!(proof.value, "alice@lab.test");
    assert_eq!(result.steps[proof.step].actor, Actor::Attacker);
    assert!(
        result.evidence.contains("38sisjsk92"),
        "{}",
        result.evidence
    );
    assert!(
        result
            .steps
            .iter()
            .any(|s| s.observed.contains("\"sub\" holds his username")),
        "the identity claim is found, not assumed"
    );

    // A random key from the environment is on no list: the forgery stops there.
    let random_key = Profile::new(ProfileName::Insecure).with(Defense::SecretFromEnv);
    let result = run_by_file(random_key, "forged-cookie").await;
    assert_eq!(result.outcome, Outcome::Blocked, "{}", result.evidence);
    assert!(
        result.evidence.contains("none of the"),
        "{}",
        result.evidence
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unsigned_token_passes_only_a_verifier_that_trusts_its_header() {
    let result = run_by_file(Profile::new(ProfileName::Insecure), "jwt-none").await;
    assert_eq!(result.outcome, Outcome::Compromised, "{}", result.evidence);
    let proof = result.proof.as_ref().expect("a proof");
    assert_eq!(proof.kind, ProofKind::VictimMarker);

    let pinned = Profile::new(ProfileName::Insecure).with(Defense::PinnedAlgorithm);
    let result = run_by_file(pinned, "jwt-none").await;
    assert_eq!(result.outcome, Outcome::Blocked, "{}", result.evidence);
    assert!(result.proof.is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_side_sessions_leave_no_token_to_forge() {
    for scenario in ["forged-cookie", "jwt-none"] {
        let result = run_by_file(Profile::new(ProfileName::Hardened), scenario).await;
        assert_eq!(
            result.outcome,
            Outcome::NotApplicable,
            "{scenario}: {}",
            result.evidence
        );
        assert!(
            result
                .evidence
                .contains("no cookie the app set holds a JWT"),
            "{scenario}: {}",
            result.evidence
        );
        assert!(result.proof.is_none());
    }
}
