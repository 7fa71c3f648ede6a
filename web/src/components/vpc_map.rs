//! The VPC map: the control plane outside the VPC, Availability Zones as
//! columns, subnets as cards with their nodes, ENIs and pods.

use std::collections::BTreeMap;

use podnet_model::cluster::{Node, Pod};
use podnet_model::ids::NodeId;
use podnet_model::paths::Place;
use podnet_model::vpc::Subnet;
use podnet_model::Sandbox;
use yew::prelude::*;

use super::node_card::NodeCard;
use super::table_view::TableView;
use crate::app::ViewProps;
use crate::state::{Action, Selection};

/// Node cards drawn per subnet before "and N more" (the Table view lists
/// the first 500 nodes, `podnet run` all).
const MAX_NODE_CARDS: usize = 24;
/// The same in a cluster of more than [`BIG_CLUSTER`] nodes. Each card draws
/// every address of its ENIs: 24 cards per subnet made the first render of
/// a 5,000-node cluster one 280-ms task; 12 keep it near 200 ms.
const MAX_NODE_CARDS_BIG: usize = 12;
/// Nodes from which a cluster counts as big for the map.
const BIG_CLUSTER: usize = 200;

/// The whole map.
#[component]
pub fn VpcMap(props: &ViewProps) -> Html {
    let sandbox = props.state.sandbox();
    let sb = &*sandbox;
    let mut pods_by_node: BTreeMap<NodeId, Vec<&Pod>> = BTreeMap::new();
    for p in sb.pods.values() {
        if let Some(n) = p.node {
            pods_by_node.entry(n).or_default().push(p);
        }
    }
    let pending: Vec<&Pod> = sb.pods.values().filter(|p| p.node.is_none()).collect();
    // "+ node here" adds the type of the last node added.
    let new_node_type = sb
        .nodes
        .values()
        .last()
        .map_or_else(|| "m5.large".to_owned(), |n| n.instance_type.clone());
    let blocks: Vec<String> = sb.vpc.cidrs.iter().map(ToString::to_string).collect();
    let as_table = use_state(|| false);
    // The addresses the last applied command moved, marked on the cards.
    let moved = {
        let state = props.state.clone();
        use_memo(props.state.version, move |_| state.last_moved())
    };
    let switch = |to: bool| {
        let as_table = as_table.clone();
        Callback::from(move |_: MouseEvent| as_table.set(to))
    };
    let view_switch = html! {
        <div class="vpc-map__bar">
        <div class="vpc-map__views" role="group" aria-label="View">
            <button type="button" aria-pressed={(!*as_table).to_string()} onclick={switch(false)}>{ "Map" }</button>
            <button type="button" aria-pressed={as_table.to_string()} onclick={switch(true)}>{ "Table" }</button>
        </div>
            if !props.options.read_only { <super::play::PlayTime ..props.clone() /> }
        </div>
    };
    if *as_table {
        return html! {
            <section class="vpc-map" id="map" aria-label="VPC map">
                { view_switch }
                <TableView state={props.state.clone()} />
            </section>
        };
    }
    html! {
        <section class="vpc-map" id="map" aria-label="VPC map">
            { view_switch }
            <ControlPlaneBox ..props.clone() />
            if props.state.mark == Some(Place::Outside) {
                <p class="vpc-map__outside is-on-path">{ "⇡ Out of the VPC: a NAT gateway or an internet gateway (route tables are not modelled)" }</p>
            }
            if !pending.is_empty() {
                <PendingTray pods={pending.iter().map(|p| (*p).clone()).collect::<Vec<_>>()} on_action={props.on_action.clone()} />
            }
            <div class="vpc-map__vpc">
                <p class="vpc-map__label"><span class="vpc-map__tag">{ "VPC" }</span>{ blocks.join(" + ") }</p>
                { legend() }
                <div class="vpc-map__azs">
                    { for sb.vpc.azs().iter().map(|az| html! {
                        <div class="vpc-map__az" key={az.clone()}>
                            <h3 class="vpc-map__az-name">{ az }</h3>
                            { for sb.vpc.subnets.values().filter(|s| &s.az == az).map(|s| subnet_card(props, sb, s, &pods_by_node, &moved, &new_node_type)) }
                        </div>
                    }) }
                </div>
                if sb.vpc.subnets.is_empty() {
                    <p class="vpc-map__empty">{ "No subnets yet: add one with the form on the right." }</p>
                }
            </div>
        </section>
    }
}

