//! `--format junit`: each scenario × profile as a JUnit test case, for CI
//! systems (GitLab, Jenkins, GitHub test reporters).
//!
//! `demo` and `attack` ([`render`]): what fails is a compromise of a profile
//! that is meant to hold, i.e. any `hardened` profile, with or without
//! toggles (removing a defense on purpose and seeing an attack succeed is a
//! finding worth a red line). The insecure and tutorial profiles are
//! vulnerable by design: their compromises pass and say so in the test's
//! output. An `error` outcome is a JUnit error.
//!
//! `ablate` has its own rule (see `report::ablation`), given to [`render_with`].

use sessionlab_attack::{Outcome, RunResult};

use super::steps_of;
use super::transcript::step_line;
use sessionlab_protocol::escape_html;

/// What one run is to CI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Case {
    Passed,
    /// A red line: `kind` and the one-line message.
    Failed {
        kind: String,
        message: String,
    },
    /// The run could not complete.
    Error,
    /// Nothing to judge (the reason).
    Skipped(String),
}

/// Is the run's profile meant to hold? Any hardened one, toggled or not.
fn must_hold(result: &RunResult) -> bool {
    result.base_profile == "hardened"
}

/// The rule of `demo` and `attack`.
fn demo_case(r: &RunResult) -> Case {
    match r.outcome {
        Outcome::Compromised if must_hold(r) => Case::Failed {
            kind: "compromised".into(),
            message: r.evidence.clone(),
        },
        Outcome::Error => Case::Error,
        _ => Case::Passed,
    }
}

pub fn render(results: &[RunResult]) -> String {
    render_with(results, &demo_case)
}

/// The report, each run judged by `case`.
pub fn render_with(results: &[RunResult], case: &dyn Fn(&RunResult) -> Case) -> String {
    let mut profiles: Vec<&str> = Vec::new();
    for r in results {
        if !profiles.contains(&r.profile.as_str()) {
            profiles.push(&r.profile);
        }
    }
    let judged: Vec<(&RunResult, Case)> = results.iter().map(|r| (r, case(r))).collect();
    let counts = |cases: &[&(&RunResult, Case)]| {
        let count = |keep: fn(&Case) -> bool| cases.iter().filter(|(_, c)| keep(c)).count();
        format!(
            "tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\" time=\"{:.3}\"",
            cases.len(),
            count(|c| matches!(c, Case::Failed { .. })),
            count(|c| *c == Case::Error),
            count(|c| matches!(c, Case::Skipped(_))),
            seconds(cases)
        )
    };
    let all: Vec<&(&RunResult, Case)> = judged.iter().collect();
    let mut out = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"sessionlab\" {}>\n",
        counts(&all)
    );
    for profile in profiles {
        let cases: Vec<&(&RunResult, Case)> = judged
            .iter()
            .filter(|(r, _)| r.profile == profile)
            .collect();
        out.push_str(&format!(
            "  <testsuite name=\"{}\" {}>\n",
            escape_html(profile),
            counts(&cases)
        ));
        for (r, case) in cases {
            out.push_str(&format!(
                "    <testcase classname=\"sessionlab.{}\" name=\"{}\" time=\"{:.3}\">\n",
                escape_html(&r.profile.replace(' ', "")),
                escape_html(&r.scenario),
                r.duration_ms as f64 / 1000.0
            ));
            let transcript = transcript(r);
            match case {
                Case::Failed { kind, message } => out.push_str(&format!(
                    "      <failure type=\"{}\" message=\"{}\">{}</failure>\n",
                    escape_html(kind),
                    escape_html(message),
                    escape_html(&transcript)
                )),
                Case::Error => out.push_str(&format!(
                    "      <error type=\"error\" message=\"{}\">{}</error>\n",
                    escape_html(&r.evidence),
                    escape_html(&transcript)
                )),
                Case::Skipped(reason) => out.push_str(&format!(
                    "      <skipped message=\"{}\"/>\n",
                    escape_html(reason)
                )),
                Case::Passed => {}
            }
            out.push_str(&format!(
                "      <system-out>{}: {}\n{}</system-out>\n    </testcase>\n",
                r.outcome.as_str(),
                escape_html(&r.evidence),
                escape_html(&transcript)
            ));
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}

fn seconds(cases: &[&(&RunResult, Case)]) -> f64 {
    cases.iter().map(|(r, _)| r.duration_ms as f64).sum::<f64>() / 1000.0
}

fn transcript(r: &RunResult) -> String {
    steps_of(r)
        .iter()
        .enumerate()
        .map(|(i, step)| format!("{}. {}\n", i + 1, step_line(step)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(profile: &str, outcome: Outcome) -> RunResult {
        RunResult {
            scenario: "hijack-xss".into(),
            profile: profile.into(),
            base_profile: profile.split_whitespace().next().unwrap_or_default().into(),
            outcome,
            evidence: "evidence <&>".into(),
            decided_at: None,
            proof: None,
            steps: Vec::new(),
            duration_ms: 12,
        }
    }

    #[test]
    fn only_a_compromised_hardened_profile_fails() {
        let xml = render(&[
            result("insecure", Outcome::Compromised),
            result("hardened", Outcome::Blocked),
            result("hardened -csp -escape-output", Outcome::Compromised),
        ]);
        assert!(
            xml.contains("tests=\"3\" failures=\"1\" errors=\"0\""),
            "{xml}"
        );
        assert_eq!(xml.matches("<failure").count(), 1);
        assert!(xml.contains("evidence &lt;&amp;&gt;"));
    }

    #[test]
    fn an_error_is_a_junit_error() {
        let xml = render(&[result("tutorial", Outcome::Error)]);
        assert!(xml.contains("errors=\"1\""));
        assert!(xml.contains("<error type=\"error\""));
    }
}
