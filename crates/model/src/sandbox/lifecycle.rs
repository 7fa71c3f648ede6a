//! A node's life after its kubelet registers, as Kubernetes and EKS run it.
//!
//! 1. The kubelet registers the node `NotReady`: the runtime's network is not
//!    ready until a CNI config exists, and the node lifecycle controller
//!    taints it `node.kubernetes.io/not-ready:NoSchedule` (Kubernetes docs,
//!    "Taints and Tolerations: taint based evictions"; kubelet
//!    `pkg/kubelet/nodestatus/setters.go` `ReadyCondition`).
//! 2. The DaemonSet controller creates the node's DaemonSet pods at once
//!    (the CNI's agent, kube-proxy); they tolerate that taint, so they bind
//!    while ordinary Pending pods cannot. The toleration is their manifests'
//!    own: `tolerations: [{operator: Exists}]` (every taint: the VPC CNI's
//!    `config/master/aws-k8s-cni.yaml`), or every `NoSchedule` taint
//!    (`effect: NoSchedule`, flannel's `kube-flannel.yml`); the DaemonSet controller's automatic
//!    tolerations (Kubernetes docs, "DaemonSet: taints and tolerations") cover
//!    `not-ready` only for `NoExecute`. They are host-network pods: the "+2"
//!    of max pods.
//! 3. The CNI comes up: for the AWS VPC CNI, aws-node starts ipamd (which
//!    fills its warm pool on start, `nodeInit`), waits for it to be healthy
//!    and then copies `10-aws.conflist` into `/etc/cni/net.d` (CNI
//!    `cmd/aws-vpc-cni/main.go`); an overlay's agent writes its own config.
//! 4. The kubelet reports `Ready`, the taint goes, and only then does
//!    kube-scheduler place Pending pods on the node.
//!
//! EC2 and the kubelet answer at once here: the steps follow each other in
//! one command, in this order, and the events say each.

use crate::cni::Cni as _;
use std::collections::BTreeSet;

use super::Sandbox;
use crate::events::{EventKind, Recorder};
use crate::ids::NodeId;

/// The kubelet's Ready condition message while no CNI config exists
/// (containerd's CRI status through the kubelet's `ReadyCondition`).
pub const NETWORK_NOT_READY: &str = "container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady message:Network plugin returns error: cni plugin not initialized";

impl Sandbox {
    /// The kubelet registered: the node appears NotReady, its DaemonSet pods
    /// start, the CNI comes up, the node turns Ready and pods may come.
    pub(super) fn register(&mut self, node_id: NodeId, events: &mut Recorder) {
        let Some(node) = self.nodes.get_mut(&node_id) else {
            return;
        };
        node.registered = true;
        node.network_ready = false;
        node.join_error = None;
        node.registered_at_ms = self.now_ms;
        let ip = node.ip().unwrap_or(std::net::Ipv4Addr::UNSPECIFIED);
        let blocker = node.not_ready.clone();
        let (instance, prefix_capable, trunking) = (
            node.instance_type.clone(),
            node.ipam.prefix_capable,
            node.ipam.branch_limit > 0,
        );
        let joined = EventKind::NodeJoined {
            node: node_id,
            name: node.name.clone(),
            instance_type: node.instance_type.clone(),
            ip,
            max_pods: node.max_pods(),
        };
        self.event(events, joined);
        self.event(
            events,
            EventKind::NodeNotReady {
                node: node_id,
                reason: NETWORK_NOT_READY.into(),
            },
        );
        let eni = self.cni.eni_ipam();
        let pod_eni = eni.is_some_and(|e| e.pod_eni());
        let pd_fallback = eni.is_some_and(|e| e.addon_prefix_delegation()) && !prefix_capable;
        if let Some(reason) = blocker {
            self.event(
                events,
                EventKind::NodeNotReady {
                    node: node_id,
                    reason,
                },
            );
        }
        if pd_fallback {
            let message = format!("Prefix delegation is not supported on non-nitro instance {instance} hence falling back to default (secondary IP) mode");
            self.event(
                events,
                EventKind::IpamdLog {
                    node: node_id,
                    message,
                },
            );
        }
        if pod_eni && !trunking {
            let listed = crate::catalog::lookup(&instance).map_or(true, |t| t.branch_listed);
            let message = if listed {
                format!("{instance} is not supported for security groups for pods (not trunking-compatible): no trunk ENI, no vpc.amazonaws.com/pod-eni")
            } else {
                format!("{instance} is not in {}: the controller treats it as not trunking-compatible, so no trunk ENI, no vpc.amazonaws.com/pod-eni", crate::catalog::BRANCH_TABLE)
            };
            self.event(
                events,
                EventKind::TrunkEniWaiting {
                    node: node_id,
                    reason: message,
                },
            );
        }
        self.ensure_trunks(&BTreeSet::from([node_id]), events);
        let pull = self
            .nodes
            .get(&node_id)
            .and_then(|n| self.image_pull_error(n));
        if let Some(n) = self.nodes.get_mut(&node_id) {
            n.image_error = pull.clone();
        }
        self.start_daemon_pods(node_id, events);
        if let Some(message) = pull {
            self.image_pull_failed(node_id, &message, events);
            return;
        }
        self.agent_starts(node_id, events);
        self.network_up(node_id, events);
    }

