//! The controls: add a subnet, a node, pods; CNI settings; upgrade the
//! control plane; let time pass. Each sends a `Command`; the model decides.

use podnet_model::catalog::{self, lookup};
use podnet_model::cni::Cni as _;
use podnet_model::max_pods::MaxPodsFrom;
use podnet_model::{Command, SubnetSummary};
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

use std::rc::Rc;

use super::combobox::Combobox;
use crate::app::ViewProps;
use crate::state::Action;

fn text(e: InputEvent) -> String {
    e.target_unchecked_into::<HtmlInputElement>().value()
}

pub(super) fn bind(h: &UseStateHandle<String>) -> Callback<InputEvent> {
    let h = h.clone();
    Callback::from(move |e: InputEvent| h.set(text(e)))
}

/// A callback that sets `h` to the value it is given (a picker's change).
pub(super) fn set(h: &UseStateHandle<String>) -> Callback<String> {
    let h = h.clone();
    Callback::from(move |v: String| h.set(v))
}

thread_local! {
    /// Every instance type's name, for the pickers (built once).
    static INSTANCE_TYPES: Rc<Vec<String>> =
        Rc::new(catalog::all().iter().map(|t| t.name.to_owned()).collect());
}

/// Every instance type's name, in the catalog's order.
pub(super) fn instance_types() -> Rc<Vec<String>> {
    INSTANCE_TYPES.with(Rc::clone)
}

pub(super) fn bind_select(h: &UseStateHandle<String>) -> Callback<Event> {
    let h = h.clone();
    Callback::from(move |e: Event| h.set(e.target_unchecked_into::<HtmlSelectElement>().value()))
}

/// The actions each form does (an embedded exercise's toolbox draws a form
/// only when the exercise uses one of them).
const NETWORK_ACTIONS: &[&str] = &[
    "add-vpc-endpoint",
    "delete-vpc-endpoint",
    "add-internet-gateway",
    "add-nat-gateway",
    "set-route",
];
const CONTROL_PLANE_ACTIONS: &[&str] = &[
    "upgrade-control-plane",
    "advance-time",
    "set-endpoint-access",
    "set-node-access",
    "set-security-groups",
    "set-public-access-cidrs",
    "update-cluster-subnets",
    "set-authentication-mode",
    "set-vpc-dns",
    "set-dhcp-options",
];
const FORMS: [&[&str]; 7] = [
    &["add-pods"],
    &["add-node"],
    &["add-subnet"],
    &["add-vpc-cidr"],
    NETWORK_ACTIONS,
    &["set-cni"],
    CONTROL_PLANE_ACTIONS,
];

/// Whether any of these forms is drawn (all are, but in an exercise's
/// toolbox only those it uses).
pub fn uses_any_form(props: &ViewProps) -> bool {
    FORMS
        .iter()
        .any(|actions| actions.iter().any(|a| super::lock::shows(props, a)))
}

/// All the forms.
#[component]
pub fn Controls(props: &ViewProps) -> Html {
    // An embedded exercise shows only the forms it uses, next to its goals.
    let uses = |actions: &[&str]| actions.iter().any(|a| super::lock::shows(props, a));
    let toolbox = super::lock::toolbox(props);
    // A policy exercise's toolbox is the policy section alone.
    if toolbox && !uses_any_form(props) {
        return html! {};
    }
    // In the toolbox, time is in the head.
    let control_plane = CONTROL_PLANE_ACTIONS
        .iter()
        .any(|a| !(toolbox && *a == "advance-time") && super::lock::shows(props, a));
    let title = if toolbox {
        "What this exercise lets you change"
    } else {
        "Build"
    };
    html! {
        <section class={classes!("controls", toolbox.then_some("is-toolbox"))} aria-label="Controls">
            if toolbox {
                // Time, in one line with the title.
                <div class="controls__head">
                    <h2 class="controls__title">{ title }</h2>
                    if super::lock::shows(props, "advance-time") { <Wait ..props.clone() /> }
                </div>
            } else {
                <h2 class="controls__title">{ title }</h2>
            }
            if uses(&["add-pods"]) { <AddPods ..props.clone() /> }
            if uses(&["add-node"]) { <AddNode ..props.clone() /> }
            if uses(&["add-subnet"]) { <AddSubnet ..props.clone() /> }
            if uses(&["add-vpc-cidr"]) { <AddVpcBlock ..props.clone() /> }
            if uses(NETWORK_ACTIONS) {
                <super::network::Network ..props.clone() />
            }
            if uses(&["set-cni"]) { <super::cni_settings::CniSettings ..props.clone() /> }
            if control_plane {
                <ControlPlane ..props.clone() />
            }
        </section>
    }
}

