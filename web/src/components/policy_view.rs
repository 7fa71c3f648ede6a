//! NetworkPolicy on the page: who enforces it, the policies applied (as
//! `kubectl apply -f` takes them, YAML or JSON, from templates or pasted),
//! namespaces and labels, the traps as warnings, and the connectivity
//! matrix for a port, each cell saying which policy and rule decided.

use podnet_model::cni::Cni as _;
use podnet_model::command::LabelTarget;
use podnet_model::netpol::{self, Direction, Protocol};
use podnet_model::query::reach::{self, Reach};
use podnet_model::Command;
use web_sys::HtmlTextAreaElement;
use yew::prelude::*;

use super::controls::{bind, bind_select};
use crate::app::ViewProps;
use crate::state::{Action, Selection};

/// The largest matrix drawn as a table (a party per row and column).
const MAX_MATRIX: usize = 24;

/// Above this many pods the page does not work out the traps on every
/// render (`podnet reach` does, for any size).
const MAX_WARNING_PODS: usize = 2_000;

/// Above this many pods the matrix does not work out every pair on each
/// change: n² pairs (90,000 at 300) stay a few milliseconds in the
/// browser; 2,000 pods would be four million per click.
const MAX_PAIR_PODS: usize = 300;

/// Pods that can take part in a connection: not host-network, with an IP.
fn connectable(sb: &podnet_model::Sandbox) -> usize {
    sb.pods.values().filter(|p| reach::is_party(p)).count()
}

/// Starting points, in `kubectl apply -f` form.
const TEMPLATES: &[(&str, &str)] = &[
    (
        "Default deny ingress (a namespace)",
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: default-deny-ingress\n  namespace: default\nspec:\n  podSelector: {}\n  policyTypes:\n  - Ingress\n",
    ),
    (
        "Default deny egress (a namespace)",
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: default-deny-egress\n  namespace: default\nspec:\n  podSelector: {}\n  policyTypes:\n  - Egress\n",
    ),
    (
        "Allow from the same namespace",
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: allow-same-namespace\n  namespace: default\nspec:\n  podSelector: {}\n  ingress:\n  - from:\n    - podSelector: {}\n",
    ),
    (
        "Allow from another namespace",
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: allow-from-tools\n  namespace: default\nspec:\n  podSelector: {}\n  ingress:\n  - from:\n    - namespaceSelector:\n        matchLabels:\n          kubernetes.io/metadata.name: tools\n",
    ),
    (
        "Allow DNS (egress to CoreDNS)",
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: allow-dns\n  namespace: default\nspec:\n  podSelector: {}\n  policyTypes:\n  - Egress\n  egress:\n  - to:\n    - namespaceSelector:\n        matchLabels:\n          kubernetes.io/metadata.name: kube-system\n      podSelector:\n        matchLabels:\n          k8s-app: kube-dns\n    ports:\n    - port: 53\n      protocol: UDP\n    - port: 53\n      protocol: TCP\n",
    ),
];

/// `app=web, tier=front` as labels, or what is wrong with it.
pub fn parse_labels(text: &str) -> Result<netpol::Labels, String> {
    let mut labels = netpol::Labels::new();
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (k, v) = part
            .split_once('=')
            .ok_or_else(|| format!("labels: \"{part}\" is not key=value"))?;
        labels.insert(k.trim().to_owned(), v.trim().to_owned());
    }
    Ok(labels)
}

/// Which parts of the section a place on the page draws.
#[derive(Clone, Copy, PartialEq)]
pub enum Parts {
    /// Everything: who enforces, the policies, the forms and the matrix.
    Whole,
    /// The policies and the forms that change them (an exercise's toolbox
    /// that has other controls beside).
    Write,
    /// Who enforces and the matrix (below the map, when the forms are in
    /// the toolbox).
    Look,
}

/// The props of [`PolicyView`].
#[derive(Clone, PartialEq, Properties)]
pub struct PolicyProps {
    /// What every component gets.
    pub view: ViewProps,
    /// What is drawn here.
    #[prop_or(Parts::Whole)]
    pub parts: Parts,
}

