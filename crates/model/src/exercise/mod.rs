//! Exercises: a starting scenario, goals written as predicates over the
//! model's state, hints, an explanation, and a reference solution that
//! proves the exercise solvable. Written as JSON by trainers, no Rust:
//!
//! ```json
//! {"version": 1, "id": "private-endpoint-join", "title": "…", "goal": "…",
//!  "scenario": "private-endpoint-join",
//!  "goals": [{"text": "Every node joins", "all": [{"check": "nodes-ready", "min": 1}]}],
//!  "hints": ["…"], "explanation": "…",
//!  "solution": [{"action": "set-vpc-dns", "dns_hostnames": true}]}
//! ```

mod attempt;
mod check;
#[cfg(test)]
mod tests;

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::command::Command;
use crate::scenario::{builtin, Scenario};

pub use attempt::{evaluate, Attempt, GoalState};
pub use check::{Check, CHECKS};

/// The exercise format this podnet reads.
pub const EXERCISE_VERSION: u32 = 1;

/// Where the exercise starts: a built-in scenario's name, or a scenario.
/// (Read by hand: serde's untagged enums buffer the whole value and carry a
/// second copy of the scenario reader.)
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Start {
    /// A built-in scenario, by name (`podnet run NAME` shows it).
    Builtin(String),
    /// A scenario written out.
    Inline(Box<Scenario>),
}

impl<'de> Deserialize<'de> for Start {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Start;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a built-in scenario's name or a scenario object")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Start, E> {
                Ok(Start::Builtin(v.to_owned()))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<Start, A::Error> {
                Scenario::deserialize(serde::de::value::MapAccessDeserializer::new(map))
                    .map(|s| Start::Inline(Box::new(s)))
            }
        }
        deserializer.deserialize_any(V)
    }
}

/// What the page locks while the exercise runs.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Locks {
    /// The CNI strategy cannot be switched (its settings still can, if
    /// `set-cni` is allowed).
    #[serde(default)]
    pub cni: bool,
}

/// One goal: met when every check holds — at the end, or, with `once`, at
/// any moment of the attempt (for goals that cannot hold together, like
/// "seen under Flannel" and "seen under Calico").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Goal {
    /// The goal as the learner reads it.
    pub text: String,
    /// The checks, all of which must hold.
    pub all: Vec<Check>,
    /// Met once met, even if a later step undoes it.
    #[serde(default)]
    pub once: bool,
}

/// An exercise.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Exercise {
    /// Format version ([`EXERCISE_VERSION`]).
    pub version: u32,
    /// A short id for URLs (`?exercise=ID`): lowercase letters, digits, `-`.
    pub id: String,
    /// The title.
    pub title: String,
    /// The learning goal: what the learner will understand.
    pub goal: String,
    /// Where it starts.
    pub scenario: Start,
    /// What is locked.
    #[serde(default)]
    pub locks: Locks,
    /// The commands the learner may use (their `action` names); empty: all.
    #[serde(default)]
    pub allowed_actions: Vec<String>,
    /// The goals.
    pub goals: Vec<Goal>,
    /// Hints, in the order they are given.
    #[serde(default)]
    pub hints: Vec<String>,
    /// Shown on success: why it works.
    pub explanation: String,
    /// A reference solution: commands from the start. A `set-cni` to
    /// another strategy replays the scenario under it, as the page does.
    pub solution: Vec<Command>,
}

/// Why an exercise file is refused: the field and the problem.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExerciseError {
    /// The field, e.g. `goals[1].all[0].subnet`, or `file` for JSON syntax.
    pub field: String,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for ExerciseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

impl std::error::Error for ExerciseError {}

fn err(field: impl Into<String>, message: impl Into<String>) -> ExerciseError {
    ExerciseError {
        field: field.into(),
        message: message.into(),
    }
}

pub use crate::command::ACTIONS;

