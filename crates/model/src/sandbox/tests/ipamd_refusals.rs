//! ipamd when EC2 refuses for want of addresses: the batch, then one IP,
//! then (with subnet discovery) a new ENI, else its advice and a 2-minute
//! back-off (`tryAssignIPs`, `increaseDatastorePool`, `tryAllocateENI`,
//! `inInsufficientCidrCoolingPeriod` in pkg/ipamd/ipamd.go).

use super::{add_node, run};
use crate::cluster::PodStatus;
use crate::cni::ipamd::{AgentMemory, INSUFFICIENT_ADVICE, INSUFFICIENT_COOLDOWN_MS};
use crate::events::{Event, EventKind};
use crate::ids::NodeId;
use crate::sandbox::stuck::NoAddress;
use crate::{CniMode, Sandbox};

/// ipamd's debug line while it waits (`increaseDatastorePool`).
const WAITS: &str =
    "Recently we had InsufficientCidr error hence will wait for 2m0s before retrying";

fn ipamd_lines(events: &[Event], node: NodeId) -> Vec<String> {
    events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::IpamdLog { node: n, message } if *n == node => Some(message.clone()),
            _ => None,
        })
        .collect()
}

/// The subnet-exhaustion scenario: node-2's ipamd was refused.
fn exhausted() -> (Sandbox, Vec<Event>) {
    let mut s = Sandbox::new("10.20.0.0/16", CniMode::default()).unwrap();
    s.vpc.assume_egress = true;
    let json = crate::scenario::builtin::get("subnet-exhaustion").unwrap();
    let mut events = Vec::new();
    for a in crate::Scenario::from_json(json).unwrap().actions {
        events.extend(s.apply(a).unwrap());
    }
    (s, events)
}

/// Upstream `TestIPAMContext_InInsufficientCidrCoolingPeriod`: no error,
/// an error 30 s ago (cooling), one just over 2 minutes ago (not).
#[test]
fn the_back_off_lasts_two_minutes_after_the_refusal() {
    let (mut s, _) = exhausted();
    let ipam = &mut s.nodes.get_mut(&NodeId(1)).unwrap().ipam;
    ipam.agent = AgentMemory::Ipamd {
        last_decrease_ms: 0,
        insufficient_at_ms: None,
    };
    assert_eq!(ipam.insufficient_backoff_ms(1_000_000), None);
    ipam.agent = AgentMemory::Ipamd {
        last_decrease_ms: 0,
        insufficient_at_ms: Some(1_000_000),
    };
    assert!(ipam.insufficient_backoff_ms(1_030_000).is_some());
    // `time.Since(last) <= insufficientCidrErrorCooldown`: the boundary cools.
    assert_eq!(
        ipam.insufficient_backoff_ms(1_000_000 + INSUFFICIENT_COOLDOWN_MS),
        Some(1)
    );
    assert_eq!(
        ipam.insufficient_backoff_ms(1_000_001 + INSUFFICIENT_COOLDOWN_MS),
        None
    );
}

#[test]
fn a_refused_batch_is_retried_with_one_ip() {
    let (_, events) = exhausted();
    let lines = ipamd_lines(&events, NodeId(2));
    let batch = lines
        .iter()
        .position(|l| l.starts_with("failed to allocate all available IP addresses on ENI eni-6, err: operation error EC2: AssignPrivateIpAddresses"))
        .expect("the batch refusal, in ipamd's words");
    assert!(
        lines[batch - 1]
            .starts_with("Failed to allocate a private IP/Prefix addresses on ENI eni-6: "),
        "awsutils says it first: {lines:#?}"
    );
    // The single IP that follows is assigned (the subnet had 6 free, 9 were asked).
    assert!(events.iter().any(|e| matches!(&e.kind, EventKind::SecondaryIpsAssigned { node: NodeId(2), ips, .. } if ips.len() == 1)));
}

