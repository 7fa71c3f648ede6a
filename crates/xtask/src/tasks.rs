//! The tasks behind `serve`, `test`, `dist` and `bench`.

use std::path::Path;
use std::time::{Duration, Instant};

use crate::pins;
use crate::run::{self, command, status, step};
use crate::setup;
use crate::size;

/// Build tools, then `trunk serve` on 127.0.0.1.
///
/// # Errors
/// When setup or trunk fails.
pub fn serve(port: u16) -> Result<(), String> {
    setup::build_tools()?;
    step(&format!(
        "serving podnet at http://127.0.0.1:{port}/ (Ctrl-C stops)"
    ));
    let mut cmd = trunk();
    cmd.args([
        "serve",
        "--address",
        "127.0.0.1",
        "--port",
        &port.to_string(),
    ]);
    status(&mut cmd, "trunk serve")
}

/// `trunk` from the tools dir, told never to look for updates online.
fn trunk() -> std::process::Command {
    let mut cmd = command("trunk");
    cmd.env("TRUNK_SKIP_VERSION_CHECK", "true");
    cmd
}

fn build_release() -> Result<(), String> {
    let mut cmd = trunk();
    cmd.args(["build", "--release"]);
    status(&mut cmd, "trunk build --release")?;
    let dist = run::root().join("dist");
    crate::split::swap_in(&dist)?;
    prerender(&dist.join("index.html"))?;
    inline_styles(&dist)
}

/// Puts the stylesheets Trunk linked into `index.html` itself, in their
/// order, and removes the files: sixteen render-blocking requests cost the
/// first paint 60–70 ms on loopback (measured: 250–280 → 180–210 ms).
fn inline_styles(dist: &Path) -> Result<(), String> {
    let index = dist.join("index.html");
    let page = std::fs::read_to_string(&index)
        .map_err(|e| format!("cannot read {}: {e}", index.display()))?;
    let (mut out, mut css, mut rest, mut files) =
        (String::new(), String::new(), page.as_str(), Vec::new());
    let mut at = None;
    while let Some(start) = rest.find("<link ") {
        let Some(len) = rest[start..].find('>') else {
            break;
        };
        let tag = &rest[start..start + len + 1];
        out.push_str(&rest[..start]);
        match stylesheet_href(tag) {
            Some(href) => {
                let path = dist.join(href.trim_start_matches("./"));
                let text = std::fs::read_to_string(&path)
                    .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
                css.push_str(&text);
                css.push('\n');
                at.get_or_insert(out.len());
                files.push(path);
            }
            None => out.push_str(tag),
        }
        rest = &rest[start + len + 1..];
    }
    out.push_str(rest);
    let Some(at) = at else {
        return Ok(());
    };
    out.insert_str(at, &format!("<style>{css}</style>"));
    std::fs::write(&index, out).map_err(|e| format!("cannot write {}: {e}", index.display()))?;
    for f in &files {
        let _ = std::fs::remove_file(f);
    }
    println!(
        "stylesheets inlined into index.html: {} files, {} KiB",
        files.len(),
        css.len() / 1024
    );
    Ok(())
}

/// The `href` of a `<link>` tag that loads a stylesheet (quoted or, as
/// Trunk's minifier writes it, unquoted).
fn stylesheet_href(tag: &str) -> Option<&str> {
    if !tag.contains("stylesheet") {
        return None;
    }
    let value = tag.split_once("href=")?.1;
    let value = value.trim_start_matches(['"', '\'']);
    let end = value.find(['"', '\'', ' ', '>'])?;
    let href = &value[..end];
    href.ends_with(".css").then_some(href)
}

/// Where the static first paint goes in `index.html` (the app replaces
/// it), as written and as Trunk's minifier leaves it.
const STATIC_SLOTS: [&str; 2] = [
    r#"<div id="podnet-static" inert></div>"#,
    "<div id=podnet-static inert></div>",
];

