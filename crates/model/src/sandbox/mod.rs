//! `Sandbox`: the whole simulated world, changed only by [`Sandbox::apply`].
//!
//! `apply` validates a [`Command`] first and mutates second, so an `Err`
//! leaves the sandbox exactly as it was; an `Ok` returns the events the
//! command caused, in order. Time moves only through commands.

mod access;
mod cluster_ops;
mod network;
pub use network::{way_text, ServiceReach};
mod cni_ops;
mod error;
mod join;
mod lifecycle;
mod limits;
mod nodes;
mod overlay;
mod pods;
mod policy;
mod room;
mod sgp;
mod stuck;
mod time;

use crate::cni::Cni as _;
use serde::{Deserialize, Serialize};

pub use crate::query::AddressUse;
pub use error::SandboxError;
pub(crate) use join::ApiRoute;
pub use join::{Join, JoinStep, StepStatus};
pub use lifecycle::NETWORK_NOT_READY;
pub(crate) use limits::check_range;
pub use limits::{MAX_NODES, MAX_PODS};
pub use pods::COREDNS_REPLICAS;
pub use policy::{BUILT_IN_NAMESPACES, NAME_LABEL};
pub use stuck::NoAddress;

use crate::addr::usable_count;
use crate::cluster::{ControlPlane, Node, Pod};
use crate::cni::{CniMode, CniState};
use crate::command::Command;
use crate::events::{Event, EventKind, Recorder};
use crate::idmap::IdMap;
use crate::ids::{NodeId, PodId, SubnetId};
use crate::ipam::IpPool;
use crate::vpc::{Subnet, Vpc};

/// Id counters: ids are handed out in order, so a replay gives the same ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
struct Counters {
    subnet: u32,
    eni: u32,
    node: u32,
    pod: u32,
}

/// The simulated VPC, cluster, nodes and pods.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sandbox {
    /// The VPC and its subnets.
    pub vpc: Vpc,
    /// The EKS control plane, once created.
    pub cluster: Option<ControlPlane>,
    /// Nodes by id.
    pub nodes: IdMap<NodeId, Node>,
    /// Pods by id.
    pub pods: IdMap<PodId, Pod>,
    /// The CNI and its settings.
    pub cni: CniMode,
    /// Simulated time, ms since the scenario started.
    pub now_ms: u64,
    next: Counters,
    /// Pods waiting for a node: an index over `pods`.
    #[serde(default)]
    pending: Vec<PodId>,
    /// Pods just bound to a node, not yet through the CNI: an index over `pods`.
    #[serde(default)]
    scheduled: Vec<(NodeId, PodId)>,
    /// Pods the CNI could not give an IP yet (ContainerCreating): an index over `pods`.
    #[serde(default)]
    pub(crate) stuck: IdMap<NodeId, std::collections::VecDeque<PodId>>,
    /// What the CNI keeps cluster-wide (Calico's blocks).
    #[serde(default)]
    pub cni_state: CniState,
    /// Nodes that turned Ready while scheduling is deferred
    /// ([`Sandbox::ready_together`]); `None` outside such a batch.
    #[serde(skip)]
    batch: Option<std::collections::BTreeSet<NodeId>>,
    /// Namespaces and their labels.
    #[serde(default = "policy::built_in_namespaces")]
    pub namespaces: std::collections::BTreeMap<String, crate::netpol::Labels>,
    /// The NetworkPolicies applied, whether or not the CNI enforces them.
    #[serde(default, skip_serializing_if = "crate::netpol::PolicySet::is_empty")]
    pub policies: crate::netpol::PolicySet,
}

impl Default for Sandbox {
    /// An empty VPC `10.0.0.0/16` with the default CNI.
    fn default() -> Self {
        let block =
            ipnet::Ipv4Net::new(std::net::Ipv4Addr::new(10, 0, 0, 0), 16).unwrap_or_default();
        Self {
            vpc: Vpc {
                cidrs: vec![block],
                ..Vpc::default()
            },
            cluster: None,
            nodes: IdMap::new(),
            pods: IdMap::new(),
            cni: CniMode::default(),
            now_ms: 0,
            next: Counters::default(),
            pending: Vec::new(),
            scheduled: Vec::new(),
            stuck: IdMap::new(),
            cni_state: CniState::default(),
            batch: None,
            namespaces: policy::built_in_namespaces(),
            policies: crate::netpol::PolicySet::default(),
        }
    }
}

