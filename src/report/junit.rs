//! `--format junit`: each scenario × profile as a JUnit test case, for CI
//! systems (GitLab, Jenkins, GitHub test reporters).
//!
//! What fails: a compromise of a profile that is meant to hold, i.e. any
//! `hardened` profile, with or without toggles (removing a defense on purpose
//! and seeing an attack succeed is a finding worth a red line). The insecure
//! and tutorial profiles are vulnerable by design: their compromises pass and
//! say so in the test's output. An `error` outcome is a JUnit error.

use sessionlab_attack::{Outcome, RunResult};

use super::{actor_label, html::escape, steps_of};

/// A profile label such as "hardened -csp": is it meant to hold?
fn must_hold(profile: &str) -> bool {
    profile.split_whitespace().next() == Some("hardened")
}

pub fn render(results: &[RunResult]) -> String {
    let mut profiles: Vec<&str> = Vec::new();
    for r in results {
        if !profiles.contains(&r.profile.as_str()) {
            profiles.push(&r.profile);
        }
    }
    let failed = |r: &RunResult| r.outcome == Outcome::Compromised && must_hold(&r.profile);
    let errors = |rs: &[&RunResult]| rs.iter().filter(|r| r.outcome == Outcome::Error).count();
    let all: Vec<&RunResult> = results.iter().collect();
    let mut out = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <testsuites name=\"sessionlab\" tests=\"{}\" failures=\"{}\" errors=\"{}\" time=\"{:.3}\">\n",
        results.len(),
        results.iter().filter(|r| failed(r)).count(),
        errors(&all),
        seconds(&all)
    );
    for profile in profiles {
        let cases: Vec<&RunResult> = results.iter().filter(|r| r.profile == profile).collect();
        out.push_str(&format!(
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" time=\"{:.3}\">\n",
            escape(profile),
            cases.len(),
            cases.iter().filter(|r| failed(r)).count(),
            errors(&cases),
            seconds(&cases)
        ));
        for r in cases {
            out.push_str(&format!(
                "    <testcase classname=\"sessionlab.{}\" name=\"{}\" time=\"{:.3}\">\n",
                escape(&r.profile.replace(' ', "")),
                escape(&r.scenario),
                r.duration_ms as f64 / 1000.0
            ));
            let transcript = transcript(r);
            if failed(r) {
                out.push_str(&format!(
                    "      <failure type=\"compromised\" message=\"{}\">{}</failure>\n",
                    escape(&r.evidence),
                    escape(&transcript)
                ));
            } else if r.outcome == Outcome::Error {
                out.push_str(&format!(
                    "      <error type=\"error\" message=\"{}\">{}</error>\n",
                    escape(&r.evidence),
                    escape(&transcript)
                ));
            }
            out.push_str(&format!(
                "      <system-out>{}: {}\n{}</system-out>\n    </testcase>\n",
                r.outcome.as_str(),
                escape(&r.evidence),
                escape(&transcript)
            ));
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}

fn seconds(results: &[&RunResult]) -> f64 {
    results.iter().map(|r| r.duration_ms as f64).sum::<f64>() / 1000.0
}

fn transcript(r: &RunResult) -> String {
    steps_of(r)
        .iter()
        .enumerate()
        .map(|(i, s)| {
            format!(
                "{}. {}: {}. {}\n",
                i + 1,
                actor_label(s.actor),
                s.action,
                s.observed
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(profile: &str, outcome: Outcome) -> RunResult {
        RunResult {
            scenario: "hijack-xss".into(),
            profile: profile.into(),
            outcome,
            evidence: "evidence <&>".into(),
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
