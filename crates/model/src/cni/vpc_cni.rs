//! The AWS VPC CNI's settings and its max-pods arithmetic.
//!
//! Settings mirror the `aws-node` environment variables (CNI `README.md`);
//! the warm-pool loop that uses them is in [`super::ipamd`].

use crate::ordered::Ordered as _;
use serde::{Deserialize, Serialize};

use std::collections::{BTreeMap, BTreeSet};

use super::Cni;
use std::net::Ipv4Addr;

use crate::catalog::InstanceType;
use crate::cluster::Node;
use crate::events::Recorder;
use crate::explain::Derivation;
use crate::ids::{NodeId, SubnetId};
use crate::sandbox::{check_range, Sandbox, SandboxError};

/// Addresses in a `/28` prefix (`IPS_PER_PREFIX=16` in the max-pods calculator).
pub const IPS_PER_PREFIX: u32 = 16;

/// Settings of the AWS VPC CNI (`aws-node` DaemonSet environment).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VpcCni {
    /// `WARM_ENI_TARGET`: free ENIs' worth of IPs to keep (default 1).
    #[serde(default = "one")]
    pub warm_eni_target: u32,
    /// `WARM_IP_TARGET`: free IPs to keep; 0 = unset. Overrides the ENI and prefix targets.
    #[serde(default)]
    pub warm_ip_target: u32,
    /// `MINIMUM_IP_TARGET`: floor on IPs held; 0 = unset.
    #[serde(default)]
    pub minimum_ip_target: u32,
    /// `WARM_PREFIX_TARGET`: free `/28` prefixes to keep (the Helm chart sets 1).
    #[serde(default = "one")]
    pub warm_prefix_target: u32,
    /// `MAX_ENI`: cap on ENIs, bounded by the instance limit; `None` = unset.
    #[serde(default)]
    pub max_eni: Option<u32>,
    /// `ENABLE_PREFIX_DELEGATION`: `/28` prefixes instead of secondary IPs.
    #[serde(default)]
    pub prefix_delegation: bool,
    /// `IP_COOLDOWN_PERIOD` in seconds (default 30).
    #[serde(default = "thirty")]
    pub ip_cooldown_s: u32,
    /// `ENABLE_SUBNET_DISCOVERY` (default true since v1.18): new ENIs may go
    /// in subnets of the node's AZ tagged `kubernetes.io/role/cni`.
    #[serde(default = "yes")]
    pub subnet_discovery: bool,
    /// `AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG`: pod ENIs go in the subnet of
    /// the node's ENIConfig, and the primary ENI is not used for pods. Only
    /// nodes created after it is enabled use it.
    #[serde(default)]
    pub custom_networking: bool,
    /// ENIConfigs, one per Availability Zone (as with
    /// `ENI_CONFIG_LABEL_DEF=topology.kubernetes.io/zone`): AZ → subnet
    /// (name or CIDR).
    #[serde(default)]
    pub eni_configs: std::collections::BTreeMap<String, String>,
    /// `ENABLE_POD_ENI`: security groups for pods. ipamd keeps one ENI slot
    /// for the trunk ENI the VPC Resource Controller attaches to
    /// trunking-compatible nodes; pods matched by a `SecurityGroupPolicy`
    /// get branch ENIs (CNI README, EKS User Guide security-groups-for-pods).
    #[serde(default)]
    pub pod_eni: bool,
    /// `AWS_VPC_K8S_CNI_EXTERNALSNAT`: when false (the default), pod
    /// traffic leaving the VPC is SNATed to the node's primary IP; when
    /// true, a NAT gateway must do it (CNI README).
    #[serde(default)]
    pub external_snat: bool,
    /// `POD_SECURITY_GROUP_ENFORCING_MODE` (v1.11.0+, default `strict`): how
    /// the traffic of pods with their own security groups behaves (CNI
    /// README).
    #[serde(default)]
    pub pod_sg_enforcing_mode: PodSgMode,
    /// `enableNetworkPolicy` (the add-on's setting;
    /// `--enable-network-policy` on aws-node's aws-network-policy-agent
    /// container): enforce NetworkPolicy (VPC CNI 1.14+, EKS User Guide
    /// cni-network-policy-configure).
    #[serde(default, skip_serializing_if = "is_false")]
    pub enable_network_policy: bool,
    /// `NETWORK_POLICY_ENFORCING_MODE` (v1.17.1+, default `standard`; CNI
    /// README).
    #[serde(default, skip_serializing_if = "NetworkPolicyMode::is_standard")]
    pub network_policy_enforcing_mode: NetworkPolicyMode,
    /// Calico installed for policy only, on top of the VPC CNI (the Tigera
    /// operator's `Installation` with `cni.type: AmazonVPC`: "Policy
    /// Calico, IPAM AWS, CNI AWS", docs.tigera.io
    /// getting-started/kubernetes/managed-public-cloud/eks). Felix enforces
    /// NetworkPolicy; the VPC CNI still gives every address.
    #[serde(default, skip_serializing_if = "is_false")]
    pub calico_policy: bool,
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// `NETWORK_POLICY_ENFORCING_MODE` (VPC CNI README).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum NetworkPolicyMode {
    /// "until all of the policies are configured for the new pod,
    /// containers in the new pod will start with a default allow policy".
    #[default]
    Standard,
    /// "a new pod will start with a default deny policy … you must have a
    /// network policy defined for every pod in your cluster".
    Strict,
}

