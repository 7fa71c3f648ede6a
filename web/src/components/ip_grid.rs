//! One cell per address of a subnet, marked by who holds it — by colour
//! and glyph, never colour alone. Subnets above 256 addresses show /24
//! blocks with their fill level first; a block zooms in.

use podnet_model::ordered::Ordered as _;
use std::collections::BTreeMap;
use std::net::Ipv4Addr;

use podnet_model::ids::SubnetId;
use podnet_model::sandbox::AddressUse;
use podnet_model::Sandbox;
use yew::prelude::*;

use crate::app::Shared;

/// Addresses drawn one by one (a /24).
const CELLS: u32 = 256;
/// Cells per row, for arrow-key navigation.
const COLUMNS: u32 = 32;

/// Properties of [`IpGrid`].
#[derive(Properties, PartialEq)]
pub struct IpGridProps {
    /// The state.
    pub state: Shared,
    /// The subnet to draw.
    pub subnet: SubnetId,
}

/// The address grid of one subnet.
#[component]
pub fn IpGrid(props: &IpGridProps) -> Html {
    let zoom = use_state(|| None::<u32>);
    let active = use_state(|| None::<u32>);
    let sandbox = props.state.sandbox();
    let sb = &*sandbox;
    let Some(s) = sb.vpc.subnets.get(&props.subnet) else {
        return html! {};
    };
    let base = u32::from(s.cidr.network());
    let total = 1u32 << (32 - u32::from(s.cidr.prefix_len()));
    let uses: BTreeMap<u32, AddressUse> = podnet_model::query::address_uses(sb, s.id)
        .into_iter()
        .map(|(ip, u)| (u32::from(ip) - base, u))
        .into_map();
    if total > CELLS && zoom.is_none() {
        return blocks(total, &uses, &zoom);
    }
    let start = zoom.unwrap_or(0);
    let len = total.min(CELLS);
    let moved = props.state.last_moved();
    let describe_at = |off: u32| {
        let ip = Ipv4Addr::from(base + off);
        let text = describe(sb, ip, uses.get(&off));
        match moved.get(&ip) {
            Some(m) => format!("{text} (the last action: {})", m.name()),
            None => text,
        }
    };
    let onkeydown = {
        let active = active.clone();
        Callback::from(move |e: KeyboardEvent| {
            let cur = active.unwrap_or(start);
            let next = match e.key().as_str() {
                "ArrowRight" => cur.saturating_add(1),
                "ArrowLeft" => cur.saturating_sub(1),
                "ArrowDown" => cur.saturating_add(COLUMNS),
                "ArrowUp" => cur.saturating_sub(COLUMNS),
                _ => return,
            };
            e.prevent_default();
            active.set(Some(next.clamp(start, start + len - 1)));
        })
    };
    let cells = (start..start + len).map(|off| {
        let (class, glyph) = cell_look(uses.get(&off));
        let is_active = *active == Some(off);
        let onmouseover = {
            let active = active.clone();
            Callback::from(move |_: MouseEvent| active.set(Some(off)))
        };
        let m = moved
            .get(&Ipv4Addr::from(base + off))
            .map(|m| super::node_card::moved_class(*m));
        html! { <span class={classes!("ip-grid__cell", class, is_active.then_some("is-active"), m)} {onmouseover}>{ glyph }</span> }
    });
    let live = active.map(describe_at).unwrap_or_else(|| {
        "Hover over an address, or focus the grid and use the arrow keys.".into()
    });
    html! {
        <figure class="ip-grid">
            if let Some(z) = *zoom {
                <button type="button" class="ip-grid__back" onclick={let zoom = zoom.clone(); Callback::from(move |_: MouseEvent| zoom.set(None))}>
                    { format!("← all of {} (showing {}/24)", s.cidr, Ipv4Addr::from(base + z)) }
                </button>
            }
            <div class="ip-grid__cells" tabindex="0" role="group" aria-label={format!("Addresses of {} (arrow keys move)", s.cidr)} {onkeydown}>
                { for cells }
            </div>
            <p class="ip-grid__live" aria-live="polite">{ live }</p>
            <figcaption class="ip-grid__legend">{ legend() }</figcaption>
        </figure>
    }
}

fn blocks(
    total: u32,
    uses: &BTreeMap<u32, AddressUse>,
    zoom: &UseStateHandle<Option<u32>>,
) -> Html {
    let mut held = vec![0u32; (total / CELLS) as usize];
    for off in uses.keys() {
        if let Some(h) = held.get_mut((off / CELLS) as usize) {
            *h += 1;
        }
    }
    html! {
        <figure class="ip-grid">
            <div class="ip-grid__blocks" role="group" aria-label="Blocks of 256 addresses: choose one to see its addresses">
                { for held.iter().enumerate().map(|(i, h)| {
                    let start = i as u32 * CELLS;
                    let pct = h * 100 / CELLS;
                    let onclick = { let zoom = zoom.clone(); Callback::from(move |_: MouseEvent| zoom.set(Some(start))) };
                    html! {
                        <button type="button" class="ip-grid__block" {onclick} aria-label={format!("Block {} of {}: {h} of 256 held", i + 1, held.len())}
                                style={format!("--fill: {pct}%")}></button>
                    }
                }) }
            </div>
            <figcaption class="ip-grid__legend">{ "Each square is a /24 (256 addresses); its fill is how many are held. Choose one to zoom in." }</figcaption>
        </figure>
    }
}