/// The `action` name of a command (its JSON tag).
pub fn action_name(command: &Command) -> &'static str {
    match command {
        Command::AddVpcCidr { .. } => "add-vpc-cidr",
        Command::AddSubnet(crate::command::AddSubnet { .. }) => "add-subnet",
        Command::CreateCluster(crate::command::CreateCluster { .. }) => "create-cluster",
        Command::UpgradeControlPlane { .. } => "upgrade-control-plane",
        Command::AddNode(crate::command::AddNode { .. }) => "add-node",
        Command::AddPods(crate::command::AddPods { .. }) => "add-pods",
        Command::AddNamespace { .. } => "add-namespace",
        Command::SetLabels { .. } => "set-labels",
        Command::ApplyNetworkPolicy { .. } => "apply-network-policy",
        Command::DeleteNetworkPolicy { .. } => "delete-network-policy",
        Command::DeletePod { .. } => "delete-pod",
        Command::DeleteNode { .. } => "delete-node",
        Command::SetCni { .. } => "set-cni",
        Command::AdvanceTime { .. } => "advance-time",
        Command::SetVpcDns { .. } => "set-vpc-dns",
        Command::SetEndpointAccess { .. } => "set-endpoint-access",
        Command::SetNodeAccess { .. } => "set-node-access",
        Command::SetSecurityGroups { .. } => "set-security-groups",
        Command::SetDhcpOptions { .. } => "set-dhcp-options",
        Command::AddInternetGateway => "add-internet-gateway",
        Command::AddNatGateway { .. } => "add-nat-gateway",
        Command::SetRoute { .. } => "set-route",
        Command::AddVpcEndpoint { .. } => "add-vpc-endpoint",
        Command::DeleteVpcEndpoint { .. } => "delete-vpc-endpoint",
        Command::UpdateClusterSubnets { .. } => "update-cluster-subnets",
        Command::SetPublicAccessCidrs { .. } => "set-public-access-cidrs",
        Command::SetAuthenticationMode { .. } => "set-authentication-mode",
    }
}

impl Exercise {
    /// Reads and validates an exercise: JSON errors give the line and
    /// column; every other problem names the field.
    pub fn from_json(text: &str) -> Result<Self, ExerciseError> {
        let ex: Self = crate::json::parse(text).map_err(|e| {
            err(
                "file",
                format!("line {}, column {}: {}", e.line, e.column, e.message),
            )
        })?;
        ex.validate()?;
        Ok(ex)
    }

    /// The starting scenario.
    pub fn start(&self) -> Result<Scenario, ExerciseError> {
        match &self.scenario {
            Start::Inline(s) => {
                // The same version check as a scenario file gets.
                if s.version == 0 || s.version > crate::scenario::SCENARIO_VERSION {
                    return Err(err(
                        "scenario.version",
                        crate::scenario::ScenarioError::UnsupportedVersion { version: s.version }
                            .to_string(),
                    ));
                }
                Ok((**s).clone())
            }
            Start::Builtin(name) => builtin::get(name)
                .ok_or_else(|| {
                    err(
                        "scenario",
                        format!("no built-in scenario {}; `podnet run` lists them in its help, or write the scenario out", crate::json::quoted(name)),
                    )
                })
                .and_then(|json| {
                    Scenario::from_json(json).map_err(|e| err("scenario", e.to_string()))
                }),
        }
    }

    /// Whether the learner may run `command`.
    pub fn allows(&self, command: &Command) -> bool {
        self.allows_action(action_name(command))
    }

    /// Whether the learner may run the scenario action named `action`
    /// (`add-pods`): every action when the exercise lists none.
    pub fn allows_action(&self, action: &str) -> bool {
        self.allowed_actions.is_empty() || self.allowed_actions.iter().any(|a| a == action)
    }

    /// Checks everything but the solution's outcome.
    fn validate(&self) -> Result<(), ExerciseError> {
        // Names and settings no longer than real ones (prose is not checked).
        let long = |field: String, length: usize| {
            err(
                field,
                format!(
                    "{length} characters; podnet takes at most {} in a name, CIDR or setting",
                    crate::json::MAX_TEXT
                ),
            )
        };
        crate::json::check_text_lengths(&self.id).map_err(|(_, n)| long("id".into(), n))?;
        crate::json::check_text_lengths(&self.allowed_actions)
            .map_err(|(f, n)| long(format!("allowed_actions{f}"), n))?;
        crate::json::check_text_lengths(&self.solution)
            .map_err(|(f, n)| long(format!("solution{f}"), n))?;
        for (i, g) in self.goals.iter().enumerate() {
            crate::json::check_text_lengths(&g.all)
                .map_err(|(f, n)| long(format!("goals[{i}].all{f}"), n))?;
        }
        if self.version != EXERCISE_VERSION {
            return Err(err(
                "version",
                format!(
                    "{} is not a version this podnet reads (it reads {EXERCISE_VERSION})",
                    self.version
                ),
            ));
        }
        if self.id.is_empty()
            || !self
                .id
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        {
            return Err(err(
                "id",
                format!(
                    "{}: use lowercase letters, digits and '-' (it goes in the URL)",
                    crate::json::quoted(&self.id)
                ),
            ));
        }
        for (field, text) in [
            ("title", &self.title),
            ("goal", &self.goal),
            ("explanation", &self.explanation),
        ] {
            if text.trim().is_empty() {
                return Err(err(field, "is empty"));
            }
        }
        if let Some((i, a)) = self
            .allowed_actions
            .iter()
            .enumerate()
            .find(|(_, a)| !ACTIONS.contains(&a.as_str()))
        {
            return Err(err(
                format!("allowed_actions[{i}]"),
                format!(
                    "{} is not an action; the actions are {}",
                    crate::json::quoted(a),
                    ACTIONS.join(", ")
                ),
            ));
        }
        if self.goals.is_empty() {
            return Err(err("goals", "no goal: add at least one"));
        }
        for (i, g) in self.goals.iter().enumerate() {
            if g.text.trim().is_empty() {
                return Err(err(format!("goals[{i}].text"), "is empty"));
            }
            if g.all.is_empty() {
                return Err(err(
                    format!("goals[{i}].all"),
                    "no check: a goal needs at least one",
                ));
            }
        }
        if self.solution.is_empty() {
            return Err(err(
                "solution",
                "no command: the reference solution proves the exercise solvable",
            ));
        }
        if let Some((i, c)) = self
            .solution
            .iter()
            .enumerate()
            .find(|(_, c)| !self.allows(c))
        {
            return Err(err(
                format!("solution[{i}]"),
                format!("{} is not in allowed_actions", action_name(c)),
            ));
        }
        let start = self.start()?;
        let sb = start
            .replay()
            .map_err(|e| err("scenario", e.to_string()))?
            .sandbox;
        for (i, g) in self.goals.iter().enumerate() {
            for (j, c) in g.all.iter().enumerate() {
                c.validate(&sb)
                    .map_err(|m| err(format!("goals[{i}].all[{j}]"), m))?;
            }
        }
        Ok(())
    }

