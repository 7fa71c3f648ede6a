//! The CNI panel: which CNI, its settings, and what its datapath costs.
//! Settings of the running CNI change with `SetCni`; another CNI replays
//! the whole scenario under it (nodes choose their CNI when they boot).

use podnet_model::cni::Cni as _;
use std::collections::BTreeMap;

use podnet_model::cni::calico::{Calico, CalicoEncapsulation};
use podnet_model::cni::cilium::{Cilium, CiliumRouting};
use podnet_model::cni::flannel::{Flannel, FlannelBackend, FlannelSubnetManager};
use podnet_model::cni::vpc_cni::{NetworkPolicyMode, PodSgMode};
use podnet_model::cni::CiliumEni;
use podnet_model::cni::Datapath;
use podnet_model::{CniMode, Command, VpcCni};
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

use crate::app::ViewProps;
use crate::state::Action;

/// The CNI panel.
#[component]
pub fn CniSettings(props: &ViewProps) -> Html {
    let cni = props.state.sandbox().cni.clone();
    let refused = super::lock::refusal(&props.state, "set-cni");
    let locked = props.options.lock_cni || refused.is_some();
    let on_strategy = {
        let on_action = props.on_action.clone();
        let vpc = props.state.sandbox().vpc.cidrs.clone();
        Callback::from(move |e: Event| {
            let tag = e.target_unchecked_into::<HtmlSelectElement>().value();
            // A pool that fits the VPC where the default would collide
            // (Cilium's Helm default 10.0.0.0/8 in a 10.x VPC).
            if let Some(mode) = CniMode::from_tag(&tag) {
                on_action.emit(Action::ReplayUnder(mode.fitting(&vpc)));
            }
        })
    };
    let strategy = cni.tag();
    html! {
        <details class="form is-cni" open=true>
            <summary>{ "CNI" }</summary>
            <fieldset disabled={locked}>
                <legend>{ "CNI" }</legend>
                <label>{ "Strategy" }
                    <select onchange={on_strategy}>
                        { for CniMode::all().iter().map(|m| html! {
                            <option value={m.tag()} selected={strategy == m.tag()}>{ m.strategy().label() }</option>
                        }) }
                    </select>
                </label>
                <p class="form__hint">{ "Another strategy replays the whole scenario under it: nodes pick their CNI when they boot." }</p>
                { datapath(&cni.strategy().datapath()) }
                <p class="form__hint">{ "Compare CNIs, under the map, puts this scenario under each side by side." }</p>
                { settings_form(&cni, props) }
            </fieldset>
            if let Some(reason) = refused {
                <p class="form__hint">{ reason }</p>
            } else if locked {
                <p class="form__hint">{ "The CNI is locked in this embedded view." }</p>
            }
        </details>
    }
}

/// A form's draft of the running settings, started over whenever those
/// change (an example or a share link opened, an undo, an apply): a draft
/// kept from other settings would apply them back unseen.
#[hook]
fn use_draft<T: Clone + PartialEq + 'static>(current: &T) -> UseStateHandle<T> {
    let draft = use_state(|| current.clone());
    {
        let draft = draft.clone();
        use_effect_with(current.clone(), move |c| draft.set(c.clone()));
    }
    draft
}

/// AZ → subnet names in it.
fn azs(props: &ViewProps) -> BTreeMap<String, Vec<String>> {
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for s in props.state.sandbox().vpc.subnets.values() {
        out.entry(s.az.clone()).or_default().push(s.name.clone());
    }
    out
}

/// The running CNI's own settings form; a CNI without one says how to
/// set it.
fn settings_form(cni: &CniMode, props: &ViewProps) -> Html {
    let on_action = props.on_action.clone();
    if let Some(c) = cni.as_vpc_cni() {
        html! { <VpcCniForm key="aws-vpc-cni" current={c.clone()} {on_action} azs={azs(props)} /> }
    } else if let Some(f) = cni.as_flannel() {
        html! { <FlannelForm key="flannel" current={f.clone()} {on_action} /> }
    } else if let Some(c) = cni.as_cilium() {
        html! { <CiliumForm key="cilium" current={c.clone()} {on_action} /> }
    } else if let Some(c) = cni.as_calico() {
        html! { <CalicoForm key="calico" current={c.clone()} {on_action} /> }
    } else if let Some(c) = cni.as_cilium_eni() {
        html! { <CiliumEniForm key="cilium-eni" current={c.clone()} {on_action} /> }
    } else {
        html! { <p class="form__hint">{ format!("{} has no settings form here: set it in the scenario's \"cni\" (Export, then Import).", cni.strategy().name()) }</p> }
    }
}

