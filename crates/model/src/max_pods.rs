//! The kubelet's `maxPods` as an EKS node really gets it, and where from.
//!
//! Three real sources, none of them the CNI:
//!
//! - **nodeadm's default** (AL2023 AMIs, self-managed nodes):
//!   `calculateStandardMaxPods`, the plain ENI formula `ENIs × (IPs per ENI
//!   − 1) + 2` of the default network card. It knows nothing of prefix
//!   delegation, custom networking or the CNI in use (awslabs/amazon-eks-ami
//!   `nodeadm/internal/kubelet/eni_max_pods.go`).
//! - **A managed node group** (no AMI in its launch template): EKS sets
//!   `maxPods` with the max-pods calculator's rule, counting prefix
//!   delegation when the VPC CNI uses it, and caps it at 110 for types under
//!   30 vCPUs and 250 for the others (EKS User Guide
//!   `eks-networking-add-ons`, prefix delegation section: the cap applies
//!   "whether prefix delegation is enabled or not"). It does not subtract the
//!   primary ENI for custom networking: the custom networking guide tells you
//!   to set max pods yourself in a launch template (EKS User Guide
//!   `cni-custom-network-tutorial`).
//! - **An explicit value**: `maxPods` / `maxPodsExpression` in a NodeConfig,
//!   or `--max-pods` on the kubelet.
//!
//! `max-pods-calculator.sh` (amazon-eks-ami `templates/al2/runtime/`)
//! recommends the capped value and, with `--show-max-allowed`, prints the
//! uncapped one. Its cap is 250 when vCPUs > 30; the managed node group text
//! says 110 only "less than 30"; no type in the catalog has exactly 30 vCPUs.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::catalog::InstanceType;
use crate::cni::vpc_cni::IPS_PER_PREFIX;
use crate::explain::Derivation;

/// Where a node's kubelet `maxPods` comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum MaxPodsFrom {
    /// An EKS managed node group: EKS computes it (the default here, as for
    /// nodes created by `eksctl` or the console).
    #[default]
    ManagedNodeGroup,
    /// A self-managed node on an AL2023 AMI: nodeadm's default.
    Nodeadm,
    /// Set by hand (`--max-pods`, `maxPods`, `maxPodsExpression`).
    Explicit,
}

impl fmt::Display for MaxPodsFrom {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::ManagedNodeGroup => "managed node group (EKS sets it)",
            Self::Nodeadm => "nodeadm's default (self-managed node)",
            Self::Explicit => "set by hand",
        })
    }
}

/// What the calculator is told about the CNI.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CalculatorFlags {
    /// `--cni-prefix-delegation-enabled`.
    pub prefix_delegation: bool,
    /// `--cni-custom-networking-enabled`.
    pub custom_networking: bool,
    /// `--cni-max-eni N`.
    pub max_eni: Option<u32>,
}

/// nodeadm's `calculateStandardMaxPods`: `ENIs × (IPs − 1) + 2`.
pub fn eni_formula(t: &InstanceType) -> u32 {
    t.max_enis
        .saturating_mul(t.ipv4_per_eni.saturating_sub(1))
        .saturating_add(2)
}

/// `max-pods-calculator.sh --show-max-allowed`: the uncapped value. Prefix
/// delegation counts only on Nitro (the script checks the hypervisor, so
/// bare metal falls back to the secondary-IP formula).
pub fn calculator(t: &InstanceType, flags: CalculatorFlags) -> u32 {
    let mut enis = flags.max_eni.map_or(t.max_enis, |m| m.min(t.max_enis));
    if flags.custom_networking {
        enis = enis.saturating_sub(1);
    }
    let slots = t.ipv4_per_eni.saturating_sub(1);
    let nitro = t.hypervisor == crate::catalog::Hypervisor::Nitro;
    let per_eni = if flags.prefix_delegation && nitro {
        slots * IPS_PER_PREFIX
    } else {
        slots
    };
    enis.saturating_mul(per_eni).saturating_add(2)
}

/// The 110 / 250 ceiling by vCPUs, when the vCPUs are known.
pub fn cap(t: &InstanceType) -> Option<u32> {
    t.vcpus.map(|v| if v > 30 { 250 } else { 110 })
}

/// `max-pods-calculator.sh` without `--show-max-allowed`: the calculator's
/// value under the vCPU ceiling (uncapped when the vCPUs are unknown).
pub fn recommended(t: &InstanceType, flags: CalculatorFlags) -> u32 {
    let value = calculator(t, flags);
    cap(t).map_or(value, |c| value.min(c))
}

/// The max pods a node gets from `from` (not [`MaxPodsFrom::Explicit`],
/// whose value is given), with its derivation. `prefix_delegation`: the VPC
/// CNI add-on has `ENABLE_PREFIX_DELEGATION` on.
pub fn for_node(t: &InstanceType, from: MaxPodsFrom, prefix_delegation: bool) -> Derivation {
    let plain = eni_formula(t);
    let enis = t.max_enis;
    let ips = t.ipv4_per_eni;
    let source = "instance-enis.csv (CNI pkg/vpc/vpc_ip_resource_limit.go)";
    let hardware = format!(
        "{} has {enis} ENIs of {ips} IPv4 addresses each on its default network card",
        t.name
    );
    match from {
        MaxPodsFrom::Nodeadm | MaxPodsFrom::Explicit => Derivation::new(
            "max pods",
            plain,
            format!("{enis} ENIs × ({ips} − 1) + 2 = {plain}"),
        )
        .because(hardware, source)
        .because(
            "nodeadm's default is the plain ENI formula: it ignores prefix delegation, custom networking and the CNI in use, and applies no 110/250 cap",
            "amazon-eks-ami nodeadm/internal/kubelet/eni_max_pods.go (calculateStandardMaxPods)",
        )
        .because(
            "+2 for the host-network pods aws-node and kube-proxy, which use the node IP",
            "EKS best practices guide, vpc-cni.adoc",
        ),
        MaxPodsFrom::ManagedNodeGroup => managed(t, prefix_delegation, hardware, source),
    }
}

