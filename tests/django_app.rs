//! A second framework: the Django example (`examples/django-app`, Django's
//! own login and logout views, every session setting at its default)
//! attacked with `sessionlab attack --target-file`, each outcome checked
//! against `examples/django-app/expected.toml`. Django's defaults hold where
//! the article's Express app falls (a new key at login, a password check),
//! and fall where no framework default helps (plain HTTP).
//!
//! Needs the example's virtualenv with Django (`.ci/run` makes it:
//! `python3 -m venv examples/django-app/.venv`, then `pip install -r
//! requirements.txt`). Without it the test says so and passes, unless
//! `SESSIONLAB_REQUIRE_DJANGO=1` (set by `.ci/run`), where it fails.

mod common;

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

use common::{
    ExampleApp, attack_as_expected, free_port, repo, skipped, venv_example_missing, venv_python,
};

fn example() -> PathBuf {
    repo("examples/django-app")
}

fn python() -> PathBuf {
    venv_python(&example())
}

/// Why the Django app cannot run here, if it cannot.
fn missing() -> Option<String> {
    venv_example_missing(&example(), "django")
}

/// The app under Django's development server, with a database of its own
/// that goes when it does.
struct DjangoApp {
    app: ExampleApp,
    database: PathBuf,
}

impl Drop for DjangoApp {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.database);
    }
}

fn start_django() -> DjangoApp {
    let port = free_port();
    let database = std::env::temp_dir().join(format!("sessionlab-django-{port}.sqlite3"));
    let _ = std::fs::remove_file(&database);
    let migrated = Command::new(python())
        .args(["manage.py", "migrate", "--noinput"])
        .current_dir(example())
        .env("DJANGO_DB", &database)
        .stdout(Stdio::null())
        .status()
        .expect("python runs");
    assert!(migrated.success(), "manage.py migrate failed");
    let mut server = Command::new(python());
    server
        .args([
            "manage.py",
            "runserver",
            &format!("127.0.0.1:{port}"),
            "--noreload",
        ])
        .current_dir(example())
        .env("DJANGO_DB", &database)
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let app = ExampleApp::start("the Django app", server, port, Duration::from_secs(30));
    DjangoApp { app, database }
}

#[test]
fn the_django_app_does_what_its_expected_outcomes_say() {
    if skipped(missing(), "SESSIONLAB_REQUIRE_DJANGO") {
        return;
    }
    let django = start_django();
    let json = attack_as_expected(&example(), django.app.port);
    assert_eq!(json["target"]["session_cookie"], "sessionid");
    let weak: Vec<&str> = json["target"]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["weak"] == true)
        .map(|f| f["attribute"].as_str().unwrap())
        .collect();
    assert!(
        weak.contains(&"Secure") && !weak.contains(&"HttpOnly") && !weak.contains(&"SameSite"),
        "{weak:?}"
    );
}