/// The section "Network policy".
#[component]
pub fn PolicyView(p: &PolicyProps) -> Html {
    let props = &p.view;
    let (write, look) = (p.parts != Parts::Look, p.parts != Parts::Write);
    let sb = props.state.sandbox();
    let port = use_state(|| "80".to_owned());
    let protocol = use_state(|| "TCP".to_owned());
    let read_only = props.options.read_only;
    let toolbox = super::lock::toolbox(props);
    let enforcement = sb.cni.strategy().policy_enforcement();
    let pods = connectable(&sb);
    let warnings = if pods <= MAX_WARNING_PODS {
        reach::warnings(&sb)
    } else {
        vec![format!("{pods} pods: too many to check the traps here on every change; podnet reach lists every pair and its warnings")]
    };
    let status_class = classes!(
        "policy__enforcement",
        (!enforcement.enforced() && !sb.policies.is_empty()).then_some("is-warning")
    );
    html! {
        <section class={classes!("policy", toolbox.then_some("is-toolbox"))} aria-label={if p.parts == Parts::Write { "Change network policy" } else { "Network policy" }}>
            <h2>{ "Network policy" }</h2>
            if look {
                <p class={status_class} role="status">{ format!("NetworkPolicy is {}.", enforcement.describe()) }</p>
                if !warnings.is_empty() {
                    <ul class="policy__warnings" aria-label="Policy warnings">
                        { for warnings.iter().map(|w| html! { <li>{ w.clone() }</li> }) }
                    </ul>
                }
            }
            if write { <PolicyList ..props.clone() /> }
            <div class="policy__body">
                if write && !read_only {
                    <div class="policy__write"><PolicyYaml ..props.clone() /></div>
                }
                <div class="policy__read">
                    if write && !read_only { <ObjectForms ..props.clone() /> }
                    if look {
                        <div class="policy__matrix-form">
                            <label>{ "Port" }<input type="number" min="1" max="65535" value={(*port).clone()} oninput={bind(&port)} /></label>
                            <label>{ "Protocol" }
                                <select onchange={bind_select(&protocol)}>
                                    { for ["TCP", "UDP", "SCTP"].iter().map(|p| html! { <option value={*p} selected={*protocol == *p}>{ *p }</option> }) }
                                </select>
                            </label>
                        </div>
                        <Matrix view={props.clone()} port={port.trim().parse().unwrap_or(80)} protocol={Protocol::from_name(&protocol).unwrap_or_default()} />
                    }
                </div>
            </div>
        </section>
    }
}

/// A policy's YAML, from a template, and Apply.
#[component]
fn PolicyYaml(props: &ViewProps) -> Html {
    let yaml = use_state(|| TEMPLATES[0].1.to_owned());
    let template = use_state(|| 0usize);
    let toolbox = super::lock::toolbox(props);
    let on_template = {
        let (yaml, template) = (yaml.clone(), template.clone());
        Callback::from(move |e: Event| {
            // A template picked (by touch, where no focus may come first):
            // an apply is near.
            crate::lazy::preload_policy_reader();
            let i: usize = e
                .target_unchecked_into::<web_sys::HtmlSelectElement>()
                .value()
                .parse()
                .unwrap_or(usize::MAX);
            if let Some((_, t)) = TEMPLATES.get(i) {
                yaml.set((*t).to_owned());
                template.set(i);
            }
        })
    };
    let on_yaml = {
        let yaml = yaml.clone();
        Callback::from(move |e: InputEvent| {
            yaml.set(e.target_unchecked_into::<HtmlTextAreaElement>().value())
        })
    };
    let on_apply = {
        let (yaml, on_action) = (yaml.clone(), props.on_action.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let on_action = on_action.clone();
            crate::lazy::policy_objects((*yaml).clone(), move |parsed| match parsed {
                Ok(objects) if objects.is_empty() => on_action.emit(Action::LoadFailed(
                    "Policy YAML: no objects to apply".into(),
                )),
                Ok(objects) => {
                    for policy in objects {
                        on_action.emit(Action::Run(Command::ApplyNetworkPolicy { policy }));
                    }
                }
                Err(message) => on_action.emit(Action::LoadFailed(message)),
            });
        })
    };
    html! {
        <form class="policy__form" onsubmit={on_apply} onfocusin={Callback::from(|_: FocusEvent| crate::lazy::preload_policy_reader())}>
            <label>{ "Start from a template" }
                <select onchange={on_template}>
                    { for TEMPLATES.iter().enumerate().map(|(i, (name, _))| html! { <option value={i.to_string()} selected={i == *template}>{ *name }</option> }) }
                </select>
            </label>
            <label>{ "Policy YAML" }
                <textarea rows={if toolbox { "8" } else { "12" }} spellcheck="false" value={(*yaml).clone()} oninput={on_yaml} />
            </label>
            <p class="form__hint">{ "One or several documents, as kubectl apply -f takes them (JSON works too). A policy without a namespace goes to default; applying one of the same name again replaces it." }</p>
            { super::lock::submit(&props.state, "apply-network-policy", "Apply policy") }
        </form>
    }
}

