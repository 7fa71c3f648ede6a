//! `podnet run SCENARIO`: replay a scenario file (or a built-in one) and
//! print a kubectl-like summary and the events.

use std::path::Path;

use clap::Args;
use podnet_model::scenario::builtin;
use podnet_model::{Replay, Sandbox, Scenario};
use serde_json::{json, Value};

/// Arguments of `podnet run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// A scenario JSON file, or the name of a built-in scenario (seed,
    /// subnet-exhaustion, prefix-delegation, upgrade-blocked,
    /// custom-networking, flannel, calico, cilium, security-groups-for-pods,
    /// private-endpoint-join, public-endpoint-no-nat,
    /// restricted-public-endpoint…).
    pub scenario: String,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
    /// One more action after the scenario's, as scenario JSON (repeatable),
    /// e.g. '{"action":"update-cluster-subnets","subnets":["cp-a","cp-b"]}'.
    #[arg(long = "then", value_name = "ACTION_JSON")]
    pub then: Vec<String>,
}

/// [`load`], then the `--then` actions appended.
///
/// # Errors
/// As [`load`], or an action that is not a command, with its position.
pub fn load_then(reference: &str, then: &[String]) -> Result<Scenario, String> {
    let mut scenario = load(reference)?;
    for (i, text) in then.iter().enumerate() {
        let command: podnet_model::Command =
            serde_json::from_str(text).map_err(|e| format!("--then #{}: {e}", i + 1))?;
        scenario.actions.push(command);
    }
    Ok(scenario)
}

/// Reads a scenario from a file, or a built-in one by name.
///
/// # Errors
/// A file that cannot be read or parsed, with its path.
pub fn load(reference: &str) -> Result<Scenario, String> {
    let path = Path::new(reference);
    let text = match (path.exists(), builtin::get(reference)) {
        (false, Some(json)) => json.to_owned(),
        _ => std::fs::read_to_string(path).map_err(|e| format!("{reference}: {e}"))?,
    };
    Scenario::from_json(&text).map_err(|e| format!("{reference}: {e}"))
}

/// Runs the subcommand and returns what to print.
///
/// # Errors
/// An unreadable file, or the first action the sandbox refuses.
pub fn run(args: &RunArgs) -> Result<String, String> {
    let scenario = load_then(&args.scenario, &args.then)?;
    let replay = scenario
        .replay()
        .map_err(|e| format!("{}: {e}", args.scenario))?;
    if args.json {
        return serde_json::to_string_pretty(&report(&replay)).map_err(|e| e.to_string());
    }
    Ok(render(&scenario, &replay))
}

fn subnet_name(s: &Sandbox, id: podnet_model::SubnetId) -> String {
    s.vpc
        .subnets
        .get(&id)
        .map_or_else(|| id.to_string(), |x| x.name.clone())
}

fn node_name(s: &Sandbox, id: Option<podnet_model::NodeId>) -> String {
    id.and_then(|n| s.nodes.get(&n))
        .map_or_else(|| "<none>".into(), |n| n.name.clone())
}

/// The replay as JSON for scripts.
pub fn report(r: &Replay) -> Value {
    let s = &r.sandbox;
    json!({
        "vpc_cidrs": s.vpc.cidrs.iter().map(ToString::to_string).collect::<Vec<_>>(),
        "cluster": s.cluster.as_ref().map(|c| json!({
            "name": c.name, "version": c.version, "endpoint": c.endpoint,
            "xenis": c.xenis.iter().map(|e| json!({"eni": e.id.to_string(), "subnet": subnet_name(s, e.subnet), "ip": e.primary_ip})).collect::<Vec<_>>(),
        })),
        "subnets": s.vpc.subnets.values().map(|x| json!({
            "name": x.name, "cidr": x.cidr, "az": x.az, "usable": x.pool.usable(), "in_use": x.pool.in_use(), "free": x.pool.free(),
        })).collect::<Vec<_>>(),
        "nodes": s.nodes.values().map(|n| json!({
            "name": n.name, "instance_type": n.instance_type, "subnet": subnet_name(s, n.subnet), "ip": n.ip(),
            "enis": n.ipam.enis.len(), "max_pods": n.max_pods(),
            "pods": s.pods.values().filter(|p| p.node == Some(n.id)).count(),
            "pod_addresses": s.pod_ranges(n.id),
            "trunk_eni": n.ipam.trunk().map(|t| t.id.to_string()),
            "branch_enis": n.ipam.branches.len(), "branch_capacity": n.ipam.branch_capacity(),
        })).collect::<Vec<_>>(),
        "pods": s.pods.values().map(|p| json!({
            "name": p.name, "status": p.status, "ip": p.ip, "node": p.node.and_then(|id| s.nodes.get(&id)).map(|n| n.name.clone()),
            "host_network": p.host_network, "security_groups": p.security_groups, "reason": p.reason,
            "namespace": p.namespace, "labels": p.labels,
        })).collect::<Vec<_>>(),
        "events": r.events().map(|e| json!({
            "at_ms": e.at_ms, "count": e.count, "last_ms": e.last_ms.unwrap_or(e.at_ms),
            "text": e.kind.to_string(), "event": e.kind,
        })).collect::<Vec<_>>(),
    })
}