fn datapath(d: &Datapath) -> Html {
    let reach = if d.vpc_routable {
        "yes: other VPC hosts and the EKS control plane (through its X-ENIs) reach pods directly"
    } else {
        "no: the control plane cannot reach pod IPs (webhooks need hostNetwork)"
    };
    html! {
        <dl class="form__datapath">
            <dt>{ "Encapsulation" }</dt><dd>{ format!("{} ({} bytes)", d.encapsulation, d.overhead) }</dd>
            <dt>{ "Pod MTU" }</dt><dd>{ format!("{} on 9001-byte links, {} on 1500", d.mtu(9001), d.mtu(1500)) }</dd>
            <dt>{ "Pod IPs in the VPC" }</dt><dd>{ reach }</dd>
        </dl>
    }
}

#[derive(Properties, PartialEq)]
struct VpcCniFormProps {
    current: VpcCni,
    on_action: Callback<Action>,
    azs: BTreeMap<String, Vec<String>>,
}

#[component]
fn VpcCniForm(props: &VpcCniFormProps) -> Html {
    let draft = use_draft(&props.current);
    let num = |label: &'static str, value: u32, set: fn(&mut VpcCni, u32)| {
        let draft = draft.clone();
        let oninput = Callback::from(move |e: InputEvent| {
            let mut next = (*draft).clone();
            set(
                &mut next,
                e.target_unchecked_into::<HtmlInputElement>()
                    .value()
                    .trim()
                    .parse()
                    .unwrap_or(0),
            );
            draft.set(next);
        });
        html! { <label>{ label }<input type="number" min="0" value={value.to_string()} {oninput} /></label> }
    };
    let check = |label: &'static str, value: bool, set: fn(&mut VpcCni, bool)| {
        let draft = draft.clone();
        let onchange = Callback::from(move |e: Event| {
            let mut next = (*draft).clone();
            set(
                &mut next,
                e.target_unchecked_into::<HtmlInputElement>().checked(),
            );
            draft.set(next);
        });
        html! { <label class="form__check"><input type="checkbox" checked={value} {onchange} />{ label }</label> }
    };
    let sg_mode = {
        let draft = draft.clone();
        Callback::from(move |e: Event| {
            let mut next = (*draft).clone();
            next.pod_sg_enforcing_mode = if e
                .target_unchecked_into::<web_sys::HtmlSelectElement>()
                .value()
                == "standard"
            {
                PodSgMode::Standard
            } else {
                PodSgMode::Strict
            };
            draft.set(next);
        })
    };
    let np_mode = {
        let draft = draft.clone();
        Callback::from(move |e: Event| {
            let mut next = (*draft).clone();
            next.network_policy_enforcing_mode = if e
                .target_unchecked_into::<web_sys::HtmlSelectElement>()
                .value()
                == "strict"
            {
                NetworkPolicyMode::Strict
            } else {
                NetworkPolicyMode::Standard
            };
            draft.set(next);
        })
    };
    let onsubmit = {
        let (draft, on_action) = (draft.clone(), props.on_action.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            on_action.emit(Action::Run(Command::SetCni {
                cni: CniMode::from((*draft).clone()),
            }));
        })
    };
    html! {
        <form {onsubmit}>
            { check("Prefix delegation (ENABLE_PREFIX_DELEGATION)", draft.prefix_delegation, |c, v| c.prefix_delegation = v) }
            { check("Custom networking (AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG)", draft.custom_networking, |c, v| c.custom_networking = v) }
            if draft.custom_networking {
                { for props.azs.iter().map(|(az, subnets)| eni_config_select(az, subnets, &draft)) }
                <p class="form__hint">{ "Pods of nodes created from now on take their addresses from the ENIConfig's subnet; their primary ENI keeps only the node IP." }</p>
            }
            { check("Security groups for pods (ENABLE_POD_ENI)", draft.pod_eni, |c, v| c.pod_eni = v) }
            if draft.pod_eni {
                <p class="form__hint">{ "The VPC Resource Controller attaches a trunk ENI to each Nitro node outside the t family; it takes one ENI slot from ipamd. Pods added \"with their own security groups\" get a branch ENI each, outside the warm pool. The sandbox creates and deletes branch ENIs at once (the controller's cooldown is not modelled)." }</p>
                <label>{ "POD_SECURITY_GROUP_ENFORCING_MODE" }
                    <select onchange={sg_mode}>
                        <option value="strict" selected={draft.pod_sg_enforcing_mode == PodSgMode::Strict}>{ "strict: all of the pod's traffic by its branch ENI, never SNATed by the node" }</option>
                        <option value="standard" selected={draft.pod_sg_enforcing_mode == PodSgMode::Standard}>{ "standard: like other pods (SNAT via eth0), but on its own branch ENI" }</option>
                    </select>
                </label>
            }
            { check("External SNAT (AWS_VPC_K8S_CNI_EXTERNALSNAT)", draft.external_snat, |c, v| c.external_snat = v) }
            if draft.external_snat {
                <p class="form__hint">{ "Pods keep their address when they leave the VPC, by the ENI that holds it: the subnet needs a NAT gateway (\"SNAT is required for nodes that reside in a public subnet\")." }</p>
            }
            { check("Network policy (enableNetworkPolicy: the network policy agent)", draft.enable_network_policy, |c, v| c.enable_network_policy = v) }
            if draft.enable_network_policy {
                <label>{ "NETWORK_POLICY_ENFORCING_MODE" }
                    <select onchange={np_mode}>
                        <option value="standard" selected={draft.network_policy_enforcing_mode == NetworkPolicyMode::Standard}>{ "standard: a new pod is allowed everything until its policies apply" }</option>
                        <option value="strict" selected={draft.network_policy_enforcing_mode == NetworkPolicyMode::Strict}>{ "strict: a new pod is denied until its policies apply; a pod no policy selects stays denied" }</option>
                    </select>
                </label>
            }
            { check("Calico for network policy only (Tigera operator, cni.type AmazonVPC)", draft.calico_policy, |c, v| c.calico_policy = v) }
            if draft.calico_policy {
                <p class="form__hint">{ "Felix enforces NetworkPolicy on the VPC CNI's host veths; the VPC CNI still gives every address. Pods with their own security groups are left to them. Do not turn on the network policy agent as well: the two conflict." }</p>
            }
            { num("WARM_ENI_TARGET", draft.warm_eni_target, |c, v| c.warm_eni_target = v) }
            { num("WARM_IP_TARGET (0 = unset)", draft.warm_ip_target, |c, v| c.warm_ip_target = v) }
            { num("MINIMUM_IP_TARGET (0 = unset)", draft.minimum_ip_target, |c, v| c.minimum_ip_target = v) }
            { num("WARM_PREFIX_TARGET", draft.warm_prefix_target, |c, v| c.warm_prefix_target = v) }
            <p class="form__hint">{ "Max pods of existing nodes stays as it is: the kubelet reads it when a node boots." }</p>
            <button type="submit">{ "Apply CNI settings" }</button>
        </form>
    }
}

