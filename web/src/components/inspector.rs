//! The inspector: a `kubectl describe`-like panel for whatever is
//! selected. Every number has a "why?" that expands the model's derivation.

use podnet_model::cluster::PodStatus;
use podnet_model::explain::Derivation;
use podnet_model::query::NodeState;
use podnet_model::{Command, Sandbox};
use yew::prelude::*;

use super::ip_grid::IpGrid;
use crate::app::ViewProps;
use crate::state::{Action, Selection};

/// The inspector panel.
#[component]
pub fn Inspector(props: &ViewProps) -> Html {
    let sandbox = props.state.sandbox();
    let sb = &*sandbox;
    let body = match props.state.selection {
        None => {
            html! { <p class="inspector__hint">{ "Select a subnet, node, ENI, pod or the control plane on the map to see its details." }</p> }
        }
        Some(Selection::Subnet(id)) => subnet(props, sb, id),
        Some(Selection::Node(id)) => node(props, sb, id),
        Some(Selection::Pod(id)) => pod(props, sb, id),
        Some(Selection::Eni(id)) => eni(sb, id),
        Some(Selection::ControlPlane) => control_plane(sb),
        Some(Selection::Policy(i)) => policy(sb, i),
    };
    let selected = props.state.selection.is_some();
    let close = props.on_action.reform(|_: MouseEvent| Action::Select(None));
    // On a phone the details are a sheet over the bottom of the screen,
    // next to the tap, instead of screens below it (app.css).
    html! {
        <section class={classes!("inspector", selected.then_some("is-sheet"))} aria-label="Inspector">
            <h2 class="inspector__title">{ "Inspector" }</h2>
            if selected {
                <button type="button" class="inspector__close" onclick={close}>{ "Close details" }</button>
            }
            { body }
        </section>
    }
}

/// A NetworkPolicy: what it selects (outlined on the map), what it
/// isolates, who enforces it, and the object as YAML.
fn policy(sb: &Sandbox, i: usize) -> Html {
    use podnet_model::cni::Cni as _;
    let Some(p) = sb.policies.policies().get(i) else {
        return html! { <p class="inspector__hint">{ "That policy is gone." }</p> };
    };
    let pods: Vec<String> = sb
        .pods
        .values()
        .filter(|x| p.selects(&x.namespace, &x.labels, x.host_network))
        .map(|x| x.name.clone())
        .collect();
    let isolates = p.isolates();
    let rules = |r: &Option<Vec<podnet_model::netpol::validate::Rule>>| match r {
        None => "not isolated".to_owned(),
        Some(v) if v.is_empty() => "none: everything denied".to_owned(),
        Some(v) => format!("{} rule(s)", v.len()),
    };
    let object = serde_json::to_value(&p.object)
        .ok()
        .map(|o| podnet_model::netpol::yaml::documents(&[o]))
        .unwrap_or_default();
    html! {
        <>
            <h3 class="inspector__heading">{ format!("NetworkPolicy {}/{}", p.namespace, p.name) }</h3>
            <dl class="inspector__facts">
                { row("Selects", format!("{} in {} ({} pods, outlined on the map): {}", p.pod_selector.describe(), p.namespace, pods.len(), if pods.is_empty() { "none".to_owned() } else { pods.join(", ") })) }
                { row("Isolates", isolates) }
                { row("Ingress", rules(&p.ingress)) }
                { row("Egress", rules(&p.egress)) }
                { row("Enforced", sb.cni.strategy().policy_enforcement().describe()) }
            </dl>
            <pre class="inspector__yaml">{ object }</pre>
        </>
    }
}

/// A derivation, folded under "why?".
fn why(d: Option<Derivation>) -> Html {
    let Some(d) = d else { return html! {} };
    html! {
        <details class="why">
            <summary>{ "why?" }</summary>
            <p class="why__formula"><code>{ &d.formula }</code></p>
            <ul>{ for d.steps.iter().map(|s| html! { <li>{ &s.text }<cite>{ format!(" — {}", s.source) }</cite></li> }) }</ul>
        </details>
    }
}

fn row(label: &str, value: impl Into<Html>) -> Html {
    html! { <><dt>{ label }</dt><dd>{ value.into() }</dd></> }
}

fn advice(items: Vec<String>) -> Html {
    if items.is_empty() {
        return html! {};
    }
    html! {
        <div class="inspector__fix">
            <h4>{ "What would fix it" }</h4>
            <ul>{ for items.iter().map(|a| html! { <li>{ a }</li> }) }</ul>
        </div>
    }
}

