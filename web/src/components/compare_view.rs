//! The same scenario under every CNI, side by side (computed on request:
//! it replays the scenario once per CNI).

use podnet_model::compare::{all_cnis, compare, Comparison};
use podnet_model::CniMode;
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
            let vpc = state.sandbox().vpc.cidrs.clone();
            let modes: Vec<CniMode> = all_cnis().into_iter().map(|m| m.fitting(&vpc)).collect();
            rows.set(Some(compare(&scenario, &modes)));
        })
    };
    html! {
        <div class="compare-view">
            <button type="button" {onclick}>{ "Compare CNIs" }</button>
            if let Some(rows) = &*rows {
                <table class="compare-view__table">
                    <caption>{ "This scenario under each CNI" }</caption>
                    <thead><tr>
                        <th scope="col">{ "CNI" }</th><th scope="col">{ "VPC addresses" }</th><th scope="col">{ "Running" }</th>
                        <th scope="col">{ "Stuck" }</th><th scope="col">{ "Max pods" }</th><th scope="col">{ "Pod MTU" }</th>
                    </tr></thead>
                    <tbody>
                        { for rows.iter().map(|r| html! {
                            <tr title={r.error.clone().or_else(|| r.first_problem.clone()).unwrap_or_default()}>
                                <th scope="row">{ &r.cni }</th>
                                if r.error.is_some() {
                                    <td colspan="5">{ "does not replay (hover for why)" }</td>
                                } else {
                                    <td>{ r.vpc_addresses }</td>
                                    <td>{ r.running }</td>
                                    <td>{ r.pending + r.container_creating }</td>
                                    <td>{ r.max_pods.1 }</td>
                                    <td>{ format!("{} / {}", r.datapath.mtu(9001), r.datapath.mtu(1500)) }</td>
                                }
                            </tr>
                        }) }
                    </tbody>
                </table>
                <p class="form__hint">{ "Flannel is compared as it runs on EKS, with flanneld's own etcd subnet manager: the stock kube-flannel (--kube-subnet-mgr) does not start there, because EKS gives nodes no pod CIDR (pod cidr not assigned)." }</p>
            }
        </div>
    }
}