/// The policies applied, each with what it selects and a Delete button.
#[component]
fn PolicyList(props: &ViewProps) -> Html {
    let sb = props.state.sandbox();
    if sb.policies.is_empty() {
        return html! { <p class="form__hint">{ "No NetworkPolicy yet: every pod accepts every connection (the flat network)." }</p> };
    }
    let read_only = props.options.read_only;
    html! {
        <ul class="policy__list" aria-label="Policies">
            { for sb.policies.policies().iter().enumerate().map(|(i, p)| {
                let selected = props.state.selection == Some(Selection::Policy(i));
                let select = props.on_action.reform(move |_: MouseEvent| Action::Select(Some(Selection::Policy(i))));
                let isolates = p.isolates();
                let (ns, name) = (p.namespace.clone(), p.name.clone());
                let delete = props.on_action.reform(move |_: MouseEvent| Action::Run(Command::DeleteNetworkPolicy { namespace: Some(ns.clone()), name: name.clone() }));
                html! {
                    <li>
                        <button type="button" class="policy__name" aria-pressed={selected.to_string()} title="Show it in the inspector and outline the pods it selects" onclick={select}><code>{ format!("{}/{}", p.namespace, p.name) }</code></button>
                        { format!(": selects {} in {}; isolates {isolates}", p.pod_selector.selects(), p.namespace) }
                        if !read_only {
                            <button type="button" class="danger" aria-label={format!("Delete NetworkPolicy {}/{}", p.namespace, p.name)} onclick={delete}>{ "Delete" }</button>
                        }
                    </li>
                }
            }) }
        </ul>
    }
}

