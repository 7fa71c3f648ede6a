//! The VPC's ways out and its name service on the page: the internet
//! gateway, NAT gateways, each subnet's default route, VPC endpoints, the
//! DNS attributes and the DHCP option set (the model's `egress` module has
//! the sources). Each change re-runs every node's way to the API server.

use podnet_model::egress::{AwsService, DnsServers, Route};
use podnet_model::Command;
use web_sys::HtmlInputElement;
use yew::prelude::*;

use super::controls::{bind, bind_select};
use crate::app::ViewProps;
use crate::state::Action;

/// The form section "Network: ways out of the VPC".
#[component]
pub fn Network(props: &ViewProps) -> Html {
    let sb = props.state.sandbox();
    let vpc = &sb.vpc;
    let shows = |action: &str| super::lock::shows(props, action);
    let first = vpc
        .subnets
        .values()
        .next()
        .map(|s| s.name.clone())
        .unwrap_or_default();
    let nat_subnet = use_state(|| first.clone());
    let route_subnet = use_state(|| first.clone());
    let route_to = use_state(|| "nat-gateway".to_owned());
    let run = |c: Command| {
        let on_action = props.on_action.clone();
        Callback::from(move |_| on_action.emit(Action::Run(c.clone())))
    };
    // A choice holds while its subnet exists (another scenario may have loaded).
    let pick = |h: &UseStateHandle<String>| {
        if vpc.subnets.values().any(|s| s.name == **h) {
            (**h).clone()
        } else {
            first.clone()
        }
    };
    let (nat_pick, route_pick) = (pick(&nat_subnet), pick(&route_subnet));
    let on_nat = {
        let (s, on_action) = (nat_pick.clone(), props.on_action.clone());
        Callback::from(move |_| {
            on_action.emit(Action::Run(Command::AddNatGateway { subnet: s.clone() }))
        })
    };
    let on_route = {
        let (s, to, on_action) = (
            route_pick.clone(),
            route_to.clone(),
            props.on_action.clone(),
        );
        Callback::from(move |_| {
            on_action.emit(Action::Run(Command::SetRoute {
                subnet: s.clone(),
                to: (*to).clone(),
                via: None,
            }))
        })
    };
    let endpoints = AwsService::ALL.iter().map(|svc| {
        let on = vpc.endpoints.iter().any(|e| e.service == *svc);
        let service = svc.short().to_owned();
        let on_action = props.on_action.clone();
        let onchange = Callback::from(move |e: Event| {
            let checked = e.target_unchecked_into::<HtmlInputElement>().checked();
            let service = service.clone();
            on_action.emit(Action::Run(if checked {
                Command::AddVpcEndpoint {
                    service,
                    subnets: None,
                }
            } else {
                Command::DeleteVpcEndpoint { service }
            }));
        });
        let kind = if svc.is_gateway() {
            "gateway"
        } else {
            "interface"
        };
        html! {
            <div>
                <label class="form__check" title={svc.needed_by()}>
                    <input type="checkbox" checked={on} {onchange} />{ format!("VPC endpoint {svc}") }
                </label>
                <span class="form__hint">{ format!("{kind}: {}", svc.needed_by()) }</span>
            </div>
        }
    });
    let names: Vec<String> = vpc.subnets.values().map(|s| s.name.clone()).collect();
    let subnet_options = |selected: &str| -> Html {
        names.iter().map(|n| html! { <option value={n.clone()} selected={n == selected}>{ n.clone() }</option> }).collect()
    };
    let routes: Html = vpc
        .subnets
        .values()
        .map(|s| {
            let target = match s.route {
                Route::Local => "local only".to_owned(),
                r => sb.route_text(r),
            };
            html! { <li>{ format!("{}: 0.0.0.0/0 → {target}", s.name) }</li> }
        })
        .collect();
    html! {
        <details class="form" open={super::lock::toolbox(props)}>
            <summary>{ "Network: ways out of the VPC" }</summary>
            if vpc.assume_egress {
                <p class="form__hint is-warning">{ "This scenario was written before podnet modelled route tables: every subnet is assumed to have a way out." }</p>
            }
            <p class="form__hint">{ "A node needs a way to the API server, to EC2 (nodeadm names the node with DescribeInstances) and to ECR (aws-node and kube-proxy images): a NAT gateway, or VPC endpoints in a private cluster." }</p>
            if shows("add-internet-gateway") {
                if vpc.internet_gateway {
                    <p class="form__hint">{ "Internet gateway attached." }</p>
                } else {
                    { super::lock::button(&props.state, "add-internet-gateway", "Attach internet gateway", run(Command::AddInternetGateway)) }
                }
            }
            if shows("add-nat-gateway") {
                <label>{ "NAT gateway subnet" }<select onchange={bind_select(&nat_subnet)}>{ subnet_options(&nat_pick) }</select></label>
                { super::lock::button(&props.state, "add-nat-gateway", "Add NAT gateway", on_nat) }
            }
            if shows("set-route") {
                <ul class="form__list" aria-label="Route tables">{ routes }</ul>
                <label>{ "Route subnet" }<select onchange={bind_select(&route_subnet)}>{ subnet_options(&route_pick) }</select></label>
                { route_target("Route 0.0.0.0/0 to", &route_to, false) }
                { super::lock::button(&props.state, "set-route", "Set route", on_route) }
            }
            if shows("add-vpc-endpoint") || shows("delete-vpc-endpoint") {
                <fieldset class="form__group form__endpoints">
                    <legend>{ "VPC endpoints (interface endpoints take an address in each cluster subnet)" }</legend>
                    { for endpoints }
                </fieldset>
            }
        </details>
    }
}