impl NetworkPolicyMode {
    fn is_standard(&self) -> bool {
        *self == Self::Standard
    }
}

impl std::fmt::Display for NetworkPolicyMode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Strict => "strict",
            Self::Standard => "standard",
        })
    }
}

/// `POD_SECURITY_GROUP_ENFORCING_MODE` (VPC CNI README).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum PodSgMode {
    /// "all inbound/outbound traffic from pod with security group will be
    /// enforced by security group rules": through the trunk, never SNATed
    /// by the node (the default).
    #[default]
    Strict,
    /// "behaves same as pods without a security group, except that each
    /// pod occupies a dedicated branch ENI": traffic leaving the VPC is
    /// SNATed via eth0 unless external SNAT is on; same-host traffic is not
    /// filtered.
    Standard,
}

impl std::fmt::Display for PodSgMode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Strict => "strict",
            Self::Standard => "standard",
        })
    }
}

fn yes() -> bool {
    true
}

fn one() -> u32 {
    1
}

fn thirty() -> u32 {
    30
}

impl Default for VpcCni {
    fn default() -> Self {
        Self {
            warm_eni_target: 1,
            warm_ip_target: 0,
            minimum_ip_target: 0,
            warm_prefix_target: 1,
            max_eni: None,
            prefix_delegation: false,
            ip_cooldown_s: 30,
            subnet_discovery: true,
            custom_networking: false,
            eni_configs: std::collections::BTreeMap::new(),
            pod_eni: false,
            external_snat: false,
            pod_sg_enforcing_mode: PodSgMode::Strict,
            enable_network_policy: false,
            network_policy_enforcing_mode: NetworkPolicyMode::Standard,
            calico_policy: false,
        }
    }
}

impl VpcCni {
    /// Whether `WARM_IP_TARGET` or `MINIMUM_IP_TARGET` is set; then the
    /// ENI and prefix targets are ignored (`warmIPTargetsDefined`).
    pub fn ip_targets_set(&self) -> bool {
        self.warm_ip_target > 0 || self.minimum_ip_target > 0
    }

    /// Whether prefix delegation is really used on `instance`: only Nitro
    /// and bare metal support it; others fall back to secondary IPs with a
    /// warning (CNI `IsPrefixDelegationSupported`).
    pub fn uses_prefixes_on(&self, instance: &InstanceType) -> bool {
        self.prefix_delegation && instance.supports_prefix_delegation()
    }

    /// ENIs that hold pod addresses: with custom networking the primary ENI
    /// does not ("no IP addresses assigned to the primary network interface
    /// are assigned to Pods", EKS User Guide).
    pub fn pod_enis(&self, instance: &InstanceType) -> u32 {
        let enis = self.max_enis(instance);
        if self.custom_networking {
            enis.saturating_sub(1)
        } else {
            enis
        }
    }

    /// ENIs the CNI may use on `instance`: `min(instance limit, MAX_ENI)`.
    pub fn max_enis(&self, instance: &InstanceType) -> u32 {
        self.max_eni
            .map_or(instance.max_enis, |cap| cap.min(instance.max_enis))
    }
}

