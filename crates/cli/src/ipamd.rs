//! `podnet ipamd`: one node, pods added one at a time, ipamd's warm pool settled.

use clap::Args;
use podnet_model::catalog::lookup;
use podnet_model::cni::node_sim::SingleNode;
use podnet_model::cni::Cni;
use podnet_model::{InstanceLimits, VpcCni};

/// The most ENIs `--max-enis` takes.
const MAX_RAW_ENIS: u32 = 128;
/// The most addresses per ENI `--ipv4-per-eni` takes.
const MAX_RAW_IPV4: u32 = 256;
/// The most pods `--pods` takes: no EC2 type runs more than 737 pods.
const MAX_PODS: u32 = 5_000;

/// Arguments of `podnet ipamd`.
#[derive(Debug, Args)]
pub struct IpamdArgs {
    /// The EC2 instance type, e.g. t3.small.
    #[arg(long, required_unless_present_all = ["max_enis", "ipv4_per_eni"], conflicts_with_all = ["max_enis", "ipv4_per_eni"])]
    pub instance_type: Option<String>,
    /// ENIs the instance can attach (instead of --instance-type).
    #[arg(long, requires = "ipv4_per_eni")]
    pub max_enis: Option<u32>,
    /// IPv4 addresses per ENI, primary included (instead of --instance-type).
    #[arg(long, requires = "max_enis")]
    pub ipv4_per_eni: Option<u32>,
    /// Non-hostNetwork pods to add, one at a time.
    #[arg(long)]
    pub pods: u32,
    /// WARM_ENI_TARGET.
    #[arg(long, default_value_t = 1)]
    pub warm_eni_target: u32,
    /// WARM_IP_TARGET (0 = unset).
    #[arg(long, default_value_t = 0)]
    pub warm_ip_target: u32,
    /// MINIMUM_IP_TARGET (0 = unset).
    #[arg(long, default_value_t = 0)]
    pub minimum_ip_target: u32,
    /// ENABLE_PREFIX_DELEGATION.
    #[arg(long)]
    pub prefix_delegation: bool,
    /// WARM_PREFIX_TARGET.
    #[arg(long, default_value_t = 1)]
    pub warm_prefix_target: u32,
    /// MAX_ENI.
    #[arg(long)]
    pub max_eni: Option<u32>,
    /// The kubelet's max pods (default: the EKS formula, uncapped).
    #[arg(long)]
    pub max_pods: Option<u32>,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// The subnet the node lives in: large enough never to run out.
const SUBNET: &str = "10.0.0.0/16";

/// Runs the subcommand and returns what to print.
///
/// # Errors
/// An unknown instance type, or limits that make no node.
pub fn run(args: &IpamdArgs) -> Result<String, String> {
    let cfg = VpcCni {
        warm_eni_target: args.warm_eni_target,
        warm_ip_target: args.warm_ip_target,
        minimum_ip_target: args.minimum_ip_target,
        warm_prefix_target: args.warm_prefix_target,
        max_eni: args.max_eni,
        prefix_delegation: args.prefix_delegation,
        ..VpcCni::default()
    };
    let (limits, prefix_capable, formula) = match (
        &args.instance_type,
        args.max_enis,
        args.ipv4_per_eni,
    ) {
        (Some(name), _, _) => {
            let t = lookup(name).map_err(|e| e.to_string())?;
            (
                t.limits(),
                t.supports_prefix_delegation(),
                cfg.max_pods(t).value,
            )
        }
        (None, Some(max_enis), Some(ipv4_per_eni)) => {
            if max_enis == 0 || ipv4_per_eni < 2 {
                return Err(format!("--max-enis {max_enis} --ipv4-per-eni {ipv4_per_eni} leaves no pod address: an instance needs at least 1 ENI of 2 IPv4 addresses"));
            }
            // The catalog's largest are 24 ENIs and 64 addresses per ENI;
            // beyond a few times that the numbers describe no instance.
            if max_enis > MAX_RAW_ENIS || ipv4_per_eni > MAX_RAW_IPV4 {
                return Err(format!("--max-enis {max_enis} --ipv4-per-eni {ipv4_per_eni}: podnet simulates at most {MAX_RAW_ENIS} ENIs of {MAX_RAW_IPV4} IPv4 addresses (the largest EC2 types have 24 and 64)"));
            }
            let enis = cfg.max_eni.map_or(max_enis, |c| c.min(max_enis));
            let per = (ipv4_per_eni - 1).saturating_mul(if cfg.prefix_delegation { 16 } else { 1 });
            (
                InstanceLimits {
                    max_enis,
                    ipv4_per_eni,
                },
                true,
                enis.saturating_mul(per).saturating_add(2),
            )
        }
        _ => return Err("give --instance-type, or both --max-enis and --ipv4-per-eni".into()),
    };
    let max_pods = args.max_pods.unwrap_or(formula);
    if args.pods > MAX_PODS {
        return Err(format!("--pods {}: podnet simulates at most {MAX_PODS} pods on one node (the largest EC2 types run 737)", args.pods));
    }
    let subnet = SUBNET.parse().map_err(|e| format!("{e}"))?;
    let mut node = SingleNode::launch(limits, prefix_capable, max_pods, cfg, subnet)
        .map_err(|e| e.to_string())?;
    for _ in 0..args.pods {
        node.add_pod();
    }
    if args.json {
        return serde_json::to_string(&node.summary()).map_err(|e| e.to_string());
    }
    Ok(render(&node, max_pods))
}

fn render(node: &SingleNode, max_pods: u32) -> String {
    let s = node.summary();
    let mut out = format!(
        "{} ENIs, {} pod IPs held ({} prefixes), {} pods with an IP, {} available, {} waiting (max pods {max_pods})\n\n",
        s.enis,
        s.secondary_ips,
        s.prefixes,
        s.pods,
        s.available,
        node.waiting.len()
    );
    out += "ENI      DEVICE  PRIMARY IP      SECONDARY IPs  PREFIXES  PODS\n";
    for e in &node.ipam.enis {
        out += &format!(
            "{:<8} {:<7} {:<15} {:<14} {:<9} {}\n",
            e.id.to_string(),
            e.device_index,
            e.primary_ip.to_string(),
            e.secondary.len(),
            e.prefixes.len(),
            e.assigned()
        );
    }
    out += "\nEVENTS\n";
    for e in node.events() {
        out += &format!("{e}\n");
    }
    out.trim_end().to_owned()
}