/// Add a namespace; relabel a pod or a namespace.
#[component]
fn ObjectForms(props: &ViewProps) -> Html {
    let ns_name = use_state(|| "shop".to_owned());
    let ns_labels = use_state(String::new);
    let kind = use_state(|| "pod".to_owned());
    let target_ns = use_state(|| "default".to_owned());
    let target = use_state(String::new);
    let labels = use_state(|| "app=web".to_owned());
    let on_ns = {
        let (name, l, on_action) = (ns_name.clone(), ns_labels.clone(), props.on_action.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            match parse_labels(&l) {
                Ok(labels) => on_action.emit(Action::Run(Command::AddNamespace {
                    name: name.trim().to_owned(),
                    labels,
                })),
                Err(e) => on_action.emit(Action::LoadFailed(e)),
            }
        })
    };
    let on_labels = {
        let (kind, ns, name, l, on_action) = (
            kind.clone(),
            target_ns.clone(),
            target.clone(),
            labels.clone(),
            props.on_action.clone(),
        );
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let kind = if *kind == "namespace" {
                LabelTarget::Namespace
            } else {
                LabelTarget::Pod
            };
            match parse_labels(&l) {
                Ok(labels) => on_action.emit(Action::Run(Command::SetLabels {
                    kind,
                    namespace: (kind == LabelTarget::Pod).then(|| ns.trim().to_owned()),
                    name: name.trim().to_owned(),
                    labels,
                })),
                Err(e) => on_action.emit(Action::LoadFailed(e)),
            }
        })
    };
    let namespaces: Vec<String> = props.state.sandbox().namespaces.keys().cloned().collect();
    html! {
        <>
            if super::lock::shows(props, "add-namespace") {
                <form class="policy__form is-row" onsubmit={on_ns} aria-label="Add a namespace">
                    <label>{ "Namespace name" }<input type="text" value={(*ns_name).clone()} oninput={bind(&ns_name)} spellcheck="false" /></label>
                    <label>{ "Its labels (key=value, …)" }<input type="text" value={(*ns_labels).clone()} oninput={bind(&ns_labels)} spellcheck="false" /></label>
                    { super::lock::submit(&props.state, "add-namespace", "Add namespace") }
                </form>
            }
            <p class="form__hint">{ format!("Namespaces: {}. Each carries kubernetes.io/metadata.name with its own name.", namespaces.join(", ")) }</p>
            if super::lock::shows(props, "set-labels") {
                <form class="policy__form is-row" onsubmit={on_labels} aria-label="Set labels">
                    <label>{ "Relabel a" }
                        <select onchange={bind_select(&kind)}>
                            <option value="pod" selected={*kind == "pod"}>{ "pod" }</option>
                            <option value="namespace" selected={*kind == "namespace"}>{ "namespace" }</option>
                        </select>
                    </label>
                    if *kind == "pod" {
                        <label>{ "In namespace" }<input type="text" value={(*target_ns).clone()} oninput={bind(&target_ns)} spellcheck="false" /></label>
                    }
                    <label>{ "Named" }<input type="text" value={(*target).clone()} oninput={bind(&target)} spellcheck="false" /></label>
                    <label>{ "New labels" }<input type="text" value={(*labels).clone()} oninput={bind(&labels)} spellcheck="false" /></label>
                    { super::lock::submit(&props.state, "set-labels", "Set labels") }
                </form>
            }
        </>
    }
}

/// The props of [`Matrix`].
#[derive(Properties, PartialEq)]
struct MatrixProps {
    /// What is drawn: re-rendered when the sandbox changes.
    view: ViewProps,
    port: u16,
    protocol: Protocol,
}

/// One row and column per pod, or per group of pods with the same
/// namespace and labels (what selectors see).
#[derive(Clone, Copy, PartialEq)]
enum Rows {
    Pods,
    Groups,
}

/// A cell: its mark, classes and explanation.
#[derive(PartialEq)]
struct Cell {
    mark: &'static str,
    class: &'static str,
    text: String,
}

/// The matrix as drawn: every pair worked out once per sandbox state.
#[derive(PartialEq)]
struct Drawn {
    /// Rows (and columns): pods, or groups.
    size: usize,
    /// Each row's name.
    names: Vec<String>,
    /// Row-major; `None` on the diagonal (a pod to itself, or a group of
    /// one to itself). Empty when the rows are too many to draw.
    cells: Vec<Option<Cell>>,
    /// Pairs allowed, of all.
    allowed: usize,
    total: usize,
    /// How many groups there are (for the picker).
    groups: usize,
}

