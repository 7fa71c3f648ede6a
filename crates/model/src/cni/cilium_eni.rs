//! Cilium with AWS ENI IPAM (`ipam: eni`): pod IPs are VPC addresses on the
//! node's ENIs, as with the AWS VPC CNI, but one cluster-wide
//! cilium-operator calls EC2 and keeps each node's pool between
//! watermarks, instead of an ipamd per node keeping warm ENIs.
//!
//! The rules (domain-facts §7 "ENI mode vs the AWS VPC CNI"; cilium
//! `Documentation/network/concepts/ipam/eni.rst`, `operator/option/config.go`):
//! - `neededIPs = max(pre-allocate − (available − used), min-allocate − available)`,
//!   `pre-allocate` 8 by default; `max-allocate` caps what a node holds.
//! - Excess IPs go back only with `--aws-release-excess-ips`, after
//!   `--excess-ip-release-delay` (180 s); ENIs stay attached.
//! - `first-interface-index` 0: eth0, the primary ENI, holds pod addresses
//!   too; each ENI's primary IP is not used (`use-primary-address` off).
//! - New ENIs go in the node's subnet (the operator's fallback when no
//!   `subnet-ids` or `subnet-tags` are set); prefix delegation needs
//!   `--aws-enable-prefix-delegation` and a Nitro or bare-metal type.
//! - Native routing: no encapsulation, and pod IPs are VPC-routable.
//!
//! Simplified, and said in the UI: subnets come only from the node's own
//! (no `subnet-ids` / `subnet-tags`), one operator action per node each
//! 5 s, no surge allocation for pending pods.

use serde::{Deserialize, Serialize};

use super::vpc_cni::IPS_PER_PREFIX;
use super::{Cni, Crossing, Datapath, Wiring};
use std::net::Ipv4Addr;

use crate::catalog::InstanceType;
use crate::cluster::Node;
use crate::events::Recorder;
use crate::explain::Derivation;
use crate::sandbox::{Sandbox, SandboxError};

/// Settings of Cilium's ENI IPAM (`CiliumNode.spec.ipam` / `spec.eni` and
/// the operator's flags).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CiliumEni {
    /// `spec.ipam.pre-allocate`: free IPs to keep (default 8).
    #[serde(default = "eight")]
    pub pre_allocate: u32,
    /// `spec.ipam.min-allocate`: IPs a node holds at least (0 = unset).
    #[serde(default)]
    pub min_allocate: u32,
    /// `spec.ipam.max-allocate`: IPs a node holds at most (0 = no limit).
    #[serde(default)]
    pub max_allocate: u32,
    /// `spec.ipam.max-above-watermark`: extra IPs allowed above the
    /// watermark before any counts as excess.
    #[serde(default)]
    pub max_above_watermark: u32,
    /// `--aws-release-excess-ips` (default off: IPs are never given back).
    #[serde(default)]
    pub release_excess_ips: bool,
    /// `--excess-ip-release-delay` in seconds (default 180).
    #[serde(default = "one_eighty")]
    pub excess_ip_release_delay_s: u32,
    /// `spec.eni.first-interface-index` (0: eth0 holds pods; 1: it does not,
    /// like custom networking).
    #[serde(default)]
    pub first_interface_index: u32,
    /// `--aws-enable-prefix-delegation`: `/28` prefixes on Nitro types.
    #[serde(default)]
    pub prefix_delegation: bool,
}

fn eight() -> u32 {
    8
}

fn one_eighty() -> u32 {
    180
}

impl Default for CiliumEni {
    fn default() -> Self {
        Self {
            pre_allocate: 8,
            min_allocate: 0,
            max_allocate: 0,
            max_above_watermark: 0,
            release_excess_ips: false,
            excess_ip_release_delay_s: 180,
            first_interface_index: 0,
            prefix_delegation: false,
        }
    }
}

impl CiliumEni {
    /// ENIs that hold pod addresses on `instance`.
    pub fn pod_enis(&self, instance: &InstanceType) -> u32 {
        instance.max_enis.saturating_sub(self.first_interface_index)
    }

    /// Whether the operator uses prefixes on `instance`.
    pub fn uses_prefixes_on(&self, instance: &InstanceType) -> bool {
        self.prefix_delegation && instance.supports_prefix_delegation()
    }

    /// The pre-allocate watermark in force: 0 means unset, so the default 8
    /// (cilium `pkg/ipam/node.go` `getPreAllocate`, `defaults.IPAMPreAllocation`).
    pub fn pre(&self) -> u32 {
        if self.pre_allocate == 0 {
            8
        } else {
            self.pre_allocate
        }
    }

