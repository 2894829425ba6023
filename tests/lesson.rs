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

/// Every `crates/app/src/defenses/<file>.rs:<line>` the output names as a
/// defense's switch.
fn source_locations(output: &str) -> Vec<(String, usize)> {
    output
        .lines()
        .filter(|line| line.trim_start().starts_with("switch "))
        .flat_map(str::split_whitespace)
        .filter(|word| word.starts_with("crates/app/src/defenses/"))
        .filter_map(|word| {
            let (path, line) = word.rsplit_once(':')?;
            Some((path.to_string(), line.parse().ok()?))
        })
        .collect()
}

/// Every mechanism line: `mechanism  <path>:<line>  <code>`, checked to exist
/// and to hold that code; returns how many there were.
fn assert_mechanisms_hold_their_code(output: &str) -> usize {
    let mut seen = 0;
    for line in output.lines() {
        let Some(rest) = line.trim_start().strip_prefix("mechanism ") else {
            continue;
        };
        let rest = rest.trim_start();
        let (location, code) = rest.split_once("  ").unwrap_or((rest, ""));
        let (path, number) = location.rsplit_once(':').expect("path:line");
        let number: usize = number.parse().expect("a line number");
        let file = Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
        let source = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{path}: {e}"));
        let shown = source
            .lines()
            .nth(number - 1)
            .unwrap_or_else(|| panic!("{path} has no line {number}"));
        assert!(
            !code.trim().is_empty() && shown.contains(code.trim()),
            "{path}:{number} is {shown:?}, not {code:?}"
        );
        seen += 1;
    }
    seen
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
    // On insecure the premise's copy includes her token (client-side sessions).
    assert!(stdout.contains("and of her token cookie token"), "{stdout}");
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
    assert_eq!(
        assert_mechanisms_hold_their_code(attribution),
        1,
        "{attribution}"
    );
    // The replay shows the step where the defense acted: the logout.
    let replay = &stdout[stdout.find("Part 2.").expect("a hardened replay")..];
    let acted = replay
        .find("(where server-logout acted)")
        .unwrap_or_else(|| panic!("no step where the defense acted:\n{stdout}"));
    assert!(replay[acted..].contains("Clear-Site-Data"), "{replay}");

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
    assert_eq!(
        assert_mechanisms_hold_their_code(attribution),
        3,
        "{attribution}"
    );
    assert!(attribution.contains("a.ct_eq(b)"), "{attribution}");
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

#[test]
fn a_lesson_is_found_by_its_number_in_the_list() {
    let out = run_lesson(&["5", "--no-pause"]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{}\n{stdout}", text(&out.stderr));
    let fifth = sessionlab_attack::catalog::all()
        .into_iter()
        .find(|meta| meta.order == 5)
        .expect("a fifth lesson");
    assert!(
        stdout.starts_with(&format!("Lesson 5: {}", fifth.title)),
        "{stdout}"
    );
    assert!(stdout.contains(&format!("({}, ", fifth.id)), "{stdout}");
    assert_eq!(run_lesson(&["99"]).status.code(), Some(2));
}

/// How many lines of a 100-column terminal `text` fills.
fn screen_lines(text: &str) -> usize {
    text.lines()
        .map(|line| line.chars().count().div_ceil(100).max(1))
        .sum()
}

#[test]
fn brief_keeps_every_step_on_a_projector_screen() {
    let child = lesson_command(&["referer-leak", "--brief", "--no-pause"])
        .env("COLUMNS", "100")
        .stdin(Stdio::null())
        .spawn()
        .expect("the binary runs");
    let out = finish_within(child, Duration::from_secs(120));
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{}\n{stdout}", text(&out.stderr));
    assert!(stdout.contains("⇢ login"), "{stdout}");
    // Each step runs from its heading to the next heading, the result or a pause.
    let steps: Vec<&str> = stdout.split("Step ").skip(1).collect();
    assert!(steps.len() >= 4, "{stdout}");
    for step in steps {
        let step = step
            .split("\nResult:")
            .next()
            .unwrap_or(step)
            .split("\nnext:")
            .next()
            .unwrap_or(step);
        let lines = screen_lines(step.trim_end());
        assert!(
            lines <= 30,
            "a step of {lines} lines at 100 columns:\nStep {step}"
        );
    }
    // Wrapping never splits a token of a body.
    assert!(!stdout.contains("<\n"), "{stdout}");
}

#[test]
fn keys_at_the_pause_show_the_full_http_and_quit() {
    use sessionlab::lesson::{LineKeys, Options, Pace};
    let meta = sessionlab::lesson::find("logout-reuse").expect("the lesson exists");
    let mut out = Vec::new();
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    runtime
        .block_on(sessionlab::lesson::run_with(
            &meta,
            Options {
                pace: Pace::Pause,
                quiet: false,
                brief: true,
            },
            Box::new(LineKeys(&b"f\nq\n"[..])),
            &mut out,
        ))
        .expect("the lesson runs");
    let shown = text(&out);
    // Step 1 in brief, then in full after `f`, then `q` ends the lesson there.
    assert_eq!(shown.matches("Step 1 of").count(), 2, "{shown}");
    assert!(shown.contains("⇢ login"), "{shown}");
    assert!(shown.contains("→ POST"), "`f` shows the full HTTP: {shown}");
    assert!(shown.contains("q: quit"), "{shown}");
    assert!(!shown.contains("Step 2 of"), "`q` did not quit: {shown}");
    assert!(!shown.contains("Recap:"), "{shown}");
}

#[test]
fn a_one_lesson_handout_holds_the_steps_the_defense_and_the_lesson() {
    // Its number is its place in the registry's teaching order.
    let number = sessionlab_attack::REGISTRY
        .iter()
        .position(|s| s.id == "logout-reuse")
        .expect("logout-reuse is a scenario")
        + 1;
    let heading = format!("Lesson {number}: ");
    let out = run_lesson(&["logout-reuse", "--format", "html"]);
    let html = text(&out.stdout);
    assert!(out.status.success(), "{}", text(&out.stderr));
    common::assert_self_contained_html(&html);
    assert!(
        html.starts_with("<!doctype html>"),
        "no prompt or colour before the page"
    );
    assert!(!html.contains('\u{1b}'), "{html}");
    for part in [
        heading.as_str(),
        "→ POST",
        "Clear-Site-Data",
        "switch     crates/app/src/defenses/server_logout.rs:",
        "mechanism  crates/app/src/defenses/server_logout.rs:",
        "CWE-613",
        "The lesson: logout-reuse",
    ] {
        assert!(html.contains(part), "{part:?} missing: {html}");
    }
    assert!(!html.contains(".md\""), "{html}");

    let out = run_lesson(&["logout-reuse", "--format", "markdown"]);
    let markdown = text(&out.stdout);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(markdown.starts_with(&format!("# {heading}")), "{markdown}");
    assert!(markdown.contains("## The story"), "{markdown}");
    assert!(markdown.contains("What broke it:"), "{markdown}");
}
