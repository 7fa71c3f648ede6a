//! "Plan the addresses": the planner's inputs, the subnets it proposes
//! with the derivation of each size, a picture of the layout, "Apply to
//! sandbox", the eksctl export; and "will the current cluster still fit?".

use podnet_model::cni::Cni as _;
use std::rc::Rc;

use ipnet::Ipv4Net;
use podnet_model::cni::Knobs;
use podnet_model::plan::{self, Moment, Plan, PlanError, PlanInput, SubnetRole};
use podnet_model::CniMode;
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

use crate::app::ViewProps;
use crate::state::Action;

/// One node group, as typed.
#[derive(Clone, PartialEq)]
struct GroupForm {
    instance_type: String,
    min: String,
    max: String,
    pods: String,
    host: String,
}

impl Default for GroupForm {
    fn default() -> Self {
        Self {
            instance_type: "m5.large".into(),
            min: "3".into(),
            max: "6".into(),
            pods: "20".into(),
            host: "0".into(),
        }
    }
}

/// The form, as typed.
#[derive(Clone, PartialEq)]
struct Form {
    groups: Vec<GroupForm>,
    /// `"node"`: pods per node; `"total"`: pods in total over the minimum nodes.
    pods_per: String,
    azs: String,
    vpc: String,
    /// The CNI's tag ([`CniMode::tags`]).
    cni: String,
    prefix_delegation: bool,
    custom_networking: bool,
    warm_eni: String,
    warm_ip: String,
    min_ip: String,
    surge: String,
}

impl Default for Form {
    fn default() -> Self {
        Self {
            groups: vec![GroupForm::default()],
            pods_per: "node".into(),
            azs: "3".into(),
            vpc: "10.0.0.0/16".into(),
            cni: "aws-vpc-cni".into(),
            prefix_delegation: false,
            custom_networking: false,
            warm_eni: "1".into(),
            warm_ip: "0".into(),
            min_ip: "0".into(),
            surge: plan::DEFAULT_SURGE_PER_AZ.to_string(),
        }
    }
}

fn number(field: &str, text: &str) -> Result<u32, PlanError> {
    text.trim().parse().map_err(|_| PlanError {
        field: field.into(),
        message: format!("{text:?} is not a whole number"),
        fixes: Vec::new(),
    })
}

impl Form {
    fn input(&self) -> Result<PlanInput, PlanError> {
        let mut input = PlanInput::simple("m5.large", 1, 0);
        input.groups = self
            .groups
            .iter()
            .enumerate()
            .map(|(i, g)| {
                let field = |f: &str| format!("Node group {}: {f}", i + 1);
                let min = number(&field("Nodes (minimum)"), &g.min)?;
                let max = number(&field("Nodes (maximum)"), &g.max)?;
                let pods = number(&field("Pods"), &g.pods)?;
                Ok(plan::GroupInput {
                    name: if i == 0 {
                        "workers".into()
                    } else {
                        format!("workers-{}", i + 1)
                    },
                    instance_type: g.instance_type.trim().to_owned(),
                    min_nodes: min,
                    max_nodes: Some(max.max(min)),
                    pods_per_node: if self.pods_per == "total" {
                        pods.div_ceil(min.max(1))
                    } else {
                        pods
                    },
                    host_network_pods: number(&field("hostNetwork pods per node"), &g.host)?,
                })
            })
            .collect::<Result<_, PlanError>>()?;
        input.azs =
            plan::az_names(number("Availability Zones", &self.azs)?).map_err(|e| PlanError {
                field: "Availability Zones".into(),
                ..e
            })?;
        input.vpc_cidr = self.vpc.trim().to_owned();
        input.surge_per_az = number("Surge nodes per AZ", &self.surge)?;
        let base = CniMode::from_tag(&self.cni).unwrap_or_default();
        input.cni = base.strategy().tuned(&Knobs {
            prefix_delegation: self.prefix_delegation,
            custom_networking: self.custom_networking,
            warm_eni_target: Some(number("WARM_ENI_TARGET", &self.warm_eni)?),
            warm_ip_target: Some(number("WARM_IP_TARGET", &self.warm_ip)?),
            minimum_ip_target: Some(number("MINIMUM_IP_TARGET", &self.min_ip)?),
            ..Knobs::default()
        });
        Ok(input)
    }
}

/// The planner's state, kept while it is closed: what the learner typed
/// and the last plan and fit answer.
#[derive(Clone, PartialEq)]
pub struct Hooks {
    form: UseStateHandle<Form>,
    result: UseStateHandle<Option<Result<Rc<Plan>, PlanError>>>,
    fit_nodes: UseStateHandle<String>,
    fit_pods: UseStateHandle<String>,
    fit: UseStateHandle<Option<String>>,
}