/// Works out the matrix of `sb` for `port`/`protocol` by `rows`.
fn draw(sb: &podnet_model::Sandbox, port: u16, protocol: Protocol, rows: Rows) -> Drawn {
    let r = Reach::new(sb, port, protocol, &[]);
    let groups = r.groups();
    let pair_text = |i: usize, j: usize, p: &reach::Pair| {
        let name = |k: usize| {
            r.parties
                .get(k)
                .map(|x| x.name.as_str())
                .unwrap_or_default()
        };
        let verdict = if p.allowed { "allowed" } else { "denied" };
        let served = if p.served {
            ""
        } else {
            " (it declares no such port)"
        };
        format!(
            "{} → {} on {port}/{protocol}: {verdict}{served}. {}. {}.",
            name(i),
            name(j),
            r.explain(&p.egress, Direction::Egress),
            r.explain(&p.ingress, Direction::Ingress)
        )
    };
    let n = r.parties.len();
    let mut drawn = Drawn {
        size: 0,
        names: Vec::new(),
        cells: Vec::new(),
        allowed: 0,
        total: n * n.saturating_sub(1),
        groups: groups.len(),
    };
    match rows {
        Rows::Pods => {
            drawn.size = n;
            drawn.names = r.parties.iter().map(|p| p.name.clone()).collect();
            let drawable = n <= MAX_MATRIX;
            for i in 0..n {
                for j in 0..n {
                    if i == j {
                        if drawable {
                            drawn.cells.push(None);
                        }
                        continue;
                    }
                    let p = r.pair(i, j);
                    drawn.allowed += usize::from(p.allowed);
                    if !drawable {
                        continue;
                    }
                    let (mark, class) = match (p.allowed, p.served) {
                        (true, true) => ("✓", "is-allowed"),
                        (true, false) => ("○", "is-allowed is-unserved"),
                        (false, _) => ("✗", "is-denied"),
                    };
                    drawn.cells.push(Some(Cell {
                        mark,
                        class,
                        text: pair_text(i, j, &p),
                    }));
                }
            }
        }
        Rows::Groups => {
            drawn.size = groups.len();
            drawn.names = groups
                .iter()
                .map(|g| format!("{} ({})", g.name, g.members.len()))
                .collect();
            let drawable = groups.len() <= MAX_MATRIX;
            for a in &groups {
                for b in &groups {
                    // The groups split the pods, so each pair is in one cell.
                    let c = r.group_cell(a, b);
                    drawn.allowed += c.allowed;
                    if !drawable {
                        continue;
                    }
                    if c.total == 0 {
                        drawn.cells.push(None);
                        continue;
                    }
                    let mut text = format!(
                        "{} → {} on {port}/{protocol}: {} of {} pairs allowed.",
                        a.name, b.name, c.allowed, c.total
                    );
                    if let Some((x, y)) = c.denied_pair {
                        text.push_str(&format!(
                            " Denied, for one: {}",
                            pair_text(x, y, &r.pair(x, y))
                        ));
                    } else if let Some((x, y)) = c.allowed_pair {
                        text.push_str(&format!(" For one: {}", pair_text(x, y, &r.pair(x, y))));
                    }
                    let (mark, class) = match (c.allowed, c.total) {
                        (0, _) => ("✗", "is-denied"),
                        (a, t) if a == t => ("✓", "is-allowed"),
                        _ => ("◐", "is-mixed"),
                    };
                    drawn.cells.push(Some(Cell { mark, class, text }));
                }
            }
        }
    }
    drawn
}