    /// The CNI's agent runs on the node: an overlay's node range comes from
    /// it (flanneld leases from etcd, cilium-agent creates the CiliumNode the
    /// operator gives a CIDR, calico-node claims its tunnel address), so an
    /// agent whose image never arrived asks for none; one that cannot get a
    /// range exits.
    fn agent_starts(&mut self, node_id: NodeId, events: &mut Recorder) {
        self.assign_pod_cidr(node_id, events);
        self.crash_blocked_agent(node_id);
    }

    /// flanneld exits when it cannot register its network (no pod CIDR on
    /// EKS, out of subnets): the kube-flannel pod is in CrashLoopBackOff.
    fn crash_blocked_agent(&mut self, node_id: NodeId) {
        if !self.cni.strategy().exits_when_blocked() {
            return;
        }
        let Some(reason) = self.nodes.get(&node_id).and_then(|n| n.not_ready.clone()) else {
            return;
        };
        let ds = self.cni.strategy().daemonset();
        for p in self.pods.values_mut() {
            if p.node == Some(node_id) && p.system && p.name.starts_with(ds) {
                p.status = crate::cluster::PodStatus::CrashLoopBackOff;
                p.reason = Some(reason.clone());
            }
        }
    }

    /// containerd cannot pull the CNI agent's image: its pod (and
    /// kube-proxy's, when the EKS registry is out of reach) backs off, no CNI
    /// config is written and the node stays NotReady.
    fn image_pull_failed(&mut self, node_id: NodeId, message: &str, events: &mut Recorder) {
        let ecr = self.cni.strategy().agent_image("").1;
        let cni_ds = self.cni.strategy().daemonset();
        let hit: Vec<crate::ids::PodId> = self
            .pods
            .values()
            .filter(|p| p.system && p.node == Some(node_id))
            .filter(|p| p.name.starts_with(cni_ds) || (ecr && p.name.starts_with("kube-proxy")))
            .map(|p| p.id)
            .collect();
        for id in hit {
            if let Some(p) = self.pods.get_mut(&id) {
                p.status = crate::cluster::PodStatus::ImagePullBackOff;
                p.reason = Some(message.to_owned());
            }
            self.event(
                events,
                EventKind::ImagePullFailed {
                    pod: id,
                    node: node_id,
                    message: message.to_owned(),
                },
            );
        }
        self.event(
            events,
            EventKind::NodeNotReady {
                node: node_id,
                reason: NETWORK_NOT_READY.into(),
            },
        );
    }

    /// A node whose CNI image could not be pulled can pull it now (a way
    /// out or a VPC endpoint appeared): its pods run and the CNI comes up.
    pub(super) fn image_pull_retry(&mut self, node_id: NodeId, events: &mut Recorder) {
        let Some(node) = self.nodes.get(&node_id) else {
            return;
        };
        if node.image_error.is_none() || self.image_pull_error(node).is_some() {
            return;
        }
        if let Some(n) = self.nodes.get_mut(&node_id) {
            n.image_error = None;
        }
        let ids: Vec<crate::ids::PodId> = self
            .pods
            .values()
            .filter(|p| {
                p.node == Some(node_id) && p.status == crate::cluster::PodStatus::ImagePullBackOff
            })
            .map(|p| p.id)
            .collect();
        for id in ids {
            if let Some(p) = self.pods.get_mut(&id) {
                p.status = crate::cluster::PodStatus::Running;
                p.reason = None;
            }
        }
        let summary = format!("{node_id}: the images pull now, so the CNI's agent starts");
        self.event(events, EventKind::SettingChanged { summary });
        // The agent that never ran now asks for the node's range.
        if self
            .nodes
            .get(&node_id)
            .is_some_and(|n| n.overlay.is_none())
        {
            self.agent_starts(node_id, events);
        }
        self.network_up(node_id, events);
    }

