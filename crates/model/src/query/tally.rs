//! What a command did to the learner's pods, in one line: the page shows it
//! under the form that ran the command, where the map may be out of sight
//! (a phone, a narrow embed), and screen readers hear it.

use std::fmt;

use crate::cluster::{Node, Pod, PodStatus};
use crate::Sandbox;

/// How many of a set of the learner's pods are in each state now, with the
/// reason the first stuck one of each kind gives (kubectl's words).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PodTally {
    /// Pods counted.
    pub pods: usize,
    /// Running.
    pub running: usize,
    /// Scheduled, waiting for an address from the CNI.
    pub creating: usize,
    /// Not scheduled.
    pub pending: usize,
    /// Bound, but failing to start (ImagePullBackOff, CrashLoopBackOff).
    pub failing: usize,
    /// The first ContainerCreating pod's reason.
    pub creating_reason: Option<String>,
    /// The first Pending pod's reason (the scheduler's message).
    pub pending_reason: Option<String>,
    /// The first failing pod's status.
    pub failing_status: Option<PodStatus>,
}

impl PodTally {
    fn of<'a>(pods: impl IntoIterator<Item = &'a Pod>) -> Self {
        let mut t = Self::default();
        for p in pods {
            t.pods += 1;
            match p.status {
                PodStatus::Running => t.running += 1,
                PodStatus::ContainerCreating => {
                    t.creating += 1;
                    if t.creating_reason.is_none() {
                        t.creating_reason.clone_from(&p.reason);
                    }
                }
                PodStatus::Pending => {
                    t.pending += 1;
                    if t.pending_reason.is_none() {
                        t.pending_reason.clone_from(&p.reason);
                    }
                }
                PodStatus::ImagePullBackOff | PodStatus::CrashLoopBackOff => {
                    t.failing += 1;
                    t.failing_status.get_or_insert(p.status);
                }
            }
        }
        t
    }
}

impl fmt::Display for PodTally {
    /// `46 Running, 14 Pending (0/2 nodes are available: 2 Too many pods. preemption: …)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = Vec::new();
        if self.running > 0 {
            parts.push(format!("{} Running", self.running));
        }
        let with = |n: usize, what: String, why: &Option<String>| match why {
            Some(why) => format!("{n} {what} ({why})"),
            None => format!("{n} {what}"),
        };
        if self.creating > 0 {
            parts.push(with(
                self.creating,
                PodStatus::ContainerCreating.to_string(),
                &self.creating_reason,
            ));
        }
        if self.pending > 0 {
            parts.push(with(
                self.pending,
                PodStatus::Pending.to_string(),
                &self.pending_reason,
            ));
        }
        if let Some(status) = self.failing_status {
            parts.push(format!("{} {status}", self.failing));
        }
        if parts.is_empty() {
            f.write_str("no pods")
        } else {
            f.write_str(&parts.join(", "))
        }
    }
}

/// The learner's `count` newest pods: the ones an `add-pods` of `count`
/// just created (pod ids only grow, and `add-pods` creates no other pod).
pub fn newest_pods(sandbox: &Sandbox, count: u32) -> PodTally {
    let mine: Vec<&Pod> = sandbox.pods.values().filter(|p| p.is_workload()).collect();
    let from = mine.len().saturating_sub(count as usize);
    PodTally::of(mine.get(from..).unwrap_or_default().iter().copied())
}

/// The newest node (the one an `add-node` just created), whether it is
/// Ready or why not, and the learner's pods bound to it.
pub fn newest_node(sandbox: &Sandbox) -> Option<(&Node, NodeState<'_>, PodTally)> {
    let node = sandbox.nodes.values().max_by_key(|n| n.id)?;
    let state = NodeState::of(node);
    let pods = PodTally::of(
        sandbox
            .pods
            .values()
            .filter(|p| p.is_workload() && p.node == Some(node.id)),
    );
    Some((node, state, pods))
}

