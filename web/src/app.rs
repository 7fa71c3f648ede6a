//! The app shell: header, the current tool, and the honest-simplifications note.

use yew::prelude::*;

use crate::components::SubnetCalculator;

/// The whole page.
#[component]
pub fn App() -> Html {
    html! {
        <>
            <header class="app__header">
                <h1 class="app__title">{ "podnet" }</h1>
                <p class="app__tagline">{ "Kubernetes pod networking on AWS, one address at a time" }</p>
            </header>
            <main class="app__main">
                <SubnetCalculator />
            </main>
            <footer class="app__footer">
                <p>{ "Runs entirely in your browser: no requests, no tracking. Rules follow the Amazon VPC User Guide (subnet sizing)." }</p>
            </footer>
        </>
    }
}