#[component]
fn AddSubnet(props: &ViewProps) -> Html {
    let name = use_state(String::new);
    let cidr = use_state(|| "10.10.3.0/24".to_owned());
    let az = use_state(|| {
        props
            .state
            .sandbox()
            .vpc
            .azs()
            .first()
            .cloned()
            .unwrap_or_else(|| "eu-west-1a".into())
    });
    let tag = use_state(|| false);
    let has_nat = !props.state.sandbox().vpc.nat_gateways.is_empty();
    let route = use_state(move || {
        if has_nat {
            "nat-gateway".to_owned()
        } else {
            "local".to_owned()
        }
    });
    let preview = match SubnetSummary::parse(&cidr) {
        Ok(s) => {
            html! { <p class="form__hint">{ format!("{} usable addresses ({} − 5 reserved by AWS)", s.usable, s.total) }</p> }
        }
        Err(e) => html! { <p class="form__hint is-error">{ e.to_string() }</p> },
    };
    let onsubmit = {
        let (name, cidr, az, tag, route, on_action) = (
            name.clone(),
            cidr.clone(),
            az.clone(),
            tag.clone(),
            route.clone(),
            props.on_action.clone(),
        );
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let n = name.trim();
            on_action.emit(Action::Run(Command::AddSubnet(
                podnet_model::command::AddSubnet {
                    name: (!n.is_empty()).then(|| n.to_owned()),
                    cidr: (*cidr).clone(),
                    az: (*az).clone(),
                    cni_tag: *tag,
                    route: (*route != "local").then(|| (*route).clone()),
                },
            )));
        })
    };
    let on_tag = {
        let tag = tag.clone();
        Callback::from(move |e: Event| {
            tag.set(e.target_unchecked_into::<HtmlInputElement>().checked())
        })
    };
    let blocks: Vec<String> = props
        .state
        .sandbox()
        .vpc
        .cidrs
        .iter()
        .map(ToString::to_string)
        .collect();
    html! {
        <details class="form" open=true>
            <summary>{ "Subnet" }</summary>
            <form {onsubmit}>
                <label>{ "Subnet CIDR" }<input type="text" value={(*cidr).clone()} oninput={bind(&cidr)} spellcheck="false" autocomplete="off" /></label>
                { preview }
                <p class="form__hint">{ format!("Inside the VPC's blocks: {}", blocks.join(", ")) }</p>
                <label>{ "Availability Zone" }<input type="text" value={(*az).clone()} oninput={bind(&az)} list="podnet-azs" /></label>
                <datalist id="podnet-azs">{ for props.state.sandbox().vpc.azs().iter().map(|a| html! { <option value={a.clone()} /> }) }</datalist>
                <label class="form__check"><input type="checkbox" checked={*tag} onchange={on_tag} />{ "Tag kubernetes.io/role/cni=1 (pod ENIs may go here)" }</label>
                { super::lock::more(props, "subnet", html! { <>
                    <label>{ "Subnet name (optional)" }<input type="text" value={(*name).clone()} oninput={bind(&name)} /></label>
                    { super::network::route_target("Subnet route 0.0.0.0/0 to", &route, true) }
                </> }) }
                { super::lock::submit(&props.state, "add-subnet", "Add subnet") }
            </form>
        </details>
    }
}

