//! The query layer: what the page's inspector, address grid and advice
//! ask of a sandbox, as free functions over `&Sandbox`. They read; only
//! `Sandbox::apply` changes anything.

mod explain;
pub mod reach;
mod tally;
mod uses;

pub(crate) use explain::{eni_pod_ip, node_range_pod_ip, node_range_pool, overlay_pod_ip};
pub use explain::{
    explain_eni, explain_max_pods, explain_node_addresses, explain_pod_ip, explain_subnet_free,
    explain_subnet_usable, explain_upgrade,
};
pub use tally::{newest_node, newest_pods, outcome, NodeState, PodTally};
pub use uses::{address_uses, advice_for_pod, advice_for_subnet, wait_would_help, AddressUse};
pub(crate) use uses::{range_full_advice, subnet_fixes, vpc_no_address_advice};
