//! Everything the map shows, as tables: for screen readers, for copying,
//! and for clusters too big to draw.

use podnet_model::Sandbox;
use yew::prelude::*;

/// Rows per table before "and N more".
const MAX_ROWS: usize = 500;

/// Properties of [`TableView`].
#[derive(Properties, PartialEq)]
pub struct TableViewProps {
    /// The state whose sandbox to list.
    pub state: crate::app::Shared,
}

fn more(total: usize) -> Html {
    if total > MAX_ROWS {
        html! { <p class="table-view__more">{ format!("and {} more rows", total - MAX_ROWS) }</p> }
    } else {
        html! {}
    }
}

/// The map as tables.
#[component]
pub fn TableView(props: &TableViewProps) -> Html {
    let sandbox = props.state.sandbox();
    let sb: &Sandbox = &sandbox;
    let subnet_name = |id| {
        sb.vpc
            .subnets
            .get(&id)
            .map_or_else(String::new, |s: &podnet_model::vpc::Subnet| s.name.clone())
    };
    let node_name = |id: Option<podnet_model::NodeId>| {
        id.and_then(|n| sb.nodes.get(&n))
            .map_or_else(|| "—".into(), |n| n.name.clone())
    };
    html! {
        <div class="table-view">
            <table>
                <caption>{ "Subnets" }</caption>
                <thead><tr><th scope="col">{ "Name" }</th><th scope="col">{ "CIDR" }</th><th scope="col">{ "AZ" }</th><th scope="col">{ "Usable" }</th><th scope="col">{ "In use" }</th><th scope="col">{ "Free" }</th></tr></thead>
                <tbody>{ for sb.vpc.subnets.values().map(|s| html! {
                    <tr><th scope="row">{ &s.name }</th><td>{ s.cidr.to_string() }</td><td>{ &s.az }</td><td>{ s.pool.usable() }</td><td>{ s.pool.in_use() }</td><td>{ s.pool.free() }</td></tr>
                }) }</tbody>
            </table>
            if let Some(c) = &sb.cluster {
                <table>
                    <caption>{ format!("Control plane {} (Kubernetes {}, endpoint {}): cross-account ENIs", c.name, c.version, c.endpoint) }</caption>
                    <thead><tr><th scope="col">{ "ENI" }</th><th scope="col">{ "Subnet" }</th><th scope="col">{ "IP" }</th></tr></thead>
                    <tbody>{ for c.xenis.iter().map(|e| html! {
                        <tr><th scope="row">{ e.id.to_string() }</th><td>{ subnet_name(e.subnet) }</td><td>{ e.primary_ip.to_string() }</td></tr>
                    }) }</tbody>
                </table>
            }
            <table>
                <caption>{ "Nodes" }</caption>
                <thead><tr><th scope="col">{ "Name" }</th><th scope="col">{ "Instance type" }</th><th scope="col">{ "Subnet" }</th><th scope="col">{ "IP" }</th><th scope="col">{ "ENIs" }</th><th scope="col">{ "Pods" }</th><th scope="col">{ "Max pods" }</th></tr></thead>
                <tbody>{ for sb.nodes.values().take(MAX_ROWS).map(|n| html! {
                    <tr><th scope="row">{ &n.name }</th><td>{ &n.instance_type }</td><td>{ subnet_name(n.subnet) }</td><td>{ n.ip().map(|i| i.to_string()).unwrap_or_default() }</td><td>{ n.ipam.enis.len() }</td><td>{ n.pods }</td><td>{ n.max_pods() }</td></tr>
                }) }</tbody>
            </table>
            { more(sb.nodes.len()) }
            <table>
                <caption>{ "Pods" }</caption>
                <thead><tr><th scope="col">{ "Name" }</th><th scope="col">{ "Status" }</th><th scope="col">{ "IP" }</th><th scope="col">{ "Node" }</th><th scope="col">{ "Reason" }</th></tr></thead>
                <tbody>{ for sb.pods.values().take(MAX_ROWS).map(|p| html! {
                    <tr><th scope="row">{ &p.name }</th><td>{ p.status.to_string() }</td><td>{ p.ip.map(|i| i.to_string()).unwrap_or_else(|| "—".into()) }</td><td>{ node_name(p.node) }</td><td>{ p.reason.clone().unwrap_or_default() }</td></tr>
                }) }</tbody>
            </table>
            { more(sb.pods.len()) }
        </div>
    }
}
