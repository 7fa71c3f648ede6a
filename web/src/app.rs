//! The app shell: one reducer, the toolbar, the map, the controls, the
//! inspector and the timeline. Embed mode drops the chrome.

use std::rc::Rc;

use yew::prelude::*;

use crate::components::compare_view::CompareView;
use crate::components::policy_view::Parts;
use crate::components::{
    Controls, ExercisePanel, Inspector, Intro, Messages, PathsView, PlannerView, PolicyView,
    Timeline, Toolbar, VpcMap,
};
use crate::persist::{self, ViewOptions};
use crate::state::{Action, AppState};

/// The state handed to components: compared by pointer, so a component
/// re-renders only when the state really changed.
#[derive(Clone)]
pub struct Shared(pub Rc<AppState>);

impl PartialEq for Shared {
    /// Cheap: the heavy parts are shared `Rc`s, compared by pointer.
    fn eq(&self, other: &Self) -> bool {
        let (a, b) = (&self.0, &other.0);
        Rc::ptr_eq(a, b)
            || (Rc::ptr_eq(&a.scenario, &b.scenario)
                && a.same_sandbox(b)
                && Rc::ptr_eq(&a.steps, &b.steps)
                && a.cursor == b.cursor
                && a.error == b.error
                && a.notice == b.notice
                && a.selection == b.selection
                && same_rc(&a.exercise, &b.exercise)
                && Rc::ptr_eq(&a.progress, &b.progress))
    }
}

fn same_rc<T>(a: &Option<Rc<T>>, b: &Option<Rc<T>>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => Rc::ptr_eq(a, b),
        (None, None) => true,
        _ => false,
    }
}

impl std::ops::Deref for Shared {
    type Target = AppState;
    fn deref(&self) -> &AppState {
        &self.0
    }
}

/// What every component gets: the state, a way to act, the view options.
#[derive(Clone, PartialEq, Properties)]
pub struct ViewProps {
    /// The state.
    pub state: Shared,
    /// Dispatches an action.
    pub on_action: Callback<Action>,
    /// Embed, read-only, locked CNI.
    #[prop_or_default]
    pub options: ViewOptions,
}

/// The whole page.
#[component]
pub fn App() -> Html {
    let options = use_memo((), |_| persist::view_options());
    let state = use_reducer(persist::initial_state);
    let progress = use_state(|| None::<Progress>);
    // Autosave whenever the applied scenario changes (not while a big one
    // is being replayed: the starting scenario shown meanwhile would
    // overwrite it).
    {
        let applied = (state.scenario.clone(), state.cursor);
        let state = state.clone();
        let loading = progress.is_some() || persist::has_pending();
        use_effect_with(applied, move |_| {
            if !loading {
                persist::save(&state.applied());
            }
        });
    }
    // The static first paint that `cargo xtask dist` rendered into
    // index.html (same components, first visit) goes once the app has
    // rendered, before the browser paints again: no jump, no blank frame.
    use_effect_with((), |_| {
        if let Some(first_paint) = gloo::utils::document().get_element_by_id("podnet-static") {
            first_paint.remove();
        }
    });
    // A big scenario found on opening (a link, the autosave): replayed a
    // chunk at a time now that the page is up.
    {
        let (dispatcher, progress) = (state.dispatcher(), progress.clone());
        use_effect_with((), move |_| {
            if let Some(p) = persist::take_pending() {
                if let Some(job) =
                    start_loading(Rc::new(p.scenario), p.from.what(), p.notice, &dispatcher)
                {
                    after_progress(job.then(p.then), p.from.what().into(), dispatcher, progress);
                }
            }
        });
    }
    // The exercise's progress is kept, and in embed mode told to the course page.
    {
        let progress_bar = &progress;
        let key = state.exercise.as_ref().map(|r| {
            let met: Vec<bool> = r.goals.iter().map(|g| g.met).collect();
            (r.exercise.id.clone(), r.completed, met)
        });
        let (run, progress, embed) = (
            state.exercise.clone(),
            state.progress.clone(),
            options.embed,
        );
        let status = key
            .as_ref()
            .map(|(id, completed, _)| (id.clone(), *completed));
        let saved_run = run.clone();
        // Not while a big scenario replays: its exercise resumes once it is in.
        let loading = progress_bar.is_some() || persist::has_pending();
        use_effect_with((key, loading), move |(_, loading)| {
            persist::save_progress(&progress);
            if !*loading {
                persist::save_open_exercise(saved_run.as_deref());
            }
        });
        // The course page hears of a start and of a completion, not of each goal.
        use_effect_with(status, move |_| {
            if let (Some(run), true) = (run, embed) {
                persist::post_exercise(&run);
            }
        });
    }
    // `?exercise-url=FILE.json`: a trainer's exercise next to the site.
    {
        let dispatcher = state.dispatcher();
        use_effect_with((), move |_| {
            if let Some(url) = persist::query_value("exercise-url") {
                wasm_bindgen_futures::spawn_local(async move {
                    dispatcher.dispatch(persist::fetch_exercise(url).await);
                    persist::forget_query("exercise-url");
                });
            }
        });
    }
    // A share link pasted into the open tab: only the fragment changes.
    {
        let (dispatcher, progress) = (state.dispatcher(), progress.clone());
        use_effect_with((), move |_| {
            let listener = web_sys::window().map(|w| {
                gloo::events::EventListener::new(&w, "hashchange", move |_| {
                    if let Some(action) = persist::shared_link_action() {
                        dispatch(action, None, &dispatcher, &progress);
                    }
                })
            });
            move || drop(listener)
        });
    }
    let on_action = {
        let (current, progress) = (state.clone(), progress.clone());
        Callback::from(move |a: Action| {
            dispatch(a, Some(&current), &current.dispatcher(), &progress)
        })
    };
    let props = ViewProps {
        state: Shared(Rc::new((*state).clone())),
        on_action,
        options: *options,
    };
    html! {
        <>
            if let Some(p) = &*progress {
                <div class="loading" role="status">
                    <label>
                        { format!("Replaying {}: {} of {} commands", p.what, p.done, p.total) }
                        <progress max={p.total.to_string()} value={p.done.to_string()} />
                    </label>
                </div>
            }
            <Page ..props />
        </>
    }
}