    /// The DaemonSet controller's pods for a new node: the CNI's agent and
    /// kube-proxy, pinned to it and tolerating its not-ready taint, so they
    /// bind ahead of every Pending pod.
    fn start_daemon_pods(&mut self, node_id: NodeId, events: &mut Recorder) {
        let identity = self.cni.strategy().identity();
        let (agent_ns, agent_label) = identity.agent_pods;
        let mut waiting = std::mem::take(&mut self.pending);
        for (ds, ns, (key, value)) in [
            (identity.daemonset, agent_ns, agent_label),
            ("kube-proxy", "kube-system", ("k8s-app", "kube-proxy")),
        ] {
            let pod = self.new_pod(super::pods::PodSpec {
                name: format!("{ds}-{}", node_id.0),
                host_network: true,
                node: Some(node_id),
                system: true,
                security_groups: false,
                namespace: ns.to_owned(),
                labels: crate::netpol::api::one_label(key, value),
                ports: Vec::new(),
                addon: false,
            });
            self.pending.push(pod.id);
            self.pods.insert(pod.id, pod);
        }
        self.schedule(events);
        self.assign_ips(events);
        // A DaemonSet pod that did not fit (max pods below 2) waits too,
        // in creation order as every pending pod.
        waiting.append(&mut self.pending);
        self.pending = waiting;
    }

    /// The CNI's agent is running: the VPC CNI's ipamd (or the
    /// cilium-operator, for Cilium's ENI mode) fills the node's pool, the
    /// agent writes its CNI config and the kubelet reports Ready; then the
    /// scheduler may place pending pods there. A node whose CNI cannot start
    /// (`not_ready`) stays NotReady.
    fn network_up(&mut self, node_id: NodeId, events: &mut Recorder) {
        let touched = BTreeSet::from([node_id]);
        self.settle(events, &touched);
        let cni = self.cni.strategy().network_ready_because();
        if self.nodes.get(&node_id).is_some_and(|n| {
            n.not_ready.is_some() || n.join_error.is_some() || n.image_error.is_some()
        }) {
            return;
        }
        self.mark_ready(node_id, cni, events);
        if let Some(batch) = self.batch.as_mut() {
            batch.insert(node_id);
            return;
        }
        self.schedule_and_settle(events, touched);
    }

    /// Runs `f` with scheduling deferred: the nodes that turn Ready inside
    /// it are scheduled onto together when it ends, as kube-scheduler finds
    /// nodes that registered at the same moment in one scheduling cycle —
    /// not a `FailedScheduling` round for every pending pod per node.
    pub(crate) fn ready_together(
        &mut self,
        events: &mut Recorder,
        touched: BTreeSet<NodeId>,
        f: impl FnOnce(&mut Self, &mut Recorder),
    ) {
        let outer = self.batch.replace(BTreeSet::new());
        f(self, events);
        let mut ready = self.batch.take().unwrap_or_default();
        ready.extend(touched);
        match outer {
            Some(mut outer) => {
                outer.extend(ready);
                self.batch = Some(outer);
            }
            None => self.schedule_and_settle(events, ready),
        }
    }

    /// The kubelet reports the node Ready: the `NodeReady` event.
    fn mark_ready(&mut self, node_id: NodeId, cni: &str, events: &mut Recorder) {
        let Some(node) = self.nodes.get_mut(&node_id) else {
            return;
        };
        node.network_ready = true;
        let name = node.name.clone();
        self.event(
            events,
            EventKind::NodeReady {
                node: node_id,
                name,
                cni: cni.into(),
            },
        );
    }

    /// A node whose CNI was blocked (no ENIConfig for its AZ, no flannel
    /// subnet) can start it now: it turns Ready, with the event; `because`
    /// says what the agent did.
    pub(crate) fn cni_unblocked(&mut self, node_id: NodeId, because: &str, events: &mut Recorder) {
        let Some(node) = self.nodes.get_mut(&node_id) else {
            return;
        };
        node.not_ready = None;
        for p in self.pods.values_mut() {
            if p.node == Some(node_id) && p.status == crate::cluster::PodStatus::CrashLoopBackOff {
                p.status = crate::cluster::PodStatus::Running;
                p.reason = None;
            }
        }
        let Some(node) = self.nodes.get(&node_id) else {
            return;
        };
        if node.registered
            && node.join_error.is_none()
            && node.image_error.is_none()
            && !node.network_ready
        {
            self.mark_ready(node_id, because, events);
        }
    }
}
