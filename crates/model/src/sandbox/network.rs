//! The VPC's ways out and its name service, as commands (routes, gateways,
//! VPC endpoints, DNS attributes, DHCP options, public access CIDRs, the
//! authentication mode) and as answers: can this node resolve and reach
//! EC2, ECR or the API server, and how (`crate::egress` has the sources).
//!
//! Every change re-runs every node's way to the API server (`rejoin`).

use std::net::Ipv4Addr;

use super::{Sandbox, SandboxError};
use crate::cluster::{AuthMode, Node, MAX_PUBLIC_ACCESS_CIDRS};
use crate::egress::{
    example_public_ip, AwsService, DnsServers, NatGateway, NoWayOut, Route, VpcEndpoint, WayOut,
    MAX_DOMAIN_NAME,
};
use crate::events::{EventKind, Recorder};
use crate::ids::{EniId, SubnetId};
use crate::ipam::Holder;

/// How a node reaches an AWS service's API, or the error it gets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceReach {
    /// The way, in words (`through the ec2 interface endpoint 10.10.0.9`).
    pub via: String,
    /// The error the client prints when it cannot (`None`: it can).
    pub error: Option<String>,
}

impl Sandbox {
    pub(super) fn set_vpc_dns(
        &mut self,
        hostnames: Option<bool>,
        support: Option<bool>,
        events: &mut Recorder,
    ) {
        let word = |on: bool| if on { "on" } else { "off" };
        if let Some(on) = hostnames {
            self.vpc.dns_hostnames = on;
        }
        if let Some(on) = support {
            self.vpc.dns_support = on;
        }
        let summary = format!(
            "VPC enableDnsSupport {}, enableDnsHostnames {}",
            word(self.vpc.dns_support),
            word(self.vpc.dns_hostnames)
        );
        self.event(events, EventKind::SettingChanged { summary });
        self.rejoin(events);
    }

    pub(super) fn set_dhcp_options(
        &mut self,
        servers: DnsServers,
        domain_name: Option<&str>,
        events: &mut Recorder,
    ) -> Result<(), SandboxError> {
        let domain = domain_name.map(str::trim).filter(|d| !d.is_empty());
        if let Some(d) = domain {
            let bad = d.len() > MAX_DOMAIN_NAME
                || !d
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.');
            if bad {
                return Err(SandboxError::Network {
                    object: "DHCP option set".into(),
                    reason: format!(
                        "domain-name {:?} is not a DNS name (letters, digits, '-' and '.', at most {MAX_DOMAIN_NAME} characters; it has {})",
                        d.chars().take(40).collect::<String>(),
                        d.len()
                    ),
                });
            }
        }
        self.vpc.dhcp.servers = servers;
        self.vpc.dhcp.domain_name = domain.map(str::to_owned);
        let summary = format!(
            "DHCP option set: domain-name-servers {}, domain-name {}",
            match servers {
                DnsServers::AmazonProvided => "AmazonProvidedDNS",
                DnsServers::Custom => "your own DNS servers",
            },
            domain.map_or_else(
                || format!("{}.compute.internal", self.region()),
                str::to_owned
            )
        );
        self.event(events, EventKind::SettingChanged { summary });
        self.rejoin(events);
        Ok(())
    }

    pub(super) fn add_internet_gateway(
        &mut self,
        events: &mut Recorder,
    ) -> Result<(), SandboxError> {
        if self.vpc.internet_gateway {
            return Err(SandboxError::Network {
                object: "internet gateway".into(),
                reason: "the VPC already has one attached (one internet gateway per VPC)".into(),
            });
        }
        self.vpc.internet_gateway = true;
        let summary =
            "internet gateway attached to the VPC: subnets that route 0.0.0.0/0 to it are public"
                .to_owned();
        self.event(events, EventKind::SettingChanged { summary });
        self.rejoin(events);
        Ok(())
    }

