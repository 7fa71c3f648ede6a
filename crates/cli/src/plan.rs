//! `podnet plan`, `podnet fit` and `podnet export eksctl`: size the subnets
//! for a cluster, grow a scenario until something runs out, and write the
//! eksctl `ClusterConfig`.

use clap::{Args, Subcommand};
use podnet_model::cni::Knobs;
use podnet_model::plan::{self, GroupInput, Moment, PlanInput};

use crate::run::load;

/// Arguments of `podnet plan`.
#[derive(Debug, Args)]
pub struct PlanArgs {
    /// A plan input as JSON (groups, AZs, CNI…); the flags below are ignored.
    #[arg(long)]
    pub input: Option<String>,
    /// The EC2 instance type of the node group, e.g. m5.large.
    #[arg(long, required_unless_present = "input")]
    pub instance_type: Option<String>,
    /// Nodes: `N`, or `MIN..MAX` for an autoscaling group.
    #[arg(long, default_value = "3")]
    pub nodes: String,
    /// Pods per node that need a pod IP (DaemonSet pods not included).
    #[arg(long, conflicts_with = "pods")]
    pub pods_per_node: Option<u32>,
    /// Pods in total, spread over the minimum number of nodes.
    #[arg(long)]
    pub pods: Option<u32>,
    /// hostNetwork pods per node (they use the node IP but count against max pods).
    #[arg(long, default_value_t = 0)]
    pub host_network_pods: u32,
    /// Availability Zones: a count (names eu-west-1a, b, …) …
    #[arg(long, default_value_t = 3, conflicts_with = "az")]
    pub azs: u32,
    /// … or their names, repeated.
    #[arg(long)]
    pub az: Vec<String>,
    /// The VPC's primary block.
    #[arg(long, default_value = "10.0.0.0/16")]
    pub vpc_cidr: String,
    /// The CNI, by its scenario tag.
    #[arg(long, default_value = "aws-vpc-cni", value_parser = crate::cni_arg::parser())]
    pub cni: String,
    /// ENABLE_PREFIX_DELEGATION (/28 prefixes).
    #[arg(long)]
    pub prefix_delegation: bool,
    /// Custom networking: pod ENIs in their own subnets (one ENIConfig per
    /// AZ); with `--cni cilium-eni`, first-interface-index 1.
    #[arg(long)]
    pub custom_networking: bool,
    /// WARM_ENI_TARGET.
    #[arg(long)]
    pub warm_eni_target: Option<u32>,
    /// WARM_IP_TARGET.
    #[arg(long)]
    pub warm_ip_target: Option<u32>,
    /// MINIMUM_IP_TARGET.
    #[arg(long)]
    pub minimum_ip_target: Option<u32>,
    /// WARM_PREFIX_TARGET.
    #[arg(long)]
    pub warm_prefix_target: Option<u32>,
    /// Surge nodes per AZ while a managed node group updates.
    #[arg(long, default_value_t = plan::DEFAULT_SURGE_PER_AZ)]
    pub surge_per_az: u32,
    /// Write the plan as a scenario (steady state) to this file, to play with.
    #[arg(long)]
    pub scenario_out: Option<String>,
    /// Print the eksctl ClusterConfig instead of the plan.
    #[arg(long)]
    pub eksctl: bool,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

fn parse_nodes(text: &str) -> Result<(u32, Option<u32>), String> {
    let bad = || format!("--nodes {text}: expected N or MIN..MAX, e.g. 3 or 3..10");
    match text.split_once("..") {
        Some((a, b)) => {
            let (min, max) = (
                a.trim().parse().map_err(|_| bad())?,
                b.trim().parse().map_err(|_| bad())?,
            );
            if max < min {
                return Err(format!(
                    "--nodes {text}: the maximum {max} is below the minimum {min}"
                ));
            }
            Ok((min, Some(max)))
        }
        None => Ok((text.trim().parse().map_err(|_| bad())?, None)),
    }
}

/// The plan input the flags describe.
fn input_of(args: &PlanArgs) -> Result<PlanInput, String> {
    if let Some(path) = &args.input {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
        return PlanInput::from_json(&text).map_err(|e| format!("{path}: {e}"));
    }
    let (min, max) = parse_nodes(&args.nodes)?;
    let pods_per_node = match (args.pods_per_node, args.pods) {
        (Some(p), _) => p,
        (None, Some(total)) => total.div_ceil(min.max(1)),
        (None, None) => return Err("give --pods-per-node P or --pods TOTAL".into()),
    };
    let mut input = PlanInput::simple(
        args.instance_type.as_deref().unwrap_or_default(),
        min,
        pods_per_node,
    );
    input.groups[0] = GroupInput {
        max_nodes: max,
        host_network_pods: args.host_network_pods,
        ..input.groups[0].clone()
    };
    input.vpc_cidr = args.vpc_cidr.clone();
    input.surge_per_az = args.surge_per_az;
    input.azs = if args.az.is_empty() {
        plan::az_names(args.azs).map_err(|e| format!("--azs {}: {}", args.azs, e.message))?
    } else {
        args.az.clone()
    };
    input.cni = crate::cni_arg::mode(
        &args.cni,
        &Knobs {
            prefix_delegation: args.prefix_delegation,
            custom_networking: args.custom_networking,
            warm_eni_target: args.warm_eni_target,
            warm_ip_target: args.warm_ip_target,
            minimum_ip_target: args.minimum_ip_target,
            warm_prefix_target: args.warm_prefix_target,
            ..Knobs::default()
        },
    )?;
    Ok(input)
}

/// Runs `podnet plan`.
///
/// # Errors
/// The planner's message, naming the input and the numbers.
pub fn run(args: &PlanArgs) -> Result<String, String> {
    let input = input_of(args)?;
    let p = plan::plan(&input).map_err(|e| e.to_string())?;
    if let Some(path) = &args.scenario_out {
        let s = p.scenario(Moment::Steady).map_err(|e| e.to_string())?;
        std::fs::write(path, s.to_json()).map_err(|e| format!("{path}: {e}"))?;
    }
    if args.eksctl {
        let s = p.scenario(Moment::Steady).map_err(|e| e.to_string())?;
        return plan::eksctl_config(&s, &p.input.groups).map_err(|e| e.to_string());
    }
    if args.json {
        return serde_json::to_string_pretty(&p).map_err(|e| e.to_string());
    }
    Ok(p.to_text())
}

/// Arguments of `podnet fit`.
#[derive(Debug, Args)]
pub struct FitArgs {
    /// A scenario JSON file, or the name of a built-in scenario.
    pub scenario: String,
    /// Nodes to grow to (copies of the scenario's last node).
    #[arg(long)]
    pub nodes: u32,
    /// Pods to grow to (DaemonSet pods not counted).
    #[arg(long)]
    pub pods: u32,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// Runs `podnet fit`.
///
/// # Errors
/// The scenario cannot be read or replayed.
pub fn fit(args: &FitArgs) -> Result<String, String> {
    let s = load(&args.scenario)?;
    let f = plan::will_it_fit(&s, args.nodes, args.pods).map_err(|e| e.to_string())?;
    if args.json {
        return serde_json::to_string_pretty(&f).map_err(|e| e.to_string());
    }
    let mut out = f.answer.clone();
    out.push_str("\n\nSUBNET                   FREE   USABLE");
    for (name, free, usable) in &f.subnets {
        out.push_str(&format!("\n{name:<22} {free:>6} {usable:>8}"));
    }
    Ok(out)
}

/// `podnet export …`.
#[derive(Debug, Subcommand)]
pub enum ExportCommand {
    /// An eksctl ClusterConfig (YAML) for a scenario.
    Eksctl {
        /// A scenario JSON file, or the name of a built-in scenario.
        scenario: String,
    },
    /// The scenario's NetworkPolicies as YAML, for `kubectl apply -f`.
    Policies {
        /// A scenario JSON file, or the name of a built-in scenario.
        scenario: String,
    },
}

/// Runs `podnet export`.
///
/// # Errors
/// The scenario cannot be read or replayed.
pub fn export(command: &ExportCommand) -> Result<String, String> {
    match command {
        ExportCommand::Eksctl { scenario } => {
            let s = load(scenario)?;
            plan::eksctl_config(&s, &[]).map_err(|e| e.to_string())
        }
        ExportCommand::Policies { scenario } => {
            let s = load(scenario)?;
            let replay = s.replay().map_err(|e| format!("{scenario}: {e}"))?;
            let objects: Vec<serde_json::Value> = replay
                .sandbox
                .policies
                .policies()
                .iter()
                .filter_map(|p| serde_json::to_value(&p.object).ok())
                .collect();
            if objects.is_empty() {
                return Ok(format!("# {scenario} has no NetworkPolicies"));
            }
            Ok(podnet_model::netpol::yaml::documents(&objects)
                .trim_end()
                .to_owned())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::parse_nodes;

    #[test]
    fn nodes_take_a_count_or_a_range() {
        assert_eq!(parse_nodes("3"), Ok((3, None)));
        assert_eq!(parse_nodes("3..10"), Ok((3, Some(10))));
        assert!(parse_nodes("10..3")
            .unwrap_err()
            .contains("the maximum 3 is below the minimum 10"));
        assert!(parse_nodes("x")
            .unwrap_err()
            .contains("expected N or MIN..MAX"));
    }
}
