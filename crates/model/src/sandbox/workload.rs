//! Nodes and pods: launching, scheduling (`Too many pods`), getting an IP
//! from the CNI (`failed to assign an IP address to container`), deleting,
//! and letting ipamd's loop run.

use crate::cni::Cni as _;
use std::collections::{BTreeMap, BTreeSet};

use super::room::Room;
use super::{Sandbox, SandboxError};
use crate::catalog::lookup;
use crate::cluster::{node_name, Node, Pod, PodStatus};
use crate::cni::ipamd::{NodeIpam, Subnets, POOL_MONITOR_INTERVAL_MS};
use crate::cni::{AddFailure, CniMode, SettingsError};
use crate::events::{Event, EventKind, Recorder};
use crate::idmap::IdMap;
use crate::ids::{EniId, NodeId, PodId, SubnetId};
use crate::ipam::IpPool;
use crate::max_pods::MaxPodsFrom;
use crate::vpc::Subnet;

/// Pods the sandbox holds at most: podnet's supported scale (the planner's
/// too), and what one command may create.
pub const MAX_PODS: u32 = 150_000;
/// Pods one command may create.
pub const MAX_PODS_PER_COMMAND: u32 = MAX_PODS;
/// Nodes the sandbox holds at most: podnet's supported scale.
pub const MAX_NODES: usize = 5_000;
/// The longest pod name prefix: a pod name is a DNS subdomain of at most
/// 253 characters (Kubernetes object names), and podnet adds `-<number>`.
pub const MAX_POD_PREFIX: usize = 240;
/// Time one command may let pass: a day.
pub const MAX_ADVANCE_S: u32 = 86_400;
/// Bound on ipamd iterations while settling (each one changes something).
/// Passes a settle may take: ipamd grows a pool by at most an ENI's worth
/// per pass, so even `WARM_IP_TARGET` 10,000 on a 50-IP ENI needs ~200;
/// more means the model oscillates ([`EventKind::SettleCapped`]).
const MAX_SETTLE_STEPS: u32 = 2_000;

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

/// What a new pod's spec says, as the sandbox creates it.
pub(super) struct PodSpec {
    /// Its name.
    pub name: String,
    /// `hostNetwork: true`: it shares the node's IP.
    pub host_network: bool,
    /// The node it must run on (`nodeName`, or a DaemonSet's pinning).
    pub node: Option<NodeId>,
    /// A DaemonSet pod (the CNI's agent, kube-proxy).
    pub system: bool,
    /// Matched by a SecurityGroupPolicy: it wants a branch ENI.
    pub security_groups: bool,
}

