//! Mounts the podnet app on the page's `<body>`.

fn main() {
    yew::Renderer::<podnet_web::App>::new().render();
}
