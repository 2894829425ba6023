//! `sessionlab demo`: all three profiles in-process on ephemeral loopback ports,
//! every scenario against each.

use std::net::{Ipv4Addr, SocketAddr};

use sessionlab_app::{Profile, ProfileName, RunningServer, ServeOptions};
use sessionlab_attack::lab::ClockControl;
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
            .with_clock_control(ClockControl::InProcess(server.clock().clone()));
        lab.push(LabProfile { server, target });
    }
    Ok(lab)
}

/// The three built-in profiles.
pub fn builtin_profiles() -> Vec<Profile> {
    ProfileName::ALL.into_iter().map(Profile::new).collect()
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
