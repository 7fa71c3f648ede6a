//! What happened: every action returns events, each worded the way kubectl,
//! the kubelet, ipamd or EC2 would word it.

use std::fmt;
use std::net::Ipv4Addr;

use ipnet::Ipv4Net;
use serde::{Deserialize, Serialize};

use crate::ids::{EniId, NodeId, PodId, SubnetId};

/// An event at a moment of simulated time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    /// Simulated time in milliseconds since the scenario started.
    pub at_ms: u64,
    /// What happened.
    pub kind: EventKind,
}

/// What happened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
#[non_exhaustive]
pub enum EventKind {
    /// ipamd created and attached an ENI with its first addresses in one call.
    EniAttached {
        /// The node.
        node: NodeId,
        /// The new ENI.
        eni: EniId,
        /// Its subnet.
        subnet: SubnetId,
        /// The device index it got (the lowest free one).
        device_index: u32,
        /// Its primary IP (never used for pods).
        primary_ip: Ipv4Addr,
        /// Secondary IPs it was created with.
        secondary_ips: u32,
        /// `/28` prefixes it was created with.
        prefixes: u32,
    },
    /// Secondary IPs added to an existing ENI.
    SecondaryIpsAssigned {
        /// The node.
        node: NodeId,
        /// The ENI.
        eni: EniId,
        /// The addresses.
        ips: Vec<Ipv4Addr>,
    },
    /// `/28` prefixes added to an existing ENI.
    PrefixesAssigned {
        /// The node.
        node: NodeId,
        /// The ENI.
        eni: EniId,
        /// The prefixes.
        prefixes: Vec<Ipv4Net>,
    },
    /// Warm secondary IPs given back to the subnet.
    SecondaryIpsReleased {
        /// The node.
        node: NodeId,
        /// The ENI.
        eni: EniId,
        /// The addresses.
        ips: Vec<Ipv4Addr>,
    },
    /// Unused prefixes given back to the subnet.
    PrefixesReleased {
        /// The node.
        node: NodeId,
        /// The ENI.
        eni: EniId,
        /// The prefixes.
        prefixes: Vec<Ipv4Net>,
    },
    /// An ENI detached and deleted, all its addresses back in the subnet.
    EniDeleted {
        /// The node.
        node: NodeId,
        /// The ENI.
        eni: EniId,
        /// Addresses returned to the subnet, primary included.
        addresses: u32,
    },
    /// The CNI gave a pod its IP.
    PodIpAssigned {
        /// The pod.
        pod: PodId,
        /// The node.
        node: NodeId,
        /// The ENI the address is on.
        eni: EniId,
        /// The address.
        ip: Ipv4Addr,
    },
    /// The CNI could not give a pod an IP: the pod stays ContainerCreating.
    PodSandboxFailed {
        /// The pod.
        pod: PodId,
        /// The node.
        node: NodeId,
    },
    /// A deleted pod's IP went back to the node's warm pool, after a cooldown.
    PodIpReleased {
        /// The pod.
        pod: PodId,
        /// The address.
        ip: Ipv4Addr,
        /// Seconds before it can be reused.
        cooldown_s: u32,
    },
    /// A line from ipamd's log.
    IpamdLog {
        /// The node whose ipamd logged it.
        node: NodeId,
        /// The line.
        message: String,
    },
}

impl fmt::Display for EventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::EniAttached { node, eni, subnet, device_index, primary_ip, secondary_ips, prefixes } => {
                let with = if *prefixes > 0 {
                    format!("{prefixes} /28 prefixes")
                } else {
                    format!("{secondary_ips} secondary IPs")
                };
                write!(f, "{node}: attached {eni} at device index {device_index} in {subnet} (primary IP {primary_ip}, created with {with})")
            }
            Self::SecondaryIpsAssigned { node, eni, ips } => {
                write!(f, "{node}: assigned {} secondary IPs to {eni} ({})", ips.len(), span(ips))
            }
            Self::PrefixesAssigned { node, eni, prefixes } => {
                write!(f, "{node}: assigned {} /28 prefixes to {eni} ({})", prefixes.len(), list(prefixes))
            }
            Self::SecondaryIpsReleased { node, eni, ips } => {
                write!(f, "{node}: released {} warm secondary IPs from {eni} ({})", ips.len(), span(ips))
            }
            Self::PrefixesReleased { node, eni, prefixes } => {
                write!(f, "{node}: released {} unused /28 prefixes from {eni} ({})", prefixes.len(), list(prefixes))
            }
            Self::EniDeleted { node, eni, addresses } => {
                write!(f, "{node}: detached and deleted {eni}; {addresses} addresses back in the subnet")
            }
            Self::PodIpAssigned { pod, node, eni, ip } => write!(f, "{pod} on {node}: got IP {ip} from {eni}"),
            Self::PodSandboxFailed { pod, node } => write!(
                f,
                "{pod} on {node}: Warning FailedCreatePodSandBox: Failed to create pod sandbox: rpc error: code = Unknown desc = \
                 failed to setup network for sandbox: plugin type=\"aws-cni\" name=\"aws-cni\" failed (add): \
                 add cmd: failed to assign an IP address to container"
            ),
            Self::PodIpReleased { pod, ip, cooldown_s } => {
                write!(f, "{pod}: released IP {ip}; it cools down for {cooldown_s} s before reuse")
            }
            Self::IpamdLog { node, message } => write!(f, "{node} ipamd: {message}"),
        }
    }
}

fn span(ips: &[Ipv4Addr]) -> String {
    match ips {
        [] => "none".into(),
        [one] => one.to_string(),
        [first, .., last] => format!("{first} … {last}"),
    }
}

fn list(nets: &[Ipv4Net]) -> String {
    nets.iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}
