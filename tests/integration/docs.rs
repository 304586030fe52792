//! The book (`docs/`) and the README as a reader follows them: every
//! relative link leads to a file that exists and, with a `#fragment`, to a
//! heading of that file (as mdBook names headings); every chapter is in
//! the book's summary.

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The markdown files a reader meets: the README and every book chapter.
fn pages() -> Vec<PathBuf> {
    let mut pages = vec![root().join("README.md")];
    let mut dirs = vec![root().join("docs/src")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap().filter_map(Result::ok) {
            let path = entry.path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "md") {
                pages.push(path);
            }
        }
    }
    pages.sort();
    pages
}

/// The targets of `[text](target)` links, outside code.
fn links(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut in_fence = false;
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            in_fence = !in_fence;
        }
        // Indented blocks and fences are code, and so are `spans`.
        if in_fence || line.starts_with("    ") {
            continue;
        }
        let mut prose = String::new();
        for (i, part) in line.split('`').enumerate() {
            if i % 2 == 0 {
                prose.push_str(part);
            }
        }
        let mut rest = prose.as_str();
        while let Some(at) = rest.find("](") {
            let after = &rest[at + 2..];
            let Some(end) = after.find(')') else { break };
            found.push(after[..end].to_owned());
            rest = &after[end..];
        }
    }
    found
}

/// The id mdBook gives a heading: lowercase, spaces to `-`, only
/// letters, digits, `-` and `_` kept.
fn heading_id(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
            _ => None,
        })
        .collect()
}

fn heading_ids(page: &Path) -> Vec<String> {
    std::fs::read_to_string(page)
        .unwrap()
        .lines()
        .filter(|l| l.starts_with('#'))
        .map(|l| heading_id(l.trim_start_matches('#')))
        .collect()
}

#[test]
fn every_link_in_the_readme_and_the_book_leads_somewhere() {
    let mut broken = Vec::new();
    let mut checked = 0;
    let pages = pages();
    assert!(pages.len() > 10, "the book's chapters: {pages:?}");
    for page in &pages {
        let text = std::fs::read_to_string(page).unwrap();
        for link in links(&text) {
            if link.starts_with("http://")
                || link.starts_with("https://")
                || link.starts_with("mailto:")
            {
                continue;
            }
            checked += 1;
            let (file, fragment) = link.split_once('#').unwrap_or((&link, ""));
            let target = if file.is_empty() {
                page.clone()
            } else {
                page.parent().unwrap().join(file)
            };
            if !target.exists() {
                broken.push(format!("{}: {link}: no such file", page.display()));
            } else if !fragment.is_empty() && !heading_ids(&target).iter().any(|id| id == fragment)
            {
                broken.push(format!("{}: {link}: no such heading", page.display()));
            }
        }
    }
    assert!(
        checked >= 20,
        "only {checked} links found: the reader is not being followed"
    );
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
}

#[test]
fn every_chapter_is_in_the_summary_and_the_readme_stays_short() {
    let summary = std::fs::read_to_string(root().join("docs/src/SUMMARY.md")).unwrap();
    let linked = links(&summary);
    for page in pages()
        .iter()
        .filter(|p| p.starts_with(root().join("docs/src")))
    {
        let relative = page.strip_prefix(root().join("docs/src")).unwrap();
        let name = relative.to_str().unwrap();
        if name != "SUMMARY.md" {
            assert!(
                linked.iter().any(|l| l == name),
                "{name} is not in SUMMARY.md"
            );
        }
    }
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    assert!(
        readme.lines().count() <= 200,
        "the README is a first screen; the rest is the book's"
    );
    for command in ["cargo run --release -- demo", "bash .ci/run"] {
        assert!(readme.contains(command), "the README gives `{command}`");
    }
}

#[test]
fn headings_are_named_as_mdbook_names_them() {
    assert_eq!(
        heading_id(" Sets: lost and stale elements (Jepsen's set-full)"),
        "sets-lost-and-stale-elements-jepsens-set-full"
    );
    assert_eq!(
        heading_id("History format (`history.jsonl`)"),
        "history-format-historyjsonl"
    );
}
