//! Keeps "adding a CNI is adding one module" true (issue 16): only
//! `crates/model/src/cni/` names the variants of `CniMode`; no `match` over
//! them has a catch-all arm (a new CNI must not silently inherit another's
//! behaviour); and outside `cni/` only the page's settings forms reach for
//! one CNI's own settings.

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the workspace")
        .to_path_buf()
}

/// Every `.rs` file under the workspace's sources, tests and benches.
fn sources() -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries.flatten() {
            let p = e.path();
            let name = e.file_name();
            if name == "target" || name == "node_modules" || name == ".git" {
                continue;
            }
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }
    let mut out = Vec::new();
    for dir in ["crates", "web", "tests"] {
        walk(&root().join(dir), &mut out);
    }
    assert!(out.len() > 50, "found only {} sources", out.len());
    out
}

fn cni_dir() -> PathBuf {
    root().join("crates/model/src/cni")
}

/// The variants of `CniMode`, read from its definition.
fn variants() -> Vec<String> {
    let text = std::fs::read_to_string(cni_dir().join("mod.rs")).unwrap();
    let start = text.find("pub enum CniMode {").expect("CniMode is defined");
    let body = &text[start..];
    let body = &body[..body.find("\n}").unwrap()];
    let found: Vec<String> = body
        .lines()
        .map(str::trim)
        .filter(|l| !l.starts_with("//") && !l.starts_with('#'))
        .filter_map(|l| l.split_once('(').map(|(name, _)| name.to_owned()))
        .filter(|n| n.chars().all(char::is_alphanumeric))
        .collect();
    assert!(found.len() >= 5, "variants found: {found:?}");
    found
}

fn relative(p: &Path) -> String {
    p.strip_prefix(root())
        .unwrap_or(p)
        .to_string_lossy()
        .into_owned()
}

#[test]
fn only_the_cni_module_names_cni_variants() {
    let variants = variants();
    let mut offences = Vec::new();
    for file in sources() {
        if file.starts_with(cni_dir()) {
            continue;
        }
        let text = std::fs::read_to_string(&file).unwrap();
        for (i, line) in text.lines().enumerate() {
            for v in &variants {
                let needle = format!("CniMode::{v}");
                if let Some(at) = line.find(&needle) {
                    let next = line[at + needle.len()..].chars().next();
                    if !next.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                        offences.push(format!("{}:{}: {}", relative(&file), i + 1, line.trim()));
                    }
                }
            }
        }
    }
    assert!(
        offences.is_empty(),
        "CniMode's variants are named only in crates/model/src/cni/ (use CniMode::from(settings), from_tag, the Cni trait or its addressing):\n{}",
        offences.join("\n")
    );
}

/// The `{ … }` block that starts at the first `{` at or after `from`.
fn block(text: &str, from: usize) -> &str {
    let Some(open) = text[from..].find('{').map(|o| from + o) else {
        return "";
    };
    let mut depth = 0;
    for (i, c) in text[open..].char_indices() {
        match c {
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    return &text[open..=open + i];
                }
            }
            _ => {}
        }
    }
    &text[open..]
}

#[test]
fn no_match_over_cni_variants_has_a_catch_all_arm() {
    let variants = variants();
    let mut offences = Vec::new();
    let mut matches = 0;
    for file in sources() {
        let text = std::fs::read_to_string(&file).unwrap();
        for (at, _) in text.match_indices("match ") {
            let body = block(&text, at);
            let arms: Vec<&str> = body.lines().map(str::trim).collect();
            let over_variants = arms.iter().any(|l| {
                variants.iter().any(|v| {
                    (l.starts_with(&format!("Self::{v}("))
                        || l.starts_with(&format!("CniMode::{v}(")))
                        && l.contains("=>")
                })
            });
            if !over_variants {
                continue;
            }
            matches += 1;
            if let Some(arm) = arms.iter().find(|l| {
                let pattern = l.split("=>").next().unwrap_or_default().trim();
                l.contains("=>")
                    && (pattern == "_"
                        || (!pattern.is_empty()
                            && pattern.chars().all(|c| c.is_ascii_lowercase() || c == '_')))
            }) {
                let line = text[..at].lines().count();
                offences.push(format!("{}:{line}: `{arm}`", relative(&file)));
            }
        }
    }
    assert!(matches >= 5, "found only {matches} matches over CniMode");
    assert!(
        offences.is_empty(),
        "a match over CniMode names every variant (no `_ =>` or binding catch-all):\n{}",
        offences.join("\n")
    );
}

#[test]
fn outside_the_cni_module_only_the_settings_forms_read_one_cnis_settings() {
    let accessors = [
        ".as_vpc_cni()",
        ".as_flannel()",
        ".as_cilium()",
        ".as_calico()",
        ".as_cilium_eni()",
    ];
    let allowed = root().join("web/src/components/cni_settings.rs");
    let mut offences = Vec::new();
    for file in sources() {
        let r = relative(&file);
        let shipped = r.starts_with("crates/model/src")
            || r.starts_with("crates/cli/src")
            || r.starts_with("web/src");
        let test_code = r.contains("/tests/") || r.ends_with("tests.rs");
        if !shipped || test_code || file.starts_with(cni_dir()) || file == allowed {
            continue;
        }
        let text = std::fs::read_to_string(&file).unwrap();
        for (i, line) in text.lines().enumerate() {
            if accessors.iter().any(|a| line.contains(a)) {
                offences.push(format!("{r}:{}: {}", i + 1, line.trim()));
            }
        }
    }
    assert!(
        offences.is_empty(),
        "ask the strategy (the Cni trait, its addressing, its EniIpam rules) instead of one CNI's settings:\n{}",
        offences.join("\n")
    );
}

#[test]
fn the_file_tree_is_the_module_tree() {
    let offences: Vec<String> = sources()
        .iter()
        .filter_map(|f| {
            let text = std::fs::read_to_string(f).unwrap();
            text.lines()
                .position(|l| l.trim_start().starts_with("#[path"))
                .map(|i| format!("{}:{}", relative(f), i + 1))
        })
        .collect();
    assert!(
        offences.is_empty(),
        "no #[path] attributes: a module lives where its name says\n{}",
        offences.join("\n")
    );
}

/// The mutating path (the sandbox and the CNI strategies) decides; the
/// packet-path layer (`paths/`) only shows. The sandbox may name the path
/// layer's data types, never call into it.
#[test]
fn the_mutating_path_never_calls_the_packet_path_layer() {
    let allowed = [
        "paths::{Place, TraceError}",
        "paths::Place",
        "paths::TraceError",
    ];
    let mut offences = Vec::new();
    for file in sources() {
        let r = relative(&file);
        let mutating =
            r.starts_with("crates/model/src/sandbox/") || r.starts_with("crates/model/src/cni/");
        if !mutating || r.contains("/tests/") || r.ends_with("tests.rs") {
            continue;
        }
        let text = std::fs::read_to_string(&file).unwrap();
        for (i, line) in text.lines().enumerate() {
            for (at, _) in line.match_indices("paths::") {
                if !allowed.iter().any(|a| line[at..].starts_with(a)) {
                    offences.push(format!("{r}:{}: {}", i + 1, line.trim()));
                }
            }
        }
    }
    assert!(
        offences.is_empty(),
        "the sandbox and the strategies do not call paths/ (put the rule in sandbox/ and let paths/ show it):\n{}",
        offences.join("\n")
    );
}
