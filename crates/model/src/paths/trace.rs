//! `trace(from, to)`: the hops a packet takes, under the cluster's CNI.

use crate::cni::Cni as _;
use std::net::Ipv4Addr;

use serde::{Deserialize, Serialize};

use super::{Header, Hop, Path, Place, TraceError};
use crate::cluster::{Node, Pod};
use crate::cni::Way;
use crate::eni::Eni;
use crate::ids::{NodeId, PodId};
use crate::sandbox::Sandbox;

/// MTU of an ENI inside a VPC (`AWS_VPC_ENI_MTU` 9001; jumbo frames).
const VPC_MTU: u32 = 9001;
/// MTU once traffic leaves the VPC for the internet.
const INTERNET_MTU: u32 = 1500;
const VPC_ROUTE: &str = "Amazon VPC User Guide, route tables (the local route)";

/// One end of a trace.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Endpoint {
    /// A pod (a hostNetwork pod is its node).
    Pod {
        /// The pod.
        pod: PodId,
    },
    /// A node's host network.
    Node {
        /// The node.
        node: NodeId,
    },
    /// Any other address: a host in the VPC, or outside it.
    Address {
        /// The address.
        ip: Ipv4Addr,
    },
    /// The cluster's API server endpoint (as a destination).
    ApiServer,
    /// The EKS control plane (as a source: the API server calling out).
    ControlPlane,
}

/// A resolved end: who, which IP, which node.
#[derive(Clone, Copy)]
enum End<'a> {
    Pod(&'a Pod, &'a Node, Ipv4Addr),
    Node(&'a Node, Ipv4Addr),
    VpcHost(Ipv4Addr),
    Internet(Ipv4Addr),
    Api,
}

impl Sandbox {
    /// Resolves a pod name, node name, IPv4 address, `api-server` or
    /// `control-plane`.
    ///
    /// # Errors
    /// [`TraceError::UnknownEndpoint`].
    pub fn endpoint(&self, reference: &str) -> Result<Endpoint, TraceError> {
        let r = reference.trim();
        match r {
            "api-server" | "api" | "apiserver" => return Ok(Endpoint::ApiServer),
            "control-plane" | "controlplane" => return Ok(Endpoint::ControlPlane),
            _ => {}
        }
        // `namespace/name`, or a name (the first pod of that name).
        let by_name = match r.split_once('/') {
            Some((ns, name)) => self
                .pods
                .values()
                .find(|p| p.namespace == ns && p.name == name),
            None => self.pods.values().find(|p| p.name == r),
        };
        if let Some(p) = by_name {
            return Ok(Endpoint::Pod { pod: p.id });
        }
        if let Some(n) = self
            .nodes
            .values()
            .find(|n| n.name == r || n.id.to_string() == r)
        {
            return Ok(Endpoint::Node { node: n.id });
        }
        let ip: Ipv4Addr = r.parse().map_err(|_| TraceError::UnknownEndpoint {
            reference: r.to_owned(),
        })?;
        if let Some(p) = self
            .pods
            .values()
            .find(|p| p.ip == Some(ip) && !p.host_network)
        {
            return Ok(Endpoint::Pod { pod: p.id });
        }
        if let Some(n) = self.nodes.values().find(|n| n.ip() == Some(ip)) {
            return Ok(Endpoint::Node { node: n.id });
        }
        Ok(Endpoint::Address { ip })
    }

    /// The path a packet takes from `from` to `to`, hop by hop.
    ///
    /// # Errors
    /// [`TraceError`] for an unknown end, a pod without an IP, or no cluster
    /// when the control plane is involved.
    pub fn trace(&self, from: Endpoint, to: Endpoint) -> Result<Path, TraceError> {
        if from == Endpoint::ControlPlane || from == Endpoint::ApiServer {
            return self.control_plane_to(self.end(to)?);
        }
        let src = self.end(from)?;
        if matches!(src, End::VpcHost(_) | End::Internet(_) | End::Api) {
            return Err(TraceError::UnsupportedSource);
        }
        let dst = if to == Endpoint::ControlPlane {
            End::Api
        } else {
            self.end(to)?
        };
        match dst {
            End::Api => self.to_api(src),
            End::Internet(ip) => self.to_outside(src, ip),
            End::VpcHost(ip) => self.to_vpc_host(src, ip),
            End::Pod(..) | End::Node(..) => self.between(src, dst),
        }
    }

