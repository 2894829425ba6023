//! `sessionlab lesson <scenario>`: one attack, step by step, at a terminal.
//!
//! The lesson runs the scenario with the same engine as `demo` (no second
//! implementation of any attack): first against the insecure profile, showing
//! every step with the HTTP its actor's browser exchanged and what the cookie
//! jar did; then against the hardened profile, stopping at the step where the
//! attack broke. To name the defense that broke it, the attack runs again
//! against "hardened without D" for each defense D the scenario file claims:
//! a D whose removal reopens the attack is what stopped it. Everything shown
//! comes from the runs' steps and evidence.
//!
//! Here: the flow (choosing a lesson, the two runs, the recap). Beside it:
//! `outcome.rs` (what each run showed, from its `decided_at` and `proof`),
//! `attribution.rs` (which defense broke it) and `pause.rs` (waiting for
//! Enter). The steps and their HTTP are drawn by `crate::report::transcript`,
//! the renderer the reports share.

use std::io::Write;

use colored::Colorize;
use sessionlab_app::{Profile, ProfileName};
use sessionlab_attack::catalog::{self, ScenarioMeta};
use sessionlab_attack::{Outcome, RunResult};

use crate::report::transcript;

mod attribution;
mod outcome;
mod pause;

pub use attribution::render_attribution;
pub use outcome::{decisive_step, proof_note, render_hardened, render_result};
use pause::Pauser;
pub use pause::{Key, Keys, LineKeys, Pace};

/// The scenario file for `id`, or the message naming the valid lesson ids.
/// The lesson's number in the teaching order (`sessionlab lesson 5`, as the
/// list shows it) works as well as its id.
pub fn find(id: &str) -> Result<ScenarioMeta, String> {
    let all = catalog::all();
    let by_number = |meta: &&ScenarioMeta| id.parse::<u32>().is_ok_and(|n| meta.order == n);
    all.iter()
        .find(|meta| meta.id == id)
        .or_else(|| all.iter().find(by_number))
        .cloned()
        .ok_or_else(|| {
            let valid: Vec<&str> = all.iter().map(|meta| meta.id.as_str()).collect();
            format!(
                "unknown lesson {id:?}; valid lessons: {}, or their numbers 1-{} \
                 (`sessionlab lesson` lists them)",
                valid.join(", "),
                all.len()
            )
        })
}

/// `sessionlab lesson` without an id: the lessons in teaching order, one line
/// each, and where to start (not with `--quiet`).
pub fn list(quiet: bool) -> String {
    let lessons = catalog::all();
    let width = lessons.iter().map(|m| m.id.len()).max().unwrap_or(0);
    let mut out = format!("{}\n\n", "Lessons, in teaching order".bold());
    for meta in &lessons {
        out.push_str(&format!(
            "{:>3}. {}  {}\n",
            meta.order,
            format!("{:<width$}", meta.id).bold(),
            meta.title
        ));
    }
    if let Some(first) = lessons.first().filter(|_| !quiet) {
        out.push_str(&format!(
            "\nStart with: sessionlab lesson {}   (or its number, 1; --no-pause prints it in one go)\n",
            first.id
        ));
    }
    out
}

/// How a lesson is shown.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// Wait for a key between steps, or not.
    pub pace: Pace,
    /// Without the hints (what runs next, what to try).
    pub quiet: bool,
    /// The login exchanges every lesson repeats, one line each (`f` at the pause shows them).
    pub brief: bool,
}

/// Runs the whole lesson for `meta` at this process's terminal: stdout, and
/// keys from stdin.
pub async fn run(meta: &ScenarioMeta, options: Options) -> anyhow::Result<()> {
    let keys: Box<dyn Keys> = match options.pace {
        Pace::Pause => pause::stdin_keys(),
        Pace::NoPause => Box::new(LineKeys(std::io::empty())),
    };
    run_with(meta, options, keys, &mut crate::stdout::Stdout).await
}