impl Sandbox {
    /// An empty sandbox: a VPC with its primary block, no subnets yet.
    ///
    /// # Errors
    /// [`SandboxError::Vpc`] when the block is not a valid VPC block;
    /// [`SandboxError::CniSettings`] when an overlay's CIDR overlaps it.
    pub fn new(vpc_cidr: &str, cni: CniMode) -> Result<Self, SandboxError> {
        let vpc = Vpc::new(vpc_cidr)?;
        if let Some(reason) = cni.problem(&vpc.cidrs) {
            return Err(SandboxError::CniSettings { reason });
        }
        Ok(Self {
            vpc,
            cni_state: cni.strategy().initial_state(),
            cni,
            ..Self::default()
        })
    }

    /// The addresses `events` (one command's) moved and how, for marking
    /// them on the map; an attached ENI's are read from the node.
    pub fn moved_by(
        &self,
        events: &[Event],
    ) -> std::collections::HashMap<std::net::Ipv4Addr, crate::events::Moved> {
        crate::events::moved_addresses(events, |eni| {
            self.nodes
                .values()
                .flat_map(|n| n.ipam.enis.iter())
                .filter(|e| e.id == eni)
                .flat_map(|e| std::iter::once(e.primary_ip).chain(e.all_slots().map(|x| x.ip)))
                .collect()
        })
    }

    /// Applies one command.
    ///
    /// # Errors
    /// A [`SandboxError`] naming the object and the numbers; the sandbox is
    /// then unchanged.
    pub fn apply(&mut self, command: Command) -> Result<Vec<Event>, SandboxError> {
        crate::json::check_text_lengths(&command).map_err(|(field, length)| {
            SandboxError::OutOfRange {
                what: format!("length of {field} (characters)"),
                value: length as u64,
                min: 0,
                max: crate::json::MAX_TEXT as u64,
            }
        })?;
        let mut events = Recorder::new();
        match command {
            Command::AddVpcCidr { cidr } => self.add_vpc_cidr(&cidr, &mut events)?,
            Command::AddSubnet(c) => self.add_subnet(&c, &mut events)?,
            Command::CreateCluster(c) => self.create_cluster(&c, &mut events)?,
            Command::UpgradeControlPlane { version } => {
                self.upgrade_control_plane(&version, &mut events)?
            }
            Command::AddNode(c) => self.add_node(&c, &mut events)?,
            Command::AddPods(c) => self.add_pods(&c, &mut events)?,
            Command::AddNamespace { name, labels } => {
                self.add_namespace(&name, &labels, &mut events)?;
            }
            Command::SetLabels {
                kind,
                namespace,
                name,
                labels,
            } => self.set_labels(kind, namespace.as_deref(), &name, &labels, &mut events)?,
            Command::ApplyNetworkPolicy { policy } => {
                self.apply_network_policy(&policy, &mut events)?;
            }
            Command::DeleteNetworkPolicy { namespace, name } => {
                self.delete_network_policy(namespace.as_deref(), &name, &mut events)?;
            }
            Command::DeletePod { pod } => self.delete_pod(&pod, &mut events)?,
            Command::DeleteNode { node } => self.delete_node(&node, &mut events)?,
            Command::SetCni { cni } => self.set_cni(cni, &mut events)?,
            Command::AdvanceTime { seconds } => self.advance(seconds, &mut events)?,
            Command::SetVpcDns {
                dns_hostnames,
                dns_support,
            } => self.set_vpc_dns(dns_hostnames, dns_support, &mut events),
            Command::SetDhcpOptions {
                servers,
                domain_name,
            } => self.set_dhcp_options(servers, domain_name.as_deref(), &mut events)?,
            Command::AddInternetGateway => self.add_internet_gateway(&mut events)?,
            Command::AddNatGateway { subnet } => self.add_nat_gateway(&subnet, &mut events)?,
            Command::SetRoute { subnet, to, via } => {
                self.set_route(&subnet, &to, via.as_deref(), &mut events)?;
            }
            Command::AddVpcEndpoint { service, subnets } => {
                self.add_vpc_endpoint(&service, subnets.as_deref(), &mut events)?;
            }
            Command::DeleteVpcEndpoint { service } => {
                self.delete_vpc_endpoint(&service, &mut events)?;
            }
            Command::UpdateClusterSubnets { subnets } => {
                self.update_cluster_subnets(&subnets, &mut events)?;
            }
            Command::SetPublicAccessCidrs { cidrs } => {
                self.set_public_access_cidrs(&cidrs, &mut events)?;
            }
            Command::SetAuthenticationMode { mode } => self.set_auth_mode(mode, &mut events)?,
            Command::SetEndpointAccess { endpoint } => {
                self.set_endpoint_access(endpoint, &mut events)?;
            }
            Command::SetNodeAccess { access } => self.set_node_access(access, &mut events)?,
            Command::SetSecurityGroups {
                api_443,
                kubelet_10250,
            } => self.set_security_groups(
                crate::cluster::SgRules {
                    api_443,
                    kubelet_10250,
                },
                &mut events,
            )?,
        }
        Ok(events.finish(self.now_ms))
    }

