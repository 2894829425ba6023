//! `sessionlab demo`: all three profiles in-process on ephemeral loopback ports,
//! every scenario against each. [`run_jobs`] runs any batch of profiles the
//! same way (`ablate` and the ablation test use it).

use std::io::Write;
use std::net::{Ipv4Addr, SocketAddr};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use colored::Colorize;

use sessionlab_app::{Defense, Profile, ProfileName, RunningServer, ServeOptions};
use sessionlab_attack::lab::{ClockControl, ClockFuture};
use sessionlab_attack::{Credentials, RunResult, ScenarioMeta, Target, run_scenarios};

/// One profile of the demo: its running server and how the engine reaches it.
pub struct LabProfile {
    pub server: RunningServer,
    pub target: Target,
}

/// Starts one app per profile on `127.0.0.1:0` and discovers each as a target,
/// with a hold on its lab clock (the apps run in this process).
pub async fn start_profiles(profiles: &[Profile]) -> anyhow::Result<Vec<LabProfile>> {
    let mut lab = Vec::with_capacity(profiles.len());
    for profile in profiles {
        let server = sessionlab_app::start(ServeOptions {
            profile: profile.clone(),
            addr: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            allow_non_loopback: false,
            lab_clock: false,
        })
        .await?;
        let target = Target::discover(&server.url(), false)
            .await?
            .with_clock_control(InProcessClock(server.clock().clone()));
        lab.push(LabProfile { server, target });
    }
    Ok(lab)
}

/// The lab clock of an app in this process, held by the harness that started
/// it: the attack engine moves it through its [`ClockControl`] trait without
/// linking the app.
#[derive(Debug)]
pub struct InProcessClock(pub sessionlab_app::LabClock);

impl ClockControl for InProcessClock {
    fn advance(&self, _target: &Target, by: std::time::Duration) -> ClockFuture<'_> {
        self.0.advance_std(by);
        Box::pin(std::future::ready(Ok(())))
    }
}

/// The three built-in profiles.
pub fn builtin_profiles() -> Vec<Profile> {
    ProfileName::ALL.into_iter().map(Profile::new).collect()
}

/// The demo's three columns with the user's toggles: `without` comes off the
/// hardened profile, `with` goes onto the insecure one, tutorial stays the
/// seed's code.
pub fn toggled_profiles(without: &[Defense], with: &[Defense]) -> Vec<Profile> {
    builtin_profiles()
        .into_iter()
        .map(|profile| match profile.name {
            ProfileName::Hardened => without.iter().fold(profile, |p, &d| p.without(d)),
            ProfileName::Insecure => with.iter().fold(profile, |p, &d| p.with(d)),
            ProfileName::Tutorial => profile,
        })
        .collect()
}

/// A profile with the user's `--with` / `--without` applied (`serve`, `attack --profile`).
pub fn toggled(name: ProfileName, without: &[Defense], with: &[Defense]) -> Profile {
    let profile = with.iter().fold(Profile::new(name), |p, &d| p.with(d));
    without.iter().fold(profile, |p, &d| p.without(d))
}

/// A defense named in both `--with` and `--without`: a usage error, with a message.
pub fn contradictory_toggles(without: &[Defense], with: &[Defense]) -> Option<String> {
    with.iter().find(|d| without.contains(d)).map(|d| {
        format!("--with {d} and --without {d} contradict each other; name each defense once")
    })
}

/// A warning for a profile whose session cookie no browser will keep: a
/// `Secure` or `__Host-` cookie set over plain HTTP is refused, so nobody can
/// log in (`serve --profile hardened --without tls`). Such a profile is a
/// legitimate experiment (the ablation runs it), but a person at a browser
/// should know before wondering why the login form "does nothing".
pub fn unusable_cookie_warning(profile: &Profile) -> Option<String> {
    if profile.has(Defense::Tls) {
        return None;
    }
    let reasons: Vec<&str> = [Defense::SecureCookie, Defense::HostPrefix]
        .into_iter()
        .filter(|&d| profile.has(d))
        .map(Defense::id)
        .collect();
    if reasons.is_empty() {
        return None;
    }
    Some(format!(
        "{} has {} but not tls: browsers refuse its session cookie over plain HTTP, \
         so nobody can log in (every scenario against it ends in error); \
         keep tls on, or take {} off as well",
        profile.label(),
        reasons.join(" and "),
        reasons.join(" and ")
    ))
}

/// One job of a batch: a profile to start and the scenarios to run against it.
#[derive(Debug, Clone)]
pub struct Job {
    pub profile: Profile,
    pub scenarios: Vec<ScenarioMeta>,
}

/// Called as each run of a batch finishes (a progress bar ticks).
pub type OnResult = Arc<dyn Fn(&RunResult) + Send + Sync>;

/// Runs a batch: each job starts its own app on a loopback port, runs its
/// scenarios in turn and stops the app. Up to `parallel` jobs run at once,
/// each on its own task, so both the apps and the attackers' browsers spread
/// over the cores. Results come back in job order.
pub async fn run_jobs(
    jobs: Vec<Job>,
    parallel: usize,
    on_result: OnResult,
) -> anyhow::Result<Vec<Vec<RunResult>>> {
    let slots = Arc::new(tokio::sync::Semaphore::new(parallel.max(1)));
    let tasks: Vec<_> = jobs
        .into_iter()
        .map(|job| {
            let slots = slots.clone();
            let on_result = on_result.clone();
            tokio::spawn(async move {
                let _slot = slots.acquire_owned().await?;
                let lab = start_profiles(std::slice::from_ref(&job.profile)).await?;
                let victim = Credentials::default_victim();
                let attacker = Credentials::default_attacker();
                let results = run_scenarios(
                    &job.scenarios,
                    &lab[0].target,
                    &victim,
                    &attacker,
                    &*on_result,
                )
                .await;
                stop(lab).await;
                anyhow::Ok(results)
            })
        })
        .collect();
    let mut all = Vec::with_capacity(tasks.len());
    for task in tasks {
        all.push(task.await??);
    }
    Ok(all)
}

