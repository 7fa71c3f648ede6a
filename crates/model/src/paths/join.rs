//! A node's join, as the page and `podnet join` show it: the steps the
//! sandbox decides the join by (`sandbox::join`).

use super::TraceError;
use crate::sandbox::{Join, Sandbox};

impl Sandbox {
    /// How the node called `reference` (kubectl name or id) joins.
    ///
    /// # Errors
    /// [`TraceError::UnknownEndpoint`] for an unknown node,
    /// [`TraceError::NoCluster`] without a cluster.
    pub fn join(&self, reference: &str) -> Result<Join, TraceError> {
        let r = reference.trim();
        let node = self
            .nodes
            .values()
            .find(|n| n.name == r || n.id.to_string() == r)
            .ok_or_else(|| TraceError::UnknownEndpoint {
                reference: r.to_owned(),
            })?;
        self.join_steps(node)
    }
}