/// A select of where a subnet's 0.0.0.0/0 goes (`nat-gateway`,
/// `internet-gateway`, `local`), bound to `to`; `kinds` adds what that
/// makes the subnet (private, public).
pub(super) fn route_target(label: &'static str, to: &UseStateHandle<String>, kinds: bool) -> Html {
    let choices = [
        ("nat-gateway", "a NAT gateway", " (private subnet)"),
        (
            "internet-gateway",
            "the internet gateway",
            " (public subnet)",
        ),
        ("local", "nothing (local route only)", ""),
    ];
    html! {
        <label>{ label }
            <select onchange={bind_select(to)}>
                { for choices.iter().map(|(value, text, kind)| html! {
                    <option value={*value} selected={**to == *value}>{ format!("{text}{}", if kinds { *kind } else { "" }) }</option>
                }) }
            </select>
        </label>
    }
}

/// The VPC's DNS attributes and its DHCP option set.
#[component]
pub fn VpcDns(props: &ViewProps) -> Html {
    let sb = props.state.sandbox();
    let vpc = &sb.vpc;
    let domain = use_state(|| vpc.dhcp.domain_name.clone().unwrap_or_default());
    let shows = |action: &str| super::lock::shows(props, action);
    let toggle = |f: fn(bool) -> Command| {
        let on_action = props.on_action.clone();
        Callback::from(move |e: Event| {
            let on = e.target_unchecked_into::<HtmlInputElement>().checked();
            on_action.emit(Action::Run(f(on)));
        })
    };
    let on_support = toggle(|on| Command::SetVpcDns {
        dns_hostnames: None,
        dns_support: Some(on),
    });
    let on_hostnames = toggle(|on| Command::SetVpcDns {
        dns_hostnames: Some(on),
        dns_support: None,
    });
    let on_servers = {
        let (on_action, domain) = (props.on_action.clone(), domain.clone());
        Callback::from(move |e: Event| {
            let v = e
                .target_unchecked_into::<web_sys::HtmlSelectElement>()
                .value();
            let d = domain.trim().to_owned();
            on_action.emit(Action::Run(Command::SetDhcpOptions {
                servers: if v == "custom" {
                    DnsServers::Custom
                } else {
                    DnsServers::AmazonProvided
                },
                domain_name: (!d.is_empty()).then_some(d),
            }));
        })
    };
    let on_domain = {
        let (on_action, servers, domain) =
            (props.on_action.clone(), vpc.dhcp.servers, domain.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let d = domain.trim().to_owned();
            on_action.emit(Action::Run(Command::SetDhcpOptions {
                servers,
                domain_name: (!d.is_empty()).then_some(d),
            }));
        })
    };
    html! {
        if shows("set-vpc-dns") || shows("set-dhcp-options") {
            <fieldset class="form__group">
                <legend>{ "DNS" }</legend>
                if shows("set-vpc-dns") {
                    <label class="form__check"><input type="checkbox" checked={vpc.dns_support} onchange={on_support} />{ "VPC DNS resolution (enableDnsSupport)" }</label>
                    <label class="form__check"><input type="checkbox" checked={vpc.dns_hostnames} onchange={on_hostnames} />{ "VPC DNS hostnames (enableDnsHostnames)" }</label>
                }
                if shows("set-dhcp-options") {
                    <label>{ "DHCP option set: DNS servers" }
                        <select onchange={on_servers}>
                            <option value="amazon-provided" selected={vpc.dhcp.servers == DnsServers::AmazonProvided}>{ "AmazonProvidedDNS" }</option>
                            <option value="custom" selected={vpc.dhcp.servers == DnsServers::Custom}>{ "your own DNS servers" }</option>
                        </select>
                    </label>
                    <form onsubmit={on_domain}>
                        <label>{ "DHCP domain-name (optional)" }<input type="text" value={(*domain).clone()} oninput={bind(&domain)} spellcheck="false" /></label>
                        { super::lock::submit(&props.state, "set-dhcp-options", "Set domain name") }
                    </form>
                }
            </fieldset>
        }
    }
}