/// The matrix for a port: a grid with one Tab stop (the arrow keys move
/// between cells, as WAI-ARIA's grid pattern has it), the focused cell's
/// explanation under it; by pod when few, by group of pods with the same
/// namespace and labels when many (a cell counts its pairs: an ipBlock or a
/// named port can tell members apart). Every pair is worked out once per
/// sandbox state, port and choice of rows, not on each render or key.
#[component]
fn Matrix(props: &MatrixProps) -> Html {
    let (port, protocol) = (props.port, props.protocol);
    let n = connectable(&props.view.state.sandbox());
    let choice = use_state(|| None::<Rows>);
    let active = use_state(|| (0usize, 1usize));
    let rows = choice.unwrap_or(if n <= MAX_MATRIX {
        Rows::Pods
    } else {
        Rows::Groups
    });
    let drawn = {
        let state = props.view.state.clone();
        use_memo((state.version, port, protocol, rows), move |_| {
            (2..=MAX_PAIR_PODS)
                .contains(&n)
                .then(|| draw(&state.sandbox(), port, protocol, rows))
        })
    };
    if n < 2 {
        return html! { <p class="form__hint">{ "Fewer than two pods with an IP: nothing to connect yet." }</p> };
    }
    let Some(d) = drawn.as_ref() else {
        return html! { <p class="form__hint" role="status">{ format!("{n} pods: too many to work out every pair here on each change; podnet reach lists every pair with the policy and rule that decided.") }</p> };
    };
    let size = d.size;
    let name = |i: usize| d.names.get(i).cloned().unwrap_or_default();
    let cell = |i: usize, j: usize| d.cells.get(i * size + j).and_then(Option::as_ref);
    let (ai, aj) = (active.0.min(size - 1), active.1.min(size - 1));
    let summary = format!(
        "{} of {} pairs allowed on {port}/{protocol}",
        d.allowed, d.total
    );
    let focus_cell = |i: usize, j: usize| {
        if let Some(el) = gloo::utils::document().get_element_by_id(&format!("matrix-{i}-{j}")) {
            if let Ok(el) = wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>(el) {
                let _ = el.focus();
            }
        }
    };
    let onkeydown = {
        let active = active.clone();
        Callback::from(move |e: KeyboardEvent| {
            let last = size - 1;
            let (i, j) = (ai, aj);
            let next = match e.key().as_str() {
                "ArrowUp" => (i.saturating_sub(1), j),
                "ArrowDown" => ((i + 1).min(last), j),
                "ArrowLeft" => (i, j.saturating_sub(1)),
                "ArrowRight" => (i, (j + 1).min(last)),
                "Home" => (i, 0),
                "End" => (i, last),
                _ => return,
            };
            e.prevent_default();
            active.set(next);
            focus_cell(next.0, next.1);
        })
    };
    let pick = |i: usize, j: usize| {
        let active = active.clone();
        Callback::from(move |_: FocusEvent| active.set((i, j)))
    };
    let on_rows = {
        let choice = choice.clone();
        Callback::from(move |e: Event| {
            let v = e
                .target_unchecked_into::<web_sys::HtmlSelectElement>()
                .value();
            choice.set(Some(if v == "groups" {
                Rows::Groups
            } else {
                Rows::Pods
            }));
        })
    };
    let explained = cell(ai, aj).map(|c| c.text.clone()).unwrap_or_else(|| {
        format!(
            "{} to itself: not listed (a pod cannot block access to itself)",
            name(ai)
        )
    });
    let table = if size > MAX_MATRIX {
        html! { <p class="form__hint" role="status">{ format!("{size} rows: too many to draw here; podnet reach lists every pair with the policy and rule that decided.") }</p> }
    } else {
        html! {
            <>
            <table role="grid" aria-label={format!("Who may connect on {port}/{protocol}")} {onkeydown}>
                <thead>
                    <tr>
                        <th scope="col">{ "from \\ to" }</th>
                        { for (0..size).map(|j| html! { <th scope="col" title={name(j)}>{ j + 1 }</th> }) }
                    </tr>
                </thead>
                <tbody>
                    { for (0..size).map(|i| html! {
                        <tr>
                            <th scope="row">{ format!("{} {}", i + 1, name(i)) }</th>
                            { for (0..size).map(|j| {
                                let tabindex = if (i, j) == (ai, aj) { "0" } else { "-1" };
                                let id = format!("matrix-{i}-{j}");
                                match cell(i, j) {
                                    None => html! { <td {id} {tabindex} class="is-self" role="gridcell" onfocus={pick(i, j)} aria-label={format!("{} to itself: not listed", name(i))}>{ "·" }</td> },
                                    Some(c) => html! { <td {id} {tabindex} role="gridcell" class={c.class} onfocus={pick(i, j)} title={c.text.clone()} aria-label={c.text.clone()}>{ c.mark }</td> },
                                }
                            }) }
                        </tr>
                    }) }
                </tbody>
            </table>
            <p class="policy__cell" aria-live="polite">{ explained }</p>
            </>
        }
    };
    html! {
        <div class="policy__matrix">
            <label>{ "Rows and columns" }
                <select onchange={on_rows}>
                    <option value="pods" selected={rows == Rows::Pods}>{ "each pod" }</option>
                    <option value="groups" selected={rows == Rows::Groups}>{ format!("groups of pods with the same namespace and labels ({})", d.groups) }</option>
                </select>
            </label>
            <p role="status">{ summary }</p>
            { table }
            <p class="form__hint">{ "✓ allowed · ○ allowed, but the destination declares no such port · ◐ some pairs of the groups allowed · ✗ denied. Click a cell, or Tab into the matrix and move with the arrow keys, for the policy and rule that decided." }</p>
        </div>
    }
}
