//! A third framework: the Flask example (`examples/flask-app`, Flask's
//! default client-side session, signed with a secret copied from a
//! tutorial) attacked with `sessionlab attack --target-file`, each outcome
//! checked against `examples/flask-app/expected.toml`. The cookie holds the
//! whole session, so the key is the whole defense: forged-cookie cracks it
//! from the wordlist and signs a session naming the victim, and the proof is
//! the victim's marker on the page the forged cookie opened.
//!
//! Needs the example's virtualenv with Flask (`.ci/run` makes it:
//! `python3 -m venv examples/flask-app/.venv`, then `pip install -r
//! requirements.txt`). Without it the test says so and passes, unless
//! `SESSIONLAB_REQUIRE_FLASK=1` (set by `.ci/run`), where it fails.

mod common;

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{repo, sessionlab, stderr, stdout};
use serde_json::Value;
use sessionlab_attack::TargetFile;

fn example() -> PathBuf {
    repo("examples/flask-app")
}

fn python() -> PathBuf {
    example().join(".venv/bin/python")
}

/// Why the Flask app cannot run here, if it cannot.
fn missing() -> Option<String> {
    let has_flask = Command::new(python())
        .args(["-c", "import flask"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    (!has_flask).then(|| {
        format!(
            "no virtualenv with Flask at {} (python3 -m venv .venv && .venv/bin/pip install -r requirements.txt there; .ci/run does)",
            example().join(".venv").display()
        )
    })
}

/// The app under Flask's development server, killed when dropped.
struct FlaskApp {
    child: Child,
    port: u16,
}

impl Drop for FlaskApp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_flask() -> FlaskApp {
    let port = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|l| l.local_addr())
        .expect("a free loopback port")
        .port();
    let child = Command::new(python())
        .arg("app.py")
        .current_dir(example())
        .env("PORT", port.to_string())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("the development server starts");
    let mut app = FlaskApp { child, port };
    let deadline = Instant::now() + Duration::from_secs(30);
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    while TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err() {
        if let Ok(Some(status)) = app.child.try_wait() {
            panic!("the Flask app exited before listening: {status}");
        }
        assert!(
            Instant::now() < deadline,
            "the Flask app did not listen on {addr} within 30 s"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    app
}

#[test]
fn the_flask_app_does_what_its_expected_outcomes_say() {
    if let Some(why) = missing() {
        let required = std::env::var("SESSIONLAB_REQUIRE_FLASK").is_ok_and(|v| v == "1");
        assert!(!required, "SESSIONLAB_REQUIRE_FLASK=1 but {why}");
        eprintln!("skipped: {why}");
        return;
    }
    let app = start_flask();
    let expected: BTreeMap<String, String> = {
        let text = std::fs::read_to_string(example().join("expected.toml")).expect("readable");
        let table: toml::Table = toml::from_str(&text).expect("expected.toml parses");
        table["outcomes"]
            .as_table()
            .expect("an [outcomes] table")
            .iter()
            .map(|(id, o)| (id.clone(), o.as_str().expect("a string").to_string()))
            .collect()
    };
    let mut file = TargetFile::read(&example().join("target.toml")).expect("the example parses");
    file.url = format!("http://127.0.0.1:{}", app.port);
    let path = std::env::temp_dir().join(format!("sessionlab-flask-{}.toml", app.port));
    std::fs::write(&path, file.to_toml()).expect("written");
    let out = sessionlab(&[
        "attack",
        "--target-file",
        path.to_str().unwrap(),
        "--format",
        "json",
    ]);
    let _ = std::fs::remove_file(&path);
    assert!(out.status.success(), "{}", stderr(&out));
    let json: Value = serde_json::from_str(&stdout(&out)).expect("JSON");
    let results = json["results"].as_array().expect("results");
    let mut ran = BTreeMap::new();
    for result in results {
        let id = result["scenario"].as_str().unwrap();
        let outcome = result["outcome"].as_str().unwrap();
        if outcome != "not-applicable" {
            ran.insert(
                id.to_string(),
                (outcome.to_string(), result["evidence"].to_string()),
            );
        }
    }
    let wrong: Vec<String> = expected
        .iter()
        .filter(|(id, outcome)| ran.get(*id).map(|(o, _)| o) != Some(outcome))
        .map(|(id, outcome)| format!("{id}: expected {outcome}, got {:?}", ran.get(id)))
        .chain(
            ran.iter()
                .filter(|(id, _)| !expected.contains_key(*id))
                .map(|(id, got)| format!("{id} ran ({got:?}) but expected.toml does not list it")),
        )
        .collect();
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    assert_eq!(json["target"]["session_cookie"], "session");

    // The forgery's proof is the victim's marker on the page the forged
    // cookie opened, found with the key the wordlist gave.
    let forged = results
        .iter()
        .find(|r| r["scenario"] == "forged-cookie")
        .expect("forged-cookie ran");
    assert_eq!(forged["proof"]["kind"], "victim-marker", "{forged}");
    assert_eq!(forged["proof"]["value"], "Signed in as alice.", "{forged}");
    let evidence = forged["evidence"].as_str().unwrap();
    assert!(evidence.contains("super secret key"), "{evidence}");
}