/// A secondary IPv4 block for the VPC (`aws ec2 associate-vpc-cidr-block`):
/// the model checks AWS's rules (allowed ranges, no overlap, 5 per VPC).
#[component]
fn AddVpcBlock(props: &ViewProps) -> Html {
    let cidr = use_state(|| "100.64.0.0/16".to_owned());
    let onsubmit = {
        let (cidr, on_action) = (cidr.clone(), props.on_action.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            on_action.emit(Action::Run(Command::AddVpcCidr {
                cidr: cidr.trim().to_owned(),
            }));
        })
    };
    let blocks = props.state.sandbox().vpc.cidrs.len();
    html! {
        <details class="form" open={super::lock::toolbox(props)}>
            <summary>{ "VPC block" }</summary>
            <form {onsubmit}>
                <label>{ "Secondary VPC block" }<input type="text" value={(*cidr).clone()} oninput={bind(&cidr)} spellcheck="false" autocomplete="off" /></label>
                <p class="form__hint">{ format!("/16 to /28, not overlapping the VPC's {blocks} block(s), at most 5 per VPC; 100.64.0.0/10 (CG-NAT space) is the usual choice for pod subnets.") }</p>
                { super::lock::submit(&props.state, "add-vpc-cidr", "Add VPC block") }
            </form>
        </details>
    }
}

fn max_pods_from(value: &str) -> MaxPodsFrom {
    if value == "nodeadm" {
        MaxPodsFrom::Nodeadm
    } else {
        MaxPodsFrom::ManagedNodeGroup
    }
}

#[component]
fn AddNode(props: &ViewProps) -> Html {
    let sandbox = props.state.sandbox();
    let sb = &*sandbox;
    // A node subnet: not a cluster subnet, not a public one.
    let default_subnet = sb
        .vpc
        .subnets
        .values()
        .find(|s| {
            !sb.cluster
                .as_ref()
                .is_some_and(|c| c.subnets.contains(&s.id))
                && s.route != podnet_model::egress::Route::InternetGateway
        })
        .or_else(|| sb.vpc.subnets.values().next())
        .map(|s| s.name.clone())
        .unwrap_or_default();
    let itype = use_state(|| "m5.large".to_owned());
    let chosen = use_state(|| default_subnet.clone());
    // The choice, while that subnet exists (another scenario may have loaded).
    let subnet = if sb.vpc.subnets.values().any(|s| s.name == *chosen) {
        (*chosen).clone()
    } else {
        default_subnet
    };
    let max_pods = use_state(String::new);
    let source = use_state(|| "managed-node-group".to_owned());
    let pd = sb
        .cni
        .eni_ipam()
        .is_some_and(|e| e.addon_prefix_delegation());
    let info = match lookup(&itype) {
        Ok(t) => {
            let kubelet = max_pods.trim().parse::<u32>().ok().unwrap_or_else(|| {
                podnet_model::max_pods::for_node(t, max_pods_from(&source), pd).value
            });
            let holds = if sb.cni.uses_enis() {
                format!(
                    "; {} gives pods {} addresses there",
                    sb.cni.strategy().name(),
                    sb.cni.strategy().max_pods(t).value.saturating_sub(2)
                )
            } else {
                String::new()
            };
            let vcpus = t
                .vcpus
                .map_or_else(|| "unknown".to_owned(), |v| v.to_string());
            html! { <p class="form__hint">{ format!("{}: {} ENIs × {} IPv4 each, vCPUs {vcpus} → max pods {kubelet}{holds}", t.name, t.max_enis, t.ipv4_per_eni) }</p> }
        }
        Err(e) => html! { <p class="form__hint is-error">{ e.to_string() }</p> },
    };
    let onsubmit = {
        let (itype, subnet, max_pods, source, on_action) = (
            itype.clone(),
            subnet.clone(),
            max_pods.clone(),
            source.clone(),
            props.on_action.clone(),
        );
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let mp = max_pods.trim().parse::<u32>().ok();
            let from = max_pods_from(&source);
            on_action.emit(Action::Run(Command::AddNode(
                podnet_model::command::AddNode {
                    instance_type: itype.trim().to_owned(),
                    subnet: subnet.clone(),
                    max_pods: mp,
                    max_pods_from: (from != MaxPodsFrom::default()).then_some(from),
                },
            )));
        })
    };
    html! {
        <details class="form" id="add-node" open=true>
            <summary>{ "Node" }</summary>
            <form {onsubmit}>
                <Combobox id="add-node-type" label="Instance type" value={(*itype).clone()} options={instance_types()} on_change={set(&itype)} />
                { info }
                <label>{ "Node subnet" }
                    <select onchange={bind_select(&chosen)}>
                        { for sb.vpc.subnets.values().map(|s| html! { <option value={s.name.clone()} selected={s.name == subnet}>{ format!("{} ({}, {})", s.name, s.cidr, s.az) }</option> }) }
                    </select>
                </label>
                { super::lock::more(props, "node", html! { <>
                    <label>{ "Max pods from" }
                        <select onchange={bind_select(&source)}>
                            <option value="managed-node-group" selected={*source == "managed-node-group"}>{ "Managed node group (EKS sets it, capped 110/250)" }</option>
                            <option value="nodeadm" selected={*source == "nodeadm"}>{ "Self-managed node (nodeadm's default, ENI formula)" }</option>
                        </select>
                    </label>
                    <label>{ "Max pods (set by hand, optional)" }<input type="number" min="1" max="1000" value={(*max_pods).clone()} oninput={bind(&max_pods)} /></label>
                </> }) }
                { super::lock::submit(&props.state, "add-node", "Add node") }
                <Outcome form="add-node" state={props.state.clone()} />
            </form>
        </details>
    }
}

