//! # podnet-model
//!
//! The pure model behind podnet, a sandbox for learning how Kubernetes pod
//! networking works on AWS. No web, storage or clock dependency: the web app
//! and the `podnet` CLI both drive this crate, and every rule in it is tested
//! natively with `cargo test`.
//!
//! - [`addr`]: CIDR arithmetic under AWS's subnet rules (five reserved
//!   addresses, `/16`–`/28`, overlap).

pub mod addr;

pub use addr::{CidrError, ReservedAddress, ReservedRole, SubnetSummary};
