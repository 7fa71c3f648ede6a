//! `podnet`: the podnet model on a terminal.
//!
//! Human-readable output by default; `--json` prints JSON on stdout for
//! scripts. Errors go to stderr with a non-zero exit code.

mod cni_arg;
mod compare;
mod exercise;
mod ipamd;
mod max_pods;
mod paths;
mod plan;
mod reach;
mod run;
mod subnet;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Learn how Kubernetes pod networking works on AWS: the podnet model on a terminal.
#[derive(Debug, Parser)]
#[command(name = "podnet", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Show a subnet's usable addresses after AWS's five reservations.
    Subnet(subnet::SubnetArgs),
    /// Max pods per node for an instance type (the EKS formula, uncapped).
    MaxPods(max_pods::MaxPodsArgs),
    /// Simulate ipamd's warm pool on one node as pods are added.
    Ipamd(ipamd::IpamdArgs),
    /// Replay a scenario (a JSON file or a built-in name) and show the result.
    Run(run::RunArgs),
    /// Replay a scenario under every CNI and compare them side by side.
    Compare(compare::CompareArgs),
    /// Follow a packet hop by hop in a scenario (pod, node, address, API server, control plane).
    Trace(paths::TraceArgs),
    /// How a node joins the control plane, step by step, and where it fails.
    Join(paths::JoinArgs),
    /// Can every pod reach every other pod without NAT? And what can the control plane reach?
    Flat(paths::FlatArgs),
    /// Who may connect to whom on a port under the scenario's NetworkPolicies, and which policy and rule decided.
    Reach(reach::ReachArgs),
    /// NetworkPolicy files: check them as the API server would.
    #[command(subcommand)]
    Policy(reach::PolicyCommand),
    /// Plan subnet sizes for a cluster per AZ, at steady state and at peak, with the derivation.
    Plan(plan::PlanArgs),
    /// Grow a scenario to N nodes and M pods: does it still fit, and what runs out first?
    Fit(plan::FitArgs),
    /// Exercises: list the built-in ones, check exercise files.
    #[command(subcommand)]
    Exercise(exercise::ExerciseCommand),
    /// Export a scenario for another tool.
    #[command(subcommand)]
    Export(plan::ExportCommand),
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // Help and version go to stdout, usage errors to stderr; a
            // stream that cannot take them is a failure, not a silent 0.
            return match e.print() {
                Ok(()) => ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(2)),
                Err(_) => ExitCode::FAILURE,
            };
        }
    };
    let result = match cli.command {
        Command::Subnet(args) => subnet::run(&args),
        Command::MaxPods(args) => max_pods::run(&args),
        Command::Ipamd(args) => ipamd::run(&args),
        Command::Run(args) => run::run(&args),
        Command::Compare(args) => compare::run(&args),
        Command::Trace(args) => paths::trace(&args),
        Command::Join(args) => paths::join(&args),
        Command::Flat(args) => paths::flat(&args),
        Command::Reach(args) => reach::run(&args),
        Command::Policy(command) => reach::policy(&command),
        Command::Plan(args) => plan::run(&args),
        Command::Fit(args) => plan::fit(&args),
        Command::Export(command) => plan::export(&command),
        Command::Exercise(command) => exercise::run(&command),
    };
    match result {
        Ok(text) => match write_out(&text) {
            Ok(()) => ExitCode::SUCCESS,
            // A closed pipe (`podnet … | head`): the reader stopped on purpose.
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
            Err(e) => {
                report(&format!("cannot write the output: {e}"));
                ExitCode::FAILURE
            }
        },
        Err(message) => {
            report(&message);
            ExitCode::FAILURE
        }
    }
}

/// Writes the result to stdout and flushes it, so a full disk is seen.
fn write_out(text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    writeln!(out, "{text}")?;
    out.flush()
}

/// A message on stderr; a stderr that cannot take it leaves only the exit
/// code to tell (never a panic, as `eprintln!` would).
fn report(message: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr().lock(), "podnet: {message}");
}
