//! Prints the page as a first visit sees it (the built-in starting
//! scenario, no autosave, the introduction open), rendered by the same
//! components the app mounts, so the static first paint cannot drift from
//! what the app draws. `cargo xtask dist` puts it into `dist/index.html`.

use std::rc::Rc;

use podnet_web::app::{Page, Shared, ViewProps};

fn main() {
    let html = futures::executor::block_on(
        yew::ServerRenderer::<Page>::with_props(|| ViewProps {
            state: Shared(Rc::new(podnet_web::state::AppState::seeded())),
            on_action: yew::Callback::noop(),
            options: Default::default(),
        })
        .hydratable(false)
        .render(),
    );
    print!("{html}");
}