/// Fills `index.html`'s static slot with the page as a first visit sees
/// it, rendered by the app's own components (`podnet-static`, Yew's
/// server-side renderer), so it paints before the wasm has loaded.
fn prerender(index: &Path) -> Result<(), String> {
    let page = std::fs::read_to_string(index)
        .map_err(|e| format!("cannot read {}: {e}", index.display()))?;
    let Some((slot, (before, after))) = STATIC_SLOTS
        .iter()
        .find_map(|slot| page.split_once(slot).map(|parts| (slot, parts)))
    else {
        return Err(format!(
            "{} has no {} for the static first paint",
            index.display(),
            STATIC_SLOTS[0]
        ));
    };
    let out = command("cargo")
        .args([
            "run",
            "--quiet",
            "--package",
            "podnet-web",
            "--features",
            "ssr",
            "--bin",
            "podnet-static",
        ])
        .output()
        .map_err(|e| format!("cannot run podnet-static: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "podnet-static failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let html = String::from_utf8(out.stdout).map_err(|e| format!("podnet-static: {e}"))?;
    let filled = format!(
        "{before}{}{html}</div>{after}",
        slot.trim_end_matches("</div>")
    );
    std::fs::write(index, filled).map_err(|e| format!("cannot write {}: {e}", index.display()))?;
    println!(
        "static first paint: {} KiB of HTML in index.html",
        html.len() / 1024
    );
    Ok(())
}

/// Release build into dist/, then a size report.
///
/// # Errors
/// When setup or the build fails.
pub fn dist() -> Result<(), String> {
    setup::build_tools()?;
    step("building the release site into dist/");
    build_release()?;
    size::precompress_and_report(&run::root().join("dist"))
}

/// The model's benchmarks (criterion, and the speed targets in
/// `benches/targets.rs`), then the UI's speed targets in headless Chromium
/// on the release build. Every target is reported; any miss fails the task.
///
/// # Errors
/// When setup or the build fails, or a target is missed.
pub fn bench() -> Result<(), String> {
    let tools = setup::all()?;
    step("model benchmarks (criterion reports in target/criterion/; targets checked by benches/targets.rs)");
    let model = status(
        command("cargo").args(["bench", "--package", "podnet-model"]),
        "model speed targets",
    );
    step("release build for the UI benchmark");
    build_release()?;
    size::precompress_and_report(&run::root().join("dist"))?;
    step("UI speed targets (headless Chromium)");
    let root = run::root();
    let mut cmd = command("node");
    cmd.arg(root.join("tests/e2e/bench/ui.mjs"))
        .env("PODNET_DIST", root.join("dist"))
        .env("PODNET_CHROMIUM", &tools.chromium);
    let ui = status(&mut cmd, "UI speed targets");
    match (model, ui) {
        (Ok(()), Ok(())) => Ok(()),
        (m, u) => Err([m.err(), u.err()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join("; ")),
    }
}

/// Setup, then every test; a summary at the end; fails if any step failed.
///
/// # Errors
/// When setup fails or any test step fails.
/// Seconds each fuzz target runs in `cargo xtask test` (four targets).
const FUZZ_SECONDS: &str = "45";
/// Random sessions the long property search tries.
const LONG_PROPERTY_CASES: &str = "20000";

/// One test binary of `podnet-tests` in the fuzz profile, with its budget.
fn fuzz_profile_test(test: &str, (var, value): (&str, &str)) -> Result<(), String> {
    let mut cmd = command("cargo");
    cmd.args([
        "test",
        "--profile",
        "fuzz",
        "--package",
        "podnet-tests",
        "--test",
        test,
    ])
    .env(var, value);
    status(&mut cmd, &format!("{test} (fuzz profile)"))
}

pub fn test() -> Result<(), String> {
    if let Some(warning) = run::low_disk_warning() {
        println!("warning: {warning}");
    }
    let tools = setup::all()?;
    let chromedriver = tools.chromedriver.to_string_lossy().into_owned();
    let chromium = tools.chromium.to_string_lossy().into_owned();
    let mut results: Vec<(&str, Result<(), String>, Duration)> = Vec::new();
    let mut timed = |name: &'static str, f: &dyn Fn() -> Result<(), String>| {
        step(name);
        let start = Instant::now();
        let r = f();
        results.push((name, r.clone(), start.elapsed()));
        r
    };
    let _ = timed("format (cargo fmt --check)", &|| {
        status(
            command("cargo").args(["fmt", "--all", "--", "--check"]),
            "cargo fmt --check",
        )
    });
    let _ = timed("lint (cargo clippy, native and wasm32)", &|| {
        status(
            command("cargo").args([
                "clippy",
                "--workspace",
                "--all-targets",
                // The static first-paint renderer too (podnet-web's ssr).
                "--all-features",
                "--",
                "-D",
                "warnings",
            ]),
            "clippy",
        )?;
        let mut cmd = command("cargo");
        cmd.args([
            "clippy",
            "--package",
            "podnet-web",
            "--all-targets",
            "--target",
            pins::WASM_TARGET,
            "--",
            "-D",
            "warnings",
        ]);
        status(&mut cmd, "clippy (wasm32)")?;
        // The release site's split build (web/src/lazy.rs).
        let mut cmd = command("cargo");
        cmd.args([
            "clippy",
            "--package",
            "podnet-web",
            "--target",
            pins::WASM_TARGET,
            "--features",
            "split",
            "--",
            "-D",
            "warnings",
        ]);
        status(&mut cmd, "clippy (wasm32, split)")
    });
    let _ = timed("unit, property and scenario tests (native)", &|| {
        status(
            command("cargo").args(["test", "--workspace"]),
            "cargo test --workspace",
        )
    });
    let _ = timed(
        "fuzz and long property search (fuzz profile: optimised, overflow checks on)",
        &|| {
            // Each fuzz target for a bounded time, from the seed corpus;
            // then the random-session property test with many more cases.
            fuzz_profile_test("fuzz", ("PODNET_FUZZ_SECONDS", FUZZ_SECONDS))?;
            fuzz_profile_test("invariants", ("PROPTEST_CASES", LONG_PROPERTY_CASES))
        },
    );
    let _ = timed(
        "component tests (wasm-bindgen-test in headless Chromium)",
        &|| {
            let mut cmd = command("cargo");
            cmd.args([
                "test",
                "--package",
                "podnet-web",
                "--target",
                pins::WASM_TARGET,
            ])
            .env("CHROMEDRIVER", &chromedriver);
            status(&mut cmd, "wasm component tests")
        },
    );
    let built = timed(
        "release build (trunk build --release, then the split module)",
        &build_release,
    );
    if built.is_ok() {
        let _ = timed("end-to-end tests (built app in headless Chromium)", &|| {
            e2e(&chromium)
        });
    }
    summary(&results)
}

fn e2e(chromium: &str) -> Result<(), String> {
    let root = run::root();
    let dir = root.join("tests/e2e");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .map_err(|e| format!("cannot read {}: {e}", dir.display()))?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.to_string_lossy().ends_with(".test.mjs"))
        .collect();
    files.sort();
    let mut cmd = command("node");
    // A test that awaits an event that never comes fails its file after
    // ten minutes (the longest file takes about two), not the whole CI run.
    cmd.arg("--test")
        .arg("--test-timeout=600000")
        .args(&files)
        .env("PODNET_DIST", root.join("dist"))
        .env("PODNET_CHROMIUM", chromium)
        .env("PODNET_SHOTS", root.join("target/e2e"));
    status(&mut cmd, "end-to-end tests")
}

fn summary(results: &[(&str, Result<(), String>, Duration)]) -> Result<(), String> {
    println!("\n==> summary");
    for (name, r, took) in results {
        let mark = if r.is_ok() { "pass" } else { "FAIL" };
        println!("{mark}  {name:<58} {:>6.1}s", took.as_secs_f64());
    }
    let failed: Vec<&str> = results
        .iter()
        .filter(|r| r.1.is_err())
        .map(|r| r.0)
        .collect();
    if failed.is_empty() {
        println!(
            "\nall {} test steps passed; e2e screenshots in target/e2e/",
            results.len()
        );
        Ok(())
    } else {
        // Said again at the end, where a reader of a failed run looks.
        if let Some(warning) = run::low_disk_warning() {
            println!("\nwarning: {warning}");
        }
        Err(format!(
            "{} of {} test steps failed: {}",
            failed.len(),
            results.len(),
            failed.join("; ")
        ))
    }
}
