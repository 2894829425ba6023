//! The lessons' text (`docs/lessons/<id>.md`), compiled in, and rendered to
//! HTML: for the handouts (a page handed out on its own has no `docs/` beside
//! it, so it carries each lesson instead of linking to it) and for the class
//! hub's lesson pages. Both link a lesson to another lesson the same way, by
//! the `lesson_anchor` they pass.

use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd, html};

/// The Markdown of the lesson for scenario `id`, as the registry compiled it in.
pub fn text(id: &str) -> Option<&'static str> {
    crate::scenarios::find(id).map(|scenario| scenario.lesson)
}

/// The lesson for `id` as HTML, headings moved down `shift` levels (a
/// lesson's `#` title under the page's `h2`), and without its first heading
/// when `drop_title`. A link to another lesson becomes a link to its section
/// of the page (`#id`, `lesson_anchor`); a link to any other relative path,
/// which would break once the page is copied away, becomes its text. Raw
/// HTML in the Markdown is shown as text, never run.
pub fn html(
    id: &str,
    shift: u8,
    drop_title: bool,
    lesson_anchor: &dyn Fn(&str) -> String,
) -> Option<String> {
    Some(markdown_to_html(
        text(id)?,
        shift,
        drop_title,
        lesson_anchor,
    ))
}

/// Markdown to HTML with the rules of [`html`].
pub fn markdown_to_html(
    markdown: &str,
    shift: u8,
    drop_title: bool,
    lesson_anchor: &dyn Fn(&str) -> String,
) -> String {
    let mut options = Options::empty();
    options.insert(Options::ENABLE_TABLES);
    let mut dropped_title = !drop_title;
    let mut in_title = false;
    // For each open link: whether it was kept.
    let mut links: Vec<bool> = Vec::new();
    let events = Parser::new_ext(markdown, options).filter_map(|event| match event {
        Event::Start(Tag::Heading {
            level,
            id,
            classes,
            attrs,
        }) => {
            if !dropped_title {
                dropped_title = true;
                in_title = true;
                return None;
            }
            Some(Event::Start(Tag::Heading {
                level: shift_level(level, shift),
                id,
                classes,
                attrs,
            }))
        }
        Event::End(TagEnd::Heading(level)) => {
            if in_title {
                in_title = false;
                return None;
            }
            Some(Event::End(TagEnd::Heading(shift_level(level, shift))))
        }
        _ if in_title => None,
        Event::Start(Tag::Link {
            link_type,
            dest_url,
            title,
            id,
        }) => {
            let dest = dest_url.to_string();
            if is_relative(&dest) {
                match lesson_of(&dest) {
                    Some(lesson) => {
                        links.push(true);
                        Some(Event::Start(Tag::Link {
                            link_type,
                            dest_url: lesson_anchor(lesson).into(),
                            title,
                            id,
                        }))
                    }
                    None => {
                        links.push(false);
                        None
                    }
                }
            } else {
                links.push(true);
                Some(Event::Start(Tag::Link {
                    link_type,
                    dest_url,
                    title,
                    id,
                }))
            }
        }
        Event::End(TagEnd::Link) => links
            .pop()
            .unwrap_or(true)
            .then_some(Event::End(TagEnd::Link)),
        Event::Html(raw) | Event::InlineHtml(raw) => Some(Event::Text(raw)),
        other => Some(other),
    });
    let mut out = String::new();
    html::push_html(&mut out, events);
    out
}

fn shift_level(level: pulldown_cmark::HeadingLevel, shift: u8) -> pulldown_cmark::HeadingLevel {
    use pulldown_cmark::HeadingLevel::*;
    let n = (level as u8 + shift).min(6);
    [H1, H2, H3, H4, H5, H6][usize::from(n - 1)]
}

/// Not a URL with a scheme, nor an anchor in the same page.
fn is_relative(dest: &str) -> bool {
    !(dest.contains("://") || dest.starts_with('#') || dest.starts_with("mailto:"))
}

/// `fixation-cookie` from `fixation-cookie.md`, `../lessons/csrf.md#x` and the like.
fn lesson_of(dest: &str) -> Option<&'static str> {
    let file = dest.split('#').next()?.rsplit('/').next()?;
    let id = file.strip_suffix(".md")?;
    crate::scenarios::find(id).map(|scenario| scenario.id)
}

/// Inline Markdown (a story, a fix from a scenario file) as HTML without the
/// paragraph around it: `code` becomes `<code>`, never a literal backtick.
pub fn inline_html(markdown: &str) -> String {
    let html = markdown_to_html(markdown, 0, false, &|id| format!("#{id}"));
    let html = html.trim();
    html.strip_prefix("<p>")
        .and_then(|h| h.strip_suffix("</p>"))
        .unwrap_or(html)
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_scenario_has_its_lesson_compiled_in() {
        for meta in crate::catalog::all() {
            let text = text(&meta.id).unwrap_or_else(|| panic!("no lesson for {}", meta.id));
            assert!(text.starts_with("# "), "{}", meta.id);
            assert_eq!(
                lesson_of(&format!("../lessons/{}.md#x", meta.id)),
                Some(meta.id.as_str())
            );
        }
    }

    #[test]
    fn relative_links_become_anchors_or_text() {
        let html = markdown_to_html(
            "# T\n\nSee [the next](fixation-cookie.md), [hardened](../profiles/hardened.md) and [ASVS](https://owasp.org/).\n\n<script>x</script>\n",
            1,
            true,
            &|id| format!("#lesson-{id}"),
        );
        assert!(!html.contains("<h2>T"), "{html}");
        assert!(html.contains("href=\"#lesson-fixation-cookie\""), "{html}");
        assert!(!html.contains(".md"), "{html}");
        assert!(html.contains("hardened and"), "{html}");
        assert!(html.contains("href=\"https://owasp.org/\""), "{html}");
        assert!(!html.contains("<script>"), "{html}");
        assert_eq!(inline_html("a `b` c"), "a <code>b</code> c");
    }
}
