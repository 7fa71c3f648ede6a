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
                        <th scope="col">{ "CNI" }</th>
                        <th scope="col">{ "Pod addresses" }</th>
                        <th scope="col">{ "Encapsulation" }</th>
                        <th scope="col">{ "Pod MTU (9001 / 1500 links)" }</th>
                        <th scope="col">{ "Control plane reaches pods" }</th>
                        <th scope="col">{ "VPC addresses held" }</th>
                        <th scope="col">{ "Running" }</th>
                        <th scope="col">{ "Stuck" }</th>
                        <th scope="col">{ "Max pods" }</th>
                        <th scope="col">{ "Runs out first" }</th>
                        <th scope="col">{ "NetworkPolicy" }</th>
                    </tr></thead>
                    <tbody>
                        { for rows.iter().map(|r| html! {
                            <tr title={r.error.clone().or_else(|| r.first_problem.clone()).unwrap_or_default()}>
                                <th scope="row">{ &r.cni }</th>
                                if let Some(e) = &r.error {
                                    <td colspan="10">{ format!("does not replay: {e}") }</td>
                                } else {
                                    <td>{ &r.pod_addresses }</td>
                                    <td>{ format!("{} ({} bytes)", r.datapath.encapsulation, r.datapath.overhead) }</td>
                                    <td>{ format!("{} / {}", r.datapath.mtu(9001), r.datapath.mtu(1500)) }</td>
                                    <td>{ if r.datapath.vpc_routable { "yes: pod IPs are VPC addresses" } else { "no: webhooks need hostNetwork" } }</td>
                                    <td>{ r.vpc_addresses }</td>
                                    <td>{ r.running }</td>
                                    <td>{ r.pending + r.container_creating }</td>
                                    <td>{ if r.max_pods.0 == r.max_pods.1 { r.max_pods.0.to_string() } else { format!("{}–{}", r.max_pods.0, r.max_pods.1) } }</td>
                                    <td>{ &r.runs_out_first }</td>
                                    <td>{ &r.policy }</td>
                                }
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
