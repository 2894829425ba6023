//! One class on several instances (docs/deploy.md): two `class` instances
//! share their roster through a real redis-server, behind a round-robin
//! balancer with no stickiness, and a student works through the balancer as
//! they would through nginx, each request landing on either instance.

mod common;

use std::net::SocketAddr;

use common::balancer::Balancer;
use common::{INSTRUCTOR_KEY, Student};
use reqwest::StatusCode;
use sessionlab_app::{Profile, ProfileName};
use sessionlab_classroom::class::StartError;
use sessionlab_classroom::roster::{RosterError, StudentRecord};
use sessionlab_classroom::{BotBrowser, ClassConfig, RunningClass, start};

async fn instance(
    profile: ProfileName,
    redis: &str,
    public_port: u16,
) -> Result<RunningClass, StartError> {
    start(ClassConfig {
        profile: Profile::new(profile),
        addr: SocketAddr::from(([127, 0, 0, 1], 0)),
        domain: "localhost".into(),
        exposed: false,
        victim_browser: BotBrowser::Sim,
        instructor_key: INSTRUCTOR_KEY.into(),
        alice_every: None,
        require_code: false,
        shared: Some(redis.to_owned()),
        peer_addr: None,
        public_port: Some(public_port),
        visit_timeout: sessionlab_classroom::bot::VISIT_TIMEOUT,
    })
    .await
}

/// alice's note in `name`'s lab, on whichever instance runs it.
fn note_in(instances: &[&RunningClass], name: &str) -> String {
    instances
        .iter()
        .find_map(|i| i.class.lab(name))
        .expect("a lab on one of the instances")
        .app
        .handle
        .private_note("alice")
        .unwrap()
}

/// logout-reuse by hand, through the balancer: alice visits and logs out,
/// the student takes the copy of her cookie, and it still opens her account.
async fn logout_reuse(instances: &[&RunningClass], student: &Student) -> bool {
    student.send_alice(false).await;
    let copy = student.copy_of_alices_cookie().await;
    let (_, body, _) = student.app_get("/account", Some(&copy)).await;
    body.contains(&note_in(instances, &student.name))
}

/// The instructor, signed in on one instance (the hub's `Host`, as the
/// balancer passes it): a client, the host and the instructor's cookie.
async fn instructor_at(instance: &RunningClass, public_port: u16) -> Instructor {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let host = format!("localhost:{public_port}");
    let signed_in = client
        .post(format!("http://{}/instructor/signin", instance.addr))
        .header("host", &host)
        .header("origin", format!("http://{host}"))
        .form(&[("key", INSTRUCTOR_KEY)])
        .send()
        .await
        .unwrap();
    assert_eq!(signed_in.status(), StatusCode::SEE_OTHER);
    let cookie = common::set_cookie_pair(&signed_in).unwrap();
    Instructor {
        client,
        base: format!("http://{}", instance.addr),
        host,
        cookie,
    }
}

struct Instructor {
    client: reqwest::Client,
    base: String,
    host: String,
    cookie: String,
}

impl Instructor {
    fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.client
            .request(method, format!("{}{path}", self.base))
            .header("host", &self.host)
            .header("origin", format!("http://{}", self.host))
            .header("cookie", &self.cookie)
    }
}

/// The instructor's view of the class, as one instance serves it.
async fn roster_seen_by(instance: &RunningClass, public_port: u16) -> Vec<StudentRecord> {
    let instructor = instructor_at(instance, public_port).await;
    let response = instructor
        .request(reqwest::Method::GET, "/instructor.json")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let records: Vec<serde_json::Value> =
        serde_json::from_str(&response.text().await.unwrap()).unwrap();
    records
        .into_iter()
        .map(|r| StudentRecord {
            name: r["name"].as_str().unwrap().to_owned(),
            home: r["home"].as_str().unwrap().to_owned(),
            progress: serde_json::from_value(r["progress"].clone()).unwrap(),
        })
        .collect()
}

