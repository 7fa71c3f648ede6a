//! `podnet reach` (who may connect to whom on a port, under the scenario's
//! NetworkPolicies and CNI) and `podnet policy check` (what the API server
//! would say of a policy file).

use std::net::Ipv4Addr;

use clap::{Args, Subcommand};
use podnet_model::netpol::{self, Direction, Policy, Protocol};
use podnet_model::query::reach::{Decision, Reach};
use serde_json::{json, Value};

/// Arguments of `podnet reach`.
#[derive(Debug, Args)]
pub struct ReachArgs {
    /// A scenario JSON file, or the name of a built-in scenario.
    pub scenario: String,
    /// The destination port.
    #[arg(long, default_value_t = 80)]
    pub port: u16,
    /// TCP, UDP or SCTP.
    #[arg(long, default_value = "TCP", value_parser = parse_protocol)]
    pub protocol: Protocol,
    /// An address outside the pods (a VPC host, a node, the internet),
    /// added as a source and a destination (repeatable).
    #[arg(long = "with", value_name = "ADDRESS")]
    pub with: Vec<Ipv4Addr>,
    /// One more action after the scenario's, as scenario JSON (repeatable).
    #[arg(long = "then", value_name = "ACTION_JSON")]
    pub then: Vec<String>,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// `TCP`, `UDP` or `SCTP`, as the API spells them.
pub fn parse_protocol(s: &str) -> Result<Protocol, String> {
    Protocol::from_name(&s.to_ascii_uppercase())
        .ok_or_else(|| format!("unknown protocol {s:?}: use TCP, UDP or SCTP"))
}

/// `podnet policy …`.
#[derive(Debug, Subcommand)]
pub enum PolicyCommand {
    /// Check NetworkPolicy YAML (one or several documents) as the API
    /// server would, without a cluster.
    Check {
        /// The file.
        file: String,
    },
}

fn side_json(r: &Reach, d: &Decision, direction: Direction) -> Value {
    let rule = r.rule(d);
    json!({
        "allowed": d.allows(),
        "policy": rule.as_ref().map(|(p, _)| p.clone()),
        "rule": rule.map(|(_, n)| n),
        "reason": r.explain(d, direction),
    })
}

/// `podnet reach`.
///
/// # Errors
/// An unreadable scenario or one the sandbox refuses.
pub fn run(args: &ReachArgs) -> Result<String, String> {
    let scenario = crate::run::load_then(&args.scenario, &args.then)?;
    let replay = scenario
        .replay()
        .map_err(|e| format!("{}: {e}", args.scenario))?;
    let s = &replay.sandbox;
    let r = Reach::new(s, args.port, args.protocol, &args.with);
    if args.json {
        let pairs: Vec<Value> = r
            .pairs()
            .map(|(i, j)| {
                let p = r.pair(i, j);
                let (a, b) = (&r.parties[i], &r.parties[j]);
                json!({
                    "from": a.name, "to": b.name, "from_ip": a.ip, "to_ip": b.ip,
                    "allowed": p.allowed, "served": p.served,
                    "egress": side_json(&r, &p.egress, Direction::Egress),
                    "ingress": side_json(&r, &p.ingress, Direction::Ingress),
                })
            })
            .collect();
        let out = json!({
            "port": args.port, "protocol": args.protocol,
            "enforced": r.enforcement.enforced(), "enforcement": r.enforcement.describe(),
            "warnings": podnet_model::query::reach::warnings(s),
            "pairs": pairs,
        });
        return serde_json::to_string_pretty(&out).map_err(|e| e.to_string());
    }
    let mut out = String::new();
    for w in podnet_model::query::reach::warnings(s) {
        out += &format!("WARNING: {w}\n");
    }
    Ok(out + &text(&r))
}

/// The matrix as text: a grid for a few parties, then every denied pair
/// with what decided it.
fn text(r: &Reach) -> String {
    let mut out = format!(
        "{}/{} — NetworkPolicy {}\n",
        r.port,
        r.protocol,
        r.enforcement.describe()
    );
    let n = r.parties.len();
    if n < 2 {
        out += "fewer than two pods with an IP: nothing to connect\n";
        return out;
    }
    if n <= 24 {
        out += "\nFROM \\ TO";
        out += &" ".repeat(32usize.saturating_sub(9));
        for j in 0..n {
            out += &format!("{:>3}", j + 1);
        }
        out += "\n";
        for i in 0..n {
            let name = &r.parties[i].name;
            out += &format!("{:>2} {:<29}", i + 1, truncate(name, 29));
            for j in 0..n {
                let mark = if i == j {
                    "  ·"
                } else {
                    let p = r.pair(i, j);
                    match (p.allowed, p.served) {
                        (true, true) => "  ✓",
                        (true, false) => "  ○",
                        (false, _) => "  ✗",
                    }
                };
                out += mark;
            }
            out += "\n";
        }
        out += "✓ allowed and served · ○ allowed, but the destination declares no such port · ✗ denied\n";
    }
    let denied: Vec<String> = r
        .pairs()
        .filter_map(|(i, j)| {
            let p = r.pair(i, j);
            (!p.allowed).then(|| {
                let why = if p.egress.allows() {
                    r.explain(&p.ingress, Direction::Ingress)
                } else {
                    r.explain(&p.egress, Direction::Egress)
                };
                format!("  {} → {}: {why}\n", r.parties[i].name, r.parties[j].name)
            })
        })
        .collect();
    let total = n * (n - 1);
    out += &format!("\n{} of {total} pairs allowed\n", total - denied.len());
    if !denied.is_empty() {
        out += "DENIED\n";
        out += &denied.concat();
    }
    out.trim_end().to_owned()
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_owned()
    } else {
        let mut t: String = s.chars().take(n - 1).collect();
        t.push('…');
        t
    }
}

/// `podnet policy check`.
///
/// # Errors
/// An unreadable file, or any document the API server would refuse (all
/// of them are reported).
pub fn policy(command: &PolicyCommand) -> Result<String, String> {
    let PolicyCommand::Check { file } = command;
    let text = std::fs::read_to_string(file).map_err(|e| format!("{file}: {e}"))?;
    let objects = netpol::yaml::objects(&text).map_err(|e| format!("{file}: {e}"))?;
    if objects.is_empty() {
        return Err(format!("{file}: no objects passed to apply"));
    }
    let mut lines = Vec::new();
    let mut failed = false;
    for (i, o) in objects.iter().enumerate() {
        match netpol::decode(o).and_then(|p| Policy::new(p, "default")) {
            Ok(p) => lines.push(format!(
                "networkpolicy.networking.k8s.io/{} valid (namespace {}): selects {}; isolates {}",
                p.name,
                p.namespace,
                p.pod_selector.selects(),
                p.isolates()
            )),
            Err(e) => {
                failed = true;
                lines.push(format!("document {}: {e}", i + 1));
            }
        }
    }
    let out = lines.join("\n");
    if failed {
        Err(format!("{file}:\n{out}"))
    } else {
        Ok(out)
    }
}
