//! `sessionlab lesson` as a learner and a CI job meet it: the binary as a child
//! process, its apps on loopback, stdin never a terminal here.

use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

mod common;
use common::{binary, text};

fn lesson_command(args: &[&str]) -> Command {
    let mut command = binary();
    command
        .arg("lesson")
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

/// Waits for the child, failing the test (and killing it) if it takes longer
/// than `limit`: a lesson waiting for an Enter nobody can press must not hang CI.
fn finish_within(mut child: Child, limit: Duration) -> Output {
    let started = Instant::now();
    while child.try_wait().expect("the child can be polled").is_none() {
        if started.elapsed() > limit {
            let _ = child.kill();
            panic!("the lesson still runs after {limit:?}: it waits for input it cannot get");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    child.wait_with_output().expect("the output is collected")
}

fn run_lesson(args: &[&str]) -> Output {
    let child = lesson_command(args)
        .stdin(Stdio::null())
        .spawn()
        .expect("the binary runs");
    finish_within(child, Duration::from_secs(120))
}

/// Every `crates/app/src/defenses/<file>.rs:<line>` the output points to.
fn source_locations(output: &str) -> Vec<(String, usize)> {
    output
        .split_whitespace()
        .filter(|word| word.starts_with("crates/app/src/defenses/"))
        .filter_map(|word| {
            let (path, line) = word.rsplit_once(':')?;
            Some((path.to_string(), line.parse().ok()?))
        })
        .collect()
}

/// The location exists in the repository and its line is the defense's check.
fn assert_points_at_code(path: &str, line: usize, variant: &str) {
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
    let source = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{path}: {e}"));
    let shown = source
        .lines()
        .nth(line - 1)
        .unwrap_or_else(|| panic!("{path} has no line {line}"));
    assert!(
        shown.contains(&format!("Defense::{variant}")),
        "{path}:{line} is {shown:?}"
    );
}

#[test]
fn logout_reuse_walks_through_the_attack_and_names_the_defense_that_broke_it() {
    let out = run_lesson(&["logout-reuse", "--no-pause"]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{}\n{stdout}", text(&out.stderr));

    // The walk-through: steps, with the HTTP and the jar's decisions.
    assert!(stdout.contains("Step 1 of 4"), "{stdout}");
    assert!(stdout.contains("→ POST http://app.lab.test:"), "{stdout}");
    assert!(stdout.contains("Set-Cookie: sid="), "{stdout}");
    assert!(stdout.contains("Cookie: sid="), "{stdout}");
    assert!(stdout.contains("browser: stored sid"), "{stdout}");
    // The proof is the note the attacker's response carried, not a claim.
    let proof = stdout
        .lines()
        .find(|line| line.contains("the attacker now reads alice's private note"))
        .unwrap_or_else(|| panic!("no proof line:\n{stdout}"));
    assert!(proof.contains("\"private note of alice #"), "{proof}");

    // Insecure falls first, then hardened holds at the replay.
    let compromised = stdout.find("✗ COMPROMISED").expect("insecure falls");
    let blocked = stdout.find("✓ blocked").expect("hardened holds");
    assert!(compromised < blocked);
    assert!(stdout.contains("(where the attack broke)"), "{stdout}");
    assert!(stdout.contains("Location: /login"), "{stdout}");

    // The defense, and where to read it.
    let attribution = &stdout[stdout.find("What broke it:").expect("attribution")..];
    assert!(attribution.contains("server-logout"), "{attribution}");
    let locations = source_locations(attribution);
    assert!(
        locations
            .iter()
            .any(|(path, _)| path == "crates/app/src/defenses/server_logout.rs"),
        "{locations:?}"
    );
    for (path, line) in &locations {
        assert_points_at_code(path, *line, "ServerLogout");
    }

    // The recap comes from the scenario file.
    assert!(stdout.contains("CWE-613"), "{stdout}");
    assert!(stdout.contains("docs/lessons/logout-reuse.md"), "{stdout}");
    assert!(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("docs/lessons/logout-reuse.md")
            .exists()
    );
}

#[test]
fn csrf_is_held_by_layers_and_the_lesson_says_defense_in_depth() {
    let out = run_lesson(&["csrf", "--no-pause"]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{}\n{stdout}", text(&out.stderr));
    // The forged POST is where it broke, with the jar's reason for keeping the cookie home.
    assert!(stdout.contains("→ POST https://app.lab.test:"), "{stdout}");
    assert!(
        stdout.contains("browser: withheld __Host-sid (a SameSite=Strict cookie"),
        "{stdout}"
    );
    let attribution = &stdout[stdout
        .find("Defense in depth:")
        .unwrap_or_else(|| panic!("no defense-in-depth verdict:\n{stdout}"))..];
    let locations = source_locations(attribution);
    for (variant, file) in [
        ("SameSiteStrict", "same_site_strict.rs"),
        ("CsrfToken", "csrf_token.rs"),
        ("OriginCheck", "origin_check.rs"),
    ] {
        let (path, line) = locations
            .iter()
            .find(|(path, _)| path.ends_with(file))
            .unwrap_or_else(|| panic!("{file} not pointed to: {attribution}"));
        assert_points_at_code(path, *line, variant);
    }
}

#[test]
fn without_an_id_it_lists_the_lessons_in_teaching_order() {
    let out = run_lesson(&[]);
    assert!(out.status.success());
    let stdout = text(&out.stdout);
    let listed: Vec<&str> = stdout
        .lines()
        .filter_map(|line| {
            let (number, rest) = line.trim_start().split_once(". ")?;
            number.parse::<u32>().ok()?;
            rest.split_whitespace().next()
        })
        .collect();
    let expected: Vec<String> = sessionlab_attack::catalog::all()
        .into_iter()
        .map(|meta| meta.id)
        .collect();
    assert_eq!(
        listed.len(),
        sessionlab_attack::catalog::all().len(),
        "{stdout}"
    );
    assert_eq!(listed, expected, "{stdout}");
}

#[test]
fn an_unknown_lesson_is_a_usage_error_naming_the_valid_ones() {
    let out = run_lesson(&["hijack-everything"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    for meta in sessionlab_attack::catalog::all() {
        assert!(stderr.contains(&meta.id), "{stderr}");
    }
    assert!(stderr.contains("hijack-everything"), "{stderr}");
}

#[test]
fn without_a_terminal_on_stdin_the_lesson_never_waits() {
    // No --no-pause: stdin a pipe that stays open and never brings a line. A
    // lesson that waited for Enter here would block for ever.
    let mut child = lesson_command(&["idle-timeout"])
        .stdin(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    let open_stdin = child.stdin.take();
    let out = finish_within(child, Duration::from_secs(120));
    drop(open_stdin);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(!stdout.contains("[Enter"), "{stdout}");
    assert!(stdout.contains("Recap:"), "{stdout}");
    // By hand, the timeout attacks need a served app whose clock they may move.
    assert!(
        stdout.contains("sessionlab serve --profile insecure --lab-clock"),
        "{stdout}"
    );
}

#[test]
fn quiet_drops_the_hints() {
    let out = run_lesson(&["--quiet"]);
    assert!(out.status.success());
    let stdout = text(&out.stdout);
    assert!(stdout.contains("credential-bypass"), "{stdout}");
    assert!(!stdout.contains("Start with"), "{stdout}");

    let out = run_lesson(&["logout-reuse", "--no-pause", "--quiet"]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{}\n{stdout}", text(&out.stderr));
    assert!(stdout.contains("What broke it:"), "{stdout}");
    assert!(stdout.contains("Recap:"), "{stdout}");
    for hint in ["try it", "Which defense broke it?"] {
        assert!(!stdout.contains(hint), "--quiet printed {hint:?}: {stdout}");
    }
    // Not a timeout attack: no clock to offer.
    let chatty = text(&run_lesson(&["logout-reuse", "--no-pause"]).stdout);
    assert!(chatty.contains("try it"), "{chatty}");
    assert!(!chatty.contains("--lab-clock"), "{chatty}");
}
