//! `podnet trace`, `podnet join` and `podnet flat`: follow the packets in a
//! replayed scenario.

use clap::Args;
use podnet_model::Sandbox;

/// Arguments of `podnet trace`.
#[derive(Debug, Args)]
pub struct TraceArgs {
    /// A scenario JSON file, or the name of a built-in scenario.
    pub scenario: String,
    /// From: a pod (name or namespace/name), a node name (ip-10-…), or control-plane.
    pub from: String,
    /// To: a pod or node name, an IPv4 address (a VPC host or the
    /// internet), or api-server.
    pub to: String,
    /// The destination port: adds the NetworkPolicy verdicts on both sides.
    #[arg(long)]
    pub port: Option<u16>,
    /// The protocol for --port: TCP, UDP or SCTP.
    #[arg(long, default_value = "TCP", value_parser = crate::reach::parse_protocol)]
    pub protocol: podnet_model::netpol::Protocol,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `podnet join`.
#[derive(Debug, Args)]
pub struct JoinArgs {
    /// A scenario JSON file, or the name of a built-in scenario.
    pub scenario: String,
    /// The node (its kubectl name, e.g. ip-10-10-1-4).
    pub node: String,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
    /// One more action after the scenario's, as scenario JSON (repeatable),
    /// e.g. '{"action":"add-vpc-endpoint","service":"ec2"}'.
    #[arg(long = "then", value_name = "ACTION_JSON")]
    pub then: Vec<String>,
}

/// Arguments of `podnet flat`.
#[derive(Debug, Args)]
pub struct FlatArgs {
    /// A scenario JSON file, or the name of a built-in scenario.
    pub scenario: String,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

fn sandbox(reference: &str) -> Result<Sandbox, String> {
    sandbox_then(reference, &[])
}

fn sandbox_then(reference: &str, then: &[String]) -> Result<Sandbox, String> {
    let scenario = crate::run::load_then(reference, then)?;
    scenario
        .replay()
        .map(|r| r.sandbox)
        .map_err(|e| format!("{reference}: {e}"))
}

fn json<T: serde::Serialize>(value: &T) -> Result<String, String> {
    serde_json::to_string_pretty(value).map_err(|e| e.to_string())
}

/// `podnet trace`.
///
/// # Errors
/// An unreadable scenario, or an end the sandbox does not know.
pub fn trace(args: &TraceArgs) -> Result<String, String> {
    let s = sandbox(&args.scenario)?;
    let from = s.endpoint(&args.from).map_err(|e| e.to_string())?;
    let to = s.endpoint(&args.to).map_err(|e| e.to_string())?;
    let path = match args.port {
        Some(port) => s.trace_port(from, to, port, args.protocol),
        None => s.trace(from, to),
    }
    .map_err(|e| e.to_string())?;
    if args.json {
        json(&path)
    } else {
        Ok(path.to_text())
    }
}

/// `podnet join`.
///
/// # Errors
/// An unreadable scenario or an unknown node.
pub fn join(args: &JoinArgs) -> Result<String, String> {
    let s = sandbox_then(&args.scenario, &args.then)?;
    let join = s.join(&args.node).map_err(|e| e.to_string())?;
    if args.json {
        json(&join)
    } else {
        Ok(join.to_text())
    }
}

/// `podnet flat`.
///
/// # Errors
/// An unreadable scenario.
pub fn flat(args: &FlatArgs) -> Result<String, String> {
    let s = sandbox(&args.scenario)?;
    let check = s.flat_network();
    if args.json {
        return json(&check);
    }
    let mut out = format!("{}\n", check.answer);
    for p in &check.pairs {
        let mark = if p.reachable && !p.nat { "ok" } else { "NO" };
        out += &format!(
            "  [{mark}] {}: {} → {}: {}\n",
            p.kind, p.from, p.to, p.verdict
        );
    }
    out += &check.control_plane;
    Ok(out)
}