    /// IPs the operator asks for now: `max(pre − (available − used),
    /// min − available)`, capped by `max-allocate` (0 when none).
    pub fn needed(&self, available: u32, used: u32) -> u32 {
        let free = i64::from(available) - i64::from(used);
        let by_pre = i64::from(self.pre()) - free;
        let by_min = i64::from(self.min_allocate) - i64::from(available);
        let mut need = by_pre.max(by_min).max(0);
        if self.max_allocate > 0 {
            need = need.min(i64::from(self.max_allocate.saturating_sub(available)));
        }
        u32::try_from(need).unwrap_or(0)
    }

    /// IPs held beyond the watermark, which the operator may release
    /// (cilium `pkg/ipam/node.go` `calculateExcessIPs`):
    /// - nothing while both used and available are at or below
    ///   `min-allocate + max-above-watermark` (the first allocation is kept);
    /// - else `available − used − pre-allocate − max-above-watermark`,
    /// - never taking the node below `min-allocate`.
    ///
    /// The newest upstream test table (`TestCalculateExcessIPs`: `{17
    /// available, 0 used, pre 8, min 16, maw 0} → 1`) needs that floor; the
    /// older formula gave 9 there. Every row is reproduced in the tests.
    pub fn excess(&self, available: u32, used: u32) -> u32 {
        let keep = self.min_allocate.saturating_add(self.max_above_watermark);
        if used <= keep && available <= keep {
            return 0;
        }
        let excess = available
            .saturating_sub(used)
            .saturating_sub(self.pre())
            .saturating_sub(self.max_above_watermark);
        excess.min(available.saturating_sub(self.min_allocate))
    }

    /// How many IPs one allocation may take when `needed` are missing:
    /// `NeededIPs + max-above-watermark` (cilium `pkg/ipam/node.go`
    /// `determineMaintenanceAction`, `MaxIPsToAllocate`; podnet does not
    /// surge for pending pods).
    pub fn allocation(&self, needed: u32) -> u32 {
        needed.saturating_add(self.max_above_watermark)
    }

    /// Why these settings cannot be used, if they cannot.
    pub fn settings_problem(&self) -> Option<super::SettingsError> {
        if self.first_interface_index > 1 {
            return Some(super::SettingsError::FirstInterfaceIndex {
                index: self.first_interface_index,
            });
        }
        if self.max_allocate > 0 && self.max_allocate < self.min_allocate {
            return Some(super::SettingsError::MaxBelowMin {
                max: self.max_allocate,
                min: self.min_allocate,
            });
        }
        None
    }
}