/// Runs the whole lesson for `meta`, writing to `out` and reading the keys
/// at each pause from `keys`.
pub async fn run_with(
    meta: &ScenarioMeta,
    options: Options,
    keys: Box<dyn Keys>,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let Options { pace, quiet, brief } = options;
    let mut pauser = Pauser::new(pace, keys, brief);
    write!(out, "{}", intro(meta))?;

    let insecure = run_against(&meta.id, Profile::new(ProfileName::Insecure)).await?;
    writeln!(
        out,
        "\n{} {}\n",
        "Part 1.".bold(),
        "The attack against the insecure profile (every weakness on)".bold()
    )?;
    let total = insecure.steps.len();
    for (i, step) in insecure.steps.iter().enumerate() {
        write!(out, "{}", transcript::step(i + 1, total, step, None, brief))?;
        let next = if i + 1 == total {
            "the result".to_string()
        } else {
            "next step".to_string()
        };
        if i + 1 == total {
            writeln!(out, "\n{}", teaser(meta, &insecure))?;
        }
        loop {
            match pauser.wait(out, &next, brief)? {
                Key::Quit => return Ok(()),
                Key::Full => write!(out, "{}", transcript::step(i + 1, total, step, None, false))?,
                Key::Next => break,
            }
        }
    }
    write!(out, "{}", render_result(&insecure, meta))?;

    writeln!(
        out,
        "\n{}",
        wrap(
            "next: the same attack against the hardened profile. Which step will it break at, \
             and which defense will have done it?",
            ""
        )
        .bold()
    )?;
    if pauser.wait(out, "the hardened replay", false)? == Key::Quit {
        return Ok(());
    }
    writeln!(
        out,
        "\n{} {}\n",
        "Part 2.".bold(),
        "The same attack against the hardened profile (every defense on)".bold()
    )?;
    let hardened = run_against(&meta.id, Profile::new(ProfileName::Hardened)).await?;
    if hardened.outcome != Outcome::Blocked {
        write!(out, "{}", render_hardened(&hardened, &[], brief))?;
    } else {
        if !quiet {
            writeln!(
                out,
                "{}\n",
                wrap(
                    &format!(
                        "Which defense broke it? The attack also runs against the hardened \
                         profile without each of {} ...",
                        meta.blocked_by.join(", ")
                    ),
                    ""
                )
            )?;
        }
        let ablation = attribution::ablate(meta, &hardened).await?;
        let acted = attribution::where_defenses_acted(&hardened, &ablation);
        write!(out, "{}", render_hardened(&hardened, &acted, brief))?;
        writeln!(out)?;
        write!(out, "{}", render_attribution(meta, &ablation))?;
    }

    if pauser.wait(out, "the recap", false)? == Key::Quit {
        return Ok(());
    }
    write!(out, "{}", recap(meta, quiet))?;
    Ok(())
}

/// `sessionlab lesson ID --format html|markdown`: what a one-lesson handout is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum HandoutFormat {
    /// A self-contained HTML page (the lesson's text embedded, no external assets).
    Html,
    /// A Markdown page.
    Markdown,
}

/// A one-lesson handout: the story, each step with its exchanges against
/// both profiles (the hardened replay included), which defense broke it with
/// its switch and mechanism, the recap, the references and the lesson's text.
/// Plain text: no colour, whatever the terminal.
pub async fn handout(meta: &ScenarioMeta, format: HandoutFormat) -> anyhow::Result<String> {
    colored::control::set_override(false);
    let insecure = run_against(&meta.id, Profile::new(ProfileName::Insecure)).await?;
    let hardened = run_against(&meta.id, Profile::new(ProfileName::Hardened)).await?;
    let attribution = if hardened.outcome == Outcome::Blocked {
        let ablation = attribution::ablate(meta, &hardened).await?;
        render_attribution(meta, &ablation)
    } else {
        String::new()
    };
    let profiles = vec![insecure.profile.clone(), hardened.profile.clone()];
    let results = vec![insecure, hardened];
    let scenarios = std::slice::from_ref(meta);
    let title = format!("Lesson {}: {}", meta.order, meta.title);
    let closing = format!("{}\n{}", attribution.trim_end(), recap(meta, true).trim());
    Ok(match format {
        HandoutFormat::Html => {
            let page = crate::report::html::render(&title, scenarios, &profiles, &results);
            let block = format!(
                "<h2>Which defense broke it, and the recap</h2>\n<pre>{}</pre>\n<footer>",
                sessionlab_protocol::escape_html(closing.trim())
            );
            page.replacen("<footer>", &block, 1)
        }
        HandoutFormat::Markdown => {
            let mut page = crate::report::markdown::render(scenarios, &profiles, &results)
                .replacen("# sessionlab results", &format!("# {title}"), 1);
            page.push_str(&format!(
                "\n## Which defense broke it, and the recap\n\n```text\n{}\n```\n",
                closing.trim()
            ));
            if let Some(text) = sessionlab_attack::lessons::text(&meta.id) {
                page.push_str("\n---\n\n");
                page.push_str(text);
            }
            page
        }
    })
}

