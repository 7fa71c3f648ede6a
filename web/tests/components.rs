//! Component tests in headless Chromium (wasm-bindgen-test): mount a
//! component into a fresh element, flush Yew's scheduler, assert on the DOM.
#![cfg(target_arch = "wasm32")]

use podnet_model::SubnetSummary;
use podnet_web::components::address_strip::AddressStripProps;
use podnet_web::components::subnet_calculator::SubnetCalculatorProps;
use podnet_web::components::{AddressStrip, SubnetCalculator};
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use web_sys::{Element, HtmlInputElement};

wasm_bindgen_test_configure!(run_in_browser);

fn fresh_root() -> Element {
    let document = gloo_document();
    let root = document.create_element("div").unwrap();
    document.body().unwrap().append_child(&root).unwrap();
    root
}

fn gloo_document() -> web_sys::Document {
    web_sys::window().unwrap().document().unwrap()
}

#[wasm_bindgen_test]
async fn calculator_shows_251_usable_for_a_slash_24() {
    let root = fresh_root();
    let props = SubnetCalculatorProps {
        initial: "10.10.1.0/24".into(),
    };
    yew::Renderer::<SubnetCalculator>::with_root_and_props(root.clone(), props).render();
    yew::scheduler::flush().await;
    let html = root.inner_html();
    assert!(html.contains(">251</strong>"), "{html}");
    assert!(html.contains("10.10.1.2"), "{html}");
    assert!(!html.contains("role=\"alert\""));
}

#[wasm_bindgen_test]
async fn calculator_shows_the_model_error_as_you_type() {
    let root = fresh_root();
    let props = SubnetCalculatorProps {
        initial: "10.10.1.0/24".into(),
    };
    yew::Renderer::<SubnetCalculator>::with_root_and_props(root.clone(), props).render();
    yew::scheduler::flush().await;

    let input: HtmlInputElement = root
        .query_selector("input")
        .unwrap()
        .unwrap()
        .dyn_into()
        .unwrap();
    input.set_value("10.10.1.5/24");
    let event = web_sys::InputEvent::new("input").unwrap();
    input.dispatch_event(&event).unwrap();
    yew::scheduler::flush().await;

    let alert = root
        .query_selector("[role=alert]")
        .unwrap()
        .expect("an alert");
    assert_eq!(
        alert.text_content().unwrap(),
        "10.10.1.5/24 is not a network address: host bits are set (the /24 block containing it starts at 10.10.1.0/24)"
    );
    assert_eq!(input.get_attribute("aria-invalid").as_deref(), Some("true"));
}

#[wasm_bindgen_test]
async fn address_strip_marks_exactly_five_reserved_cells_in_a_slash_28() {
    let root = fresh_root();
    let props = AddressStripProps {
        summary: SubnetSummary::parse("10.10.2.0/28").unwrap(),
    };
    yew::Renderer::<AddressStrip>::with_root_and_props(root.clone(), props).render();
    yew::scheduler::flush().await;
    let grid = root
        .query_selector(".address-strip__grid")
        .unwrap()
        .unwrap();
    assert_eq!(grid.children().length(), 16);
    assert_eq!(grid.query_selector_all(".is-reserved").unwrap().length(), 5);
    let dns = grid.children().item(2).unwrap();
    assert_eq!(
        dns.get_attribute("title").as_deref(),
        Some("10.10.2.2: reserved by AWS for the Amazon DNS server")
    );
}