#[test]
fn after_the_last_refusal_ipamd_advises_and_waits() {
    let (mut s, events) = exhausted();
    let lines = ipamd_lines(&events, NodeId(2));
    let advice = lines
        .iter()
        .rposition(|l| l == INSUFFICIENT_ADVICE)
        .expect("the advice");
    // Its passes after it ask EC2 nothing: they say the pool is low and
    // that ipamd waits (again only when the pool's numbers change).
    let after = lines.get(advice + 1..).unwrap_or_default();
    assert!(after.iter().any(|l| l == WAITS), "{lines:#?}");
    assert!(
        after
            .iter()
            .all(|l| l == WAITS || l.starts_with("IP pool is too low: ")),
        "{lines:#?}"
    );
    // While it waits, its passes ask EC2 nothing and say nothing new.
    let wait = run(&mut s, r#"{"action":"advance-time","seconds":60}"#).unwrap();
    assert!(ipamd_lines(&wait, NodeId(2)).is_empty(), "{wait:#?}");
    // A subnet for pods in the AZ: the addresses are there, ipamd still waits.
    run(&mut s, r#"{"action":"add-subnet","name":"pods-a","cidr":"10.20.2.0/24","az":"us-east-1a","cni_tag":true,"route":"nat-gateway"}"#).unwrap();
    let Some(NoAddress::Backoff { seconds }) = s.no_address(NodeId(2)) else {
        panic!("{:?}", s.no_address(NodeId(2)));
    };
    assert!(seconds > 0 && seconds <= 60, "{seconds}");
    let stuck = s
        .pods
        .values()
        .find(|p| p.node == Some(NodeId(2)) && p.status == PodStatus::ContainerCreating)
        .unwrap()
        .id;
    assert_eq!(
        crate::query::wait_would_help(&s, stuck),
        Some(seconds.max(5))
    );
    let advice = crate::query::advice_for_pod(&s, stuck).join(" ");
    assert!(advice.contains("insufficientCidrErrorCooldown"), "{advice}");
    // Once it has waited, the next pass puts an ENI in the tagged subnet.
    let wait = run(
        &mut s,
        &format!(r#"{{"action":"advance-time","seconds":{seconds}}}"#),
    )
    .unwrap();
    assert!(
        wait.iter().any(|e| matches!(
            e.kind,
            EventKind::EniAttached {
                node: NodeId(2),
                ..
            }
        )),
        "{wait:#?}"
    );
    assert_eq!(s.pods.get(&stuck).unwrap().status, PodStatus::Running);
}

/// Two m5.large in a /28 (11 usable): the first takes its node IP and
/// eth0's 9, the second only its node IP.
fn second_node_in_a_full_subnet(s: &mut Sandbox) -> (NodeId, Vec<Event>) {
    run(
        s,
        r#"{"action":"add-subnet","name":"tiny","cidr":"10.10.9.0/28","az":"eu-west-1a"}"#,
    )
    .unwrap();
    add_node(s, "m5.large", "tiny");
    let events = add_node(s, "m5.large", "tiny");
    let node = s.nodes.values().last().unwrap().id;
    (node, events)
}

/// Upstream `assertAllocationExternalCalls` with subnet discovery: both
/// `AllocIPAddresses` calls refused, then `AllocENI`, no back-off.
#[test]
fn with_subnet_discovery_two_refusals_lead_to_a_new_eni() {
    let mut s = super::seed();
    run(&mut s, r#"{"action":"add-subnet","name":"pods-a","cidr":"10.10.64.0/18","az":"eu-west-1a","cni_tag":true}"#).unwrap();
    let (node, events) = second_node_in_a_full_subnet(&mut s);
    let lines = ipamd_lines(&events, node);
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("failed to allocate all available IP addresses on ENI")),
        "{lines:#?}"
    );
    assert!(
        !lines.iter().any(|l| l == INSUFFICIENT_ADVICE),
        "{lines:#?}"
    );
    let pods_a = s.subnet("pods-a").map(|x| x.id).unwrap();
    assert!(events.iter().any(|e| matches!(e.kind, EventKind::EniAttached { node: n, subnet, .. } if n == node && subnet == pods_a)), "{events:#?}");
    assert_eq!(
        s.nodes
            .get(&node)
            .unwrap()
            .ipam
            .insufficient_backoff_ms(s.now_ms),
        None
    );
}

/// Without subnet discovery the second refusal ends the pass: the advice,
/// the back-off, no ENI (`tryAssignIPs` returns the error).
#[test]
fn without_subnet_discovery_the_second_refusal_ends_the_pass() {
    let mut s = super::seed();
    run(
        &mut s,
        r#"{"action":"set-cni","cni":{"cni":"aws-vpc-cni","subnet_discovery":false}}"#,
    )
    .unwrap();
    let (node, events) = second_node_in_a_full_subnet(&mut s);
    let lines = ipamd_lines(&events, node);
    assert_eq!(
        lines.len(),
        6,
        "batch, its warning, one IP, the advice, the wait: {lines:#?}"
    );
    assert_eq!(lines[3], INSUFFICIENT_ADVICE);
    assert!(lines[4].starts_with("IP pool is too low: "), "{lines:#?}");
    assert_eq!(lines[5], WAITS);
    assert!(
        !lines.iter().any(|l| l.contains("CreateNetworkInterface")),
        "{lines:#?}"
    );
    assert!(s
        .nodes
        .get(&node)
        .unwrap()
        .ipam
        .insufficient_backoff_ms(s.now_ms)
        .is_some());
}
