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

use std::io::{BufRead, IsTerminal, Write};

use colored::{ColoredString, Colorize};
use sessionlab_app::{Defense, Profile, ProfileName, defense_source};
use sessionlab_attack::catalog::{self, ScenarioMeta};
use sessionlab_attack::outcome::{CookieAction, HttpExchange};
use sessionlab_attack::{Actor, Credentials, Outcome, ProofKind, RunResult, Step};

use sessionlab_harness::Ablation;
use sessionlab_harness::ablation;
use sessionlab_harness::batch::ignore_results;
use sessionlab_harness::says;

use crate::{out, outln};

/// How many exchanges of one step the lesson prints before it summarises the rest.
const EXCHANGES_SHOWN: usize = 8;
/// How much of a response body the lesson prints.
const BODY_SHOWN: usize = 240;

/// Whether the lesson waits for Enter between steps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pace {
    /// Wait at each step (only when stdin and stdout are terminals: see [`Pace::choose`]).
    Pause,
    /// Print everything in one go (`--no-pause`, scripts, CI, a pipe or a file on stdin or stdout).
    NoPause,
}

impl Pace {
    /// Pauses only for a person at a terminal: with stdin a pipe or /dev/null
    /// there is nobody to press Enter, and waiting would hang a script; with
    /// stdout a file or a pipe (`lesson csrf > notes.txt` at a terminal) the
    /// prompt would land in the file, and the lesson would wait, unexplained,
    /// for an Enter the learner has no reason to press.
    pub fn choose(no_pause: bool) -> Pace {
        Self::for_terminals(
            no_pause,
            std::io::stdin().is_terminal(),
            std::io::stdout().is_terminal(),
        )
    }

    fn for_terminals(no_pause: bool, stdin_is_terminal: bool, stdout_is_terminal: bool) -> Pace {
        if !no_pause && stdin_is_terminal && stdout_is_terminal {
            Pace::Pause
        } else {
            Pace::NoPause
        }
    }
}

/// The scenario file for `id`, or the message naming the valid lesson ids.
pub fn find(id: &str) -> Result<ScenarioMeta, String> {
    let all = catalog::all();
    all.iter()
        .find(|meta| meta.id == id)
        .cloned()
        .ok_or_else(|| {
            let valid: Vec<&str> = all.iter().map(|meta| meta.id.as_str()).collect();
            format!(
                "unknown lesson {id:?}; valid lessons: {} (`sessionlab lesson` lists them)",
                valid.join(", ")
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
            "\nStart with: sessionlab lesson {}   (--no-pause prints it in one go)\n",
            first.id
        ));
    }
    out
}

/// Runs the whole lesson for `meta`, printing to stdout; with `quiet`, without
/// the hints (what runs next, what to try).
pub async fn run(meta: &ScenarioMeta, pace: Pace, quiet: bool) -> anyhow::Result<()> {
    let mut pauser = Pauser::new(pace);
    out!("{}", intro(meta));

    let insecure = run_against(&meta.id, Profile::new(ProfileName::Insecure)).await?;
    outln!(
        "\n{} {}\n",
        "Part 1.".bold(),
        "The attack against the insecure profile (every weakness on)".bold()
    );
    let total = insecure.steps.len();
    for (i, step) in insecure.steps.iter().enumerate() {
        out!("{}", render_step(i + 1, total, step));
        if !pauser.wait("next step")? {
            return Ok(());
        }
    }
    out!("{}", render_result(&insecure, meta));

    if !pauser.wait("the same attack against the hardened profile")? {
        return Ok(());
    }
    outln!(
        "\n{} {}\n",
        "Part 2.".bold(),
        "The same attack against the hardened profile (every defense on)".bold()
    );
    let hardened = run_against(&meta.id, Profile::new(ProfileName::Hardened)).await?;
    out!("{}", render_hardened(&hardened));

    if hardened.outcome == Outcome::Blocked {
        if quiet {
            outln!();
        } else {
            outln!(
                "\n{}",
                wrap(
                    &format!(
                        "Which defense broke it? Running the attack against the hardened \
                         profile without each of {} ...",
                        meta.blocked_by.join(", ")
                    ),
                    ""
                )
                .dimmed()
            );
        }
        let ablation = ablate(meta, &hardened).await?;
        out!("{}", render_attribution(meta, &ablation));
    }

    if !pauser.wait("the recap")? {
        return Ok(());
    }
    out!("{}", recap(meta, quiet));
    Ok(())
}