fn cell_look(u: Option<&AddressUse>) -> (&'static str, &'static str) {
    match u {
        None => ("is-free", ""),
        Some(AddressUse::Reserved { .. }) => ("is-reserved", "R"),
        Some(AddressUse::NodeIp { .. }) => ("is-node", "N"),
        Some(AddressUse::EniPrimary { .. }) => ("is-eni", "E"),
        Some(AddressUse::XEni { .. }) => ("is-xeni", "X"),
        Some(AddressUse::Trunk { .. }) => ("is-eni", "T"),
        Some(AddressUse::NatGateway { .. }) => ("is-eni is-service", "G"),
        Some(AddressUse::VpcEndpoint { .. }) => ("is-eni is-service", "V"),
        Some(AddressUse::Branch { .. }) => ("is-pod is-branch", "◆"),
        Some(AddressUse::Pod { prefix: false, .. }) => ("is-pod", "●"),
        Some(AddressUse::Pod { prefix: true, .. }) => ("is-pod is-prefix", "●"),
        Some(AddressUse::Warm { cooling: true, .. }) => ("is-cooling", "◔"),
        Some(AddressUse::Warm { prefix: true, .. }) => ("is-warm is-prefix", "○"),
        Some(AddressUse::Warm { .. }) => ("is-warm", "○"),
    }
}

fn legend() -> Html {
    let items = [
        ("is-reserved", "R", "reserved by AWS"),
        ("is-node", "N", "node IP"),
        ("is-eni", "E", "ENI primary IP"),
        ("is-xeni", "X", "X-ENI (control plane)"),
        ("is-eni is-service", "G", "NAT gateway"),
        ("is-eni is-service", "V", "VPC endpoint"),
        ("is-pod", "●", "pod IP"),
        ("is-pod is-branch", "◆", "pod on its own branch ENI"),
        ("is-warm", "○", "warm (held, unused)"),
        ("is-cooling", "◔", "cooling down"),
        ("is-free", "", "free"),
    ];
    html! {
        <ul class="ip-grid__keys">
            { for items.iter().map(|(class, glyph, text)| html! {
                <li><span class={classes!("ip-grid__cell", *class)} aria-hidden="true">{ *glyph }</span>{ *text }</li>
            }) }
            <li><span class="ip-grid__cell is-warm is-prefix" aria-hidden="true">{ "○" }</span>{ "in a /28 prefix (thick edge)" }</li>
            <li><span class="ip-grid__cell is-warm is-moved" aria-hidden="true">{ "○" }</span>{ "moved by the last action (outlined)" }</li>
        </ul>
    }
}

/// Who holds `ip` and why, in words.
pub fn describe(sb: &Sandbox, ip: Ipv4Addr, u: Option<&AddressUse>) -> String {
    let node_of_eni = |eni| {
        sb.nodes
            .values()
            .find(|n| n.ipam.enis.iter().any(|e| e.id == eni))
            .map_or_else(String::new, |n| format!(" of {}", n.name))
    };
    let pod_name = |pod| {
        sb.pods
            .get(&pod)
            .map_or_else(|| pod.to_string(), |p| p.name.clone())
    };
    match u {
        None => format!("{ip}: free"),
        Some(AddressUse::Reserved { role }) => format!("{ip}: {}", role.description()),
        Some(AddressUse::NodeIp { node }) => format!(
            "{ip}: node IP of {} (primary IP of its primary ENI; host-network pods use it too)",
            sb.nodes
                .get(node)
                .map_or_else(|| node.to_string(), |n| n.name.clone())
        ),
        Some(AddressUse::EniPrimary { eni }) => format!(
            "{ip}: primary IP of {eni}{}: never given to pods",
            node_of_eni(*eni)
        ),
        Some(AddressUse::NatGateway { eni }) => format!(
            "{ip}: NAT gateway {eni}: private sources leave the VPC as its Elastic IP"
        ),
        Some(AddressUse::VpcEndpoint { eni, service }) => format!(
            "{ip}: {service} interface endpoint {eni}: {}",
            service.needed_by()
        ),
        Some(AddressUse::XEni { eni }) => {
            format!("{ip}: X-ENI {eni} of the EKS control plane (requester-managed, in your account)")
        }
        Some(AddressUse::Trunk { node, eni }) => format!(
            "{ip}: primary IP of trunk {eni} of {}: carries the branch ENIs of pods with their own security groups",
            sb.nodes
                .get(node)
                .map_or_else(|| node.to_string(), |n| n.name.clone())
        ),
        Some(AddressUse::Branch { pod, eni, vlan }) => format!(
            "{ip}: pod {} on its own branch {eni} (VLAN {vlan} on the trunk): its own security groups, outside the warm pool",
            pod_name(*pod)
        ),
        Some(AddressUse::Pod { pod, eni, prefix }) => format!(
            "{ip}: pod {} ({} on {eni}{})",
            pod_name(*pod),
            if *prefix {
                "in a /28 prefix"
            } else {
                "secondary IP"
            },
            node_of_eni(*eni)
        ),
        Some(AddressUse::Warm {
            eni, cooling: true, ..
        }) => format!(
            "{ip}: cooling down on {eni}{} after its pod left (IP_COOLDOWN_PERIOD)",
            node_of_eni(*eni)
        ),
        Some(AddressUse::Warm { eni, prefix, .. }) => format!(
            "{ip}: warm {} on {eni}{}: held by ipamd for the next pod, taken from the subnet",
            if *prefix {
                "address of a /28 prefix"
            } else {
                "secondary IP"
            },
            node_of_eni(*eni)
        ),
    }
}