/// How many apps of a batch run at once: enough to keep every core busy while
/// other runs wait on the network, few enough to keep memory low.
pub fn default_parallelism() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get()) * 4
}

/// Runs the scenarios against every profile: profiles in parallel, scenarios in
/// turn within a profile. Results come back grouped by scenario, then profile.
pub async fn run_matrix(
    lab: &[LabProfile],
    scenarios: &[ScenarioMeta],
    on_result: &(dyn Fn(&RunResult) + Sync),
) -> Vec<RunResult> {
    let victim = Credentials::default_victim();
    let attacker = Credentials::default_attacker();
    let per_profile: Vec<Vec<RunResult>> = futures::future::join_all(
        lab.iter()
            .map(|p| run_scenarios(scenarios, &p.target, &victim, &attacker, on_result)),
    )
    .await;
    let mut results = Vec::with_capacity(scenarios.len() * lab.len());
    for meta in scenarios {
        for profile_results in &per_profile {
            results.extend(
                profile_results
                    .iter()
                    .filter(|r| r.scenario == meta.id)
                    .cloned(),
            );
        }
    }
    results
}

/// Stops every server of the demo.
pub async fn stop(lab: Vec<LabProfile>) {
    for p in lab {
        p.server.shutdown().await;
    }
}

/// Ctrl-C, listened for from the moment this returns. tokio installs its
/// SIGINT handler on the first poll of `ctrl_c()`, so poll it once now: a
/// Ctrl-C pressed right after the "Ctrl-C stops ..." line is never lost to
/// the default handler (which would kill the process without a clean stop).
pub fn ctrl_c_armed() -> Pin<Box<dyn Future<Output = std::io::Result<()>> + Send>> {
    let mut ctrl_c: Pin<Box<dyn Future<Output = std::io::Result<()>> + Send>> =
        Box::pin(tokio::signal::ctrl_c());
    let mut cx = Context::from_waker(Waker::noop());
    if let Poll::Ready(result) = ctrl_c.as_mut().poll(&mut cx) {
        return Box::pin(std::future::ready(result));
    }
    ctrl_c
}

/// `demo --serve`: keeps `lab`'s apps (fresh ones, not the matrix's) running
/// for a browser, says where they are and how to log in, and stops them
/// cleanly at Ctrl-C.
pub async fn serve_until_ctrl_c(lab: Vec<LabProfile>, out: &mut dyn Write, quiet: bool) {
    let ctrl_c = ctrl_c_armed();
    let width = lab
        .iter()
        .map(|p| p.target.profile.len())
        .max()
        .unwrap_or(0);
    // Write errors (a closed pipe) must not keep the apps from stopping.
    let mut say = |line: String| {
        let _ = writeln!(out, "{line}");
        let _ = out.flush();
    };
    if !quiet {
        say(format!(
            "\n{} {}",
            "Fresh apps for your browser:".bold(),
            "(the same profiles; the matrix ran against its own)".dimmed()
        ));
    }
    for p in &lab {
        let tls_note = if p.server.scheme() == "https" && !quiet {
            "  (self-signed certificate: accept the browser's warning)"
        } else {
            ""
        };
        say(format!(
            "  {:<width$}  {}{tls_note}",
            p.target.profile,
            p.server.url()
        ));
    }
    if !quiet {
        if let Some(first) = lab.first() {
            let accounts: Vec<String> = first
                .server
                .accounts
                .iter()
                .map(|a| format!("{} / {}", a.username, a.password))
                .collect();
            say(format!("  {:<width$}  {}", "accounts", accounts.join(", ")));
        }
        say(String::new());
        say(
            "By hand: log in to the insecure app as alice, post \
             <script>alert(document.cookie)</script> to its guestbook and watch it run; \
             then try the same on hardened. `sessionlab lesson <scenario>` shows each attack step by step."
                .into(),
        );
        say("Ctrl-C stops the apps.".into());
    }
    let _ = ctrl_c.await;
    if !quiet {
        say("Stopping the apps.".into());
    }
    stop(lab).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secure_cookie_without_tls_is_warned_about() {
        let hardened = Profile::new(ProfileName::Hardened);
        assert_eq!(unusable_cookie_warning(&hardened), None);
        let warning =
            unusable_cookie_warning(&hardened.clone().without(Defense::Tls)).expect("a warning");
        assert!(
            warning.contains("secure-cookie and host-prefix"),
            "{warning}"
        );
        assert!(warning.contains("nobody can log in"), "{warning}");
        let plain = hardened
            .without(Defense::Tls)
            .without(Defense::SecureCookie)
            .without(Defense::HostPrefix);
        assert_eq!(unusable_cookie_warning(&plain), None);
        assert_eq!(
            unusable_cookie_warning(&Profile::new(ProfileName::Insecure)),
            None
        );
    }
}