    pub(super) fn add_nat_gateway(
        &mut self,
        subnet: &str,
        events: &mut Recorder,
    ) -> Result<(), SandboxError> {
        let s = self.subnet(subnet)?;
        let (id, name) = (s.id, s.name.clone());
        // "Gateway.NotAttached": a public NAT gateway needs the VPC's
        // internet gateway (VPC User Guide, NAT gateways).
        if !self.vpc.internet_gateway {
            return Err(SandboxError::Network {
                object: format!("NAT gateway in {name}"),
                reason: "Gateway.NotAttached: the VPC has no internet gateway attached; a public NAT gateway sends its traffic through one".into(),
            });
        }
        if self.vpc.nat_gateways.iter().any(|n| n.subnet == id) {
            return Err(SandboxError::Network {
                object: format!("NAT gateway in {name}"),
                reason: "this subnet already has one (podnet keeps one per subnet)".into(),
            });
        }
        let eni = self.take_service_address(id, &format!("NAT gateway in {name}"))?;
        let count = u32::try_from(self.vpc.nat_gateways.len()).unwrap_or(0);
        let nat = NatGateway {
            subnet: id,
            eni: eni.0,
            private_ip: eni.1,
            public_ip: example_public_ip(count + 1),
        };
        self.vpc.nat_gateways.push(nat);
        let warn = if self.vpc.subnets.get(&id).map(|s| s.route) == Some(Route::InternetGateway) {
            String::new()
        } else {
            format!("; {name} does not route 0.0.0.0/0 to the internet gateway yet, so the NAT gateway cannot send anything out")
        };
        let summary = format!(
            "NAT gateway in {name}: private IP {}, Elastic IP {}{warn}",
            nat.private_ip, nat.public_ip
        );
        self.event(events, EventKind::SettingChanged { summary });
        self.rejoin(events);
        Ok(())
    }

    pub(super) fn set_route(
        &mut self,
        subnet: &str,
        to: &str,
        via: Option<&str>,
        events: &mut Recorder,
    ) -> Result<(), SandboxError> {
        let s = self.subnet(subnet)?;
        let (id, name, az) = (s.id, s.name.clone(), s.az.clone());
        let route = self.route_target(Some(id), &name, &az, to, via)?;
        if let Some(s) = self.vpc.subnets.get_mut(&id) {
            s.route = route;
        }
        let summary = format!("{name}: 0.0.0.0/0 → {}", self.route_text(route));
        self.event(events, EventKind::SettingChanged { summary });
        self.rejoin(events);
        Ok(())
    }

    /// The route `to` (`local`, `internet-gateway`, `nat-gateway` via a
    /// NAT gateway's subnet) for the subnet `own` called `name` in `az`.
    pub(super) fn route_target(
        &self,
        own: Option<SubnetId>,
        name: &str,
        az: &str,
        to: &str,
        via: Option<&str>,
    ) -> Result<Route, SandboxError> {
        let object = format!("route table of {name}");
        let route = match to.trim() {
            "local" => Route::Local,
            "internet-gateway" | "igw" if self.vpc.internet_gateway => Route::InternetGateway,
            "internet-gateway" | "igw" => {
                return Err(SandboxError::Network {
                    object,
                    reason: "the VPC has no internet gateway: attach one first".into(),
                })
            }
            "nat-gateway" | "nat" => {
                let nat = match via {
                    Some(v) => {
                        let vs = self.subnet(v)?.id;
                        self.vpc.nat_gateways.iter().find(|n| n.subnet == vs)
                    }
                    None => self
                        .vpc
                        .nat_gateways
                        .iter()
                        .find(|n| {
                            self.vpc.subnets.get(&n.subnet).map(|s| s.az.as_str()) == Some(az)
                        })
                        .or_else(|| self.vpc.nat_gateways.first()),
                };
                let Some(nat) = nat else {
                    return Err(SandboxError::Network {
                        object,
                        reason: format!(
                            "no NAT gateway{}: create one in a public subnet first",
                            via.map(|v| format!(" in {v}")).unwrap_or_default()
                        ),
                    });
                };
                if Some(nat.subnet) == own {
                    return Err(SandboxError::Network {
                        object,
                        reason: "the NAT gateway is in this subnet: its own subnet must route 0.0.0.0/0 to the internet gateway".into(),
                    });
                }
                Route::NatGateway { via: nat.subnet }
            }
            other => {
                return Err(SandboxError::Network {
                    object,
                    reason: format!(
                        "no route target {:?}: use local, internet-gateway or nat-gateway",
                        other.chars().take(40).collect::<String>()
                    ),
                })
            }
        };
        Ok(route)
    }

    /// A route target in words.
    pub fn route_text(&self, route: Route) -> String {
        match route {
            Route::Local => "nothing (local route only)".into(),
            Route::InternetGateway => "the internet gateway".into(),
            Route::NatGateway { via } => format!(
                "the NAT gateway in {}",
                self.vpc
                    .subnets
                    .get(&via)
                    .map_or_else(|| via.to_string(), |s| s.name.clone())
            ),
        }
    }