impl Sandbox {
    /// Gives a deleted pod's address back: to the node's warm pool after
    /// the VPC CNI's cooldown, or to the overlay range at once.
    fn release_pod_ip(&mut self, node: NodeId, pod: PodId, events: &mut Recorder) {
        let now = self.now_ms;
        // The VPC CNI cools a freed address down; Cilium's agent hands it
        // back to the node's pool at once.
        let Some(cooldown_s) = self.cni.eni_ipam().map(|e| e.cooldown_s()) else {
            self.overlay_release(node, pod);
            return;
        };
        let released = self
            .nodes
            .get_mut(&node)
            .and_then(|n| n.ipam.unassign_pod(pod, cooldown_s, now));
        if let Some(ip) = released {
            self.event(
                events,
                EventKind::PodIpReleased {
                    pod,
                    ip,
                    cooldown_s,
                },
            );
        }
    }

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
                    .collect()
            })
            .unwrap_or_default()
    }

    pub(super) fn add_node(
        &mut self,
        instance_type: &str,
        subnet: &str,
        max_pods: Option<u32>,
        max_pods_from: Option<MaxPodsFrom>,
        events: &mut Recorder,
    ) -> Result<(), SandboxError> {
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
        // The cilium-operator puts ENIs in the node's subnet (no subnet-ids or tags here).
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

    /// A new Pending pod of `spec`, with the next id.
    pub(super) fn new_pod(&mut self, spec: PodSpec) -> Pod {
        self.next.pod += 1;
        Pod {
            id: PodId(self.next.pod),
            name: spec.name,
            host_network: spec.host_network,
            wants_node: spec.node,
            node: None,
            ip: None,
            status: PodStatus::Pending,
            reason: None,
            system: spec.system,
            // A host-network pod uses the node's ENI: no SecurityGroupPolicy applies.
            security_groups: spec.security_groups && !spec.host_network,
        }
    }

    pub(super) fn add_pods(
        &mut self,
        count: u32,
        node: Option<&str>,
        host_network: bool,
        name: Option<&str>,
        security_groups: bool,
        events: &mut Recorder,
    ) -> Result<(), SandboxError> {
        check_range(
            "pod count",
            u64::from(count),
            1,
            u64::from(MAX_PODS_PER_COMMAND),
        )?;
        // DaemonSet pods (two per node) are not counted: they come with nodes.
        let have = self.pods.values().filter(|p| !p.system).count() as u64;
        if have + u64::from(count) > u64::from(MAX_PODS) {
            return Err(SandboxError::OutOfRange {
                what: format!("pods in the sandbox ({have} already)"),
                value: have + u64::from(count),
                min: 0,
                max: u64::from(MAX_PODS),
            });
        }
        let prefix = name.unwrap_or("app").trim().to_owned();
        let length = prefix.chars().count();
        if length > MAX_POD_PREFIX {
            return Err(SandboxError::OutOfRange {
                what: "pod name prefix length (a pod name is at most 253 characters)".into(),
                value: length as u64,
                min: 1,
                max: MAX_POD_PREFIX as u64,
            });
        }
        let wants = node.map(|n| self.node_by_name(n)).transpose()?;
        // Each pod adds a slot and about three events: grow once, not by doubling.
        self.pods.reserve(count as usize);

        for _ in 0..count {
            let id = self.next.pod + 1;
            let pod = self.new_pod(PodSpec {
                name: format!("{prefix}-{id}"),
                host_network,
                node: wants,
                system: false,
                security_groups,
            });
            self.pending.push(pod.id);
            self.pods.insert(pod.id, pod);
        }
        self.schedule_and_settle(events, BTreeSet::new());
        Ok(())
    }

    fn node_by_name(&self, reference: &str) -> Result<NodeId, SandboxError> {
        let r = reference.trim();
        self.nodes
            .values()
            .find(|n| n.name == r || n.id.to_string() == r)
            .map(|n| n.id)
            .ok_or_else(|| SandboxError::UnknownNode {
                reference: r.to_owned(),
            })
    }

    pub(super) fn delete_pod(
        &mut self,
        reference: &str,
        events: &mut Recorder,
    ) -> Result<(), SandboxError> {
        let r = reference.trim();
        let pod = self
            .pods
            .values()
            .find(|p| p.name == r)
            .cloned()
            .ok_or_else(|| SandboxError::UnknownPod {
                reference: r.to_owned(),
            })?;
        if pod.system {
            return Err(SandboxError::SystemPod { name: pod.name });
        }
        if let Some(node) = pod.node.and_then(|n| self.nodes.get_mut(&n)) {
            node.pods = node.pods.saturating_sub(1);
        }
        match (pod.node, pod.host_network, pod.security_groups) {
            (Some(node), false, true) => self.release_branch(node, pod.id, events),
            (Some(node), false, false) => self.release_pod_ip(node, pod.id, events),
            _ => {}
        }
        self.pods.remove(&pod.id);
        self.pending.retain(|p| *p != pod.id);
        if let Some(n) = pod.node {
            self.scheduled.retain(|(_, p)| *p != pod.id);
            if let Some(q) = self.stuck.get_mut(&n) {
                q.retain(|p| *p != pod.id);
            }
        }
        self.event(
            events,
            EventKind::PodDeleted {
                pod: pod.id,
                name: pod.name,
            },
        );
        self.schedule_and_settle(events, pod.node.into_iter().collect());
        Ok(())
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

    pub(super) fn set_cni(
        &mut self,
        cni: CniMode,
        events: &mut Recorder,
    ) -> Result<(), SandboxError> {
        if !cni.same_strategy(&self.cni) && !self.nodes.is_empty() {
            return Err(SandboxError::CniSwitch {
                from: self.cni.strategy().name().into(),
                to: cni.strategy().name().into(),
                nodes: self.nodes.len() as u32,
            });
        }
        let service = self.cluster.as_ref().map(|c| c.service_cidr());
        if let Some(reason) = cni.problem(&self.vpc.cidrs, service) {
            return Err(SandboxError::CniSettings { reason });
        }
        // Node pod CIDRs are given once, when a node registers
        // (kube-controller-manager cidr_set.go, the cilium-operator): a
        // new cluster CIDR or mask would leave running nodes outside it.
        let (before, after) = (self.cni.plan(), cni.plan());
        if let Some(held) = before.filter(|b| Some(*b) != after && !self.nodes.is_empty()) {
            return Err(SandboxError::CniSettings {
                reason: SettingsError::RangesHeld {
                    nodes: self.nodes.len() as u32,
                    cluster: held.cluster,
                    node_len: held.node_len,
                },
            });
        }
        cni.strategy().check_change(self)?;
        let summary = cni.strategy().summary();
        if !cni.same_strategy(&self.cni) {
            // No node runs yet (checked above): the new strategy starts afresh.
            self.cni_state = cni.strategy().initial_state();
        }
        self.cni = cni.clone();
        self.event(events, EventKind::CniChanged { summary });
        cni.strategy().after_change(self, events);
        Ok(())
    }

    pub(super) fn advance(
        &mut self,
        seconds: u32,
        events: &mut Recorder,
    ) -> Result<(), SandboxError> {
        check_range("seconds", u64::from(seconds), 1, u64::from(MAX_ADVANCE_S))?;
        let end = self.now_ms + u64::from(seconds) * 1000;
        let all: BTreeSet<NodeId> = self.nodes.keys().copied().collect();
        while self.now_ms + POOL_MONITOR_INTERVAL_MS <= end {
            self.now_ms += POOL_MONITOR_INTERVAL_MS;
            self.tick_nodes(&all, events);
            self.assign_ips(events);
        }
        self.now_ms = end;
        // A trunk that waited for an ENI slot gets one once ipamd freed it.
        self.ensure_trunks(&all, events);
        self.schedule_and_settle(events, all);
        Ok(())
    }

    /// Places pending pods, gives scheduled pods their IPs, then lets ipamd
    /// grow the pools of the nodes this touched until nothing changes.
    /// Other nodes' ipamd runs when time is let pass (`AdvanceTime`); this
    /// keeps one action's cost independent of the cluster's size.
    pub(crate) fn schedule_and_settle(
        &mut self,
        events: &mut Recorder,
        mut touched: BTreeSet<NodeId>,
    ) {
        touched.extend(self.schedule(events));
        self.assign_ips(events);
        self.settle(events, &touched);
    }

    /// Lets ipamd (or the cilium-operator) run on `touched`, a pass every
    /// 5 s of simulated time, giving waiting pods their addresses, until a
    /// pass changes nothing.
    pub(super) fn settle(&mut self, events: &mut Recorder, touched: &BTreeSet<NodeId>) {
        for _ in 0..MAX_SETTLE_STEPS {
            let (before, pushed) = (self.now_ms, events.pushes());
            self.now_ms += POOL_MONITOR_INTERVAL_MS;
            if !self.tick_nodes(touched, events) {
                // An idle pass takes no time on the timeline, unless it
                // logged something: then the clock stays at that line, and
                // the kubelet's retries see that moment too (a cooldown
                // may have ended).
                if events.pushes() == pushed {
                    self.now_ms = before;
                } else {
                    self.assign_ips(events);
                }
                return;
            }
            self.assign_ips(events);
        }
        self.event(
            events,
            EventKind::SettleCapped {
                passes: MAX_SETTLE_STEPS,
            },
        );
    }

    /// Rebuilds the pending / scheduled / stuck indexes from the pods.
    pub(super) fn reindex(&mut self) {
        self.pending.clear();
        self.scheduled.clear();
        self.stuck = IdMap::new();
        let mut stuck = Vec::new();
        for p in self.pods.values() {
            match (p.status, p.node) {
                (PodStatus::Pending, _) => {
                    self.pending.push(p.id);
                }
                (PodStatus::ContainerCreating, Some(n)) if p.reason.is_some() => {
                    stuck.push((n, p.id));
                }
                (PodStatus::ContainerCreating, Some(n)) => {
                    self.scheduled.push((n, p.id));
                }
                _ => {}
            }
        }
        for (n, pod) in stuck {
            self.push_stuck(n, pod);
        }
    }

    /// One pass of the ENI agent (ipamd, the cilium-operator) on each of
    /// `nodes`; whether any changed. An overlay has no pool to grow.
    fn tick_nodes(&mut self, nodes: &BTreeSet<NodeId>, events: &mut Recorder) -> bool {
        let cni = self.cni.clone();
        let Some(agent) = cni.eni_ipam() else {
            return false;
        };
        let eni_configs = self.eni_config_subnets();
        let mut changed = false;
        for id in nodes {
            // The agent runs in a DaemonSet pod: not on an unregistered instance.
            let Some(node) = self.nodes.get_mut(id).filter(|n| n.registered) else {
                continue;
            };
            let mut access = Access {
                subnets: &mut self.vpc.subnets,
                next_eni: &mut self.next.eni,
                discovery: agent.subnet_discovery(),
                eni_configs: &eni_configs,
            };
            changed |= agent.tick(&mut node.ipam, &mut access, self.now_ms, events);
        }
        changed
    }

    /// The scheduler: each pending pod goes to the node with room and the
    /// fewest pods; with none, `0/N nodes are available: N Too many pods.`
    /// Returns the nodes that received pods.
    pub(super) fn schedule(&mut self, events: &mut Recorder) -> BTreeSet<NodeId> {
        let mut placed = Vec::new();
        let pending: Vec<PodId> = std::mem::take(&mut self.pending);
        let unpinned = pending
            .iter()
            .any(|id| self.pods.get(id).is_some_and(|p| p.wants_node.is_none()));
        // Nodes with room, least loaded first (built only when a pod may go anywhere).
        let mut room = Room::default();
        if unpinned {
            for n in self
                .nodes
                .values()
                .filter(|n| n.ready() && n.pods < n.max_pods())
            {
                room.push(n.pods, n.id);
            }
        }
        // Instances that never registered are no nodes to the scheduler.
        let total = self.nodes.values().filter(|n| n.registered).count();
        // Counted only when a pod cannot be placed: it walks every node.
        let mut not_ready = None;
        let now = self.now_ms;
        for id in pending {
            let Some((wants, system, branch)) = self
                .pods
                .get(&id)
                .map(|p| (p.wants_node, p.system, p.security_groups))
            else {
                continue;
            };
            let pick = match wants {
                // A pod with its own security groups needs a free
                // vpc.amazonaws.com/pod-eni (a branch ENI on a trunk).
                _ if branch => self.pick_for_branch_pod(wants, system),
                Some(w) => self
                    .nodes
                    .get(&w)
                    .filter(|n| (n.ready() || system) && n.pods < n.max_pods())
                    .map(|n| n.id),
                None => {
                    let nodes = &self.nodes;
                    room.peek(|n| {
                        nodes
                            .get(&n)
                            .filter(|x| x.ready() && x.pods < x.max_pods())
                            .map(|x| x.pods)
                    })
                }
            };
            let message = match pick {
                Some(_) => String::new(),
                None if branch => self.branch_unschedulable_message(wants),
                None => {
                    let not_ready = *not_ready.get_or_insert_with(|| {
                        self.nodes
                            .values()
                            .filter(|n| n.registered && !n.ready())
                            .count()
                    });
                    unschedulable_message(total, not_ready, wants.is_some())
                }
            };
            let Some(pod) = self.pods.get_mut(&id) else {
                continue;
            };
            let Some(node) = pick.and_then(|n| self.nodes.get_mut(&n)) else {
                if pod.reason.as_deref() != Some(message.as_str()) {
                    pod.reason = Some(message.clone());
                    events.push(Event::new(
                        now,
                        EventKind::PodUnschedulable {
                            pod: pod.id,
                            message,
                        },
                    ));
                }
                self.pending.push(id);
                continue;
            };
            room.placed(
                node.id,
                node.pods,
                node.ready() && node.pods + 1 < node.max_pods(),
            );
            node.pods += 1;
            node.branch_pods += u32::from(branch);
            placed.push(node.id);
            pod.node = Some(node.id);
            pod.reason = None;
            pod.status = PodStatus::ContainerCreating;
            self.scheduled.push((node.id, pod.id));
            events.push(Event::new(
                now,
                EventKind::PodScheduled {
                    pod: pod.id,
                    node: node.id,
                },
            ));
        }
        placed.sort_unstable();
        placed.dedup();
        placed.into_iter().collect()
    }

    /// The CNI ADD: stuck pods retry first (oldest first, and a node's
    /// later pods wait once one fails), then newly scheduled pods each try
    /// once; a failure is the `FailedCreatePodSandBox` event.
    pub(super) fn assign_ips(&mut self, events: &mut Recorder) {
        // Stuck pods retry node by node, oldest first; once a node has no
        // address left, its other pods would fail the same way.
        let nodes: Vec<NodeId> = self
            .stuck
            .iter()
            .filter(|(_, q)| !q.is_empty())
            .map(|(n, _)| *n)
            .collect();
        for node in nodes {
            let mixed = self.nodes.get(&node).is_some_and(|n| n.branch_pods > 0);
            if mixed {
                self.retry_mixed(node, events);
                continue;
            }
            while let Some(pod) = self.stuck.get(&node).and_then(|q| q.front().copied()) {
                if !self.cni_add(node, pod, events) {
                    break;
                }
                if let Some(q) = self.stuck.get_mut(&node) {
                    q.pop_front();
                }
            }
        }
        // In scheduling order, which is pod order: it walks the pods in memory order.
        for (node, pod) in std::mem::take(&mut self.scheduled) {
            if !self.cni_add(node, pod, events) {
                self.push_stuck(node, pod);
            }
        }
    }

    /// Retries a node's waiting pods when some wait for a branch ENI (the
    /// VPC Resource Controller) and others for an IP (ipamd): one kind
    /// running out does not hold up the other.
    fn retry_mixed(&mut self, node: NodeId, events: &mut Recorder) {
        let mut queue = self
            .stuck
            .get_mut(&node)
            .map(std::mem::take)
            .unwrap_or_default();
        let mut keep = std::collections::VecDeque::new();
        let (mut branch_out, mut ip_out) = (false, false);
        while let Some(pod) = queue.pop_front() {
            let branch = self.pods.get(&pod).is_some_and(|p| p.security_groups);
            let out = if branch { &mut branch_out } else { &mut ip_out };
            if *out {
                keep.push_back(pod);
            } else if !self.cni_add(node, pod, events) {
                *out = true;
                keep.push_back(pod);
            }
            if branch_out && ip_out {
                keep.append(&mut queue);
            }
        }
        if let Some(q) = self.stuck.get_mut(&node) {
            keep.append(q);
            *q = keep;
        }
    }

    /// Queues a pod that got no IP behind its node's other waiting pods.
    fn push_stuck(&mut self, node: NodeId, pod: PodId) {
        match self.stuck.get_mut(&node) {
            Some(q) => q.push_back(pod),
            None => {
                self.stuck
                    .insert(node, std::collections::VecDeque::from([pod]));
            }
        }
    }

    /// Gives one pod its IP; false (and the event, once) when there is none.
    fn cni_add(&mut self, node_id: NodeId, pod_id: PodId, events: &mut Recorder) -> bool {
        let now = self.now_ms;
        let (Some(pod), Some(node)) = (self.pods.get_mut(&pod_id), self.nodes.get_mut(&node_id))
        else {
            return true; // gone: nothing left to do
        };
        if pod.host_network {
            pod.ip = node.ip();
            pod.status = PodStatus::Running;
            return true;
        }
        let branch = pod.security_groups;
        let result = if branch {
            self.branch_add(node_id, pod_id)
                .map_err(|cause| AddFailure::new("vpc-resource-controller", cause))
        } else if let Some(no_ip) = self.cni.eni_ipam().map(|e| e.no_address_failure()) {
            self.nodes
                .get_mut(&node_id)
                .and_then(|n| n.ipam.assign_pod(pod_id, now))
                .map(|(eni, ip)| EventKind::PodIpAssigned {
                    pod: pod_id,
                    node: node_id,
                    eni,
                    ip,
                })
                .ok_or(no_ip)
        } else {
            self.overlay_add(node_id, pod_id, events).map(|(ip, ipam)| {
                EventKind::PodOverlayIpAssigned {
                    pod: pod_id,
                    node: node_id,
                    ip,
                    ipam,
                }
            })
        };
        let Some(pod) = self.pods.get_mut(&pod_id) else {
            return true;
        };
        match result {
            Ok(kind) => {
                if let EventKind::PodIpAssigned { ip, .. }
                | EventKind::PodOverlayIpAssigned { ip, .. }
                | EventKind::BranchEniCreated { ip, .. } = &kind
                {
                    pod.ip = Some(*ip);
                }
                pod.status = PodStatus::Running;
                pod.reason = None;
                events.push(Event::new(now, kind));
                true
            }
            Err(AddFailure { cause, .. }) if branch => {
                if pod.reason.is_none() {
                    pod.reason = Some(format!(
                        "BranchAllocationFailed: failed to allocate branch ENI to pod: {cause}"
                    ));
                    events.push(Event::new(
                        now,
                        EventKind::BranchAllocationFailed {
                            pod: pod_id,
                            node: node_id,
                            cause: cause.to_string(),
                        },
                    ));
                }
                false
            }
            Err(failure) => {
                if pod.reason.is_some() {
                    return false;
                }
                let why = self
                    .no_address(node_id)
                    .map(|c| c.to_string())
                    .unwrap_or_default();
                if let Some(pod) = self.pods.get_mut(&pod_id) {
                    pod.reason = Some(format!("FailedCreatePodSandBox: {failure}"));
                    events.push(Event::new(
                        now,
                        EventKind::PodSandboxFailed {
                            pod: pod_id,
                            node: node_id,
                            plugin: failure.plugin.into(),
                            cause: failure.cause.to_string(),
                            why,
                        },
                    ));
                }
                false
            }
        }
    }
}

/// The scheduler's `FailedScheduling` message, in kube-scheduler's words.
fn unschedulable_message(nodes: usize, not_ready: usize, pinned: bool) -> String {
    if nodes == 0 {
        return "0/0 nodes are available: no nodes available to schedule pods.".into();
    }
    let mut reasons = Vec::new();
    if not_ready > 0 {
        reasons.push(format!(
            "{not_ready} node(s) had untolerated taint {{node.kubernetes.io/not-ready: }}"
        ));
    }
    let full = if pinned {
        1.min(nodes - not_ready)
    } else {
        nodes - not_ready
    };
    if full > 0 {
        reasons.push(format!("{full} Too many pods"));
    }
    if pinned && nodes > not_ready + full {
        reasons.push(format!(
            "{} node(s) didn't match Pod's node affinity/selector",
            nodes - not_ready - full
        ));
    }
    format!("0/{nodes} nodes are available: {}.", reasons.join(", "))
}

pub(crate) fn check_range(what: &str, value: u64, min: u64, max: u64) -> Result<(), SandboxError> {
    if (min..=max).contains(&value) {
        Ok(())
    } else {
        Err(SandboxError::OutOfRange {
            what: what.into(),
            value,
            min,
            max,
        })
    }
}