#[component]
fn AddPods(props: &ViewProps) -> Html {
    let count = use_state(|| "10".to_owned());
    let node = use_state(String::new);
    let own_sg = use_state(|| false);
    let namespace = use_state(|| "default".to_owned());
    let labels = use_state(String::new);
    let on_sg = {
        let own_sg = own_sg.clone();
        Callback::from(move |e: Event| {
            own_sg.set(e.target_unchecked_into::<HtmlInputElement>().checked())
        })
    };
    let node_names = {
        let sb = props.state.sandbox();
        Rc::new(
            sb.nodes
                .values()
                .map(|n| n.name.clone())
                .collect::<Vec<_>>(),
        )
    };
    let onsubmit = {
        let (count, node, own_sg, namespace, labels, on_action) = (
            count.clone(),
            node.clone(),
            own_sg.clone(),
            namespace.clone(),
            labels.clone(),
            props.on_action.clone(),
        );
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let Ok(n) = count.trim().parse::<u32>() else {
                on_action.emit(Action::LoadFailed(format!(
                    "\"{}\" is not a number of pods",
                    count.trim()
                )));
                return;
            };
            let labels = match super::policy_view::parse_labels(&labels) {
                Ok(l) => l,
                Err(e) => {
                    on_action.emit(Action::LoadFailed(e));
                    return;
                }
            };
            let ns = namespace.trim();
            on_action.emit(Action::Run(Command::AddPods(
                podnet_model::command::AddPods {
                    count: n,
                    node: (!node.trim().is_empty()).then(|| node.trim().to_owned()),
                    host_network: false,
                    name: None,
                    security_groups: *own_sg,
                    namespace: (!ns.is_empty() && ns != "default").then(|| ns.to_owned()),
                    labels,
                    ..Default::default()
                },
            )));
        })
    };
    html! {
        <details class="form" id="add-pods" open=true>
            <summary>{ "Pods" }</summary>
            <form {onsubmit}>
                <label>{ "Number of pods" }<input type="number" min="1" max="200000" value={(*count).clone()} oninput={bind(&count)} /></label>
                <Combobox id="add-pods-node" label="On node" value={(*node).clone()} options={node_names} on_change={set(&node)} placeholder="any: the scheduler chooses" />
                { super::lock::more(props, "pod", html! { <>
                    <label>{ "Pod namespace" }<input type="text" value={(*namespace).clone()} oninput={bind(&namespace)} spellcheck="false" /></label>
                    <label>{ "Pod labels (key=value, …)" }<input type="text" value={(*labels).clone()} oninput={bind(&labels)} spellcheck="false" /></label>
                    <label class="form__check"><input type="checkbox" checked={*own_sg} onchange={on_sg} />{ "With their own security groups (a SecurityGroupPolicy matches them)" }</label>
                </> }) }
                { super::lock::submit(&props.state, "add-pods", "Add pods") }
                <Outcome form="add-pods" state={props.state.clone()} />
            </form>
        </details>
    }
}

#[derive(Properties, PartialEq)]
struct OutcomeProps {
    form: &'static str,
    state: crate::app::Shared,
}

