//! A node inside its subnet card: its ENIs (device index, primary IP,
//! secondary IPs or prefixes, used vs warm) and its pods.

use podnet_model::cluster::{Node, Pod, PodStatus};
use podnet_model::eni::EniKind;
use podnet_model::events::Moved;
use podnet_model::paths::Place;
use yew::prelude::*;

use crate::state::{Action, Selection};

/// Pod chips drawn per node before "and N more".
const MAX_POD_CHIPS: usize = 48;

/// Properties of [`NodeCard`].
#[derive(Properties, PartialEq)]
pub struct NodeCardProps {
    /// The node.
    pub node: Node,
    /// Its pods.
    pub pods: Vec<Pod>,
    /// What is selected (to highlight it).
    pub selection: Option<Selection>,
    /// Dispatches actions.
    pub on_action: Callback<Action>,
    /// Simulated time (for cooling addresses).
    pub now_ms: u64,
    /// With an overlay CNI: where its pods' addresses come from.
    #[prop_or_default]
    pub pod_ranges: Option<String>,
    /// The hop of a traced path lit up on the map.
    #[prop_or_default]
    pub mark: Option<Place>,
    /// The selected NetworkPolicy, whose pods are outlined.
    #[prop_or_default]
    pub policy: Option<podnet_model::netpol::Policy>,
    /// Whether the page only shows (no actions on the card).
    #[prop_or_default]
    pub read_only: bool,
    /// Why the open exercise does not use Add pods, if it does not.
    #[prop_or_default]
    pub add_pods_refused: Option<String>,
    /// Why it does not use Delete node, if it does not.
    #[prop_or_default]
    pub delete_refused: Option<String>,
    /// The addresses the last action moved (all nodes').
    #[prop_or_default]
    pub moved: std::rc::Rc<std::collections::HashMap<std::net::Ipv4Addr, Moved>>,
}