impl Cni for CiliumEni {
    fn identity(&self) -> &'static super::Identity {
        &super::Identity {
            name: "Cilium (ENI mode)",
            tag: "cilium-eni",
            label: "Cilium, ENI mode (VPC addresses)",
            plugin: "cilium-cni",
            daemonset: "cilium",
            agent_pods: ("kube-system", ("k8s-app", "cilium")),
            network_ready_because: "cilium: the operator allocated the node's first ENI addresses, so 05-cilium.conflist is written",
            on_boot: "the cilium-operator allocates the node's ENI addresses (pre-allocate)",
            exits_when_blocked: false,
        }
    }

    /// Cilium's chart pulls `quay.io/cilium/cilium`.
    fn agent_image(&self, _region: &str) -> (String, bool) {
        ("quay.io/cilium/cilium".into(), false)
    }

    fn cannot_start(&self, _node: &str) -> Option<String> {
        None
    }

    fn summary(&self) -> String {
        let on = |b: bool| if b { "on" } else { "off" };
        format!(
            "Cilium ENI mode, pre-allocate {}, min-allocate {}, max-allocate {}, release excess IPs {} (after {} s), first-interface-index {}, prefix delegation {} (existing nodes keep their first-interface-index, read at boot)",
            self.pre_allocate,
            self.min_allocate,
            self.max_allocate,
            on(self.release_excess_ips),
            self.excess_ip_release_delay_s,
            self.first_interface_index,
            on(self.prefix_delegation)
        )
    }

    fn addressing(&self) -> super::Addressing<'_> {
        super::Addressing::Enis(self)
    }

    fn initial_state(&self) -> super::CniState {
        super::CniState::Stateless
    }

    fn problem(&self, _vpc: &[ipnet::Ipv4Net]) -> Option<super::SettingsError> {
        self.settings_problem()
    }

    fn fitting(&self, _vpc: &[ipnet::Ipv4Net]) -> super::CniMode {
        self.clone().into()
    }

    /// Prefix delegation, and pods off eth0 (`first-interface-index` 1) for
    /// custom networking.
    fn tuned(&self, k: &super::Knobs) -> super::CniMode {
        Self {
            prefix_delegation: self.prefix_delegation || k.prefix_delegation,
            first_interface_index: if k.custom_networking {
                1
            } else {
                self.first_interface_index
            },
            ..self.clone()
        }
        .into()
    }

    fn knobs(&self) -> super::KnobSet {
        super::KnobSet {
            prefix_delegation: true,
            custom_networking: true,
            ..super::KnobSet::default()
        }
    }

    fn on_eks(&self) -> super::CniMode {
        self.clone().into()
    }

    fn check_change(&self, _sb: &Sandbox) -> Result<(), SandboxError> {
        Ok(())
    }

    fn pool_rules(&self, _sb: &Sandbox, _node: &Node) -> Vec<(String, &'static str)> {
        let c = self;
        vec![(
            format!("the cilium-operator keeps pre-allocate={} addresses free on each node (min-allocate={}, max-allocate={}); excess addresses go back only with --aws-release-excess-ips{}, and ENIs stay attached", c.pre_allocate, c.min_allocate, c.max_allocate, if c.release_excess_ips { format!(", after {} s", c.excess_ip_release_delay_s) } else { " (off)".into() }),
            "cilium Documentation/network/concepts/ipam/eni.rst",
        )]
    }

    fn explain_pod_ip(&self, sb: &Sandbox, ip: Ipv4Addr, node: &Node) -> Option<Derivation> {
        crate::query::eni_pod_ip(
            sb,
            ip,
            node,
            [
                ("Cilium's ENI IPAM gives every pod a real VPC address from its node's ENIs, which the cilium-operator allocated: native routing, no NAT inside the VPC", "cilium Documentation/network/concepts/ipam/eni.rst"),
                ("the agent hands out a free address of the node's CiliumNode pool", "cilium Documentation/network/concepts/ipam/eni.rst"),
            ],
        )
    }

    fn no_address_advice(&self, _sb: &Sandbox, n: &Node) -> Vec<String> {
        let full = n.ipam.enis.len() as u32 >= n.ipam.limits.max_enis;
        let mut advice = vec![if full {
            format!("{} has all {} ENIs attached and full: Cilium's agent says \"range is full\". Lower the kubelet's max pods to the node's capacity, enable prefix delegation, or use a larger instance type.", n.name, n.ipam.limits.max_enis)
        } else {
            format!("The cilium-operator could not get more addresses for {}: its subnet is out of free addresses (InsufficientFreeAddressesInSubnet).", n.name)
        }];
        if !full {
            advice.extend(crate::query::subnet_fixes().into_iter().take(2));
        }
        advice
    }

    fn plan_rule(&self) -> (String, &'static str) {
        (
            format!("the cilium-operator keeps pre-allocate={} free IPs above the pods' IPs, on ENIs whose primary IPs are used too", self.pre_allocate),
            "Cilium docs, network/concepts/ipam/eni.rst",
        )
    }

    fn eks_addon(&self) -> Option<&dyn super::EksAddon> {
        None
    }

    fn pod_range(&self) -> Option<&str> {
        None
    }

    fn intro_note(&self) -> Option<&'static str> {
        Some("This cluster runs Cilium in ENI mode instead: pod IPs are still VPC addresses on the nodes' ENIs, so the network stays flat and the control plane reaches pods; but one cilium-operator allocates them from EC2, keeping pre-allocate (8) addresses free per node instead of ipamd's warm ENI, and eth0 holds pods too.")
    }

    /// The operator applies new watermarks to every node.
    fn after_change(&self, sb: &mut Sandbox, events: &mut Recorder) {
        let all = sb.nodes.keys().copied().collect();
        sb.schedule_and_settle(events, all);
    }

    /// `pod ENIs × (IPs per ENI − 1) + 2`, ×16 per slot with prefixes: the
    /// node's ENIs bound its pods, as with the VPC CNI.
    fn max_pods(&self, instance: &InstanceType) -> Derivation {
        let enis = self.pod_enis(instance);
        let ips = instance.ipv4_per_eni;
        let pd = self.uses_prefixes_on(instance);
        let per_eni = ips.saturating_sub(1) * if pd { IPS_PER_PREFIX } else { 1 };
        let value = enis.saturating_mul(per_eni).saturating_add(2);
        let formula = if pd {
            format!("{enis} ENIs × (({ips} − 1) × 16) + 2 = {value}")
        } else {
            format!("{enis} ENIs × ({ips} − 1) + 2 = {value}")
        };
        let mut d = Derivation::new("max pods", value, formula)
            .because(
                format!(
                    "{} has {} ENIs of {ips} IPv4 addresses each; \"the number of ENI IPs is limited per instance\"",
                    instance.name, instance.max_enis
                ),
                "cilium Documentation/network/concepts/routing.rst; instance-enis.csv",
            )
            .because(
                "each ENI's primary IP is not used for pods (use-primary-address is off)",
                "cilium Documentation/network/concepts/ipam/eni.rst",
            );
        d = if self.first_interface_index == 0 {
            d.because(
                "first-interface-index is 0, so eth0 (the primary ENI) holds pod addresses too",
                "cilium Documentation/network/concepts/ipam/eni.rst",
            )
        } else {
            d.because(
                "first-interface-index is 1: eth0 keeps only the node IP, like the VPC CNI's custom networking",
                "cilium Documentation/network/concepts/ipam/eni.rst",
            )
        };
        if pd {
            d = d.because(
                "--aws-enable-prefix-delegation: each slot holds a /28 prefix of 16 addresses",
                "cilium operator/option/config.go",
            );
        }
        d.because(
            "+2 for the host-network pods (cilium, kube-proxy), as in the EKS formula the AMI uses",
            "AMI nodeadm/internal/kubelet/eni_max_pods.go",
        )
    }

    /// Native routing: pod addresses are VPC addresses, routed by the VPC.
    fn datapath(&self) -> Datapath {
        Datapath {
            encapsulation: "none: pod IPs are VPC addresses on the node's ENIs (native routing)",
            overhead: 0,
            source: "cilium Documentation/network/concepts/routing.rst (AWS ENI datapath)",
            vpc_routable: true,
            crossing: Crossing::Vpc,
            masquerade: super::cilium::MASQUERADE,
            // Endpoints are lxc veths behind cilium_host, as in the overlay;
            // per-endpoint rules send their traffic out the right ENI
            // (cilium pkg/aws/eni/routing).
            wiring: Wiring::Lxc,
        }
    }
    /// The cilium agent enforces Kubernetes NetworkPolicy in eBPF.
    fn policy_enforcement(&self) -> super::Enforcement {
        super::cilium::ENFORCEMENT
    }
}

