//! Namespaces, labels and NetworkPolicies: the API objects the policies
//! read. Applying or deleting them moves no address; what they change is
//! who may talk to whom ([`crate::query::reach`]).

use super::{Sandbox, SandboxError};
use crate::cluster::DEFAULT_NAMESPACE;
use crate::events::{EventKind, Recorder};
use crate::netpol::{names, Labels, Policy};

/// The label every namespace carries with its own name (Kubernetes 1.22+,
/// `NamespaceDefaultLabelName`), so `namespaceSelector` can name one.
pub const NAME_LABEL: &str = "kubernetes.io/metadata.name";

/// The namespaces every cluster starts with.
pub const BUILT_IN_NAMESPACES: [&str; 4] =
    ["default", "kube-node-lease", "kube-public", "kube-system"];

/// `labels` checked as the API server checks `metadata.labels`.
pub(super) fn label_errors(labels: &Labels) -> Vec<String> {
    let mut errors = Vec::new();
    for (k, v) in labels {
        for m in names::qualified_name(k) {
            errors.push(format!(
                "metadata.labels: Invalid value: {}: {m}",
                crate::json::quoted(k)
            ));
        }
        for m in names::label_value(v) {
            errors.push(format!(
                "metadata.labels: Invalid value: {}: {m}",
                crate::json::quoted(v)
            ));
        }
    }
    errors
}

/// The built-in namespaces, each with its name label.
pub(crate) fn built_in_namespaces() -> std::collections::BTreeMap<String, Labels> {
    let mut m = std::collections::BTreeMap::new();
    for ns in BUILT_IN_NAMESPACES {
        m.insert(ns.to_owned(), crate::netpol::api::one_label(NAME_LABEL, ns));
    }
    m
}

impl Sandbox {
    /// The namespace `name`, or `namespaces "x" not found`.
    pub(super) fn check_namespace(&self, name: &str) -> Result<(), SandboxError> {
        if self.namespaces.contains_key(name) {
            Ok(())
        } else {
            Err(SandboxError::NamespaceNotFound {
                name: name.to_owned(),
            })
        }
    }

    pub(super) fn add_namespace(
        &mut self,
        name: &str,
        labels: &Labels,
        events: &mut Recorder,
    ) -> Result<(), SandboxError> {
        let mut errors: Vec<String> = names::dns_label(name)
            .into_iter()
            .map(|m| {
                format!(
                    "metadata.name: Invalid value: {}: {m}",
                    crate::json::quoted(name)
                )
            })
            .collect();
        errors.extend(label_errors(labels));
        if !errors.is_empty() {
            return Err(SandboxError::InvalidObject {
                kind: "Namespace",
                name: name.to_owned(),
                errors,
            });
        }
        if self.namespaces.contains_key(name) {
            return Err(SandboxError::AlreadyExists {
                resource: "namespaces",
                name: name.to_owned(),
            });
        }
        self.namespaces
            .insert(name.to_owned(), with_name_label(labels, name));
        self.event(
            events,
            EventKind::ObjectChanged {
                summary: format!("namespace/{name} created"),
            },
        );
        Ok(())
    }

    pub(super) fn set_labels(
        &mut self,
        kind: crate::command::LabelTarget,
        namespace: Option<&str>,
        name: &str,
        labels: &Labels,
        events: &mut Recorder,
    ) -> Result<(), SandboxError> {
        use crate::command::LabelTarget;
        let errors = label_errors(labels);
        let kind_name = match kind {
            LabelTarget::Pod => "Pod",
            LabelTarget::Namespace => "Namespace",
        };
        if !errors.is_empty() {
            return Err(SandboxError::InvalidObject {
                kind: kind_name,
                name: name.to_owned(),
                errors,
            });
        }
        let summary = match kind {
            LabelTarget::Namespace => {
                let slot = self.namespaces.get_mut(name).ok_or_else(|| {
                    SandboxError::NamespaceNotFound {
                        name: name.to_owned(),
                    }
                })?;
                // The API server keeps the name label whatever is asked.
                *slot = with_name_label(labels, name);
                format!("namespace/{name} labeled")
            }
            LabelTarget::Pod => {
                let ns = namespace.unwrap_or(DEFAULT_NAMESPACE);
                self.check_namespace(ns)?;
                let pod = self
                    .pods
                    .values_mut()
                    .find(|p| p.namespace == ns && p.name == name)
                    .ok_or_else(|| SandboxError::UnknownPod {
                        reference: format!("{ns}/{name}"),
                    })?;
                pod.labels = labels.clone();
                format!("pod/{name} labeled")
            }
        };
        self.event(events, EventKind::ObjectChanged { summary });
        Ok(())
    }

    pub(super) fn apply_network_policy(
        &mut self,
        object: &serde_json::Value,
        events: &mut Recorder,
    ) -> Result<(), SandboxError> {
        let decoded = crate::netpol::decode(object)?;
        let mut policy = Policy::new(decoded, DEFAULT_NAMESPACE)?;
        self.check_namespace(&policy.namespace)?;
        // Stored as the API server returns it: with its namespace.
        policy.object.metadata.namespace = Some(policy.namespace.clone());
        let unchanged = self.policies.policies().iter().any(|p| {
            p.namespace == policy.namespace && p.name == policy.name && p.object == policy.object
        });
        let name = policy.name.clone();
        let replaced = self.policies.apply(policy);
        let verb = match (replaced, unchanged) {
            (_, true) => "unchanged",
            (true, false) => "configured",
            (false, false) => "created",
        };
        self.event(
            events,
            EventKind::ObjectChanged {
                summary: format!("networkpolicy.networking.k8s.io/{name} {verb}"),
            },
        );
        Ok(())
    }

    pub(super) fn delete_network_policy(
        &mut self,
        namespace: Option<&str>,
        name: &str,
        events: &mut Recorder,
    ) -> Result<(), SandboxError> {
        let ns = namespace.unwrap_or(DEFAULT_NAMESPACE);
        if !self.policies.delete(ns, name) {
            return Err(SandboxError::PolicyNotFound {
                namespace: ns.to_owned(),
                name: name.to_owned(),
            });
        }
        self.event(
            events,
            EventKind::ObjectChanged {
                summary: format!("networkpolicy.networking.k8s.io \"{name}\" deleted"),
            },
        );
        Ok(())
    }
}

/// `labels` plus `kubernetes.io/metadata.name: name`.
fn with_name_label(labels: &Labels, name: &str) -> Labels {
    let mut l = labels.clone();
    l.insert(NAME_LABEL.to_owned(), name.to_owned());
    l
}