/// One scenario against one profile started for it in this process.
async fn run_against(id: &str, profile: Profile) -> anyhow::Result<RunResult> {
    sessionlab_harness::lab::run_once(id, &profile).await
}

/// The scenario against "hardened without D", for each D its file claims,
/// beside the `hardened` run the lesson already made: the harness's
/// ablation, for one scenario.
async fn ablate(meta: &ScenarioMeta, hardened: &RunResult) -> anyhow::Result<Ablation> {
    let claimed: Vec<Defense> = meta
        .blocked_by
        .iter()
        .filter_map(|id| id.parse().ok())
        .collect();
    ablation::run_beside(
        vec![hardened.clone()],
        std::slice::from_ref(meta),
        &claimed,
        ignore_results(),
    )
    .await
}

/// Claimed ids that name no defense (a broken scenario file; a test rules it out).
fn unknown_defenses(meta: &ScenarioMeta) -> Vec<&str> {
    meta.blocked_by
        .iter()
        .filter(|id| id.parse::<Defense>().is_err())
        .map(String::as_str)
        .collect()
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

/// Who acted, in words.
fn actor_name(actor: Actor) -> &'static str {
    match actor {
        Actor::Victim => "the victim",
        Actor::Attacker => "the attacker",
        Actor::Observer => "the on-path observer",
    }
}

fn actor_colour(actor: Actor, text: &str) -> ColoredString {
    match actor {
        Actor::Victim => text.cyan().bold(),
        Actor::Attacker => text.magenta().bold(),
        Actor::Observer => text.yellow().bold(),
    }
}

/// One step: who did what, what they saw, and the HTTP behind it.
pub fn render_step(number: usize, total: usize, step: &Step) -> String {
    render_step_marked(number, total, step, None)
}

/// [`render_step`] with a remark after the heading ("where the attack broke").
fn render_step_marked(
    number: usize,
    total: usize,
    step: &Step,
    remark: Option<ColoredString>,
) -> String {
    let remark = remark.map(|r| format!(" ({r})")).unwrap_or_default();
    let mut out = format!(
        "{} {}{remark}\n",
        format!("Step {number} of {total} ·").dimmed(),
        actor_colour(step.actor, actor_name(step.actor))
    );
    out.push_str(&wrap(&step.action, "  action    "));
    out.push('\n');
    out.push_str(&wrap(&step.observed, "  observed  "));
    out.push('\n');
    out.push_str(&render_exchanges(&step.exchanges));
    out
}

/// A step's exchanges; a long run of them (a guessing loop) is cut in the middle.
pub fn render_exchanges(exchanges: &[HttpExchange]) -> String {
    if exchanges.is_empty() {
        return format!("  {}\n", "(no HTTP in this step)".dimmed());
    }
    let several_browsers = exchanges.iter().any(|x| x.browser != exchanges[0].browser);
    let mut out = String::new();
    if exchanges.len() <= EXCHANGES_SHOWN {
        for exchange in exchanges {
            out.push_str(&render_exchange(exchange, several_browsers));
        }
    } else {
        let head = EXCHANGES_SHOWN / 2;
        let tail = EXCHANGES_SHOWN - head;
        for exchange in &exchanges[..head] {
            out.push_str(&render_exchange(exchange, several_browsers));
        }
        out.push_str(&format!(
            "\n  {}\n",
            format!(
                "… {} more exchanges like these (all of them: sessionlab demo --scenario ID --format json)",
                exchanges.len() - EXCHANGES_SHOWN
            )
            .dimmed()
        ));
        for exchange in &exchanges[exchanges.len() - tail..] {
            out.push_str(&render_exchange(exchange, several_browsers));
        }
    }
    out
}

