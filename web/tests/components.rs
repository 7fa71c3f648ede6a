//! Component tests in headless Chromium (wasm-bindgen-test): mount a
//! component into a fresh element, flush Yew's scheduler, assert on the DOM.
#![cfg(target_arch = "wasm32")]

use std::rc::Rc;

use podnet_model::scenario::builtin;
use podnet_model::{Command, Scenario};
use podnet_web::app::{Page, Shared, ViewProps};
use podnet_web::components::ip_grid::{IpGrid, IpGridProps};
use podnet_web::state::{Action, AppState, Selection};
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use web_sys::{Element, HtmlElement, HtmlInputElement};

wasm_bindgen_test_configure!(run_in_browser);

fn fresh_root() -> Element {
    let document = web_sys::window().unwrap().document().unwrap();
    let root = document.create_element("div").unwrap();
    document.body().unwrap().append_child(&root).unwrap();
    root
}

fn state_of(name: &str) -> AppState {
    AppState::from_scenario(Scenario::from_json(builtin::get(name).unwrap()).unwrap()).unwrap()
}

/// Mounts the page on `state`; returns the root and the actions it dispatched.
async fn mount_page(state: AppState) -> (Element, Rc<std::cell::RefCell<Vec<Action>>>) {
    mount_page_with(state, Default::default()).await
}

/// [`mount_page`] with view options (`?embed=1`, …).
async fn mount_page_with(
    state: AppState,
    options: podnet_web::persist::ViewOptions,
) -> (Element, Rc<std::cell::RefCell<Vec<Action>>>) {
    let root = fresh_root();
    let seen = Rc::new(std::cell::RefCell::new(Vec::new()));
    let on_action = {
        let seen = seen.clone();
        yew::Callback::from(move |a: Action| seen.borrow_mut().push(a))
    };
    let props = ViewProps {
        state: Shared(Rc::new(state)),
        on_action,
        options,
    };
    yew::Renderer::<Page>::with_root_and_props(root.clone(), props).render();
    yew::scheduler::flush().await;
    (root, seen)
}

fn button(root: &Element, text: &str) -> HtmlElement {
    let all = root.query_selector_all("button").unwrap();
    (0..all.length())
        .filter_map(|i| all.item(i))
        .find(|b| b.text_content().unwrap_or_default().trim() == text)
        .unwrap_or_else(|| panic!("no button {text}"))
        .dyn_into()
        .unwrap()
}

#[wasm_bindgen_test]
async fn the_page_draws_the_seed_vpc_with_its_control_plane_and_subnets() {
    let (root, _) = mount_page(state_of("seed")).await;
    let html = root.inner_html();
    assert!(html.contains("EKS control plane · demo"), "control plane");
    assert!(html.contains("10.10.1.0/24"));
    assert!(
        html.contains("of 251 (+5 reserved by AWS)"),
        "subnet meter numbers"
    );
    assert_eq!(root.query_selector_all(".node-card").unwrap().length(), 2);
    assert_eq!(root.query_selector_all(".xeni-chip").unwrap().length(), 2);
    let events = root
        .query_selector("section[aria-label=Events]")
        .unwrap()
        .expect("an Events region");
    assert!(events
        .text_content()
        .unwrap()
        .contains("created EKS cluster demo"));
}

#[wasm_bindgen_test]
async fn add_pods_dispatches_the_command_with_the_count_typed() {
    let (root, seen) = mount_page(state_of("seed")).await;
    let input: HtmlInputElement = root
        .query_selector("aside input[type=number]")
        .unwrap()
        .unwrap()
        .dyn_into()
        .unwrap();
    input.set_value("7");
    input
        .dispatch_event(&web_sys::InputEvent::new("input").unwrap())
        .unwrap();
    yew::scheduler::flush().await;
    button(&root, "Add pods").click();
    yew::scheduler::flush().await;
    let got = seen.borrow();
    assert!(
        matches!(
            got.last(),
            Some(Action::Run(podnet_model::Command::AddPods(
                podnet_model::command::AddPods {
                    count: 7,
                    node: None,
                    ..
                }
            )))
        ),
        "{got:?}"
    );
}