/// The panel: its header always, the open planner on demand.
#[component]
pub fn PlannerView(props: &ViewProps) -> Html {
    let open = use_state(|| false);
    let hooks = Hooks {
        form: use_state(Form::default),
        result: use_state(|| None::<Result<Rc<Plan>, PlanError>>),
        fit_nodes: use_state(|| "10".to_owned()),
        fit_pods: use_state(|| "200".to_owned()),
        fit: use_state(|| None::<String>),
    };
    let loaded = crate::lazy::use_planner_loaded(*open);
    let toggle = {
        let open = open.clone();
        Callback::from(move |_: MouseEvent| open.set(!*open))
    };
    let header = html! {
        <div class="planner__head">
            <h2>{ "Plan the addresses" }</h2>
            <button type="button" aria-expanded={if *open { "true" } else { "false" }} onclick={toggle}>
                { if *open { "Close the planner" } else { "Open the planner" } }
            </button>
        </div>
    };
    let body = match (*open, loaded) {
        (false, _) => html! {
            <p class="form__hint">{ "Size node, pod and cluster subnets per Availability Zone for a node group, with the derivation of every number; apply the plan to the sandbox or export it for eksctl." }</p>
        },
        (true, crate::lazy::Loaded::Yes) => crate::lazy::planner(props.clone(), hooks),
        (true, waiting) => waiting.note("the planner"),
    };
    html! {
        <section class="planner" aria-label="Plan the addresses">
            { header }
            { body }
        </section>
    }
}