    /// [`Sandbox::trace`] for a connection to `port`/`protocol`, with the
    /// NetworkPolicy verdicts on both sides when the ends are pods or
    /// addresses. A denied connection does not arrive (where the CNI
    /// enforces policy).
    ///
    /// # Errors
    /// As [`Sandbox::trace`].
    pub fn trace_port(
        &self,
        from: Endpoint,
        to: Endpoint,
        port: u16,
        protocol: crate::netpol::Protocol,
    ) -> Result<Path, TraceError> {
        let mut path = self.trace(from, to)?;
        Self::set_port(&mut path, port, protocol);
        let mut addresses = Vec::new();
        // The X-ENI the path goes through: the one in the other end's AZ.
        let node_of = |e: Endpoint| match e {
            Endpoint::Pod { pod } => self.pods.get(&pod).and_then(|p| p.node),
            Endpoint::Node { node } => Some(node),
            _ => None,
        };
        let xeni_for = |other: Endpoint| {
            let c = self.cluster.as_ref()?;
            node_of(other)
                .and_then(|n| self.nodes.get(&n))
                .and_then(|n| self.nearest_xeni_of(n))
                .or_else(|| c.xenis.first())
                .map(|x| x.primary_ip)
        };
        let mut party = |e: Endpoint, other: Endpoint| -> Option<String> {
            let ip = match e {
                Endpoint::Pod { pod } => {
                    let p = self.pods.get(&pod)?;
                    if !p.host_network {
                        return Some(crate::query::reach::party_name(p));
                    }
                    p.node
                        .and_then(|n| self.nodes.get(&n))
                        .and_then(|n| n.ip())?
                }
                Endpoint::Node { node } => self.nodes.get(&node).and_then(|n| n.ip())?,
                Endpoint::Address { ip } => ip,
                // The control plane reaches into the VPC, and nodes reach a
                // private endpoint, through the X-ENIs: to the pods' policies
                // these are the X-ENIs' VPC addresses.
                Endpoint::ApiServer | Endpoint::ControlPlane => xeni_for(other)?,
            };
            addresses.push(ip);
            Some(ip.to_string())
        };
        let (Some(a), Some(b)) = (party(from, to), party(to, from)) else {
            return Ok(path);
        };
        let check = crate::query::reach::check_between(self, &a, &b, port, protocol, &addresses);
        if let Some(c) = &check {
            if !c.allowed && path.reachable {
                path.reachable = false;
                // The drop first, then what the route alone would do (every
                // verdict starts with an address or a lowercase word).
                path.verdict = format!(
                    "NetworkPolicy drops it on port {port}/{protocol}; without the policy, {}",
                    path.verdict
                );
                // The enforcers filter on the pod's host-side interface
                // (the VPC CNI agent's eBPF on the host veth, Calico's
                // cali*, Cilium's lxc*): egress as the packet leaves the
                // source pod, ingress just before it enters the destination.
                let egress_denies = c.egress_denies;
                let at = if egress_denies {
                    0
                } else {
                    path.hops.len().saturating_sub(2)
                };
                path.hops.truncate(at + 1);
                if let Some(h) = path.hops.last_mut() {
                    h.blocked = Some(format!(
                        "NetworkPolicy drops it here: {}",
                        if egress_denies { &c.egress } else { &c.ingress }
                    ));
                }
            }
        }
        path.policy = check;
        Ok(path)
    }

    /// The traced packet's own protocol and port in every header that
    /// carried the example one (an encapsulating header keeps its own).
    fn set_port(path: &mut Path, port: u16, protocol: crate::netpol::Protocol) {
        let Some(example) = path
            .hops
            .first()
            .and_then(|h| h.headers.last())
            .map(|x| x.proto.clone())
        else {
            return;
        };
        let traced = format!("{protocol} {port}");
        for h in path.hops.iter_mut().flat_map(|h| h.headers.iter_mut()) {
            if h.proto == example {
                h.proto.clone_from(&traced);
            }
        }
    }

