//! Scenarios: a versioned setup plus an ordered list of commands. The state
//! is the replay of the commands, so undo, sharing, exporting and exercise
//! checking all work on this one format.
//!
//! ```json
//! {"version": 2, "name": "seed", "vpc_cidr": "10.10.0.0/16",
//!  "actions": [{"action": "add-subnet", "cidr": "10.10.1.0/24", "az": "eu-west-1a"}]}
//! ```

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::cni::CniMode;
use crate::command::Command;
use crate::events::Event;
use crate::sandbox::{Sandbox, SandboxError};

/// The scenario format this podnet writes. Format 2 models route tables,
/// gateways and VPC endpoints; a format-1 scenario (written before them) is
/// replayed with a way out assumed for every subnet, as podnet then did.
pub const SCENARIO_VERSION: u32 = 2;

/// A setup and the commands that build on it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// Format version ([`SCENARIO_VERSION`]).
    pub version: u32,
    /// A short id, e.g. `seed`.
    pub name: String,
    /// A title for people.
    #[serde(default)]
    pub title: String,
    /// What it shows.
    #[serde(default)]
    pub description: String,
    /// The VPC's primary block.
    pub vpc_cidr: String,
    /// The CNI at the start.
    #[serde(default)]
    pub cni: CniMode,
    /// Assume every subnet has a way out of the VPC instead of modelling
    /// route tables (the address planner's scenarios; always so for
    /// format 1).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub assume_egress: bool,
    /// The commands, in order.
    #[serde(default)]
    pub actions: Vec<Command>,
}

/// A scenario that cannot be read or replayed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub enum ScenarioError {
    /// Not valid scenario JSON.
    Parse {
        /// 1-based line.
        line: u32,
        /// 1-based column.
        column: u32,
        /// What serde said.
        message: String,
    },
    /// A share link that cannot be decoded.
    Link {
        /// What is wrong with it.
        reason: String,
    },
    /// Written by a newer podnet.
    UnsupportedVersion {
        /// The file's version.
        version: u32,
    },
    /// More work than podnet's supported scale, refused before replaying.
    TooLarge {
        /// Which limit, with the numbers.
        reason: String,
    },
    /// The setup itself is invalid (e.g. the VPC block).
    Setup(SandboxError),
    /// A command the sandbox refused.
    Action {
        /// 1-based position in `actions`.
        index: u32,
        /// The command, in words.
        action: String,
        /// Why it was refused.
        error: SandboxError,
    },
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Parse { line, column, message } => {
                write!(f, "not a podnet scenario: line {line}, column {column}: {message}")
            }
            Self::UnsupportedVersion { version: 0 } => write!(
                f,
                "scenario version 0 does not exist: podnet's scenario versions start at 1 (this podnet reads 1 to {SCENARIO_VERSION})"
            ),
            Self::UnsupportedVersion { version } => write!(
                f,
                "scenario version {version} is newer than this podnet, which reads version {SCENARIO_VERSION}"
            ),
            Self::TooLarge { reason } => write!(f, "scenario too large: {reason}"),
            Self::Setup(e) => write!(f, "scenario setup: {e}"),
            Self::Link { reason } => write!(f, "this share link cannot be opened: {reason}"),
            Self::Action { index, action, error } => {
                write!(f, "action {index} ({}): {error}", crate::json::cut(action, 120))
            }
        }
    }
}

impl std::error::Error for ScenarioError {}

/// A replayed scenario: the final state and every event on the way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Replay {
    /// The state after the last command.
    pub sandbox: Sandbox,
    /// The events of each command, in order (kept per command: one 150,000-pod
    /// command alone causes half a million events, too many to copy around).
    pub steps: Vec<Vec<Event>>,
}

impl Replay {
    /// Every event, oldest first.
    pub fn events(&self) -> impl Iterator<Item = &Event> {
        self.steps.iter().flatten()
    }
}

impl Scenario {
    /// An empty scenario around a VPC block.
    pub fn new(name: &str, vpc_cidr: &str) -> Self {
        Self {
            version: SCENARIO_VERSION,
            name: name.to_owned(),
            title: String::new(),
            description: String::new(),
            vpc_cidr: vpc_cidr.to_owned(),
            cni: CniMode::default(),
            assume_egress: false,
            actions: Vec::new(),
        }
    }

