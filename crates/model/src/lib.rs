//! # podnet-model
//!
//! The pure model behind podnet, a sandbox for learning how Kubernetes pod
//! networking works on AWS. No web, storage or clock dependency: the web app
//! and the `podnet` CLI both drive this crate, and every rule in it is tested
//! natively with `cargo test`.
//!
//! - [`addr`]: CIDR arithmetic under AWS's subnet rules (five reserved
//!   addresses, `/16`–`/28`, overlap).
//! - [`catalog`]: the 1,391 EC2 instance types and their ENI limits.
//! - [`cni`]: CNI strategies; the AWS VPC CNI's max pods and ipamd warm pool.
//! - [`eni`]: network interfaces and the addresses on them.
//! - [`events`]: what happened, in kubectl / ipamd / EC2 wording.
//! - [`exercise`]: exercises as data: goals, hints, reference solutions.
//! - [`explain`]: derivations of every derived number.
//! - [`ids`]: typed ids that display like the console (`eni-3`).
//! - [`ipam`]: [`IpPool`], who holds which address of a subnet.
//! - [`vpc`]: the VPC, its blocks and subnets.
//! - [`cluster`]: the EKS control plane and X-ENIs, nodes and pods.
//! - [`command`]: what can be asked of the sandbox.
//! - [`compare`]: one scenario under several CNIs, side by side.
//! - [`plan`]: size subnets for a cluster, lay them out, export eksctl.
//! - [`sandbox`]: [`Sandbox`], the world, changed only by `apply(Command)`.
//! - [`scenario`]: [`Scenario`], setup + commands, replayed; the built-in ones.

pub mod addr;
pub mod catalog;
pub mod cluster;
pub mod cni;
pub mod command;
pub mod compare;
pub mod egress;
pub mod eni;
pub mod events;
pub mod exercise;
pub mod explain;
pub mod idmap;
pub mod ids;
pub mod ipam;
pub mod json;
pub mod max_pods;
pub mod netpol;
pub mod ordered;
pub mod paths;
pub mod plan;
pub mod query;
pub mod sandbox;
pub mod scenario;
pub mod vpc;

pub use addr::{CidrError, ReservedAddress, ReservedRole, SubnetSummary};
pub use catalog::{CatalogError, InstanceLimits, InstanceType};
pub use cluster::{EndpointAccess, PodStatus};
pub use cni::{CniMode, VpcCni};
pub use command::Command;
pub use events::{Event, EventKind};
pub use explain::Derivation;
pub use ids::{EniId, NodeId, PodId, SubnetId};
pub use ipam::{AllocError, Holder, IpPool};
pub use sandbox::{Sandbox, SandboxError};
pub use scenario::{Replay, Scenario, ScenarioError};