/// One node.
#[component]
pub fn NodeCard(props: &NodeCardProps) -> Html {
    let n = &props.node;
    let id = n.id;
    let select = props
        .on_action
        .reform(move |_: MouseEvent| Action::Select(Some(Selection::Node(id))));
    let count = props.pods.len();
    let full = count as u32 >= n.max_pods();
    let selected = props.selection == Some(Selection::Node(id));
    let mark = props.mark;
    let on_path = mark == Some(Place::Node { node: id });
    html! {
        <section class={classes!("node-card", selected.then_some("is-selected"), on_path.then_some("is-on-path"))} aria-label={format!("Node {}", n.name)} onkeydown={super::rove::keys()}>
            <button type="button" class="node-card__head" onclick={select}>
                <strong>{ &n.name }</strong>
                <span>{ format!("{} · {} · {}", n.id, n.instance_type, n.ip().map(|i| i.to_string()).unwrap_or_default()) }</span>
                <span class={classes!("node-card__pods", full.then_some("is-full"))}>{ format!("{count}/{} pods", n.max_pods()) }</span>
                if n.ipam.custom_networking { <span class="tag is-cni" title="Custom networking: pod ENIs in the ENIConfig's subnet">{ "custom networking" }</span> }
                if let Some(reason) = &n.not_ready { <span class="tag is-not-ready" title={reason.clone()}>{ "⚠ NotReady" }</span> }
                if let Some(reason) = &n.image_error { <span class="tag is-not-ready" title={reason.clone()}>{ "⚠ NotReady: image pull" }</span> }
                if !n.registered { <span class="tag is-not-ready" title={n.join_error.clone().unwrap_or_default()}>{ "⚠ not registered" }</span> }
                else if n.join_error.is_some() { <span class="tag is-not-ready" title={n.join_error.clone().unwrap_or_default()}>{ "⚠ lost the API server" }</span> }
                if n.ipam.keeps_trunk_slot() { <span class="tag is-not-ready" title={n.trunk_waiting.clone().unwrap_or_default()}>{ "trunk ENI waiting" }</span> }
            </button>
            if !props.read_only { { actions(props) } }
            <ul class="node-card__enis">
                { for n.ipam.enis.iter().enumerate().map(|(i, e)| {
                    let tabindex = super::rove::tabindex(i);
                    let eni = e.id;
                    let onclick = props.on_action.reform(move |_: MouseEvent| Action::Select(Some(Selection::Eni(eni))));
                    let on = mark == Some(Place::Eni { eni });
                    if e.kind == EniKind::Trunk {
                        let used = n.ipam.branches.len();
                        let free = (n.ipam.branch_limit as usize).saturating_sub(used);
                        return html! {
                            <li class="eni-row is-trunk">
                                <button type="button" class="eni-row__label" {onclick} {tabindex} data-rove="" title="Select this trunk ENI (arrow keys: the node's other ENIs and pods)">
                                    { format!("eth{} {} · {} · trunk · {used}/{} branch ENIs", e.device_index, e.id, e.primary_ip, n.ipam.branch_limit) }
                                </button>
                                <span class="eni-row__slots" aria-hidden="true">
                                    { for (0..used).map(|_| html! { <span class="slot is-used is-branch"></span> }) }
                                    { for (0..free).map(|_| html! { <span class="slot is-free"></span> }) }
                                </span>
                            </li>
                        };
                    }
                    let slots: Vec<Html> = e.all_slots().map(|s| {
                        let class = if s.pod.is_some() { "is-used" } else if s.is_cooling(props.now_ms) { "is-cooling" } else { "is-warm" };
                        let moved = props.moved.get(&s.ip).map(|m| moved_class(*m));
                        html! { <span class={classes!("slot", class, moved)}></span> }
                    }).collect();
                    let what = if e.prefixes.is_empty() {
                        format!("{} secondary IPs", e.secondary.len())
                    } else {
                        format!("{} × /28 prefixes", e.prefixes.len())
                    };
                    html! {
                        <li class={classes!("eni-row", on.then_some("is-on-path"))}>
                            <button type="button" class="eni-row__label" {onclick} {tabindex} data-rove="" title="Select this ENI (arrow keys: the node's other ENIs and pods)">
                                { format!("eth{} {} · {} · {what} · {} used", e.device_index, e.id, e.primary_ip, e.assigned()) }
                            </button>
                            <span class="eni-row__slots" aria-hidden="true">{ for slots }</span>
                        </li>
                    }
                }) }
            </ul>
            if let Some(ranges) = &props.pod_ranges {
                <p class="node-card__overlay" title="Pod addresses from the overlay CNI's own range, not from the VPC">
                    { format!("{ranges} (overlay)") }
                </p>
            }
            { moved_summary(n, &props.moved) }
            <ul class="pod-list">
                { for props.pods.iter().filter(|p| !p.system).take(MAX_POD_CHIPS).enumerate().map(|(i, p)| pod_chip(p, &props.on_action, props.selection, mark, props.policy.as_ref(), super::rove::tabindex(n.ipam.enis.len() + i))) }
            </ul>
            if props.pods.iter().filter(|p| !p.system).count() > MAX_POD_CHIPS {
                <p class="node-card__more">{ format!("and {} more pods", props.pods.iter().filter(|p| !p.system).count() - MAX_POD_CHIPS) }</p>
            }
        </section>
    }
}

fn pod_chip(
    p: &Pod,
    on_action: &Callback<Action>,
    selection: Option<Selection>,
    mark: Option<Place>,
    policy: Option<&podnet_model::netpol::Policy>,
    tabindex: &'static str,
) -> Html {
    let id = p.id;
    let onclick = on_action.reform(move |_: MouseEvent| Action::Select(Some(Selection::Pod(id))));
    let (class, glyph) = match p.status {
        PodStatus::Running if p.host_network => ("is-host", "⌂"),
        PodStatus::Running if p.security_groups => ("is-running is-branch", "◆"),
        PodStatus::Running => ("is-running", "●"),
        PodStatus::ContainerCreating => ("is-creating", "◌"),
        PodStatus::Pending => ("is-pending", ""),
        PodStatus::ImagePullBackOff => ("is-creating is-backoff", "⤓"),
        PodStatus::CrashLoopBackOff => ("is-creating is-backoff", "↻"),
    };
    let ip =
        p.ip.map(|i| i.to_string())
            .unwrap_or_else(|| "no IP".into());
    let selected = selection == Some(Selection::Pod(id));
    let on = mark == Some(Place::Pod { pod: id });
    let by_policy = policy.is_some_and(|x| x.selects(&p.namespace, &p.labels, p.host_network));
    html! {
        <li>
            <button type="button" class={classes!("pod-chip", class, selected.then_some("is-selected"), on.then_some("is-on-path"), by_policy.then_some("is-policy-selected"))} {onclick} {tabindex} data-rove=""
                    title={format!("{}/{} · {} · {}{}", p.namespace, p.name, p.status, p.reason.clone().unwrap_or_default(), if by_policy { " · selected by the policy" } else { "" })}>
                if p.status == PodStatus::Pending { { pending_glyph() } { format!("{} {ip}", p.name) } } else { { format!("{glyph} {} {ip}", p.name) } }
            </button>
        </li>
    }
}