#[wasm_bindgen_test]
async fn a_stuck_pod_shows_the_reason_and_what_would_fix_it() {
    let mut state = state_of("subnet-exhaustion");
    let stuck = state
        .sandbox()
        .pods
        .values()
        .find(|p| p.ip.is_none())
        .unwrap()
        .id;
    state.selection = Some(Selection::Pod(stuck));
    let (root, _) = mount_page(state).await;
    let inspector = root
        .query_selector("section[aria-label=Inspector]")
        .unwrap()
        .unwrap()
        .text_content()
        .unwrap();
    assert!(inspector.contains("ContainerCreating"), "{inspector}");
    assert!(
        inspector.contains("failed to assign an IP address to container"),
        "{inspector}"
    );
    assert!(inspector.contains("What would fix it"), "{inspector}");
    assert!(inspector.contains("has 0 free addresses"), "{inspector}");
}

#[wasm_bindgen_test]
async fn the_ip_grid_marks_reserved_node_and_pod_addresses() {
    let state = state_of("seed");
    let subnet = state.sandbox().subnet("nodes-a").unwrap().id;
    let root = fresh_root();
    let props = IpGridProps {
        state: Shared(Rc::new(state)),
        subnet,
    };
    yew::Renderer::<IpGrid>::with_root_and_props(root.clone(), props).render();
    yew::scheduler::flush().await;
    let cells = root.query_selector(".ip-grid__cells").unwrap().unwrap();
    assert_eq!(cells.children().length(), 256);
    assert_eq!(
        cells.query_selector_all(".is-reserved").unwrap().length(),
        5
    );
    assert_eq!(cells.query_selector_all(".is-node").unwrap().length(), 1);
    assert!(cells.query_selector_all(".is-pod").unwrap().length() >= 3);
    assert_eq!(
        cells.children().item(4).unwrap().text_content().unwrap(),
        "N"
    );
}

#[wasm_bindgen_test]
async fn a_slash_16_subnet_shows_blocks_that_zoom_in() {
    let mut scenario = Scenario::new("big", "10.0.0.0/16");
    scenario.actions.push(podnet_model::Command::AddSubnet(
        podnet_model::command::AddSubnet {
            name: Some("big".into()),
            cidr: "10.0.0.0/16".into(),
            az: "a".into(),
            cni_tag: false,
            route: None,
        },
    ));
    let state = AppState::from_scenario(scenario).unwrap();
    let subnet = state.sandbox().subnet("big").unwrap().id;
    let root = fresh_root();
    yew::Renderer::<IpGrid>::with_root_and_props(
        root.clone(),
        IpGridProps {
            state: Shared(Rc::new(state)),
            subnet,
        },
    )
    .render();
    yew::scheduler::flush().await;
    let blocks = root.query_selector_all(".ip-grid__block").unwrap();
    assert_eq!(blocks.length(), 256);
    blocks
        .item(0)
        .unwrap()
        .dyn_into::<HtmlElement>()
        .unwrap()
        .click();
    yew::scheduler::flush().await;
    assert_eq!(
        root.query_selector(".ip-grid__cells")
            .unwrap()
            .unwrap()
            .children()
            .length(),
        256
    );
}

fn clock(root: &Element) -> String {
    root.query_selector(".timeline__clock")
        .unwrap()
        .unwrap()
        .text_content()
        .unwrap()
}

