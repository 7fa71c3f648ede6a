//! Mounts the podnet app on the page's `<body>`, in place of the static
//! first paint that `cargo xtask dist` rendered into `index.html` (same
//! components, first visit), so the page is readable before the wasm runs
//! and becomes interactive without a jump.

fn main() {
    yew::Renderer::<podnet_web::App>::new().render();
    // The first render ran in `render()`: swap out the static copy before
    // the browser paints again.
    if let Some(first_paint) = gloo::utils::document().get_element_by_id("podnet-static") {
        first_paint.remove();
    }
}