fn subnet_card(
    props: &ViewProps,
    sb: &Sandbox,
    s: &Subnet,
    pods_by_node: &BTreeMap<NodeId, Vec<&Pod>>,
    moved: &Moved,
    new_node_type: &str,
) -> Html {
    let id = s.id;
    let select = props
        .on_action
        .reform(move |_: MouseEvent| Action::Select(Some(Selection::Subnet(id))));
    let nodes: Vec<&Node> = sb.nodes.values().filter(|n| n.subnet == id).collect();
    let cards = if sb.nodes.len() > BIG_CLUSTER {
        MAX_NODE_CARDS_BIG
    } else {
        MAX_NODE_CARDS
    };
    let cluster_subnet = sb.cluster.as_ref().is_some_and(|c| c.subnets.contains(&id));
    let xenis: Vec<_> = sb
        .cluster
        .iter()
        .flat_map(|c| c.xenis.iter())
        .filter(|e| e.subnet == id)
        .collect();
    // Per mille, in integers: float formatting would add kilobytes to the download.
    let used = u64::from(s.pool.in_use()) * 1000 / u64::from(s.pool.usable().max(1));
    let level = if s.pool.free() == 0 {
        "is-full"
    } else if used >= 900 {
        "is-high"
    } else {
        ""
    };
    let selected = props.state.selection == Some(Selection::Subnet(id));
    let mark = props.state.mark;
    let selected_policy = match props.state.selection {
        Some(Selection::Policy(i)) => sb.policies.policies().get(i).cloned(),
        _ => None,
    };
    let router = mark == Some(Place::Router { subnet: id });
    html! {
        <article class={classes!("subnet-card", level, selected.then_some("is-selected"), router.then_some("is-on-path"))} key={id.0}>
            <header class="subnet-card__head">
                <button type="button" class="subnet-card__name" onclick={select} aria-label={format!("Inspect subnet {}", s.name)}>
                    <span>{ &s.name }</span>
                    <code>{ s.cidr.to_string() }</code>
                </button>
                <span class="subnet-card__tags">
                    if cluster_subnet { <span class="tag is-cluster" title="A cluster subnet: EKS picks two of them, in two AZs, for its X-ENIs">{ "cluster" }</span> }
                    { route_tag(sb, s) }
                    if s.cni_tag { <span class="tag is-cni" title="Tagged kubernetes.io/role/cni=1: the VPC CNI may put pod ENIs here">{ "cni" }</span> }
                </span>
            </header>
            <div class="meter" role="meter" aria-label={format!("Addresses in use in {}", s.name)}
                 aria-valuemin="0" aria-valuemax={s.pool.usable().to_string()} aria-valuenow={s.pool.in_use().to_string()}>
                <span class="meter__fill" style={format!("width: {}.{}%", used / 10, used % 10)}></span>
            </div>
            <p class="subnet-card__numbers">
                { format!("{} used · {} free of {} (+5 reserved by AWS)", s.pool.in_use(), s.pool.free(), s.pool.usable()) }
                if s.pool.free() == 0 { <strong class="subnet-card__full">{ " — full" }</strong> }
            </p>
            if !props.options.read_only { { add_node_here(props, s, new_node_type) } }
            if !xenis.is_empty() {
                <ul class="subnet-card__xenis" aria-label="Cross-account ENIs">
                    { for xenis.iter().map(|e| {
                        let eni = e.id;
                        let onclick = props.on_action.reform(move |_: MouseEvent| Action::Select(Some(Selection::Eni(eni))));
                        let on = mark == Some(Place::XEni { eni });
                        html! { <li><button type="button" class={classes!("xeni-chip", on.then_some("is-on-path"))} {onclick} title="An X-ENI: a requester-managed ENI in your account and subnet (description Amazon EKS <cluster>, cannot be detached), attached to the EKS control plane's instance in EKS's account">{ format!("⇅ X-ENI {} {}", e.id, e.primary_ip) }</button></li> }
                    }) }
                </ul>
            }
            { service_chips(sb, s.id) }
            <div class="subnet-card__nodes">
                { for nodes.iter().take(cards).map(|n| html! {
                    <NodeCard key={n.id.0} node={(*n).clone()} pods={pods_by_node.get(&n.id).map(|v| v.iter().map(|p| (*p).clone()).collect::<Vec<_>>()).unwrap_or_default()}
                              selection={props.state.selection} on_action={props.on_action.clone()} now_ms={sb.now_ms} pod_ranges={sb.pod_ranges(n.id)} mark={mark} policy={selected_policy.clone()} moved={moved_on(n, moved)}
                              read_only={props.options.read_only} add_pods_refused={super::lock::refusal(&props.state, "add-pods")} delete_refused={super::lock::refusal(&props.state, "delete-node")} />
                }) }
                if nodes.len() > cards {
                    <p class="subnet-card__more">{ format!("and {} more nodes, not drawn (the Table view lists the first 500 nodes; podnet run lists every one)", nodes.len() - cards) }</p>
                }
            </div>
        </article>
    }
}