impl Cni for VpcCni {
    fn identity(&self) -> &'static super::Identity {
        &super::Identity {
            name: "AWS VPC CNI",
            tag: "aws-vpc-cni",
            label: "AWS VPC CNI",
            plugin: "aws-cni",
            daemonset: "aws-node",
            // config/master/aws-k8s-cni.yaml: kube-system, k8s-app: aws-node.
            agent_pods: ("kube-system", ("k8s-app", "aws-node")),
            // `cmd/aws-vpc-cni/main.go` copies `10-aws.conflist` once ipamd answers.
            network_ready_because:
                "aws-node: ipamd started and answers, so 10-aws.conflist is in /etc/cni/net.d",
            on_boot: "aws-node starts ipamd, which attaches ENIs and keeps warm IPs",
            exits_when_blocked: false,
        }
    }

    /// The `vpc-cni` add-on's image, from the EKS add-on registry in ECR
    /// (EKS User Guide, add-on image registries).
    fn agent_image(&self, region: &str) -> (String, bool) {
        let ecr = format!(
            "{}.dkr.ecr.{region}.amazonaws.com",
            crate::egress::ECR_ACCOUNT
        );
        (format!("{ecr}/amazon-k8s-cni"), true)
    }

    fn cannot_start(&self, _node: &str) -> Option<String> {
        None
    }

    fn summary(&self) -> String {
        let on = |b: bool| if b { "on" } else { "off" };
        let policy = if self.enable_network_policy {
            format!(
                ", network policy on (NETWORK_POLICY_ENFORCING_MODE={})",
                self.network_policy_enforcing_mode
            )
        } else if self.calico_policy {
            ", Calico for network policy only".to_owned()
        } else {
            String::new()
        };
        format!(
            "AWS VPC CNI, prefix delegation {}, custom networking {}, security groups for pods {} (POD_SECURITY_GROUP_ENFORCING_MODE={}), external SNAT {}, WARM_ENI_TARGET={}, WARM_IP_TARGET={}, MINIMUM_IP_TARGET={}, WARM_PREFIX_TARGET={}{policy} (existing nodes keep their max pods and networking: the kubelet and the CNI read them at bootstrap; ENABLE_POD_ENI reaches them too, as aws-node restarts)",
            on(self.prefix_delegation),
            on(self.custom_networking),
            on(self.pod_eni),
            self.pod_sg_enforcing_mode,
            on(self.external_snat),
            self.warm_eni_target,
            self.warm_ip_target,
            self.minimum_ip_target,
            self.warm_prefix_target
        )
    }

    fn addressing(&self) -> super::Addressing<'_> {
        super::Addressing::Enis(self)
    }

    fn initial_state(&self) -> super::CniState {
        super::CniState::Stateless
    }

    /// Its settings are checked against the sandbox (`set_cni`): no range
    /// of its own can collide with the VPC.
    /// Two policy engines on the same pods: "Do not enable network policy
    /// for the AWS VPC CNI; it conflicts with Calico" (docs.tigera.io
    /// getting-started/kubernetes/managed-public-cloud/eks); the EKS User
    /// Guide (cni-network-policy, Migration) asks to remove a third-party
    /// solution before enabling the agent.
    fn problem(&self, _vpc: &[ipnet::Ipv4Net]) -> Option<super::SettingsError> {
        (self.calico_policy && self.enable_network_policy)
            .then_some(super::SettingsError::PolicyEnginesConflict)
    }

    fn fitting(&self, _vpc: &[ipnet::Ipv4Net]) -> super::CniMode {
        self.clone().into()
    }

    fn tuned(&self, k: &super::Knobs) -> super::CniMode {
        Self {
            prefix_delegation: self.prefix_delegation || k.prefix_delegation,
            custom_networking: self.custom_networking || k.custom_networking,
            pod_eni: self.pod_eni || k.security_groups_for_pods,
            max_eni: k.max_eni.or(self.max_eni),
            warm_eni_target: k.warm_eni_target.unwrap_or(self.warm_eni_target),
            warm_ip_target: k.warm_ip_target.unwrap_or(self.warm_ip_target),
            minimum_ip_target: k.minimum_ip_target.unwrap_or(self.minimum_ip_target),
            warm_prefix_target: k.warm_prefix_target.unwrap_or(self.warm_prefix_target),
            ..self.clone()
        }
        .into()
    }

    fn knobs(&self) -> super::KnobSet {
        super::KnobSet {
            prefix_delegation: true,
            custom_networking: true,
            security_groups_for_pods: true,
            warm_targets: true,
        }
    }

    fn on_eks(&self) -> super::CniMode {
        self.clone().into()
    }

    fn check_change(&self, sb: &Sandbox) -> Result<(), SandboxError> {
        check_range("WARM_ENI_TARGET", u64::from(self.warm_eni_target), 0, 100)?;
        check_range("WARM_IP_TARGET", u64::from(self.warm_ip_target), 0, 10_000)?;
        check_range(
            "MINIMUM_IP_TARGET",
            u64::from(self.minimum_ip_target),
            0,
            10_000,
        )?;
        check_range(
            "WARM_PREFIX_TARGET",
            u64::from(self.warm_prefix_target),
            0,
            100,
        )?;
        // Each ENIConfig names a subnet of the VPC in its own AZ (CNI README, ENIConfig).
        for (az, reference) in &self.eni_configs {
            let subnet = sb.subnet(reference)?;
            if &subnet.az != az {
                return Err(SandboxError::EniConfigAz {
                    az: az.clone(),
                    subnet: subnet.name.clone(),
                    subnet_az: subnet.az.clone(),
                });
            }
        }
        Ok(())
    }

    fn pool_rules(&self, _sb: &Sandbox, n: &Node) -> Vec<(String, &'static str)> {
        const CNI_TARGETS: &str = "CNI docs/eni-and-ip-target.md; pkg/ipamd/ipamd.go";
        let cfg = self;
        let stats = n.ipam.stats(_sb.now_ms);
        let mut rules = Vec::new();
        let rule = if cfg.ip_targets_set() {
            format!("WARM_IP_TARGET={} keeps that many IPs free and MINIMUM_IP_TARGET={} keeps at least that many held", cfg.warm_ip_target, cfg.minimum_ip_target)
        } else if n.ipam.uses_prefixes(cfg) {
            format!(
                "WARM_PREFIX_TARGET={} keeps that many whole /28 prefixes free",
                cfg.warm_prefix_target
            )
        } else {
            format!(
                "WARM_ENI_TARGET={} keeps that many ENIs' worth of IPs ({} each) free",
                cfg.warm_eni_target,
                n.ipam.limits.ipv4_per_eni.saturating_sub(1)
            )
        };
        rules.push((rule, CNI_TARGETS));
        if stats.total >= n.max_pods() {
            rules.push((
                format!(
                    "ipamd stops growing at the node's max pods ({})",
                    n.max_pods()
                ),
                "CNI pkg/ipamd/ipamd.go isDatastorePoolTooLow",
            ));
        }
        rules
    }

    fn explain_pod_ip(&self, sb: &Sandbox, ip: Ipv4Addr, node: &Node) -> Option<Derivation> {
        crate::query::eni_pod_ip(
            sb,
            ip,
            node,
            [
                ("the VPC CNI gives every pod a real VPC address from its node's ENIs: no overlay, no NAT inside the VPC", "CNI README.md; EKS User Guide, pod networking"),
                ("ipamd hands out the first free address of its datastore (AssignPodIPv4Address)", "CNI pkg/ipamd/datastore/data_store.go"),
            ],
        )
    }

    fn no_address_advice(&self, sb: &Sandbox, node: &Node) -> Vec<String> {
        crate::query::vpc_no_address_advice(sb, self, node)
    }

    fn plan_rule(&self) -> (String, &'static str) {
        let c = self;
        if c.custom_networking {
            return (
                format!("custom networking: the primary ENI holds only the node IP; pod ENIs take their primary IP and pod {} from the ENIConfig's subnet", if c.prefix_delegation { "prefixes" } else { "IPs" }),
                "EKS User Guide, cni-custom-network.adoc",
            );
        }
        (
            format!(
                "every ENI's primary IP, plus the warm pool ipamd keeps on top of the pods' IPs (WARM_ENI_TARGET={}, WARM_IP_TARGET={}, MINIMUM_IP_TARGET={}{})",
                c.warm_eni_target, c.warm_ip_target, c.minimum_ip_target,
                if c.prefix_delegation { format!(", WARM_PREFIX_TARGET={}, in /28 prefixes", c.warm_prefix_target) } else { String::new() }
            ),
            "CNI docs/eni-and-ip-target.md; pkg/ipamd/ipamd.go",
        )
    }

    fn eks_addon(&self) -> Option<&dyn super::EksAddon> {
        Some(self)
    }

    fn pod_range(&self) -> Option<&str> {
        None
    }

    fn intro_note(&self) -> Option<&'static str> {
        None
    }

    fn after_change(&self, sb: &mut Sandbox, events: &mut Recorder) {
        // A node whose CNI waited for its ENIConfig becomes Ready once it exists.
        let configs = sb.eni_config_subnets();
        let azs: BTreeMap<SubnetId, String> = sb
            .vpc
            .subnets
            .values()
            .map(|s| (s.id, s.az.clone()))
            .into_map();
        let mut unblocked = Vec::new();
        for node in sb.nodes.values_mut() {
            if node.not_ready.is_some()
                && azs
                    .get(&node.subnet)
                    .is_some_and(|az| configs.contains_key(az))
            {
                unblocked.push(node.id);
            }
            // aws-node restarts with the new ENABLE_POD_ENI: ipamd keeps (or
            // stops keeping) a slot for the trunk; an attached trunk stays.
            node.ipam.pod_eni = self.pod_eni;
        }
        let all: BTreeSet<NodeId> = sb.nodes.keys().copied().into_set();
        sb.ready_together(events, all.clone(), |s, events| {
            for node in unblocked {
                s.cni_unblocked(
                    node,
                    "aws-node: the ENIConfig for the node's Availability Zone exists, so ipamd started and 10-aws.conflist is written",
                    events,
                );
            }
            s.ensure_trunks(&all, events);
        });
    }

    /// No encapsulation: pods have VPC addresses on the node's ENIs, and
    /// the VPC routes them (`AWS_VPC_ENI_MTU` 9001).
    fn datapath(&self) -> super::Datapath {
        let strict = self.pod_sg_enforcing_mode == PodSgMode::Strict;
        super::Datapath {
            encapsulation: "none: pod IPs are VPC addresses on the node's ENIs",
            overhead: 0,
            source: "CNI README.md (AWS_VPC_ENI_MTU)",
            vpc_routable: true,
            crossing: super::Crossing::Vpc,
            // CNI README.md: AWS_VPC_K8S_CNI_EXTERNALSNAT, and
            // POD_SECURITY_GROUP_ENFORCING_MODE (strict: a branch-ENI pod's
            // traffic leaves by its own ENI, unrewritten).
            masquerade: super::Masquerade {
                rule: "AWS-SNAT-CHAIN: AWS_VPC_K8S_CNI_EXTERNALSNAT=false",
                source: "CNI README.md (AWS_VPC_K8S_CNI_EXTERNALSNAT); pkg/networkutils/network.go (AWS-CONNMARK-CHAIN, hostRulePriority 1024)",
                out_eth0: true,
                external: self.external_snat,
                branch_pods_exempt: strict,
            },
            wiring: super::Wiring::Veth {
                host_device: None,
                gateway_source: super::datapath::POD_GW,
                branch_strict: strict,
            },
        }
    }

    /// `ENIs × (IPs per ENI − 1) + 2`, or `ENIs × ((IPs per ENI − 1) × 16) + 2`
    /// with prefix delegation; uncapped, like `eni-max-pods.txt` and nodeadm.
    fn max_pods(&self, instance: &InstanceType) -> Derivation {
        let enis = self.pod_enis(instance);
        let ips = instance.ipv4_per_eni;
        let slots = ips.saturating_sub(1);
        let pd = self.uses_prefixes_on(instance);
        let per_eni = if pd { slots * IPS_PER_PREFIX } else { slots };
        let value = enis.saturating_mul(per_eni).saturating_add(2);
        let formula = if pd {
            format!("{enis} ENIs × (({ips} − 1) × 16) + 2 = {value}")
        } else {
            format!("{enis} ENIs × ({ips} − 1) + 2 = {value}")
        };
        let mut d = Derivation::new("max pods", value, formula).because(
            format!(
                "{} has {} ENIs of {ips} IPv4 addresses each on its default network card",
                instance.name, instance.max_enis
            ),
            "instance-enis.csv (CNI pkg/vpc/vpc_ip_resource_limit.go)",
        );
        if enis < instance.max_enis {
            d = d.because(
                format!("MAX_ENI caps the ENIs at {enis}"),
                "CNI README.md (MAX_ENI)",
            );
        }
        d = d.because(
            "the first IP of each ENI is its primary address and is not used for pods",
            "CNI misc/eni-max-pods.txt; pkg/awsutils/awsutils.go GetENIIPv4Limit",
        );
        if pd {
            d = d.because(
                "with prefix delegation each remaining slot holds a /28 prefix of 16 addresses",
                "AMI max-pods-calculator.sh (IPS_PER_PREFIX=16)",
            );
        } else if self.prefix_delegation {
            d = d.because(
                format!("{} is not Nitro or bare metal, so prefix delegation falls back to secondary IPs", instance.name),
                "CNI pkg/awsutils/awsutils.go IsPrefixDelegationSupported",
            );
        }
        d.because(
            "+2 for the host-network pods aws-node and kube-proxy, which use the node IP",
            "EKS best practices guide, vpc-cni.adoc",
        )
    }
    /// Only with network policy on: the aws-network-policy-agent container
    /// of aws-node programs eBPF on each pod's host veth (VPC CNI 1.14+;
    /// EKS User Guide cni-network-policy-configure;
    /// aws/aws-network-policy-agent README.md).
    ///
    /// With Calico in policy-only mode, Felix enforces instead, on the
    /// VPC CNI's host veths, and leaves pods with their own security
    /// groups alone (EKS User Guide alternate-cni-plugins).
    fn policy_enforcement(&self) -> super::Enforcement {
        if self.calico_policy {
            return super::Enforcement::Enforced {
                enforcer: "Calico",
                agent: "Calico (calico-node's Felix) in policy-only mode, on the VPC CNI's host veths",
                source: "docs.tigera.io getting-started/kubernetes/managed-public-cloud/eks (Policy: Calico, IPAM and CNI: AWS); EKS User Guide alternate-cni-plugins",
                unselected_denied: false,
                note: self.pod_eni.then_some(
                    "pods with their own security groups (branch ENIs) are not policed by Calico, only by their security groups",
                ),
                ip_block_selects_pods: true,
                ip_block_selects_nodes: true,
                branch_pods_exempt: true,
                // Felix, as with Calico's own IPAM.
                own_node_egress_policed: true,
                gaps: &[],
            };
        }
        if !self.enable_network_policy {
            return super::Enforcement::None {
                why: "the VPC CNI enforces NetworkPolicy only when its network policy agent is on (enableNetworkPolicy), and it is off",
                source: "EKS User Guide cni-network-policy-configure (enableNetworkPolicy)",
            };
        }
        let strict = self.network_policy_enforcing_mode == NetworkPolicyMode::Strict;
        super::Enforcement::Enforced {
            enforcer: "aws-network-policy-agent",
            agent: "aws-network-policy-agent (eBPF on each pod's host veth)",
            source: "CNI README.md (NETWORK_POLICY_ENFORCING_MODE); EKS User Guide cni-network-policy-configure",
            unselected_denied: strict,
            note: Some(if strict {
                "strict mode: a new pod starts denied until its policies apply, and a pod no policy selects stays denied (host-network pods excepted); policies apply only to pods a controller owns (metadata.ownerReferences, EKS User Guide cni-network-policy), and podnet's pods stand for a Deployment's"
            } else {
                "standard mode: a new pod is allowed everything until its policies apply (podnet shows the state once they do); policies apply only to pods a controller owns (metadata.ownerReferences, EKS User Guide cni-network-policy), and podnet's pods stand for a Deployment's"
            }),
            ip_block_selects_pods: true,
            ip_block_selects_nodes: true,
            branch_pods_exempt: false,
            // The agent adds the node's IP to every pod's allowed CIDRs,
            // both ways ("make sure the enforced policies allow all traffic
            // to/from Node IP", aws-network-policy-agent PR 65,
            // pkg/ebpf/bpf_client.go computeMapEntriesFromEndpointRules).
            own_node_egress_policed: false,
            gaps: &[],
        }
    }
}

