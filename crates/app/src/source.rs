//! Where each defense lives in the source, so a lesson can send the learner
//! to the exact line, e.g. the line of `csrf_token::check_unsafe_requests`
//! that asks whether `csrf-token` is on. The module file itself comes from
//! the defense registry (`defenses/mod.rs`).
//!
//! The line is found in the defense module's own text, compiled in, so it
//! follows the code as it is edited: the first line that is code (not a
//! comment) and names `Defense::<Variant>`, which is where the module decides
//! between the defended and the weak behaviour.

use crate::Defense;

/// The defense module's path from the repository root, and the line where it
/// checks whether it is on. A module that never names its variant (which a
/// test rules out) points at its first line.
pub fn defense_source(defense: Defense) -> (&'static str, u32) {
    let (path, text) = defense.module_file();
    (path, first_code_use(text, defense).unwrap_or(1))
}

/// Where the defense's mechanism is: the path from the repository root, the
/// line, and that line's code (trimmed), e.g. csrf-token's constant-time
/// compare `a.ct_eq(b).into()`. Found by the registry's marker string, so it
/// follows the code as it is edited; a marker that no code line holds
/// (which a test rules out) points at the file's first line.
pub fn defense_mechanism(defense: Defense) -> (&'static str, u32, &'static str) {
    let (path, text, marker) = defense.mechanism_file();
    match first_code_line_with(text, marker) {
        Some((number, line)) => (path, number, line.trim()),
        None => (path, 1, ""),
    }
}

/// The first line of `text` that holds `marker` outside a `//` comment.
fn first_code_line_with<'t>(text: &'t str, marker: &str) -> Option<(u32, &'t str)> {
    text.lines().zip(1..).find_map(|(line, number)| {
        let code = line.split("//").next().unwrap_or_default();
        code.contains(marker).then_some((number, line))
    })
}

/// The 1-based line of the first code use of `Defense::<Variant>` in `text`.
fn first_code_use(text: &str, defense: Defense) -> Option<u32> {
    let needle = format!("Defense::{defense:?}");
    text.lines().zip(1..).find_map(|(line, number)| {
        let code = line.split("//").next().unwrap_or_default();
        let named = code.match_indices(&needle).any(|(at, _)| {
            // `Defense::Tls` must not match inside `Defense::TlsSomething`.
            !code[at + needle.len()..].starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_')
        });
        named.then_some(number)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A file as it is on disk, by its path from the repository root.
    fn on_disk(path: &str) -> String {
        let full = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../..")
            .join(path);
        std::fs::read_to_string(full).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    #[test]
    fn every_defense_points_at_the_line_that_checks_it() {
        for defense in Defense::ALL {
            let (path, text) = defense.module_file();
            assert_eq!(
                path,
                format!(
                    "crates/app/src/defenses/{}.rs",
                    defense.id().replace('-', "_")
                ),
                "{defense}: the module is named after the defense id"
            );
            let line = first_code_use(text, defense)
                .unwrap_or_else(|| panic!("{path} never names Defense::{defense:?} in code"));
            let (_, reported) = defense_source(defense);
            assert_eq!(reported, line);
            let shown = text
                .lines()
                .nth(line as usize - 1)
                .expect("the line exists");
            assert!(
                shown.contains(&format!("Defense::{defense:?}"))
                    && !shown.trim_start().starts_with("//"),
                "{path}:{line} is {shown:?}"
            );
            // The path is real, from the repository root.
            let on_disk = on_disk(path);
            assert_eq!(on_disk, text, "{path} on disk is the compiled-in text");
        }
    }

    #[test]
    fn every_mechanism_points_at_the_code_it_names() {
        for defense in Defense::ALL {
            let (path, text, marker) = defense.mechanism_file();
            let (reported, line, code) = defense_mechanism(defense);
            assert_eq!(reported, path);
            assert!(
                code.contains(marker) && !code.starts_with("//"),
                "{defense}: {path}:{line} is {code:?}, not code holding {marker:?}"
            );
            let on_disk = on_disk(path);
            assert_eq!(on_disk, text, "{path} on disk is the compiled-in text");
            let shown = on_disk
                .lines()
                .nth(line as usize - 1)
                .expect("the line exists");
            assert_eq!(shown.trim(), code, "{path}:{line}");
        }
    }

    #[test]
    fn comments_and_longer_names_do_not_count() {
        let text = "//! uses `Defense::Tls` in a comment\n\
                    let x = Defense::TlsSomething;\n\
                    /// Defense::Tls\n\
                    if profile.has(Defense::Tls) {}\n";
        assert_eq!(first_code_use(text, Defense::Tls), Some(4));
        assert_eq!(first_code_use("fn f() {}\n", Defense::Tls), None);
    }
}