fn render(scenario: &Scenario, r: &Replay) -> String {
    let s = &r.sandbox;
    let mut out = format!("scenario {}: {}\n", scenario.name, scenario.title);
    if let Some(c) = &s.cluster {
        out += &format!(
            "\nCONTROL PLANE {} (Kubernetes {}, endpoint {})\n",
            c.name, c.version, c.endpoint
        );
        out += "X-ENI     SUBNET          IP\n";
        for e in &c.xenis {
            out += &format!(
                "{:<9} {:<15} {}\n",
                e.id.to_string(),
                subnet_name(s, e.subnet),
                e.primary_ip
            );
        }
    }
    out += "\nSUBNETS\nNAME            CIDR              AZ                USABLE  IN USE  FREE   0.0.0.0/0 →\n";
    for x in s.vpc.subnets.values() {
        let route = if s.vpc.assume_egress {
            "(assumed way out)".to_owned()
        } else {
            s.route_text(x.route)
        };
        out += &format!(
            "{:<15} {:<17} {:<17} {:<7} {:<7} {:<6} {route}\n",
            x.name,
            x.cidr.to_string(),
            x.az,
            x.pool.usable(),
            x.pool.in_use(),
            x.pool.free()
        );
    }
    for n in &s.vpc.nat_gateways {
        out += &format!(
            "NAT gateway in {}: {} (Elastic IP {})\n",
            subnet_name(s, n.subnet),
            n.private_ip,
            n.public_ip
        );
    }
    for e in &s.vpc.endpoints {
        let ips: Vec<String> = e.enis.iter().map(|(_, _, ip)| ip.to_string()).collect();
        out += &format!(
            "VPC endpoint {}: {}\n",
            e.service,
            if ips.is_empty() {
                "gateway (a route)".to_owned()
            } else {
                ips.join(", ")
            }
        );
    }
    out += "\nNODES\nNAME              INSTANCE     SUBNET          IP              ENIS  PODS  MAX PODS\n";
    for n in s.nodes.values() {
        let pods = s.pods.values().filter(|p| p.node == Some(n.id)).count();
        let ip = n.ip().map(|i| i.to_string()).unwrap_or_default();
        out += &format!(
            "{:<17} {:<12} {:<15} {:<15} {:<5} {:<5} {}\n",
            n.name,
            n.instance_type,
            subnet_name(s, n.subnet),
            ip,
            n.ipam.enis.len(),
            pods,
            n.max_pods()
        );
    }
    let ranges: Vec<String> = s
        .nodes
        .values()
        .filter_map(|n| s.pod_ranges(n.id).map(|r| format!("{:<17} {r}\n", n.name)))
        .collect();
    if !ranges.is_empty() {
        out += "\nOVERLAY POD ADDRESSES (not VPC addresses)\n";
        out += &ranges.concat();
    }
    let trunks: Vec<String> = s
        .nodes
        .values()
        .filter_map(|n| {
            n.ipam.trunk().map(|t| {
                format!(
                    "{:<17} {:<9} {:<15} {}/{}\n",
                    n.name,
                    t.id.to_string(),
                    t.primary_ip,
                    n.ipam.branches.len(),
                    n.ipam.branch_limit
                )
            })
        })
        .collect();
    if !trunks.is_empty() {
        out += "\nTRUNK ENIS (security groups for pods)\nNODE              TRUNK     IP              BRANCH ENIS\n";
        out += &trunks.concat();
    }
    out +=
        "\nPODS\nNAME              STATUS             IP              NODE              REASON\n";
    for p in s.pods.values() {
        let ip =
            p.ip.map(|i| i.to_string())
                .unwrap_or_else(|| "<none>".into());
        let reason = p.reason.clone().unwrap_or_default();
        out += &format!(
            "{:<17} {:<18} {:<15} {:<17} {}\n",
            p.name,
            p.status.to_string(),
            ip,
            node_name(s, p.node),
            reason
        );
    }
    out += "\nEVENTS\n";
    for e in r.events() {
        out += &format!("{e}\n");
    }
    out.trim_end().to_owned()
}
