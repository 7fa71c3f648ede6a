//! Pods: creating them, scheduling (`Too many pods`), the CNI ADD that
//! gives each its address (`failed to assign an IP address to container`)
//! and the DEL that gives it back.

use super::limits::{check_range, MAX_PODS, MAX_PODS_PER_COMMAND, MAX_POD_PREFIX};
use super::room::Room;
use super::{Sandbox, SandboxError};
use crate::cluster::{Pod, PodStatus};
use crate::cni::AddFailure;
use crate::events::{Event, EventKind, Recorder};
use crate::idmap::IdMap;
use crate::ids::{NodeId, PodId};
use std::collections::BTreeSet;

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
    /// Its namespace.
    pub namespace: String,
    /// Its labels.
    pub labels: crate::netpol::Labels,
    /// Its containers' ports.
    pub ports: Vec<crate::netpol::NamedPort>,
    /// An EKS add-on's pod (CoreDNS).
    pub addon: bool,
}

/// CoreDNS's replicas on a new cluster.
pub const COREDNS_REPLICAS: u32 = 2;

/// The scheduler's `FailedScheduling` message when no node is registered:
/// `ErrNoNodesAvailable`'s text alone, without the `0/N nodes are
/// available` of a `FitError` (kubernetes `pkg/scheduler/schedule_one.go`:
/// `schedulingCycle` returns it as the status, and `handleSchedulingFailure`
/// records `status.Message()`).
pub(super) const NO_NODES: &str = "no nodes available to schedule pods";

/// Why kube-scheduler left one node out: the first filter plugin that
/// fails decides, in the default profile's order (TaintToleration,
/// NodeAffinity, then NodeResourcesFit).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum NodeMiss {
    /// NotReady: the `node.kubernetes.io/not-ready:NoSchedule` taint.
    NotReady,
    /// Not the node the pod is pinned to.
    NotWanted,
    /// `allocatable.pods` used up.
    TooManyPods,
    /// No `vpc.amazonaws.com/pod-eni` left (security groups for pods).
    NoPodEni,
}

impl NodeMiss {
    /// The filter plugin's reason.
    fn reason(self) -> String {
        match self {
            Self::NotReady => {
                "node(s) had untolerated taint {node.kubernetes.io/not-ready: }".into()
            }
            Self::NotWanted => "node(s) didn't match Pod's node affinity/selector".into(),
            Self::TooManyPods => "Too many pods".into(),
            Self::NoPodEni => format!("Insufficient {}", super::sgp::POD_ENI_RESOURCE),
        }
    }

    /// Whether evicting pods could help (NodeResourcesFit's `Unschedulable`),
    /// or not (TaintToleration's and NodeAffinity's
    /// `UnschedulableAndUnresolvable`): what DefaultPreemption then says of
    /// the node.
    fn preemption(self) -> &'static str {
        match self {
            Self::NotReady | Self::NotWanted => NOT_HELPFUL,
            Self::TooManyPods | Self::NoPodEni => NO_VICTIMS,
        }
    }
}

/// DefaultPreemption on a node where evicting could not help.
const NOT_HELPFUL: &str = "Preemption is not helpful for scheduling";
/// DefaultPreemption on a node where it found no lower-priority pod.
const NO_VICTIMS: &str = "No preemption victims found for incoming pod";

/// kube-scheduler's `FailedScheduling` message for a pod no node fits, of
/// `total` registered nodes left out for `misses` (each kind, how many):
/// the `FitError`, `0/N nodes are available: <reasons>.`, each reason
/// counted and the counted strings sorted as Go's `sort.Strings` does
/// (pkg/scheduler/framework/types.go `FitError.Error`), then the
/// DefaultPreemption PostFilter plugin's own `FitError` after
/// `preemption: ` (pkg/scheduler/framework/preemption). Every pod here has
/// the same priority, so preemption never finds a victim.
pub(super) fn fit_error(total: usize, misses: &[(NodeMiss, usize)]) -> String {
    let present = || misses.iter().filter(|(_, n)| *n > 0);
    let reasons = histogram(present().map(|(m, n)| (*n, m.reason())));
    let nodes_saying = |text: &str| -> usize {
        present()
            .filter(|(m, _)| m.preemption() == text)
            .map(|(_, n)| n)
            .sum()
    };
    let preemption = histogram(
        [NO_VICTIMS, NOT_HELPFUL]
            .into_iter()
            .map(|text| (nodes_saying(text), text.to_owned()))
            .filter(|(n, _)| *n > 0),
    );
    format!("0/{total} nodes are available: {reasons}. preemption: 0/{total} nodes are available: {preemption}.")
}

/// A `FitError`'s reasons: each `"{count} {reason}"`, sorted as strings
/// (Go's `sort.Strings`, byte order, so `1 …` before `2 …` whatever the
/// reason), joined with `", "`.
pub(super) fn histogram(pairs: impl Iterator<Item = (usize, String)>) -> String {
    let mut counted: Vec<String> = pairs.map(|(n, reason)| format!("{n} {reason}")).collect();
    counted.sort_unstable();
    counted.join(", ")
}

/// The message for a pod without security groups: `nodes` registered,
/// `not_ready` of them NotReady (a DaemonSet pod tolerates that), and, for a
/// pinned pod, whether its node is one of the Ready ones (then it is full).
fn unschedulable_message(nodes: usize, not_ready: usize, pinned: Option<bool>) -> String {
    if nodes == 0 {
        return NO_NODES.into();
    }
    let ready = nodes.saturating_sub(not_ready);
    let (full, other) = match pinned {
        None => (ready, 0),
        Some(true) => (1.min(ready), ready.saturating_sub(1)),
        Some(false) => (0, ready),
    };
    fit_error(
        nodes,
        &[
            (NodeMiss::NotReady, not_ready),
            (NodeMiss::NotWanted, other),
            (NodeMiss::TooManyPods, full),
        ],
    )
}