/// The open planner: its forms, the plan and the fit answer (loaded on
/// demand in the release build: see `crate::lazy`).
pub fn open_body(props: ViewProps, hooks: Hooks) -> Html {
    let props = &props;
    let Hooks {
        form,
        result,
        fit_nodes,
        fit_pods,
        fit,
    } = hooks;
    let set = |f: fn(&mut Form) -> &mut String| {
        let form = form.clone();
        Callback::from(move |e: InputEvent| {
            let target = e.target_unchecked_into::<HtmlInputElement>();
            let mut next = (*form).clone();
            *f(&mut next) = target.value();
            form.set(next);
        })
    };
    let set_group = |i: usize, f: fn(&mut GroupForm) -> &mut String| {
        let form = form.clone();
        Callback::from(move |e: InputEvent| {
            let target = e.target_unchecked_into::<HtmlInputElement>();
            let mut next = (*form).clone();
            if let Some(g) = next.groups.get_mut(i) {
                *f(g) = target.value();
            }
            form.set(next);
        })
    };
    let set_group_type = |i: usize| {
        let form = form.clone();
        Callback::from(move |v: String| {
            let mut next = (*form).clone();
            if let Some(g) = next.groups.get_mut(i) {
                g.instance_type = v;
            }
            form.set(next);
        })
    };
    let pick = |f: fn(&mut Form) -> &mut String| {
        let form = form.clone();
        Callback::from(move |e: Event| {
            let mut next = (*form).clone();
            *f(&mut next) = e.target_unchecked_into::<HtmlSelectElement>().value();
            form.set(next);
        })
    };
    let on_cni = pick(|f| &mut f.cni);
    let on_pods_per = pick(|f| &mut f.pods_per);
    let add_group = {
        let form = form.clone();
        Callback::from(move |_: MouseEvent| {
            let mut next = (*form).clone();
            next.groups.push(GroupForm::default());
            form.set(next);
        })
    };
    let remove_group = |i: usize| {
        let form = form.clone();
        Callback::from(move |_: MouseEvent| {
            let mut next = (*form).clone();
            if next.groups.len() > 1 {
                next.groups.remove(i);
            }
            form.set(next);
        })
    };
    let on_plan = {
        let (form, result) = (form.clone(), result.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let r = form.input().and_then(|i| plan::plan(&i)).map(Rc::new);
            result.set(Some(r));
        })
    };
    let f = &*form;
    let field = |label: &'static str,
                 value: &str,
                 oninput: Callback<InputEvent>,
                 kind: &'static str| {
        html! {
            <label>{ label }<input type={kind} value={value.to_owned()} {oninput} spellcheck="false" autocomplete="off" min="0" /></label>
        }
    };
    let knobs = CniMode::from_tag(&f.cni)
        .unwrap_or_default()
        .strategy()
        .knobs();
    let check = |label: &'static str, value: bool, f: fn(&mut Form) -> &mut bool| {
        let form = form.clone();
        let onchange = Callback::from(move |e: Event| {
            let mut next = (*form).clone();
            *f(&mut next) = e.target_unchecked_into::<HtmlInputElement>().checked();
            form.set(next);
        });
        html! { <label class="form__check"><input type="checkbox" checked={value} {onchange} />{ label }</label> }
    };
    let body = match &*result {
        Some(Ok(p)) => plan_view(p, &props.on_action),
        Some(Err(e)) => {
            // Each way forward changes the form and plans again.
            let apply = |fix: &plan::Fix| {
                let (form, result, fix) = (form.clone(), result.clone(), fix.clone());
                Callback::from(move |_: MouseEvent| {
                    let mut next = (*form).clone();
                    match &fix {
                        plan::Fix::PrefixDelegation { .. } => next.prefix_delegation = true,
                        plan::Fix::InstanceType { group, name, .. } => {
                            if let Some(g) = next.groups.get_mut(*group) {
                                g.instance_type.clone_from(name);
                            }
                        }
                    }
                    result.set(Some(next.input().and_then(|i| plan::plan(&i)).map(Rc::new)));
                    form.set(next);
                })
            };
            html! {
                <div class="planner__refusal" role="alert">
                    <p class="paths__error">{ in_form_words(e) }</p>
                    if !e.fixes.is_empty() {
                        <p>{ "Ways forward:" }</p>
                        <ul class="planner__fixes">
                            { for e.fixes.iter().map(|f| html! {
                                <li><button type="button" onclick={apply(f)}>{ capitalised(&f.to_string()) }</button></li>
                            }) }
                        </ul>
                    }
                </div>
            }
        }
        None => html! {},
    };
    let on_fit = {
        let (fit, n, p, state) = (
            fit.clone(),
            fit_nodes.clone(),
            fit_pods.clone(),
            props.state.clone(),
        );
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let answer = match (n.trim().parse::<u32>(), p.trim().parse::<u32>()) {
                (Ok(n), Ok(p)) => plan::will_it_fit(&state.applied(), n.min(2000), p.min(100_000))
                    .map(|f| f.answer)
                    .unwrap_or_else(|e| e.to_string()),
                _ => "Nodes and pods must be whole numbers.".into(),
            };
            fit.set(Some(answer));
        })
    };
    let bind = |h: &UseStateHandle<String>| {
        let h = h.clone();
        Callback::from(move |e: InputEvent| {
            h.set(e.target_unchecked_into::<HtmlInputElement>().value())
        })
    };
    let on_export_current = {
        let state = props.state.clone();
        Callback::from(move |_: MouseEvent| {
            let s = state.applied();
            if let Ok(yaml) = plan::eksctl_config(&s, &[]) {
                crate::persist::download("cluster.yaml", "application/yaml", &yaml);
            }
        })
    };
    html! {
        <>
            <form class="planner__form" onsubmit={on_plan} aria-label="Planner inputs">
                { for f.groups.iter().enumerate().map(|(i, g)| html! {
                    <fieldset>
                        <legend>{ format!("Node group {}", i + 1) }</legend>
                        <super::combobox::Combobox id={format!("plan-type-{i}")} label="Instance type" value={g.instance_type.clone()} options={super::controls::instance_types()} on_change={set_group_type(i)} />
                        { field("Nodes (minimum)", &g.min, set_group(i, |g| &mut g.min), "number") }
                        { field("Nodes (maximum)", &g.max, set_group(i, |g| &mut g.max), "number") }
                        { field(if f.pods_per == "total" { "Pods in total" } else { "Pods per node" }, &g.pods, set_group(i, |g| &mut g.pods), "number") }
                        { field("hostNetwork pods per node", &g.host, set_group(i, |g| &mut g.host), "number") }
                        if f.groups.len() > 1 {
                            <button type="button" onclick={remove_group(i)}>{ format!("Remove node group {}", i + 1) }</button>
                        }
                    </fieldset>
                }) }
                <div class="planner__group-actions">
                    <button type="button" onclick={add_group}>{ "Add a node group" }</button>
                    <label>{ "Pods are counted" }<select onchange={on_pods_per}>
                        <option value="node" selected={f.pods_per == "node"}>{ "per node" }</option>
                        <option value="total" selected={f.pods_per == "total"}>{ "in total, over the minimum nodes" }</option>
                    </select></label>
                </div>
                <fieldset>
                    <legend>{ "Network" }</legend>
                    { field("VPC CIDR", &f.vpc, set(|f| &mut f.vpc), "text") }
                    { field("Availability Zones", &f.azs, set(|f| &mut f.azs), "number") }
                    <label>{ "CNI" }<select onchange={on_cni}>
                        { for CniMode::all().iter().map(|m| html! { <option value={m.tag()} selected={f.cni == m.tag()}>{ m.strategy().label() }</option> }) }
                    </select></label>
                    if knobs.prefix_delegation {
                        { check("Prefix delegation", f.prefix_delegation, |f| &mut f.prefix_delegation) }
                    }
                    if knobs.custom_networking {
                        { check("Custom networking", f.custom_networking, |f| &mut f.custom_networking) }
                    }
                    if knobs.warm_targets {
                        { field("WARM_ENI_TARGET", &f.warm_eni, set(|f| &mut f.warm_eni), "number") }
                        { field("WARM_IP_TARGET", &f.warm_ip, set(|f| &mut f.warm_ip), "number") }
                        { field("MINIMUM_IP_TARGET", &f.min_ip, set(|f| &mut f.min_ip), "number") }
                    }
                    { field("Surge nodes per AZ", &f.surge, set(|f| &mut f.surge), "number") }
                </fieldset>
                <button type="submit">{ "Plan" }</button>
            </form>
            { body }
            <form class="planner__form planner__fit" onsubmit={on_fit} aria-label="Will it still fit?">
                <h3>{ "Will the current cluster still fit?" }</h3>
                <p class="form__hint">{ "Grows the scenario on the map (copies of its last node, over the subnets its nodes use) until it reaches these numbers or something runs out." }</p>
                <label>{ "Nodes" }<input type="number" min="0" value={(*fit_nodes).clone()} oninput={bind(&fit_nodes)} /></label>
                <label>{ "Pods" }<input type="number" min="0" value={(*fit_pods).clone()} oninput={bind(&fit_pods)} /></label>
                <button type="submit">{ "Will it fit?" }</button>
                <button type="button" onclick={on_export_current}>{ "Export the current scenario for eksctl" }</button>
            </form>
            if let Some(a) = &*fit {
                <p class={classes!("paths__verdict", a.starts_with("No").then_some("is-blocked"))} role="status">{ a.clone() }</p>
            }
        </>
    }
}