    /// Reads a scenario from JSON.
    ///
    /// # Errors
    /// [`ScenarioError::Parse`] with the position, or
    /// [`ScenarioError::UnsupportedVersion`].
    // One copy in the .wasm, however many callers (it is big).
    #[inline(never)]
    pub fn from_json(text: &str) -> Result<Self, ScenarioError> {
        let scenario: Self = crate::json::parse(text).map_err(|e| ScenarioError::Parse {
            line: e.line,
            column: e.column,
            message: e.message,
        })?;
        if scenario.version > SCENARIO_VERSION || scenario.version == 0 {
            return Err(ScenarioError::UnsupportedVersion {
                version: scenario.version,
            });
        }
        Ok(scenario)
    }

    /// The scenario as pretty JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// The scenario as compact JSON (for storage; smaller code than pretty).
    pub fn to_compact_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Replays the first `steps` commands (all of them with `None`).
    ///
    /// # Errors
    /// The first refused command, with its position.
    pub fn replay_until(&self, steps: Option<usize>) -> Result<Replay, ScenarioError> {
        let mut all = Vec::new();
        let sandbox = self.replay_each(steps, |_, got| all.push(got))?;
        Ok(Replay {
            sandbox,
            steps: all,
        })
    }

    /// Replays the first `steps` commands (all with `None`), handing each
    /// command and the events it caused to `each` (the page keeps them per
    /// step for its timeline).
    ///
    /// # Errors
    /// The first refused command, with its position.
    pub fn replay_each(
        &self,
        steps: Option<usize>,
        mut each: impl FnMut(&Command, Vec<Event>),
    ) -> Result<Sandbox, ScenarioError> {
        let mut sandbox = self.start_replay()?;
        let take = steps.unwrap_or(self.actions.len());
        for i in 0..take {
            let Some(step) = self.replay_command(&mut sandbox, i) else {
                break;
            };
            let (action, events) = step?;
            each(action, events);
        }
        Ok(sandbox)
    }

    /// The sandbox a replay starts from, once the scenario is within the
    /// limits. With [`Scenario::replay_command`], a replay can stop between
    /// commands (the page gives the main thread back between chunks of a
    /// big scenario, and shows how far it got).
    ///
    /// # Errors
    /// A scenario beyond the limits, or a VPC that cannot be set up.
    pub fn start_replay(&self) -> Result<Sandbox, ScenarioError> {
        self.check_limits()?;
        let mut sandbox =
            Sandbox::new(&self.vpc_cidr, self.cni.clone()).map_err(ScenarioError::Setup)?;
        sandbox.vpc.assume_egress = self.assume_egress || self.version < 2;
        Ok(sandbox)
    }

    /// Applies command `i` (0-based) to `sandbox`: the command and its
    /// events, or its refusal with its position; `None` past the last
    /// command.
    pub fn replay_command(
        &self,
        sandbox: &mut Sandbox,
        i: usize,
    ) -> Option<Result<(&Command, Vec<Event>), ScenarioError>> {
        let action = self.actions.get(i)?;
        Some(
            sandbox
                .apply(action.clone())
                .map(|events| (action, events))
                .map_err(|error| ScenarioError::Action {
                    index: u32::try_from(i + 1).unwrap_or(u32::MAX),
                    action: action.to_string(),
                    error,
                }),
        )
    }