fn managed(t: &InstanceType, pd: bool, hardware: String, source: &str) -> Derivation {
    let flags = CalculatorFlags {
        prefix_delegation: pd,
        ..CalculatorFlags::default()
    };
    let raw = calculator(t, flags);
    let value = recommended(t, flags);
    let (enis, ips) = (t.max_enis, t.ipv4_per_eni);
    let uses_pd = pd && t.hypervisor == crate::catalog::Hypervisor::Nitro;
    let formula = if uses_pd {
        format!("min({enis} ENIs × (({ips} − 1) × 16) + 2 = {raw}, cap) = {value}")
    } else {
        format!("min({enis} ENIs × ({ips} − 1) + 2 = {raw}, cap) = {value}")
    };
    let mut d = Derivation::new("max pods", value, formula)
        .because(hardware, source)
        .because(
            "+2 for the host-network pods aws-node and kube-proxy, which use the node IP",
            "EKS best practices guide, vpc-cni.adoc",
        );
    if uses_pd {
        d = d.because(
            "the VPC CNI uses prefix delegation, so EKS counts each ENI slot as a /28 prefix of 16 addresses",
            "amazon-eks-ami templates/al2/runtime/max-pods-calculator.sh (IPS_PER_PREFIX=16)",
        );
    } else if pd {
        d = d.because(
            format!(
                "{} is not Nitro, so prefix delegation does not count",
                t.name
            ),
            "max-pods-calculator.sh (hypervisor check)",
        );
    }
    d = match (t.vcpus, cap(t)) {
        (Some(v), Some(c)) => d.because(
            format!("{} has {v} vCPUs, so managed node groups cap max pods at {c} (110 below 30 vCPUs, 250 above)", t.name),
            "EKS User Guide, eks-networking-add-ons (prefix delegation); vCPUs: instance-vcpus.csv",
        ),
        _ => d.because(
            format!("podnet has no vCPU count for {}, so it cannot apply the 110/250 cap and shows the uncapped value", t.name),
            "instance-vcpus.csv",
        ),
    };
    d.because(
        "managed node groups do not subtract the primary ENI for custom networking: set max pods in a launch template for that",
        "EKS User Guide, cni-custom-network-tutorial",
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::lookup;

    fn t(name: &str) -> &'static InstanceType {
        lookup(name).unwrap()
    }

    /// The EKS User Guide's m5.large numbers (choosing-instance-type.adoc:
    /// 29 plain, 20 custom networking, 110 recommended with prefixes).
    #[test]
    fn m5_large_as_the_guide_gives_it() {
        let pd = CalculatorFlags {
            prefix_delegation: true,
            ..Default::default()
        };
        let custom = CalculatorFlags {
            custom_networking: true,
            ..Default::default()
        };
        assert_eq!(eni_formula(t("m5.large")), 29);
        assert_eq!(recommended(t("m5.large"), CalculatorFlags::default()), 29);
        assert_eq!(recommended(t("m5.large"), custom), 20);
        assert_eq!(calculator(t("m5.large"), pd), 434);
        assert_eq!(recommended(t("m5.large"), pd), 110);
        let both = CalculatorFlags {
            prefix_delegation: true,
            custom_networking: true,
            max_eni: None,
        };
        assert_eq!(calculator(t("m5.large"), both), 290);
    }

    #[test]
    fn large_types_are_capped_at_250_small_ones_at_110() {
        // c5.18xlarge: 72 vCPUs, 737 uncapped; m5.4xlarge: 16 vCPUs, 234.
        assert_eq!(
            recommended(t("c5.18xlarge"), CalculatorFlags::default()),
            250
        );
        assert_eq!(
            recommended(t("m5.4xlarge"), CalculatorFlags::default()),
            110
        );
        assert_eq!(calculator(t("m5.4xlarge"), CalculatorFlags::default()), 234);
        assert_eq!(recommended(t("t3.micro"), CalculatorFlags::default()), 4);
    }

    #[test]
    fn bare_metal_prefixes_do_not_count_in_the_calculator() {
        let pd = CalculatorFlags {
            prefix_delegation: true,
            ..Default::default()
        };
        let metal = t("m5.metal");
        assert_eq!(calculator(metal, pd), eni_formula(metal));
    }

    #[test]
    fn each_source_gives_a_node_its_value() {
        let m5 = t("m5.large");
        assert_eq!(for_node(m5, MaxPodsFrom::Nodeadm, true).value, 29);
        assert_eq!(for_node(m5, MaxPodsFrom::ManagedNodeGroup, true).value, 110);
        assert_eq!(for_node(m5, MaxPodsFrom::ManagedNodeGroup, false).value, 29);
        let why = for_node(m5, MaxPodsFrom::ManagedNodeGroup, true).to_string();
        assert!(why.contains("2 vCPUs") && why.contains("110"), "{why}");
        let why = for_node(m5, MaxPodsFrom::Nodeadm, true).to_string();
        assert!(why.contains("ignores prefix delegation"), "{why}");
    }

    #[test]
    fn a_type_without_a_vcpu_count_is_left_uncapped_and_says_so() {
        let mac = t("mac1.metal");
        assert_eq!(cap(mac), None);
        let d = for_node(mac, MaxPodsFrom::ManagedNodeGroup, false);
        assert_eq!(d.value, eni_formula(mac));
        assert!(d.to_string().contains("no vCPU count"));
    }
}
