//! Mounts the podnet app on the page's `<body>` (the app then takes the
//! place of the static first paint, see `App`).

fn main() {
    yew::Renderer::<podnet_web::App>::new().render();
}