/// What the command at the cursor did, under the form that ran it: the map
/// may be out of sight (a phone, a narrow embed), and a screen reader hears
/// it. Empty when the step at the cursor is another form's.
#[component]
fn Outcome(props: &OutcomeProps) -> Html {
    let state = &props.state;
    let text = use_memo((state.version, state.cursor, props.form), |(_, _, form)| {
        let step = state.cursor.checked_sub(1);
        let command = step.and_then(|i| state.scenario.actions.get(i))?;
        if podnet_model::exercise::action_name(command) != *form {
            return None;
        }
        podnet_model::query::outcome(&state.sandbox(), command)
    });
    html! { <p class="form__outcome" role="status">{ (*text).clone().unwrap_or_default() }</p> }
}

#[component]
fn ControlPlane(props: &ViewProps) -> Html {
    let current = props
        .state
        .sandbox()
        .cluster
        .as_ref()
        .map(|c| c.version.clone())
        .unwrap_or_default();
    let next = next_version(&current);
    let upgrade = props.on_action.reform(move |_: MouseEvent| {
        Action::Run(Command::UpgradeControlPlane {
            version: next.clone(),
        })
    });
    html! {
        <details class="form" open=true>
            <summary>{ "Control plane and time" }</summary>
            if super::lock::shows(props, "upgrade-control-plane") {
                <p class="form__hint">{ format!("Kubernetes {current} → {}", next_version(&current)) }</p>
                { super::lock::button(&props.state, "upgrade-control-plane", "Upgrade control plane", upgrade) }
            }
            if !super::lock::toolbox(props) {
                <p class="form__hint">{ "Let simulated time pass on every node: ipamd (or the cilium-operator) runs, cooldowns end, surplus IPs and ENIs go back." }</p>
                <Wait ..props.clone() />
            }
            <ClusterAccess ..props.clone() />
        </details>
    }
}

/// Wait 30 s and Wait 3 min: simulated time on every node.
#[component]
fn Wait(props: &ViewProps) -> Html {
    let wait = |s: u32| {
        props
            .on_action
            .reform(move |_: MouseEvent| Action::Run(Command::AdvanceTime { seconds: s }))
    };
    html! {
        <div class="form__row">
            { super::lock::button(&props.state, "advance-time", "Wait 30 s", wait(30)) }
            { super::lock::button(&props.state, "advance-time", "Wait 3 min", wait(180)) }
        </div>
    }
}

