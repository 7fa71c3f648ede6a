//! Nodes: launching one (its primary ENI, its max pods), and deleting one
//! (its pods reschedule, its addresses go back to the subnet).

use super::limits::{check_range, MAX_NODES};
use super::{Sandbox, SandboxError};
use crate::catalog::lookup;
use crate::cluster::{node_name, Node, Pod, PodStatus};
use crate::cni::ipamd::{AgentMemory, NodeIpam, Subnets};
use crate::events::{EventKind, Recorder};
use crate::ids::{EniId, NodeId, SubnetId};
use crate::ipam::IpPool;
use crate::max_pods::MaxPodsFrom;
use crate::ordered::Ordered as _;
use crate::vpc::Subnet;
use std::collections::{BTreeMap, BTreeSet};

/// The VPC's subnets as ipamd sees them from one node.
pub(super) struct Access<'a> {
    pub(super) subnets: &'a mut BTreeMap<SubnetId, Subnet>,
    pub(super) next_eni: &'a mut u32,
    pub(super) discovery: bool,
    /// ENIConfigs resolved: AZ → subnet.
    pub(super) eni_configs: &'a BTreeMap<String, SubnetId>,
}

impl Subnets for Access<'_> {
    fn subnet_for_new_eni(&self, node: &NodeIpam) -> Option<SubnetId> {
        subnet_for_new_eni(self.subnets, node, self.discovery, self.eni_configs)
    }

    fn pool_mut(&mut self, subnet: SubnetId) -> Option<&mut IpPool> {
        self.subnets.get_mut(&subnet).map(|s| &mut s.pool)
    }

    fn next_eni_id(&mut self) -> EniId {
        *self.next_eni += 1;
        EniId(*self.next_eni)
    }

    fn zone_of(&self, subnet: SubnetId) -> String {
        self.subnets
            .get(&subnet)
            .map(|s| s.az.clone())
            .unwrap_or_default()
    }

    fn routes_alike(&self, a: SubnetId, b: SubnetId) -> bool {
        let route = |id| self.subnets.get(&id).map(|s| &s.route);
        route(a) == route(b)
    }
}

/// With custom networking, the subnet of the ENIConfig for the node's AZ.
/// Otherwise, with `ENABLE_SUBNET_DISCOVERY` (the default since v1.18): the
/// node's subnet or a subnet of its AZ tagged `kubernetes.io/role/cni`, the
/// one with the most free IPs (CNI `createENI`, `GetVpcSubnets`).
pub(super) fn subnet_for_new_eni(
    subnets: &BTreeMap<SubnetId, Subnet>,
    node: &NodeIpam,
    discovery: bool,
    eni_configs: &BTreeMap<String, SubnetId>,
) -> Option<SubnetId> {
    let home = node.enis.first().map(|e| e.subnet)?;
    let az = subnets.get(&home).map(|s| s.az.as_str());
    if matches!(node.agent, AgentMemory::Operator { .. }) {
        // The cilium-operator's `findSuitableSubnet` (pkg/aws/eni/node.go)
        // with no subnet-ids or subnet-tags: the node's subnet while it has
        // an ENI's worth of addresses free (`limits.IPv4`), else the subnet
        // of the node's AZ with the most free addresses (`FindSubnetByTags`
        // with no tags: any subnet of the VPC there, none if all are full).
        if subnets
            .get(&home)
            .is_some_and(|s| s.pool.free() >= node.limits.ipv4_per_eni)
        {
            return Some(home);
        }
        return subnets
            .values()
            .filter(|s| Some(s.az.as_str()) == az && s.pool.free() > 0)
            .max_by_key(|s| (s.pool.free(), std::cmp::Reverse(s.id)))
            .map(|s| s.id);
    }
    if node.custom_networking {
        return az.and_then(|az| eni_configs.get(az).copied());
    }
    if !discovery {
        return Some(home);
    }
    let pick = subnets
        .values()
        .filter(|s| Some(s.az.as_str()) == az && (s.id == home || s.cni_tag))
        .max_by_key(|s| (s.pool.free(), std::cmp::Reverse(s.id)))
        .map_or(home, |s| s.id);
    Some(pick)
}

impl Sandbox {
    /// The ENIConfigs resolved to subnets: AZ → subnet (names that do not
    /// resolve were refused by `set_cni`).
    pub(crate) fn eni_config_subnets(&self) -> BTreeMap<String, SubnetId> {
        self.cni
            .eni_ipam()
            .and_then(|e| e.eni_configs())
            .map(|configs| {
                configs
                    .iter()
                    .filter_map(|(az, r)| self.vpc.find_subnet(r).map(|s| (az.clone(), s.id)))
                    .into_map()
            })
            .unwrap_or_default()
    }

