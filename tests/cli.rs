//! The command line as a user meets it: clear errors, distinct exit codes,
//! machine-readable output. Every address used is loopback, or refused before
//! any packet is sent.

use std::net::{Ipv4Addr, SocketAddr};
use std::process::Command;

use sessionlab_app::{Profile, ProfileName, ServeOptions};

mod common;
use common::{
    assert_self_contained_html, assert_well_formed_xml, binary, junit_count, sessionlab,
    sessionlab_ok, stderr, stdout,
};

#[test]
fn list_names_every_scenario() {
    let out = sessionlab(&["list"]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    for meta in sessionlab_attack::catalog::all() {
        assert!(text.contains(&meta.id), "list misses {}", meta.id);
    }
}

#[test]
fn an_unknown_scenario_is_a_usage_error_naming_the_valid_ones() {
    let out = sessionlab(&["demo", "--scenario", "hijack-everything"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("hijack-everything") && err.contains("fixation-cookie") && err.contains("all"),
        "{err}"
    );
    // `all` beside a typo does not hide the typo.
    let out = sessionlab(&["demo", "--scenario", "all,nope"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("\"nope\""), "{}", stderr(&out));
}

#[test]
fn an_unknown_profile_is_a_usage_error_naming_the_valid_ones() {
    let out = sessionlab(&["serve", "--profile", "paranoid"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("insecure") && err.contains("tutorial") && err.contains("hardened"),
        "{err}"
    );
}

#[test]
fn a_vulnerable_profile_refuses_a_non_loopback_address() {
    for profile in ["insecure", "tutorial"] {
        let out = sessionlab(&["serve", "--profile", profile, "--addr", "0.0.0.0:0"]);
        assert_eq!(out.status.code(), Some(2), "{profile}");
        assert!(
            stderr(&out).contains("--expose-vulnerable-app"),
            "{}",
            stderr(&out)
        );
    }
}

#[test]
fn attack_refuses_a_target_outside_loopback_without_authorisation() {
    // 192.0.2.1 is TEST-NET-1; the refusal happens before any connection.
    let out = sessionlab(&["attack", "--target", "http://192.0.2.1:8080"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("--authorized-target"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn an_unreachable_target_is_a_clear_error_with_its_own_exit_code() {
    let port = {
        // Bind and drop: the port is free and nothing listens on it.
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("addr").port()
    };
    let out = sessionlab(&[
        "attack",
        "--target",
        &format!("http://127.0.0.1:{port}"),
        "--scenario",
        "logout-reuse",
    ]);
    assert_eq!(out.status.code(), Some(3));
    assert!(stderr(&out).contains("cannot reach"), "{}", stderr(&out));
}

#[test]
fn browser_chromium_without_chromium_stops_naming_the_package() {
    for command in [
        &["demo", "--scenario", "csrf"][..],
        &["lesson", "csrf", "--no-pause"],
        &["ablate", "--scenario", "csrf"],
        &["attack", "--profile", "insecure", "--scenario", "csrf"],
    ] {
        let out = common::binary()
            .args(command)
            .args(["--browser", "chromium"])
            .env("SESSIONLAB_CHROMIUM", "/nonexistent/chromium")
            .output()
            .expect("the binary runs");
        assert_eq!(out.status.code(), Some(3), "{command:?}: {}", stderr(&out));
        assert!(
            stderr(&out).contains("Debian's package `chromium`"),
            "{command:?}: {}",
            stderr(&out)
        );
        assert!(
            stdout(&out).is_empty(),
            "no silent fallback: {}",
            stdout(&out)
        );
    }
}

#[test]
fn demo_json_has_a_result_per_scenario_and_profile() {
    let out = sessionlab(&["demo", "--scenario", "logout-reuse", "--format", "json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let json: serde_json::Value =
        serde_json::from_slice(&out.stdout).expect("stdout is one JSON object");
    let results = json["results"].as_array().expect("a results array");
    assert_eq!(results.len(), 3);
    for r in results {
        for field in ["scenario", "profile", "outcome", "evidence"] {
            assert!(r.get(field).is_some(), "result lacks {field}: {r}");
        }
    }
    let outcome = |p: &str| {
        results
            .iter()
            .find(|r| r["profile"] == p)
            .map(|r| r["outcome"].clone())
            .unwrap()
    };
    assert_eq!(outcome("insecure"), "compromised");
    assert_eq!(outcome("hardened"), "blocked");
}

/// The proof rule as a reader of the JSON checks it: a compromised result has
/// a `proof` whose `value` is in the body excerpt of the exchange it names
/// (`steps[proof.step].exchanges[proof.exchange]`) and `decided_at` is that
/// step; any other result has `proof: null`.
fn assert_proofs_hold(results: &[serde_json::Value]) -> usize {
    let mut compromised = 0;
    for r in results {
        let cell = format!("{} × {}", r["scenario"], r["profile"]);
        let proof = &r["proof"];
        assert!(r.get("proof").is_some(), "{cell}: no proof field");
        if r["outcome"] != "compromised" {
            assert!(proof.is_null(), "{cell}: {} with a proof", r["outcome"]);
            continue;
        }
        compromised += 1;
        let step = proof["step"].as_u64().expect("proof.step") as usize;
        let exchange = proof["exchange"].as_u64().expect("proof.exchange") as usize;
        let value = proof["value"].as_str().expect("proof.value");
        assert!(!value.is_empty(), "{cell}: an empty proof");
        assert_eq!(r["decided_at"].as_u64(), Some(step as u64), "{cell}");
        let excerpt = r["steps"][step]["exchanges"][exchange]["body"]["excerpt"]
            .as_str()
            .unwrap_or_else(|| panic!("{cell}: no exchange at {step}/{exchange}"));
        assert!(
            excerpt.contains(value),
            "{cell}: {value:?} is not in the excerpt {excerpt:?}"
        );
    }
    compromised
}

#[test]
fn every_compromise_in_json_points_at_the_response_that_proves_it() {
    let out = sessionlab(&["demo", "--format", "json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let results = json["results"].as_array().expect("results");
    assert_eq!(
        results.len(),
        sessionlab_attack::catalog::all().len() * ProfileName::ALL.len()
    );
    assert!(assert_proofs_hold(results) > 0, "the insecure column falls");
    for r in results.iter().filter(|r| r["outcome"] == "compromised") {
        assert_eq!(
            r["proof"]["kind"],
            if r["scenario"] == "csrf" {
                "forged-change"
            } else {
                "victim-note"
            },
            "{r}"
        );
    }
}

#[test]
fn a_csrf_proof_is_her_own_page_after_the_forged_request() {
    let out = sessionlab(&["demo", "--scenario", "csrf", "--format", "json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let results = json["results"].as_array().expect("results");
    assert!(assert_proofs_hold(results) > 0);
    for r in results.iter().filter(|r| r["outcome"] == "compromised") {
        let proof = &r["proof"];
        assert!(
            proof["value"].as_str().unwrap().ends_with("@evil.test"),
            "{r}"
        );
        assert_eq!(
            r["steps"][proof["step"].as_u64().unwrap() as usize]["actor"],
            "victim"
        );
        let forged = &proof["forged_request"];
        let request = &r["steps"][forged["step"].as_u64().expect("forged step") as usize]["exchanges"]
            [forged["exchange"].as_u64().expect("forged exchange") as usize];
        assert_eq!(request["method"], "POST", "{r}");
        assert!(
            request["url"].as_str().unwrap().ends_with("/account/email"),
            "{request}"
        );
        assert!(forged["step"].as_u64() < proof["step"].as_u64(), "{r}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attack_works_against_a_separately_started_server() {
    let server = sessionlab_app::start(ServeOptions {
        profile: Profile::new(ProfileName::Insecure),
        addr: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
        allow_non_loopback: false,
        lab_clock: false,
        lab_clock_key: None,
        limits: sessionlab_app::Limits::default(),
        store: Default::default(),
    })
    .await
    .expect("the app starts");
    let url = server.url();
    let out = tokio::task::spawn_blocking(move || {
        sessionlab(&[
            "attack",
            "--target",
            &url,
            "--scenario",
            "fixation-url,logout-reuse",
            "--format",
            "json",
        ])
    })
    .await
    .expect("the attack runs");
    server.shutdown().await;
    assert!(out.status.success(), "{}", stderr(&out));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let results = json["results"].as_array().expect("results");
    assert_eq!(results.len(), 2);
    assert!(
        results
            .iter()
            .all(|r| r["outcome"] == "compromised" && r["profile"] == "insecure"),
        "{json}"
    );
}

/// A `sessionlab serve` child process, stopped when dropped (even if the test fails).
struct ServeProcess {
    child: std::process::Child,
    url: String,
    lab_clock_key: Option<String>,
    /// Everything it printed at start-up.
    output: String,
}

impl ServeProcess {
    /// Starts `sessionlab serve` on a free loopback port and reads all it prints
    /// at start-up.
    fn start(args: &[&str]) -> Self {
        Self::start_with(binary(), args)
    }

    /// The same, from `command` (the binary with its environment set).
    fn start_with(mut command: Command, args: &[&str]) -> Self {
        use std::io::BufRead;
        let mut child = command
            .args(["serve", "--addr", "127.0.0.1:0"])
            .args(args)
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("serve starts");
        let stdout = child.stdout.take().expect("piped stdout");
        let mut process = Self {
            child,
            url: String::new(),
            lab_clock_key: None,
            output: String::new(),
        };
        for line in std::io::BufReader::new(stdout).lines() {
            let line = line.expect("serve's output");
            process.output.push_str(&line);
            process.output.push('\n');
            let words: Vec<&str> = line.split_whitespace().collect();
            match words.as_slice() {
                ["URL", url, ..] => process.url = url.to_string(),
                ["lab", "clock", key, ..] => process.lab_clock_key = Some(key.to_string()),
                // The last line: nothing more is written to the pipe we close.
                ["Ctrl-C", ..] => break,
                _ => {}
            }
        }
        assert!(!process.url.is_empty(), "serve printed no URL");
        process
    }
}

impl Drop for ServeProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn attack_json(args: &[&str]) -> Vec<serde_json::Value> {
    attack_json_with(binary(), args)
}

/// `attack --format json` run from `command` (the binary with its environment set).
fn attack_json_with(mut command: Command, args: &[&str]) -> Vec<serde_json::Value> {
    let out = command
        .args(["attack", "--format", "json"])
        .args(args)
        .output()
        .expect("the binary runs");
    assert!(out.status.success(), "{}", stderr(&out));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    json["results"].as_array().expect("results").clone()
}

#[test]
fn the_timeout_scenarios_run_against_serve_with_its_lab_clock_key() {
    for (profile, expected) in [("insecure", "compromised"), ("hardened", "blocked")] {
        let server = ServeProcess::start(&["--profile", profile, "--lab-clock"]);
        let key = server
            .lab_clock_key
            .clone()
            .expect("serve --lab-clock prints a key");
        assert_eq!(key.len(), 22, "{key}");
        let results = attack_json(&[
            "--target",
            &server.url,
            "--scenario",
            "idle-timeout,absolute-timeout",
            // One argument: a random key may start with '-'.
            &format!("--lab-clock-key={key}"),
        ]);
        assert_eq!(results.len(), 2);
        for r in &results {
            assert_eq!(r["outcome"], expected, "{profile}: {r}");
            assert_eq!(r["profile"], profile);
        }
        let absolute = results
            .iter()
            .find(|r| r["scenario"] == "absolute-timeout")
            .expect("absolute-timeout ran");
        if expected == "blocked" {
            let evidence = absolute["evidence"].as_str().unwrap_or_default();
            assert!(evidence.contains("after 8 h 0 min"), "{evidence}");
        }
    }
}

/// A key the operator chose, handed to `serve` and `attack` in a file
/// (`--lab-clock-key-file`) or the environment (`SESSIONLAB_CLOCK_KEY`), out
/// of `ps` and shell history: the timeout scenarios run with it, and `serve`
/// never prints it.
#[test]
fn a_lab_clock_key_from_a_file_or_the_environment_moves_the_clock_and_is_never_printed() {
    use sessionlab_app::clock_control::KEY_VARIABLE;
    let key = "chosen-Key_0123456789abcdefXYZ";
    let dir = std::env::temp_dir().join(format!("sessionlab-cli-clock-key-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let file = dir.join("clock.key");
    std::fs::write(&file, format!("{key}\n")).expect("key file");
    let file = file.to_str().expect("UTF-8 path");
    let without_variable = || {
        let mut command = binary();
        command.env_remove(KEY_VARIABLE);
        command
    };
    let with_variable = |value: &str| {
        let mut command = binary();
        command.env(KEY_VARIABLE, value);
        command
    };
    let scenarios = ["--scenario", "idle-timeout,absolute-timeout"];
    let assert_outcomes = |results: &[serde_json::Value], expected: &str| {
        assert_eq!(results.len(), 2);
        for r in results {
            assert_eq!(r["outcome"], expected, "{r}");
        }
    };

    // From a file, on both sides.
    let server = ServeProcess::start_with(
        without_variable(),
        &[
            "--profile",
            "hardened",
            "--lab-clock",
            "--lab-clock-key-file",
            file,
        ],
    );
    assert!(!server.output.contains(key), "{}", server.output);
    assert!(
        server.output.contains("the key you gave"),
        "{}",
        server.output
    );
    let target = ["--target", server.url.as_str()];
    let results = attack_json_with(
        without_variable(),
        &[&target[..], &scenarios, &["--lab-clock-key-file", file]].concat(),
    );
    assert_outcomes(&results, "blocked");
    drop(server);

    // From the environment, on both sides.
    let server = ServeProcess::start_with(
        with_variable(key),
        &["--profile", "insecure", "--lab-clock"],
    );
    assert!(!server.output.contains(key), "{}", server.output);
    assert!(
        server.output.contains("the key you gave"),
        "{}",
        server.output
    );
    let target = ["--target", server.url.as_str()];
    let results = attack_json_with(with_variable(key), &[&target[..], &scenarios].concat());
    assert_outcomes(&results, "compromised");
    // Another key in the environment: the app refuses it, and attack says so.
    let results = attack_json_with(
        with_variable("another-key-0123456789abcdef"),
        &[&target[..], &scenarios].concat(),
    );
    assert_outcomes(&results, "error");
    let evidence = results[0]["evidence"].as_str().unwrap_or_default();
    assert!(evidence.contains("refused the lab clock key"), "{evidence}");
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn without_a_lab_clock_key_the_timeout_scenarios_say_how_to_get_one() {
    let without_flag = ServeProcess::start(&["--profile", "insecure"]);
    assert!(without_flag.lab_clock_key.is_none());
    let results = attack_json(&[
        "--target",
        &without_flag.url,
        "--scenario",
        "idle-timeout,absolute-timeout",
    ]);
    assert_eq!(results.len(), 2);
    for r in &results {
        assert_eq!(r["outcome"], "error", "{r}");
        let evidence = r["evidence"].as_str().unwrap_or_default();
        assert!(
            evidence.contains("sessionlab serve --lab-clock")
                && evidence.contains("sessionlab attack --lab-clock-key KEY"),
            "{evidence}"
        );
    }
    // A key for an app that was started without --lab-clock: the app has no such route.
    let results = attack_json(&[
        "--target",
        &without_flag.url,
        "--scenario",
        "idle-timeout",
        "--lab-clock-key",
        "AAAAAAAAAAAAAAAAAAAAAA",
    ]);
    let evidence = results[0]["evidence"].as_str().unwrap_or_default();
    assert_eq!(results[0]["outcome"], "error");
    assert!(evidence.contains("serve --lab-clock"), "{evidence}");

    // The right flag on serve, a wrong key on attack: refused, and said so.
    let with_flag = ServeProcess::start(&["--profile", "insecure", "--lab-clock"]);
    let results = attack_json(&[
        "--target",
        &with_flag.url,
        "--scenario",
        "idle-timeout",
        "--lab-clock-key",
        "AAAAAAAAAAAAAAAAAAAAAA",
    ]);
    let evidence = results[0]["evidence"].as_str().unwrap_or_default();
    assert_eq!(results[0]["outcome"], "error");
    assert!(evidence.contains("refused the lab clock key"), "{evidence}");
}

#[test]
fn every_report_format_of_demo_is_well_formed() {
    let args = ["demo", "--scenario", "logout-reuse", "--format"];
    let json: serde_json::Value =
        serde_json::from_str(&sessionlab_ok(&[&args[..], &["json"]].concat())).expect("JSON");
    assert_eq!(json["results"].as_array().map(Vec::len), Some(3));

    let xml = sessionlab_ok(&[&args[..], &["junit"]].concat());
    assert_well_formed_xml(&xml);
    assert_eq!(junit_count(&xml, "tests"), 3);
    assert_eq!(xml.matches("<testcase ").count(), 3);
    // insecure falls by design: not a failure; hardened holds.
    assert_eq!(junit_count(&xml, "failures"), 0);
    assert_eq!(junit_count(&xml, "errors"), 0);

    let html = sessionlab_ok(&[&args[..], &["html"]].concat());
    assert_self_contained_html(&html);
    assert!(html.contains("class=\"compromised\"") && html.contains("class=\"blocked\""));
    assert!(html.contains("<details><summary>Steps</summary>"));
    // Handed out alone: the lesson is in the page, and no link needs docs/ beside it.
    assert!(
        !html.contains(".md\"") && !html.contains(".md#"),
        "a relative .md link: {html}"
    );
    assert!(html.contains("The lesson: logout-reuse"), "{html}");
    assert!(html.contains("<h3>The story</h3>"), "{html}");
    // Clean text: inline code is markup, never a literal backtick.
    let visible = html
        .split("<pre>")
        .map(|part| part.split("</pre>").last().unwrap_or(part));
    for part in visible {
        assert!(!part.contains('`'), "a literal backtick: {part}");
    }

    let markdown = sessionlab_ok(&[&args[..], &["markdown"]].concat());
    assert!(
        markdown.contains("| scenario | insecure | tutorial | hardened |"),
        "{markdown}"
    );
    assert!(markdown.contains("[logout-reuse](docs/lessons/logout-reuse.md)"));

    let table = sessionlab_ok(&[&args[..], &["table"]].concat());
    assert!(
        table.contains("COMPROMISED") && table.contains("blocked"),
        "{table}"
    );
}

#[test]
fn a_hardened_compromise_fails_the_junit_report() {
    let xml = sessionlab_ok(&[
        "demo",
        "--scenario",
        "logout-reuse",
        "--without",
        "server-logout",
        "--format",
        "junit",
    ]);
    assert_well_formed_xml(&xml);
    assert_eq!(junit_count(&xml, "failures"), 1, "{xml}");
    assert!(
        xml.contains("<testsuite name=\"hardened -server-logout\""),
        "{xml}"
    );
}

#[test]
fn toggles_change_the_label_and_the_outcome() {
    let out = sessionlab_ok(&[
        "demo",
        "--scenario",
        "hijack-xss",
        "--without",
        "escape-output",
        "--without",
        "csp",
        "--without",
        "http-only",
        "--with",
        "http-only",
        "--format",
        "json",
    ]);
    let json: serde_json::Value = serde_json::from_str(&out).expect("JSON");
    let results = json["results"].as_array().expect("results");
    let outcome = |label: &str| {
        results
            .iter()
            .find(|r| r["profile"] == label)
            .map(|r| r["outcome"].clone())
            .unwrap_or_else(|| panic!("no column {label:?}: {json}"))
    };
    assert_eq!(
        outcome("hardened -http-only -escape-output -csp"),
        "compromised"
    );
    assert_eq!(outcome("insecure +http-only"), "blocked");
    assert_eq!(outcome("tutorial"), "blocked");
}

#[test]
fn attack_with_a_profile_runs_in_process_with_its_clock() {
    let results = attack_json(&[
        "--profile",
        "hardened",
        "--without",
        "idle-timeout",
        "--scenario",
        "idle-timeout,logout-reuse",
    ]);
    let outcome = |id: &str| {
        let r = results
            .iter()
            .find(|r| r["scenario"] == id)
            .expect("the scenario ran");
        assert_eq!(r["profile"], "hardened -idle-timeout");
        r["outcome"].clone()
    };
    assert_eq!(outcome("idle-timeout"), "compromised");
    assert_eq!(outcome("logout-reuse"), "blocked");
}

#[test]
fn an_unknown_defense_is_a_usage_error_naming_the_valid_ones() {
    for args in [
        &["demo", "--without", "moat"][..],
        &["serve", "--profile", "hardened", "--without", "moat"],
        &["attack", "--profile", "insecure", "--with", "moat"],
    ] {
        let out = sessionlab(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = stderr(&out);
        assert!(
            err.contains("moat") && err.contains("server-logout") && err.contains("password-check"),
            "{err}"
        );
    }
}

#[test]
fn contradictory_or_misplaced_toggles_are_usage_errors() {
    let out = sessionlab(&[
        "attack",
        "--profile",
        "tutorial",
        "--with",
        "csp",
        "--without",
        "csp",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("contradict"), "{}", stderr(&out));
    let out = sessionlab(&[
        "attack",
        "--target",
        "http://127.0.0.1:9",
        "--without",
        "csp",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--profile"), "{}", stderr(&out));
}

#[test]
fn defenses_lists_every_defense_with_the_scenarios_that_claim_them() {
    let json: serde_json::Value =
        serde_json::from_str(&sessionlab_ok(&["defenses", "--format", "json"])).expect("JSON");
    let rows = json.as_array().expect("an array");
    assert_eq!(rows.len(), sessionlab_app::Defense::ALL.len());
    let row = |id: &str| rows.iter().find(|r| r["id"] == id).expect(id);
    assert_eq!(
        row("server-logout")["stops"],
        serde_json::json!(["logout-reuse"])
    );
    assert!(
        row("tls")["required_by"]
            .as_array()
            .is_some_and(|a| a.contains(&"hijack-sniff".into())),
        "{json}"
    );
    let table = sessionlab_ok(&["defenses"]);
    for defense in sessionlab_app::Defense::ALL {
        assert!(table.contains(defense.id()), "{table}");
        assert!(table.contains(defense.summary()), "{table}");
    }
    let markdown = sessionlab_ok(&["defenses", "--format", "markdown"]);
    assert_eq!(
        markdown.lines().filter(|l| l.starts_with("| [`")).count(),
        sessionlab_app::Defense::ALL.len()
    );
}

#[test]
fn ablate_shows_which_removal_reopens_an_attack() {
    let json: serde_json::Value = serde_json::from_str(&sessionlab_ok(&[
        "ablate",
        "--scenario",
        "logout-reuse",
        "--format",
        "json",
    ]))
    .expect("JSON");
    let scenario = &json["scenarios"][0];
    assert_eq!(scenario["id"], "logout-reuse");
    assert_eq!(scenario["hardened"], "blocked");
    // server-logout, and what it stands on: with client-side sessions
    // (server-side-sessions removed) logout has nothing to destroy.
    assert_eq!(
        scenario["reopened_by"],
        serde_json::json!(["server-logout", "server-side-sessions"])
    );
    let removal = json["defenses"]
        .as_array()
        .and_then(|d| d.iter().find(|r| r["removed"] == "server-logout"))
        .expect("server-logout was removed");
    assert_eq!(removal["reopens"], serde_json::json!(["logout-reuse"]));
    // The baseline and one run per removed defense.
    let removals = sessionlab_app::Defense::ALL.len();
    assert_eq!(json["results"].as_array().map(Vec::len), Some(removals + 1));
    let reopened = json["results"]
        .as_array()
        .expect("results")
        .iter()
        .find(|r| r["profile"] == "hardened -server-logout")
        .expect("the run without server-logout");
    assert_eq!(reopened["outcome"], "compromised");
}

#[test]
fn ablate_reports_are_well_formed() {
    let args = [
        "ablate",
        "--scenario",
        "logout-reuse,session-puzzling",
        "--format",
    ];
    let xml = sessionlab_ok(&[&args[..], &["junit"]].concat());
    assert_well_formed_xml(&xml);
    // Two scenarios against intact hardened and hardened minus each defense.
    assert_eq!(
        junit_count(&xml, "tests"),
        2 * (sessionlab_app::Defense::ALL.len() + 1)
    );
    // A healthy tree is green: removing server-logout reopens one and
    // separate-session-keys the other, as their files say, so both pass.
    assert_eq!(junit_count(&xml, "failures"), 0, "{xml}");
    assert_eq!(junit_count(&xml, "errors"), 0, "{xml}");
    // Without tls nobody can log in: no verdict, skipped with the reason.
    assert_eq!(junit_count(&xml, "skipped"), 2, "{xml}");
    assert!(xml.contains("<skipped message=\"no verdict"), "{xml}");

    let html = sessionlab_ok(&[&args[..], &["html"]].concat());
    assert_self_contained_html(&html);
    assert!(html.contains("class=\"tag compromised\" href=\"#logout-reuse\""));
    assert!(html.contains("href=\"docs/lessons/session-puzzling.md\""));

    let table = sessionlab_ok(&[&args[..], &["table"]].concat());
    assert!(
        table.contains("removing any one of server-logout, server-side-sessions reopens it"),
        "{table}"
    );
    assert!(
        table.contains("stopped by separate-session-keys alone"),
        "{table}"
    );
    // A removal whose runs all ended in error reopens nothing: it has no verdict.
    let tls_row = table
        .lines()
        .find(|line| line.contains(" tls "))
        .unwrap_or_else(|| panic!("no tls row: {table}"));
    assert!(
        tls_row.contains("! ") && !tls_row.contains("✗"),
        "{tls_row}"
    );
    let single = sessionlab_ok(&["ablate", "--scenario", "logout-reuse"]);
    let tls_row = single
        .lines()
        .find(|line| line.contains(" tls "))
        .unwrap_or_else(|| panic!("no tls row: {single}"));
    assert!(
        tls_row.contains("! logout-reuse: ") && !tls_row.contains("✗"),
        "{tls_row}"
    );
}

#[test]
fn quiet_prints_only_the_result() {
    let args = ["demo", "--scenario", "logout-reuse"];
    let chatty = sessionlab_ok(&args);
    assert!(
        chatty.contains("sessionlab demo:") && chatty.contains("Next:"),
        "{chatty}"
    );
    let out = sessionlab(&[&["--quiet"][..], &args].concat());
    assert!(out.status.success());
    let quiet = stdout(&out);
    assert!(
        quiet.contains("logout-reuse") && quiet.contains("COMPROMISED"),
        "{quiet}"
    );
    for chatter in ["sessionlab demo:", "Next:", "runs "] {
        assert!(
            !quiet.contains(chatter) || chatter == "runs " && quiet.contains("3 runs:"),
            "--quiet printed {chatter:?}: {quiet}"
        );
    }
    assert!(stderr(&out).is_empty(), "{}", stderr(&out));
    // A machine format is the result alone, quiet or not.
    let json = sessionlab_ok(&["demo", "--scenario", "logout-reuse", "--format", "json"]);
    assert!(json.trim_start().starts_with('{') && json.trim_end().ends_with('}'));
}

/// A `sessionlab demo --serve` child process, killed when dropped if it is still running.
struct DemoServe(std::process::Child);

impl Drop for DemoServe {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn demo_serve_prints_the_urls_and_stops_cleanly_on_ctrl_c() {
    use std::io::{BufRead, Read};
    let mut child = binary()
        .args(["demo", "--scenario", "logout-reuse,hijack-xss", "--serve"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("demo --serve starts");
    let mut reader = std::io::BufReader::new(child.stdout.take().expect("piped stdout"));
    let demo = DemoServe(child);
    let mut urls = Vec::new();
    let mut accounts = false;
    let mut line = String::new();
    loop {
        line.clear();
        assert!(
            reader.read_line(&mut line).expect("demo's output") > 0,
            "demo ended early"
        );
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            [profile, url, ..] if url.starts_with("http") => {
                urls.push((profile.to_string(), url.to_string()))
            }
            ["accounts", ..] => accounts = line.contains("alice / wonderland"),
            ["Ctrl-C", ..] => break,
            _ => {}
        }
    }
    assert_eq!(
        urls.iter().map(|(p, _)| p.as_str()).collect::<Vec<_>>(),
        ["insecure", "tutorial", "hardened"]
    );
    assert!(accounts, "no demo accounts printed");
    let addr = |url: &str| -> SocketAddr {
        url.split("://")
            .nth(1)
            .and_then(|rest| rest.trim_end_matches('/').parse().ok())
            .expect(url)
    };
    for (_, url) in &urls {
        std::net::TcpStream::connect(addr(url)).expect("the app is still up after the matrix");
    }
    // Fresh apps: the matrix's hijack-xss payload is not in the insecure guestbook.
    let insecure = &urls[0].1;
    let guestbook = {
        use std::io::Write;
        let mut stream = std::net::TcpStream::connect(addr(insecure)).expect("connect");
        write!(
            stream,
            "GET /guestbook HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
            addr(insecure)
        )
        .expect("send");
        let mut page = String::new();
        stream.read_to_string(&mut page).expect("the guestbook");
        page
    };
    assert!(guestbook.starts_with("HTTP/1.1 200"), "{guestbook}");
    assert!(
        !guestbook.contains("document.cookie"),
        "the matrix's XSS payload is still there: {guestbook}"
    );
    let status = Command::new("kill")
        .args(["-INT", &demo.0.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success());
    let mut rest = String::new();
    reader
        .read_to_string(&mut rest)
        .expect("the rest of the output");
    let mut demo = demo;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let exit = loop {
        if let Some(exit) = demo.0.try_wait().expect("wait") {
            break exit;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "demo --serve did not stop after SIGINT"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    assert!(exit.success(), "{exit:?}");
    assert!(rest.contains("Stopping"), "{rest}");
    for (_, url) in &urls {
        assert!(
            std::net::TcpStream::connect(addr(url)).is_err(),
            "{url} still answers after Ctrl-C"
        );
    }
}

/// `sessionlab ... | head -1`: the reader leaves early. The program must end
/// quietly with 0, not panic with "failed printing to stdout" (exit 101).
#[test]
fn a_reader_that_leaves_early_is_no_error() {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;
    let spawn = |args: &[&str]| {
        binary()
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the binary runs")
    };
    // The lesson prints its title, then runs the attack: the pipe is closed by then.
    let mut lesson = spawn(&["lesson", "logout-reuse", "--no-pause"]);
    let mut first = String::new();
    BufReader::new(lesson.stdout.take().expect("piped stdout"))
        .read_line(&mut first)
        .expect("the first line");
    assert!(first.contains("Lesson"), "{first}");
    // The JSON report is printed after the runs, long after this pipe closed.
    let mut demo = spawn(&["demo", "--scenario", "logout-reuse", "--format", "json"]);
    drop(demo.stdout.take());
    for (what, child) in [("lesson", lesson), ("demo", demo)] {
        let out = child.wait_with_output().expect("the child ends");
        assert_eq!(out.status.code(), Some(0), "{what}: {}", stderr(&out));
        assert!(
            !stderr(&out).contains("panicked"),
            "{what}: {}",
            stderr(&out)
        );
    }
}

#[test]
fn a_secure_cookie_without_tls_is_a_warning_before_the_run() {
    let out = sessionlab(&[
        "attack",
        "--profile",
        "hardened",
        "--without",
        "tls",
        "--scenario",
        "logout-reuse",
        "--format",
        "json",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("warning:") && err.contains("nobody can log in"),
        "{err}"
    );
    // The JSON on stdout stays the report alone.
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(json["results"][0]["outcome"], "error");
}

#[test]
fn completions_are_printed_for_each_shell() {
    for (shell, mark) in [
        ("bash", "complete -F"),
        ("zsh", "#compdef sessionlab"),
        ("fish", "complete -c sessionlab"),
    ] {
        let script = sessionlab_ok(&["completions", shell]);
        assert!(script.contains(mark), "{shell}: {script}");
        assert!(script.contains("lesson"), "{shell}");
    }
}

#[test]
fn ascii_and_a_dumb_terminal_print_plain_text() {
    let plain = sessionlab_ok(&["--ascii", "list"]);
    assert!(plain.is_ascii(), "{plain}");
    assert!(plain.contains("credential-bypass"), "{plain}");
    let out = binary()
        .args(["list"])
        .env("TERM", "dumb")
        .output()
        .expect("runs");
    let dumb = String::from_utf8_lossy(&out.stdout);
    assert!(dumb.is_ascii() && !dumb.contains('\u{1b}'), "{dumb}");
    let forced = binary()
        .args(["--color", "always", "lesson"])
        .env("TERM", "dumb")
        .output()
        .expect("runs");
    // --color always is an explicit request: it wins over TERM=dumb.
    assert!(String::from_utf8_lossy(&forced.stdout).contains('\u{1b}'));
}

/// Two `sessionlab serve` processes of one profile on one `redis-server`,
/// reached by `attack --target A --instance B`: a logout on A is seen on B
/// unless each instance caches sessions (`--without shared-store`).
#[test]
fn cross_instance_logout_runs_against_two_serve_processes_on_one_redis() {
    let test = "cross_instance_logout_runs_against_two_serve_processes_on_one_redis";
    let Some(redis) = sessionlab_app::redis_server::start_or_skip(test) else {
        return;
    };
    let store = redis.url();
    for (toggles, expected) in [
        (&[][..], "blocked"),
        (&["--without", "shared-store"][..], "compromised"),
    ] {
        let mut args = vec!["--profile", "hardened", "--store", &store];
        args.extend_from_slice(toggles);
        let a = ServeProcess::start(&args);
        let b = ServeProcess::start(&args);
        assert!(a.output.contains(&store), "the banner names the store");
        let results = attack_json(&[
            "--target",
            &a.url,
            "--instance",
            &b.url,
            "--scenario",
            "cross-instance-logout",
        ]);
        assert_eq!(results[0]["outcome"], expected, "{toggles:?}: {results:?}");
    }
    // Without a second instance the run cannot happen, and says how to give it one.
    let a = ServeProcess::start(&["--profile", "hardened", "--store", &store]);
    let results = attack_json(&["--target", &a.url, "--scenario", "cross-instance-logout"]);
    assert_eq!(results[0]["outcome"], "error");
    assert!(
        results[0]["evidence"]
            .as_str()
            .is_some_and(|e| e.contains("--instance")),
        "{results:?}"
    );
}

#[test]
fn class_share_takes_a_reachable_redis_only() {
    let key = ("SESSIONLAB_INSTRUCTOR_KEY", "a-long-enough-instructor-key");
    let out = binary()
        .args(["class", "--addr", "127.0.0.1:0", "--share", "memory"])
        .env(key.0, key.1)
        .output()
        .expect("the binary runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("redis://"), "{}", stderr(&out));
    let out = binary()
        .args([
            "class",
            "--addr",
            "127.0.0.1:0",
            "--peer-addr",
            "127.0.0.1:1",
        ])
        .env(key.0, key.1)
        .output()
        .expect("the binary runs");
    assert_eq!(out.status.code(), Some(2), "--peer-addr needs --share");
    // Nothing listens there: the error names the Redis, and the class does not start.
    let unused = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("redis://{}/0", unused.local_addr().unwrap());
    drop(unused);
    let out = binary()
        .args(["class", "--addr", "127.0.0.1:0", "--share", &url])
        .env(key.0, key.1)
        .output()
        .expect("the binary runs");
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains(&url), "{}", stderr(&out));
}

#[test]
fn class_refuses_a_non_loopback_address_and_a_short_instructor_key() {
    // Even hardened: a class always holds a victim bot and TLS-less labs.
    for profile in ["insecure", "hardened"] {
        let out = binary()
            .args(["class", "--profile", profile, "--addr", "0.0.0.0:0"])
            .env("SESSIONLAB_INSTRUCTOR_KEY", "a-long-enough-instructor-key")
            .output()
            .expect("the binary runs");
        assert_eq!(out.status.code(), Some(2), "{profile}");
        assert!(
            stderr(&out).contains("--expose-vulnerable-app"),
            "{}",
            stderr(&out)
        );
    }
    let out = binary()
        .args(["class", "--addr", "127.0.0.1:0"])
        .env("SESSIONLAB_INSTRUCTOR_KEY", "short")
        .output()
        .expect("the binary runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("SESSIONLAB_INSTRUCTOR_KEY"),
        "{}",
        stderr(&out)
    );
}

/// The `sessionlab ...` commands quoted (in backticks) in `text`.
fn quoted_commands(text: &str) -> Vec<&str> {
    text.split('`')
        .skip(1)
        .step_by(2)
        .filter(|quoted| quoted.starts_with("sessionlab "))
        .collect()
}

/// The class hub's advice for a scenario that is no hands-on challenge
/// (replay it from the command line) runs as printed, and succeeds.
#[test]
fn the_class_hubs_replay_advice_runs_as_printed() {
    use sessionlab_classroom::challenges::{self, Kind};
    let mut ran = 0;
    for entry in challenges::all() {
        let Kind::NotHandsOn(reason) = &entry.kind else {
            continue;
        };
        for command in quoted_commands(reason) {
            let args: Vec<&str> = command.split_whitespace().skip(1).collect();
            let out = sessionlab(&args);
            assert!(
                out.status.success(),
                "{}: `{command}` exited {:?}: {}",
                entry.id,
                out.status.code(),
                stderr(&out)
            );
            ran += 1;
        }
    }
    let not_hands_on = challenges::all()
        .iter()
        .filter(|entry| matches!(entry.kind, Kind::NotHandsOn(_)))
        .count();
    assert!(
        ran >= not_hands_on,
        "each not-hands-on scenario names its replay"
    );
}
