//! Undo, Redo, Reset, Share link, Export, Import and the theme switch.

use std::rc::Rc;

use gloo::file::callbacks::FileReader;
use podnet_model::exercise::{builtin_exercises, Exercise};
use podnet_model::Scenario;
use web_sys::HtmlInputElement;
use yew::prelude::*;

use crate::app::ViewProps;
use crate::persist;
use crate::state::Action;

/// The app's toolbar.
#[component]
pub fn Toolbar(props: &ViewProps) -> Html {
    let link = use_state(|| None::<String>);
    let reader = use_mut_ref(|| None::<FileReader>);
    let state = &props.state;
    let act = |a: Action| props.on_action.reform(move |_: MouseEvent| a.clone());
    let on_share = {
        let (link, state, on_action) = (link.clone(), state.clone(), props.on_action.clone());
        Callback::from(move |_: MouseEvent| {
            link.set(Some(persist::share_link(&state.applied())));
            on_action.emit(Action::Notice("The link below reproduces this scenario exactly. Copy it into your notes or a chat; pasted into a tab, it opens there.".into()));
        })
    };
    let on_export = {
        let state = state.clone();
        Callback::from(move |_: MouseEvent| persist::export(&state.applied()))
    };
    let on_import = {
        let on_action = props.on_action.clone();
        Callback::from(move |e: Event| {
            let input: HtmlInputElement = e.target_unchecked_into();
            let Some(file) = input.files().and_then(|f| f.get(0)) else {
                return;
            };
            let name = file.name();
            let on_action = on_action.clone();
            let file = gloo::file::File::from(file);
            *reader.borrow_mut() = Some(gloo::file::callbacks::read_as_text(&file, move |text| {
                let text = text.map_err(|e| e.to_string());
                // An exercise file has goals; anything else is read as a scenario.
                let is_exercise = text.as_ref().is_ok_and(|t| t.contains("\"goals\""));
                let action = match text {
                    Ok(t) if is_exercise => match Exercise::from_json(&t) {
                        Ok(ex) => Action::OpenExercise(Rc::new(ex)),
                        Err(err) => Action::LoadFailed(format!(
                            "Could not open the exercise {name}: {err}. Your scenario is unchanged."
                        )),
                    },
                    Ok(t) => match Scenario::from_json(&t) {
                        Ok(s) => Action::Load(Rc::new(s), format!("the file {name}")),
                        Err(err) => Action::LoadFailed(format!(
                            "Could not import {name}: {err}. Your scenario is unchanged."
                        )),
                    },
                    Err(err) => Action::LoadFailed(format!(
                        "Could not import {name}: {err}. Your scenario is unchanged."
                    )),
                };
                on_action.emit(action);
            }));
            input.set_value("");
        })
    };
    let on_example = {
        let on_action = props.on_action.clone();
        Callback::from(move |e: Event| {
            let select: web_sys::HtmlSelectElement = e.target_unchecked_into();
            let name = select.value();
            select.set_value("");
            on_action.emit(Action::LoadExample(name));
        })
    };
    let on_exercise = {
        let on_action = props.on_action.clone();
        Callback::from(move |e: Event| {
            let select: web_sys::HtmlSelectElement = e.target_unchecked_into();
            let id = select.value();
            select.set_value("");
            let action = match builtin_exercises::get(&id).map(Exercise::from_json) {
                Some(Ok(ex)) => Action::OpenExercise(Rc::new(ex)),
                Some(Err(err)) => {
                    Action::LoadFailed(format!("The exercise {id} is invalid: {err}"))
                }
                None => return,
            };
            on_action.emit(action);
        })
    };
    let read_only = props.options.read_only;
    // An embed shows its own scenario or exercise: no way to leave it.
    let offers_others = !read_only && !props.options.embed;
    let done = state.progress.clone();
    html! {
        <nav class="toolbar" aria-label="Scenario">
            <button type="button" onclick={act(Action::Undo)} disabled={!state.can_undo() || read_only}>{ "Undo" }</button>
            <button type="button" onclick={act(Action::Redo)} disabled={!state.can_redo() || read_only}>{ "Redo" }</button>
            <button type="button" onclick={act(Action::Reset)} disabled={read_only}>{ "Reset" }</button>
            if offers_others {
                <select class="toolbar__examples" aria-label="Open an example" onchange={on_example}>
                    <option value="" selected=true>{ "Open an example…" }</option>
                    { for podnet_model::scenario::builtin::titles().map(|(name, title)| html! { <option value={name}>{ title }</option> }) }
                </select>
                <select class="toolbar__examples" aria-label="Open an exercise" onchange={on_exercise}>
                    <option value="" selected=true>{ "Open an exercise…" }</option>
                    { for builtin_exercises::titles().map(|(id, title)| {
                        let tick = if done.iter().any(|d| d == id) { "✓ " } else { "" };
                        html! { <option value={id}>{ format!("{tick}{title}") }</option> }
                    }) }
                </select>
            }
            <span class="toolbar__sep" aria-hidden="true"></span>
            <button type="button" onclick={on_share}>{ "Share link" }</button>
            <button type="button" onclick={on_export}>{ "Export" }</button>
            if offers_others {
                <label class="toolbar__file">
                    <span>{ "Import" }</span>
                    <input type="file" accept=".json,application/json" onchange={on_import} aria-label="Import" />
                </label>
            }
            <ThemeToggle />
            if let Some(url) = (*link).clone() {
                <label class="toolbar__link">
                    <span>{ "Link to this scenario" }</span>
                    <input type="text" readonly=true value={url} onfocus={Callback::from(|e: FocusEvent| e.target_unchecked_into::<HtmlInputElement>().select())} />
                </label>
            }
        </nav>
    }
}

/// Light / dark / system theme, remembered in localStorage.
#[component]
fn ThemeToggle() -> Html {
    use gloo::storage::{LocalStorage, Storage};
    let theme =
        use_state(|| crate::persist::stored("podnet.theme").unwrap_or_else(|| "system".into()));
    {
        let theme = (*theme).clone();
        use_effect_with(theme, |t| {
            let root = web_sys::window()
                .and_then(|w| w.document())
                .and_then(|d| d.document_element());
            if let Some(root) = root {
                let _ = if t == "system" {
                    root.remove_attribute("data-theme")
                } else {
                    root.set_attribute("data-theme", t)
                };
            }
            let _ = LocalStorage::raw().set_item("podnet.theme", t);
        });
    }
    let next = match theme.as_str() {
        "system" => "dark",
        "dark" => "light",
        _ => "system",
    };
    let onclick = {
        let theme = theme.clone();
        Callback::from(move |_: MouseEvent| theme.set(next.to_owned()))
    };
    html! {
        <button type="button" class="toolbar__theme" {onclick} aria-label={format!("Theme: {} (switch to {next})", *theme)}>
            { match theme.as_str() { "dark" => "☾ Dark", "light" => "☀ Light", _ => "◐ System" } }
        </button>
    }
}