/// One ENIConfig (named after its AZ): which subnet pod ENIs use there.
fn eni_config_select(az: &str, subnets: &[String], draft: &UseStateHandle<VpcCni>) -> Html {
    let current = draft.eni_configs.get(az).cloned().unwrap_or_default();
    let onchange = {
        let (draft, az) = (draft.clone(), az.to_owned());
        Callback::from(move |e: Event| {
            let mut next = (*draft).clone();
            let value = e.target_unchecked_into::<HtmlSelectElement>().value();
            if value.is_empty() {
                next.eni_configs.remove(&az);
            } else {
                next.eni_configs.insert(az.clone(), value);
            }
            draft.set(next);
        })
    };
    html! {
        <label>{ format!("ENIConfig for {az}") }
            <select {onchange}>
                <option value="" selected={current.is_empty()}>{ "(none: nodes here will not become Ready)" }</option>
                { for subnets.iter().map(|name| html! { <option value={name.clone()} selected={*name == current}>{ name.clone() }</option> }) }
            </select>
        </label>
    }
}

/// An `oninput` that writes the field's text into the draft with `set`.
fn edit<T: Clone + 'static>(
    draft: &UseStateHandle<T>,
    set: fn(&mut T, String),
) -> Callback<InputEvent> {
    let draft = draft.clone();
    Callback::from(move |e: InputEvent| {
        let mut next = (*draft).clone();
        set(
            &mut next,
            e.target_unchecked_into::<HtmlInputElement>().value(),
        );
        draft.set(next);
    })
}

