//! Where the scenario lives outside the page: localStorage (autosave), the
//! URL fragment (share links) and the query string (embed options).
//! Everything here is I/O; the reducer never calls it.

use gloo::storage::{LocalStorage, Storage};
use podnet_model::Scenario;

use crate::state::AppState;

/// The value stored under `key` in localStorage: none when there is none,
/// when storage is refused, and off the browser (the page rendered to
/// static HTML at build time, which shows a first visit).
pub fn stored(key: &str) -> Option<String> {
    if cfg!(target_arch = "wasm32") {
        LocalStorage::raw().get_item(key).ok().flatten()
    } else {
        None
    }
}

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

/// The localStorage key of the completed exercises' ids.
pub const PROGRESS_KEY: &str = "podnet.exercises.v1";

/// The value of `name` in the page's query string (`?exercise=ID`).
pub fn query_value(name: &str) -> Option<String> {
    let search = location().and_then(|l| l.search().ok()).unwrap_or_default();
    search
        .trim_start_matches('?')
        .split('&')
        .find_map(|kv| kv.strip_prefix(name)?.strip_prefix('='))
        .map(|v| {
            js_sys::decode_uri_component(v)
                .ok()
                .and_then(|s| s.as_string())
                .unwrap_or_else(|| v.to_owned())
        })
}

/// The localStorage key of the built-in exercise in progress (its id).
pub const OPEN_EXERCISE_KEY: &str = "podnet.exercise.open.v1";

/// Remembers the open exercise (or none) and which of its goals are met,
/// so a reload resumes it on the autosaved scenario, `once` goals included.
/// The exercise itself is kept, so a trainer's file resumes too.
pub fn save_open_exercise(run: Option<&crate::state::ExerciseRun>) {
    let storage = LocalStorage::raw();
    let saved = run.and_then(|r| {
        let met: Vec<bool> = r.goals.iter().map(|g| g.met).collect();
        serde_json::to_string(&serde_json::json!({ "exercise": &*r.exercise, "met": met })).ok()
    });
    let _ = match saved {
        Some(json) => storage.set_item(OPEN_EXERCISE_KEY, &json),
        None => storage.remove_item(OPEN_EXERCISE_KEY),
    };
}

/// The exercise saved by [`save_open_exercise`] and its goals' met flags.
fn open_exercise() -> Option<(podnet_model::exercise::Exercise, Vec<bool>)> {
    let json = LocalStorage::raw()
        .get_item(OPEN_EXERCISE_KEY)
        .ok()
        .flatten()?;
    let value: serde_json::Value = serde_json::from_str(&json).ok()?;
    let exercise =
        podnet_model::exercise::Exercise::from_json(&value.get("exercise")?.to_string()).ok()?;
    let met = value
        .get("met")?
        .as_array()?
        .iter()
        .map(|m| m.as_bool().unwrap_or(false))
        .collect();
    Some((exercise, met))
}

/// Drops `name=…` from the page's URL (without reloading): once an
/// exercise named in the URL is open, a reload resumes it from the
/// autosave instead of starting it over.
pub fn forget_query(name: &str) {
    let Some(loc) = location() else {
        return;
    };
    let search = loc.search().unwrap_or_default();
    let kept: Vec<&str> = search
        .trim_start_matches('?')
        .split('&')
        .filter(|kv| !kv.is_empty() && *kv != name && !kv.starts_with(&format!("{name}=")))
        .collect();
    let query = if kept.is_empty() {
        String::new()
    } else {
        format!("?{}", kept.join("&"))
    };
    let url = format!(
        "{}{query}{}",
        loc.pathname().unwrap_or_default(),
        loc.hash().unwrap_or_default()
    );
    if let Some(history) = web_sys::window().and_then(|w| w.history().ok()) {
        let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&url));
    }
}

/// The ids of the exercises completed in this browser.
fn progress() -> Vec<String> {
    LocalStorage::raw()
        .get_item(PROGRESS_KEY)
        .ok()
        .flatten()
        .and_then(|json| serde_json::from_str(&json).ok())
        .unwrap_or_default()
}

/// Keeps the completed exercises' ids.
pub fn save_progress(ids: &[String]) {
    if let Ok(json) = serde_json::to_string(ids) {
        let _ = LocalStorage::raw().set_item(PROGRESS_KEY, &json);
    }
}

/// In embed mode, tells the course page around the `<iframe>` how the
/// exercise stands: `{type: "podnet:exercise", id, status, goals: [{text, met}]}`.
pub fn post_exercise(run: &crate::state::ExerciseRun) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let Ok(Some(parent)) = window.parent() else {
        return;
    };
    let goals: Vec<serde_json::Value> = run
        .goals
        .iter()
        .map(|g| serde_json::json!({"text": g.text, "met": g.met}))
        .collect();
    let message = serde_json::json!({
        "type": "podnet:exercise",
        "id": run.exercise.id,
        "status": if run.completed { "completed" } else { "started" },
        "goals": goals,
    });
    if let Ok(value) = js_sys::JSON::parse(&message.to_string()) {
        // Any origin: the page does not know its host's, and the message holds no secret.
        let _ = parent.post_message(&value, "*");
    }
}

