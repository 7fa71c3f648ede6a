//! An eksctl `ClusterConfig` (YAML) for a scenario: the VPC and its
//! subnets per AZ, the node groups, the endpoint access, and the VPC CNI's
//! settings as the `vpc-cni` add-on's configuration. Every field carries a
//! comment saying where its value comes from.
//!
//! The subnets are written as existing subnets (`id` to fill in) with
//! their CIDR and AZ, because eksctl lays out its own subnets when it
//! creates a VPC (eksctl docs, vpc-configuration: "use an existing VPC").

use crate::cni::Cni as _;
use std::collections::BTreeMap;
use std::fmt::Write;

use super::GroupInput;
use crate::cluster::EndpointAccess;
use crate::cni::VpcCni;
use crate::scenario::{Scenario, ScenarioError};

/// The Region an AZ name belongs to (`eu-west-1a` → `eu-west-1`).
fn region_of(az: &str) -> String {
    az.trim_end_matches(|c: char| c.is_ascii_lowercase())
        .to_owned()
}

/// The VPC CNI settings that differ from the add-on's defaults, as the
/// environment variables the `vpc-cni` add-on's `configurationValues` takes.
fn cni_env(c: &VpcCni) -> BTreeMap<&'static str, String> {
    let d = VpcCni::default();
    let mut env = BTreeMap::new();
    let mut put = |k, v: String, default: String| {
        if v != default {
            env.insert(k, v);
        }
    };
    put(
        "WARM_ENI_TARGET",
        c.warm_eni_target.to_string(),
        d.warm_eni_target.to_string(),
    );
    put(
        "WARM_IP_TARGET",
        c.warm_ip_target.to_string(),
        d.warm_ip_target.to_string(),
    );
    put(
        "MINIMUM_IP_TARGET",
        c.minimum_ip_target.to_string(),
        d.minimum_ip_target.to_string(),
    );
    put(
        "ENABLE_PREFIX_DELEGATION",
        c.prefix_delegation.to_string(),
        d.prefix_delegation.to_string(),
    );
    if c.prefix_delegation {
        put(
            "WARM_PREFIX_TARGET",
            c.warm_prefix_target.to_string(),
            String::new(),
        );
    }
    if let Some(m) = c.max_eni {
        put("MAX_ENI", m.to_string(), String::new());
    }
    put(
        "IP_COOLDOWN_PERIOD",
        c.ip_cooldown_s.to_string(),
        d.ip_cooldown_s.to_string(),
    );
    put(
        "ENABLE_SUBNET_DISCOVERY",
        c.subnet_discovery.to_string(),
        d.subnet_discovery.to_string(),
    );
    put(
        "AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG",
        c.custom_networking.to_string(),
        d.custom_networking.to_string(),
    );
    if c.custom_networking {
        put(
            "ENI_CONFIG_LABEL_DEF",
            "topology.kubernetes.io/zone".into(),
            String::new(),
        );
    }
    put(
        "ENABLE_POD_ENI",
        c.pod_eni.to_string(),
        d.pod_eni.to_string(),
    );
    put(
        "AWS_VPC_K8S_CNI_EXTERNALSNAT",
        c.external_snat.to_string(),
        d.external_snat.to_string(),
    );
    env
}

