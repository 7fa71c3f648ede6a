//! The `networking.k8s.io/v1` NetworkPolicy object as `kubectl apply`
//! takes it, field for field (Kubernetes API reference, "NetworkPolicy
//! v1 networking.k8s.io"; `k8s.io/api/networking/v1/types.go`). `None`
//! is an absent field and `Some(vec![])` an empty list: the API gives
//! them different meanings.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Labels: key → value.
pub type Labels = BTreeMap<String, String>;

/// `{key: value}`.
pub fn one_label(key: &str, value: &str) -> Labels {
    let mut l = Labels::new();
    l.insert(key.to_owned(), value.to_owned());
    l
}

/// A NetworkPolicy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(
    rename_all = "camelCase",
    deny_unknown_fields,
    expecting = "a NetworkPolicy object (apiVersion, kind, metadata, spec)"
)]
pub struct NetworkPolicy {
    /// `networking.k8s.io/v1`.
    pub api_version: String,
    /// `NetworkPolicy`.
    pub kind: String,
    /// Its name and namespace.
    pub metadata: ObjectMeta,
    /// What it selects and allows.
    #[serde(default)]
    pub spec: PolicySpec,
}

/// The part of `metadata` a policy uses; other metadata (`uid`,
/// `annotations`, `creationTimestamp`, …) is accepted and not kept.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(expecting = "an ObjectMeta object (name, namespace, labels)")]
pub struct ObjectMeta {
    /// Its name.
    #[serde(default)]
    pub name: String,
    /// Its namespace; `kubectl apply` uses `default` when it is absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// Its own labels.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub labels: Option<Labels>,
}

/// `spec`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(
    rename_all = "camelCase",
    deny_unknown_fields,
    expecting = "a NetworkPolicySpec object (podSelector, ingress, egress, policyTypes)"
)]
pub struct PolicySpec {
    /// The pods of the policy's namespace it applies to; `{}` is all of
    /// them.
    #[serde(default)]
    pub pod_selector: LabelSelector,
    /// Ingress rules: absent or empty, the selected pods (if isolated for
    /// ingress) accept nothing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ingress: Option<Vec<IngressRule>>,
    /// Egress rules.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub egress: Option<Vec<EgressRule>>,
    /// `Ingress`, `Egress`; when absent the API server sets it from the
    /// rules (`pkg/apis/networking/v1/defaults.go`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy_types: Option<Vec<String>>,
}

/// One ingress rule: traffic matching `from` and `ports` is allowed.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a NetworkPolicyIngressRule object (from, ports)"
)]
pub struct IngressRule {
    /// Ports; absent or empty is every port.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ports: Option<Vec<PolicyPort>>,
    /// Sources; absent or empty is every source.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<Vec<Peer>>,
}

/// One egress rule.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a NetworkPolicyEgressRule object (to, ports)"
)]
pub struct EgressRule {
    /// Ports; absent or empty is every port.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ports: Option<Vec<PolicyPort>>,
    /// Destinations; absent or empty is every destination.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<Vec<Peer>>,
}

/// A peer: pods (by pod and namespace selector) or an IP block.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(
    rename_all = "camelCase",
    deny_unknown_fields,
    expecting = "a NetworkPolicyPeer object (podSelector, namespaceSelector or ipBlock)"
)]
pub struct Peer {
    /// Pods, in the policy's namespace unless `namespace_selector` is set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pod_selector: Option<LabelSelector>,
    /// Namespaces.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace_selector: Option<LabelSelector>,
    /// Addresses.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip_block: Option<IpBlock>,
}

/// `ipBlock`: a CIDR less its `except` ranges.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, expecting = "an IPBlock object (cidr, except)")]
pub struct IpBlock {
    /// The range.
    #[serde(default)]
    pub cidr: String,
    /// Ranges inside it that do not match.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub except: Option<Vec<String>>,
}

