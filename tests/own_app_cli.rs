//! The command line for apps the lab did not write: `attack --target-file`'s
//! errors, `target init`'s refusals, and `analyze` on the lab's profiles and
//! on token files.

mod common;

use std::path::PathBuf;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use common::{assert_self_contained_html, repo, sessionlab, stderr, stdout};
use serde_json::Value;

fn temp(name: &str, text: &str) -> PathBuf {
    let path = std::env::temp_dir().join(format!("sessionlab-{}-{name}", std::process::id()));
    std::fs::write(&path, text).expect("a temporary file");
    path
}

fn example_with(from: &str, to: &str) -> String {
    std::fs::read_to_string(repo("examples/target.example.toml"))
        .expect("the example")
        .replace(from, to)
}

#[test]
fn a_bad_target_file_is_a_usage_error_that_names_the_problem() {
    let typo = temp("typo.toml", &example_with("victim_marker", "victim_markr"));
    let out = sessionlab(&["attack", "--target-file", typo.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("victim_markr"), "{}", stderr(&out));

    let remote = temp(
        "remote.toml",
        &example_with("http://127.0.0.1:3000", "http://192.0.2.7:3000"),
    );
    let out = sessionlab(&["attack", "--target-file", remote.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("--authorized-target"),
        "{}",
        stderr(&out)
    );

    let same = temp(
        "same.toml",
        &example_with("bob:bob-password", "alice:other"),
    );
    let out = sessionlab(&["attack", "--target-file", same.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("two different accounts"),
        "{}",
        stderr(&out)
    );

    let missing = sessionlab(&["attack", "--target-file", "/nonexistent/target.toml"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(
        stderr(&missing).contains("cannot read"),
        "{}",
        stderr(&missing)
    );

    // --idle-wait belongs to target files, and reads as people write durations.
    let out = sessionlab(&["attack", "--profile", "insecure", "--idle-wait", "5s"]);
    assert_eq!(out.status.code(), Some(2));
    let out = sessionlab(&[
        "attack",
        "--target-file",
        typo.to_str().unwrap(),
        "--idle-wait",
        "3 days",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("s, m or h"), "{}", stderr(&out));
    for path in [typo, remote, same] {
        let _ = std::fs::remove_file(path);
    }
}

#[test]
fn an_app_that_is_not_there_is_exit_3() {
    // A port nothing listens on (bound, then released).
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .unwrap()
        .port();
    let file = temp(
        "gone.toml",
        &example_with("127.0.0.1:3000", &format!("127.0.0.1:{port}")),
    );
    let out = sessionlab(&["attack", "--target-file", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let out = sessionlab(&[
        "target",
        "init",
        &format!("http://127.0.0.1:{port}/login"),
        "-o",
        "-",
    ]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let _ = std::fs::remove_file(file);
}

#[test]
fn target_init_refuses_to_overwrite_and_remote_hosts() {
    let existing = temp("exists.toml", "keep me");
    let out = sessionlab(&[
        "target",
        "init",
        "http://127.0.0.1:9/login",
        "-o",
        existing.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--force"), "{}", stderr(&out));
    assert_eq!(std::fs::read_to_string(&existing).unwrap(), "keep me");
    let out = sessionlab(&["target", "init", "http://192.0.2.7/login", "-o", "-"]);
    assert_eq!(out.status.code(), Some(2));
    let _ = std::fs::remove_file(existing);
}

#[test]
fn analyze_flags_a_counter_in_a_token_file_and_passes_random_ones() {
    let counter: String = (5000u128..5400)
        .map(|v| URL_SAFE_NO_PAD.encode(v.to_le_bytes()) + "\n")
        .collect();
    let file = temp("counter.txt", &counter);
    let out = sessionlab(&[
        "analyze",
        "--tokens",
        file.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let json: Value = serde_json::from_str(&stdout(&out)).expect("JSON");
    assert_eq!(json["band"], "predictable", "{json}");
    assert_eq!(json["structures"][0]["kind"], "counter");
    assert_eq!(json["tokens"], 400);

    let random: String = (0..400)
        .map(|_| URL_SAFE_NO_PAD.encode(rand::random::<u128>().to_le_bytes()) + "\n")
        .collect();
    let file2 = temp("random.txt", &random);
    let out = sessionlab(&[
        "analyze",
        "--tokens",
        file2.to_str().unwrap(),
        "--format",
        "html",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let html = stdout(&out);
    assert_self_contained_html(&html);
    assert!(
        html.contains("<svg") && html.contains("excellent"),
        "{html}"
    );

    let few = temp("few.txt", "abc\ndef\n");
    let out = sessionlab(&["analyze", "--tokens", few.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("at least"), "{}", stderr(&out));
    for path in [file, file2, few] {
        let _ = std::fs::remove_file(path);
    }
}

#[test]
fn analyze_scores_insecure_near_zero_and_hardened_passes_fips() {
    let out = sessionlab(&[
        "analyze",
        "--profile",
        "insecure",
        "-n",
        "2000",
        "--format",
        "json",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let insecure: Value = serde_json::from_str(&stdout(&out)).expect("JSON");
    assert_eq!(insecure["band"], "predictable");
    assert_eq!(insecure["structures"][0]["kind"], "counter");
    assert!(
        insecure["effective_bits"].as_u64().unwrap() < 8,
        "{}",
        insecure["effective_bits"]
    );

    // 20,000 tokens: FIPS 140-2 per bit position, as the standard sizes it.
    let out = sessionlab(&["analyze", "--profile", "hardened", "--format", "json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let hardened: Value = serde_json::from_str(&stdout(&out)).expect("JSON");
    assert_eq!(hardened["tokens"], 20_000);
    assert_eq!(hardened["signed"], "tower-sessions", "the HMAC is stripped");
    assert_eq!(hardened["bits"], 128);
    assert_eq!(
        hardened["passes_fips_140_2"], true,
        "{}",
        hardened["verdict"]
    );
    assert_eq!(hardened["band"], "excellent");
    assert!(hardened["structures"].as_array().unwrap().is_empty());
}