#[wasm_bindgen_test]
async fn the_app_reducer_runs_undoes_and_redoes_commands() {
    // A fresh start: no autosave, no share link.
    web_sys::window()
        .unwrap()
        .local_storage()
        .unwrap()
        .unwrap()
        .clear()
        .unwrap();
    let root = fresh_root();
    yew::Renderer::<podnet_web::App>::with_root(root.clone()).render();
    yew::scheduler::flush().await;
    assert!(clock(&root).ends_with("step 11 of 11"), "{}", clock(&root));

    button(&root, "Add pods").click();
    yew::scheduler::flush().await;
    assert!(clock(&root).ends_with("step 12 of 12"), "{}", clock(&root));
    assert_eq!(
        root.query_selector_all(".pod-chip.is-running")
            .unwrap()
            .length(),
        // Sixteen of yours and CoreDNS's two replicas.
        18
    );

    button(&root, "Undo").click();
    yew::scheduler::flush().await;
    assert!(clock(&root).ends_with("step 11 of 12"), "{}", clock(&root));
    assert_eq!(
        root.query_selector_all(".pod-chip.is-running")
            .unwrap()
            .length(),
        6 + 2
    );

    button(&root, "Redo").click();
    yew::scheduler::flush().await;
    assert!(clock(&root).ends_with("step 12 of 12"), "{}", clock(&root));
    // The autosave holds the applied scenario.
    let saved = web_sys::window()
        .unwrap()
        .local_storage()
        .unwrap()
        .unwrap()
        .get_item(podnet_web::persist::STORAGE_KEY)
        .unwrap()
        .unwrap();
    // Packed like a share link; the plain JSON of older autosaves still reads.
    assert!(saved.starts_with("s=1."), "{saved}");
    let scenario = podnet_web::persist::read_saved(&saved).unwrap();
    assert_eq!(scenario.actions.len(), 12);
    assert_eq!(
        podnet_web::persist::read_saved(&scenario.to_compact_json()).unwrap(),
        scenario
    );
    // A damaged save is said to be one, not a link cut short when copied.
    let err = podnet_web::persist::read_saved("s=1.!!!").unwrap_err();
    assert_eq!(err, "its packed data in this browser's storage is damaged");
}

/// Types `value` into the field with this id, as a keyboard would.
fn type_into(root: &Element, id: &str, value: &str) {
    let input: HtmlInputElement = root
        .query_selector(&format!("#{id}"))
        .unwrap()
        .unwrap_or_else(|| panic!("no field #{id}"))
        .dyn_into()
        .unwrap();
    input.set_value(value);
    input
        .dispatch_event(&web_sys::InputEvent::new("input").unwrap())
        .unwrap();
}

fn region_text(root: &Element, name: &str) -> String {
    root.query_selector(&format!("section[aria-label='{name}']"))
        .unwrap()
        .unwrap_or_else(|| panic!("no region {name}"))
        .text_content()
        .unwrap()
}

#[wasm_bindgen_test]
async fn tracing_two_pods_lists_the_hops_and_lights_the_first_on_the_map() {
    let state = state_of("seed");
    let running: Vec<String> = state
        .sandbox()
        .pods
        .values()
        .filter(|p| p.ip.is_some() && !p.system)
        .map(|p| p.name.clone())
        .collect();
    let (from, to) = (&running[0], &running[running.len() - 1]);
    let (root, seen) = mount_page(state).await;
    type_into(&root, "trace-from", from);
    yew::scheduler::flush().await;
    // The picker lists the pod by namespace/name, with its IP and node.
    let list = root
        .query_selector("#trace-from-list")
        .unwrap()
        .expect("the From list opens as one types");
    let listed = list.text_content().unwrap();
    assert!(listed.contains(&format!("/{from} pod 10.")), "{listed}");
    // Typed in full, the one match leaves nothing to choose: the list
    // closes rather than cover the button beneath it on a phone.
    type_into(&root, "trace-to", &format!("default/{to}"));
    yew::scheduler::flush().await;
    assert!(
        root.query_selector("#trace-to-list").unwrap().is_none(),
        "the To list is closed on an exact match"
    );
    button(&root, "Trace").click();
    yew::scheduler::flush().await;
    let hops = root
        .query_selector("ol[aria-label=Hops]")
        .unwrap()
        .expect("a hop list");
    assert!(hops.children().length() >= 2, "{}", hops.inner_html());
    let panel = region_text(&root, "Follow the packets");
    assert!(panel.contains("Headers at this hop"), "{panel}");
    assert!(
        matches!(seen.borrow().last(), Some(Action::Mark(Some(_)))),
        "the first hop is marked on the map"
    );
    assert!(button(&root, "◀ Previous hop").has_attribute("disabled"));
    button(&root, "Next hop ▶").click();
    yew::scheduler::flush().await;
    assert!(!button(&root, "◀ Previous hop").has_attribute("disabled"));
}

