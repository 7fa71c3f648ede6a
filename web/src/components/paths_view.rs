//! "Follow the packets": trace a packet between two ends and step through
//! its hops on the map; join a node step by step; ask whether the pod
//! network is flat.

use std::rc::Rc;

use podnet_model::cluster::{Node, Pod};
use podnet_model::netpol::Protocol;
use podnet_model::paths::{FlatCheck, Hop, Join, Path, StepStatus};
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

use super::combobox::{matches, Choice, Combobox, Search};
use crate::app::{Shared, ViewProps};
use crate::state::Action;

/// What the panel shows, for the sandbox version it was computed on.
#[derive(Clone, PartialEq)]
enum Shown {
    Path(Box<Path>),
    Join(Join),
    Flat(FlatCheck),
    Error(String),
}

/// The panel.
#[component]
pub fn PathsView(props: &ViewProps) -> Html {
    let sandbox = props.state.sandbox();
    let sb = &*sandbox;
    let from = use_state(String::new);
    let to = use_state(String::new);
    let port = use_state(|| "80".to_owned());
    let protocol = use_state(|| Protocol::Tcp);
    let node = use_state(String::new);
    let shown = use_state(|| None::<(u64, Shown)>);
    let step = use_state(|| 0usize);
    let version = props.state.version;
    let set = |h: &UseStateHandle<String>| {
        let h = h.clone();
        Callback::from(move |v: String| h.set(v))
    };
    let on_port = {
        let port = port.clone();
        Callback::from(move |e: InputEvent| {
            port.set(e.target_unchecked_into::<HtmlInputElement>().value())
        })
    };
    let on_protocol = {
        let protocol = protocol.clone();
        Callback::from(move |e: Event| {
            let v = e.target_unchecked_into::<HtmlSelectElement>().value();
            protocol.set(Protocol::from_name(&v).unwrap_or_default());
        })
    };
    let on_trace = {
        let (from, to, port, protocol, shown, step, state, on_action) = (
            from.clone(),
            to.clone(),
            port.clone(),
            *protocol,
            shown.clone(),
            step.clone(),
            props.state.clone(),
            props.on_action.clone(),
        );
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let sb = state.sandbox();
            step.set(0);
            let Ok(port_n) = port.trim().parse::<u16>() else {
                shown.set(Some((
                    version,
                    Shown::Error(format!(
                        "port \"{}\" is not a port number (1–65535)",
                        port.trim()
                    )),
                )));
                return;
            };
            let result = sb
                .endpoint(&from)
                .and_then(|f| Ok((f, sb.endpoint(&to)?)))
                .and_then(|(f, t)| sb.trace_port(f, t, port_n, protocol));
            match result {
                Ok(path) => {
                    on_action.emit(Action::Mark(path.hops.first().map(|h| h.place)));
                    bring_into_view();
                    shown.set(Some((version, Shown::Path(Box::new(path)))));
                }
                Err(e) => shown.set(Some((version, Shown::Error(e.to_string())))),
            }
        })
    };
    let on_join = {
        let (node, shown, state, on_action) = (
            node.clone(),
            shown.clone(),
            props.state.clone(),
            props.on_action.clone(),
        );
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let sb = state.sandbox();
            let first = sb
                .nodes
                .values()
                .next()
                .map(|n| n.name.clone())
                .unwrap_or_default();
            let name = if node.is_empty() {
                first
            } else {
                (*node).clone()
            };
            let joined = sb.join(&name);
            // The join goes through an X-ENI: light it on the map.
            if let Ok(j) = &joined {
                let xeni = j
                    .steps
                    .iter()
                    .filter_map(|s| s.place)
                    .find(|p| matches!(p, podnet_model::paths::Place::XEni { .. }));
                on_action.emit(Action::Mark(xeni));
                bring_into_view();
            }
            shown.set(Some((
                version,
                match joined {
                    Ok(j) => Shown::Join(j),
                    Err(e) => Shown::Error(e.to_string()),
                },
            )));
        })
    };
    let on_flat = {
        let (shown, state) = (shown.clone(), props.state.clone());
        Callback::from(move |_: MouseEvent| {
            shown.set(Some((version, Shown::Flat(state.sandbox().flat_network()))));
        })
    };
    let first_node = sb.nodes.values().next().map(|n| n.name.clone());
    let body = match &*shown {
        Some((v, s)) if *v == version => match s {
            Shown::Path(p) => path_view(p, !sb.policies.is_empty(), *step, &step, &props.on_action),
            Shown::Join(j) => join_view(j, &props.on_action),
            Shown::Flat(f) => flat_view(f),
            Shown::Error(e) => html! { <p class="paths__error" role="alert">{ e.clone() }</p> },
        },
        Some(_) => html! { <p class="form__hint">{ "The cluster changed: trace again." }</p> },
        None => html! {},
    };
    html! {
        <section class="paths" aria-label="Follow the packets">
            <h2>{ "Follow the packets" }</h2>
            <form class="paths__form" onsubmit={on_trace}>
                <Combobox id="trace-from" label="From" value={(*from).clone()} search={ends(&props.state, FROM, true)} on_change={set(&from)} placeholder="pod, node or address" no_match={NO_END} />
                <Combobox id="trace-to" label="To" value={(*to).clone()} search={ends(&props.state, TO, true)} on_change={set(&to)} placeholder="pod, node or address" no_match={NO_END} />
                <label>{ "Port" }<input type="text" inputmode="numeric" size="5" value={(*port).clone()} oninput={on_port} /></label>
                <label>{ "Protocol" }<select aria-label="Protocol" onchange={on_protocol}>
                    { for [Protocol::Tcp, Protocol::Udp, Protocol::Sctp].into_iter().map(|p| html! { <option value={p.name()} selected={*protocol == p}>{ p.name() }</option> }) }
                </select></label>
                <button type="submit">{ "Trace" }</button>
            </form>
            <form class="paths__form" onsubmit={on_join}>
                <Combobox id="join-node" label="Node to join" value={(*node).clone()} search={ends(&props.state, &[], false)} on_change={set(&node)} placeholder={first_node.map(AttrValue::from)} no_match="No node by that name." />
                <button type="submit">{ "Join" }</button>
                <button type="button" onclick={on_flat}>{ "Is the pod network flat?" }</button>
            </form>
            { body }
        </section>
    }
}

