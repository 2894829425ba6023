//! The command line as a user meets it: clear errors, distinct exit codes,
//! machine-readable output. Every address used is loopback, or refused before
//! any packet is sent.

use std::net::{Ipv4Addr, SocketAddr};
use std::process::{Command, Output};

use sessionlab_app::{Profile, ProfileName, ServeOptions};

fn sessionlab(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sessionlab"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("the binary runs")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attack_works_against_a_separately_started_server() {
    let server = sessionlab_app::start(ServeOptions {
        profile: Profile::new(ProfileName::Insecure),
        addr: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
        allow_non_loopback: false,
        lab_clock: false,
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
}

impl ServeProcess {
    /// Starts `sessionlab serve` on a free loopback port and reads all it prints
    /// at start-up.
    fn start(args: &[&str]) -> Self {
        use std::io::BufRead;
        let mut child = Command::new(env!("CARGO_BIN_EXE_sessionlab"))
            .args(["serve", "--addr", "127.0.0.1:0"])
            .args(args)
            .env("NO_COLOR", "1")
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("serve starts");
        let stdout = child.stdout.take().expect("piped stdout");
        let mut process = Self {
            child,
            url: String::new(),
            lab_clock_key: None,
        };
        for line in std::io::BufReader::new(stdout).lines() {
            let line = line.expect("serve's output");
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
    let out = sessionlab(&[&["attack", "--format", "json"], args].concat());
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
            "--lab-clock-key",
            &key,
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