/// One request and its response, the headers that matter highlighted, the
/// body abbreviated, and what the cookie jar did each way.
pub fn render_exchange(exchange: &HttpExchange, show_browser: bool) -> String {
    let mut out = String::from("\n");
    let browser = if show_browser {
        format!("  [{}]", exchange.browser).dimmed().to_string()
    } else {
        String::new()
    };
    out.push_str(&format!(
        "  {} {}{browser}\n",
        "→".bold(),
        exchange.request_line().bold()
    ));
    if let Some(from) = &exchange.upgraded_from {
        out.push_str(&format!(
            "      {}\n",
            format!("(HSTS rewrote {from} before it left the browser)").green()
        ));
    }
    for (name, value) in &exchange.request_headers {
        out.push_str(&header_line(name, value));
    }
    for note in &exchange.cookies_out {
        out.push_str(&cookie_line(note));
    }
    out.push_str(&format!(
        "  {} {}\n",
        "←".bold(),
        status_word(exchange.status)
    ));
    for (name, value) in &exchange.response_headers {
        out.push_str(&header_line(name, value));
    }
    for note in &exchange.cookies_in {
        out.push_str(&cookie_line(note));
    }
    out.push_str(&body_line(exchange));
    out
}

fn status_word(status: u16) -> ColoredString {
    let reason = match status {
        200 => " OK",
        302 => " Found",
        303 => " See Other",
        307 => " Temporary Redirect",
        308 => " Permanent Redirect",
        400 => " Bad Request",
        401 => " Unauthorized",
        403 => " Forbidden",
        404 => " Not Found",
        422 => " Unprocessable Content",
        _ => "",
    };
    let text = format!("{status}{reason}");
    match status {
        200..=299 => text.green().bold(),
        300..=399 => text.cyan().bold(),
        _ => text.red().bold(),
    }
}

/// `Cookie` and `Set-Cookie` stand out most: they are what every lesson is about.
fn header_line(name: &str, value: &str) -> String {
    let label = format!("{name}:");
    let label = match name.to_ascii_lowercase().as_str() {
        "cookie" | "set-cookie" => label.yellow().bold(),
        "location" | "referer" => label.cyan().bold(),
        _ => label.blue().bold(),
    };
    format!("      {label} {value}\n")
}

fn cookie_line(note: &sessionlab_attack::outcome::CookieNote) -> String {
    let word = note.action.as_str();
    let word = match note.action {
        CookieAction::Sent | CookieAction::Stored | CookieAction::Replaced => word.green(),
        CookieAction::Withheld | CookieAction::Rejected => word.red().bold(),
        CookieAction::Deleted => word.yellow(),
    };
    let lead = format!("      {} {word} {} ", "browser:".dimmed(), note.cookie);
    match &note.reason {
        Some(reason) => format!("{}\n", wrap(&format!("({reason})"), &lead)),
        None => format!("{}\n", lead.trim_end()),
    }
}

fn body_line(exchange: &HttpExchange) -> String {
    let body = &exchange.body;
    if body.excerpt.is_empty() {
        return format!(
            "      {}\n",
            format!("(body: {} bytes)", body.length).dimmed()
        );
    }
    let mut shown: String = body.excerpt.chars().take(BODY_SHOWN).collect();
    if body.truncated || body.excerpt.chars().count() > BODY_SHOWN {
        shown.push('…');
    }
    let what = if body.from_main {
        format!("body, {} bytes; its <main>: ", body.length)
    } else {
        format!("body, {} bytes: ", body.length)
    };
    format!("{}\n", wrap(&shown, &format!("      {}", what)).dimmed())
}

/// The outcome against the insecure profile, with the proof as the run recorded it.
pub fn render_result(result: &RunResult, meta: &ScenarioMeta) -> String {
    let mut out = format!(
        "\n{} {}\n",
        "Result:".bold(),
        crate::report::outcome_word(result.outcome)
    );
    let victim = Credentials::default_victim().username;
    match &result.proof {
        Some(proof) => {
            let (shown, whose) = match proof.kind {
                ProofKind::VictimNote => (
                    format!("the attacker now reads {victim}'s private note in his own response"),
                    "",
                ),
                ProofKind::ForgedChange => (
                    format!("{victim}'s own account page now shows the attacker's change"),
                    ", after the forged request",
                ),
            };
            out.push_str(&wrap(
                &format!(
                    "{shown}: \"{}\" (step {}{whose})",
                    proof.value,
                    proof.step + 1
                ),
                "  proof  ",
            ));
            out.push('\n');
            out.push_str(&wrap(&result.evidence, "  how    "));
        }
        None => out.push_str(&wrap(&result.evidence, "  why    ")),
    }
    out.push('\n');
    if result.outcome != Outcome::Compromised {
        out.push_str(&wrap(
            &format!(
                "against the insecure profile the {} attack was expected to succeed; \
                 the evidence above says what happened instead",
                meta.id
            ),
            "  note   ",
        ));
        out.push('\n');
    }
    out
}