/// The state the page opens on: `?exercise=ID` opens a built-in exercise;
/// else a share link if the URL has one, else the autosaved scenario, else
/// the built-in starting scenario. A link or save that cannot be read
/// leaves a message and falls back.
pub fn initial_state() -> AppState {
    let mut state = scenario_state();
    state.progress = std::rc::Rc::new(progress());
    let Some(id) = query_value("exercise") else {
        // A reload in the middle of a built-in exercise resumes it on the
        // autosaved scenario (unless a share link replaced that).
        let resumable = state.error.is_none() && state.notice.is_none();
        return match open_exercise() {
            // A big autosave is replayed once the page is up: the
            // exercise resumes on it then, not on the starting scenario
            // shown meanwhile.
            Some((ex, met)) if resumable && has_pending() => {
                resume_on_pending(std::rc::Rc::new(ex), met);
                state
            }
            Some((ex, met)) if resumable => state.resume_exercise(std::rc::Rc::new(ex), &met),
            _ => state,
        };
    };
    use yew::Reducible;
    forget_query("exercise");
    let state = std::rc::Rc::new(state);
    let opened = match podnet_model::exercise::builtin_exercises::get(&id)
        .map(podnet_model::exercise::Exercise::from_json)
    {
        Some(Ok(ex)) => state.reduce(crate::state::Action::OpenExercise(std::rc::Rc::new(ex))),
        Some(Err(err)) => state.reduce(crate::state::Action::LoadFailed(format!(
            "The exercise {id} is invalid: {err}"
        ))),
        None => state.reduce(crate::state::Action::LoadFailed(format!(
            "There is no built-in exercise {id:?}. The built-in ones are: {}.",
            podnet_model::exercise::builtin_exercises::titles()
                .map(|(id, _)| id)
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    };
    (*opened).clone()
}

fn scenario_state() -> AppState {
    let saved = LocalStorage::raw().get_item(STORAGE_KEY).ok().flatten();
    let saved = saved.map(|text| read_saved(&text));
    let saved = match saved {
        Some(Ok(s))
            if crate::state::replays_in_chunks(&s.actions)
                && location()
                    .and_then(|l| l.hash().ok())
                    .is_none_or(|h| h.is_empty()) =>
        {
            set_pending(s, PendingFrom::Autosave, None);
            None
        }
        other => other,
    };
    let (base, base_problem) = match saved
        .map(|s| s.and_then(|s| AppState::from_scenario(s).map_err(|e| e.to_string())))
    {
        Some(Ok(state)) => (state, None),
        Some(Err(err)) => (
            AppState::seeded(),
            Some(format!(
                "Your saved scenario could not be restored ({err}); showing the starting scenario."
            )),
        ),
        None => (AppState::seeded(), None),
    };
    let Some(hash) = take_shared_fragment() else {
        return base.with_error(base_problem);
    };
    let link = Scenario::from_link_fragment(&hash);
    // A big scenario is replayed a chunk at a time once the page is up.
    if let Ok(s) = &link {
        if crate::state::replays_in_chunks(&s.actions) {
            set_pending(s.clone(), PendingFrom::Link, Some(OPENED.to_owned()));
            return base.with_error(base_problem);
        }
    }
    match link.and_then(AppState::from_scenario) {
        Ok(state) => state.with_notice(OPENED),
        Err(err) => base.with_error(Some(format!("{err}. Your current scenario is kept."))),
    }
}

thread_local! {
    /// A big scenario found on opening (a link or the autosave), left for
    /// the page to replay a chunk at a time once it is up.
    static PENDING: std::cell::RefCell<Option<Pending>> = const { std::cell::RefCell::new(None) };
}

/// Where a pending scenario came from.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum PendingFrom {
    /// This browser's autosave.
    Autosave,
    /// A share link.
    Link,
}

impl PendingFrom {
    /// How messages name it.
    pub fn what(self) -> &'static str {
        match self {
            Self::Autosave => "your saved scenario",
            Self::Link => "the shared scenario",
        }
    }
}

/// A big scenario to replay once the page is up: it, where it came from
/// (named in a refusal and the progress line), and what to say once loaded.
pub struct Pending {
    /// The scenario.
    pub scenario: Scenario,
    /// Where it came from.
    pub from: PendingFrom,
    /// Said once loaded.
    pub notice: Option<String>,
    /// What becomes of the exercise in progress once loaded.
    pub then: crate::state::AfterReplay,
}

fn set_pending(scenario: Scenario, from: PendingFrom, notice: Option<String>) {
    PENDING.with(|p| {
        *p.borrow_mut() = Some(Pending {
            scenario,
            from,
            notice,
            then: crate::state::AfterReplay::NewScenario,
        });
    });
}

/// The exercise in progress resumes on the pending autosave once it is
/// replayed (a pending share link is a new scenario: it ends the exercise).
fn resume_on_pending(exercise: std::rc::Rc<podnet_model::exercise::Exercise>, met: Vec<bool>) {
    PENDING.with(|p| {
        if let Some(p) = p
            .borrow_mut()
            .as_mut()
            .filter(|p| p.from == PendingFrom::Autosave)
        {
            p.then = crate::state::AfterReplay::Resume(exercise, met);
        }
    });
}

/// Whether a big scenario waits to be replayed (the autosave must not
/// overwrite it with the starting scenario meanwhile).
pub fn has_pending() -> bool {
    PENDING.with(|p| p.borrow().is_some())
}

/// The big scenario waiting to be replayed, taken.
pub fn take_pending() -> Option<Pending> {
    PENDING.with(|p| p.borrow_mut().take())
}

/// What the page says once it opened a share link.
const OPENED: &str = "Opened the shared scenario. The link is out of the address bar now, so a reload keeps the work you do next; Share link makes a link again.";

/// The share link's fragment (`#s=…`) if the URL has one, taken out of
/// the address bar (without reloading): a later reload then restores the
/// autosave, with the work done since, instead of reopening the link.
fn take_shared_fragment() -> Option<String> {
    let loc = location()?;
    let hash = loc.hash().ok()?;
    if !hash.starts_with("#s=") {
        return None;
    }
    let url = format!(
        "{}{}",
        loc.pathname().unwrap_or_default(),
        loc.search().unwrap_or_default()
    );
    if let Some(history) = web_sys::window().and_then(|w| w.history().ok()) {
        let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&url));
    }
    Some(hash)
}

