//! Creating the EKS control plane and upgrading it: the X-ENIs in the
//! cluster subnets (EKS User Guide `network-reqs.adoc`, `update-cluster.adoc`).

use super::{Sandbox, SandboxError};
use crate::cluster::{
    ControlPlane, EndpointAccess, MAX_XENIS, MIN_FREE_IPS_PER_CLUSTER_SUBNET, MIN_XENIS,
    UPGRADE_FREE_IPS,
};
use crate::eni::{Eni, EniKind};
use crate::events::{Event, EventKind};
use crate::ids::{EniId, SubnetId};
use crate::ipam::Holder;

impl Sandbox {
    pub(super) fn create_cluster(
        &mut self,
        name: &str,
        version: &str,
        endpoint: EndpointAccess,
        subnets: &[String],
        events: &mut Vec<Event>,
    ) -> Result<(), SandboxError> {
        if let Some(c) = &self.cluster {
            return Err(SandboxError::ClusterExists {
                name: c.name.clone(),
            });
        }
        let ids = self.check_cluster_subnets(subnets)?;
        let count = ids.len().clamp(MIN_XENIS, MAX_XENIS);
        let mut xenis = Vec::new();
        // "Amazon EKS creates 2–4 elastic network interfaces in the subnets that you specify."
        for i in 0..count {
            let subnet = ids.get(i % ids.len()).copied().unwrap_or(SubnetId(0));
            xenis.push(self.create_xeni(subnet, events));
        }
        let service_cidr = crate::cluster::default_service_cidr(&self.vpc.cidrs);
        self.cluster = Some(ControlPlane {
            service_cidr: Some(service_cidr),
            name: name.trim().to_owned(),
            version: version.trim().to_owned(),
            endpoint,
            subnets: ids,
            xenis: xenis.into_iter().flatten().collect(),
            node_access: crate::cluster::NodeAccess::default(),
            rules: crate::cluster::SgRules::default(),
        });
        let kind = EventKind::ClusterCreated {
            name: name.trim().to_owned(),
            version: version.trim().to_owned(),
        };
        events.insert(
            0,
            Event {
                at_ms: self.now_ms,
                kind,
            },
        );
        Ok(())
    }

    /// At least two subnets, in at least two AZs, each with 6 free IPs.
    fn check_cluster_subnets(&self, refs: &[String]) -> Result<Vec<SubnetId>, SandboxError> {
        let mut ids = Vec::new();
        for r in refs {
            let s = self.subnet(r)?;
            if s.pool.free() < MIN_FREE_IPS_PER_CLUSTER_SUBNET {
                return Err(SandboxError::ClusterSubnetTooFull {
                    subnet: s.name.clone(),
                    cidr: s.cidr,
                    free: s.pool.free(),
                });
            }
            if !ids.contains(&s.id) {
                ids.push(s.id);
            }
        }
        let mut azs: Vec<&str> = ids
            .iter()
            .filter_map(|id| self.vpc.subnets.get(id).map(|s| s.az.as_str()))
            .collect();
        azs.sort_unstable();
        azs.dedup();
        if ids.len() < 2 || azs.len() < 2 {
            return Err(SandboxError::ClusterSubnets {
                reason: format!(
                    "EKS needs at least two subnets in at least two Availability Zones; got {} subnets in {} AZs",
                    ids.len(),
                    azs.len()
                ),
            });
        }
        Ok(ids)
    }

    fn create_xeni(&mut self, subnet: SubnetId, events: &mut Vec<Event>) -> Option<Eni> {
        self.next.eni += 1;
        let id = EniId(self.next.eni);
        let ip = self
            .vpc
            .subnets
            .get_mut(&subnet)?
            .pool
            .allocate(Holder::EniPrimary(id))
            .ok()?;
        self.event(
            events,
            EventKind::XEniCreated {
                eni: id,
                subnet,
                ip,
            },
        );
        Some(Eni {
            id,
            kind: EniKind::ControlPlane,
            node: None,
            subnet,
            device_index: 0,
            primary_ip: ip,
            secondary: Vec::new(),
            prefixes: Vec::new(),
            attached_at_ms: self.now_ms,
            free_from: 0,
        })
    }

    pub(super) fn upgrade_control_plane(
        &mut self,
        version: &str,
        events: &mut Vec<Event>,
    ) -> Result<(), SandboxError> {
        let Some(cluster) = &self.cluster else {
            return Err(SandboxError::NoCluster {
                action: "upgrade the control plane".into(),
            });
        };
        if cluster.version == version.trim() {
            return Err(SandboxError::SameVersion {
                version: cluster.version.clone(),
            });
        }
        let free: Vec<(String, ipnet::Ipv4Net, u32)> = cluster
            .subnets
            .iter()
            .filter_map(|id| self.vpc.subnets.get(id))
            .map(|s| (s.name.clone(), s.cidr, s.pool.free()))
            .collect();
        // "Amazon EKS requires up to five available IP addresses from the subnets
        // that you specified when you created your cluster" (update-cluster.adoc).
        if free.iter().map(|(_, _, n)| n).sum::<u32>() < UPGRADE_FREE_IPS {
            return Err(SandboxError::UpgradeNeedsFreeIps {
                version: version.trim().to_owned(),
                needed: UPGRADE_FREE_IPS,
                free,
            });
        }
        let old = cluster.xenis.clone();
        let from = cluster.version.clone();
        let subnets = cluster.subnets.clone();
        let mut fresh = Vec::new();
        for _ in 0..old.len() {
            // The new X-ENIs may land in other cluster subnets: the one with most free IPs.
            let target = subnets
                .iter()
                .filter_map(|id| self.vpc.subnets.get(id))
                .max_by_key(|s| (s.pool.free(), std::cmp::Reverse(s.id)))
                .map(|s| s.id);
            if let Some(eni) = target.and_then(|t| self.create_xeni(t, events)) {
                fresh.push(eni);
            }
        }
        for eni in &old {
            if let Some(s) = self.vpc.subnets.get_mut(&eni.subnet) {
                s.pool.release(eni.primary_ip);
            }
            self.event(
                events,
                EventKind::XEniDeleted {
                    eni: eni.id,
                    ip: eni.primary_ip,
                },
            );
        }
        if let Some(c) = self.cluster.as_mut() {
            c.xenis = fresh;
            c.version = version.trim().to_owned();
        }
        self.event(
            events,
            EventKind::ControlPlaneUpgraded {
                from,
                to: version.trim().to_owned(),
            },
        );
        Ok(())
    }
}
