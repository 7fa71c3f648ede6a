//! Where the scenario lives outside the page: localStorage (autosave), the
//! URL fragment (share links) and the query string (embed options).
//! Everything here is I/O; the reducer never calls it.

use gloo::storage::{LocalStorage, Storage};
use podnet_model::Scenario;

use crate::state::AppState;

/// The localStorage key of the autosaved scenario.
pub const STORAGE_KEY: &str = "podnet.scenario.v1";

/// How the page is shown (from the query string).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ViewOptions {
    /// `?embed=1`: compact, without the app chrome, for an `<iframe>`.
    pub embed: bool,
    /// `&lock-cni=1`: the CNI settings cannot be changed.
    pub lock_cni: bool,
    /// `&readonly=1`: nothing can be changed; time travel still works.
    pub read_only: bool,
}

impl ViewOptions {
    /// Reads the options from a query string like `?embed=1&readonly=1`.
    pub fn from_query(query: &str) -> Self {
        let on = |name: &str| {
            query
                .trim_start_matches('?')
                .split('&')
                .any(|kv| kv == name || kv == format!("{name}=1") || kv == format!("{name}=true"))
        };
        Self {
            embed: on("embed"),
            lock_cni: on("lock-cni"),
            read_only: on("readonly"),
        }
    }
}

fn location() -> Option<web_sys::Location> {
    web_sys::window().map(|w| w.location())
}

/// The view options of this page.
pub fn view_options() -> ViewOptions {
    ViewOptions::from_query(&location().and_then(|l| l.search().ok()).unwrap_or_default())
}

/// The state the page opens on: a share link if the URL has one, else the
/// autosaved scenario, else the built-in starting scenario. A link or save
/// that cannot be read leaves a message and falls back.
pub fn initial_state() -> AppState {
    let saved = LocalStorage::raw().get_item(STORAGE_KEY).ok().flatten();
    let (base, base_problem) =
        match saved.map(|json| Scenario::from_json(&json).and_then(AppState::from_scenario)) {
            Some(Ok(state)) => (state, None),
            Some(Err(err)) => (
                AppState::seeded(),
                Some(format!(
                "Your saved scenario could not be restored ({err}); showing the starting scenario."
            )),
            ),
            None => (AppState::seeded(), None),
        };
    let hash = location().and_then(|l| l.hash().ok()).unwrap_or_default();
    if !hash.starts_with("#s=") {
        return base.with_error(base_problem);
    }
    match Scenario::from_link_fragment(&hash).and_then(AppState::from_scenario) {
        Ok(state) => state.with_notice("Opened the shared scenario."),
        Err(err) => base.with_error(Some(format!("{err}. Your current scenario is kept."))),
    }
}

/// Autosaves the applied scenario.
pub fn save(scenario: &Scenario) {
    // Storage can be full or disabled (private windows): then nothing is saved, silently.
    let _ = LocalStorage::raw().set_item(STORAGE_KEY, &scenario.to_compact_json());
}

/// Puts the scenario in the URL fragment and returns the full link.
pub fn share_link(scenario: &Scenario) -> String {
    let fragment = scenario.to_link_fragment();
    let Some(loc) = location() else {
        return format!("#{fragment}");
    };
    let base = format!(
        "{}{}{}",
        loc.origin().unwrap_or_default(),
        loc.pathname().unwrap_or_default(),
        loc.search().unwrap_or_default()
    );
    let link = format!("{base}#{fragment}");
    if let Some(history) = web_sys::window().and_then(|w| w.history().ok()) {
        let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&link));
    }
    link
}

/// Offers the scenario as a JSON file download (the format `podnet run` reads).
pub fn export(scenario: &Scenario) {
    // Pretty-printed by the browser's JSON, which costs the .wasm nothing.
    let compact = scenario.to_compact_json();
    let json = js_sys::JSON::parse(&compact)
        .ok()
        .and_then(|v| {
            js_sys::JSON::stringify_with_replacer_and_space(
                &v,
                &wasm_bindgen::JsValue::NULL,
                &wasm_bindgen::JsValue::from(2),
            )
            .ok()
        })
        .and_then(|s| s.as_string())
        .unwrap_or(compact);
    download(
        &format!("{}.podnet.json", scenario.name),
        "application/json",
        &json,
    );
}

/// Offers `text` as a file download named `name`.
pub fn download(name: &str, mime: &str, text: &str) {
    use wasm_bindgen::JsCast;
    let parts = js_sys_array(text);
    let bag = web_sys::BlobPropertyBag::new();
    bag.set_type(mime);
    let Ok(blob) = web_sys::Blob::new_with_str_sequence_and_options(&parts, &bag) else {
        return;
    };
    let Ok(url) = web_sys::Url::create_object_url_with_blob(&blob) else {
        return;
    };
    let document = web_sys::window().and_then(|w| w.document());
    if let Some(a) = document
        .and_then(|d| d.create_element("a").ok())
        .and_then(|e| e.dyn_into::<web_sys::HtmlAnchorElement>().ok())
    {
        a.set_href(&url);
        a.set_download(name);
        a.click();
    }
    let _ = web_sys::Url::revoke_object_url(&url);
}

fn js_sys_array(text: &str) -> wasm_bindgen::JsValue {
    let array = js_sys::Array::new();
    array.push(&wasm_bindgen::JsValue::from_str(text));
    array.into()
}