/// ipamd's rules (`pkg/ipamd/ipamd.go`), read through the node's state.
impl super::EniIpam for VpcCni {
    fn eni_limit(&self, ipam: &super::ipamd::NodeIpam) -> u32 {
        ipam.eni_limit(self)
    }

    fn uses_prefixes(&self, ipam: &super::ipamd::NodeIpam) -> bool {
        ipam.uses_prefixes(self)
    }

    fn next_request(
        &self,
        ipam: &super::ipamd::NodeIpam,
        now_ms: u64,
        _prefixes: bool,
    ) -> Option<u32> {
        ipam.next_request(self, now_ms)
    }

    fn cooldown_s(&self) -> u32 {
        self.ip_cooldown_s
    }

    fn subnet_discovery(&self) -> bool {
        self.subnet_discovery
    }

    fn first_pod_eni(&self) -> u32 {
        0
    }

    fn eni_configs(&self) -> Option<&std::collections::BTreeMap<String, String>> {
        Some(&self.eni_configs)
    }

    fn pod_eni(&self) -> bool {
        self.pod_eni
    }

    fn agent(&self) -> &'static str {
        "ipamd"
    }

    fn custom_networking(&self) -> bool {
        self.custom_networking
    }

    fn addon_prefix_delegation(&self) -> bool {
        self.prefix_delegation
    }

    fn tick(
        &self,
        ipam: &mut super::ipamd::NodeIpam,
        subnets: &mut dyn super::ipamd::Subnets,
        now_ms: u64,
        events: &mut Recorder,
    ) -> bool {
        ipam.tick(self, subnets, now_ms, events)
    }

    /// ipamd's answer when its datastore has no free address (CNI
    /// `docs/troubleshooting.md`).
    fn no_address_failure(&self) -> super::AddFailure {
        super::AddFailure::new(self.plugin(), super::AllocateError::DatastoreEmpty)
    }
}

