//! Who enforces NetworkPolicy. The API server stores every valid policy
//! whatever the CNI; only an agent on the node makes it true.

use serde::Serialize;

/// Whether and how the CNI applies NetworkPolicy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "enforced", rename_all = "kebab-case")]
pub enum Enforcement {
    /// Nothing applies the policies: they are stored and ignored.
    None {
        /// Why, in a sentence.
        why: &'static str,
        /// Where that comes from.
        source: &'static str,
    },
    /// An agent on each node applies them.
    Enforced {
        /// The agent and how it filters.
        agent: &'static str,
        /// Where that comes from.
        source: &'static str,
        /// The VPC CNI's strict mode: a pod no policy selects is denied
        /// everything ("you must have a network policy defined for every
        /// pod"), host-network pods excepted.
        unselected_denied: bool,
        /// What to know about when the policies start to apply.
        note: Option<&'static str>,
    },
}

impl Enforcement {
    /// Whether verdicts are enforced.
    pub fn enforced(&self) -> bool {
        matches!(self, Self::Enforced { .. })
    }

    /// In words: who enforces, or why nothing does.
    pub fn describe(&self) -> String {
        match self {
            Self::None { why, .. } => format!("not enforced: {why}"),
            Self::Enforced {
                agent, note: None, ..
            } => format!("enforced by {agent}"),
            Self::Enforced {
                agent,
                note: Some(n),
                ..
            } => format!("enforced by {agent}; {n}"),
        }
    }
}
