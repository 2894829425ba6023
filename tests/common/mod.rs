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