/// The Pending mark: two bars drawn inline (the pause sign ⏸ is an empty
/// box in fonts that lack it), named for screen readers.
pub fn pending_glyph() -> Html {
    html! {
        <>
            <svg class="glyph" viewBox="0 0 10 10" width="10" height="10" aria-hidden="true" focusable="false">
                <rect x="1.5" y="1" width="2.5" height="8" /><rect x="6" y="1" width="2.5" height="8" />
            </svg>
            <span class="visually-hidden">{ "Pending: " }</span>
            { " " }
        </>
    }
}

/// The class that marks an address the last action moved.
pub fn moved_class(m: Moved) -> &'static str {
    match m {
        Moved::Taken => "is-moved is-taken",
        Moved::Warmed => "is-moved is-warmed",
        Moved::Released => "is-moved is-released",
        Moved::Cooling => "is-moved is-cooled",
    }
}

/// What the last action did to this node's addresses, in words (the
/// marked slots say it to the eye).
fn moved_summary(n: &Node, moved: &std::collections::HashMap<std::net::Ipv4Addr, Moved>) -> Html {
    if moved.is_empty() {
        return html! {};
    }
    let mut counts = [0usize; 3];
    for e in &n.ipam.enis {
        for s in e.all_slots() {
            match moved.get(&s.ip) {
                Some(Moved::Taken) => counts[0] += 1,
                Some(Moved::Warmed) => counts[1] += 1,
                Some(Moved::Cooling) => counts[2] += 1,
                Some(Moved::Released) | None => {}
            }
        }
    }
    let parts: Vec<String> = [
        (counts[0], "taken by pods"),
        (counts[1], "added to the warm pool"),
        (counts[2], "cooling down"),
    ]
    .iter()
    .filter(|(c, _)| *c > 0)
    .map(|(c, what)| format!("{c} {what}"))
    .collect();
    if parts.is_empty() {
        return html! {};
    }
    html! { <p class="node-card__moved">{ format!("Last action: {}", parts.join(", ")) }</p> }
}

/// Pods added on this node, per click of its button.
const PODS_HERE: u32 = 5;

/// "+ 5 pods here" and "Delete node", on the card itself.
fn actions(props: &NodeCardProps) -> Html {
    use podnet_model::Command;
    let name = props.node.name.clone();
    let add = {
        let name = name.clone();
        props.on_action.reform(move |_: MouseEvent| {
            Action::Run(Command::AddPods(podnet_model::command::AddPods {
                count: PODS_HERE,
                node: Some(name.clone()),
                ..Default::default()
            }))
        })
    };
    let delete = props
        .on_action
        .reform(move |_: MouseEvent| Action::Run(Command::DeleteNode { node: name.clone() }));
    let id = props.node.id.0;
    let button = |label: String,
                  aria: String,
                  title: String,
                  refused: &Option<String>,
                  class: &'static str,
                  onclick: Callback<MouseEvent>,
                  note: String| {
        let l = super::lock::Lock::from_refusal(refused.clone(), &note);
        html! {
            <>
                <button type="button" class={class} {onclick} aria-label={aria}
                        title={l.title.unwrap_or_else(|| title.into())} aria-disabled={l.disabled}
                        aria-describedby={l.described_by}>{ label }</button>
                { l.note }
            </>
        }
    };
    html! {
        <div class="node-card__actions">
            { button(format!("+ {PODS_HERE} pods here"), format!("Add {PODS_HERE} pods on {}", props.node.name), format!("Add {PODS_HERE} pods on {}: the scheduler places them here, if they fit", props.node.name), &props.add_pods_refused, "node-card__add", add, format!("lock-pods-on-{id}")) }
            { button("Delete node".into(), format!("Delete node {}", props.node.name), "Delete this node: its ENIs' addresses go back to the subnet, and its pods are recreated elsewhere (Pending where nothing fits)".into(), &props.delete_refused, "node-card__delete", delete, format!("lock-delete-{id}")) }
        </div>
    }
}
