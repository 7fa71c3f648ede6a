//! A plan as a scenario: at steady state (to play with in the sandbox) or
//! at peak (every group at its maximum plus its surge, then a control-plane
//! upgrade), which is how the tests prove a plan.

use super::{share_of, Plan, SubnetRole};
use crate::cluster::EndpointAccess;
use crate::cni::Cni as _;
use crate::cni::CniMode;
use crate::command::Command;
use crate::ordered::Ordered as _;
use crate::sandbox::Sandbox;
use crate::scenario::{Scenario, SCENARIO_VERSION};

/// Which moment of the cluster's life a plan's scenario shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Moment {
    /// Every group at its minimum (desired) size with its pods.
    Steady,
    /// Every group at its maximum plus the surge nodes of an update, with
    /// pods on all of them, then a control-plane upgrade.
    Peak,
}

impl Plan {
    /// The CNI as the scenario runs it: under custom networking, one
    /// ENIConfig per AZ naming that AZ's pod subnet.
    fn scenario_cni(&self) -> CniMode {
        let configs = self
            .subnets
            .iter()
            .filter(|s| s.role == SubnetRole::Pods)
            .map(|s| (s.az.clone(), s.name.clone()))
            .into_map();
        match self.input.cni.strategy().eks_addon() {
            Some(addon) => addon.with_eni_configs(configs),
            None => self.input.cni.clone(),
        }
    }

    /// The plan as a scenario at `moment`. Nodes are named by the sandbox
    /// as they launch, so the scenario is built by running it.
    pub fn scenario(&self, moment: Moment) -> Result<Scenario, super::PlanError> {
        self.run(moment).map(|(s, _)| s)
    }

    /// Refuses the plan unless its own scenarios run: every pod Running at
    /// steady state and at peak (issue 15, point 6: a plan the probe
    /// measured wrongly left pods `ContainerCreating` in its own scenario).
    /// Returns the service CIDR the peak scenario's cluster got.
    pub(super) fn check_runs(&self) -> Result<Option<ipnet::Ipv4Net>, super::PlanError> {
        let mut service = None;
        for moment in [Moment::Steady, Moment::Peak] {
            let (_, sb) = self.run(moment)?;
            service = sb.cluster.as_ref().map(|c| c.service_cidr());
            let stuck: Vec<_> = sb
                .pods
                .values()
                .filter(|p| p.status != crate::cluster::PodStatus::Running)
                .collect();
            if let Some(p) = stuck.first() {
                return Err(super::err(
                    "plan",
                    format!(
                        "the plan's own {} scenario leaves {} pod{} not Running: {} is {}: {}",
                        match moment {
                            Moment::Steady => "steady-state",
                            Moment::Peak => "peak",
                        },
                        stuck.len(),
                        if stuck.len() == 1 { "" } else { "s" },
                        p.name,
                        p.status,
                        p.reason.clone().unwrap_or_default()
                    ),
                ));
            }
        }
        Ok(service)
    }