/// An `onchange` that writes a checkbox into the draft with `set`.
fn toggle<T: Clone + 'static>(draft: &UseStateHandle<T>, set: fn(&mut T, bool)) -> Callback<Event> {
    let draft = draft.clone();
    Callback::from(move |e: Event| {
        let mut next = (*draft).clone();
        set(
            &mut next,
            e.target_unchecked_into::<HtmlInputElement>().checked(),
        );
        draft.set(next);
    })
}

/// An `onchange` that writes the selected option into the draft with `set`.
fn pick<T: Clone + 'static>(draft: &UseStateHandle<T>, set: fn(&mut T, String)) -> Callback<Event> {
    let draft = draft.clone();
    Callback::from(move |e: Event| {
        let mut next = (*draft).clone();
        set(
            &mut next,
            e.target_unchecked_into::<HtmlSelectElement>().value(),
        );
        draft.set(next);
    })
}

/// An `onsubmit` that replays the scenario under the draft settings
/// (an overlay's ranges are handed out as nodes join, so new ones need a replay).
fn replay_on_submit<T: Clone + 'static>(
    draft: &UseStateHandle<T>,
    on_action: &Callback<Action>,
    mode: fn(T) -> CniMode,
) -> Callback<SubmitEvent> {
    let (draft, on_action) = (draft.clone(), on_action.clone());
    Callback::from(move |e: SubmitEvent| {
        e.prevent_default();
        on_action.emit(Action::ReplayUnder(mode((*draft).clone())));
    })
}

#[derive(Properties, PartialEq)]
struct FlannelFormProps {
    current: Flannel,
    on_action: Callback<Action>,
}

#[component]
fn FlannelForm(props: &FlannelFormProps) -> Html {
    let draft = use_draft(&props.current);
    let on_network = edit(&draft, |d: &mut Flannel, v: String| d.network = v);
    let on_len = edit(&draft, |d: &mut Flannel, v: String| {
        d.subnet_len = v.trim().parse().unwrap_or(24)
    });
    let on_backend = pick(&draft, |d: &mut Flannel, v: String| {
        d.backend = if v == "host-gw" {
            FlannelBackend::HostGw
        } else {
            FlannelBackend::Vxlan
        };
    });
    let on_manager = pick(&draft, |d: &mut Flannel, v: String| {
        d.subnet_manager = if v == "etcd" {
            FlannelSubnetManager::Etcd
        } else {
            FlannelSubnetManager::Kube
        };
    });
    let onsubmit = replay_on_submit(&draft, &props.on_action, CniMode::from);
    html! {
        <form {onsubmit}>
            <label>{ "Subnet manager" }
                <select onchange={on_manager}>
                    <option value="kube" selected={draft.subnet_manager == FlannelSubnetManager::Kube}>{ "--kube-subnet-mgr (the stock kube-flannel.yml)" }</option>
                    <option value="etcd" selected={draft.subnet_manager == FlannelSubnetManager::Etcd}>{ "flanneld on its own etcd" }</option>
                </select>
            </label>
            if draft.subnet_manager == FlannelSubnetManager::Kube {
                <p class="form__hint is-warning">{ "On EKS this does not start: --kube-subnet-mgr reads each node's spec.podCIDR, and EKS's kube-controller-manager allocates none (aws/containers-roadmap issue 315). flanneld logs \"pod cidr not assigned\" and the nodes stay NotReady." }</p>
            } else {
                <p class="form__hint">{ "flanneld leases each node a subnet from Network in an etcd you run (never the first subnet), the way Flannel runs on EKS." }</p>
            }
            <label>{ "Network (cluster CIDR)" }<input type="text" value={draft.network.clone()} oninput={on_network} spellcheck="false" /></label>
            <label>{ "Subnet per node (SubnetLen)" }<input type="number" min="16" max="28" value={draft.subnet_len.to_string()} oninput={on_len} /></label>
            <label>{ "Backend" }
                <select onchange={on_backend}>
                    <option value="vxlan" selected={draft.backend == FlannelBackend::Vxlan}>{ "vxlan" }</option>
                    <option value="host-gw" selected={draft.backend == FlannelBackend::HostGw}>{ "host-gw" }</option>
                </select>
            </label>
            <p class="form__hint">{ format!("{} node subnets of {} pod addresses each (.2 to .254 for a /24; the first subnet is never leased)", draft.pod_cidrs(), draft.pod_cidr(0).map_or(0, |c| podnet_model::addr::total_count(c).saturating_sub(3))) }</p>
            <button type="submit">{ "Apply CNI settings" }</button>
        </form>
    }
}

