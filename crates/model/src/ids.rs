//! Typed ids. Each displays the way learners see it in the AWS console or
//! kubectl (`subnet-1`, `eni-3`, `node-2`, `pod-7`), and serialises as a number.

use std::fmt;

use serde::{Deserialize, Serialize};

macro_rules! id {
    ($(#[$doc:meta])* $name:ident, $prefix:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub u32);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!($prefix, "-{}"), self.0)
            }
        }
    };
}

id!(
    /// A subnet of the VPC.
    SubnetId,
    "subnet"
);
id!(
    /// A network interface: a node's, the control plane's (X-ENI), a trunk or a branch.
    EniId,
    "eni"
);
id!(
    /// A worker node (an EC2 instance).
    NodeId,
    "node"
);
id!(
    /// A pod.
    PodId,
    "pod"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_display_like_the_console() {
        assert_eq!(EniId(3).to_string(), "eni-3");
        assert_eq!(SubnetId(1).to_string(), "subnet-1");
        assert_eq!(serde_json::to_string(&PodId(7)).unwrap(), "7");
    }
}
