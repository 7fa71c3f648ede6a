//! `cargo xtask`: the project's tasks (setup, serve, test, dist, bench).
//!
//! Every task installs what it needs when it is missing, idempotently, into a
//! cache outside the checkout (`$PODNET_TOOLS_DIR`, default
//! `~/.cache/podnet/tools`), so a second run takes seconds and a fresh clone
//! on the same machine reuses it.

mod pins;
mod run;
mod setup;
mod size;
mod split;
mod tasks;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// podnet's development tasks.
#[derive(Debug, Parser)]
#[command(name = "cargo xtask", about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    task: Task,
}

#[derive(Debug, Subcommand)]
enum Task {
    /// Install what is missing: wasm32 target, trunk, wasm-bindgen-cli,
    /// wasm-opt, Chromium + chromedriver, the end-to-end test packages.
    Setup,
    /// Set up the build tools, then serve the app with live reload.
    Serve {
        /// Port on 127.0.0.1.
        #[arg(long, default_value_t = 8080)]
        port: u16,
    },
    /// Set up, then run every test: fmt, clippy, native, wasm in Chromium, end to end.
    Test,
    /// Build the release site into dist/ and report its size.
    Dist,
    /// Run the benchmarks (criterion).
    Bench,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.task {
        Task::Setup => setup::all().map(|_| ()),
        Task::Serve { port } => tasks::serve(port),
        Task::Test => tasks::test(),
        Task::Dist => tasks::dist(),
        Task::Bench => tasks::bench(),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("xtask: {message}");
            ExitCode::FAILURE
        }
    }
}
