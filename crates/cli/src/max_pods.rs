//! `podnet max-pods`: max pods for an instance type, as amazon-eks-ami's
//! `max-pods-calculator.sh` answers it: by default the recommended value
//! (the formula capped at 110 below 30 vCPUs and 250 above), with
//! `--show-max-allowed` the uncapped formula (`--all`: the uncapped table of
//! the CNI's `misc/eni-max-pods.txt`).

use clap::Args;
use podnet_model::catalog::{self, lookup};
use podnet_model::cni::Cni as _;
use podnet_model::cni::Knobs;
use podnet_model::max_pods::{self, CalculatorFlags};
use podnet_model::{Derivation, InstanceType};

/// The calculator's ceiling on top of the formula's derivation.
fn capped(d: Derivation, t: &InstanceType, value: u32) -> Derivation {
    let formula = format!("min({}, cap) = {value}", d.formula);
    let mut out = Derivation::new("max pods", value, formula);
    out.steps = d.steps;
    match (t.vcpus, max_pods::cap(t)) {
        (Some(v), Some(c)) => out.because(
            format!("{} has {v} vCPUs: the recommended value is capped at {c} (110 for 30 vCPUs or fewer, 250 above); --show-max-allowed prints the uncapped one", t.name),
            "amazon-eks-ami max-pods-calculator.sh; EKS User Guide, choosing-instance-type",
        ),
        _ => out.because(
            format!("podnet has no vCPU count for {}, so no 110/250 cap is applied", t.name),
            "crates/model/data/instance-vcpus.csv",
        ),
    }
}

/// Arguments of `podnet max-pods`.
#[derive(Debug, Args)]
pub struct MaxPodsArgs {
    /// The EC2 instance type, e.g. m5.large.
    #[arg(long, required_unless_present = "all")]
    pub instance_type: Option<String>,
    /// Every catalog type as `instance_type<TAB>max_pods` (secondary-IP mode).
    #[arg(long, conflicts_with_all = ["instance_type", "explain"])]
    pub all: bool,
    /// Use prefix delegation (/28 prefixes; Nitro and bare metal only).
    #[arg(long)]
    pub prefix_delegation: bool,
    /// Custom networking: the primary ENI holds no pod addresses (with
    /// `--cni cilium-eni`: first-interface-index 1).
    #[arg(long)]
    pub custom_networking: bool,
    /// Security groups for pods (ENABLE_POD_ENI): also show the branch ENIs
    /// the type's trunk carries, and that the trunk takes an ENI slot.
    #[arg(long)]
    pub security_groups_for_pods: bool,
    /// The CNI, by its scenario tag (`cilium` is cluster-pool IPAM,
    /// `cilium-eni` Cilium's ENI mode).
    #[arg(long, default_value = "aws-vpc-cni", value_parser = crate::cni_arg::parser())]
    pub cni: String,
    /// `--cni-max-eni N`: use at most N ENIs (the VPC CNI's `MAX_ENI`).
    #[arg(long, value_name = "N")]
    pub max_eni: Option<u32>,
    /// Print the uncapped value, as the calculator's `--show-max-allowed`.
    #[arg(long)]
    pub show_max_allowed: bool,
    /// Show the derivation and the rules behind it.
    #[arg(long)]
    pub explain: bool,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// Runs the subcommand and returns what to print.
///
/// # Errors
/// The model's message for an unknown instance type.
pub fn run(args: &MaxPodsArgs) -> Result<String, String> {
    let mode = crate::cni_arg::mode(
        &args.cni,
        &Knobs {
            prefix_delegation: args.prefix_delegation,
            custom_networking: args.custom_networking,
            security_groups_for_pods: args.security_groups_for_pods,
            max_eni: args.max_eni,
            ..Knobs::default()
        },
    )?;
    let cni = mode.strategy();
    if args.all {
        let rows: Vec<String> = catalog::all()
            .iter()
            .map(|t| format!("{}\t{}", t.name, cni.max_pods(t).value))
            .collect();
        return Ok(rows.join("\n"));
    }
    let name = args.instance_type.as_deref().unwrap_or_default();
    let instance = lookup(name).map_err(|e| e.to_string())?;
    // The calculator's cap, and trunks for pods, are the VPC CNI's.
    // amazon-eks-ami's max-pods-calculator.sh models the vpc-cni add-on.
    let vpc = cni.eks_addon().is_some();
    let mut d = cni.max_pods(instance);
    let flags = CalculatorFlags {
        prefix_delegation: args.prefix_delegation,
        custom_networking: args.custom_networking,
        max_eni: args.max_eni,
    };
    let max_allowed = max_pods::calculator(instance, flags);
    let recommended = max_pods::recommended(instance, flags);
    if vpc && !args.show_max_allowed {
        d = capped(d, instance, recommended);
    }
    let sgp = args.security_groups_for_pods && vpc;
    if sgp {
        d = if instance.trunking_compatible() {
            d.because(
                format!("security groups for pods: a trunk ENI takes one of the ENI slots (ipamd's pool holds one ENI fewer) and carries up to {} branch ENIs, one per pod with its own security groups, on top of this", instance.branch_enis),
                "VPC Resource Controller pkg/aws/vpc/limits.go; EKS User Guide, security-groups-for-pods",
            )
        } else {
            d.because(
                format!("security groups for pods: {} is not trunking-compatible (Nitro types outside the t family only), so it gets no trunk and no branch ENIs", instance.name),
                "VPC Resource Controller pkg/aws/vpc/limits.go (IsTrunkingCompatible)",
            )
        };
    }
    if args.json {
        let value = serde_json::json!({
            "instance_type": instance.name,
            "vcpus": instance.vcpus,
            "recommended": if vpc { recommended } else { d.value },
            "max_allowed": if vpc { max_allowed } else { d.value },
            "derivation": d,
        });
        return serde_json::to_string_pretty(&value).map_err(|e| e.to_string());
    }
    Ok(if args.explain {
        d.to_string()
    } else if sgp {
        format!(
            "{} (+{} branch ENIs for pods with their own security groups)",
            d.value, instance.branch_enis
        )
    } else {
        d.value.to_string()
    })
}