    pub(super) fn add_node(
        &mut self,
        c: &crate::command::AddNode,
        events: &mut Recorder,
    ) -> Result<(), SandboxError> {
        let (instance_type, subnet, max_pods, max_pods_from): (
            &str,
            &str,
            Option<u32>,
            Option<MaxPodsFrom>,
        ) = (&c.instance_type, &c.subnet, c.max_pods, c.max_pods_from);
        if self.cluster.is_none() {
            return Err(SandboxError::NoCluster {
                action: "add a node".into(),
            });
        }
        if self.nodes.len() >= MAX_NODES {
            return Err(SandboxError::OutOfRange {
                what: "nodes in the sandbox (podnet's supported scale)".into(),
                value: self.nodes.len() as u64 + 1,
                min: 0,
                max: MAX_NODES as u64,
            });
        }
        let instance = lookup(instance_type)?;
        let (subnet_id, subnet_name, subnet_az) = {
            let s = self.subnet(subnet)?;
            (s.id, s.name.clone(), s.az.clone())
        };
        if let Some(n) = max_pods {
            check_range("max pods", u64::from(n), 1, 1_000)?;
        }
        // The kubelet's maxPods: by hand, else from nodeadm or the managed
        // node group (crate::max_pods), never from the CNI's own capacity.
        let from = match (max_pods, max_pods_from) {
            (Some(_), _) => MaxPodsFrom::Explicit,
            (None, from) => from.unwrap_or_default(),
        };
        let eni = self.cni.eni_ipam();
        let pd_addon = eni.is_some_and(|e| e.addon_prefix_delegation());
        let formula = crate::max_pods::for_node(instance, from, pd_addon).value;
        let node_id = NodeId(self.next.node + 1);
        // The cilium-operator picks its own subnet (`findSuitableSubnet`).
        let discovery = eni.is_some_and(|e| e.subnet_discovery());
        let first_pod_eni = eni.map_or(0, |e| e.first_pod_eni());
        let custom = eni.is_some_and(|e| e.custom_networking());
        let pod_eni = eni.is_some_and(|e| e.pod_eni());
        let eni_configs = self.eni_config_subnets();
        let not_ready = (custom && !eni_configs.contains_key(&subnet_az)).then(|| {
            format!("custom networking is on and no ENIConfig exists for {subnet_az}: aws-node logs \"No ENIConfig could be found for this node\" and the CNI does not become ready")
        });
        let mut access = Access {
            subnets: &mut self.vpc.subnets,
            next_eni: &mut self.next.eni,
            discovery,
            eni_configs: &eni_configs,
        };
        let limits = instance.limits();
        let ipam = NodeIpam::launch(
            node_id,
            limits,
            instance.supports_prefix_delegation(),
            max_pods.unwrap_or(formula),
            subnet_id,
            &mut access,
            self.now_ms,
        )
        .map_err(|cause| SandboxError::NodeLaunch {
            instance_type: instance.name.into(),
            subnet: subnet_name,
            cause,
        })?;
        self.next.node += 1;
        let ip = ipam.node_ip().unwrap_or(std::net::Ipv4Addr::UNSPECIFIED);
        let node = Node {
            id: node_id,
            name: node_name(ip),
            instance_type: instance.name.into(),
            subnet: subnet_id,
            max_pods_from: from,
            ipam: ipam
                .with_custom_networking(custom)
                .with_pod_eni(pod_eni, instance.branch_enis)
                .with_first_pod_eni(first_pod_eni),
            pods: 0,
            not_ready,
            network_ready: false,
            registered: false,
            join_error: None,
            overlay: None,
            branch_pods: 0,
            trunk_waiting: None,
            image_error: None,
            registered_at_ms: 0,
        };
        self.nodes.insert(node_id, node);
        // The kubelet's way to the API server: resolve, connect, authenticate.
        if let Some(message) = self.nodes.get(&node_id).and_then(|n| self.join_failure(n)) {
            if let Some(n) = self.nodes.get_mut(&node_id) {
                n.join_error = Some(message.clone());
            }
            self.event(
                events,
                EventKind::NodeJoinFailed {
                    node: node_id,
                    message,
                },
            );
            return Ok(());
        }
        self.register(node_id, events);
        Ok(())
    }

    pub(super) fn node_by_name(&self, reference: &str) -> Result<NodeId, SandboxError> {
        let r = reference.trim();
        self.nodes
            .values()
            .find(|n| n.name == r || n.id.to_string() == r)
            .map(|n| n.id)
            .ok_or_else(|| SandboxError::UnknownNode {
                reference: r.to_owned(),
            })
    }

    pub(super) fn delete_node(
        &mut self,
        reference: &str,
        events: &mut Recorder,
    ) -> Result<(), SandboxError> {
        let id = self.node_by_name(reference)?;
        let Some(node) = self.nodes.remove(&id) else {
            return Ok(());
        };
        // Calico: the node's pods' and tunnel addresses go, and so do its
        // block affinities (ipam.go ReleaseHostAffinities).
        if let Some(blocks) = self.cni_state.blocks_mut() {
            blocks.release_node(id);
        }
        let mut addresses = 0;
        for eni in &node.ipam.enis {
            if let Some(s) = self.vpc.subnets.get_mut(&eni.subnet) {
                let before = s.pool.in_use();
                s.pool.release(eni.primary_ip);
                for slot in &eni.secondary {
                    s.pool.release(slot.ip);
                }
                for p in &eni.prefixes {
                    s.pool.release_prefix(p.prefix);
                }
                addresses += before - s.pool.in_use();
            }
        }
        for b in &node.ipam.branches {
            if let Some(s) = self.vpc.subnets.get_mut(&b.subnet) {
                s.pool.release(b.ip);
                addresses += 1;
            }
        }
        self.event(
            events,
            EventKind::NodeDeleted {
                node: id,
                addresses,
            },
        );
        // DaemonSet pods go with the node; the others are recreated and rescheduled.
        self.pods
            .retain(|_, p| !(p.system && (p.node == Some(id) || p.wants_node == Some(id))));
        for pod in self
            .pods
            .values_mut()
            .filter(|p| p.node == Some(id) || p.wants_node == Some(id))
        {
            *pod = Pod {
                node: None,
                ip: None,
                status: PodStatus::Pending,
                reason: None,
                wants_node: None,
                ..pod.clone()
            };
        }
        self.reindex();
        self.schedule_and_settle(events, BTreeSet::new());
        Ok(())
    }
}