/// What `command`, just applied to `sandbox`, did to the learner's pods, in
/// one line: `After “add 60 pods”: 46 Running, 14 Pending (…)`, or for a new
/// node its condition and the pods it took. `None` for other commands.
pub fn outcome(sandbox: &Sandbox, command: &crate::Command) -> Option<String> {
    let said = match command {
        crate::Command::AddPods(a) => newest_pods(sandbox, a.count).to_string(),
        crate::Command::AddNode(_) => {
            let (node, condition, pods) = newest_node(sandbox)?;
            let on_it = match pods.pods {
                0 => "none of your pods is on it yet".to_owned(),
                n => format!("{n} of your pods on it: {pods}"),
            };
            format!("{} {} is {condition}; {on_it}", node.id, node.name)
        }
        _ => return None,
    };
    Some(format!("After “{command}”: {said}"))
}

/// A node's condition, as the inspector's "Conditions" row says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeState<'a> {
    /// The kubelet reports Ready.
    Ready,
    /// Registered, NotReady, with the reason if one is known.
    NotReady(Option<&'a str>),
    /// The kubelet never registered: the join's failing step.
    NotRegistered(Option<&'a str>),
}

impl<'a> NodeState<'a> {
    /// The condition of `node`.
    pub fn of(node: &'a Node) -> Self {
        let reason = node
            .join_error
            .as_deref()
            .or(node.image_error.as_deref())
            .or(node.not_ready.as_deref());
        if !node.registered {
            Self::NotRegistered(reason)
        } else if node.ready() {
            Self::Ready
        } else {
            Self::NotReady(reason)
        }
    }
}

impl fmt::Display for NodeState<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Ready => f.write_str("Ready"),
            Self::NotReady(Some(why)) => write!(f, "NotReady ({why})"),
            Self::NotReady(None) => f.write_str("NotReady"),
            Self::NotRegistered(Some(why)) => write!(f, "not registered ({why})"),
            Self::NotRegistered(None) => f.write_str("not registered"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::command::{AddNode, AddPods, Command};
    use crate::ids::NodeId;

    fn seed() -> Sandbox {
        let json = crate::scenario::builtin::get("seed").expect("the seed is built in");
        let mut s = crate::Scenario::from_json(json)
            .and_then(|s| s.replay())
            .expect("the seed replays")
            .sandbox;
        s.apply(Command::AddPods(AddPods {
            count: 60,
            ..Default::default()
        }))
        .expect("add-pods applies");
        s
    }

    #[test]
    fn an_add_pods_beyond_max_pods_is_counted_with_the_schedulers_message() {
        let s = seed();
        let t = newest_pods(&s, 60);
        assert_eq!((t.pods, t.running, t.pending, t.creating), (60, 46, 14, 0));
        assert_eq!(
            t.to_string(),
            "46 Running, 14 Pending (0/2 nodes are available: 2 Too many pods. \
             preemption: 0/2 nodes are available: 2 No preemption victims found for incoming pod.)"
        );
        let add = Command::AddPods(AddPods {
            count: 60,
            ..Default::default()
        });
        assert_eq!(outcome(&s, &add), Some(format!("After “add 60 pods”: {t}")));
    }

    #[test]
    fn a_new_node_takes_the_pending_pods_once_it_is_ready() {
        let mut s = seed();
        let add = Command::AddNode(AddNode {
            instance_type: "m5.large".into(),
            subnet: "nodes-a".into(),
            max_pods: None,
            max_pods_from: None,
        });
        s.apply(add.clone()).expect("add-node applies");
        let (node, state, pods) = newest_node(&s).expect("a node");
        assert_eq!(node.id, NodeId(3));
        assert_eq!(state, NodeState::Ready);
        assert_eq!(pods.to_string(), "14 Running");
        assert_eq!(newest_pods(&s, 60).pending, 0);
        assert_eq!(
            outcome(&s, &add),
            Some(format!(
                "After “add an m5.large node in nodes-a”: node-3 {} is Ready; 14 of your pods on it: 14 Running",
                node.name
            ))
        );
        assert_eq!(outcome(&s, &Command::AdvanceTime { seconds: 30 }), None);
    }
}