/// The cilium-operator's rules (`Documentation/network/concepts/ipam/eni.rst`).
impl super::EniIpam for CiliumEni {
    fn eni_limit(&self, ipam: &super::ipamd::NodeIpam) -> u32 {
        ipam.limits.max_enis
    }

    fn uses_prefixes(&self, ipam: &super::ipamd::NodeIpam) -> bool {
        self.prefix_delegation && ipam.prefix_capable
    }

    /// The watermarks' shortfall plus `max-above-watermark`, in prefixes
    /// when `prefixes`, at most one ENI's slots.
    fn next_request(
        &self,
        ipam: &super::ipamd::NodeIpam,
        now_ms: u64,
        prefixes: bool,
    ) -> Option<u32> {
        let stats = ipam.stats(now_ms);
        let need = match self.needed(stats.total, stats.assigned) {
            0 => 0,
            n => self.allocation(n),
        };
        let need = if prefixes {
            need.div_ceil(IPS_PER_PREFIX)
        } else {
            need
        };
        let slots = ipam.limits.ipv4_per_eni.saturating_sub(1);
        (need > 0).then_some(need.min(slots))
    }

    /// Cilium's agent hands a freed address back to the node's pool at once.
    fn cooldown_s(&self) -> u32 {
        0
    }

    /// The operator has no VPC CNI subnet discovery: it picks a subnet by
    /// `findSuitableSubnet` (see `subnet_for_new_eni`).
    fn subnet_discovery(&self) -> bool {
        false
    }

    fn first_pod_eni(&self) -> u32 {
        self.first_interface_index
    }

    fn eni_configs(&self) -> Option<&std::collections::BTreeMap<String, String>> {
        None
    }

    fn pod_eni(&self) -> bool {
        false
    }