    fn end(&self, e: Endpoint) -> Result<End<'_>, TraceError> {
        let unknown = |r: String| TraceError::UnknownEndpoint { reference: r };
        Ok(match e {
            Endpoint::Pod { pod } => {
                let p = self
                    .pods
                    .get(&pod)
                    .ok_or_else(|| unknown(pod.to_string()))?;
                let ip = p.ip.ok_or_else(|| TraceError::NoIp {
                    pod: p.name.clone(),
                })?;
                let n =
                    p.node
                        .and_then(|n| self.nodes.get(&n))
                        .ok_or_else(|| TraceError::NoIp {
                            pod: p.name.clone(),
                        })?;
                if p.host_network {
                    End::Node(n, ip)
                } else {
                    End::Pod(p, n, ip)
                }
            }
            Endpoint::Node { node } => {
                let n = self
                    .nodes
                    .get(&node)
                    .ok_or_else(|| unknown(node.to_string()))?;
                End::Node(n, n.ip().unwrap_or(Ipv4Addr::UNSPECIFIED))
            }
            Endpoint::Address { ip } => {
                if self.vpc.cidrs.iter().any(|c| c.contains(&ip)) {
                    End::VpcHost(ip)
                } else {
                    End::Internet(ip)
                }
            }
            Endpoint::ApiServer | Endpoint::ControlPlane => End::Api,
        })
    }

    /// Pod or node to pod or node.
    fn between(&self, src: End, dst: End) -> Result<Path, TraceError> {
        let (sn, sip) = host_of(src)?;
        let (dn, dip) = host_of(dst)?;
        let pods = matches!(src, End::Pod(..)) && matches!(dst, End::Pod(..));
        let kind = if sn.id == dn.id {
            "same node".to_owned()
        } else {
            format!("another node, {}", self.distance(sn, dn))
        };
        let kind = format!("{} to {}, {kind}", who(src), who(dst));
        let mut hops = Vec::new();
        let pkt = Header::new(sip, dip, "TCP 8080");
        if let End::Pod(p, n, _) = src {
            hops.push(self.pod_out(p, n, &pkt));
        }
        let carry = self.carry(sn, dn, src, dst);
        let mut reachable = true;
        if sn.id == dn.id {
            hops.push(self.host_local(sn, dip, &pkt));
        } else {
            match carry {
                Way::Vpc => {
                    hops.push(self.eni_out(sn, sip, &pkt, src));
                    hops.push(self.router(sn, dip, &pkt, dn));
                    hops.push(self.eni_in(dn, dip, &pkt, dst));
                }
                Way::Tunnel(tunnel) => {
                    let (proto, overhead, source) =
                        (tunnel.protocol, tunnel.overhead, tunnel.source);
                    let (snip, dnip) = (ip_of(sn), ip_of(dn));
                    let outer = Header::new(snip, dnip, proto);
                    let mut h = self.node_hop(sn, format!("{} (encapsulates)", tunnel.device), vec![outer.clone(), pkt.clone()], format!("route to {dip}'s node range via the tunnel device: the packet is wrapped in {proto} to {} ({dnip})", dn.name), source);
                    h.overhead = overhead;
                    h.mtu = VPC_MTU;
                    hops.push(h);
                    let mut r = self.router(sn, dnip, &outer, dn);
                    r.headers = vec![outer.clone(), pkt.clone()];
                    r.decision += "; the VPC sees only the node addresses on the outside";
                    r.overhead = overhead;
                    hops.push(r);
                    let mut h = self.node_hop(
                        dn,
                        format!("{} (decapsulates)", tunnel.device),
                        vec![outer, pkt.clone()],
                        "the tunnel device unwraps the packet and routes the inner one to the pod"
                            .into(),
                        source,
                    );
                    h.overhead = overhead;
                    hops.push(h);
                }
                Way::Direct(source) => {
                    let same_subnet = sn.subnet == dn.subnet;
                    let mut h = self.node_hop(sn, "eth0".into(), vec![pkt.clone()], format!("route to {dip}'s node range via {} (no encapsulation): the packet leaves with the pod address as source", ip_of(dn)), source);
                    if same_subnet {
                        h.decision += "; within one subnet this works only with the EC2 source/destination check off on both nodes (the model assumes it is)";
                        hops.push(h);
                    } else {
                        h.blocked = Some(format!("the VPC router has no route to {dip}: its route tables know only the VPC's blocks, not the nodes' pod ranges, so the packet is dropped between subnets"));
                        hops.push(h);
                        reachable = false;
                    }
                }
            }
            if reachable {
                hops.push(self.host_local(dn, dip, &pkt));
            }
        }
        if let (End::Pod(p, n, _), true) = (dst, reachable) {
            hops.push(self.pod_in(p, n, &pkt));
        }
        let mtu = if pods || matches!(src, End::Pod(..)) || matches!(dst, End::Pod(..)) {
            self.cni.strategy().datapath().mtu(VPC_MTU)
        } else {
            VPC_MTU
        };
        let verdict = if reachable {
            format!("{dip} receives the packet from {sip} unchanged: no NAT on the way")
        } else {
            format!("{dip} is unreachable from {sip}")
        };
        Ok(Path {
            from: describe(src),
            to: describe(dst),
            kind,
            reachable,
            verdict,
            nat: false,
            mtu,
            hops,
            policy: None,
        })
    }

    /// Pod or node to an address of the VPC that is no pod and no node.
    fn to_vpc_host(&self, src: End, ip: Ipv4Addr) -> Result<Path, TraceError> {
        let (sn, sip) = host_of(src)?;
        let pkt = Header::new(sip, ip, "TCP 5432");
        let mut hops = Vec::new();
        let mut nat = None;
        if let End::Pod(p, n, _) = src {
            hops.push(self.pod_out(p, n, &pkt));
        }
        let out = if matches!(src, End::Pod(..)) && !self.cni.uses_enis() {
            // Overlays masquerade what leaves the pod range.
            let node_ip = ip_of(sn);
            let m = self.cni.strategy().datapath().masquerade;
            let (rule, source) = (m.rule, m.source);
            nat = Some(m.text(sip, node_ip));
            let snat = Header::new(node_ip, ip, "TCP 5432");
            let mut h = self.node_hop(
                sn,
                "eth0".into(),
                vec![snat.clone()],
                format!("{ip} is outside the pod range: {rule} rewrites the source to the node IP"),
                source,
            );
            h.nat = nat.clone();
            hops.push(h);
            snat
        } else {
            hops.push(self.eni_out(sn, sip, &pkt, src));
            pkt.clone()
        };
        let subnet = self.vpc.subnets.values().find(|s| s.cidr.contains(&ip));
        let mut r = self.router(sn, ip, &out, sn);
        r.decision = format!(
            "{ip} is in the VPC ({}): the local route delivers it",
            subnet.map_or_else(
                || "no subnet of the sandbox".to_owned(),
                |s| format!("subnet {}", s.name)
            )
        );
        hops.push(r);
        let verdict = match &nat {
            Some(n) => format!("{ip} sees the node IP, not the pod: {n}"),
            None => format!("{ip} sees {sip}: pod IPs are VPC addresses, no NAT inside the VPC"),
        };
        Ok(Path {
            from: describe(src),
            to: format!("VPC host {ip}"),
            kind: format!("{} to a VPC host", who(src)),
            reachable: true,
            verdict,
            nat: nat.is_some(),
            mtu: self.pod_mtu(src),
            hops,
            policy: None,
        })
    }

    /// Pod or node to an address outside the VPC.
    fn to_outside(&self, src: End, ip: Ipv4Addr) -> Result<Path, TraceError> {
        let (sn, sip) = host_of(src)?;
        let node_ip = ip_of(sn);
        let pkt = Header::new(sip, ip, "TCP 443");
        let mut hops = Vec::new();
        if let End::Pod(p, n, _) = src {
            hops.push(self.pod_out(p, n, &pkt));
        }
        let m = self.cni.strategy().datapath().masquerade;
        let branch = match src {
            End::Pod(p, n, _) if p.security_groups => {
                n.ipam.branches.iter().find(|b| b.pod == p.id)
            }
            _ => None,
        };
        // Who keeps the pod address on the way out: a node's own traffic, and
        // under the VPC CNI a pod with external SNAT, or a branch-ENI pod in
        // strict mode (CNI README: POD_SECURITY_GROUP_ENFORCING_MODE).
        let keeps_pod_ip = matches!(src, End::Pod(..))
            && (m.external || (branch.is_some() && m.branch_pods_exempt));
        let (nat, out) = match src {
            End::Node(..) => (None, pkt.clone()),
            _ if keeps_pod_ip => (None, pkt.clone()),
            _ => (
                Some((m.text(sip, node_ip), m.source)),
                Header::new(node_ip, ip, "TCP 443"),
            ),
        };
        // The subnet whose route table decides: the one of the interface
        // the packet leaves by.
        let mut out_subnet = sn.subnet;
        let mut h = match (&nat, branch) {
            (Some((n, source)), _) => {
                let why = m.leaving_the_vpc(ip, branch.is_some());
                let mut h = self.node_hop(sn, "eth0".into(), vec![out.clone()], why, source);
                h.nat = Some(n.clone());
                h
            }
            (None, Some(b)) => {
                out_subnet = b.subnet;
                let trunk = sn.ipam.trunk();
                let mode = if m.branch_pods_exempt {
                    "POD_SECURITY_GROUP_ENFORCING_MODE=strict: all of the pod's traffic goes through its branch ENI and the pod's own security groups; the node does not SNAT it"
                } else {
                    "standard mode with external SNAT: not SNATed, so the pod's own security groups apply"
                };
                let mut h = self.node_hop(sn, format!("trunk {} VLAN {} (branch {})", trunk.map(|t| t.id.to_string()).unwrap_or_default(), b.vlan, b.id), vec![out.clone()], format!("{mode}; it leaves tagged VLAN {} on the trunk ENI with the pod IP {sip} as source, so a NAT gateway must translate it", b.vlan), "CNI README.md (POD_SECURITY_GROUP_ENFORCING_MODE); EKS User Guide, security-groups-for-pods");
                if let Some(t) = trunk {
                    h.place = Place::Eni { eni: t.id };
                }
                h
            }
            (None, None) if keeps_pod_ip => {
                let mut h = self.eni_out(sn, sip, &out, src);
                if let Some(e) = eni_holding(sn, sip) {
                    out_subnet = e.subnet;
                }
                h.decision = format!("AWS_VPC_K8S_CNI_EXTERNALSNAT=true: no SNAT and no connmark, so {}; the source stays the pod IP {sip} and a NAT gateway must translate it", if h.interface.starts_with("eth0") { "the main route table sends it out eth0".to_owned() } else { format!("ip rule 1536 (from {sip} lookup the ENI's table) sends it out {}, the ENI that holds the address", h.interface) });
                h.source = "CNI README.md (AWS_VPC_K8S_CNI_EXTERNALSNAT); pkg/networkutils/network.go (FromPodRulePriority 1536)".into();
                h
            }
            (None, None) => self.node_hop(
                sn,
                "eth0".into(),
                vec![out.clone()],
                "the node's default route: out eth0".into(),
                "Linux routing",
            ),
        };
        h.mtu = VPC_MTU;
        hops.push(h);
        let mut r = self.router(sn, ip, &out, sn);
        r.place = Place::Router { subnet: out_subnet };
        let way = self.way_out(out_subnet, node_ip);
        r.source = "Amazon VPC User Guide, route tables; NAT gateways; internet gateways".into();
        let way = match way {
            Ok(crate::egress::WayOut::Internet { .. }) if keeps_pod_ip => {
                r.decision = "the subnet routes 0.0.0.0/0 to the internet gateway, which only maps an instance's primary private IP to its public IP".into();
                r.blocked = Some(format!("{sip} is a pod address with no public IPv4: the internet gateway drops it. \"SNAT is required for nodes that reside in a public subnet\"; external SNAT needs a NAT gateway"));
                r.source = "EKS User Guide, external-snat (SNAT for Pods)".into();
                hops.push(r);
                return Ok(Path {
                    from: describe(src),
                    to: format!("{ip} (outside the VPC)"),
                    kind: format!("{} to outside the VPC", who(src)),
                    reachable: false,
                    verdict: format!("no way out for {sip}: the pod keeps its private address and the subnet has only an internet gateway"),
                    nat: false,
                    mtu: self.pod_mtu(src),
                    hops,
                    policy: None,
                });
            }
            Ok(w) => {
                r.decision = format!(
                    "the subnet's route table sends 0.0.0.0/0 {}",
                    crate::sandbox::way_text(&w)
                );
                w
            }
            Err(why) => {
                r.decision = format!("the subnet's route table has no route for {ip}: {why}");
                r.blocked = Some(format!(
                    "no route out of the VPC: the connection to {ip} times out"
                ));
                hops.push(r);
                return Ok(Path {
                    from: describe(src),
                    to: format!("{ip} (outside the VPC)"),
                    kind: format!("{} to outside the VPC", who(src)),
                    reachable: false,
                    verdict: format!("no way out: {why}"),
                    nat: nat.is_some(),
                    mtu: self.pod_mtu(src),
                    hops,
                    policy: None,
                });
            }
        };
        hops.push(r);
        let public = way
            .public_ip()
            .map_or_else(|| "the gateway's public IP".to_owned(), |p| p.to_string());
        let (title, decision) = match &way {
            crate::egress::WayOut::Nat { .. } => ("NAT gateway", format!("the NAT gateway translates the private source to its Elastic IP {public}, then the internet gateway")),
            crate::egress::WayOut::Internet { .. } => ("internet gateway", format!("the internet gateway maps the instance's private IP to its public IP {public} 1:1")),
            crate::egress::WayOut::Assumed => ("NAT gateway or internet gateway", "a NAT gateway translates the private source to its Elastic IP (an internet gateway maps a public IP 1:1); this scenario predates route tables".to_owned()),
        };
        let mut g = Hop {
            place: Place::Outside,
            title: title.into(),
            interface: "out of the VPC".into(),
            headers: vec![Header::new(public.clone(), ip, "TCP 443")],
            decision,
            source: "Amazon VPC User Guide, NAT gateways; internet gateways".into(),
            mtu: INTERNET_MTU,
            overhead: 0,
            nat: Some(format!("SNAT {} → {public}", out.src)),
            blocked: None,
        };
        if m.external {
            g.decision += "; with external SNAT this is the only translation";
        }
        hops.push(g);
        let verdict = match nat {
            Some((n, _)) => format!(
                "{ip} sees {public}: {n}, then the gateway's own NAT; 1500-byte MTU beyond the VPC"
            ),
            None => format!(
                "{ip} sees {public}: only the {title} translates {}; 1500-byte MTU beyond the VPC",
                out.src
            ),
        };
        Ok(Path {
            from: describe(src),
            to: format!("{ip} (outside the VPC)"),
            kind: format!("{} to outside the VPC", who(src)),
            reachable: true,
            verdict,
            nat: true,
            mtu: INTERNET_MTU.min(self.pod_mtu(src)),
            hops,
            policy: None,
        })
    }

    /// A node or pod to the API server. A pod calls the `kubernetes`
    /// service, whose EndpointSlice lists the X-ENIs' addresses, so it goes
    /// through an X-ENI whatever the endpoint access; only the kubelet
    /// resolves the endpoint's name, so only it follows DNS to the public
    /// endpoint (aws/containers-roadmap issue 2804; re:Post, "EKS kubernetes
    /// service and inter-AZ traffic").
    fn to_api(&self, src: End) -> Result<Path, TraceError> {
        let c = self.cluster.as_ref().ok_or(TraceError::NoCluster)?;
        let (sn, sip) = host_of(src)?;
        let host = self.api_endpoint();
        let route = match src {
            End::Pod(..) => crate::sandbox::ApiRoute::Xeni {
                resolved: "the kubernetes service's endpoints are the X-ENIs' addresses (its EndpointSlice), whatever the endpoint access".into(),
            },
            _ => self.kubelet_route(sn),
        };
        let private = matches!(route, crate::sandbox::ApiRoute::Xeni { .. });
        let mut hops = Vec::new();
        let xeni = self.nearest_xeni_of(sn);
        let xip = xeni.map_or(Ipv4Addr::UNSPECIFIED, |x| x.primary_ip);
        let mut pkt = Header::new(
            sip,
            if private {
                xip.to_string()
            } else {
                "the public endpoint".into()
            },
            "TCP 443",
        );
        let mut nat = None;
        if let End::Pod(p, n, _) = src {
            let svc = std::net::Ipv4Addr::from(u32::from(c.service_cidr().network()) + 1);
            let to_svc = Header::new(sip, svc, "TCP 443");
            hops.push(self.pod_out(p, n, &to_svc));
            let dnat = format!("DNAT {svc}:443 → {xip}:443 (kube-proxy: the kubernetes service's EndpointSlice lists the X-ENIs' addresses)");
            if !self.cni.uses_enis() {
                let m = self.cni.strategy().datapath().masquerade;
                pkt.src = ip_of(sn).to_string();
                nat = Some(format!("{dnat}; {}", m.text(sip, &pkt.src)));
            } else {
                nat = Some(dnat);
            }
            let mut h = self.node_hop(sn, "kube-proxy rules".into(), vec![pkt.clone()], format!("the pod calls kubernetes.default ({svc}), the first address of the service CIDR; in-cluster clients never resolve the endpoint's name"), "Kubernetes kube-proxy; EKS User Guide, create-cluster.adoc (service CIDR); aws/containers-roadmap issue 2804");
            h.nat = nat.clone();
            hops.push(h);
        }
        let mut reachable = true;
        let mut failure = String::new();
        match &route {
            crate::sandbox::ApiRoute::Fails {
                detail, message, ..
            } => {
                let mut h = self.node_hop(sn, "eth0".into(), vec![pkt.clone()], detail.clone(), "EKS User Guide, cluster-endpoint.adoc; Amazon VPC User Guide, DNS attributes, route tables");
                h.blocked = Some(format!("`{message}`"));
                hops.push(h);
                reachable = false;
                failure.clone_from(detail);
            }
            crate::sandbox::ApiRoute::Xeni { resolved } => {
                let mut h = self.node_hop(
                    sn,
                    "eth0".into(),
                    vec![pkt.clone()],
                    format!("{resolved}: {xip} is in the VPC"),
                    "EKS User Guide, cluster-endpoint.adoc",
                );
                h.mtu = VPC_MTU;
                hops.push(h);
                let xsubnet = xeni.map(|x| x.subnet);
                let mut r = self.router(sn, xip, &pkt, sn);
                if let Some(s) = xsubnet {
                    r.place = Place::Router { subnet: s };
                }
                hops.push(r);
                let mut x = self.xeni_hop(xeni, vec![pkt.clone()], "the X-ENI is a requester-managed ENI in your account and cluster subnet (description \"Amazon EKS <cluster>\"), attached to an instance in the EKS account; the cluster security group filters what comes in".into());
                if !c.rules.api_443 {
                    x.blocked = Some("the cluster security group does not allow TCP 443 from the nodes: the kubelet sees `dial tcp …:443: i/o timeout`".into());
                    reachable = false;
                    failure =
                        "blocked at the X-ENI: the cluster security group does not allow TCP 443"
                            .into();
                }
                hops.push(x);
            }
            crate::sandbox::ApiRoute::Public { why, way } => {
                let mut h = self.node_hop(
                    sn,
                    "eth0".into(),
                    vec![pkt.clone()],
                    format!("{why}: {host} resolves to the public endpoint, out of the VPC"),
                    "EKS User Guide, cluster-endpoint.adoc",
                );
                h.mtu = VPC_MTU;
                hops.push(h);
                let out = way
                    .public_ip()
                    .map_or_else(|| "the gateway's public IP".to_owned(), |p| p.to_string());
                hops.push(Hop {
                    place: Place::Outside,
                    title: "NAT gateway or internet gateway".into(),
                    interface: "out of the VPC".into(),
                    headers: vec![Header::new(out.clone(), "the public endpoint", "TCP 443")],
                    decision: format!("{}: requests \"leave the VPC but not Amazon's network\"; the endpoint's public access CIDRs must include {out}", crate::sandbox::way_text(way)),
                    source: "EKS User Guide, cluster-endpoint.adoc; Amazon VPC User Guide, NAT gateways".into(),
                    mtu: INTERNET_MTU,
                    overhead: 0,
                    nat: Some(format!("SNAT {} → {out}", pkt.src)),
                    blocked: None,
                });
                nat = Some("NAT at the gateway".into());
            }
        }
        if reachable {
            hops.push(self.control_plane_hop(
                vec![],
                "kube-apiserver answers on 443 (TLS, the cluster CA)".into(),
            ));
        }
        let verdict = match (reachable, private) {
            (false, _) => failure,
            (true, true) => {
                format!("through X-ENI {xip} in your cluster subnet: the private endpoint")
            }
            (true, false) => "out of the VPC to the public endpoint".to_owned(),
        };
        Ok(Path {
            from: describe(src),
            to: format!("API server ({host})"),
            kind: format!(
                "{} to the API server, {} endpoint",
                who(src),
                if private { "private" } else { "public" }
            ),
            reachable,
            verdict,
            nat: nat.is_some(),
            mtu: if private {
                self.pod_mtu(src)
            } else {
                INTERNET_MTU
            },
            hops,
            policy: None,
        })
    }

    /// The control plane calling a kubelet (exec, logs) or a pod (a webhook).
    fn control_plane_to(&self, dst: End) -> Result<Path, TraceError> {
        let c = self.cluster.as_ref().ok_or(TraceError::NoCluster)?;
        let (dn, dip) = match dst {
            End::Pod(_, n, ip) | End::Node(n, ip) => (n, ip),
            End::VpcHost(_) | End::Internet(_) | End::Api => {
                return Err(TraceError::UnsupportedSource);
            }
        };
        let xeni = self.nearest_xeni_of(dn);
        let xip = xeni.map_or(Ipv4Addr::UNSPECIFIED, |x| x.primary_ip);
        let (port, what) = match dst {
            End::Pod(..) => ("TCP 443", "a webhook in a pod"),
            _ => ("TCP 10250", "the kubelet (kubectl exec, logs)"),
        };
        let pkt = Header::new(xip, dip, port);
        let mut hops = vec![self.control_plane_hop(vec![pkt.clone()], format!("kube-apiserver calls {what} at {dip}: it leaves through an X-ENI in your VPC, whatever the endpoint access"))];
        hops.push(self.xeni_hop(
            xeni,
            vec![pkt.clone()],
            "the X-ENIs carry exec, logs, proxy and webhook calls into the VPC".into(),
        ));
        let mut reachable = true;
        let routable = self.cni.strategy().datapath().vpc_routable;
        let mut r = self.router(dn, dip, &pkt, dn);
        if let Some(x) = xeni {
            r.place = Place::Router { subnet: x.subnet };
        }
        if matches!(dst, End::Pod(..)) && !routable {
            r.blocked = Some(format!("no route to {dip}: it exists only inside the {} overlay, and the control plane is not part of it (run the webhook with hostNetwork: true)", self.cni.strategy().name()));
            r.decision = "the VPC's route tables know only the VPC's blocks".into();
            reachable = false;
        }
        hops.push(r);
        if reachable {
            let mut e = self.eni_in(dn, dip, &pkt, dst);
            if matches!(dst, End::Node(..)) && !c.rules.kubelet_10250 {
                e.blocked = Some(format!("the node's security group does not allow TCP 10250 from the cluster security group: `Error from server: error dialing backend: dial tcp {dip}:10250: i/o timeout`"));
                reachable = false;
            }
            hops.push(e);
        }
        if let (End::Pod(p, n, _), true) = (dst, reachable) {
            hops.push(self.host_local(n, dip, &pkt));
            hops.push(self.pod_in(p, n, &pkt));
        }
        let verdict = if reachable {
            format!("the control plane reaches {dip} through X-ENI {xip}")
        } else if matches!(dst, End::Pod(..)) {
            format!("the control plane cannot reach {dip}: overlay pod IPs are not VPC addresses")
        } else {
            format!("blocked: nothing reaches the kubelet on {dip}:10250")
        };
        Ok(Path {
            from: "EKS control plane (kube-apiserver)".into(),
            to: describe(dst),
            kind: format!("control plane to {}", who(dst)),
            reachable,
            verdict,
            nat: false,
            mtu: VPC_MTU,
            hops,
            policy: None,
        })
    }

    // ---- how pods travel between nodes ----

    fn carry(&self, sn: &Node, dn: &Node, src: End, dst: End) -> Way {
        // Node-to-node (host network) traffic is plain VPC traffic.
        if matches!(src, End::Node(..)) && matches!(dst, End::Node(..)) {
            return Way::Vpc;
        }
        self.cni
            .strategy()
            .datapath()
            .crossing
            .between(sn.subnet == dn.subnet)
    }

    fn distance(&self, a: &Node, b: &Node) -> String {
        let az = |n: &Node| self.vpc.subnets.get(&n.subnet).map(|s| s.az.clone());
        if a.subnet == b.subnet {
            "same subnet".into()
        } else if az(a) == az(b) {
            "another subnet, same AZ".into()
        } else {
            "another AZ".into()
        }
    }

    fn pod_mtu(&self, src: End) -> u32 {
        if matches!(src, End::Pod(..)) {
            self.cni.strategy().datapath().mtu(VPC_MTU)
        } else {
            VPC_MTU
        }
    }

    // ---- hops ----

    fn pod_out(&self, p: &Pod, n: &Node, pkt: &Header) -> Hop {
        let (iface, decision, source) = self.pod_netns(p, n);
        Hop {
            place: Place::Pod { pod: p.id },
            title: format!("pod {}", p.name),
            interface: iface,
            headers: vec![pkt.clone()],
            decision,
            source,
            mtu: self.cni.strategy().datapath().mtu(VPC_MTU),
            overhead: 0,
            nat: None,
            blocked: None,
        }
    }

    fn pod_in(&self, p: &Pod, n: &Node, pkt: &Header) -> Hop {
        let (iface, _, source) = self.pod_netns(p, n);
        Hop {
            place: Place::Pod { pod: p.id },
            title: format!("pod {}", p.name),
            interface: iface,
            headers: vec![pkt.clone()],
            decision: "delivered to the pod's eth0".into(),
            source,
            mtu: self.cni.strategy().datapath().mtu(VPC_MTU),
            overhead: 0,
            nat: None,
            blocked: None,
        }
    }

    fn pod_netns(&self, p: &Pod, n: &Node) -> (String, String, String) {
        let ip = p.ip.map(|i| i.to_string()).unwrap_or_default();
        // The gateway of a bridge: the first address of the node's range.
        let gw = n
            .overlay
            .as_ref()
            .map(|o| Ipv4Addr::from(u32::from(o.cidr.network()).saturating_add(1)));
        self.cni
            .strategy()
            .datapath()
            .wiring
            .pod_side(&ip, gw, p.security_groups)
    }

    fn node_hop(
        &self,
        n: &Node,
        interface: String,
        headers: Vec<Header>,
        decision: String,
        source: &str,
    ) -> Hop {
        Hop {
            place: Place::Node { node: n.id },
            title: format!("node {}", n.name),
            interface,
            headers,
            decision,
            source: source.into(),
            mtu: VPC_MTU,
            overhead: 0,
            nat: None,
            blocked: None,
        }
    }

    /// On one node, to a local pod or the host itself.
    fn host_local(&self, n: &Node, dip: Ipv4Addr, pkt: &Header) -> Hop {
        let (iface, decision, source) = self.cni.strategy().datapath().wiring.host_side(dip);
        let mut h = self.node_hop(n, iface.into(), vec![pkt.clone()], decision, source);
        if n.ip() == Some(dip) {
            h.interface = "host network".into();
            h.decision = format!("{dip} is the node's own address");
        }
        h
    }

    /// Out of a node through the ENI that holds the source address (a
    /// branch-ENI pod: through the trunk, on its VLAN).
    fn eni_out(&self, n: &Node, sip: Ipv4Addr, pkt: &Header, src: End) -> Hop {
        if let Some(b) = n.ipam.branches.iter().find(|b| b.ip == sip) {
            let trunk = n.ipam.trunk();
            let strict = self.cni.strategy().datapath().wiring.branch_strict();
            let mode = if strict {
                "strict mode: every packet of the pod, even to a pod on the same node, leaves by its branch ENI and is filtered by the pod's own security groups"
            } else {
                "standard mode: traffic to other hosts leaves by the branch ENI with the pod's own security groups; traffic within the node does not"
            };
            let mut h = self.node_hop(
                n,
                format!(
                    "trunk {} VLAN {} (branch {})",
                    trunk.map(|t| t.id.to_string()).unwrap_or_default(),
                    b.vlan,
                    b.id
                ),
                vec![pkt.clone()],
                format!("{sip} is the pod's branch ENI, VLAN {} on the node's trunk ENI: {mode}", b.vlan),
                "CNI README.md (POD_SECURITY_GROUP_ENFORCING_MODE); EKS User Guide, security-groups-for-pods",
            );
            if let Some(t) = trunk {
                h.place = Place::Eni { eni: t.id };
            }
            return h;
        }
        let eni = eni_holding(n, sip);
        let (place, name) = match eni {
            Some(e) => (
                Place::Eni { eni: e.id },
                format!("eth{} ({})", e.device_index, e.id),
            ),
            None => (Place::Node { node: n.id }, "eth0".into()),
        };
        let decision = match (src, eni) {
            (End::Pod(..), Some(e)) if e.device_index > 0 => format!("ip rule: from {sip} lookup the route table of eth{}: a pod leaves by the ENI that holds its address", e.device_index),
            (End::Pod(..), _) => format!("{sip} is on eth0: the main route table, out eth0"),
            _ => "the node's own address: out eth0".into(),
        };
        let mut h = self.node_hop(
            n,
            name,
            vec![pkt.clone()],
            decision,
            "CNI docs/cni-proposal.md (policy routing per ENI)",
        );
        h.place = place;
        h
    }

    /// Into a node through the ENI that holds the destination address.
    fn eni_in(&self, n: &Node, dip: Ipv4Addr, pkt: &Header, dst: End) -> Hop {
        let eni = eni_holding(n, dip);
        let (place, name) = match eni {
            Some(e) => (
                Place::Eni { eni: e.id },
                format!("eth{} ({})", e.device_index, e.id),
            ),
            None => (Place::Node { node: n.id }, "eth0".into()),
        };
        let decision = if matches!(dst, End::Pod(..)) {
            format!("{dip} is an address of this ENI: EC2 delivers it here")
        } else {
            format!("{dip} is the node's primary address")
        };
        let mut h = self.node_hop(
            n,
            name,
            vec![pkt.clone()],
            decision,
            "EC2 (an ENI receives its own addresses)",
        );
        h.place = place;
        h
    }

    fn router(&self, from: &Node, dip: Ipv4Addr, pkt: &Header, to: &Node) -> Hop {
        let name = self
            .vpc
            .subnets
            .get(&from.subnet)
            .map(|s| s.name.clone())
            .unwrap_or_default();
        let blocks: Vec<String> = self.vpc.cidrs.iter().map(ToString::to_string).collect();
        let across = if from.id == to.id {
            String::new()
        } else {
            format!(
                " ({} → {}: still one VPC)",
                self.vpc
                    .subnets
                    .get(&from.subnet)
                    .map(|s| s.az.clone())
                    .unwrap_or_default(),
                self.vpc
                    .subnets
                    .get(&to.subnet)
                    .map(|s| s.az.clone())
                    .unwrap_or_default()
            )
        };
        Hop {
            place: Place::Router {
                subnet: from.subnet,
            },
            title: format!("VPC router ({name})"),
            interface: "the subnet's router (+1 address)".into(),
            headers: vec![pkt.clone()],
            decision: format!(
                "local route {} → local: {dip} is in the VPC{across}",
                blocks.join(", ")
            ),
            source: VPC_ROUTE.into(),
            mtu: VPC_MTU,
            overhead: 0,
            nat: None,
            blocked: None,
        }
    }

    fn xeni_hop(&self, xeni: Option<&Eni>, headers: Vec<Header>, decision: String) -> Hop {
        let subnet = xeni
            .and_then(|x| self.vpc.subnets.get(&x.subnet))
            .map(|s| s.name.clone())
            .unwrap_or_default();
        Hop {
            place: xeni.map_or(Place::ControlPlane, |x| Place::XEni { eni: x.id }),
            title: format!(
                "X-ENI {} in {subnet}",
                xeni.map(|x| x.id.to_string()).unwrap_or_default()
            ),
            interface: format!(
                "{} (cross-account ENI, cluster security group)",
                xeni.map(|x| x.primary_ip.to_string()).unwrap_or_default()
            ),
            headers,
            decision,
            source: "EKS User Guide, network-reqs.adoc; best practices, subnets.adoc".into(),
            mtu: VPC_MTU,
            overhead: 0,
            nat: None,
            blocked: None,
        }
    }

    fn control_plane_hop(&self, headers: Vec<Header>, decision: String) -> Hop {
        Hop {
            place: Place::ControlPlane,
            title: "EKS control plane (AWS-managed VPC)".into(),
            interface: "kube-apiserver".into(),
            headers,
            decision,
            source: "EKS best practices, subnets.adoc (two VPCs)".into(),
            mtu: VPC_MTU,
            overhead: 0,
            nat: None,
            blocked: None,
        }
    }
}

