//! `podnet compare SCENARIO`: the same scenario under every CNI podnet models.

use clap::Args;
use podnet_model::compare::{all_cnis_fitting, compare, vpc_blocks};

use crate::run::load;

/// Arguments of `podnet compare`.
#[derive(Debug, Args)]
pub struct CompareArgs {
    /// A scenario JSON file, or the name of a built-in scenario.
    pub scenario: String,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// Runs the subcommand and returns what to print.
///
/// # Errors
/// An unreadable file.
pub fn run(args: &CompareArgs) -> Result<String, String> {
    let scenario = load(&args.scenario)?;
    let rows = compare(&scenario, &all_cnis_fitting(&vpc_blocks(&scenario)));
    if args.json {
        return serde_json::to_string_pretty(&rows).map_err(|e| e.to_string());
    }
    let mut out = format!("scenario {} under each CNI\n\n", scenario.name);
    out += &format!(
        "{:<14} {:>13} {:>8} {:>8} {:>18} {:>9} {:>9} {:>9}  {}\n",
        "CNI",
        "VPC ADDRESSES",
        "RUNNING",
        "PENDING",
        "CONTAINERCREATING",
        "MAX PODS",
        "MTU@9001",
        "MTU@1500",
        "ENCAPSULATION"
    );
    for r in rows.iter().filter(|r| r.error.is_none()) {
        let max = if r.max_pods.0 == r.max_pods.1 {
            r.max_pods.0.to_string()
        } else {
            format!("{}-{}", r.max_pods.0, r.max_pods.1)
        };
        out += &format!(
            "{:<14} {:>13} {:>8} {:>8} {:>18} {:>9} {:>9} {:>9}  {}\n",
            r.cni,
            r.vpc_addresses,
            r.running,
            r.pending,
            r.container_creating,
            max,
            r.datapath.mtu(9001),
            r.datapath.mtu(1500),
            r.datapath.encapsulation
        );
    }
    out += "\n";
    for r in rows.iter().filter(|r| r.error.is_none()) {
        out += &format!(
            "{}: pod addresses from {}; the control plane {} pods; {}; NetworkPolicy {}\n",
            r.cni,
            r.pod_addresses,
            if r.datapath.vpc_routable {
                "reaches"
            } else {
                "cannot reach"
            },
            r.runs_out_first,
            r.policy
        );
    }
    for r in &rows {
        if let Some(err) = &r.error {
            out += &format!("\n{}: does not replay: {err}", r.cni);
        } else if let Some(problem) = &r.first_problem {
            out += &format!("\n{}: {problem}", r.cni);
        }
    }
    Ok(out.trim_end().to_owned())
}