    /// Refuses, before any work, a scenario beyond podnet's supported scale:
    /// commands, nodes, pods and simulated time in total (a short share
    /// link could otherwise ask for hours of work).
    ///
    /// # Errors
    /// [`ScenarioError::TooLarge`] naming the limit and the numbers.
    pub fn check_limits(&self) -> Result<(), ScenarioError> {
        let too = |what: &str, have: u64, max: u64| {
            Err(ScenarioError::TooLarge {
                reason: format!("{have} {what}; podnet replays at most {max}"),
            })
        };
        if self.actions.len() > MAX_ACTIONS {
            return too("commands", self.actions.len() as u64, MAX_ACTIONS as u64);
        }
        let (mut nodes, mut pods, mut wait) = (0u64, 0u64, 0u64);
        for a in &self.actions {
            match a {
                Command::AddNode(crate::command::AddNode { .. }) => nodes += 1,
                Command::AddPods(crate::command::AddPods { count, .. }) => {
                    pods += u64::from(*count)
                }
                Command::AdvanceTime { seconds } => wait += u64::from(*seconds),
                _ => {}
            }
        }
        if nodes > crate::sandbox::MAX_NODES as u64 {
            return too("nodes added", nodes, crate::sandbox::MAX_NODES as u64);
        }
        if pods > u64::from(crate::sandbox::MAX_PODS) {
            return too("pods added", pods, u64::from(crate::sandbox::MAX_PODS));
        }
        if wait > MAX_TOTAL_WAIT_S {
            return too("seconds of simulated waiting", wait, MAX_TOTAL_WAIT_S);
        }
        let long = |(field, length): (String, usize)| {
            ScenarioError::TooLarge {
            reason: format!(
                "{field} is {length} characters; podnet takes at most {} in a name, CIDR or setting",
                crate::json::MAX_TEXT
            ),
        }
        };
        crate::json::check_text_lengths(&self.vpc_cidr)
            .map_err(|(_, n)| long(("vpc_cidr".into(), n)))?;
        crate::json::check_text_lengths(&self.cni)
            .map_err(|(f, n)| long((format!("cni.{f}"), n)))?;
        for (i, a) in self.actions.iter().enumerate() {
            crate::json::check_text_lengths(a)
                .map_err(|(f, n)| long((format!("actions[{i}].{f}"), n)))?;
        }
        Ok(())
    }

    /// Replays every command.
    ///
    /// # Errors
    /// The first refused command, with its position.
    pub fn replay(&self) -> Result<Replay, ScenarioError> {
        self.replay_until(None)
    }
}

/// Commands a scenario may hold.
pub const MAX_ACTIONS: usize = 10_000;
/// Simulated waiting a scenario may ask for in total: a week.
pub const MAX_TOTAL_WAIT_S: u64 = 7 * 86_400;

/// The most JSON a share link may unpack to: 8 MiB.
pub const MAX_LINK_JSON: usize = 8 << 20;

/// The prefix of a share-link fragment: `s=` + format version + `.`.
pub const LINK_PREFIX: &str = "s=1.";

impl Scenario {
    /// The scenario as a URL fragment (without `#`): compact JSON, deflated,
    /// base64url. `s=1.` names the encoding, so a future one can differ.
    pub fn to_link_fragment(&self) -> String {
        use base64::Engine as _;
        let json = serde_json::to_vec(self).unwrap_or_default();
        let packed = miniz_oxide::deflate::compress_to_vec(&json, 9);
        format!(
            "{LINK_PREFIX}{}",
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(packed)
        )
    }

    /// Reads a scenario from a share-link fragment (with or without `#`).
    ///
    /// # Errors
    /// [`ScenarioError::Link`] saying what is wrong with the link, or the
    /// errors of [`Scenario::from_json`].
    pub fn from_link_fragment(fragment: &str) -> Result<Self, ScenarioError> {
        use base64::Engine as _;
        let f = fragment.trim().trim_start_matches('#');
        let Some(body) = f.strip_prefix(LINK_PREFIX) else {
            let reason = match f.strip_prefix("s=").and_then(|r| r.split('.').next()) {
                Some(v) => format!(
                    "it uses link format {}, and this podnet reads format 1",
                    crate::json::cut(v, 12)
                ),
                None => "it does not start with s=1.".to_owned(),
            };
            return Err(ScenarioError::Link { reason });
        };
        let packed = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(body)
            .map_err(|e| ScenarioError::Link {
                reason: format!(
                    "it is not valid base64url ({e}): it may have been cut short when copied"
                ),
            })?;
        // A link is at most a few KB; refuse to inflate past 8 MiB, more
        // than the largest scenario podnet replays (MAX_ACTIONS commands).
        let json = miniz_oxide::inflate::decompress_to_vec_with_limit(&packed, MAX_LINK_JSON)
            .map_err(|e| match e.status {
                miniz_oxide::inflate::TINFLStatus::HasMoreOutput => ScenarioError::TooLarge {
                    reason: format!(
                        "the link unpacks to more than {} MiB, the most podnet opens (the {MAX_ACTIONS} commands it replays at most fit in far less)",
                        MAX_LINK_JSON >> 20
                    ),
                },
                _ => ScenarioError::Link {
                    reason: "its data is corrupt (it does not inflate): it may have been cut short when copied"
                        .into(),
                },
            })?;
        let text = String::from_utf8(json).map_err(|_| ScenarioError::Link {
            reason: "its data is not UTF-8 text".into(),
        })?;
        Self::from_json(&text)
    }
}

