//! A bounded load test against hardened, in-process (no socket, so nothing
//! leaves the machine): concurrent logins, logouts, "log out everywhere" and
//! password changes. No answer may be a 5xx, and no session that was ended
//! may come back. [`WORKERS`] x [`ROUNDS`] rounds, a few seconds.

use std::sync::Arc;
use std::time::Instant;

use axum::http::StatusCode;
use tokio::sync::Mutex;

use super::*;

const WORKERS: usize = 8;
const ROUNDS: usize = 6;

/// One session a worker signed in, and whether it ended it itself.
struct Signed {
    user: &'static str,
    cookie: String,
    signed_in_at: Instant,
    logged_out: bool,
}

/// Everything the workers did that ends sessions, for the check at the end.
#[derive(Default)]
struct Log {
    sessions: Vec<Signed>,
    /// `(user, when it began)` of each end-all and password change: every
    /// session of that user signed in before then must be over.
    ends: Vec<(&'static str, Instant)>,
    statuses: Vec<(String, StatusCode)>,
}

/// bob's password, changed back and forth by the workers; a login reads it
/// under the same lock, so no login races a change.
struct Bob {
    password: Mutex<&'static str>,
}

fn other(password: &str) -> &'static str {
    if password == "builder" {
        "builder-2nd-pass"
    } else {
        "builder"
    }
}

async fn log_in(visitor: &mut Visitor, user: &str, password: &str, log: &Mutex<Log>) -> bool {
    let form = visitor.get("/login").await;
    let reply = visitor
        .post("/login", &format!("username={user}&password={password}"))
        .await;
    let mut log = log.lock().await;
    log.statuses.push(("GET /login".into(), form.status));
    log.statuses.push(("POST /login".into(), reply.status));
    reply.status == StatusCode::SEE_OTHER
}

async fn worker(
    n: usize,
    router: Router,
    info_name: &'static str,
    log: Arc<Mutex<Log>>,
    bob: Arc<Bob>,
) {
    let user: &'static str = if n.is_multiple_of(2) { "alice" } else { "bob" };
    for round in 0..ROUNDS {
        let mut visitor = Visitor {
            router: router.clone(),
            cookie_name: info_name,
            cookie: None,
            csrf_token: None,
        };
        let signed_in = if user == "alice" {
            log_in(&mut visitor, user, "wonderland", &log).await
        } else {
            let password = bob.password.lock().await;
            log_in(&mut visitor, user, &password, &log).await
        };
        assert!(signed_in, "{user} could not sign in");
        let account = visitor.get("/account").await;
        let signed_in_at = Instant::now();
        let cookie = visitor.cookie.clone().expect("a session cookie");
        log.lock()
            .await
            .statuses
            .push(("GET /account".into(), account.status));
        let mut logged_out = false;
        let action = (n + round) % 4;
        let reply = match action {
            0 => {
                logged_out = true;
                ("POST /logout", visitor.post("/logout", "").await)
            }
            1 => {
                log.lock().await.ends.push((user, Instant::now()));
                visitor.get("/account/sessions").await;
                (
                    "POST end-all",
                    visitor.post("/account/sessions/end-all", "").await,
                )
            }
            2 if user == "bob" => {
                let mut password = bob.password.lock().await;
                log.lock().await.ends.push((user, Instant::now()));
                visitor.get("/account/password").await;
                let reply = visitor
                    .post(
                        "/account/password",
                        &format!(
                            "current_password={}&new_password={}",
                            *password,
                            other(&password)
                        ),
                    )
                    .await;
                if reply.status == StatusCode::OK {
                    *password = other(&password);
                }
                ("POST password", reply)
            }
            _ => (
                "GET /account/sessions",
                visitor.get("/account/sessions").await,
            ),
        };
        let mut log = log.lock().await;
        log.statuses.push((reply.0.into(), reply.1.status));
        log.sessions.push(Signed {
            user,
            cookie,
            signed_in_at,
            logged_out,
        });
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_sign_ins_and_endings_on_hardened_lose_nothing_and_revive_nothing() {
    let (router, info) = app(&builtin(ProfileName::Hardened));
    let log = Arc::new(Mutex::new(Log::default()));
    let bob = Arc::new(Bob {
        password: Mutex::new("builder"),
    });
    let workers: Vec<_> = (0..WORKERS)
        .map(|n| {
            tokio::spawn(worker(
                n,
                router.clone(),
                info.session_cookie_name,
                log.clone(),
                bob.clone(),
            ))
        })
        .collect();
    for worker in workers {
        worker.await.expect("a worker panicked");
    }
    let log = log.lock().await;
    let server_errors: Vec<_> = log
        .statuses
        .iter()
        .filter(|(_, s)| s.is_server_error())
        .collect();
    assert!(server_errors.is_empty(), "5xx answers: {server_errors:?}");
    assert!(log.statuses.len() >= WORKERS * ROUNDS * 4);

    let mut ended = 0;
    for session in &log.sessions {
        let was_ended = session.logged_out
            || log
                .ends
                .iter()
                .any(|(user, at)| *user == session.user && *at > session.signed_in_at);
        if !was_ended {
            continue;
        }
        ended += 1;
        let mut copy = Visitor::new(&router, &info);
        copy.cookie = Some(session.cookie.clone());
        let reply = copy.get("/account").await;
        assert!(
            reply.status != StatusCode::OK && private_note(&reply.body).is_none(),
            "an ended session of {} came back: {}",
            session.user,
            reply.status
        );
    }
    eprintln!(
        "load: {} requests, {} sessions, {ended} ended and checked",
        log.statuses.len(),
        log.sessions.len()
    );
    assert!(ended >= WORKERS, "too few ended sessions to check: {ended}");
}
