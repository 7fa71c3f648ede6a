//! Running commands with the pinned tools first on PATH.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The workspace root (xtask lives in `crates/xtask`).
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

/// Where pinned tools are installed: `$PODNET_TOOLS_DIR`, else
/// `~/.cache/podnet/tools`. Outside the checkout, so clones share it.
pub fn tools_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("PODNET_TOOLS_DIR") {
        return PathBuf::from(dir);
    }
    let home = std::env::var_os("HOME").unwrap_or_else(|| OsString::from("/tmp"));
    PathBuf::from(home).join(".cache/podnet/tools")
}

/// `bin/` of the cargo-installed tools (trunk, wasm-bindgen, the test runner).
pub fn tools_bin() -> PathBuf {
    tools_dir().join("bin")
}

/// `bin/` of the npm binaryen package (wasm-opt).
pub fn binaryen_bin() -> PathBuf {
    tools_dir().join("binaryen/node_modules/.bin")
}

/// PATH with the pinned tools in front, so Trunk finds exactly them.
pub fn tool_path() -> OsString {
    let mut dirs = vec![tools_bin(), binaryen_bin()];
    if let Some(path) = std::env::var_os("PATH") {
        dirs.extend(std::env::split_paths(&path));
    }
    std::env::join_paths(dirs).unwrap_or_default()
}

/// A command run from the workspace root with the pinned tools on PATH.
pub fn command(program: &str) -> Command {
    let mut cmd = Command::new(program);
    cmd.current_dir(root()).env("PATH", tool_path());
    cmd
}

/// Runs `cmd`, inheriting stdio.
///
/// # Errors
/// When it cannot start or exits non-zero, naming `what`.
pub fn status(cmd: &mut Command, what: &str) -> Result<(), String> {
    let status = cmd
        .status()
        .map_err(|e| format!("{what}: cannot start: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{what} failed ({status})"))
    }
}

/// The trimmed stdout of `cmd` when it runs and succeeds.
pub fn stdout_of(cmd: &mut Command) -> Option<String> {
    let out = cmd.output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

/// Prints a step header.
pub fn step(message: &str) {
    println!("\n==> {message}");
}