/// The built-in scenarios, as data files shipped with podnet.
pub mod builtin {
    /// `(name, JSON)` of every built-in scenario, the default first.
    pub const ALL: &[(&str, &str)] = &[
        ("seed", include_str!("../scenarios/seed.json")),
        (
            "subnet-exhaustion",
            include_str!("../scenarios/subnet-exhaustion.json"),
        ),
        (
            "prefix-delegation",
            include_str!("../scenarios/prefix-delegation.json"),
        ),
        (
            "upgrade-blocked",
            include_str!("../scenarios/upgrade-blocked.json"),
        ),
        (
            "custom-networking",
            include_str!("../scenarios/custom-networking.json"),
        ),
        ("flannel", include_str!("../scenarios/flannel.json")),
        ("calico", include_str!("../scenarios/calico.json")),
        ("cilium", include_str!("../scenarios/cilium.json")),
        ("cilium-eni", include_str!("../scenarios/cilium-eni.json")),
        (
            "network-policy",
            include_str!("../scenarios/network-policy.json"),
        ),
        (
            "security-groups-for-pods",
            include_str!("../scenarios/security-groups-for-pods.json"),
        ),
        (
            "private-endpoint-join",
            include_str!("../scenarios/private-endpoint-join.json"),
        ),
        (
            "public-endpoint-no-nat",
            include_str!("../scenarios/public-endpoint-no-nat.json"),
        ),
        (
            "restricted-public-endpoint",
            include_str!("../scenarios/restricted-public-endpoint.json"),
        ),
    ];

