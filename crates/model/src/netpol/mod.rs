//! Kubernetes NetworkPolicy (`networking.k8s.io/v1`): the objects as
//! `kubectl apply` takes them ([`api`]), the API server's validation and
//! defaults ([`validate`]), and the verdict for a connection on each side
//! ([`eval`]). Who enforces the verdict depends on the CNI; that is the
//! sandbox's business, not this module's.

pub mod api;
pub mod eval;
pub(crate) mod names;
pub mod validate;
pub mod yaml;

#[cfg(test)]
mod tests;

use std::fmt;

use serde::{Deserialize, Serialize};

pub use api::{Labels, NetworkPolicy};
pub use eval::{Dialect, Direction, Endpoint, Evaluator, NamedPort, Verdict};
pub use validate::{FieldError, Policy};

/// A transport protocol a policy port names.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
pub enum Protocol {
    /// TCP, the default.
    #[default]
    #[serde(rename = "TCP")]
    Tcp,
    /// UDP.
    #[serde(rename = "UDP")]
    Udp,
    /// SCTP.
    #[serde(rename = "SCTP")]
    Sctp,
}

impl Protocol {
    /// `TCP`, `UDP`, `SCTP` (as the API spells them; case matters).
    pub fn from_name(s: &str) -> Option<Self> {
        match s {
            "TCP" => Some(Self::Tcp),
            "UDP" => Some(Self::Udp),
            "SCTP" => Some(Self::Sctp),
            _ => None,
        }
    }

    /// As the API spells it.
    pub fn name(self) -> &'static str {
        match self {
            Self::Tcp => "TCP",
            Self::Udp => "UDP",
            Self::Sctp => "SCTP",
        }
    }
}

impl fmt::Display for Protocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Why a policy was not applied, as `kubectl apply` reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum PolicyError {
    /// Not YAML or JSON.
    Syntax {
        /// The parser's words.
        message: String,
    },
    /// The object does not decode as a NetworkPolicy (a wrong type, an
    /// unknown field: kubectl's default strict field validation).
    Decode {
        /// Where.
        field: String,
        /// What.
        message: String,
    },
    /// Not `networking.k8s.io/v1` `NetworkPolicy`.
    NoMatch {
        /// Its kind.
        kind: String,
        /// Its apiVersion.
        api_version: String,
    },
    /// Refused by validation.
    Invalid {
        /// The policy's name.
        name: String,
        /// Every field error.
        errors: Vec<FieldError>,
    },
}

impl fmt::Display for PolicyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Syntax { message } => write!(f, "error converting YAML to JSON: {message}"),
            Self::Decode { field, message } if field.is_empty() || field == "." => write!(
                f,
                "NetworkPolicy in version \"v1\" cannot be handled as a NetworkPolicy: {message}"
            ),
            Self::Decode { field, message } => write!(
                f,
                "NetworkPolicy in version \"v1\" cannot be handled as a NetworkPolicy: {field}: {message}"
            ),
            Self::NoMatch { kind, api_version } => write!(
                f,
                "resource mapping not found: no matches for kind \"{kind}\" in version \"{api_version}\" (podnet models networking.k8s.io/v1 NetworkPolicy)"
            ),
            // apimachinery errors.NewInvalid: one error as it is, several
            // in brackets.
            Self::Invalid { name, errors } => {
                write!(f, "NetworkPolicy.networking.k8s.io \"{name}\" is invalid: ")?;
                match errors.as_slice() {
                    [one] => write!(f, "{one}"),
                    many => {
                        // The first four: enough to fix, and a message
                        // stays readable.
                        let all: Vec<String> = many.iter().take(4).map(ToString::to_string).collect();
                        let more = many.len().saturating_sub(4);
                        let tail = if more > 0 { format!(", and {more} more") } else { String::new() };
                        write!(f, "[{}{tail}]", all.join(", "))
                    }
                }
            }
        }
    }
}

impl std::error::Error for PolicyError {}

/// Decodes one NetworkPolicy from its JSON form, strictly (unknown fields
/// refused, as `kubectl apply`'s default `--validate=strict` does).
pub fn decode(value: &serde_json::Value) -> Result<NetworkPolicy, PolicyError> {
    if let Some(field) = unknown_field(value) {
        return Err(PolicyError::Decode {
            field: String::new(),
            message: format!("strict decoding error: unknown field \"{field}\""),
        });
    }
    NetworkPolicy::deserialize(value).map_err(|e| PolicyError::Decode {
        field: String::new(),
        message: e.to_string(),
    })
}