/// The addresses of `n` among those the last action `moved`: a card is
/// drawn again only when its own addresses moved (or its node or pods
/// changed), not after every action.
fn moved_on(n: &Node, moved: &Moved) -> Moved {
    if moved.is_empty() {
        return moved.clone();
    }
    let mine: std::collections::HashMap<_, _> = n
        .ipam
        .enis
        .iter()
        .flat_map(|e| e.all_slots())
        .filter_map(|s| moved.get(&s.ip).map(|m| (s.ip, *m)))
        .collect();
    std::rc::Rc::new(mine)
}

/// The addresses the last applied command moved, and how.
type Moved =
    std::rc::Rc<std::collections::HashMap<std::net::Ipv4Addr, podnet_model::events::Moved>>;

#[derive(Properties, PartialEq)]
struct PendingProps {
    pods: Vec<Pod>,
    on_action: Callback<Action>,
}

/// Pods no node would take, with the scheduler's message.
#[component]
fn PendingTray(props: &PendingProps) -> Html {
    let reason = props
        .pods
        .iter()
        .find_map(|p| p.reason.clone())
        .unwrap_or_default();
    html! {
        <section class="pending-tray" aria-label="Pending pods">
            <h3>{ format!("{} Pending pods", props.pods.len()) }</h3>
            <p class="pending-tray__reason"><code>{ format!("FailedScheduling: {reason}") }</code></p>
            <ul class="pod-list" onkeydown={super::rove::keys()}>
                { for props.pods.iter().take(60).enumerate().map(|(i, p)| {
                    let id = p.id;
                    let onclick = props.on_action.reform(move |_: MouseEvent| Action::Select(Some(Selection::Pod(id))));
                    let tabindex = super::rove::tabindex(i);
                    html! { <li><button type="button" class="pod-chip is-pending" {onclick} {tabindex} data-rove="">{ super::node_card::pending_glyph() }{ p.name.clone() }</button></li> }
                }) }
            </ul>
        </section>
    }
}

/// The EKS control plane, outside the VPC, in an AWS-managed account.
#[component]
fn ControlPlaneBox(props: &ViewProps) -> Html {
    let sandbox = props.state.sandbox();
    let sb = &*sandbox;
    let select = props
        .on_action
        .reform(|_: MouseEvent| Action::Select(Some(Selection::ControlPlane)));
    html! {
        <div class="vpc-map__cp">
            <p class="vpc-map__label"><span class="vpc-map__tag is-aws">{ "EKS's account: the API servers" }</span>{ igw_label(sb) }</p>
            { match &sb.cluster {
                Some(c) => html! {
                    <button type="button" class={classes!("cp-card", (props.state.mark == Some(Place::ControlPlane)).then_some("is-on-path"))} onclick={select}>
                        <strong>{ format!("EKS control plane · {}", c.name) }</strong>
                        <span>{ format!("Kubernetes {} · endpoint {} · {} X-ENIs in your cluster subnets ⇣", c.version, c.endpoint, c.xenis.len()) }</span>
                    </button>
                },
                None => html! { <p class="cp-card is-empty">{ "No EKS cluster yet." }</p> },
            } }
        </div>
    }
}

/// The subnet's default route, as a tag.
fn route_tag(sb: &podnet_model::Sandbox, s: &podnet_model::vpc::Subnet) -> Html {
    use podnet_model::egress::Route;
    if sb.vpc.assume_egress {
        return html! {};
    }
    let (class, text, title) = match s.route {
        Route::Local => (
            "is-local",
            "local only".to_owned(),
            "Its route table has only the local route: nothing leaves the VPC from here".to_owned(),
        ),
        Route::InternetGateway => (
            "is-public",
            "→ IGW".to_owned(),
            "Public subnet: 0.0.0.0/0 goes to the internet gateway".to_owned(),
        ),
        r @ Route::NatGateway { .. } => (
            "is-nat",
            "→ NAT".to_owned(),
            format!("Private subnet: 0.0.0.0/0 goes to {}", sb.route_text(r)),
        ),
    };
    html! { <span class={classes!("tag", class)} {title}>{ text }</span> }
}