    /// The JSON of the built-in scenario called `name`.
    pub fn get(name: &str) -> Option<&'static str> {
        ALL.iter().find(|(n, _)| *n == name).map(|(_, json)| *json)
    }

    /// `(name, title)` of every built-in scenario, read from the JSON
    /// without parsing it all (titles hold no escapes; a test checks).
    pub fn titles() -> impl Iterator<Item = (&'static str, &'static str)> {
        ALL.iter().filter_map(|(name, json)| {
            let (_, rest) = json.split_once("\"title\": \"")?;
            let (title, _) = rest.split_once('"')?;
            Some((*name, title))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn link_of(json: &[u8]) -> String {
        use base64::Engine as _;
        let packed = miniz_oxide::deflate::compress_to_vec(json, 1);
        format!(
            "{LINK_PREFIX}{}",
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(packed)
        )
    }

    /// Issue 15, point 8: a valid link that unpacks past the limit is too
    /// large, not "corrupt … cut short"; a corrupt one is still corrupt.
    #[test]
    fn a_link_past_the_inflate_limit_is_too_large_not_corrupt() {
        let seed = builtin::get("seed").unwrap();
        let pad = " ".repeat(MAX_LINK_JSON);
        let json = format!("{pad}{seed}");
        let err = Scenario::from_link_fragment(&link_of(json.as_bytes())).unwrap_err();
        assert!(matches!(err, ScenarioError::TooLarge { .. }), "{err:?}");
        assert_eq!(
            err.to_string(),
            "scenario too large: the link unpacks to more than 8 MiB, the most podnet opens (the 10000 commands it replays at most fit in far less)"
        );
        // Under the limit the same padding is only whitespace.
        let small = format!("{}{seed}", " ".repeat(1000));
        assert!(Scenario::from_link_fragment(&link_of(small.as_bytes())).is_ok());
        let cut = link_of(seed.as_bytes());
        let half = LINK_PREFIX.len() + (cut.len() - LINK_PREFIX.len()) / 8 * 4;
        let err = Scenario::from_link_fragment(&cut[..half]).unwrap_err();
        assert!(err.to_string().contains("corrupt"), "{err}");
    }

    /// Issue 15, point 7: one leading byte-order mark is read as the page
    /// reads it (RFC 8259 §8.1 lets a parser ignore it); a second is refused.
    #[test]
    fn one_leading_byte_order_mark_is_ignored_and_only_one() {
        let seed = builtin::get("seed").unwrap();
        let with = format!("\u{feff}{seed}");
        assert_eq!(
            Scenario::from_json(&with).unwrap(),
            Scenario::from_json(seed).unwrap()
        );
        let twice = format!("\u{feff}\u{feff}{seed}");
        let err = Scenario::from_json(&twice).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("not a podnet scenario: line 1, column 1"),
            "{err}"
        );
        let inner = seed.replacen('{', "{\u{feff}", 1);
        assert!(
            Scenario::from_json(&inner).is_err(),
            "a BOM inside is not whitespace"
        );
    }

    #[test]
    fn builtin_titles_are_the_parsed_titles() {
        let titles: Vec<(&str, &str)> = builtin::titles().collect();
        assert_eq!(titles.len(), builtin::ALL.len());
        for (name, title) in titles {
            let json = builtin::get(name).unwrap();
            assert_eq!(Scenario::from_json(json).unwrap().title, title, "{name}");
        }
    }

    #[test]
    fn every_builtin_scenario_replays() {
        for (name, json) in builtin::ALL {
            let s = Scenario::from_json(json).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(&s.name, name);
            s.replay().unwrap_or_else(|e| panic!("{name}: {e}"));
        }
    }

    #[test]
    fn the_seed_is_the_example_vpc_with_a_251_address_subnet() {
        let r = Scenario::from_json(builtin::ALL[0].1)
            .unwrap()
            .replay()
            .unwrap();
        assert_eq!(r.sandbox.vpc.cidrs[0].to_string(), "10.10.0.0/16");
        assert_eq!(r.sandbox.subnet("10.10.1.0/24").unwrap().pool.usable(), 251);
        assert!(r.sandbox.cluster.is_some());
        assert!(!r.sandbox.nodes.is_empty());
    }

    #[test]
    fn a_corrupt_file_names_the_position() {
        let err = Scenario::from_json("{\"version\": 1,\n \"name\": 3}").unwrap_err();
        assert!(
            err.to_string()
                .starts_with("not a podnet scenario: line 2, column"),
            "{err}"
        );
        let err = Scenario::from_json(r#"{"version": 9, "name": "x", "vpc_cidr": "10.0.0.0/16"}"#)
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "scenario version 9 is newer than this podnet, which reads version 2"
        );
    }

    #[test]
    fn a_refused_action_names_its_position() {
        let mut s = Scenario::new("x", "10.0.0.0/16");
        s.actions
            .push(Command::AddSubnet(crate::command::AddSubnet {
                name: None,
                cidr: "10.1.0.0/24".into(),
                az: "a".into(),
                cni_tag: false,
                route: None,
            }));
        let err = s.replay().unwrap_err().to_string();
        assert_eq!(err, "action 1 (add subnet 10.1.0.0/24 in a): subnet 10.1.0.0/24 is outside the VPC's blocks (10.0.0.0/16)");
    }

    #[test]
    fn a_share_link_round_trips_and_stays_short() {
        let s = Scenario::from_json(builtin::ALL[0].1).unwrap();
        let link = s.to_link_fragment();
        assert!(link.starts_with("s=1."));
        assert!(link.len() < 1200, "{} characters", link.len());
        assert_eq!(
            Scenario::from_link_fragment(&format!("#{link}")).unwrap(),
            s
        );
    }

    #[test]
    fn a_broken_share_link_says_what_is_wrong() {
        let link = Scenario::from_json(builtin::ALL[0].1)
            .unwrap()
            .to_link_fragment();
        let cut = &link[..link.len() / 2];
        let err = Scenario::from_link_fragment(cut).unwrap_err().to_string();
        assert!(
            err.starts_with("this share link cannot be opened: it"),
            "{err}"
        );
        assert!(
            err.ends_with("it may have been cut short when copied"),
            "{err}"
        );
        let garbled = format!("s=1.{}", "QUJD".repeat(40));
        let err = Scenario::from_link_fragment(&garbled)
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("this share link cannot be opened: its data is corrupt"),
            "{err}"
        );
        let err = Scenario::from_link_fragment("s=2.abc")
            .unwrap_err()
            .to_string();
        assert_eq!(err, "this share link cannot be opened: it uses link format 2, and this podnet reads format 1");
        let err = Scenario::from_link_fragment("s=1.!!")
            .unwrap_err()
            .to_string();
        assert!(err.contains("not valid base64url"), "{err}");
    }

    #[test]
    fn replay_is_deterministic_and_round_trips_through_json() {
        let s = Scenario::from_json(builtin::ALL[0].1).unwrap();
        let again = Scenario::from_json(&s.to_json()).unwrap();
        assert_eq!(s, again);
        assert_eq!(s.replay().unwrap(), again.replay().unwrap());
    }
}
