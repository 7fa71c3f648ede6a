//! Creating the EKS control plane, upgrading it and changing its subnets:
//! the X-ENIs in the cluster subnets (EKS User Guide `network-reqs.adoc`,
//! `update-cluster.adoc`; see `cluster::XENIS` for where they go).

use super::{Sandbox, SandboxError};
use crate::cluster::{ControlPlane, MIN_FREE_IPS_PER_CLUSTER_SUBNET, UPGRADE_FREE_IPS, XENIS};
use crate::eni::{Eni, EniKind};
use crate::events::{EventKind, Recorder};
use crate::ids::{EniId, SubnetId};
use crate::ipam::Holder;

impl Sandbox {
    pub(super) fn create_cluster(
        &mut self,
        c: &crate::command::CreateCluster,
        events: &mut Recorder,
    ) -> Result<(), SandboxError> {
        let (name, version, endpoint, subnets) = (
            c.name.as_str(),
            c.version.as_str(),
            c.endpoint,
            &c.subnets[..],
        );
        if let Some(c) = &self.cluster {
            return Err(SandboxError::ClusterExists {
                name: c.name.clone(),
            });
        }
        let ids = self.check_cluster_subnets(subnets)?;
        let kind = EventKind::ClusterCreated {
            name: name.trim().to_owned(),
            version: version.trim().to_owned(),
        };
        self.event(events, kind);
        let mut xenis = Vec::new();
        // EKS picks two of the given subnets, in two different AZs, and puts
        // one X-ENI in each — whatever the number of subnets given (see
        // `cluster::XENIS`). Which two is not documented: podnet takes the
        // first subnet given in each of the first two AZs.
        for subnet in self.xeni_subnets(&ids, 0) {
            xenis.extend(self.create_xeni(subnet, events));
        }
        let mut cluster = ControlPlane::new(name, version, endpoint, ids);
        cluster.service_cidr = Some(crate::cluster::default_service_cidr(&self.vpc.cidrs));
        cluster.xenis = xenis;
        self.cluster = Some(cluster);
        self.warn_of_service_overlap(events);
        self.add_coredns(events);
        Ok(())
    }

    /// The subnets of `ids` that get the X-ENIs: one in each of two AZs.
    /// With `min_free` > 0 (replacing X-ENIs), the subnet of each AZ with
    /// the most free addresses, and the two AZs with the most room.
    fn xeni_subnets(&self, ids: &[SubnetId], min_free: u32) -> Vec<SubnetId> {
        let mut best: Vec<(&str, SubnetId, u32)> = Vec::new();
        for id in ids {
            let Some(s) = self.vpc.subnets.get(id) else {
                continue;
            };
            let free = s.pool.free();
            match best.iter_mut().find(|(az, _, _)| *az == s.az) {
                Some(slot) if min_free > 0 && free > slot.2 => *slot = (s.az.as_str(), s.id, free),
                Some(_) => {}
                None => best.push((s.az.as_str(), s.id, free)),
            }
        }
        if min_free > 0 {
            best.sort_by_key(|(_, _, free)| std::cmp::Reverse(*free));
        }
        best.into_iter().take(XENIS).map(|(_, id, _)| id).collect()
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

    fn create_xeni(&mut self, subnet: SubnetId, events: &mut Recorder) -> Option<Eni> {
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
        events: &mut Recorder,
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
        let (subnets, from) = (cluster.subnets.clone(), cluster.version.clone());
        let what = format!("upgrade the control plane to {}", version.trim());
        self.replace_xenis(&subnets, &what, events)?;
        if let Some(c) = self.cluster.as_mut() {
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

    /// `UpdateClusterConfig` with new `resourcesVpcConfig.subnetIds`: "All
    /// subnets that you add must be in the same set of AZs as originally
    /// provided" (EKS User Guide `network-reqs`, since October 2023). EKS
    /// then places new X-ENIs in them.
    pub(super) fn update_cluster_subnets(
        &mut self,
        refs: &[String],
        events: &mut Recorder,
    ) -> Result<(), SandboxError> {
        let Some(cluster) = &self.cluster else {
            return Err(SandboxError::NoCluster {
                action: "change the cluster subnets".into(),
            });
        };
        let mut given_ids = Vec::new();
        for r in refs {
            given_ids.push(self.subnet(r)?.id);
        }
        let azs = |ids: &[SubnetId]| {
            let mut v: Vec<String> = ids
                .iter()
                .filter_map(|id| self.vpc.subnets.get(id).map(|s| s.az.clone()))
                .collect();
            v.sort_unstable();
            v.dedup();
            v
        };
        let (given, original) = (azs(&given_ids), azs(&cluster.subnets));
        if given != original {
            return Err(SandboxError::ClusterSubnetAzs { given, original });
        }
        let ids = self.check_cluster_subnets(refs)?;
        self.replace_xenis(&ids, "change the cluster subnets", events)?;
        let names: Vec<String> = ids
            .iter()
            .filter_map(|id| self.vpc.subnets.get(id).map(|s| s.name.clone()))
            .collect();
        if let Some(c) = self.cluster.as_mut() {
            c.subnets = ids;
        }
        let summary = format!(
            "UpdateClusterConfig: the cluster subnets are now {}",
            names.join(", ")
        );
        self.event(events, EventKind::SettingChanged { summary });
        Ok(())
    }

    /// New X-ENIs in `subnets` (two AZs), then the old ones go. Refused
    /// unless every one of `subnets` has 5 free addresses, as EKS refuses it.
    fn replace_xenis(
        &mut self,
        subnets: &[SubnetId],
        what: &str,
        events: &mut Recorder,
    ) -> Result<(), SandboxError> {
        let free: Vec<(String, ipnet::Ipv4Net, u32)> = subnets
            .iter()
            .filter_map(|id| self.vpc.subnets.get(id))
            .map(|s| (s.name.clone(), s.cidr, s.pool.free()))
            .collect();
        if free.iter().any(|(_, _, n)| *n < UPGRADE_FREE_IPS) {
            return Err(SandboxError::UpgradeNeedsFreeIps {
                version: what.to_owned(),
                needed: UPGRADE_FREE_IPS,
                free,
            });
        }
        let old = self
            .cluster
            .as_ref()
            .map(|c| c.xenis.clone())
            .unwrap_or_default();
        let mut fresh = Vec::new();
        for subnet in self.xeni_subnets(subnets, UPGRADE_FREE_IPS) {
            fresh.extend(self.create_xeni(subnet, events));
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
        }
        Ok(())
    }
}