    pub(super) fn add_vpc_endpoint(
        &mut self,
        service: &str,
        subnets: Option<&[String]>,
        events: &mut Recorder,
    ) -> Result<(), SandboxError> {
        let Some(svc) = AwsService::parse(service) else {
            let known: Vec<&str> = AwsService::ALL.iter().map(|s| s.short()).collect();
            return Err(SandboxError::Network {
                object: "VPC endpoint".into(),
                reason: format!(
                    "no service {:?}: podnet models {}",
                    service.chars().take(40).collect::<String>(),
                    known.join(", ")
                ),
            });
        };
        let object = format!("VPC endpoint com.amazonaws.{}.{svc}", self.region());
        if self.vpc.endpoints.iter().any(|e| e.service == svc) {
            return Err(SandboxError::Network {
                object,
                reason: "the VPC already has it".into(),
            });
        }
        let mut ids: Vec<SubnetId> = Vec::new();
        if !svc.is_gateway() {
            match subnets {
                Some(refs) => {
                    for r in refs {
                        ids.push(self.subnet(r)?.id);
                    }
                }
                None => {
                    ids = self
                        .cluster
                        .as_ref()
                        .map(|c| c.subnets.clone())
                        .unwrap_or_default()
                }
            }
            ids.dedup();
            if ids.is_empty() {
                return Err(SandboxError::Network {
                    object,
                    reason: "an interface endpoint needs subnets (one per AZ); give them, or create the cluster so its subnets are used".into(),
                });
            }
            // "You can choose one subnet per Availability Zone" (PrivateLink guide).
            let mut azs: Vec<&str> = ids
                .iter()
                .filter_map(|id| self.vpc.subnets.get(id).map(|s| s.az.as_str()))
                .collect();
            let n = azs.len();
            azs.sort_unstable();
            azs.dedup();
            if azs.len() < n {
                return Err(SandboxError::Network {
                    object,
                    reason: "an interface endpoint takes one subnet per Availability Zone".into(),
                });
            }
            for id in &ids {
                let free = self.vpc.subnets.get(id).map_or(0, |s| s.pool.free());
                if free == 0 {
                    let name = self
                        .vpc
                        .subnets
                        .get(id)
                        .map(|s| s.name.clone())
                        .unwrap_or_default();
                    return Err(SandboxError::Network {
                        object,
                        reason: format!("subnet {name} has 0 free addresses for the endpoint's network interface"),
                    });
                }
            }
        }
        let mut enis = Vec::new();
        for id in ids {
            let (eni, ip) = self.take_service_address(id, &object)?;
            enis.push((id, eni, ip));
        }
        let ips: Vec<String> = enis.iter().map(|(_, _, ip)| ip.to_string()).collect();
        self.vpc.endpoints.push(VpcEndpoint { service: svc, enis });
        let summary = if svc.is_gateway() {
            format!("{object} (gateway): the route tables send S3's prefix list to it")
        } else {
            format!(
                "{object} (interface): network interfaces {}",
                ips.join(", ")
            )
        };
        self.event(events, EventKind::SettingChanged { summary });
        self.rejoin(events);
        Ok(())
    }

    pub(super) fn delete_vpc_endpoint(
        &mut self,
        service: &str,
        events: &mut Recorder,
    ) -> Result<(), SandboxError> {
        let svc = AwsService::parse(service);
        let Some(pos) = self
            .vpc
            .endpoints
            .iter()
            .position(|e| Some(e.service) == svc)
        else {
            return Err(SandboxError::Network {
                object: format!(
                    "VPC endpoint {}",
                    service.chars().take(40).collect::<String>()
                ),
                reason: "the VPC has no such endpoint".into(),
            });
        };
        let ep = self.vpc.endpoints.remove(pos);
        for (subnet, _, ip) in &ep.enis {
            if let Some(s) = self.vpc.subnets.get_mut(subnet) {
                s.pool.release(*ip);
            }
        }
        let summary = format!("VPC endpoint {} deleted", ep.service);
        self.event(events, EventKind::SettingChanged { summary });
        self.rejoin(events);
        Ok(())
    }

    pub(super) fn set_public_access_cidrs(
        &mut self,
        cidrs: &[String],
        events: &mut Recorder,
    ) -> Result<(), SandboxError> {
        let object = "public access CIDRs".to_owned();
        if cidrs.is_empty() || cidrs.len() > MAX_PUBLIC_ACCESS_CIDRS {
            return Err(SandboxError::Network {
                object,
                reason: format!(
                    "give 1 to {MAX_PUBLIC_ACCESS_CIDRS} CIDR blocks, not {}",
                    cidrs.len()
                ),
            });
        }
        let mut parsed = Vec::new();
        for c in cidrs {
            let net = crate::addr::parse_cidr(c).map_err(|e| SandboxError::Network {
                object: object.clone(),
                reason: e.to_string(),
            })?;
            parsed.push(net);
        }
        let c = self.cluster_mut("set the public access CIDRs")?;
        c.public_access_cidrs = parsed;
        let summary = format!("API server public access CIDRs: {}", cidrs.join(", "));
        self.event(events, EventKind::SettingChanged { summary });
        self.rejoin(events);
        Ok(())
    }

