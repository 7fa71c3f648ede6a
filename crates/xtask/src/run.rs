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

/// Free bytes on the filesystem that holds `dir`, from `df -Pk` (POSIX
/// output: 1024-byte blocks, the fourth column of the second line).
pub fn free_bytes(dir: &Path) -> Option<u64> {
    df_free(&stdout_of(Command::new("df").arg("-Pk").arg(dir))?)
}

fn df_free(out: &str) -> Option<u64> {
    let line = out.lines().nth(1)?;
    let kib: u64 = line.split_whitespace().nth(3)?.parse().ok()?;
    kib.checked_mul(1024)
}

/// About what one full `cargo xtask test` writes under `target/` on a fresh
/// clone (measured 2026-12-07: 6.3 GiB), with room for the tools' caches.
pub const TEST_RUN_BYTES: u64 = 8 << 30;

/// A warning when the disk under the workspace has less room than a full
/// test run writes. A disk that fills mid-build shows up as rustc or the
/// linker panicking, far from its cause (CI on 2026-12-07: a release build
/// failed with a backtrace and exit status 101 on a 95%-full disk).
pub fn low_disk_warning() -> Option<String> {
    let dir = root();
    let free = free_bytes(&dir)?;
    (free < TEST_RUN_BYTES).then(|| {
        format!(
            "only {:.1} GiB free on the disk holding {}; a full test run writes about {} GiB \
             (target/): a build that fills the disk fails with a panic or a linker error",
            free as f64 / f64::from(1 << 30),
            dir.display(),
            TEST_RUN_BYTES >> 30
        )
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn reads_the_free_column_of_df() {
        let out = "Filesystem     1024-blocks      Used Available Capacity Mounted on\n\
                   /dev/vda         264092676  90177168   5557828      95% /";
        assert_eq!(super::df_free(out), Some(5_557_828 * 1024));
        assert_eq!(super::df_free("Filesystem"), None);
        assert!(super::free_bytes(std::path::Path::new(".")).is_some());
    }
}