#[wasm_bindgen_test]
async fn joining_a_node_of_a_private_cluster_shows_nodeadm_failing_to_reach_ec2() {
    let state = state_of("private-endpoint-join");
    let (root, _) = mount_page(state).await;
    button(&root, "Join").click();
    yew::scheduler::flush().await;
    let panel = region_text(&root, "Follow the packets");
    assert!(
        panel.contains("operation error EC2: DescribeInstances"),
        "{panel}"
    );
    assert!(panel.contains("✗ Bootstrap (nodeadm)"), "{panel}");

    button(&root, "Is the pod network flat?").click();
    yew::scheduler::flush().await;
    let panel = region_text(&root, "Follow the packets");
    assert!(
        panel.contains("No two running pods to check yet"),
        "{panel}"
    );
    assert!(panel.contains("webhooks in pods work"), "{panel}");
}

#[wasm_bindgen_test]
async fn the_planner_proposes_subnets_per_az_and_applies_the_plan() {
    let (root, seen) = mount_page(state_of("seed")).await;
    button(&root, "Open the planner").click();
    yew::scheduler::flush().await;
    button(&root, "Plan").click();
    yew::scheduler::flush().await;
    let rows = root
        .query_selector_all(".planner__table tbody tr")
        .unwrap()
        .length();
    assert_eq!(rows, 6, "3 node subnets and 3 cluster subnets");
    let panel = region_text(&root, "Plan the addresses");
    assert!(panel.contains("10.0.0.0/25"), "{panel}");
    button(&root, "Apply to sandbox").click();
    yew::scheduler::flush().await;
    assert!(
        matches!(seen.borrow().last(), Some(Action::Load(s, _)) if s.actions.len() > 6),
        "the plan's scenario is loaded"
    );
    // A second node group is planned with the first.
    button(&root, "Add a node group").click();
    yew::scheduler::flush().await;
    assert!(region_text(&root, "Plan the addresses").contains("Node group 2"));
    button(&root, "Plan").click();
    yew::scheduler::flush().await;
    assert_eq!(
        root.query_selector_all(".planner__groups li")
            .unwrap()
            .length(),
        2
    );
}

#[wasm_bindgen_test]
async fn the_exercise_panel_lists_the_goals_and_asks_for_hints() {
    use yew::Reducible;
    let ex = podnet_model::exercise::Exercise::from_json(
        podnet_model::exercise::builtin_exercises::get("four-cnis").unwrap(),
    )
    .unwrap();
    let state = Rc::new(state_of("seed")).reduce(Action::OpenExercise(Rc::new(ex)));
    let (root, seen) = mount_page((*state).clone()).await;
    let panel = region_text(&root, "Exercise");
    assert!(
        panel.contains("Exercise: One cluster under four CNIs"),
        "{panel}"
    );
    assert!(panel.contains("1 of 4 goals met"), "{panel}");
    assert_eq!(
        root.query_selector_all("ul[aria-label=Goals] li.is-met")
            .unwrap()
            .length(),
        1
    );
    button(&root, "Show a hint (1 of 4)").click();
    yew::scheduler::flush().await;
    assert!(matches!(seen.borrow().last(), Some(Action::Hint)));
}

/// An embedded exercise's toolbox: beside the goals, only the controls of
/// what the exercise uses (private-endpoint-join: endpoints, DNS, cluster
/// access, Add node, time), optional fields behind "More node options".
#[wasm_bindgen_test]
async fn an_embedded_exercise_shows_only_the_controls_it_uses_beside_its_goals() {
    use yew::Reducible;
    let ex = podnet_model::exercise::Exercise::from_json(
        podnet_model::exercise::builtin_exercises::get("private-endpoint-join").unwrap(),
    )
    .unwrap();
    let state = Rc::new(state_of("seed")).reduce(Action::OpenExercise(Rc::new(ex)));
    let options = podnet_web::persist::ViewOptions::from_query("?embed=1");
    let (root, _) = mount_page_with((*state).clone(), options).await;
    let bench = root
        .query_selector("[role=group][aria-label='The exercise and what it lets you change']")
        .unwrap()
        .expect("the workbench");
    let tools = bench
        .query_selector(".controls.is-toolbox")
        .unwrap()
        .expect("the toolbox");
    let text = tools.text_content().unwrap_or_default();
    for there in [
        "Add node",
        "VPC endpoint ec2",
        "Endpoint access",
        "VPC DNS resolution",
        "Set domain name",
        "Node role mapped by",
        "Cluster security group allows TCP 443",
        "Wait 30 s",
        "More node options",
    ] {
        assert!(text.contains(there), "{there} missing: {text}");
    }
    for absent in [
        "Add pods",
        "Add subnet",
        "Set route",
        "Add NAT gateway",
        "Upgrade control plane",
        "Public access CIDRs",
        "Authentication mode",
        "Strategy",
    ] {
        assert!(!text.contains(absent), "{absent} shown: {text}");
    }
    // The optional fields wait, closed; the sentence listing the controls
    // gives way to the controls themselves.
    assert!(tools
        .query_selector("details.form__more[open]")
        .unwrap()
        .is_none());
    assert!(!bench
        .text_content()
        .unwrap_or_default()
        .contains("This exercise lets you use"));
    // Not embedded, the same exercise keeps the whole Build column.
    let (page, _) = mount_page((*state).clone()).await;
    assert!(page.query_selector(".workbench").unwrap().is_none());
    assert!(region_text(&page, "Controls").contains("Add pods"));
}