/// A planner error with the field as the form names it
/// (`groups[1].pods_per_node` → `Node group 2, pods per node`).
fn in_form_words(e: &PlanError) -> String {
    let field = match e
        .field
        .strip_prefix("groups[")
        .and_then(|r| r.split_once("]."))
    {
        Some((i, f)) => format!(
            "Node group {}, {}",
            i.parse::<usize>().map_or(0, |i| i + 1),
            f.replace('_', " ")
        ),
        None => e.field.replace('_', " "),
    };
    format!("{field}: {}", e.message)
}

fn role_class(role: SubnetRole) -> &'static str {
    match role {
        SubnetRole::Nodes => "is-nodes",
        SubnetRole::Pods => "is-pods",
        SubnetRole::Cluster => "is-cluster",
    }
}

fn plan_view(p: &Rc<Plan>, on_action: &Callback<Action>) -> Html {
    let apply = {
        let (p, on_action) = (p.clone(), on_action.clone());
        Callback::from(move |_: MouseEvent| match p.scenario(Moment::Steady) {
            Ok(s) => on_action.emit(Action::Load(Rc::new(s), "the plan".into())),
            Err(e) => on_action.emit(Action::Notice(e.to_string())),
        })
    };
    let export = {
        let p = p.clone();
        Callback::from(move |_: MouseEvent| {
            if let Ok(yaml) = p
                .scenario(Moment::Steady)
                .map_err(|e| e.to_string())
                .and_then(|s| plan::eksctl_config(&s, &p.input.groups).map_err(|e| e.to_string()))
            {
                crate::persist::download("cluster.yaml", "application/yaml", &yaml);
            }
        })
    };
    html! {
        <div class="planner__result">
            <ul class="planner__groups">
                { for p.input.groups.iter().zip(&p.nodes).map(|(g, n)| html! {
                    <li>
                        <strong>{ format!("{} × {}..{} nodes, {} pods each: ", g.instance_type, g.min_nodes, g.max(), g.pods_per_node) }</strong>
                        { format!("max pods {} ({}); {}.", n.max_pods.value, n.max_pods.formula, n.summary()) }
                    </li>
                }) }
                if let Some(o) = &p.overlay {
                    <li>{ format!("{}: {}", o.quantity, o.formula) }</li>
                }
            </ul>
            { layout_picture(p) }
            <div class="planner__table">
                <table>
                    <caption>{ "Planned subnets (addresses held; peak = maximum nodes + surge, and a control-plane upgrade)" }</caption>
                    <thead><tr>
                        <th scope="col">{ "Subnet" }</th><th scope="col">{ "Role" }</th><th scope="col">{ "AZ" }</th>
                        <th scope="col">{ "Steady" }</th><th scope="col">{ "Peak" }</th><th scope="col">{ "CIDR" }</th><th scope="col">{ "Usable" }</th>
                    </tr></thead>
                    <tbody>
                        { for p.subnets.iter().map(|s| html! {
                            <tr>
                                <th scope="row">
                                    <details>
                                        <summary><span class={classes!("planner__swatch", role_class(s.role))}></span>{ &s.name }</summary>
                                        <p>{ &s.derivation.formula }</p>
                                        <ul>{ for s.derivation.steps.iter().map(|st| html! { <li>{ &st.text }<span class="paths__source">{ format!(" [{}]", st.source) }</span></li> }) }</ul>
                                    </details>
                                </th>
                                <td>{ s.role.to_string() }</td><td>{ &s.az }</td><td>{ s.steady }</td><td>{ s.peak }</td>
                                <td><code>{ s.cidr.to_string() }</code></td><td>{ s.usable }</td>
                            </tr>
                        }) }
                    </tbody>
                </table>
            </div>
            if !p.notes.is_empty() {
                <ul class="planner__notes">{ for p.notes.iter().map(|n| html! { <li>{ n.clone() }</li> }) }</ul>
            }
            <div class="planner__actions">
                <button type="button" class="primary" onclick={apply}>{ "Apply to sandbox" }</button>
                <button type="button" onclick={export}>{ "Export eksctl YAML" }</button>
            </div>
            <details class="paths__text">
                <summary>{ "Text version" }</summary>
                <pre>{ p.to_text() }</pre>
            </details>
        </div>
    }
}

