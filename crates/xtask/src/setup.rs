//! `cargo xtask setup`: install what is missing, skip what is present.

use std::path::PathBuf;
use std::process::Command;

use crate::pins;
use crate::run::{self, command, status, stdout_of, step};

/// What `setup` found or installed, for the tasks that follow.
#[derive(Debug, Clone)]
pub struct Tools {
    /// The chromedriver binary for wasm-bindgen-test.
    pub chromedriver: PathBuf,
    /// The Chromium binary for end-to-end tests.
    pub chromium: PathBuf,
}

/// Everything: build tools, browser, end-to-end packages.
///
/// # Errors
/// The first install that fails, with what to do about it.
pub fn all() -> Result<Tools, String> {
    build_tools()?;
    let tools = browser()?;
    e2e_packages()?;
    println!(
        "\nsetup: everything is in place (tools in {})",
        run::tools_dir().display()
    );
    Ok(tools)
}

/// What building and serving need: wasm32 target, trunk, wasm-bindgen-cli, wasm-opt.
///
/// # Errors
/// The first install that fails.
pub fn build_tools() -> Result<(), String> {
    wasm_target()?;
    cargo_tool("trunk", "trunk", pins::TRUNK)?;
    cargo_tool("wasm-bindgen-cli", "wasm-bindgen", &wasm_bindgen_version()?)?;
    binaryen()
}

fn wasm_target() -> Result<(), String> {
    let installed = stdout_of(command("rustup").args(["target", "list", "--installed"]));
    if installed.is_some_and(|t| t.lines().any(|l| l.trim() == pins::WASM_TARGET)) {
        println!("ok   {} target", pins::WASM_TARGET);
        return Ok(());
    }
    step(&format!("installing the {} target", pins::WASM_TARGET));
    status(
        command("rustup").args(["target", "add", pins::WASM_TARGET]),
        "rustup target add",
    )
}

/// The wasm-bindgen version in Cargo.lock: the CLI must match it exactly.
fn wasm_bindgen_version() -> Result<String, String> {
    let lock = std::fs::read_to_string(run::root().join("Cargo.lock"))
        .map_err(|e| format!("cannot read Cargo.lock: {e}"))?;
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line == "name = \"wasm-bindgen\"" {
            if let Some(v) = lines.next().and_then(|l| l.strip_prefix("version = \"")) {
                return Ok(v.trim_end_matches('"').to_owned());
            }
        }
    }
    Err("Cargo.lock has no wasm-bindgen package".into())
}

/// Installs `krate` at `version` into the tools dir unless `bin --version`
/// already says that version.
fn cargo_tool(krate: &str, bin: &str, version: &str) -> Result<(), String> {
    let exe = run::tools_bin().join(bin);
    let have = stdout_of(Command::new(&exe).arg("--version"));
    if have
        .as_deref()
        .is_some_and(|v| v.split_whitespace().nth(1) == Some(version))
    {
        println!("ok   {bin} {version}");
        return Ok(());
    }
    step(&format!(
        "installing {krate} {version} from crates.io (a few minutes, once per machine)"
    ));
    let root = run::tools_dir();
    let install = |locked: bool| {
        let mut cmd = command("cargo");
        cmd.args(["install", krate, "--version", version, "--root"])
            .arg(&root);
        if locked {
            cmd.arg("--locked");
        }
        status(&mut cmd, &format!("cargo install {krate}"))
    };
    // --locked can fail when a locked dependency left the registry; then resolve afresh.
    install(true).or_else(|_| install(false))
}

fn binaryen() -> Result<(), String> {
    let exe = run::binaryen_bin().join("wasm-opt");
    let have = stdout_of(Command::new(&exe).arg("--version"));
    if have
        .as_deref()
        .is_some_and(|v| v.contains(&format!("version {}", pins::BINARYEN_VERSION)))
    {
        println!("ok   wasm-opt {} (npm binaryen)", pins::BINARYEN_VERSION);
        return Ok(());
    }
    step(&format!(
        "installing binaryen {} from npm (wasm-opt)",
        pins::BINARYEN_NPM
    ));
    let prefix = run::tools_dir().join("binaryen");
    std::fs::create_dir_all(&prefix)
        .map_err(|e| format!("cannot create {}: {e}", prefix.display()))?;
    let mut cmd = command("npm");
    cmd.args(["install", "--no-audit", "--no-fund", "--prefix"])
        .arg(&prefix)
        .arg(format!("binaryen@{}", pins::BINARYEN_NPM));
    status(&mut cmd, "npm install binaryen")
}

/// Chromium and chromedriver from Debian when root; otherwise says what to install.
///
/// # Errors
/// When they are missing and cannot be installed here.
pub fn browser() -> Result<Tools, String> {
    if let (Some(chromium), Some(chromedriver)) = (find("chromium"), find("chromedriver")) {
        println!("ok   chromium and chromedriver");
        return Ok(Tools {
            chromedriver,
            chromium,
        });
    }
    let is_root = stdout_of(Command::new("id").arg("-u")).as_deref() == Some("0");
    if !is_root {
        return Err(
            "Chromium and chromedriver are missing: install them (Debian: \
             sudo apt-get install chromium chromium-driver) and run again"
                .into(),
        );
    }
    step("installing chromium and chromium-driver from Debian");
    status(command("apt-get").arg("update"), "apt-get update")?;
    let mut cmd = command("apt-get");
    cmd.args([
        "install",
        "-y",
        "--no-install-recommends",
        "chromium",
        "chromium-driver",
    ])
    .env("DEBIAN_FRONTEND", "noninteractive");
    status(&mut cmd, "apt-get install chromium chromium-driver")?;
    match (find("chromium"), find("chromedriver")) {
        (Some(chromium), Some(chromedriver)) => Ok(Tools {
            chromedriver,
            chromium,
        }),
        _ => Err("chromium or chromedriver still missing after apt-get install".into()),
    }
}

/// `$PATH` lookup of `bin`, also honouring `$CHROMEDRIVER` / `$CHROMIUM`.
fn find(bin: &str) -> Option<PathBuf> {
    let var = if bin == "chromedriver" {
        "CHROMEDRIVER"
    } else {
        "CHROMIUM"
    };
    if let Some(p) = std::env::var_os(var)
        .map(PathBuf::from)
        .filter(|p| p.is_file())
    {
        return Some(p);
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(bin))
        .find(|p| p.is_file())
}

/// The end-to-end tests' npm packages (playwright-core), from package-lock.json.
///
/// # Errors
/// When `npm ci` fails.
pub fn e2e_packages() -> Result<(), String> {
    let dir = run::root().join("tests/e2e");
    let manifest = std::fs::read_to_string(dir.join("node_modules/playwright-core/package.json"))
        .unwrap_or_default();
    if manifest.contains(&format!("\"version\": \"{}\"", pins::PLAYWRIGHT_CORE)) {
        println!(
            "ok   playwright-core {} (tests/e2e/node_modules)",
            pins::PLAYWRIGHT_CORE
        );
        return Ok(());
    }
    step("installing the end-to-end test packages (npm ci in tests/e2e)");
    let mut cmd = command("npm");
    cmd.args(["ci", "--no-audit", "--no-fund"])
        .current_dir(&dir);
    status(&mut cmd, "npm ci (tests/e2e)")
}