/// How far a chunked replay has got.
#[derive(Clone, PartialEq)]
struct Progress {
    /// Commands applied.
    done: usize,
    /// Of how many.
    total: usize,
    /// What is loading ("the file big.json").
    what: String,
}

/// Sends `action` to the reducer, except a big scenario to load or to
/// switch to another CNI (`current`: the state the page shows, when the
/// caller has it): that one is replayed a chunk at a time, the page
/// answering input in between.
fn dispatch(
    action: Action,
    current: Option<&AppState>,
    dispatcher: &UseReducerDispatcher<AppState>,
    progress: &UseStateHandle<Option<Progress>>,
) {
    let big = crate::state::replays_in_chunks;
    let job = match (&action, current) {
        (Action::Load(scenario, source), _) if big(&scenario.actions) => {
            let notice = Some(crate::state::loaded(source));
            start_loading(scenario.clone(), source, notice, dispatcher)
                .map(|job| (job, source.clone()))
        }
        (Action::ReplayUnder(mode), Some(current))
            if big(current.applied_actions()) && current.exercise_refuses(&action).is_none() =>
        {
            let (scenario, source) = current.under(mode.clone());
            let notice = Some(crate::state::loaded(&source));
            start_loading(Rc::new(scenario), &source, notice, dispatcher)
                .map(|job| (job.then(crate::state::AfterReplay::SwitchedCni), source))
        }
        _ => {
            dispatcher.dispatch(action);
            return;
        }
    };
    if let Some((job, what)) = job {
        after_progress(job, what, dispatcher.clone(), progress.clone());
    }
}

/// The chunked replay of `scenario` (named `source` in messages; `notice`
/// said once loaded), or `None` when it cannot start: then the reducer
/// says why, the current scenario kept.
fn start_loading(
    scenario: Rc<podnet_model::Scenario>,
    source: &str,
    notice: Option<String>,
    dispatcher: &UseReducerDispatcher<AppState>,
) -> Option<crate::state::Loading> {
    match crate::state::Loading::start(scenario, notice) {
        Ok(job) => Some(job),
        Err(err) => {
            dispatcher.dispatch(Action::LoadFailed(crate::state::not_loaded(source, &err)));
            None
        }
    }
}

/// Shows how far the job got (from its start: the bar is there before
/// the first chunk runs), then runs its next chunk in a task of its own,
/// so that input and paint go first.
fn after_progress(
    job: crate::state::Loading,
    what: String,
    dispatcher: UseReducerDispatcher<AppState>,
    progress: UseStateHandle<Option<Progress>>,
) {
    let (done, total) = job.progress();
    progress.set(Some(Progress {
        done,
        total,
        what: what.clone(),
    }));
    gloo::timers::callback::Timeout::new(0, move || next_chunk(job, what, dispatcher, progress))
        .forget();
}

/// Replays the job in chunks of about [`CHUNK_MS`](crate::state::CHUNK_MS)
/// each, one per task, showing the progress; then hands the state to the
/// reducer (or says why it could not load, the current scenario kept), in
/// a task of its own: one command can outlast the chunk (`add-pods` of
/// 150,000 pods takes over 100 ms), and rendering the result after it in
/// the same task would freeze the page for both.
fn next_chunk(
    mut job: crate::state::Loading,
    what: String,
    dispatcher: UseReducerDispatcher<AppState>,
    progress: UseStateHandle<Option<Progress>>,
) {
    let start = js_sys::Date::now();
    match job.run_for(crate::state::CHUNK_MS, || js_sys::Date::now() - start) {
        Ok(true) => {
            let (done, total) = job.progress();
            progress.set(Some(Progress { done, total, what }));
            gloo::timers::callback::Timeout::new(0, move || {
                progress.set(None);
                dispatcher.dispatch(job.into_action());
            })
            .forget();
        }
        Ok(false) => after_progress(job, what, dispatcher, progress),
        Err(err) => {
            progress.set(None);
            dispatcher.dispatch(Action::LoadFailed(crate::state::not_loaded(&what, &err)));
        }
    }
}