impl Sandbox {
    /// Gives a deleted pod's address back: to the node's warm pool after
    /// the VPC CNI's cooldown, or to the overlay range at once.
    pub(super) fn release_pod_ip(&mut self, node: NodeId, pod: PodId, events: &mut Recorder) {
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

    /// The CoreDNS add-on EKS installs with every cluster: a Deployment of
    /// two replicas in kube-system (`k8s-app: kube-dns`, DNS on 53 UDP and
    /// TCP, metrics on 9153), Pending until a node is Ready (EKS User Guide
    /// managing-coredns: "two replicas of the CoreDNS image are deployed by
    /// default, regardless of the number of nodes deployed in your cluster";
    /// the add-on's optional autoscaling, coredns-autoscaling, is not
    /// modelled; the `coredns` add-on's manifest for the ports and labels).
    pub(super) fn add_coredns(&mut self, events: &mut Recorder) {
        use crate::netpol::{NamedPort, Protocol};
        let ports = vec![
            NamedPort {
                name: "dns".into(),
                port: 53,
                protocol: Protocol::Udp,
            },
            NamedPort {
                name: "dns-tcp".into(),
                port: 53,
                protocol: Protocol::Tcp,
            },
            NamedPort {
                name: "metrics".into(),
                port: 9153,
                protocol: Protocol::Tcp,
            },
        ];
        let mut labels = crate::netpol::api::one_label("k8s-app", "kube-dns");
        labels.insert("eks.amazonaws.com/component".into(), "coredns".into());
        for _ in 0..COREDNS_REPLICAS {
            let id = self.next.pod + 1;
            let pod = self.new_pod(PodSpec {
                name: format!("coredns-{id}"),
                host_network: false,
                node: None,
                system: false,
                security_groups: false,
                namespace: "kube-system".into(),
                labels: labels.clone(),
                ports: ports.clone(),
                addon: true,
            });
            self.pending.push(pod.id);
            self.pods.insert(pod.id, pod);
        }
        self.schedule_and_settle(events, BTreeSet::new());
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
            namespace: spec.namespace,
            labels: spec.labels,
            ports: spec.ports,
            addon: spec.addon,
        }
    }

    pub(super) fn add_pods(
        &mut self,
        c: &crate::command::AddPods,
        events: &mut Recorder,
    ) -> Result<(), SandboxError> {
        let (count, node, host_network, name, security_groups) = (
            c.count,
            c.node.as_deref(),
            c.host_network,
            c.name.as_deref(),
            c.security_groups,
        );
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
        let namespace = c
            .namespace
            .as_deref()
            .unwrap_or(crate::cluster::DEFAULT_NAMESPACE);
        self.check_namespace(namespace)?;
        // With `count: 1` a given name is the pod's own (kubectl run NAME).
        let exact = (count == 1 && name.is_some()).then(|| prefix.clone());
        if let Some(n) = &exact {
            let errors = crate::netpol::names::dns_subdomain(n);
            if let Some(m) = errors.first() {
                return Err(SandboxError::InvalidObject {
                    kind: "Pod",
                    name: n.clone(),
                    errors: vec![format!("metadata.name: Invalid value: {n:?}: {m}")],
                });
            }
            if self
                .pods
                .values()
                .any(|p| p.namespace == namespace && p.name == *n)
            {
                return Err(SandboxError::AlreadyExists {
                    resource: "pods",
                    name: n.clone(),
                });
            }
        }
        let label_errors = super::policy::label_errors(&c.labels);
        if !label_errors.is_empty() {
            return Err(SandboxError::InvalidObject {
                kind: "Pod",
                name: prefix,
                errors: label_errors,
            });
        }
        let wants = node.map(|n| self.node_by_name(n)).transpose()?;
        // Each pod adds a slot and about three events: grow once, not by doubling.
        self.pods.reserve(count as usize);

        for _ in 0..count {
            let id = self.next.pod + 1;
            let pod = self.new_pod(PodSpec {
                name: exact.clone().unwrap_or_else(|| format!("{prefix}-{id}")),
                host_network,
                node: wants,
                system: false,
                security_groups,
                namespace: namespace.to_owned(),
                labels: c.labels.clone(),
                ports: c.ports.clone(),
                addon: false,
            });
            self.pending.push(pod.id);
            self.pods.insert(pod.id, pod);
        }
        self.schedule_and_settle(events, BTreeSet::new());
        Ok(())
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
        if pod.addon {
            return Err(SandboxError::AddonPod { name: pod.name });
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
                    // A DaemonSet pod tolerates the not-ready taint: only its
                    // own node can fail it, and only for room.
                    let not_ready = if system { 0 } else { not_ready };
                    let pinned = wants.map(|w| {
                        self.nodes
                            .get(&w)
                            .is_some_and(|n| n.registered && (system || n.ready()))
                    });
                    unschedulable_message(total, not_ready, pinned)
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
                    name: format!("{}/{}", pod.namespace, pod.name),
                    node: node.id,
                    host: node.name.clone(),
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
    pub(super) fn retry_mixed(&mut self, node: NodeId, events: &mut Recorder) {
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
    pub(super) fn push_stuck(&mut self, node: NodeId, pod: PodId) {
        match self.stuck.get_mut(&node) {
            Some(q) => q.push_back(pod),
            None => {
                self.stuck
                    .insert(node, std::collections::VecDeque::from([pod]));
            }
        }
    }

    /// Gives one pod its IP; false (and the event, once) when there is none.
    pub(super) fn cni_add(
        &mut self,
        node_id: NodeId,
        pod_id: PodId,
        events: &mut Recorder,
    ) -> bool {
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
