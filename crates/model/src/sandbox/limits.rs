//! podnet's supported scale, and the range check every command uses.

use super::SandboxError;

/// Pods the sandbox holds at most: podnet's supported scale (the planner's
/// too), and what one command may create.
pub const MAX_PODS: u32 = 150_000;

/// Pods one command may create.
pub const MAX_PODS_PER_COMMAND: u32 = MAX_PODS;

/// Nodes the sandbox holds at most: podnet's supported scale.
pub const MAX_NODES: usize = 5_000;

/// The longest pod name prefix: a pod name is a DNS subdomain of at most
/// 253 characters (Kubernetes object names), and podnet adds `-<number>`.
pub const MAX_POD_PREFIX: usize = 240;

pub(crate) fn check_range(what: &str, value: u64, min: u64, max: u64) -> Result<(), SandboxError> {
    if (min..=max).contains(&value) {
        Ok(())
    } else {
        Err(SandboxError::OutOfRange {
            what: what.into(),
            value,
            min,
            max,
        })
    }
}