/// The `ClusterConfig` for `scenario`. `groups` gives node group sizes
/// (from a plan); without it, each instance type's nodes become one group
/// of fixed size.
pub fn eksctl_config(scenario: &Scenario, groups: &[GroupInput]) -> Result<String, ScenarioError> {
    let sb = scenario.replay()?.sandbox;
    let mut y = String::new();
    let _ = writeln!(
        y,
        "# eksctl ClusterConfig for the podnet scenario \"{}\"{}",
        scenario.name,
        if scenario.title.is_empty() {
            String::new()
        } else {
            format!(": {}", scenario.title)
        }
    );
    let _ = writeln!(
        y,
        "# Create the VPC and subnets first (they are written as existing subnets: fill in"
    );
    let _ = writeln!(
        y,
        "# each `id`), then: eksctl create cluster -f cluster.yaml"
    );
    let _ = writeln!(y, "apiVersion: eksctl.io/v1alpha5");
    let _ = writeln!(y, "kind: ClusterConfig");
    let Some(cluster) = &sb.cluster else {
        let _ = writeln!(
            y,
            "# The scenario has no EKS cluster yet: create one to export it."
        );
        return Ok(y);
    };
    let first_az = sb
        .vpc
        .subnets
        .values()
        .next()
        .map(|s| s.az.clone())
        .unwrap_or_default();
    let _ = writeln!(y, "metadata:");
    let _ = writeln!(y, "  name: {}  # the cluster's name", cluster.name);
    let _ = writeln!(
        y,
        "  region: {}  # the Region of the subnets' Availability Zones",
        region_of(&first_az)
    );
    let _ = writeln!(
        y,
        "  version: \"{}\"  # Kubernetes version of the control plane",
        cluster.version
    );
    let _ = writeln!(y, "kubernetesNetworkConfig:");
    let _ = writeln!(y, "  serviceIPv4CIDR: {}  # EKS's choice: 172.20.0.0/16 when a VPC block is in 10.0.0.0/8, else 10.100.0.0/16", cluster.service_cidr());
    let _ = writeln!(y, "vpc:");
    let _ = writeln!(y, "  id: vpc-REPLACE  # the VPC you created");
    let blocks: Vec<String> = sb.vpc.cidrs.iter().map(ToString::to_string).collect();
    let _ = writeln!(
        y,
        "  cidr: {}  # its primary IPv4 block",
        blocks.first().cloned().unwrap_or_default()
    );
    for b in blocks.iter().skip(1) {
        let _ = writeln!(y, "  # secondary block {b}: associate it with the VPC (aws ec2 associate-vpc-cidr-block) before creating its subnets");
    }
    let (public, private) = match cluster.endpoint {
        EndpointAccess::Public => (true, false),
        EndpointAccess::PublicAndPrivate => (true, true),
        EndpointAccess::Private => (false, true),
    };
    let _ = writeln!(
        y,
        "  clusterEndpoints:  # endpoint access: {}",
        cluster.endpoint
    );
    let _ = writeln!(y, "    publicAccess: {public}");
    let _ = writeln!(
        y,
        "    privateAccess: {private}  # nodes reach the API server through the X-ENIs"
    );
    let cluster_names: Vec<String> = cluster
        .subnets
        .iter()
        .filter_map(|id| sb.vpc.subnets.get(id))
        .map(|s| s.name.clone())
        .collect();
    let _ = writeln!(
        y,
        "  # the cluster subnets: EKS picks two of them, in two AZs, for its X-ENIs (2, up to 4):"
    );
    let _ = writeln!(
        y,
        "  controlPlaneSubnetIDs: [{}]",
        cluster_names
            .iter()
            .map(|n| format!("subnet-REPLACE-{n}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let _ = writeln!(y, "  subnets:");
    let public = |s: &&crate::vpc::Subnet| s.route == crate::egress::Route::InternetGateway;
    let sections: [(&str, Vec<&crate::vpc::Subnet>); 2] = [
        (
            "    private:  # private subnets: nodes reach the internet through a NAT gateway",
            sb.vpc.subnets.values().filter(|s| !public(s)).collect(),
        ),
        (
            "    public:  # public subnets: they route 0.0.0.0/0 to the internet gateway (the NAT gateway lives here)",
            sb.vpc.subnets.values().filter(public).collect(),
        ),
    ];
    for (head, subnets) in sections {
        if subnets.is_empty() {
            continue;
        }
        let _ = writeln!(y, "{head}");
        for s in subnets {
            let _ = writeln!(y, "      {}:", s.name);
            let _ = writeln!(y, "        id: subnet-REPLACE-{}", s.name);
            let _ = writeln!(y, "        az: {}", s.az);
            let _ = writeln!(
                y,
                "        cidr: {}  # {} usable after AWS's five reserved",
                s.cidr,
                s.pool.usable()
            );
        }
    }
    // Node groups: from the plan, or one per instance type present.
    let mut found: Vec<(String, u32, Vec<String>, u32, crate::max_pods::MaxPodsFrom)> = Vec::new();
    for n in sb.nodes.values() {
        let subnet = sb
            .vpc
            .subnets
            .get(&n.subnet)
            .map(|s| s.name.clone())
            .unwrap_or_default();
        match found.iter_mut().find(|g| g.0 == n.instance_type) {
            Some(g) => {
                g.1 += 1;
                if !g.2.contains(&subnet) {
                    g.2.push(subnet);
                }
                g.3 = g.3.min(n.max_pods());
            }
            None => found.push((
                n.instance_type.clone(),
                1,
                vec![subnet],
                n.max_pods(),
                n.max_pods_from,
            )),
        }
    }
    if !found.is_empty() {
        let _ = writeln!(y, "managedNodeGroups:");
    }
    for (i, (itype, count, subnets, max_pods, from)) in found.iter().enumerate() {
        let g = groups.iter().find(|g| g.instance_type == *itype);
        let name = g
            .map(|g| g.name.clone())
            .unwrap_or_else(|| format!("ng-{}", i + 1));
        let (min, max) = g
            .map(|g| (g.min_nodes, g.max()))
            .unwrap_or((*count, *count));
        let _ = writeln!(y, "  - name: {name}");
        let _ = writeln!(y, "    instanceType: {itype}");
        let _ = writeln!(y, "    minSize: {min}");
        let _ = writeln!(y, "    desiredCapacity: {min}");
        let why = if g.is_some() {
            "the plan sized the subnets for this plus the update surge"
        } else {
            "the scenario's nodes of this type"
        };
        let _ = writeln!(y, "    maxSize: {max}  # {why}");
        let _ = writeln!(y, "    subnets: [{}]", subnets.join(", "));
        let _ = writeln!(y, "    privateNetworking: true");
        let note = match from {
            crate::max_pods::MaxPodsFrom::ManagedNodeGroup => "what EKS sets for a managed node group: the max-pods calculator's value, capped at 110 below 30 vCPUs and 250 above",
            crate::max_pods::MaxPodsFrom::Nodeadm => "nodeadm's default: the plain ENI formula",
            crate::max_pods::MaxPodsFrom::Explicit => "set by hand in the scenario",
        };
        let _ = writeln!(y, "    maxPodsPerNode: {max_pods}  # {note}");
    }
    match sb.cni.strategy().eks_addon() {
        Some(addon) => y.push_str(&addon.eksctl_addons()),
        None => {
            let _ = writeln!(y, "addonsConfig:");
            let _ = writeln!(y, "  disableDefaultAddons: true  # no vpc-cni: {} is installed after the cluster exists", sb.cni.strategy().name());
            let _ = writeln!(y, "addons:");
            let _ = writeln!(y, "  - name: kube-proxy");
            let _ = writeln!(y, "  - name: coredns");
        }
    }
    Ok(y)
}

/// The `addons:` of a ClusterConfig whose CNI is the `vpc-cni` add-on:
/// the settings that differ from its defaults, and the ENIConfigs custom
/// networking needs.
pub(crate) fn vpc_cni_addon(c: &VpcCni) -> String {
    let mut y = String::new();
    let env = cni_env(c);
    let _ = writeln!(y, "addons:");
    let _ = writeln!(
        y,
        "  - name: vpc-cni  # the AWS VPC CNI; only settings that differ from its defaults"
    );
    if env.is_empty() {
        let _ = writeln!(y, "    # every setting at its default (WARM_ENI_TARGET=1)");
    } else {
        let json = env
            .iter()
            .map(|(k, v)| format!("\"{k}\":\"{v}\""))
            .collect::<Vec<_>>()
            .join(",");
        let _ = writeln!(y, "    configurationValues: '{{\"env\":{{{json}}}}}'");
    }
    let _ = writeln!(y, "  - name: kube-proxy");
    let _ = writeln!(y, "  - name: coredns");
    if c.custom_networking {
        let _ = writeln!(
            y,
            "# Custom networking: after the cluster exists, apply one ENIConfig per AZ"
        );
        let _ = writeln!(
            y,
            "# (named after the AZ, as ENI_CONFIG_LABEL_DEF=topology.kubernetes.io/zone selects):"
        );
        for (i, (az, subnet)) in c.eni_configs.iter().enumerate() {
            if i > 0 {
                let _ = writeln!(y, "#   ---");
            }
            let _ = writeln!(y, "#   apiVersion: crd.k8s.amazonaws.com/v1alpha1");
            let _ = writeln!(y, "#   kind: ENIConfig");
            let _ = writeln!(y, "#   metadata: {{name: {az}}}");
            let _ = writeln!(
                y,
                "#   spec: {{subnet: subnet-REPLACE-{subnet}, securityGroups: [sg-REPLACE]}}"
            );
        }
    }
    y
}

#[cfg(test)]
mod unit {
    use super::region_of;

    #[test]
    fn a_region_is_its_az_without_the_letter() {
        assert_eq!(region_of("eu-west-1a"), "eu-west-1");
        assert_eq!(region_of("us-east-1f"), "us-east-1");
    }
}