    pub(super) fn set_auth_mode(
        &mut self,
        mode: AuthMode,
        events: &mut Recorder,
    ) -> Result<(), SandboxError> {
        let c = self.cluster_mut("set the authentication mode")?;
        // One way only: CONFIG_MAP → API_AND_CONFIG_MAP → API (EKS User
        // Guide, grant-k8s-access: "you can't revert").
        if mode < c.auth_mode {
            return Err(SandboxError::Network {
                object: "authentication mode".into(),
                reason: format!(
                    "InvalidParameterException: cannot change from {} to {mode}: the mode only moves from CONFIG_MAP to API_AND_CONFIG_MAP to API",
                    c.auth_mode
                ),
            });
        }
        c.auth_mode = mode;
        let summary = format!(
            "authentication mode {mode}: {}",
            match mode {
                AuthMode::ConfigMap => "only the aws-auth ConfigMap counts",
                AuthMode::ApiAndConfigMap => "access entries and the aws-auth ConfigMap count",
                AuthMode::Api => "only access entries count; aws-auth is ignored",
            }
        );
        self.event(events, EventKind::SettingChanged { summary });
        self.rejoin(events);
        Ok(())
    }

    /// A requester-managed ENI's address (NAT gateway, VPC endpoint).
    fn take_service_address(
        &mut self,
        subnet: SubnetId,
        object: &str,
    ) -> Result<(EniId, Ipv4Addr), SandboxError> {
        self.next.eni += 1;
        let id = EniId(self.next.eni);
        let s = self
            .vpc
            .subnets
            .get_mut(&subnet)
            .ok_or_else(|| SandboxError::Network {
                object: object.to_owned(),
                reason: "its subnet does not exist".into(),
            })?;
        let ip = s
            .pool
            .allocate(Holder::EniPrimary(id))
            .map_err(|e| SandboxError::Network {
                object: object.to_owned(),
                reason: e.to_string(),
            })?;
        Ok((id, ip))
    }

    /// The Region, from the first subnet's AZ (`eu-west-1a` → `eu-west-1`).
    pub fn region(&self) -> String {
        self.vpc
            .subnets
            .values()
            .next()
            .map(|s| {
                s.az.trim_end_matches(|ch: char| ch.is_ascii_alphabetic())
                    .to_owned()
            })
            .filter(|r| !r.is_empty())
            .unwrap_or_else(|| "eu-west-1".into())
    }

    /// The Route 53 Resolver's address: the primary block's base + 2.
    pub fn resolver_ip(&self) -> Ipv4Addr {
        self.vpc.cidrs.first().map_or(Ipv4Addr::UNSPECIFIED, |b| {
            Ipv4Addr::from(u32::from(b.network()).wrapping_add(2))
        })
    }

    /// How a request from `subnet` leaves the VPC.
    ///
    /// # Errors
    /// Why it cannot: only the local route, or a NAT gateway without a way out.
    pub fn way_out(&self, subnet: SubnetId, node_ip: Ipv4Addr) -> Result<WayOut, NoWayOut> {
        if self.vpc.assume_egress {
            return Ok(WayOut::Assumed);
        }
        let route = self
            .vpc
            .subnets
            .get(&subnet)
            .map(|s| s.route)
            .unwrap_or_default();
        match route {
            Route::Local => Err(NoWayOut::LocalOnly),
            Route::InternetGateway => Ok(WayOut::Internet {
                public_ip: example_public_ip(u32::from(node_ip) % 97 + 100),
            }),
            Route::NatGateway { via } => {
                let nat = self
                    .vpc
                    .nat_gateways
                    .iter()
                    .find(|n| n.subnet == via)
                    .ok_or(NoWayOut::NoNat)?;
                let nat_route = self.vpc.subnets.get(&via).map(|s| s.route);
                if nat_route == Some(Route::InternetGateway) && self.vpc.internet_gateway {
                    Ok(WayOut::Nat {
                        subnet: via,
                        public_ip: nat.public_ip,
                    })
                } else {
                    Err(NoWayOut::NatWithoutIgw {
                        nat_subnet: self
                            .vpc
                            .subnets
                            .get(&via)
                            .map(|s| s.name.clone())
                            .unwrap_or_default(),
                    })
                }
            }
        }
    }