/// The node and address of a pod or node end (`None` for the others,
/// which are never sources).
fn host_of<'a>(e: End<'a>) -> Result<(&'a Node, Ipv4Addr), TraceError> {
    match e {
        End::Pod(_, n, ip) | End::Node(n, ip) => Ok((n, ip)),
        End::VpcHost(_) | End::Internet(_) | End::Api => Err(TraceError::UnsupportedSource),
    }
}

fn ip_of(n: &Node) -> Ipv4Addr {
    n.ip().unwrap_or(Ipv4Addr::UNSPECIFIED)
}

fn eni_holding(n: &Node, ip: Ipv4Addr) -> Option<&Eni> {
    n.ipam
        .enis
        .iter()
        .find(|e| e.primary_ip == ip || e.all_slots().any(|s| s.ip == ip))
}

fn who(e: End) -> &'static str {
    match e {
        End::Pod(..) => "pod",
        End::Node(..) => "node",
        End::VpcHost(_) => "VPC host",
        End::Internet(_) => "internet host",
        End::Api => "API server",
    }
}

fn describe(e: End) -> String {
    match e {
        End::Pod(p, n, ip) => format!("pod {} ({ip} on {})", p.name, n.name),
        End::Node(n, ip) => format!("node {} ({ip})", n.name),
        End::VpcHost(ip) => format!("VPC host {ip}"),
        End::Internet(ip) => format!("{ip}"),
        End::Api => "API server".into(),
    }
}