/// A share link pasted into an open tab changes only the fragment: the
/// action that opens it (or says why it cannot), `None` for another
/// fragment.
pub fn shared_link_action() -> Option<crate::state::Action> {
    use crate::state::Action;
    let hash = take_shared_fragment()?;
    Some(match Scenario::from_link_fragment(&hash) {
        Ok(s) => Action::Load(std::rc::Rc::new(s), "the shared scenario".into()),
        Err(err) => Action::LoadFailed(format!("{err}. Your current scenario is kept.")),
    })
}

/// Autosaves the applied scenario.
pub fn save(scenario: &Scenario) {
    // Storage can be full or disabled (private windows): then nothing is saved, silently.
    let _ = LocalStorage::raw().set_item(STORAGE_KEY, &saved_form(scenario));
}

/// The autosave's text: the share link's packing (deflated JSON, base64),
/// a tenth to a twentieth of the JSON's size for a big cluster, so the
/// write is small.
pub fn saved_form(scenario: &Scenario) -> String {
    scenario.to_link_fragment()
}

/// Reads an autosave: the packed form, or the plain JSON written before
/// podnet packed it. The refusal is in words for a save, not for a link.
pub fn read_saved(text: &str) -> Result<Scenario, String> {
    if text.trim_start().starts_with('{') {
        return Scenario::from_json(text).map_err(|e| e.to_string());
    }
    Scenario::from_link_fragment(text).map_err(|e| match e {
        podnet_model::ScenarioError::Link { .. } => {
            "its packed data in this browser's storage is damaged".to_owned()
        }
        other => other.to_string(),
    })
}

/// The full link that reproduces the scenario (the address bar is left
/// alone: a link there would reopen on reload and drop later work).
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
    format!("{base}#{fragment}")
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

/// `?exercise-url=my-exercise.json`: a trainer's exercise file next to the
/// site. Only a relative URL is fetched (the page requests nothing but its
/// own files); the result is an action for the reducer.
pub async fn fetch_exercise(url: String) -> crate::state::Action {
    use crate::state::Action;
    use wasm_bindgen::JsCast;
    if url.contains("//") || url.contains(':') {
        return Action::LoadFailed(format!(
            "The exercise URL {url:?} is not a file next to this page; podnet only opens its own files (use a relative URL such as my-exercise.json)."
        ));
    }
    let text = async {
        let window = web_sys::window().ok_or("no window")?;
        let response = wasm_bindgen_futures::JsFuture::from(window.fetch_with_str(&url))
            .await
            .map_err(|_| "the request failed".to_owned())?
            .dyn_into::<web_sys::Response>()
            .map_err(|_| "no response".to_owned())?;
        if !response.ok() {
            return Err(format!("the server answered {}", response.status()));
        }
        let promise = response.text().map_err(|_| "no text".to_owned())?;
        wasm_bindgen_futures::JsFuture::from(promise)
            .await
            .ok()
            .and_then(|v| v.as_string())
            .ok_or_else(|| "no text".to_owned())
    }
    .await;
    match text
        .and_then(|t| podnet_model::exercise::Exercise::from_json(&t).map_err(|e| e.to_string()))
    {
        Ok(ex) => Action::OpenExercise(std::rc::Rc::new(ex)),
        Err(err) => Action::LoadFailed(format!("Could not open the exercise {url}: {err}")),
    }
}