/// The EKS `vpc-cni` add-on.
impl super::EksAddon for VpcCni {
    fn security_groups_for_pods(&self) -> bool {
        self.pod_eni
    }

    fn with_eni_configs(&self, configs: BTreeMap<String, String>) -> super::CniMode {
        let mut c = self.clone();
        if c.custom_networking {
            c.eni_configs = configs;
        }
        c.into()
    }

    fn eksctl_addons(&self) -> String {
        crate::plan::vpc_cni_addon(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::{self, lookup};

    fn max_pods(cni: &VpcCni, t: &str) -> u32 {
        cni.max_pods(lookup(t).unwrap()).value
    }

    #[test]
    fn max_pods_matches_eni_max_pods_txt() {
        let cni = VpcCni::default();
        for (t, want) in [
            ("m5.large", 29),
            ("t3.micro", 4),
            ("c5.18xlarge", 737),
            ("p5.48xlarge", 100),
            ("t3.small", 11),
        ] {
            assert_eq!(max_pods(&cni, t), want, "{t}");
        }
    }

    #[test]
    fn every_catalog_type_follows_the_published_formula() {
        let cni = VpcCni::default();
        for t in catalog::all() {
            assert_eq!(
                cni.max_pods(t).value,
                t.max_enis * (t.ipv4_per_eni - 1) + 2,
                "{}",
                t.name
            );
        }
    }

    #[test]
    fn prefix_delegation_multiplies_slots_by_sixteen_on_nitro_only() {
        let pd = VpcCni {
            prefix_delegation: true,
            ..VpcCni::default()
        };
        assert_eq!(max_pods(&pd, "m5.large"), 3 * 9 * 16 + 2);
        assert_eq!(
            max_pods(&pd, "m4.large"),
            max_pods(&VpcCni::default(), "m4.large")
        );
    }

    #[test]
    fn custom_networking_takes_the_primary_eni_out_of_the_formula() {
        let custom = VpcCni {
            custom_networking: true,
            ..VpcCni::default()
        };
        assert_eq!(max_pods(&custom, "m5.large"), 20);
        let pd = VpcCni {
            custom_networking: true,
            prefix_delegation: true,
            ..VpcCni::default()
        };
        assert_eq!(max_pods(&pd, "m5.large"), 290);
        assert_eq!(max_pods(&custom, "hpc6id.32xlarge"), 2);
    }

    #[test]
    fn max_eni_caps_the_enis() {
        let capped = VpcCni {
            max_eni: Some(2),
            ..VpcCni::default()
        };
        assert_eq!(max_pods(&capped, "m5.large"), 2 * 9 + 2);
        let loose = VpcCni {
            max_eni: Some(99),
            ..VpcCni::default()
        };
        assert_eq!(max_pods(&loose, "m5.large"), 29);
    }

    #[test]
    fn the_derivation_reads_like_the_docs() {
        let d = VpcCni::default().max_pods(lookup("m5.large").unwrap());
        assert_eq!(d.formula, "3 ENIs × (10 − 1) + 2 = 29");
        let text = d.to_string();
        assert!(
            text.starts_with("max pods = 29\n  3 ENIs × (10 − 1) + 2 = 29\n"),
            "{text}"
        );
        assert!(text.contains("not used for pods"));
        assert!(text.contains("aws-node and kube-proxy"));
    }
}