    /// The subnet called `reference` (name or CIDR).
    ///
    /// # Errors
    /// [`SandboxError::UnknownSubnet`] listing the subnets there are.
    pub fn subnet(&self, reference: &str) -> Result<&Subnet, SandboxError> {
        self.vpc
            .find_subnet(reference)
            .ok_or_else(|| SandboxError::UnknownSubnet {
                reference: reference.to_owned(),
                known: self.vpc.subnets.values().map(|s| s.name.clone()).collect(),
            })
    }

    /// Whether the pending / scheduled / stuck indexes agree with the pods
    /// (for property tests).
    #[doc(hidden)]
    pub fn indexes_agree(&self) -> bool {
        let mut rebuilt = self.clone();
        rebuilt.reindex();
        let branch_pods_agree = self.nodes.values().all(|n| {
            let bound = self
                .pods
                .values()
                .filter(|p| p.security_groups && p.node == Some(n.id))
                .count();
            n.branch_pods as usize == bound && n.ipam.branches.len() <= bound
        });
        rebuilt.pending == self.pending
            && sorted(&rebuilt.scheduled) == sorted(&self.scheduled)
            && stuck_set(&rebuilt) == stuck_set(self)
            && branch_pods_agree
            && self.cni_state.indexes_agree()
    }

    #[doc(hidden)]
    pub(crate) fn event(&self, events: &mut Recorder, kind: EventKind) {
        events.push(Event::new(self.now_ms, kind));
    }

    fn add_vpc_cidr(&mut self, cidr: &str, events: &mut Recorder) -> Result<(), SandboxError> {
        let cidr = self.vpc.check_secondary_cidr(cidr)?;
        let mut blocks = self.vpc.cidrs.clone();
        blocks.push(cidr);
        if let Some(reason) = self.cni.problem(&blocks) {
            return Err(SandboxError::CniSettings { reason });
        }
        self.vpc.cidrs.push(cidr);
        self.event(events, EventKind::VpcCidrAdded { cidr });
        Ok(())
    }

    fn add_subnet(
        &mut self,
        c: &crate::command::AddSubnet,
        events: &mut Recorder,
    ) -> Result<(), SandboxError> {
        let (name, cidr, az, cni_tag, route) = (
            c.name.as_deref(),
            c.cidr.as_str(),
            c.az.as_str(),
            c.cni_tag,
            c.route.as_deref(),
        );
        let name = name.map_or_else(|| cidr.trim().to_owned(), |n| n.trim().to_owned());
        let block = self.vpc.check_subnet(&name, cidr, az)?;
        let route = match route {
            Some(to) => self.route_target(None, &name, az.trim(), to, None)?,
            None => crate::egress::Route::Local,
        };
        self.next.subnet += 1;
        let id = SubnetId(self.next.subnet);
        let subnet = Subnet {
            id,
            name,
            cidr: block,
            az: az.trim().to_owned(),
            cni_tag,
            pool: IpPool::new(block),
            route,
        };
        self.vpc.subnets.insert(id, subnet);
        let usable = usable_count(block);
        self.event(
            events,
            EventKind::SubnetCreated {
                subnet: id,
                cidr: block,
                az: az.trim().to_owned(),
                usable,
            },
        );
        Ok(())
    }
}

#[cfg(test)]
mod tests;

fn sorted(v: &[(NodeId, PodId)]) -> Vec<(NodeId, PodId)> {
    let mut v = v.to_vec();
    v.sort_unstable();
    v
}

fn stuck_set(s: &Sandbox) -> Vec<(NodeId, PodId)> {
    let mut v: Vec<(NodeId, PodId)> = s
        .stuck
        .iter()
        .flat_map(|(n, q)| q.iter().map(move |p| (*n, *p)))
        .collect();
    v.sort_unstable();
    v
}
