//! "Will it still fit at N nodes and M pods?" for a scenario: grow it in
//! the sandbox, one node and one batch of pods at a time, and report the
//! first thing that runs out.

use serde::{Deserialize, Serialize};

use crate::cluster::PodStatus;
use crate::command::Command;
use crate::scenario::{Scenario, ScenarioError};

/// Pods added per step while growing (the first stuck one is still found exactly).
const POD_BATCH: u32 = 100;

/// The first thing that runs out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shortage {
    /// Nodes when it happened.
    pub at_nodes: u32,
    /// Pods (DaemonSet pods excluded) when it happened.
    pub at_pods: u32,
    /// What ran out and the message the real system gives.
    pub message: String,
}

/// The answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fit {
    /// Nodes and pods now.
    pub from: (u32, u32),
    /// Nodes and pods asked about.
    pub to: (u32, u32),
    /// The first thing that runs out, if anything does.
    pub shortage: Option<Shortage>,
    /// Each subnet at the end: name, free addresses, usable addresses.
    pub subnets: Vec<(String, u32, u32)>,
    /// The answer in words.
    pub answer: String,
}

/// Grows `scenario` to `nodes` nodes (copies of its last node, spread over
/// the subnets its nodes use, in turn) and `pods` pods, and says whether it
/// fits and, if not, what runs out first and when.
pub fn will_it_fit(scenario: &Scenario, nodes: u32, pods: u32) -> Result<Fit, ScenarioError> {
    let mut sb = scenario.replay()?.sandbox;
    let count_pods =
        |sb: &crate::Sandbox| sb.pods.values().filter(|p| p.is_workload()).count() as u32;
    let from = (sb.nodes.len() as u32, count_pods(&sb));
    let template = sb.nodes.values().last().map(|n| n.instance_type.clone());
    let mut subnets: Vec<String> = Vec::new();
    for n in sb.nodes.values() {
        if let Some(s) = sb.vpc.subnets.get(&n.subnet) {
            if !subnets.contains(&s.name) {
                subnets.push(s.name.clone());
            }
        }
    }
    let mut shortage = None;
    let mut turn = 0usize;
    while shortage.is_none() && (sb.nodes.len() as u32) < nodes {
        let (Some(t), Some(subnet)) = (&template, subnets.get(turn % subnets.len().max(1))) else {
            shortage = Some(Shortage {
                at_nodes: sb.nodes.len() as u32,
                at_pods: count_pods(&sb),
                message: "the scenario has no node to copy: add one first".into(),
            });
            break;
        };
        turn += 1;
        let at = sb.nodes.len() as u32 + 1;
        let command = Command::AddNode(crate::command::AddNode {
            instance_type: t.clone(),
            subnet: subnet.clone(),
            max_pods: None,
            max_pods_from: None,
        });
        match sb.apply(command) {
            Err(e) => {
                shortage = Some(Shortage {
                    at_nodes: at,
                    at_pods: count_pods(&sb),
                    message: format!("node {at} cannot launch in {subnet}: {e}"),
                });
            }
            Ok(_) => {
                if let Some(n) = sb.nodes.values().last().filter(|n| !n.ready()) {
                    let why = n
                        .not_ready
                        .clone()
                        .or_else(|| n.join_error.clone())
                        .unwrap_or_default();
                    shortage = Some(Shortage {
                        at_nodes: at,
                        at_pods: count_pods(&sb),
                        message: format!("node {at} ({}) is not Ready: {why}", n.name),
                    });
                }
            }
        }
    }
    while shortage.is_none() && count_pods(&sb) < pods {
        let have = count_pods(&sb);
        let batch = (pods - have).min(POD_BATCH);
        let first_new = sb.pods.values().map(|p| p.id.0).max().unwrap_or(0);
        let command = Command::AddPods(crate::command::AddPods {
            count: batch,
            node: None,
            host_network: false,
            name: None,
            security_groups: false,
            ..Default::default()
        });
        if let Err(e) = sb.apply(command) {
            shortage = Some(Shortage {
                at_nodes: sb.nodes.len() as u32,
                at_pods: have + 1,
                message: e.to_string(),
            });
            break;
        }
        let stuck = sb
            .pods
            .values()
            .filter(|p| p.is_workload() && p.id.0 > first_new)
            .enumerate()
            .find(|(_, p)| p.status != PodStatus::Running);
        if let Some((i, p)) = stuck {
            shortage = Some(Shortage {
                at_nodes: sb.nodes.len() as u32,
                at_pods: have + i as u32 + 1,
                message: format!(
                    "pod {} stays {}: {}",
                    p.name,
                    p.status,
                    p.reason.clone().unwrap_or_default()
                ),
            });
        }
    }
    let subnets: Vec<(String, u32, u32)> = sb
        .vpc
        .subnets
        .values()
        .map(|s| (s.name.clone(), s.pool.free(), s.pool.usable()))
        .collect();
    let answer = match &shortage {
        Some(s) => format!(
            "No: at {} nodes and {} pods — {}",
            s.at_nodes, s.at_pods, s.message
        ),
        None => {
            let tight = subnets.iter().filter(|(_, _, u)| *u > 0).min_by(|a, b| {
                (u64::from(a.1) * u64::from(b.2)).cmp(&(u64::from(b.1) * u64::from(a.2)))
            });
            format!(
                "Yes: {nodes} nodes and {pods} pods fit{}",
                tight
                    .map(|(n, f, u)| format!(
                        "; the tightest subnet, {n}, keeps {f} of {u} addresses free"
                    ))
                    .unwrap_or_default()
            )
        }
    };
    Ok(Fit {
        from,
        to: (nodes, pods),
        shortage,
        subnets,
        answer,
    })
}