/// A port, a named port or a range, with its protocol.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(
    rename_all = "camelCase",
    deny_unknown_fields,
    expecting = "a NetworkPolicyPort object (protocol, port, endPort)"
)]
pub struct PolicyPort {
    /// `TCP` (the default), `UDP` or `SCTP`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protocol: Option<String>,
    /// A number or a container port's name; absent is every port.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<IntOrString>,
    /// The end of a range starting at `port`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_port: Option<i64>,
}

/// A port number or name (`intstr.IntOrString`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged, expecting = "a port number or a port name")]
pub enum IntOrString {
    /// A number.
    Int(i64),
    /// A name.
    Str(String),
}

/// A label selector (`metav1.LabelSelector`): all of `matchLabels` and
/// all of `matchExpressions`; empty selects everything.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(
    rename_all = "camelCase",
    deny_unknown_fields,
    expecting = "a LabelSelector object (matchLabels, matchExpressions)"
)]
pub struct LabelSelector {
    /// Labels that must be present with these values.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub match_labels: Option<Labels>,
    /// Requirements.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub match_expressions: Option<Vec<Requirement>>,
}

/// One `matchExpressions` entry.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a LabelSelectorRequirement object (key, operator, values)"
)]
pub struct Requirement {
    /// The label key.
    #[serde(default)]
    pub key: String,
    /// `In`, `NotIn`, `Exists` or `DoesNotExist`.
    #[serde(default)]
    pub operator: String,
    /// The values for `In` and `NotIn`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub values: Option<Vec<String>>,
}

impl LabelSelector {
    /// Whether `labels` satisfy it (`labels.Selector.Matches`).
    pub fn matches(&self, labels: &Labels) -> bool {
        let labels_ok = self
            .match_labels
            .iter()
            .flatten()
            .all(|(k, v)| labels.get(k) == Some(v));
        labels_ok
            && self
                .match_expressions
                .iter()
                .flatten()
                .all(|r| r.matches(labels))
    }

    /// Whether it selects everything (`{}`).
    pub fn is_empty(&self) -> bool {
        self.match_labels.as_ref().is_none_or(|m| m.is_empty())
            && self.match_expressions.as_ref().is_none_or(|e| e.is_empty())
    }

    /// What a policy with this podSelector selects, in words: `every pod`
    /// for `{}` (kubectl describe writes `<none> (Allowing the specific
    /// traffic to all pods in this namespace)`; `<none>` alone reads as
    /// "no pod"), otherwise `pods with app=web`.
    pub fn selects(&self) -> String {
        if self.is_empty() {
            "every pod".to_owned()
        } else {
            format!("pods with {}", self.describe())
        }
    }

    /// As `kubectl describe` writes it: `app=web,tier in (a,b)`, or
    /// `<none>` for `{}`.
    pub fn describe(&self) -> String {
        let mut parts: Vec<String> = self
            .match_labels
            .iter()
            .flatten()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        for r in self.match_expressions.iter().flatten() {
            let values = r.values.as_deref().unwrap_or_default().join(",");
            parts.push(match r.operator.as_str() {
                "In" => format!("{} in ({values})", r.key),
                "NotIn" => format!("{} notin ({values})", r.key),
                "Exists" => r.key.clone(),
                _ => format!("!{}", r.key),
            });
        }
        if parts.is_empty() {
            "<none>".to_owned()
        } else {
            parts.join(",")
        }
    }
}

impl Requirement {
    /// `In`: the key is present with one of the values; `NotIn`: absent, or
    /// present with none of them; `Exists` / `DoesNotExist`
    /// (`k8s.io/apimachinery/pkg/labels/selector.go`, `Requirement.Matches`).
    /// An operator validation refused never reaches here; it matches
    /// nothing.
    pub fn matches(&self, labels: &Labels) -> bool {
        let values = self.values.as_deref().unwrap_or_default();
        let value = labels.get(&self.key);
        match self.operator.as_str() {
            "In" => value.is_some_and(|v| values.contains(v)),
            "NotIn" => value.is_none_or(|v| !values.contains(v)),
            "Exists" => value.is_some(),
            "DoesNotExist" => value.is_none(),
            _ => false,
        }
    }
}
