//! Following the packets: a path hop by hop between two endpoints, how a
//! node joins the control plane, and whether the pod network is flat.
//!
//! Facts: domain-facts §2.1 (pod IPs, SNAT), §4 (X-ENIs, endpoint access,
//! API server → kubelet, control plane → pods, node join), §5–7 (each
//! overlay's encapsulation and overhead).
//!
//! Simplified, and said in the UI: route tables, internet and NAT gateways
//! are not modelled (traffic leaving the VPC is assumed to find a NAT
//! gateway or an internet gateway), nor network policies; security groups
//! only as the two rules EKS needs (443 to the API, 10250 to kubelets).

mod flat;
mod join;
#[cfg(test)]
mod tests;
mod trace;

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::ids::{EniId, NodeId, PodId, SubnetId};

pub use crate::sandbox::{Join, JoinStep, StepStatus};
pub use flat::{FlatCheck, PairCheck};
pub use trace::Endpoint;

/// Where a hop happens, for the page to light up on the map.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "at", rename_all = "kebab-case")]
pub enum Place {
    /// A pod.
    Pod {
        /// The pod.
        pod: PodId,
    },
    /// A node (its host network namespace).
    Node {
        /// The node.
        node: NodeId,
    },
    /// An ENI of a node.
    Eni {
        /// The ENI.
        eni: EniId,
    },
    /// A cross-account ENI of the control plane.
    XEni {
        /// The X-ENI.
        eni: EniId,
    },
    /// The VPC's router, in a subnet.
    Router {
        /// The subnet the packet is in.
        subnet: SubnetId,
    },
    /// The EKS control plane, in the AWS-managed account.
    ControlPlane,
    /// Outside the VPC: a NAT or internet gateway, the internet.
    Outside,
}

/// One layer of headers as seen at a hop.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Header {
    /// Source address (or a description when the model has no address).
    pub src: String,
    /// Destination.
    pub dst: String,
    /// Protocol and port, e.g. `TCP 443`, `UDP 8472 (VXLAN)`.
    pub proto: String,
}

impl Header {
    fn new(src: impl ToString, dst: impl ToString, proto: impl ToString) -> Self {
        Self {
            src: src.to_string(),
            dst: dst.to_string(),
            proto: proto.to_string(),
        }
    }
}

impl fmt::Display for Header {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} → {} {}", self.src, self.dst, self.proto)
    }
}

/// One hop of a path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hop {
    /// Where it happens.
    pub place: Place,
    /// What it is, e.g. `node ip-10-10-1-4`.
    pub title: String,
    /// The interface the packet leaves or enters by.
    pub interface: String,
    /// Headers as seen here, outermost first (two when encapsulated).
    pub headers: Vec<Header>,
    /// The route or rule that decides the next hop.
    pub decision: String,
    /// Where the rule comes from.
    pub source: String,
    /// MTU of the link here.
    pub mtu: u32,
    /// Bytes of encapsulation on the wire here.
    pub overhead: u32,
    /// The address translation done here, if any.
    pub nat: Option<String>,
    /// Why the packet goes no further, if it stops here.
    pub blocked: Option<String>,
}

/// A path between two endpoints, hop by hop.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Path {
    /// The source, in words.
    pub from: String,
    /// The destination, in words.
    pub to: String,
    /// The kind of path, e.g. `pod to pod, another node, another AZ`.
    pub kind: String,
    /// Whether the packet arrives.
    pub reachable: bool,
    /// The answer in one sentence.
    pub verdict: String,
    /// Whether an address translation happens on the way.
    pub nat: bool,
    /// The smallest pod-visible MTU on the way.
    pub mtu: u32,
    /// The hops, in order.
    pub hops: Vec<Hop>,
    /// The NetworkPolicy verdicts, when traced with a port.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy: Option<crate::query::reach::PolicyCheck>,
}

impl Path {
    /// The whole path as text, for screen readers and for notes.
    pub fn to_text(&self) -> String {
        let mut out = format!(
            "{} → {} ({})\n{}\n",
            self.from, self.to, self.kind, self.verdict
        );
        for (i, h) in self.hops.iter().enumerate() {
            out += &format!("{}. {} — {}\n", i + 1, h.title, h.interface);
            for (layer, hd) in h.headers.iter().enumerate() {
                let which = match (h.headers.len(), layer) {
                    (1, _) => "packet",
                    (_, 0) => "outer",
                    _ => "inner",
                };
                out += &format!("   {which}: {hd}\n");
            }
            out += &format!("   why: {} [{}]\n", h.decision, h.source);
            out += &format!("   MTU {}", h.mtu);
            if h.overhead > 0 {
                out += &format!(", {} bytes of encapsulation", h.overhead);
            }
            out += "\n";
            if let Some(nat) = &h.nat {
                out += &format!("   NAT: {nat}\n");
            }
            if let Some(b) = &h.blocked {
                out += &format!("   STOPS HERE: {b}\n");
            }
        }
        if let Some(p) = &self.policy {
            out += &format!(
                "NetworkPolicy, {}/{} ({}): {}
  {}
  {}
",
                p.port,
                p.protocol,
                p.enforcement,
                if p.allowed { "allowed" } else { "denied" },
                p.egress,
                p.ingress
            );
        }
        out.trim_end().to_owned()
    }
}

/// A trace or join the sandbox cannot answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum TraceError {
    /// No pod, node or address by that name.
    UnknownEndpoint {
        /// What was asked for.
        reference: String,
    },
    /// The pod has no IP yet.
    NoIp {
        /// The pod.
        pod: String,
    },
    /// There is no cluster (no API server, no X-ENIs) yet.
    NoCluster,
    /// Traces start at a pod, a node or the control plane, and the control
    /// plane calls pods and nodes.
    UnsupportedSource,
}

impl fmt::Display for TraceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::UnknownEndpoint { reference } => write!(f, "no pod, node or address \"{reference}\": use a pod name, a node name (ip-10-…), an IPv4 address, api-server or control-plane"),
            Self::NoIp { pod } => write!(f, "pod {pod} has no IP yet (it is Pending or ContainerCreating)"),
            Self::NoCluster => write!(f, "there is no EKS cluster yet: create one first"),
            Self::UnsupportedSource => write!(f, "a trace starts at a pod, a node or the control plane (which calls pods and nodes)"),
        }
    }
}

impl std::error::Error for TraceError {}