/// One vocabulary (issue 16): the CNI picker lists `CniMode::all()` by tag
/// and label, so a new CNI appears on the page without editing it; picking
/// one asks to replay the scenario under that CNI.
#[wasm_bindgen_test]
async fn the_cni_picker_lists_every_cni_of_the_model() {
    let (root, seen) = mount_page(state_of("seed")).await;
    let all = root.query_selector_all("select").unwrap();
    let select: web_sys::HtmlSelectElement = (0..all.length())
        .filter_map(|i| all.item(i))
        .find(|s| {
            s.parent_element()
                .and_then(|l| l.text_content())
                .is_some_and(|t| t.starts_with("Strategy"))
        })
        .expect("the Strategy select")
        .dyn_into()
        .unwrap();
    let options = select.query_selector_all("option").unwrap();
    let got: Vec<(String, String)> = (0..options.length())
        .filter_map(|i| options.item(i))
        .filter_map(|o| o.dyn_into::<Element>().ok())
        .map(|o| {
            (
                o.get_attribute("value").unwrap_or_default(),
                o.text_content().unwrap_or_default(),
            )
        })
        .collect();
    use podnet_model::cni::Cni as _;
    let want: Vec<(String, String)> = podnet_model::CniMode::all()
        .iter()
        .map(|m| (m.tag().to_owned(), m.strategy().label().to_owned()))
        .collect();
    assert_eq!(got, want);
    assert_eq!(select.value(), "aws-vpc-cni");
    select.set_value("calico");
    select
        .dispatch_event(&web_sys::Event::new("change").unwrap())
        .unwrap();
    yew::scheduler::flush().await;
    let picked = seen
        .borrow()
        .iter()
        .any(|a| matches!(a, Action::ReplayUnder(m) if m.tag() == "calico"));
    assert!(picked, "picking Calico replays under it");
}

#[wasm_bindgen_test]
async fn the_policy_section_says_who_enforces_and_its_matrix_names_the_rule() {
    let (root, seen) = mount_page(state_of("network-policy")).await;
    let section = root
        .query_selector("section[aria-label='Network policy']")
        .unwrap()
        .unwrap();
    let text = section.text_content().unwrap();
    assert!(
        text.contains("NetworkPolicy is enforced by aws-network-policy-agent"),
        "{text}"
    );
    assert!(
        text.contains("shop/db-from-api: selects pods with app=db in shop; isolates ingress"),
        "{text}"
    );
    // Port 80: web-from-anywhere lets tools/client reach web's http port.
    let cell = section
        .query_selector("td[aria-label^='tools/client → shop/web on 80/TCP']")
        .unwrap()
        .unwrap();
    let label = cell.get_attribute("aria-label").unwrap();
    assert!(label.contains(": allowed."), "{label}");
    assert!(
        label.contains("ingress: allowed by shop/web-from-anywhere rule 1"),
        "{label}"
    );
    // Delete sends the command.
    let delete: web_sys::HtmlElement = section
        .query_selector("button[aria-label='Delete NetworkPolicy shop/api-from-web']")
        .unwrap()
        .unwrap()
        .dyn_into()
        .unwrap();
    delete.click();
    yew::scheduler::flush().await;
    assert!(
        seen.borrow().iter().any(|a| matches!(a, Action::Run(Command::DeleteNetworkPolicy { name, .. }) if name == "api-from-web")),
        "{:?}",
        seen.borrow()
    );
}
