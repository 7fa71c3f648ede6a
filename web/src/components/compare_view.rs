//! The same scenario under every CNI, side by side (computed on request:
//! it replays the scenario once per CNI).

use podnet_model::compare::{all_cnis_fitting, compare, Comparison};
use yew::prelude::*;

use crate::app::Shared;

/// Properties of [`CompareView`].
#[derive(Properties, PartialEq)]
pub struct CompareViewProps {
    /// The state whose scenario to compare.
    pub state: Shared,
}

/// A "Compare CNIs" button and, once pressed, the table.
#[component]
pub fn CompareView(props: &CompareViewProps) -> Html {
    let rows = use_state(|| None::<Vec<Comparison>>);
    let onclick = {
        let (rows, state) = (rows.clone(), props.state.clone());
        Callback::from(move |_: MouseEvent| {
            let scenario = state.applied();
            let modes = all_cnis_fitting(&state.sandbox().vpc.cidrs);
            rows.set(Some(compare(&scenario, &modes)));
        })
    };
    html! {
        <section class="compare-view" aria-label="Compare CNIs">
            <h2>{ "Compare CNIs" }</h2>
            <p class="form__hint">{ "Replays this scenario under each CNI podnet models, each with its defaults (and a pod range that fits this VPC)." }</p>
            <button type="button" {onclick}>{ "Compare CNIs" }</button>
            if let Some(rows) = &*rows {
                <div class="compare-view__scroll" tabindex="0">
                <table class="compare-view__table">
                    <caption>{ "This scenario under each CNI" }</caption>
                    <thead><tr>
                        <th scope="col">{ "" }</th>
                        { for rows.iter().map(|r| html! { <th scope="col">{ &r.cni }</th> }) }
                    </tr></thead>
                    <tbody>
                        { for properties().into_iter().map(|(name, value)| html! {
                            <tr>
                                <th scope="row">{ name }</th>
                                { for rows.iter().map(|r| match &r.error {
                                    Some(e) if name == "Pod addresses" => html! { <td class="is-error" title={e.clone()}>{ format!("does not replay: {e}") }</td> },
                                    Some(_) => html! { <td>{ "—" }</td> },
                                    None => html! { <td>{ value(r) }</td> },
                                }) }
                            </tr>
                        }) }
                    </tbody>
                </table>
                </div>
                <p class="form__hint">{ "Flannel is compared as it runs on EKS, with flanneld's own etcd subnet manager: the stock kube-flannel (--kube-subnet-mgr) does not start there, because EKS gives nodes no pod CIDR (pod cidr not assigned)." }</p>
            }
        </section>
    }
}

/// A property of a CNI's outcome, and how to read it off.
type Property = (&'static str, fn(&Comparison) -> String);

/// The rows of the comparison. One column per CNI, so the CNIs read side
/// by side.
fn properties() -> Vec<Property> {
    vec![
        ("Pod addresses", |r| r.pod_addresses.clone()),
        ("Encapsulation", |r| {
            format!(
                "{} ({} bytes)",
                r.datapath.encapsulation, r.datapath.overhead
            )
        }),
        ("Pod MTU (9001 / 1500 links)", |r| {
            format!("{} / {}", r.datapath.mtu(9001), r.datapath.mtu(1500))
        }),
        ("Control plane reaches pods", |r| {
            if r.datapath.vpc_routable {
                "yes: pod IPs are VPC addresses".into()
            } else {
                "no: webhooks need hostNetwork".into()
            }
        }),
        ("VPC addresses held", |r| r.vpc_addresses.to_string()),
        ("Running", |r| r.running.to_string()),
        ("Stuck", |r| (r.pending + r.container_creating).to_string()),
        ("Max pods", |r| {
            if r.max_pods.0 == r.max_pods.1 {
                r.max_pods.0.to_string()
            } else {
                format!("{}–{}", r.max_pods.0, r.max_pods.1)
            }
        }),
        ("Runs out first", |r| r.runs_out_first.clone()),
        ("NetworkPolicy", |r| r.policy.clone()),
        ("First problem", |r| {
            r.first_problem.clone().unwrap_or_else(|| "none".into())
        }),
    ]
}
