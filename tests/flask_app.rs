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

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

use common::{
    ExampleApp, attack_as_expected, free_port, repo, skipped, venv_example_missing, venv_python,
};

fn example() -> PathBuf {
    repo("examples/flask-app")
}

fn python() -> PathBuf {
    venv_python(&example())
}

/// Why the Flask app cannot run here, if it cannot.
fn missing() -> Option<String> {
    venv_example_missing(&example(), "flask")
}

fn start_flask() -> ExampleApp {
    let port = free_port();
    let mut server = Command::new(python());
    server
        .arg("app.py")
        .current_dir(example())
        .env("PORT", port.to_string())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    ExampleApp::start("the Flask app", server, port, Duration::from_secs(30))
}

#[test]
fn the_flask_app_does_what_its_expected_outcomes_say() {
    if skipped(missing(), "SESSIONLAB_REQUIRE_FLASK") {
        return;
    }
    let app = start_flask();
    let json = attack_as_expected(&example(), app.port);
    let results = json["results"].as_array().expect("results");
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
