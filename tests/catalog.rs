//! The scenario files, the lessons and the code agree with each other.

use std::collections::BTreeSet;

use sessionlab_app::Defense;
use sessionlab_attack::catalog::{self, SCENARIO_FILES};

mod common;
use common::repo;

#[test]
fn every_file_in_scenarios_is_compiled_in_and_parses() {
    let on_disk: BTreeSet<String> = std::fs::read_dir(repo("scenarios"))
        .expect("scenarios/ exists")
        .map(|e| {
            e.expect("readable")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .filter(|name| name.ends_with(".toml"))
        .map(|name| name.trim_end_matches(".toml").to_string())
        .collect();
    let compiled: BTreeSet<String> = SCENARIO_FILES
        .iter()
        .map(|(id, _)| id.to_string())
        .collect();
    assert_eq!(
        on_disk, compiled,
        "scenarios/*.toml and catalog::SCENARIO_FILES must list the same scenarios"
    );
    for (id, text) in SCENARIO_FILES {
        let meta = catalog::parse(text).unwrap_or_else(|e| panic!("scenarios/{id}.toml: {e}"));
        assert_eq!(&meta.id, id, "scenarios/{id}.toml names itself");
    }
}

#[test]
fn every_scenario_has_a_lesson_references_and_real_defenses() {
    for meta in catalog::all() {
        assert!(
            repo(&meta.lesson_path()).is_file(),
            "{} has no lesson at {}",
            meta.id,
            meta.lesson_path()
        );
        assert!(!meta.refs.cwe.is_empty(), "{} names no CWE", meta.id);
        assert!(!meta.refs.wstg.is_empty(), "{} names no WSTG test", meta.id);
        assert!(!meta.blocked_by.is_empty(), "{} names no defense", meta.id);
        for defense in &meta.blocked_by {
            assert!(
                defense.parse::<Defense>().is_ok(),
                "{}: blocked_by names an unknown defense {defense:?}",
                meta.id
            );
        }
        for defense in meta.requires.all() {
            assert!(
                defense.parse::<Defense>().is_ok(),
                "{}: requires names an unknown defense {defense:?}",
                meta.id
            );
            assert!(
                !meta.blocked_by.contains(&defense),
                "{}: {defense} is in both blocked_by and requires",
                meta.id
            );
        }
        if let catalog::Requires::Each(per_defense) = &meta.requires {
            for layer in per_defense.keys() {
                assert!(
                    meta.blocked_by.contains(layer),
                    "{}: requires names {layer:?}, which is not in blocked_by",
                    meta.id
                );
            }
        }
    }
}

#[test]
fn both_shapes_of_requires_parse() {
    let file = |requires: &str| {
        format!(
            "id = \"x\"\ntitle = \"t\"\norder = 1\ncategory = \"c\"\nstory = \"s\"\nfix = \"f\"\n\
             blocked_by = [\"secure-cookie\", \"hsts\"]\n{requires}layers = \"any\"\n\
             [refs]\ncwe = []\nasvs4 = []\nasvs5 = []\nwstg = []\n"
        )
    };
    let every = catalog::parse(&file("requires = [\"tls\"]\n")).expect("a list parses");
    assert_eq!(every.requires.of("hsts"), ["tls"]);
    let each = catalog::parse(&file("requires = { hsts = [\"tls\"] }\n")).expect("a table parses");
    assert_eq!(each.requires.of("hsts"), ["tls"]);
    assert!(each.requires.of("secure-cookie").is_empty());
    let none = catalog::parse(&file("")).expect("no requires parses");
    assert!(none.requires.is_empty());
    assert!(catalog::parse(&file("requires = \"tls\"\n")).is_err());
}

#[test]
fn teaching_order_is_one_to_n() {
    let orders: Vec<u32> = catalog::all().iter().map(|m| m.order).collect();
    let expected: Vec<u32> = (1..=orders.len() as u32).collect();
    assert_eq!(orders, expected);
}

#[test]
fn every_defense_has_its_own_module() {
    for defense in Defense::ALL {
        let file = repo(&format!(
            "crates/app/src/defenses/{}.rs",
            defense.id().replace('-', "_")
        ));
        assert!(
            file.is_file(),
            "defense {defense} has no module at {}",
            file.display()
        );
    }
}
