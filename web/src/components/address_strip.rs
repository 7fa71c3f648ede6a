//! A cell per address of a small subnet, reserved ones marked by colour and
//! a glyph (never colour alone). The full IP grid with holders and zoom for
//! `/16`s comes with the sandbox view; this strip covers `/24` and smaller.

use std::net::Ipv4Addr;

use podnet_model::addr::reserved_role;
use podnet_model::SubnetSummary;
use yew::prelude::*;

/// The largest subnet drawn cell by cell.
pub const MAX_CELLS: u32 = 256;

/// Properties of [`AddressStrip`].
#[derive(Properties, PartialEq)]
pub struct AddressStripProps {
    /// The subnet to draw.
    pub summary: SubnetSummary,
}

/// One cell per address, with a tooltip saying why AWS keeps it.
#[component]
pub fn AddressStrip(props: &AddressStripProps) -> Html {
    let s = &props.summary;
    if s.total > MAX_CELLS {
        return html! {
            <p class="address-strip__note">
                { format!("A /{} has {} addresses: too many to draw one by one here.", s.cidr.prefix_len(), s.total) }
            </p>
        };
    }
    let base = u32::from(s.cidr.network());
    let cells = (0..s.total).map(|offset| {
        let addr = Ipv4Addr::from(base.wrapping_add(offset));
        match reserved_role(s.cidr, addr) {
            Some(role) => html! {
                <span class={classes!("address-strip__cell", "is-reserved")}
                      title={format!("{addr}: {}", role.description())}>{ "R" }</span>
            },
            None => html! {
                <span class="address-strip__cell" title={format!("{addr}: free")}></span>
            },
        }
    });
    html! {
        <figure class="address-strip">
            <div class={classes!("address-strip__grid", (s.total <= 16).then_some("is-small"))} aria-hidden="true">
                { for cells }
            </div>
            <figcaption class="address-strip__legend">
                <span class={classes!("address-strip__cell", "is-reserved")} aria-hidden="true">{ "R" }</span>
                { " reserved by AWS " }
                <span class="address-strip__cell" aria-hidden="true"></span>
                { " free for ENIs" }
            </figcaption>
        </figure>
    }
}