    /// Whether the VPC's private hosted zones answer (EKS's for the
    /// endpoint, the interface endpoints' private DNS): both DNS attributes
    /// and AmazonProvidedDNS (PrivateLink guide, "To use private DNS, you
    /// must enable both DNS hostnames and DNS resolution").
    pub fn private_dns_works(&self) -> bool {
        self.vpc.dns_support
            && self.vpc.dns_hostnames
            && self.vpc.dhcp.servers == DnsServers::AmazonProvided
    }

    /// The lookup error a client on `node` gets for `host`, if it gets one:
    /// with AmazonProvidedDNS and `enableDnsSupport` off, nothing answers.
    pub fn lookup_error(&self, node: &Node, host: &str) -> Option<String> {
        if self.vpc.dns_support || self.vpc.dhcp.servers == DnsServers::Custom {
            return None;
        }
        let (r, ip) = (
            self.resolver_ip(),
            node.ip().unwrap_or(Ipv4Addr::UNSPECIFIED),
        );
        Some(format!(
            "dial tcp: lookup {host} on {r}:53: read udp {ip}:41375->{r}:53: i/o timeout"
        ))
    }

    /// Whether `node` reaches `service` at all: [`Sandbox::reach_service`]
    /// without building its words (the join checks every new node).
    pub fn can_reach(&self, node: &Node, service: AwsService) -> bool {
        let resolver = self.vpc.dns_support || self.vpc.dhcp.servers == DnsServers::Custom;
        if !resolver {
            return false;
        }
        let endpoint = self.vpc.endpoints.iter().any(|e| e.service == service);
        if endpoint && (service.is_gateway() || self.private_dns_works()) {
            return true;
        }
        self.way_out(node.subnet, node.ip().unwrap_or(Ipv4Addr::UNSPECIFIED))
            .is_ok()
    }

    /// How `node` reaches `service`'s API: its interface endpoint (when the
    /// endpoint's private DNS answers), the S3 gateway endpoint, or out of
    /// the VPC; else the client's error.
    pub fn reach_service(&self, node: &Node, service: AwsService) -> ServiceReach {
        let host = service.host(&self.region());
        if let Some(e) = self.lookup_error(node, &host) {
            return ServiceReach {
                via: format!("{host} does not resolve: enableDnsSupport is off, so the Route 53 Resolver at {} does not answer", self.resolver_ip()),
                error: Some(e),
            };
        }
        let endpoint = self.vpc.endpoints.iter().find(|e| e.service == service);
        if let Some(ep) = endpoint {
            if service.is_gateway() {
                return ServiceReach {
                    via: "the S3 gateway endpoint (a route to S3's prefix list)".into(),
                    error: None,
                };
            }
            if self.private_dns_works() {
                let az = self.vpc.subnets.get(&node.subnet).map(|s| s.az.as_str());
                let ip = ep
                    .enis
                    .iter()
                    .find(|(s, _, _)| self.vpc.subnets.get(s).map(|s| s.az.as_str()) == az)
                    .or_else(|| ep.enis.first())
                    .map(|(_, _, ip)| *ip);
                return ServiceReach {
                    via: format!(
                        "the {service} interface endpoint: its private DNS name answers {host} with {}",
                        ip.map(|i| i.to_string()).unwrap_or_default()
                    ),
                    error: None,
                };
            }
        }
        let dns_note = if endpoint.is_some() {
            " (the interface endpoint exists, but its private DNS needs enableDnsSupport, enableDnsHostnames and AmazonProvidedDNS, so the name resolves to the public service)"
        } else {
            ""
        };
        match self.way_out(node.subnet, node.ip().unwrap_or(Ipv4Addr::UNSPECIFIED)) {
            Ok(w) => ServiceReach {
                via: format!("{host}'s public address, {}{dns_note}", way_text(&w)),
                error: None,
            },
            Err(why) => ServiceReach {
                via: format!(
                    "{host} resolves to a public address, and the node's subnet has no way out: {why}{dns_note}"
                ),
                error: Some(format!("dial tcp <{host}'s public address>:443: i/o timeout")),
            },
        }
    }
}

/// A way out in words.
pub fn way_text(w: &WayOut) -> String {
    match w {
        WayOut::Nat { public_ip, .. } => {
            format!("through the NAT gateway (source rewritten to its Elastic IP {public_ip})")
        }
        WayOut::Internet { public_ip } => {
            format!("through the internet gateway with the instance's public IP {public_ip}")
        }
        WayOut::Assumed => {
            "out of the VPC (this scenario predates route tables: a way out is assumed)".into()
        }
    }
}