    /// Proves the exercise solvable: replays the reference solution and
    /// checks that every goal is met. Errors name the step or the goal.
    pub fn check_solution(&self) -> Result<(), ExerciseError> {
        let mut attempt = Attempt::new(self)?;
        for (i, c) in self.solution.iter().enumerate() {
            attempt
                .run(c.clone())
                .map_err(|e| err(format!("solution[{i}]"), format!("{c}: {e}")))?;
        }
        if let Some((i, g)) = attempt.goals().iter().enumerate().find(|(_, g)| !g.met) {
            return Err(err(
                format!("goals[{i}]"),
                format!(
                    "{:?} is not met after the reference solution: {}",
                    self.goals
                        .get(i)
                        .map(|g| g.text.as_str())
                        .unwrap_or_default(),
                    g.why
                ),
            ));
        }
        Ok(())
    }

    /// Whether the start already meets every goal (an exercise with
    /// nothing to do).
    pub fn solved_at_start(&self) -> bool {
        Attempt::new(self).is_ok_and(|a| a.done())
    }
}

/// The built-in exercises.
pub mod builtin_exercises {
    /// `(id, JSON)` of every built-in exercise, in teaching order.
    pub const ALL: [(&str, &str); 15] = [
        (
            "size-a-subnet",
            include_str!("../../exercises/size-a-subnet.json"),
        ),
        (
            "pending-or-containercreating",
            include_str!("../../exercises/pending-or-containercreating.json"),
        ),
        (
            "warm-pool-ate-my-subnet",
            include_str!("../../exercises/warm-pool-ate-my-subnet.json"),
        ),
        (
            "prefix-delegation",
            include_str!("../../exercises/prefix-delegation.json"),
        ),
        (
            "custom-networking",
            include_str!("../../exercises/custom-networking.json"),
        ),
        (
            "xenis-need-free-ips",
            include_str!("../../exercises/xenis-need-free-ips.json"),
        ),
        (
            "private-endpoint-join",
            include_str!("../../exercises/private-endpoint-join.json"),
        ),
        (
            "public-endpoint-no-nat",
            include_str!("../../exercises/public-endpoint-no-nat.json"),
        ),
        (
            "restricted-public-endpoint",
            include_str!("../../exercises/restricted-public-endpoint.json"),
        ),
        (
            "webhook-under-an-overlay",
            include_str!("../../exercises/webhook-under-an-overlay.json"),
        ),
        ("four-cnis", include_str!("../../exercises/four-cnis.json")),
        (
            "flat-network",
            include_str!("../../exercises/flat-network.json"),
        ),
        (
            "isolate-a-namespace",
            include_str!("../../exercises/isolate-a-namespace.json"),
        ),
        (
            "default-deny-egress-breaks-dns",
            include_str!("../../exercises/default-deny-egress-breaks-dns.json"),
        ),
        (
            "policy-ignored-on-flannel",
            include_str!("../../exercises/policy-ignored-on-flannel.json"),
        ),
    ];

    /// The JSON of the built-in exercise `id`.
    pub fn get(id: &str) -> Option<&'static str> {
        ALL.iter().find(|(n, _)| *n == id).map(|(_, j)| *j)
    }

    /// `(id, title)` of every built-in exercise, read without parsing.
    pub fn titles() -> impl Iterator<Item = (&'static str, &'static str)> {
        ALL.iter().filter_map(|(id, json)| {
            let (_, rest) = json.split_once("\"title\": \"")?;
            let (title, _) = rest.split_once('"')?;
            Some((*id, title))
        })
    }
}