    /// The scenario at `moment` and the sandbox it leaves.
    fn run(&self, moment: Moment) -> Result<(Scenario, Sandbox), super::PlanError> {
        let input = &self.input;
        let primary = self
            .vpc_blocks
            .first()
            .map(ToString::to_string)
            .unwrap_or_else(|| input.vpc_cidr.clone());
        let mut s = Scenario {
            version: SCENARIO_VERSION,
            name: format!("plan-{}", input.name),
            title: format!(
                "Planned: {} at {}",
                input.name,
                match moment {
                    Moment::Steady => "steady state",
                    Moment::Peak => "peak (maximum nodes, surge, control-plane upgrade)",
                }
            ),
            description: format!(
                "Made by the address planner: {} node group(s) under {} in {} Availability Zones, with the subnets sized for the peak. The planner sizes addresses, not routes: the node subnets are assumed to have a way out (a NAT gateway).",
                input.groups.len(),
                input.cni.strategy().name(),
                input.azs.len()
            ),
            vpc_cidr: primary.clone(),
            cni: self.scenario_cni(),
            assume_egress: true,
            actions: Vec::new(),
        };
        let mut sb =
            Sandbox::new(&primary, s.cni.clone()).map_err(|e| super::err("cni", e.to_string()))?;
        sb.vpc.assume_egress = true;
        let run = |sb: &mut Sandbox, s: &mut Scenario, c: Command| {
            let what = c.to_string();
            sb.apply(c.clone())
                .map_err(|e| super::err("plan", format!("{what}: {e}")))?;
            s.actions.push(c);
            Ok::<(), super::PlanError>(())
        };
        for b in self.vpc_blocks.iter().skip(1) {
            run(
                &mut sb,
                &mut s,
                Command::AddVpcCidr {
                    cidr: b.to_string(),
                },
            )?;
        }
        for sub in &self.subnets {
            run(
                &mut sb,
                &mut s,
                Command::AddSubnet(crate::command::AddSubnet {
                    name: Some(sub.name.clone()),
                    cidr: sub.cidr.to_string(),
                    az: sub.az.clone(),
                    cni_tag: false,
                    route: None,
                }),
            )?;
        }
        let cluster: Vec<String> = self
            .subnets
            .iter()
            .filter(|x| x.role == SubnetRole::Cluster)
            .map(|x| x.name.clone())
            .collect();
        run(
            &mut sb,
            &mut s,
            Command::CreateCluster(crate::command::CreateCluster {
                name: input.name.clone(),
                version: "1.31".into(),
                endpoint: EndpointAccess::PublicAndPrivate,
                subnets: cluster,
            }),
        )?;
        let k = input.azs.len() as u32;
        let single = input.groups.len() == 1;
        let mut all_nodes = 0;
        for g in &input.groups {
            for (ki, az) in input.azs.iter().enumerate() {
                let count = match moment {
                    Moment::Steady => share_of(g.min_nodes, k, ki as u32),
                    Moment::Peak => share_of(g.max(), k, ki as u32) + input.surge_per_az,
                };
                for _ in 0..count {
                    let before = sb.nodes.len();
                    run(
                        &mut sb,
                        &mut s,
                        Command::AddNode(crate::command::AddNode {
                            instance_type: g.instance_type.clone(),
                            subnet: format!("nodes-{az}"),
                            max_pods: None,
                            max_pods_from: None,
                        }),
                    )?;
                    all_nodes += 1;
                    if single || sb.nodes.len() == before {
                        continue;
                    }
                    // Several groups: pin each node's pods, or the scheduler
                    // would balance pod counts across groups.
                    let name = sb.nodes.values().last().map(|n| n.name.clone());
                    for (count, host) in [(g.host_network_pods, true), (g.pods_per_node, false)] {
                        if count > 0 {
                            run(&mut sb, &mut s, pods(count, name.clone(), host))?;
                        }
                    }
                }
            }
        }
        if let Some(g) = input.groups.first().filter(|_| single) {
            // hostNetwork pods first: the scheduler spreads by load, so
            // each node gets its share of each kind.
            for (count, host) in [(g.host_network_pods, true), (g.pods_per_node, false)] {
                if count > 0 {
                    run(&mut sb, &mut s, pods(count * all_nodes, None, host))?;
                }
            }
        }
        if moment == Moment::Peak {
            run(&mut sb, &mut s, Command::AdvanceTime { seconds: 600 })?;
            run(
                &mut sb,
                &mut s,
                Command::UpgradeControlPlane {
                    version: "1.32".into(),
                },
            )?;
        }
        Ok((s, sb))
    }
}

fn pods(count: u32, node: Option<String>, host_network: bool) -> Command {
    // With `count: 1` a name is the pod's own: one host pod per node is
    // named after its node.
    let name = match (host_network, count, &node) {
        (false, _, _) => None,
        (true, 1, Some(n)) => Some(format!("host-{n}")),
        (true, _, _) => Some("host".to_owned()),
    };
    Command::AddPods(crate::command::AddPods {
        count,
        node,
        host_network,
        name,
        security_groups: false,
        ..Default::default()
    })
}