/// Said when no pod or node matches what is typed in From or To.
const NO_END: &str = "No pod or node by that name: an IP address works too.";

/// The ends a trace may start from, besides pods and nodes.
const FROM: &[(&str, &str)] = &[("control-plane", "the EKS control plane")];

/// The ends a trace may go to, besides pods and nodes: any address is
/// taken (a VPC host or the internet); one is listed to say so.
const TO: &[(&str, &str)] = &[
    ("api-server", "the API server"),
    ("1.1.1.1", "an internet address: type any address"),
];

/// One end a picker lists.
enum End<'a> {
    Special(&'static str, &'static str),
    Pod(&'a Pod),
    Node(&'a Node),
}

/// The trace and join pickers' search: the `specials`, then every running
/// pod (as `namespace/name`, what `Sandbox::endpoint` takes; the CLI's
/// `podnet trace` takes the same) when `pods`, then every node; a typed
/// name or address works without picking.
fn ends(state: &Shared, specials: &'static [(&'static str, &'static str)], pods: bool) -> Search {
    let state = state.clone();
    Search(Rc::new(move |query: &str, limit: usize| {
        let sb = state.sandbox();
        let ends: Vec<End> = specials
            .iter()
            .map(|&(v, n)| End::Special(v, n))
            .chain(
                sb.pods
                    .values()
                    .filter(|p| pods && p.ip.is_some() && !p.system)
                    .map(End::Pod),
            )
            .chain(sb.nodes.values().map(End::Node))
            .collect();
        let values: Vec<String> = ends
            .iter()
            .map(|e| match e {
                End::Special(v, _) => (*v).to_owned(),
                End::Pod(p) => format!("{}/{}", p.namespace, p.name),
                End::Node(n) => n.name.clone(),
            })
            .collect();
        let (shown, total) = matches(values.iter().map(String::as_str), query, limit);
        let choices = shown
            .into_iter()
            .filter_map(|i| {
                let note = match ends.get(i)? {
                    End::Special(_, n) => (*n).to_owned(),
                    End::Pod(p) => {
                        let ip = p.ip.map(|ip| ip.to_string()).unwrap_or_default();
                        match p.node.and_then(|n| sb.nodes.get(&n)) {
                            Some(n) => format!("pod {ip} on {}", n.name),
                            None => format!("pod {ip}"),
                        }
                    }
                    End::Node(n) => match n.ip() {
                        Some(ip) => format!("node {ip}, {}", n.instance_type),
                        None => format!("node, {}", n.instance_type),
                    },
                };
                Some(Choice {
                    value: values.get(i)?.clone(),
                    note: Some(note),
                })
            })
            .collect();
        (choices, total)
    }))
}

fn path_view(
    p: &Path,
    policies: bool,
    step: usize,
    set: &UseStateHandle<usize>,
    on_action: &Callback<Action>,
) -> Html {
    let last = p.hops.len().saturating_sub(1);
    // Going to a hop lights it up on the map.
    let go = |to: usize| {
        let (set, on_action) = (set.clone(), on_action.clone());
        let place = p.hops.get(to).map(|h| h.place);
        Callback::from(move |_: MouseEvent| {
            set.set(to);
            on_action.emit(Action::Mark(place));
            bring_into_view();
        })
    };
    let current = p.hops.get(step.min(last));
    html! {
        <div class="paths__result">
            <p class={classes!("paths__verdict", (!p.reachable).then_some("is-blocked"))} role="status">
                <strong>{ if p.reachable { "Reachable. " } else { "Unreachable. " } }</strong>{ &p.verdict }
            </p>
            <p class="form__hint">{ format!("{} → {} · {} · pod MTU {}{}", p.from, p.to, p.kind, p.mtu, if p.nat { " · NAT on the way" } else { " · no NAT" }) }</p>
            // Without policies the verdict says nothing, unless it denies
            // (the VPC CNI's strict mode denies a pod no policy selects).
            if let Some(c) = p.policy.as_ref().filter(|c| policies || !c.allowed) {
                <div class={classes!("paths__policy", (!c.allowed).then_some("is-blocked"))} role="group" aria-label="NetworkPolicy verdicts">
                    <p><strong>{ format!("NetworkPolicy on {}/{}: ", c.port, c.protocol) }</strong>{ if c.allowed { "allowed" } else { "denied" } }{ format!(" ({})", c.enforcement) }</p>
                    <ul>
                        <li>{ &c.egress }</li>
                        <li>{ &c.ingress }</li>
                    </ul>
                </div>
            }
            <ol class="paths__hops" aria-label="Hops">
                { for p.hops.iter().enumerate().map(|(i, h)| html! {
                    <li class={classes!((i == step).then_some("is-current"), h.blocked.is_some().then_some("is-blocked"))}>
                        <button type="button" onclick={go(i)} aria-current={(i == step).then_some("step")}>{ format!("{} — {}", h.title, h.interface) }</button>
                    </li>
                }) }
            </ol>
            <div class="paths__steps" role="group" aria-label="Step through the hops">
                <button type="button" onclick={go(step.saturating_sub(1))} disabled={step == 0}>{ "◀ Previous hop" }</button>
                <span>{ format!("hop {} of {}", step.min(last) + 1, p.hops.len()) }</span>
                <button type="button" onclick={go((step + 1).min(last))} disabled={step >= last}>{ "Next hop ▶" }</button>
            </div>
            if let Some(h) = current { { hop_view(h) } }
            <details class="paths__text">
                <summary>{ "Text version" }</summary>
                <pre>{ p.to_text() }</pre>
            </details>
        </div>
    }
}

fn hop_view(h: &Hop) -> Html {
    let inner = h.mtu.saturating_sub(h.overhead);
    // Per mille, in integers (no float formatting in the download).
    let share = u64::from(h.overhead) * 1000 / u64::from(h.mtu.max(1));
    html! {
        <div class="paths__hop" aria-label="This hop">
            <h3>{ &h.title }</h3>
            <table class="paths__headers">
                <caption>{ "Headers at this hop" }</caption>
                <thead><tr><th scope="col">{ "Layer" }</th><th scope="col">{ "Source" }</th><th scope="col">{ "Destination" }</th><th scope="col">{ "Protocol" }</th></tr></thead>
                <tbody>
                    { for h.headers.iter().enumerate().map(|(i, x)| html! {
                        <tr><th scope="row">{ match (h.headers.len(), i) { (1, _) => "packet", (_, 0) => "outer", _ => "inner" } }</th><td>{ &x.src }</td><td>{ &x.dst }</td><td>{ &x.proto }</td></tr>
                    }) }
                </tbody>
            </table>
            <p><strong>{ "Why: " }</strong>{ &h.decision }<span class="paths__source">{ format!(" [{}]", h.source) }</span></p>
            if let Some(n) = &h.nat { <p><strong>{ "NAT: " }</strong>{ n }</p> }
            if let Some(b) = &h.blocked { <p class="paths__blocked" role="alert"><strong>{ "Stops here: " }</strong>{ b }</p> }
            <div class="mtu-bar" role="img" aria-label={format!("MTU {}: {} bytes of encapsulation, {inner} for the packet inside", h.mtu, h.overhead)}>
                <span class="mtu-bar__inner" style={format!("width: {}.{}%", (1000 - share) / 10, (1000 - share) % 10)}>{ format!("{inner} packet") }</span>
                if h.overhead > 0 { <span class="mtu-bar__overhead">{ format!("{} encap", h.overhead) }</span> }
            </div>
        </div>
    }
}

fn join_view(j: &Join, on_action: &Callback<Action>) -> Html {
    html! {
        <div class="paths__result">
            <p class={classes!("paths__verdict", (!j.joined).then_some("is-blocked"))} role="status">
                <strong>{ if j.joined { "Joined. " } else { "Does not join. " } }</strong>
                { format!("{} bootstraps with {}{}", j.node, j.endpoint, if j.via_xeni { ", through the X-ENIs" } else { ", through the public endpoint" }) }
            </p>
            <ol class="paths__join" aria-label="Join steps">
                { for j.steps.iter().map(|s| {
                    let (class, mark) = match s.status {
                        StepStatus::Ok => ("is-ok", "✓"),
                        StepStatus::Warning => ("is-warning", "!"),
                        StepStatus::Failed => ("is-blocked", "✗"),
                        StepStatus::NotReached => ("is-skipped", "·"),
                    };
                    let title = match s.place {
                        Some(place) => {
                            let onclick = on_action.reform(move |_: MouseEvent| Action::Mark(Some(place)));
                            html! { <button type="button" class="paths__step" {onclick} title="Light this step's place on the map">{ format!("{mark} {}", s.title) }</button> }
                        }
                        None => html! { <strong>{ format!("{mark} {}", s.title) }</strong> },
                    };
                    html! {
                        <li class={class}>
                            { title }{ format!(": {}", s.detail) }
                            if let Some(m) = &s.message { <code class="paths__message">{ m }</code> }
                            <span class="paths__source">{ format!(" [{}]", s.source) }</span>
                        </li>
                    }
                }) }
            </ol>
            <details class="paths__text"><summary>{ "Text version" }</summary><pre>{ j.to_text() }</pre></details>
        </div>
    }
}

fn flat_view(f: &FlatCheck) -> Html {
    html! {
        <div class="paths__result">
            <p class={classes!("paths__verdict", (!f.flat).then_some("is-blocked"))} role="status">{ &f.answer }</p>
            <ul class="paths__pairs">
                { for f.pairs.iter().map(|p| html! {
                    <li class={(!p.reachable || p.nat).then_some("is-blocked")}>{ format!("{}: {} → {}: {}", p.kind, p.from, p.to, p.verdict) }</li>
                }) }
            </ul>
            <p>{ &f.control_plane }</p>
        </div>
    }
}

/// Once the map has drawn the lit place, scrolls it into view if it is off
/// screen (the hop buttons stay where they are when it is already seen).
pub fn bring_into_view() {
    gloo::timers::callback::Timeout::new(0, || {
        let lit = gloo::utils::document()
            .query_selector(".vpc-map .is-on-path")
            .ok()
            .flatten();
        if let Some(el) = lit {
            let options = web_sys::ScrollIntoViewOptions::new();
            options.set_block(web_sys::ScrollLogicalPosition::Nearest);
            options.set_inline(web_sys::ScrollLogicalPosition::Nearest);
            el.scroll_into_view_with_scroll_into_view_options(&options);
        }
    })
    .forget();
}
