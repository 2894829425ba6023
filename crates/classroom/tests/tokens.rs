//! The session-token challenges (forged-cookie, jwt-none) by hand: a plain
//! HTTP client as the student, `sessionlab_attack::tokens` as the JWT tool
//! they would use, and the scoreboard read back from the hub. The forged
//! token rides in bob's own session, so a judge that looked only at the
//! session would call it session-puzzling: it must not.

mod common;

use common::forgery::{alice_claims, bobs_cookies, forged_tokens, with_token};
use common::{Student, class, note_of};
use reqwest::StatusCode;
use sessionlab_app::ProfileName;
use sessionlab_attack::tokens;
use sessionlab_classroom::{BotBrowser, RunningClass};

/// Logs in as bob at the form, as a person would; the cookies bob then holds.
async fn log_in_as_bob(student: &Student) -> Vec<String> {
    let (answer, anonymous) = student.log_in("bob", "builder").await;
    assert_eq!(answer.status(), StatusCode::SEE_OTHER, "bob's login");
    bobs_cookies(&answer, Some(anonymous))
}

async fn account_shows_alice(class: &RunningClass, student: &Student, cookie: &str) -> bool {
    let (_, body, _) = student.app_get("/account", Some(cookie)).await;
    body.contains(&note_of(class, &student.name))
}

/// forged-cookie by hand: crack bob's token offline with the lab's wordlist,
/// sign `sub: alice` with the key, open /account in bob's own session.
/// Without a token to crack (server-side sessions) bob still tries every
/// published secret.
async fn forged_cookie(class: &RunningClass, student: &Student) -> bool {
    let cookies = log_in_as_bob(student).await;
    for forged in forged_tokens(&cookies) {
        if account_shows_alice(class, student, &with_token(&cookies, &forged)).await {
            return true;
        }
    }
    false
}

/// jwt-none by hand: a token saying `alg: none` and `sub: alice`, no signature,
/// in bob's own session.
async fn jwt_none(class: &RunningClass, student: &Student) -> bool {
    let cookies = log_in_as_bob(student).await;
    let unsigned = tokens::unsigned(&alice_claims());
    account_shows_alice(class, student, &with_token(&cookies, &unsigned)).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_and_unsigned_tokens_solve_their_own_challenges_against_insecure_only() {
    for (profile, expected) in [
        (ProfileName::Insecure, true),
        (ProfileName::Hardened, false),
    ] {
        let class = class(profile, BotBrowser::Sim).await;
        for (challenge, name) in [("forged-cookie", "s1"), ("jwt-none", "s2")] {
            let student = Student::sign_in(&class, name).await;
            assert!(
                !student.solved(challenge).await,
                "{profile}: {challenge} solved before any attempt"
            );
            let shown = match challenge {
                "forged-cookie" => forged_cookie(&class, &student).await,
                _ => jwt_none(&class, &student).await,
            };
            assert_eq!(
                shown, expected,
                "{profile}: {challenge} showed alice's note"
            );
            assert_eq!(
                student.solved(challenge).await,
                expected,
                "{profile}: {challenge} on the scoreboard"
            );
            // The token decided, not bob's session: no other challenge counts it.
            for other in ["session-puzzling", "forged-cookie", "jwt-none"] {
                if other != challenge {
                    assert!(
                        !student.solved(other).await,
                        "{profile}: {challenge}'s token also marked {other}"
                    );
                }
            }
        }
        class.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bobs_own_token_and_a_wrong_key_solve_nothing() {
    let class = class(ProfileName::Insecure, BotBrowser::Sim).await;
    let student = Student::sign_in(&class, "ann").await;
    let cookies = log_in_as_bob(&student).await;
    assert!(
        cookies.iter().any(|c| c.starts_with("token=")),
        "insecure hands bob a token: {cookies:?}"
    );
    // bob's own token, as his login got it: his account, not alice's.
    let (status, body, _) = student.app_get("/account", Some(&cookies.join("; "))).await;
    assert_eq!(status, StatusCode::OK);
    assert!(!body.contains(&note_of(&class, "ann")));
    // alice's name signed with a key that is not the app's: not believed.
    let wrong = tokens::sign_hs256(&alice_claims(), b"not-the-key");
    assert!(!account_shows_alice(&class, &student, &with_token(&cookies, &wrong)).await);
    for challenge in ["forged-cookie", "jwt-none", "session-puzzling"] {
        assert!(!student.solved(challenge).await, "{challenge}");
    }
    // The wordlist the hints name is served by the hub.
    let list = student.hub_get("/wordlists/jwt-secrets.txt").await;
    assert_eq!(list, tokens::PUBLISHED_SECRETS);
    class.shutdown().await;
}