/// What a node's join depends on: each change applies at once and every
/// node tries its way to the API server again.
#[component]
fn ClusterAccess(props: &ViewProps) -> Html {
    use podnet_model::cluster::{AuthMode, NodeAccess, SgRules};
    use podnet_model::EndpointAccess;
    let sandbox = props.state.sandbox();
    let Some(c) = sandbox.cluster.as_ref() else {
        return html! {};
    };
    let (endpoint, access, rules, mode) = (c.endpoint, c.node_access, c.rules, c.auth_mode);
    let shows = |action: &str| super::lock::shows(props, action);
    let cidrs_now: Vec<String> = c
        .public_access_cidrs
        .iter()
        .map(ToString::to_string)
        .collect();
    let subnets_now: Vec<String> = c
        .subnets
        .iter()
        .filter_map(|id| sandbox.vpc.subnets.get(id).map(|s| s.name.clone()))
        .collect();
    let cidrs = use_state(|| cidrs_now.join(", "));
    let cluster_subnets = use_state(|| subnets_now.join(", "));
    let list = |text: &str| -> Vec<String> {
        text.split(|c: char| c == ',' || c.is_whitespace())
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect()
    };
    let on_cidrs = {
        let (cidrs, on_action) = (cidrs.clone(), props.on_action.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            on_action.emit(Action::Run(Command::SetPublicAccessCidrs {
                cidrs: list(&cidrs),
            }));
        })
    };
    let on_subnets = {
        let (s, on_action) = (cluster_subnets.clone(), props.on_action.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            on_action.emit(Action::Run(Command::UpdateClusterSubnets {
                subnets: list(&s),
            }));
        })
    };
    let run = |f: fn(&str, bool, SgRules) -> Command| {
        let on_action = props.on_action.clone();
        Callback::from(move |e: Event| {
            let (value, checked) = match e.target_dyn_into::<HtmlSelectElement>() {
                Some(select) => (select.value(), false),
                None => {
                    let input: HtmlInputElement = e.target_unchecked_into();
                    (input.value(), input.checked())
                }
            };
            on_action.emit(Action::Run(f(&value, checked, rules)));
        })
    };
    let on_endpoint = run(|v, _, _| Command::SetEndpointAccess {
        endpoint: match v {
            "private" => EndpointAccess::Private,
            "public" => EndpointAccess::Public,
            _ => EndpointAccess::PublicAndPrivate,
        },
    });
    let on_access = run(|v, _, _| Command::SetNodeAccess {
        access: match v {
            "aws-auth" => NodeAccess::AwsAuth,
            "none" => NodeAccess::None,
            _ => NodeAccess::AccessEntry,
        },
    });
    let on_mode = run(|v, _, _| Command::SetAuthenticationMode {
        mode: match v {
            "CONFIG_MAP" => AuthMode::ConfigMap,
            "API" => AuthMode::Api,
            _ => AuthMode::ApiAndConfigMap,
        },
    });
    let on_443 = run(|_, on, r| Command::SetSecurityGroups {
        api_443: on,
        kubelet_10250: r.kubelet_10250,
    });
    let on_10250 = run(|_, on, r| Command::SetSecurityGroups {
        api_443: r.api_443,
        kubelet_10250: on,
    });
    html! {
        <fieldset class="form__group">
            <legend>{ "How nodes reach the control plane" }</legend>
            if shows("set-endpoint-access") {
                <label>{ "Endpoint access" }
                    <select onchange={on_endpoint}>
                        <option value="public" selected={endpoint == EndpointAccess::Public}>{ "public" }</option>
                        <option value="public-and-private" selected={endpoint == EndpointAccess::PublicAndPrivate}>{ "public and private" }</option>
                        <option value="private" selected={endpoint == EndpointAccess::Private}>{ "private" }</option>
                    </select>
                </label>
            }
            <super::network::VpcDns ..props.clone() />
            if shows("set-node-access") {
                <label>{ "Node role mapped by" }
                    <select onchange={on_access}>
                        <option value="access-entry" selected={access == NodeAccess::AccessEntry}>{ "an access entry (EC2_Linux)" }</option>
                        <option value="aws-auth" selected={access == NodeAccess::AwsAuth}>{ "the aws-auth ConfigMap" }</option>
                        <option value="none" selected={access == NodeAccess::None}>{ "nothing" }</option>
                    </select>
                </label>
            }
            if shows("set-authentication-mode") {
                <label>{ "Authentication mode" }
                    <select onchange={on_mode}>
                        { for [AuthMode::ConfigMap, AuthMode::ApiAndConfigMap, AuthMode::Api].iter().map(|m| html! {
                            <option value={m.api_name()} selected={*m == mode}>{ m.api_name() }</option>
                        }) }
                    </select>
                </label>
                <p class="form__hint">{ "CONFIG_MAP counts only aws-auth, API only access entries; the mode only moves forward." }</p>
            }
            if shows("set-public-access-cidrs") {
                <form onsubmit={on_cidrs}>
                    <label>{ "Public access CIDRs" }<input type="text" value={(*cidrs).clone()} oninput={bind(&cidrs)} spellcheck="false" /></label>
                    { super::lock::submit(&props.state, "set-public-access-cidrs", "Set public access CIDRs") }
                </form>
            }
            if shows("update-cluster-subnets") {
                <form onsubmit={on_subnets}>
                    <label>{ "Cluster subnets (comma-separated)" }<input type="text" value={(*cluster_subnets).clone()} oninput={bind(&cluster_subnets)} spellcheck="false" /></label>
                    { super::lock::submit(&props.state, "update-cluster-subnets", "Change cluster subnets") }
                </form>
                <p class="form__hint">{ "UpdateClusterConfig: new cluster subnets must cover the same AZs as at creation; EKS moves its two X-ENIs there." }</p>
            }
            if shows("set-security-groups") {
                <label class="form__check"><input type="checkbox" checked={rules.api_443} onchange={on_443} />{ "Cluster security group allows TCP 443 from nodes" }</label>
                <label class="form__check"><input type="checkbox" checked={rules.kubelet_10250} onchange={on_10250} />{ "Node security group allows TCP 10250 from the control plane" }</label>
            }
        </fieldset>
    }
}

/// `1.31` → `1.32`.
fn next_version(v: &str) -> String {
    match v.split_once('.') {
        Some((major, minor)) => format!("{major}.{}", minor.parse::<u32>().map_or(0, |m| m + 1)),
        None => "1.32".into(),
    }
}