/// NAT gateways and VPC endpoint ENIs in this subnet.
fn service_chips(sb: &podnet_model::Sandbox, subnet: podnet_model::SubnetId) -> Html {
    let nats = sb.vpc.nat_gateways.iter().filter(|n| n.subnet == subnet).map(|n| {
        html! { <li class="service-chip is-nat" title="A NAT gateway: private sources leave as its Elastic IP">{ format!("NAT gateway {} · EIP {}", n.private_ip, n.public_ip) }</li> }
    });
    let endpoints = sb.vpc.endpoints.iter().flat_map(|e| {
        e.enis.iter().filter(move |(s, _, _)| *s == subnet).map(move |(_, _, ip)| {
            html! { <li class="service-chip is-endpoint" title={e.service.needed_by()}>{ format!("endpoint {} {ip}", e.service) }</li> }
        })
    });
    let items: Vec<Html> = nats.chain(endpoints).collect();
    if items.is_empty() {
        return html! {};
    }
    html! { <ul class="subnet-card__services" aria-label="NAT gateways and VPC endpoints">{ for items }</ul> }
}

/// The internet gateway and gateway endpoints, beside the control plane.
fn igw_label(sb: &podnet_model::Sandbox) -> Html {
    let mut parts = Vec::new();
    if sb.vpc.internet_gateway {
        parts.push("internet gateway attached".to_owned());
    }
    if sb.vpc.endpoints.iter().any(|e| e.service.is_gateway()) {
        parts.push("S3 gateway endpoint".to_owned());
    }
    if parts.is_empty() {
        return html! {};
    }
    html! { <span class="vpc-map__tag">{ parts.join(" · ") }</span> }
}

/// What the marks on the node cards mean.
fn legend() -> Html {
    let items = [
        ("slot is-used", "in use by a pod"),
        (
            "slot is-warm",
            "warm: held by the node for the next pods, still out of the subnet",
        ),
        ("slot is-cooling", "cooling down after its pod went"),
        ("slot is-warm is-moved", "moved by the last action"),
    ];
    html! {
        <ul class="map-legend" aria-label="Legend">
            { for items.iter().map(|(class, text)| html! {
                <li><span class={*class} aria-hidden="true"></span>{ *text }</li>
            }) }
            <li><span class="map-legend__tag" aria-hidden="true">{ "X" }</span>{ "X-ENI: the control plane's, in the cluster subnets" }</li>
            <li>{ "each subnet: 5 addresses reserved by AWS" }</li>
            <li class="map-legend__note">{ "Nothing here is dragged, as nothing moves in AWS: a deleted pod is recreated and scheduled anew, with a new IP; a node's ENIs stay in its subnet's AZ, so a node elsewhere is a new node." }</li>
        </ul>
    }
}

/// "Add node here": a node of the last added node's type (an m5.large in
/// an empty cluster) in this subnet; the Build form takes any type.
fn add_node_here(props: &ViewProps, s: &Subnet, instance_type: &str) -> Html {
    let instance_type = instance_type.to_owned();
    let subnet = s.name.clone();
    let title = format!("Add a {instance_type} node in {subnet} (the type of the last node added; the Build form's Add node takes any type)");
    let onclick = {
        let instance_type = instance_type.clone();
        props.on_action.reform(move |_: MouseEvent| {
            Action::Run(podnet_model::Command::AddNode(
                podnet_model::command::AddNode {
                    instance_type: instance_type.clone(),
                    subnet: subnet.clone(),
                    max_pods: None,
                    max_pods_from: None,
                },
            ))
        })
    };
    let l = super::lock::lock(
        &props.state,
        "add-node",
        &format!("lock-node-in-{}", s.id.0),
    );
    html! {
        <>
            <button type="button" class="subnet-card__add" {onclick} aria-label={format!("Add node in {}", s.name)}
                    title={l.title.unwrap_or(title.into())} aria-disabled={l.disabled} aria-describedby={l.described_by}>
                { format!("+ {instance_type} node here") }
            </button>
            { l.note }
        </>
    }
}