/// The layout, given the state (mountable on its own in tests).
#[component]
pub fn Page(props: &ViewProps) -> Html {
    let embed = props.options.embed;
    let toolbox = crate::components::lock::toolbox(props);
    let usable = |action: &str| crate::components::lock::refusal(&props.state, action).is_none();
    let policy_exercise = props.state.exercise.as_ref().is_some_and(|r| {
        r.exercise
            .allowed_actions
            .iter()
            .any(|a| a == "apply-network-policy")
    });
    // A policy exercise that also changes the cluster: the policy forms and
    // the other controls side by side above the map, the matrix below it.
    let mixed = toolbox && policy_exercise && crate::components::controls::uses_any_form(props);
    html! {
        <div class={classes!("app", embed.then_some("is-embed"))}>
            <nav class="skip-links" aria-label="Skip links">
                { skip_link("map", "Skip to the map") }
                // Only to forms that are there and that the exercise uses.
                if !props.options.read_only && usable("add-pods") { { skip_link("add-pods", "Skip to Add pods") } }
                if !props.options.read_only && usable("add-node") { { skip_link("add-node", "Skip to Add node") } }
            </nav>
            if !embed {
                <header class="app__header">
                    <div class="app__brand">
                        <h1 class="app__title">{ "podnet" }</h1>
                        <p class="app__tagline">{ "Kubernetes pod networking on AWS, one address at a time" }</p>
                    </div>
                    <Toolbar ..props.clone() />
                </header>
            } else {
                <Toolbar ..props.clone() />
            }
            <Messages ..props.clone() />
            <main class="app__main">
                // An embedded exercise: its controls next to its goals, the
                // whole width above the map.
                if toolbox {
                    <div class={classes!("workbench", mixed.then_some("is-three"))} role="group" aria-label="The exercise and what it lets you change">
                        <ExercisePanel ..props.clone() />
                        if mixed {
                            <PolicyView view={props.clone()} parts={Parts::Write} />
                            <Controls ..props.clone() />
                        } else if policy_exercise {
                            <PolicyView view={props.clone()} />
                        } else {
                            <Controls ..props.clone() />
                        }
                    </div>
                }
                <div class="app__stage">
                    if !toolbox { <ExercisePanel ..props.clone() /> }
                    if !embed && props.state.exercise.is_none() { <Intro ..props.clone() /> }
                    <VpcMap ..props.clone() />
                    <PathsView ..props.clone() />
                    <CompareView state={props.state.clone()} />
                    if mixed {
                        <PolicyView view={props.clone()} parts={Parts::Look} />
                    } else if !(toolbox && policy_exercise) {
                        <PolicyView view={props.clone()} />
                    }
                    if !props.options.read_only { <PlannerView ..props.clone() /> }
                    <Timeline ..props.clone() />
                </div>
                <aside class="app__side">
                    <Inspector ..props.clone() />
                    if !props.options.read_only && !toolbox { <Controls ..props.clone() /> }
                </aside>
            </main>
            if !embed {
                <footer class="app__footer">
                    <p>{ "Runs entirely in your browser: no requests, no tracking. Numbers come from the AWS VPC CNI's instance table and documented rules; see \"About this model\" for what is simplified." }</p>
                </footer>
            }
        </div>
    }
}

/// A link, shown when focused, that moves the focus to the first control
/// inside `#id` (opening it if it is a closed `<details>`), without
/// touching the URL's fragment (it holds share links).
fn skip_link(id: &'static str, text: &'static str) -> Html {
    let onclick = Callback::from(move |e: MouseEvent| {
        e.prevent_default();
        let document = gloo::utils::document();
        let Some(target) = document.get_element_by_id(id) else {
            return;
        };
        if let Some(d) = wasm_bindgen::JsCast::dyn_ref::<web_sys::HtmlDetailsElement>(&target) {
            d.set_open(true);
        }
        let first = target
            .query_selector("input, select, textarea, button:not(summary button)")
            .ok()
            .flatten()
            .unwrap_or(target);
        if let Ok(el) = wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>(first) {
            if el.get_attribute("tabindex").is_none() && el.tag_name() == "SECTION" {
                el.set_tab_index(-1);
            }
            let _ = el.focus();
            el.scroll_into_view();
        }
    });
    html! { <a class="skip-links__link" href={format!("#{id}")} {onclick}>{ text }</a> }
}
