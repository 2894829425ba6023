//! The scenario files, the lessons and the code agree with each other.

use std::collections::BTreeSet;

use sessionlab_app::Defense;
use sessionlab_attack::REGISTRY;
use sessionlab_attack::catalog;

mod common;
use common::repo;

/// The names in `dir` that end in `extension`, without it.
fn names_in(dir: &str, extension: &str) -> BTreeSet<String> {
    std::fs::read_dir(repo(dir))
        .unwrap_or_else(|e| panic!("{dir}: {e}"))
        .map(|e| {
            e.expect("readable")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .filter_map(|name| name.strip_suffix(extension).map(str::to_string))
        .collect()
}

#[test]
fn the_registry_and_the_files_list_the_same_scenarios() {
    let registered: BTreeSet<String> = REGISTRY.iter().map(|s| s.id.to_string()).collect();
    assert_eq!(
        registered.len(),
        REGISTRY.len(),
        "an id is registered twice"
    );
    assert_eq!(
        names_in("scenarios", ".toml"),
        registered,
        "scenarios/*.toml and the registry (crates/attack/src/scenarios/mod.rs) must list the same scenarios"
    );
    assert_eq!(
        names_in("docs/lessons", ".md"),
        registered,
        "docs/lessons/*.md and the registry must list the same scenarios"
    );
    let mut modules = names_in("crates/attack/src/scenarios", ".rs");
    modules.remove("mod");
    let expected: BTreeSet<String> = registered.iter().map(|id| id.replace('-', "_")).collect();
    assert_eq!(
        modules, expected,
        "crates/attack/src/scenarios/ has one module per registered scenario"
    );
    for scenario in REGISTRY {
        let meta = catalog::parse(scenario.metadata)
            .unwrap_or_else(|e| panic!("scenarios/{}.toml: {e}", scenario.id));
        assert_eq!(
            meta.id, scenario.id,
            "scenarios/{}.toml names itself",
            scenario.id
        );
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
            "id = \"x\"\ntitle = \"t\"\ncategory = \"c\"\nstory = \"s\"\nfix = \"f\"\n\
             blocked_by = [\"secure-cookie\", \"hsts\"]\n{requires}layers = \"any\"\n\
             [tutorial]\noutcome = \"blocked\"\nwhy = \"w\"\n\
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