/// The victim's private note as the attacker's own response showed it: the
/// value of the run's proof. None unless the run is compromised by a read
/// (CSRF's proof is the victim's own page showing the attacker's change).
pub fn proof_note(result: &RunResult) -> Option<&str> {
    result
        .proof
        .as_ref()
        .filter(|proof| proof.kind == ProofKind::VictimNote)
        .map(|proof| proof.value.as_str())
}

/// The step where a run was decided, as the scenario recorded it.
pub fn decisive_step(result: &RunResult) -> Option<usize> {
    result.decided_at
}

/// The hardened run: its steps in one line each, up to the step where the
/// attack broke, shown in full with its HTTP; the lesson stops there.
pub fn render_hardened(result: &RunResult) -> String {
    let mut out = String::new();
    let Some(decisive) = decisive_step(result) else {
        out.push_str(&format!(
            "{} {}\n",
            crate::report::outcome_word(result.outcome),
            result.evidence
        ));
        return out;
    };
    let total = result.steps.len();
    for (i, step) in result.steps[..decisive].iter().enumerate() {
        out.push_str(&wrap(
            &format!(
                "{}: {} — {}",
                actor_name(step.actor),
                step.action,
                step.observed
            ),
            &format!("  {}. ", i + 1),
        ));
        out.push('\n');
    }
    let where_word = match result.outcome {
        Outcome::Blocked => "where the attack broke".green().bold(),
        Outcome::Compromised => "where the attack succeeded".red().bold(),
        Outcome::Error => "where the run stopped".yellow().bold(),
    };
    out.push('\n');
    out.push_str(&render_step_marked(
        decisive + 1,
        total,
        &result.steps[decisive],
        Some(where_word),
    ));
    out.push_str(&format!(
        "\n{} {}\n",
        "Result:".bold(),
        crate::report::outcome_word(result.outcome)
    ));
    out.push_str(&wrap(&result.evidence, "  why    "));
    out.push('\n');
    out
}

/// Which defense broke the attack, with where to read its code. The
/// sentence is the ablation's verdict (`sessionlab_harness::says`).
pub fn render_attribution(meta: &ScenarioMeta, ablation: &Ablation) -> String {
    let mut out = String::new();
    for removal in &ablation.removals {
        for result in &removal.results {
            out.push_str(&format!(
                "  hardened without {:<DEFENSE_ID_WIDTH$}  {}\n",
                removal.defense.id(),
                crate::report::outcome_word(result.outcome)
            ));
        }
    }
    for id in unknown_defenses(meta) {
        out.push_str(&format!(
            "  {} the scenario file names {id:?}, which is no defense of the app\n",
            "warning:".yellow().bold()
        ));
    }
    let Some(holding) = ablation.holdings().into_iter().next() else {
        return out;
    };
    let mut verdict = holding.verdict().to_string();
    if !holding.errored_by.is_empty() {
        verdict.push_str(&says::no_verdict_without(&holding.errored_by));
    }
    let heading = if !holding.contradicted.is_empty() {
        "warning:".yellow().bold()
    } else if holding.reopened_by.is_empty() {
        "Defense in depth:".green().bold()
    } else {
        "What broke it:".green().bold()
    };
    out.push_str(&format!("\n{}\n", wrap(&verdict, &format!("{heading} "))));
    if holding.reopened_by.is_empty() {
        for removal in &ablation.removals {
            out.push_str(&defense_line(removal.defense));
        }
    } else {
        for &defense in &holding.reopened_by {
            out.push_str(&defense_line(defense));
        }
        out.push_str(&format!(
            "  {}\n",
            "(without it, the same attack against the otherwise hardened app succeeds again)"
                .dimmed()
        ));
    }
    out
}

