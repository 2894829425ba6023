//! Helpers shared by the end-to-end tests: the binary as a child process,
//! its output as text, and checks on the documents it writes. Each test
//! crate uses some of them, so the others are unused there.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::{Command, Output};

/// The `sessionlab` binary, colour off, ready for arguments.
pub fn binary() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_sessionlab"));
    command.env("NO_COLOR", "1");
    command
}

/// Runs the binary with `args` and collects everything it wrote.
pub fn sessionlab(args: &[&str]) -> Output {
    binary().args(args).output().expect("the binary runs")
}

/// Runs the binary and insists it succeeded; its stdout.
pub fn sessionlab_ok(args: &[&str]) -> String {
    let out = sessionlab(args);
    assert!(out.status.success(), "{args:?}: {}", stderr(&out));
    stdout(&out)
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

pub fn stdout(out: &Output) -> String {
    text(&out.stdout)
}

pub fn stderr(out: &Output) -> String {
    text(&out.stderr)
}

/// A file of the repository.
pub fn repo(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(path)
}

/// The document parses as XML, after an XML declaration, with one root element.
pub fn assert_well_formed_xml(xml: &str) {
    assert!(
        xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>"),
        "an XML declaration first"
    );
    if let Err(e) = roxmltree::Document::parse(xml) {
        panic!("not well-formed XML: {e}\n{xml}");
    }
}

/// `tests="3" failures="1"`: a count on the JUnit report's root element.
pub fn junit_count(xml: &str, attribute: &str) -> usize {
    let doc = roxmltree::Document::parse(xml).expect("well-formed XML");
    doc.root_element()
        .attribute(attribute)
        .unwrap_or_else(|| panic!("the root has no {attribute}"))
        .parse()
        .expect("a number")
}

/// A page that loads nothing from anywhere: inline style, no scripts, no
/// external assets or links.
pub fn assert_self_contained_html(html: &str) {
    assert!(html.starts_with("<!doctype html>"), "{}", &html[..40]);
    assert!(html.trim_end().ends_with("</html>"));
    assert!(html.contains("<style>"), "the style is inline");
    // Evidence and transcripts are escaped text, so only real tags start with '<'.
    for tag in html
        .split('<')
        .skip(1)
        .map(|rest| rest.split('>').next().unwrap_or_default())
    {
        let name = tag.split_whitespace().next().unwrap_or_default();
        assert!(
            !["script", "link", "img", "iframe", "object", "embed"].contains(&name),
            "an element that could load something: <{tag}>"
        );
        assert!(!tag.contains("src="), "an external asset: <{tag}>");
        assert!(!tag.contains("href=\"http"), "an external link: <{tag}>");
    }
    let style = html
        .split("<style>")
        .nth(1)
        .and_then(|s| s.split("</style>").next());
    assert!(
        style.is_some_and(|css| !css.contains("url(") && !css.contains("@import")),
        "the style loads nothing"
    );
}

/// A free loopback port, for an app the test starts.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind((std::net::Ipv4Addr::LOCALHOST, 0))
        .and_then(|l| l.local_addr())
        .expect("a free loopback port")
        .port()
}

/// Whether a test of an example app skips: `missing` says why the app cannot
/// run here. Under `require` (e.g. `SESSIONLAB_REQUIRE_NODE=1`, set by
/// `.ci/run`) that is a failure instead.
pub fn skipped(missing: Option<String>, require: &str) -> bool {
    let Some(why) = missing else {
        return false;
    };
    let required = std::env::var(require).is_ok_and(|v| v == "1");
    assert!(!required, "{require}=1 but {why}");
    eprintln!("skipped: {why}");
    true
}

/// An example app in another framework (`examples/`), run as a child process
/// on a loopback port and killed when dropped.
pub struct ExampleApp {
    child: std::process::Child,
    pub port: u16,
}

impl ExampleApp {
    /// Spawns `command`, which listens on `port`, and waits until it does
    /// (`within` at most; an early exit fails at once). `name` is for messages.
    pub fn start(name: &str, mut command: Command, port: u16, within: std::time::Duration) -> Self {
        use std::net::{Ipv4Addr, SocketAddr, TcpStream};
        use std::time::{Duration, Instant};
        let child = command
            .spawn()
            .unwrap_or_else(|e| panic!("{name} does not start: {e}"));
        let mut app = ExampleApp { child, port };
        let deadline = Instant::now() + within;
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
        while TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err() {
            if let Ok(Some(status)) = app.child.try_wait() {
                panic!("{name} exited before listening: {status}");
            }
            assert!(
                Instant::now() < deadline,
                "{name} did not listen on {addr} within {within:?}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        app
    }
}

impl Drop for ExampleApp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Attacks the example app in `example` (its `target.toml`, pointed at
/// `port`) and checks every scenario that ran against its `expected.toml`
/// (`[outcomes]`, scenario id to outcome; not-applicable ones are left out).
/// Returns the attack's JSON, for the checks a test adds.
pub fn attack_as_expected(example: &std::path::Path, port: u16) -> serde_json::Value {
    use std::collections::BTreeMap;
    let text = std::fs::read_to_string(example.join("expected.toml")).expect("readable");
    let table: toml::Table = toml::from_str(&text).expect("expected.toml parses");
    let expected: BTreeMap<String, String> = table["outcomes"]
        .as_table()
        .expect("an [outcomes] table")
        .iter()
        .map(|(id, o)| (id.clone(), o.as_str().expect("a string").to_string()))
        .collect();
    let mut file = sessionlab_attack::TargetFile::read(&example.join("target.toml"))
        .expect("the example parses");
    file.url = format!("http://127.0.0.1:{port}");
    let path = std::env::temp_dir().join(format!("sessionlab-example-{port}.toml"));
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
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("JSON");
    let mut ran = BTreeMap::new();
    for result in json["results"].as_array().expect("results") {
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
    json
}

/// Why the Node example in `example` cannot run here, if it cannot: no
/// `node`, or `npm install` not yet run there (`package` is one it needs).
pub fn node_example_missing(example: &std::path::Path, package: &str) -> Option<String> {
    let node = Command::new("node")
        .arg("--version")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status();
    if !node.is_ok_and(|s| s.success()) {
        return Some("node is not installed (Debian's nodejs; .ci/run installs it)".into());
    }
    if !example.join("node_modules").join(package).is_dir() {
        return Some(format!(
            "run `npm install` in {} first (.ci/run does)",
            example.display()
        ));
    }
    None
}

/// The Python of the virtualenv beside a Python example (`.ci/run` makes it).
pub fn venv_python(example: &std::path::Path) -> PathBuf {
    example.join(".venv/bin/python")
}

/// Why the Python example in `example` cannot run here, if it cannot: its
/// virtualenv is missing or cannot import `module` (the framework).
pub fn venv_example_missing(example: &std::path::Path, module: &str) -> Option<String> {
    let imports = Command::new(venv_python(example))
        .args(["-c", &format!("import {module}")])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    (!imports).then(|| {
        format!(
            "no virtualenv with {module} at {} (python3 -m venv .venv && .venv/bin/pip install -r requirements.txt there; .ci/run does)",
            example.join(".venv").display()
        )
    })
}