fn subnet(props: &ViewProps, sb: &Sandbox, id: podnet_model::SubnetId) -> Html {
    let Some(s) = sb.vpc.subnets.get(&id) else {
        return html! {};
    };
    html! {
        <>
            <h3>{ format!("Subnet {}", s.name) }</h3>
            <dl class="describe">
                { row("CIDR", s.cidr.to_string()) }
                { row("Availability Zone", s.az.clone()) }
                { row("Usable", html! { <>{ format!("{} (AWS keeps 5)", s.pool.usable()) }{ why(podnet_model::query::explain_subnet_usable(sb, id)) }</> }) }
                { row("In use", html! { <>{ s.pool.in_use() }{ why(podnet_model::query::explain_subnet_free(sb, id)) }</> }) }
                { row("Free", html! { <>{ s.pool.free() }{ why(podnet_model::query::explain_subnet_free(sb, id)) }</> }) }
                { row("Free /28 blocks", s.pool.free_prefixes().to_string()) }
                { row("Route 0.0.0.0/0", if sb.vpc.assume_egress { "a way out is assumed (this scenario predates route tables)".to_owned() } else { sb.route_text(s.route) }) }
            </dl>
            { advice(podnet_model::query::advice_for_subnet(sb, id)) }
            <h4>{ "Addresses" }</h4>
            <IpGrid state={props.state.clone()} subnet={id} />
        </>
    }
}

fn node(props: &ViewProps, sb: &Sandbox, id: podnet_model::NodeId) -> Html {
    let Some(n) = sb.nodes.get(&id) else {
        return html! {};
    };
    let name = n.name.clone();
    let delete = props
        .on_action
        .reform(move |_: MouseEvent| Action::Run(Command::DeleteNode { node: name.clone() }));
    let subnet_name = sb
        .vpc
        .subnets
        .get(&n.subnet)
        .map(|s| s.name.clone())
        .unwrap_or_default();
    html! {
        <>
            <h3>{ format!("Node {}", n.name) }</h3>
            <dl class="describe">
                { row("Instance type", n.instance_type.clone()) }
                { row("InternalIP", n.ip().map(|i| i.to_string()).unwrap_or_default()) }
                { row("Subnet", subnet_name) }
                if let Some(ranges) = sb.pod_ranges(id) { { row("Pod addresses", ranges) } }
                { row("Capacity pods", html! { <>{ n.max_pods() }{ why(podnet_model::query::explain_max_pods(sb, id)) }</> }) }
                { row("Max pods from", n.max_pods_from.to_string()) }
                { row("Non-terminated pods", n.pods.to_string()) }
                { row("Addresses held", html! { <>{ n.ipam.enis.len() as u32 + n.ipam.stats(sb.now_ms).total + n.ipam.branches.len() as u32 }{ why(podnet_model::query::explain_node_addresses(sb, id)) }</> }) }
                { row("Conditions", match podnet_model::query::NodeState::of(n) {
                    NodeState::NotRegistered(reason) => html! { <>{ "not registered (press Join in Follow the packets for the step that fails): " }<code>{ reason.unwrap_or_default() }</code></> },
                    NodeState::NotReady(Some(reason)) => html! { <>{ "NotReady " }<code>{ reason }</code></> },
                    NodeState::NotReady(None) => html! { "NotReady" },
                    NodeState::Ready => html! { "Ready" },
                }) }
            </dl>
            <table class="describe__table">
                <caption>{ "ENIs" }</caption>
                <thead><tr><th scope="col">{ "ENI" }</th><th scope="col">{ "Device" }</th><th scope="col">{ "Primary IP" }</th><th scope="col">{ "Pod addresses" }</th><th scope="col">{ "Used" }</th></tr></thead>
                <tbody>
                    { for n.ipam.enis.iter().map(|e| html! {
                        <tr><td>{ e.id.to_string() }</td><td>{ e.device_index }</td><td><code>{ e.primary_ip.to_string() }</code></td><td>{ e.pod_ips() }</td><td>{ e.assigned() }</td></tr>
                    }) }
                </tbody>
            </table>
            if !props.options.read_only {
                <button type="button" class="danger" onclick={delete}>{ "Delete" }</button>
            }
        </>
    }
}

fn pod(props: &ViewProps, sb: &Sandbox, id: podnet_model::PodId) -> Html {
    let Some(p) = sb.pods.get(&id) else {
        return html! {};
    };
    let name = p.name.clone();
    let delete = props
        .on_action
        .reform(move |_: MouseEvent| Action::Run(Command::DeletePod { pod: name.clone() }));
    let node = p
        .node
        .and_then(|n| sb.nodes.get(&n))
        .map(|n| n.name.clone())
        .unwrap_or_else(|| "<none>".into());
    html! {
        <>
            <h3>{ format!("Pod {}", p.name) }</h3>
            <dl class="describe">
                { row("Status", p.status.to_string()) }
                { row("Node", node) }
                { row("IP", html! { <>{ p.ip.map(|i| i.to_string()).unwrap_or_else(|| "<none>".into()) }{ why(podnet_model::query::explain_pod_ip(sb, id)) }</> }) }
                { row("Host network", if p.host_network { "yes: it uses the node IP" } else { "no: its own VPC address" }) }
                if p.security_groups { { row("Security groups", "its own (a SecurityGroupPolicy matches it): a branch ENI, requested as vpc.amazonaws.com/pod-eni") } }
                if let Some(r) = &p.reason { { row("Reason", html! { <code>{ r }</code> }) } }
            </dl>
            if p.status != PodStatus::Running { { advice(podnet_model::query::advice_for_pod(sb, id)) } }
            if let (Some(seconds), false) = (podnet_model::query::wait_would_help(sb, id), props.options.read_only) {
                <button type="button" onclick={props.on_action.reform(move |_: MouseEvent| Action::Run(Command::AdvanceTime { seconds }))}>{ format!("Wait {seconds} s") }</button>
            }
            if p.addon {
                <p class="note">{ "Run by the coredns Deployment, an EKS add-on: deleting the pod would only start another." }</p>
            }
            if p.is_workload() && !props.options.read_only {
                <button type="button" class="danger" onclick={delete}>{ "Delete" }</button>
            }
        </>
    }
}