    fn agent(&self) -> &'static str {
        "the cilium-operator"
    }

    /// `first-interface-index` plays its part (`EniIpam::first_pod_eni`).
    fn custom_networking(&self) -> bool {
        false
    }

    fn addon_prefix_delegation(&self) -> bool {
        false
    }

    fn tick(
        &self,
        ipam: &mut super::ipamd::NodeIpam,
        subnets: &mut dyn super::ipamd::Subnets,
        now_ms: u64,
        events: &mut Recorder,
    ) -> bool {
        ipam.operator_tick(self, subnets, now_ms, events)
    }

    /// The cilium agent's IPAM API answer when the node's pool is empty.
    fn no_address_failure(&self) -> super::AddFailure {
        super::AddFailure::new(self.plugin(), super::AllocateError::CiliumRangeFull)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::lookup;

    #[test]
    fn the_watermark_formula_matches_the_docs() {
        let c = CiliumEni::default();
        // A fresh node: nothing held, nothing used: pre-allocate 8.
        assert_eq!(c.needed(0, 0), 8);
        // 8 held, 3 used: 5 free, 3 more wanted.
        assert_eq!(c.needed(8, 3), 3);
        assert_eq!(c.needed(20, 3), 0);
        let min = CiliumEni {
            min_allocate: 20,
            ..CiliumEni::default()
        };
        assert_eq!(min.needed(8, 0), 12);
        let max = CiliumEni {
            max_allocate: 10,
            ..CiliumEni::default()
        };
        assert_eq!(max.needed(8, 7), 2);
        assert_eq!(max.needed(10, 10), 0);
        assert_eq!(c.excess(20, 3), 9);
    }

    /// cilium `pkg/ipam/node_test.go`: `TestCalculateNeededIPs` and
    /// `TestCalculateExcessIPs`, every row (available, used, pre-allocate,
    /// min-allocate, max-allocate or max-above-watermark, result). A
    /// pre-allocate of 0 is "unset" upstream only in `getPreAllocate`, so
    /// the rows with 0 are fed through the raw formula here.
    #[test]
    fn upstream_needed_and_excess_tables() {
        let cfg = |pre: u32, min: u32, max_alloc: u32, maw: u32| CiliumEni {
            pre_allocate: pre,
            min_allocate: min,
            max_allocate: max_alloc,
            max_above_watermark: maw,
            ..CiliumEni::default()
        };
        let needed: [(u32, u32, u32, u32, u32, u32); 10] = [
            (0, 0, 0, 16, 0, 16),
            (0, 0, 8, 16, 0, 16),
            (0, 0, 16, 8, 0, 16),
            (0, 0, 16, 0, 0, 16),
            (8, 0, 0, 16, 0, 8),
            (8, 4, 8, 0, 0, 4),
            (8, 4, 8, 8, 0, 4),
            (8, 4, 8, 8, 6, 0),
            (8, 4, 8, 0, 8, 0),
            (4, 4, 8, 0, 8, 4),
        ];
        for (avail, used, pre, min, max_alloc, want) in needed {
            // pre 0 upstream means "no pre-allocation" inside the formula.
            let got = if pre == 0 {
                min.saturating_sub(avail)
            } else {
                cfg(pre, min, max_alloc, 0).needed(avail, used)
            };
            assert_eq!(
                got, want,
                "needed({avail}, {used}, {pre}, {min}, {max_alloc})"
            );
        }
        let excess: [(u32, u32, u32, u32, u32, u32); 10] = [
            (0, 0, 0, 16, 0, 0),
            (15, 0, 8, 16, 8, 0),
            (17, 0, 8, 16, 0, 1),
            (20, 0, 8, 16, 4, 0),
            (21, 0, 8, 0, 4, 9),
            (20, 0, 8, 20, 8, 0),
            (16, 1, 8, 16, 8, 0),
            (20, 4, 8, 17, 8, 0),
            (20, 4, 8, 0, 0, 8),
            (20, 4, 8, 0, 8, 0),
        ];
        for (avail, used, pre, min, maw, want) in excess {
            assert_eq!(
                cfg(pre, min, 0, maw).excess(avail, used),
                want,
                "excess({avail}, {used}, {pre}, {min}, {maw})"
            );
        }
    }

    #[test]
    fn max_pods_counts_eth0_unless_the_first_interface_index_skips_it() {
        let t = lookup("m5.large").unwrap();
        assert_eq!(CiliumEni::default().max_pods(t).value, 29);
        let skip = CiliumEni {
            first_interface_index: 1,
            ..CiliumEni::default()
        };
        assert_eq!(skip.max_pods(t).value, 20);
        let pd = CiliumEni {
            prefix_delegation: true,
            ..CiliumEni::default()
        };
        assert_eq!(pd.max_pods(t).value, 3 * 9 * 16 + 2);
        assert!(CiliumEni::default().datapath().vpc_routable);
    }
}
