//! Everything the map shows, as tables: for screen readers, for copying,
//! and for clusters too big to draw.

use podnet_model::Sandbox;
use yew::prelude::*;

use crate::app::Shared;

/// Rows per table before "and N more".
const MAX_ROWS: usize = 500;

/// Properties of [`TableView`].
#[derive(Properties, PartialEq)]
pub struct TableViewProps {
    /// The state whose sandbox to list.
    pub state: Shared,
}

/// One table: a caption, column headers, and rows whose first cell heads
/// the row. One code path for every table keeps the download small.
/// `rows` holds at most `MAX_ROWS` rows of `total`.
fn table(caption: String, headers: &[&str], rows: Vec<Vec<String>>, total: usize) -> Html {
    html! {
        <>
            <table>
                <caption>{ caption }</caption>
                <thead><tr>{ for headers.iter().map(|h| html! { <th scope="col">{ *h }</th> }) }</tr></thead>
                <tbody>
                    { for rows.into_iter().map(|row| html! {
                        <tr>{ for row.into_iter().enumerate().map(|(i, cell)| if i == 0 {
                            html! { <th scope="row">{ cell }</th> }
                        } else {
                            html! { <td>{ cell }</td> }
                        }) }</tr>
                    }) }
                </tbody>
            </table>
            if total > MAX_ROWS {
                <p class="table-view__more">{ format!("and {} more rows", total - MAX_ROWS) }</p>
            }
        </>
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
    let subnets = sb
        .vpc
        .subnets
        .values()
        .map(|s| {
            vec![
                s.name.clone(),
                s.cidr.to_string(),
                s.az.clone(),
                s.pool.usable().to_string(),
                s.pool.in_use().to_string(),
                s.pool.free().to_string(),
            ]
        })
        .collect();
    let nodes = sb
        .nodes
        .values()
        .take(MAX_ROWS)
        .map(|n| {
            let ip = n.ip().map(|i| i.to_string()).unwrap_or_default();
            vec![
                n.name.clone(),
                n.instance_type.clone(),
                subnet_name(n.subnet),
                ip,
                n.ipam.enis.len().to_string(),
                n.pods.to_string(),
                n.max_pods().to_string(),
            ]
        })
        .collect();
    let pods = sb
        .pods
        .values()
        .take(MAX_ROWS)
        .map(|p| {
            let ip = p.ip.map(|i| i.to_string()).unwrap_or_else(|| "—".into());
            vec![
                p.name.clone(),
                p.status.to_string(),
                ip,
                node_name(p.node),
                p.reason.clone().unwrap_or_default(),
            ]
        })
        .collect();
    html! {
        <div class="table-view">
            { table("Subnets".into(), &["Name", "CIDR", "AZ", "Usable", "In use", "Free"], subnets, sb.vpc.subnets.len()) }
            if let Some(c) = &sb.cluster {
                { table(
                    format!("Control plane {} (Kubernetes {}, endpoint {}): cross-account ENIs", c.name, c.version, c.endpoint),
                    &["ENI", "Subnet", "IP"],
                    c.xenis.iter().map(|e| vec![e.id.to_string(), subnet_name(e.subnet), e.primary_ip.to_string()]).collect(),
                    c.xenis.len(),
                ) }
            }
            { table("Nodes".into(), &["Name", "Instance type", "Subnet", "IP", "ENIs", "Pods", "Max pods"], nodes, sb.nodes.len()) }
            { table("Pods".into(), &["Name", "Status", "IP", "Node", "Reason"], pods, sb.pods.len()) }
        </div>
    }
}