fn record<'a>(roster: &'a [StudentRecord], name: &str) -> &'a StudentRecord {
    roster.iter().find(|r| r.name == name).expect(name)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_behind_a_balancer_run_one_class() {
    let Some(redis) = sessionlab_app::redis_server::start_or_skip(
        "two_instances_behind_a_balancer_run_one_class",
    ) else {
        return;
    };
    let balancer = Balancer::bind().await;
    let port = balancer.addr.port();
    let a = instance(ProfileName::Insecure, &redis.url(), port)
        .await
        .unwrap();
    let b = instance(ProfileName::Insecure, &redis.url(), port)
        .await
        .unwrap();
    balancer.set_backends(vec![a.addr, b.addr]);

    // Two students sign in through the balancer: one lab on each instance.
    // The balancer takes turns by connection, and a sign-in makes an even
    // number of them (the form, then the lab page its label is read from):
    // ann's look at her scoreboard in between puts bea's form on the other.
    let ann = Student::sign_in_at(balancer.addr, "ann").await;
    assert!(!ann.solved("logout-reuse").await);
    let bea = Student::sign_in_at(balancer.addr, "bea").await;
    let roster = roster_seen_by(&a, port).await;
    let (ann_home, bea_home) = (
        record(&roster, "ann").home.clone(),
        record(&roster, "bea").home.clone(),
    );
    assert_ne!(ann_home, bea_home, "round robin put the two labs apart");
    let homes = [a.addr.to_string(), b.addr.to_string()];
    assert!(homes.contains(&ann_home) && homes.contains(&bea_home));
    // A name is the class's, not one instance's.
    let again = ann
        .client
        .post(ann.hub("/signin"))
        .header("origin", ann.hub_origin())
        .form(&[("name", "ann")])
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::UNPROCESSABLE_ENTITY);

    // ann works by hand, her requests spread over both instances.
    assert!(
        logout_reuse(&[&a, &b], &ann).await,
        "the copy of alice's cookie showed her note through the balancer"
    );
    assert!(ann.solved("logout-reuse").await);
    // Both instances' instructor views show it; bea's lab is untouched.
    for instance in [&a, &b] {
        let roster = roster_seen_by(instance, port).await;
        assert!(record(&roster, "ann").progress.is_solved("logout-reuse"));
        assert!(record(&roster, "bea").progress.solved.is_empty());
    }
    assert!(!bea.solved("logout-reuse").await);

    // ann's instance stops. Her next request lands on the other, which takes
    // her lab over: a fresh lab, her progress kept.
    let (ann_instance, other) = if ann_home == a.addr.to_string() {
        (a, b)
    } else {
        (b, a)
    };
    ann_instance.shutdown().await;
    assert!(ann.solved("logout-reuse").await, "progress survives");
    let roster = roster_seen_by(&other, port).await;
    assert_eq!(record(&roster, "ann").home, other.addr.to_string());
    let new_note = note_in(&[&other], "ann");
    let (status, login_page, _) = ann.app_get("/login", None).await;
    assert_eq!(status, StatusCode::OK, "ann's app answers on the survivor");
    assert!(!login_page.contains(&new_note));
    assert!(
        logout_reuse(&[&other], &ann).await,
        "the taken-over lab is a working lab"
    );

    // The instructor resets ann: a new lab and no progress, on every view.
    let reset = instructor_at(&other, port)
        .await
        .request(reqwest::Method::POST, "/instructor/reset")
        .form(&[("name", "ann")])
        .send()
        .await
        .unwrap();
    assert_eq!(reset.status(), StatusCode::SEE_OTHER);
    assert!(!ann.solved("logout-reuse").await);
    assert_ne!(note_in(&[&other], "ann"), new_note, "a fresh alice");
    other.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_instance_of_another_profile_cannot_join_the_class() {
    let Some(redis) = sessionlab_app::redis_server::start_or_skip(
        "an_instance_of_another_profile_cannot_join_the_class",
    ) else {
        return;
    };
    let first = instance(ProfileName::Insecure, &redis.url(), 8080)
        .await
        .unwrap();
    match instance(ProfileName::Hardened, &redis.url(), 8080).await {
        Err(StartError::Roster(RosterError::Mismatch { what, .. })) => {
            assert_eq!(what, "profile");
        }
        Err(other) => panic!("refused for another reason: {other}"),
        Ok(_) => panic!("an instance of another profile joined the class"),
    }
    match instance(ProfileName::Insecure, &redis.url(), 8081).await {
        Err(StartError::Roster(RosterError::Mismatch { what, .. })) => {
            assert_eq!(what, "public port");
        }
        Err(other) => panic!("refused for another reason: {other}"),
        Ok(_) => panic!("an instance with other links joined the class"),
    }
    first.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn while_redis_is_down_the_class_answers_503_naming_it_and_recovers() {
    let Some(mut redis) = sessionlab_app::redis_server::start_or_skip(
        "while_redis_is_down_the_class_answers_503_naming_it_and_recovers",
    ) else {
        return;
    };
    let class = instance(ProfileName::Insecure, &redis.url(), 0)
        .await
        .unwrap();
    let port = class.addr.port();
    let ann = Student::sign_in_at(class.addr, "ann").await;
    redis.kill();
    for (what, response) in [
        (
            "the lab page",
            ann.client
                .get(ann.hub("/lab"))
                .header("cookie", &ann.hub_cookie),
        ),
        ("ann's app", ann.client.get(ann.app("/login"))),
        (
            "a sign-in",
            ann.client
                .post(ann.hub("/signin"))
                .header("origin", ann.hub_origin())
                .form(&[("name", "bea")]),
        ),
    ] {
        let response = response.send().await.unwrap();
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE, "{what}");
        let body = response.text().await.unwrap();
        assert!(
            body.contains(&redis.url()),
            "{what} names the store: {body}"
        );
    }
    redis.restart().unwrap();
    // The test's Redis keeps nothing on disk: the roster starts empty, and the
    // instance, untouched, uses it again.
    let mut answered = None;
    for _ in 0..50 {
        let response = ann
            .client
            .post(ann.hub("/signin"))
            .header("origin", ann.hub_origin())
            .form(&[("name", "bea")])
            .send()
            .await
            .unwrap();
        answered = Some(response.status());
        if response.status() == StatusCode::SEE_OTHER {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(answered, Some(StatusCode::SEE_OTHER), "port {port}");
    class.shutdown().await;
}

#[tokio::test]
async fn a_class_whose_redis_is_gone_does_not_start() {
    // A port nothing listens on: the error names the store, no panic.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("redis://{}/0", listener.local_addr().unwrap());
    drop(listener);
    match instance(ProfileName::Insecure, &url, 8080).await {
        Err(StartError::Roster(RosterError::Redis(named, _))) => assert_eq!(named, url),
        Err(other) => panic!("refused for another reason: {other}"),
        Ok(_) => panic!("started without its roster"),
    }
}