#[derive(Properties, PartialEq)]
struct CiliumFormProps {
    current: Cilium,
    on_action: Callback<Action>,
}

#[component]
fn CiliumForm(props: &CiliumFormProps) -> Html {
    let draft = use_draft(&props.current);
    let on_pool = edit(&draft, |d: &mut Cilium, v: String| d.pool = v);
    let on_mask = edit(&draft, |d: &mut Cilium, v: String| {
        d.mask_size = v.trim().parse().unwrap_or(24)
    });
    let on_routing = pick(&draft, |d: &mut Cilium, v: String| {
        d.routing = match v.as_str() {
            "geneve" => CiliumRouting::Geneve,
            "native" => CiliumRouting::Native,
            _ => CiliumRouting::Vxlan,
        };
    });
    let onsubmit = replay_on_submit(&draft, &props.on_action, CniMode::from);
    html! {
        <form {onsubmit}>
            <label>{ "Cluster pool (clusterPoolIPv4PodCIDRList)" }<input type="text" value={draft.pool.clone()} oninput={on_pool} spellcheck="false" /></label>
            <label>{ "Pod CIDR per node (clusterPoolIPv4MaskSize)" }<input type="number" min="16" max="28" value={draft.mask_size.to_string()} oninput={on_mask} /></label>
            <label>{ "Routing" }
                <select onchange={on_routing}>
                    <option value="vxlan" selected={draft.routing == CiliumRouting::Vxlan}>{ "tunnel: VXLAN" }</option>
                    <option value="geneve" selected={draft.routing == CiliumRouting::Geneve}>{ "tunnel: Geneve" }</option>
                    <option value="native" selected={draft.routing == CiliumRouting::Native}>{ "native routing" }</option>
                </select>
            </label>
            <p class="form__hint">{ "The Helm default pool is 10.0.0.0/8, which collides with a 10.x VPC; each node's range loses 2 addresses to cilium_host and cilium-health." }</p>
            <button type="submit">{ "Apply CNI settings" }</button>
        </form>
    }
}

#[derive(Properties, PartialEq)]
struct CalicoFormProps {
    current: Calico,
    on_action: Callback<Action>,
}

#[component]
fn CalicoForm(props: &CalicoFormProps) -> Html {
    let draft = use_draft(&props.current);
    let on_pool = edit(&draft, |d: &mut Calico, v: String| d.pool = v);
    let on_block = edit(&draft, |d: &mut Calico, v: String| {
        d.block_size = v.trim().parse().unwrap_or(26)
    });
    let on_max = edit(&draft, |d: &mut Calico, v: String| {
        d.max_blocks_per_host = v.trim().parse().unwrap_or(0)
    });
    let on_encap = pick(&draft, |d: &mut Calico, v: String| {
        d.encapsulation = match v.as_str() {
            "ipip" => CalicoEncapsulation::IpIp,
            "vxlan" => CalicoEncapsulation::Vxlan,
            "none" => CalicoEncapsulation::None,
            _ => CalicoEncapsulation::VxlanCrossSubnet,
        };
    });
    let on_strict = toggle(&draft, |d: &mut Calico, v| d.strict_affinity = v);
    let onsubmit = replay_on_submit(&draft, &props.on_action, CniMode::from);
    let e = draft.encapsulation;
    html! {
        <form {onsubmit}>
            <label>{ "IPPool cidr" }<input type="text" value={draft.pool.clone()} oninput={on_pool} spellcheck="false" /></label>
            <label>{ "Block size (blockSize)" }<input type="number" min="20" max="32" value={draft.block_size.to_string()} oninput={on_block} /></label>
            <label>{ "Encapsulation" }
                <select onchange={on_encap}>
                    <option value="vxlan-cross-subnet" selected={e == CalicoEncapsulation::VxlanCrossSubnet}>{ "VXLANCrossSubnet (operator default)" }</option>
                    <option value="vxlan" selected={e == CalicoEncapsulation::Vxlan}>{ "VXLAN" }</option>
                    <option value="ipip" selected={e == CalicoEncapsulation::IpIp}>{ "IPIP (manifest default)" }</option>
                    <option value="none" selected={e == CalicoEncapsulation::None}>{ "none (BGP only)" }</option>
                </select>
            </label>
            <label class="form__check"><input type="checkbox" checked={draft.strict_affinity} onchange={on_strict} />{ "strictAffinity (never borrow from other nodes' blocks)" }</label>
            <label>{ "maxBlocksPerHost (0 = unlimited; needs strictAffinity)" }<input type="number" min="0" value={draft.max_blocks_per_host.to_string()} oninput={on_max} /></label>
            <p class="form__hint">{ format!("{} block(s) of {} addresses, all usable (.0 and .255 too); a node claims one when its blocks are full. Real Calico picks free blocks and blocks to borrow from at random; the sandbox takes the lowest, so replays match.", draft.blocks(), draft.block_addresses()) }</p>
            <button type="submit">{ "Apply CNI settings" }</button>
        </form>
    }
}