/// `csrf-token  forms that change state carry a token ...  crates/app/src/defenses/csrf_token.rs:50`
fn defense_line(defense: Defense) -> String {
    let (path, line) = defense_source(defense);
    format!(
        "  {}  {}\n  {:<DEFENSE_ID_WIDTH$}  {}\n",
        format!("{:<DEFENSE_ID_WIDTH$}", defense.id()).bold(),
        defense.summary(),
        "",
        format!("{path}:{line}").underline()
    )
}

/// The longest defense id, `revoke-on-password-change`, fits.
const DEFENSE_ID_WIDTH: usize = 25;

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

/// Waits for Enter between steps, when there is someone to press it.
struct Pauser {
    pace: Pace,
}

impl Pauser {
    fn new(pace: Pace) -> Self {
        Self { pace }
    }

    /// Waits for Enter; `false` when the learner typed `q` (end the lesson).
    /// End of input stops the pausing instead of the lesson.
    fn wait(&mut self, next: &str) -> std::io::Result<bool> {
        if self.pace == Pace::NoPause {
            outln!();
            return Ok(true);
        }
        out!("\n{}", format!("[Enter: {next} · q: quit] ").dimmed());
        std::io::stdout().flush()?;
        let mut answer = String::new();
        if std::io::stdin().lock().read_line(&mut answer)? == 0 {
            self.pace = Pace::NoPause;
            outln!();
            return Ok(true);
        }
        Ok(!answer.trim().eq_ignore_ascii_case("q"))
    }
}

#[cfg(test)]
mod tests {
    use sessionlab_attack::Proof;
    use sessionlab_attack::outcome::BodyExcerpt;

    use super::*;

    fn step(actor: Actor, observed: &str, exchanges: Vec<HttpExchange>) -> Step {
        Step {
            actor,
            action: "acted".into(),
            observed: observed.into(),
            exchanges,
        }
    }

    fn account_page(user: &str, note: &str) -> HttpExchange {
        HttpExchange {
            browser: "attacker".into(),
            method: "GET".into(),
            url: "http://app.lab.test:1/account".into(),
            upgraded_from: None,
            request_headers: Vec::new(),
            status: 200,
            response_headers: Vec::new(),
            body: BodyExcerpt::of(
                &format!("<p id=\"username\">{user}</p><p id=\"private-note\">{note}</p>"),
                false,
            ),
            cookies_out: Vec::new(),
            cookies_in: Vec::new(),
        }
    }

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
    fn it_pauses_only_with_a_terminal_on_both_ends() {
        assert_eq!(Pace::for_terminals(false, true, true), Pace::Pause);
        // `sessionlab lesson csrf > notes.txt` typed at a terminal.
        assert_eq!(Pace::for_terminals(false, true, false), Pace::NoPause);
        assert_eq!(Pace::for_terminals(false, false, true), Pace::NoPause);
        assert_eq!(Pace::for_terminals(true, true, true), Pace::NoPause);
    }

    #[test]
    fn the_proof_note_is_the_proof_the_run_carries() {
        let note = "private note of alice #0123";
        let mut judged = result(
            Outcome::Compromised,
            "the copy showed alice's private note",
            vec![step(
                Actor::Attacker,
                "the copy showed alice's private note",
                vec![account_page("alice", note)],
            )],
        );
        judged.decided_at = Some(0);
        judged.proof = Some(Proof {
            kind: ProofKind::VictimNote,
            value: note.into(),
            step: 0,
            exchange: 0,
            forged_request: None,
        });
        assert_eq!(proof_note(&judged), Some(note));
        assert_eq!(decisive_step(&judged), Some(0));
        // A forged change is proof, but no note to quote.
        let mut forged = judged.clone();
        if let Some(proof) = forged.proof.as_mut() {
            proof.kind = ProofKind::ForgedChange;
        }
        assert_eq!(proof_note(&forged), None);
        let blocked = result(Outcome::Blocked, "b", vec![]);
        assert_eq!(proof_note(&blocked), None);
        assert_eq!(decisive_step(&blocked), None);
    }
}
