//! Roving focus (WAI-ARIA Authoring Practices, "Keyboard Navigation
//! Inside Components"): a group of many buttons is one Tab stop, and the
//! arrow keys, Home and End move between them. Items carry `data-rove`;
//! the first is rendered with `tabindex="0"`, the others `-1`, and the
//! keys move the `0` with the focus.

use wasm_bindgen::JsCast;
use yew::prelude::*;

/// The `tabindex` of item `i` as first rendered.
pub fn tabindex(i: usize) -> &'static str {
    if i == 0 {
        "0"
    } else {
        "-1"
    }
}

/// The group's `onkeydown`.
pub fn keys() -> Callback<KeyboardEvent> {
    Callback::from(|e: KeyboardEvent| {
        #[derive(Clone, Copy)]
        enum To {
            By(isize),
            First,
            Last,
        }
        let to = match e.key().as_str() {
            "ArrowRight" | "ArrowDown" => To::By(1),
            "ArrowLeft" | "ArrowUp" => To::By(-1),
            "Home" => To::First,
            "End" => To::Last,
            _ => return,
        };
        let Some(group) = e
            .current_target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
        else {
            return;
        };
        let Ok(list) = group.query_selector_all("[data-rove]") else {
            return;
        };
        let items: Vec<web_sys::HtmlElement> = (0..list.length())
            .filter_map(|i| list.item(i))
            .filter_map(|n| n.dyn_into().ok())
            .collect();
        let active = gloo::utils::document().active_element();
        let Some(current) = items
            .iter()
            .position(|el| active.as_ref().is_some_and(|a| a == el.unchecked_ref()))
        else {
            return;
        };
        let last = items.len().saturating_sub(1);
        let next = match to {
            To::First => 0,
            To::Last => last,
            To::By(d) => current.saturating_add_signed(d).min(last),
        };
        e.prevent_default();
        for (i, el) in items.iter().enumerate() {
            el.set_tab_index(if i == next { 0 } else { -1 });
        }
        if let Some(el) = items.get(next) {
            let _ = el.focus();
        }
    })
}