#[derive(Properties, PartialEq)]
struct CiliumEniFormProps {
    current: CiliumEni,
    on_action: Callback<Action>,
}

/// Cilium's ENI IPAM: the operator's watermarks apply to running nodes.
#[component]
fn CiliumEniForm(props: &CiliumEniFormProps) -> Html {
    let draft = use_draft(&props.current);
    let number = |label: &'static str, value: u32, set: fn(&mut CiliumEni, String)| {
        html! { <label>{ label }<input type="number" min="0" value={value.to_string()} oninput={edit(&draft, set)} /></label> }
    };
    let on_release = toggle(&draft, |d: &mut CiliumEni, v| d.release_excess_ips = v);
    let on_pd = toggle(&draft, |d: &mut CiliumEni, v| d.prefix_delegation = v);
    let on_first = pick(&draft, |d: &mut CiliumEni, v: String| {
        d.first_interface_index = u32::from(v == "1");
    });
    let onsubmit = {
        let (draft, on_action) = (draft.clone(), props.on_action.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            on_action.emit(Action::Run(Command::SetCni {
                cni: CniMode::from((*draft).clone()),
            }));
        })
    };
    html! {
        <form {onsubmit}>
            { number("pre-allocate (free IPs kept per node)", draft.pre_allocate, |d, v| d.pre_allocate = v.trim().parse().unwrap_or(0)) }
            { number("min-allocate (0 = unset)", draft.min_allocate, |d, v| d.min_allocate = v.trim().parse().unwrap_or(0)) }
            { number("max-allocate (0 = no limit)", draft.max_allocate, |d, v| d.max_allocate = v.trim().parse().unwrap_or(0)) }
            { number("max-above-watermark", draft.max_above_watermark, |d, v| d.max_above_watermark = v.trim().parse().unwrap_or(0)) }
            <label class="form__check"><input type="checkbox" checked={draft.release_excess_ips} onchange={on_release} />{ "Release excess IPs (--aws-release-excess-ips)" }</label>
            { number("excess-ip-release-delay (s)", draft.excess_ip_release_delay_s, |d, v| d.excess_ip_release_delay_s = v.trim().parse().unwrap_or(180)) }
            <label>{ "first-interface-index" }
                <select onchange={on_first}>
                    <option value="0" selected={draft.first_interface_index == 0}>{ "0: eth0 holds pod addresses too (default)" }</option>
                    <option value="1" selected={draft.first_interface_index == 1}>{ "1: eth0 keeps only the node IP" }</option>
                </select>
            </label>
            <label class="form__check"><input type="checkbox" checked={draft.prefix_delegation} onchange={on_pd} />{ "Prefix delegation (--aws-enable-prefix-delegation)" }</label>
            <p class="form__hint">{ "One cilium-operator allocates every node's ENIs and IPs from EC2 and keeps pre-allocate addresses free; without release, IPs are never given back and ENIs stay attached. New ENIs go in the node's subnet (the sandbox has no subnet-ids or subnet-tags). first-interface-index applies to nodes created from now on." }</p>
            <button type="submit">{ "Apply CNI settings" }</button>
        </form>
    }
}