/// The fields each part of a NetworkPolicy has (`k8s.io/api/networking/v1`
/// types), for kubectl's strict field validation: the first unknown
/// field's path (`spec.ingres`), walked here rather than tracked through
/// serde (which would instantiate every decoder twice in the `.wasm`).
fn unknown_field(value: &serde_json::Value) -> Option<String> {
    use serde_json::Value;
    const TOP: &[&str] = &["apiVersion", "kind", "metadata", "spec", "status"];
    const SPEC: &[&str] = &["podSelector", "ingress", "egress", "policyTypes"];
    const INGRESS: &[&str] = &["ports", "from"];
    const EGRESS: &[&str] = &["ports", "to"];
    const PEER: &[&str] = &["podSelector", "namespaceSelector", "ipBlock"];
    const BLOCK: &[&str] = &["cidr", "except"];
    const PORT: &[&str] = &["protocol", "port", "endPort"];
    const SELECTOR: &[&str] = &["matchLabels", "matchExpressions"];
    const REQUIREMENT: &[&str] = &["key", "operator", "values"];
    fn fields(v: &Value, path: &str, known: &[&str]) -> Option<String> {
        v.as_object()?
            .keys()
            .find(|k| !known.contains(&k.as_str()))
            .map(|k| {
                if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                }
            })
    }
    fn each<'a>(v: &'a Value, key: &str) -> impl Iterator<Item = (usize, &'a Value)> {
        v.get(key)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
    }
    fn selector(v: Option<&Value>, path: &str) -> Option<String> {
        let v = v?;
        fields(v, path, SELECTOR).or_else(|| {
            each(v, "matchExpressions")
                .find_map(|(i, r)| fields(r, &format!("{path}.matchExpressions[{i}]"), REQUIREMENT))
        })
    }
    if let Some(f) = fields(value, "", TOP) {
        return Some(f);
    }
    let spec = value.get("spec");
    let rules = |key: &str, peers: &str, known: &'static [&'static str]| {
        spec.into_iter()
            .flat_map(move |s| each(s, key))
            .find_map(|(i, r)| {
                let path = format!("spec.{key}[{i}]");
                fields(r, &path, known)
                    .or_else(|| {
                        each(r, "ports")
                            .find_map(|(j, p)| fields(p, &format!("{path}.ports[{j}]"), PORT))
                    })
                    .or_else(|| {
                        each(r, peers).find_map(|(j, p)| {
                            let pp = format!("{path}.{peers}[{j}]");
                            fields(p, &pp, PEER)
                                .or_else(|| {
                                    selector(p.get("podSelector"), &format!("{pp}.podSelector"))
                                })
                                .or_else(|| {
                                    selector(
                                        p.get("namespaceSelector"),
                                        &format!("{pp}.namespaceSelector"),
                                    )
                                })
                                .or_else(|| {
                                    p.get("ipBlock")
                                        .and_then(|b| fields(b, &format!("{pp}.ipBlock"), BLOCK))
                                })
                        })
                    })
            })
    };
    spec.and_then(|s| fields(s, "spec", SPEC))
        .or_else(|| selector(spec.and_then(|s| s.get("podSelector")), "spec.podSelector"))
        .or_else(|| rules("ingress", "from", INGRESS))
        .or_else(|| rules("egress", "to", EGRESS))
}

/// The policies of a cluster, in namespace then name order (the order
/// verdicts name the first allowing one in). Saved as the list of
/// objects; loading checks each again.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PolicySet {
    policies: Vec<Policy>,
}

impl Serialize for PolicySet {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.policies.iter().map(|p| &p.object))
    }
}

impl<'de> Deserialize<'de> for PolicySet {
    /// Through the JSON values and [`decode`], so that the policy types are
    /// decoded by one deserializer only (smaller `.wasm`).
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let objects = Vec::<serde_json::Value>::deserialize(d)?;
        let mut set = Self::default();
        for o in &objects {
            let p = decode(o)
                .and_then(|p| Policy::new(p, "default"))
                .map_err(serde::de::Error::custom)?;
            set.apply(p);
        }
        Ok(set)
    }
}

impl PolicySet {
    /// The policies, by namespace then name.
    pub fn policies(&self) -> &[Policy] {
        &self.policies
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.policies.is_empty()
    }

    /// Adds `p`, replacing a policy of the same namespace and name
    /// (`kubectl apply` of a changed object); whether it replaced one.
    pub fn apply(&mut self, p: Policy) -> bool {
        match self.policies.binary_search_by(|q| {
            (q.namespace.as_str(), q.name.as_str()).cmp(&(&p.namespace, &p.name))
        }) {
            Ok(i) => {
                if let Some(slot) = self.policies.get_mut(i) {
                    *slot = p;
                }
                true
            }
            Err(i) => {
                self.policies.insert(i, p);
                false
            }
        }
    }

    /// Removes the policy `namespace`/`name`; whether there was one.
    pub fn delete(&mut self, namespace: &str, name: &str) -> bool {
        let before = self.policies.len();
        self.policies
            .retain(|p| !(p.namespace == namespace && p.name == name));
        self.policies.len() != before
    }

    /// The policy at `index`, as `namespace/name`.
    pub fn name_of(&self, index: usize) -> String {
        self.policies
            .get(index)
            .map(|p| format!("{}/{}", p.namespace, p.name))
            .unwrap_or_default()
    }

    /// A verdict in words: which policy and rule decided.
    pub fn explain(&self, v: &Verdict, direction: Direction) -> String {
        let side = direction.name();
        match v {
            Verdict::NotAPod => format!("{side}: not a pod, so no NetworkPolicy applies"),
            Verdict::NotIsolated => {
                format!("{side}: allowed, no policy selects this pod for {side}")
            }
            Verdict::Allowed { policy, rule } => {
                format!(
                    "{side}: allowed by {} rule {}",
                    self.name_of(*policy),
                    rule + 1
                )
            }
            Verdict::Denied { policies } => {
                let names: Vec<String> = policies.iter().map(|p| self.name_of(*p)).collect();
                let (all, verb) = match names.as_slice() {
                    [one] => (one.clone(), "selects"),
                    [rest @ .., last] => (format!("{} and {last}", rest.join(", ")), "select"),
                    [] => (String::new(), "select"),
                };
                format!("{side}: denied, {all} {verb} this pod for {side} and no rule allows it")
            }
        }
    }
}
