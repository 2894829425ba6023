//! Express again, with the session in the cookie: the example
//! `examples/express-cookie-session` (real Express and the npm package
//! `cookie-session`, keys copied from cookie-session's README) attacked with
//! `sessionlab attack --target-file`, each outcome checked against its
//! `expected.toml`. The key is the whole defense: forged-cookie cracks it
//! from the wordlist against the `session.sig` cookie, signs a session
//! naming the victim, and the proof is the victim's marker on the page the
//! two forged cookies opened. With a random key the same run is blocked.
//!
//! Needs `node` and `npm install` run in the example (`.ci/run` does both).
//! Without them the test says so and passes, unless
//! `SESSIONLAB_REQUIRE_NODE=1` (set by `.ci/run`), where it fails.

mod common;

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

use common::{
    ExampleApp, attack_as_expected, free_port, node_example_missing, repo, sessionlab, skipped,
    stderr, stdout,
};

fn example() -> PathBuf {
    repo("examples/express-cookie-session")
}

/// Why the app cannot run here, if it cannot.
fn missing() -> Option<String> {
    node_example_missing(&example(), "cookie-session")
}

/// The app on a free port; `key`, when given, replaces the README's keys.
fn start(key: Option<&str>) -> ExampleApp {
    let port = free_port();
    let mut node = Command::new("node");
    node.arg("index.js")
        .current_dir(example())
        .env("PORT", port.to_string())
        .env_remove("SESSION_KEY")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit());
    if let Some(key) = key {
        node.env("SESSION_KEY", key);
    }
    ExampleApp::start(
        "the cookie-session app",
        node,
        port,
        Duration::from_secs(20),
    )
}

#[test]
fn the_cookie_session_app_does_what_its_expected_outcomes_say() {
    if skipped(missing(), "SESSIONLAB_REQUIRE_NODE") {
        return;
    }
    let app = start(None);
    let json = attack_as_expected(&example(), app.port);
    assert_eq!(json["target"]["session_cookie"], "session");
    let forged = json["results"]
        .as_array()
        .expect("results")
        .iter()
        .find(|r| r["scenario"] == "forged-cookie")
        .expect("forged-cookie ran");
    assert_eq!(forged["outcome"], "compromised", "{forged}");
    assert_eq!(forged["proof"]["kind"], "victim-marker", "{forged}");
    assert_eq!(forged["proof"]["value"], "Signed in as alice.", "{forged}");
    let evidence = forged["evidence"].as_str().unwrap();
    assert!(evidence.contains("\"key1\""), "{evidence}");
}

#[test]
fn a_random_key_blocks_the_forgery() {
    if skipped(missing(), "SESSIONLAB_REQUIRE_NODE") {
        return;
    }
    let key: String = (0..32)
        .map(|_| format!("{:02x}", rand::random::<u8>()))
        .collect();
    let app = start(Some(&key));
    let mut file = sessionlab_attack::TargetFile::read(&example().join("target.toml"))
        .expect("the example parses");
    file.url = format!("http://127.0.0.1:{}", app.port);
    let path = std::env::temp_dir().join(format!("sessionlab-cookie-session-{}.toml", app.port));
    std::fs::write(&path, file.to_toml()).expect("written");
    let out = sessionlab(&[
        "attack",
        "--target-file",
        path.to_str().unwrap(),
        "--scenario",
        "forged-cookie",
        "--format",
        "json",
    ]);
    let _ = std::fs::remove_file(&path);
    assert!(out.status.success(), "{}", stderr(&out));
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("JSON");
    let forged = &json["results"][0];
    assert_eq!(forged["scenario"], "forged-cookie", "{json}");
    assert_eq!(forged["outcome"], "blocked", "{forged}");
    let evidence = forged["evidence"].as_str().unwrap();
    assert!(evidence.contains("none of the"), "{evidence}");
}
