//! CNI strategies: how a node's pods get their addresses.
//!
//! Each strategy is one module; [`CniMode`] is the closed, serialisable
//! choice among them, so scenarios and UI state stay `Clone + PartialEq +
//! Serialize`. Today: the AWS VPC CNI (secondary IPs and prefix delegation,
//! with ipamd's warm pool). Flannel, Calico and Cilium plug in here.

pub mod ipamd;
pub mod node_sim;
pub mod vpc_cni;

use serde::{Deserialize, Serialize};

use crate::catalog::InstanceType;
use crate::explain::Derivation;

pub use vpc_cni::VpcCni;

/// What a CNI strategy answers about a node before any pod exists.
pub trait Cni {
    /// The strategy's name as its users know it.
    fn name(&self) -> &'static str;
    /// Pods the node can run (uncapped), with the derivation.
    fn max_pods(&self, instance: &InstanceType) -> Derivation;
}

/// The CNI a cluster runs, with its settings.
/// JSON: `{"cni":"aws-vpc-cni","warm_eni_target":1,…}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "cni", rename_all = "kebab-case")]
pub enum CniMode {
    /// The AWS VPC CNI: pod IPs are VPC IPs on the node's ENIs.
    AwsVpcCni(VpcCni),
}

impl Default for CniMode {
    fn default() -> Self {
        Self::AwsVpcCni(VpcCni::default())
    }
}

impl CniMode {
    /// The strategy behind the choice.
    pub fn strategy(&self) -> &dyn Cni {
        match self {
            Self::AwsVpcCni(c) => c,
        }
    }
}