/// Each VPC block as a bar, zoomed to the part the subnets use.
fn layout_picture(p: &Plan) -> Html {
    html! {
        <div class="planner__layout">
            { for p.vpc_blocks.iter().map(|block| {
                let inside: Vec<_> = p.subnets.iter().filter(|s| block.contains(&s.cidr)).collect();
                let start = u32::from(block.network());
                let end = inside.iter().map(|s| u32::from(s.cidr.broadcast())).max().unwrap_or(start);
                // The smallest aligned block from the start that covers them all.
                let span_len = (block.prefix_len()..=32)
                    .rev()
                    .find(|len| Ipv4Net::new(block.network(), *len).is_ok_and(|n| u32::from(n.broadcast()) >= end))
                    .unwrap_or(block.prefix_len());
                let span = Ipv4Net::new(block.network(), span_len).unwrap_or(*block);
                let size = 1u64 << (32 - u32::from(span_len));
                // Percentages with three decimals, in integers: formatting
                // floats would add 11 KB of float-printing code to the .wasm.
                let pct = |part: u64| {
                    let milli = part * 100_000 / size.max(1);
                    format!("{}.{:03}%", milli / 1000, milli % 1000)
                };
                let label = format!(
                    "{block}: {}{}",
                    inside.iter().map(|s| format!("{} {}", s.name, s.cidr)).collect::<Vec<_>>().join(", "),
                    if span != *block { format!("; the rest of {block} stays free") } else { String::new() }
                );
                html! {
                    <figure class="planner__block">
                        <figcaption>
                            <code>{ block.to_string() }</code>
                            if span != *block { { format!(" — showing its first {span}, the rest is free") } }
                        </figcaption>
                        <div class="planner__bar" role="img" aria-label={label}>
                            { for inside.iter().map(|s| {
                                let off = pct(u64::from(u32::from(s.cidr.network()) - start));
                                let width = pct(1u64 << (32 - u32::from(s.cidr.prefix_len())));
                                html! {
                                    <span class={classes!("planner__seg", role_class(s.role))}
                                        style={format!("left:{off};width:{width}")}
                                        title={format!("{} {} ({} usable, {} at peak)", s.name, s.cidr, s.usable, s.peak)}>
                                        <span class="planner__seg-label">{ format!("/{}", s.cidr.prefix_len()) }</span>
                                    </span>
                                }
                            }) }
                        </div>
                    </figure>
                }
            }) }
            <p class="planner__legend">
                <span class={classes!("planner__swatch", "is-nodes")}></span>{ "nodes " }
                <span class={classes!("planner__swatch", "is-pods")}></span>{ "pods (custom networking) " }
                <span class={classes!("planner__swatch", "is-cluster")}></span>{ "cluster (X-ENIs)" }
            </p>
        </div>
    }
}

/// `turn on …` → `Turn on …`.
fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}