fn eni(sb: &Sandbox, id: podnet_model::EniId) -> Html {
    let e = sb
        .nodes
        .values()
        .flat_map(|n| n.ipam.enis.iter())
        .chain(sb.cluster.iter().flat_map(|c| c.xenis.iter()))
        .find(|e| e.id == id);
    let Some(e) = e else { return html! {} };
    let subnet = sb
        .vpc
        .subnets
        .get(&e.subnet)
        .map(|s| format!("{} ({})", s.name, s.cidr))
        .unwrap_or_default();
    let owner = match e.node.and_then(|n| sb.nodes.get(&n)) {
        Some(n) => format!("{} (device index {})", n.name, e.device_index),
        None => "the EKS control plane: a requester-managed ENI in your account and subnet (description \"Amazon EKS <cluster>\", cannot be detached), attached to an instance in EKS's account".into(),
    };
    if e.kind == podnet_model::eni::EniKind::Trunk {
        let branches = e
            .node
            .and_then(|n| sb.nodes.get(&n))
            .map(|n| n.ipam.branches.len())
            .unwrap_or_default();
        return html! {
            <>
                <h3>{ format!("Trunk ENI {}", e.id) }</h3>
                <dl class="describe">
                    { row("Attached to", owner) }
                    { row("Subnet", subnet) }
                    { row("Primary IP", e.primary_ip.to_string()) }
                    { row("Branch ENIs", html! { <>{ branches }{ why(podnet_model::query::explain_eni(sb, id)) }</> }) }
                </dl>
            </>
        };
    }
    html! {
        <>
            <h3>{ format!("ENI {}", e.id) }</h3>
            <dl class="describe">
                { row("Attached to", owner) }
                { row("Subnet", subnet) }
                { row("Primary IP", e.primary_ip.to_string()) }
                { row("Secondary IPs", e.secondary.len().to_string()) }
                { row("Prefixes", e.prefixes.iter().map(|p| p.prefix.to_string()).collect::<Vec<_>>().join(", ")) }
                { row("Pod addresses", html! { <>{ e.pod_ips() }{ why(podnet_model::query::explain_eni(sb, id)) }</> }) }
                { row("Used by pods", e.assigned().to_string()) }
            </dl>
        </>
    }
}

fn control_plane(sb: &Sandbox) -> Html {
    let Some(c) = &sb.cluster else {
        return html! { <p>{ "No cluster yet." }</p> };
    };
    html! {
        <>
            <h3>{ format!("EKS control plane {}", c.name) }</h3>
            <dl class="describe">
                { row("Kubernetes", c.version.clone()) }
                { row("Endpoint access", c.endpoint.to_string()) }
                { row("Cluster subnets", c.subnets.iter().filter_map(|id| sb.vpc.subnets.get(id)).map(|s| s.name.clone()).collect::<Vec<_>>().join(", ")) }
                { row("X-ENIs", c.xenis.iter().map(|e| format!("{} {} in {}", e.id, e.primary_ip, sb.vpc.subnets.get(&e.subnet).map(|s| s.name.clone()).unwrap_or_default())).collect::<Vec<_>>().join(", ")) }
                { row("X-ENI placement", "two, in two of the cluster subnets' AZs, whatever the number of subnets; requester-managed ENIs in your account, attached to EKS's instances (awsdocs/amazon-eks-user-guide issue 688)") }
                { row("Upgrade", html! { <>{ "needs 5 free IPs in each cluster subnet" }{ why(podnet_model::query::explain_upgrade(sb)) }</> }) }
                { row("Authentication mode", c.auth_mode.to_string()) }
                { row("Public access CIDRs", c.public_access_cidrs.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")) }
            </dl>
            <p class="inspector__note">{ "Nodes reach the API server through the X-ENIs when the endpoint is private (or public and private); kubectl exec and logs always come back through them to the kubelet on port 10250." }</p>
        </>
    }
}