/// "next: the result": what the room can predict before it is shown.
fn teaser(meta: &ScenarioMeta, insecure: &RunResult) -> String {
    let victim = sessionlab_attack::Credentials::default_victim().username;
    let question = match insecure.proof.as_ref().map(|p| p.kind) {
        Some(sessionlab_attack::ProofKind::ForgedChange) => {
            format!("will {victim}'s own account page show the attacker's change?")
        }
        _ => format!("will the attacker's own response show {victim}'s private note?"),
    };
    wrap(
        &format!(
            "next: the result of {} against the insecure profile. Predict it: {question}",
            meta.id
        ),
        "",
    )
    .bold()
    .to_string()
}

/// One scenario against one profile started for it in this process.
async fn run_against(id: &str, profile: Profile) -> anyhow::Result<RunResult> {
    sessionlab_harness::lab::run_once(id, &profile).await
}

/// The lesson's title and story.
fn intro(meta: &ScenarioMeta) -> String {
    format!(
        "{} {}\n{}\n\n{}\n",
        format!("Lesson {}:", meta.order).bold(),
        meta.title.bold(),
        format!("({}, {})", meta.id, meta.category).dimmed(),
        wrap(&meta.story, "")
    )
}

/// The recap, from the scenario file; with `quiet`, without "try it".
pub fn recap(meta: &ScenarioMeta, quiet: bool) -> String {
    let mut out = format!("\n{} {}\n", "Recap:".bold(), meta.title.bold());
    out.push_str(&wrap(&meta.fix, "  fix         "));
    out.push('\n');
    out.push_str(&wrap(&meta.reference_line(), "  references  "));
    out.push('\n');
    out.push_str(&format!("  read        {}\n", meta.lesson_path()));
    if !quiet {
        // The timeout attacks move the app's clock: a served app must allow it.
        let clock = if sessionlab_attack::scenarios::needs_lab_clock(&meta.id) {
            " --lab-clock"
        } else {
            ""
        };
        out.push_str(&wrap(
            &format!(
                "sessionlab demo --scenario {}   or by hand: sessionlab serve --profile insecure{clock}",
                meta.id
            ),
            "  try it      ",
        ));
        out.push('\n');
    }
    out
}

/// `lead` then `text`, wrapped to the terminal with the text's column kept
/// (see [`crate::report::hanging`]); piped output stays one line, for grep.
fn wrap(text: &str, lead: &str) -> String {
    crate::report::hanging(lead, text)
}

#[cfg(test)]
mod tests {
    use sessionlab_attack::{Actor, Credentials, Proof, ProofKind, Step};

    use super::*;

    fn result(outcome: Outcome, evidence: &str, steps: Vec<Step>) -> RunResult {
        RunResult {
            scenario: "x".into(),
            profile: "insecure".into(),
            base_profile: "insecure".into(),
            outcome,
            evidence: evidence.into(),
            decided_at: None,
            proof: None,
            steps,
            duration_ms: 0,
        }
    }

    #[test]
    fn the_proof_note_is_the_proof_the_run_carries() {
        let victim = Credentials::default_victim().username;
        let note = format!("private note of {victim} #0123");
        // Wording says nothing: only the typed proof counts.
        let step = Step {
            actor: Actor::Attacker,
            action: "acted".into(),
            observed: "no note here".into(),
            exchanges: Vec::new(),
        };
        let mut judged = result(Outcome::Compromised, "no note here", vec![step]);
        judged.decided_at = Some(0);
        judged.proof = Some(Proof {
            kind: ProofKind::VictimNote,
            value: note.clone(),
            step: 0,
            exchange: 0,
            forged_request: None,
        });
        assert_eq!(proof_note(&judged), Some(note.as_str()));
        assert_eq!(decisive_step(&judged), Some(0));
        // A forged change is proof, but no note to quote.
        let mut forged = judged.clone();
        if let Some(proof) = forged.proof.as_mut() {
            proof.kind = ProofKind::ForgedChange;
        }
        assert_eq!(proof_note(&forged), None);
        let blocked = result(Outcome::Blocked, &note, vec![]);
        assert_eq!(proof_note(&blocked), None);
        assert_eq!(decisive_step(&blocked), None);
    }
}
