//! The timeline: every applied command with the events it caused, in
//! kubectl / ipamd / EC2 wording, filterable; any step can be revisited.

use web_sys::HtmlInputElement;
use yew::prelude::*;

use crate::app::ViewProps;
use crate::state::Action;

/// Steps listed (newest first) before the older ones are folded.
const MAX_STEPS: usize = 60;
/// Events listed per step before "and N more".
const MAX_EVENTS: usize = 40;

/// The region labelled "Events".
#[component]
pub fn Timeline(props: &ViewProps) -> Html {
    let filter = use_state(String::new);
    let state = &props.state;
    let cursor = state.cursor;
    let total = state.scenario.actions.len();
    let back = props
        .on_action
        .reform(move |_: MouseEvent| Action::GoTo(cursor.saturating_sub(1)));
    let forward = props
        .on_action
        .reform(move |_: MouseEvent| Action::GoTo(cursor + 1));
    let on_filter = {
        let filter = filter.clone();
        Callback::from(move |e: InputEvent| {
            filter.set(e.target_unchecked_into::<HtmlInputElement>().value())
        })
    };
    let needle = filter.trim().to_lowercase();
    let undone: Vec<(usize, String)> = state
        .scenario
        .actions
        .iter()
        .enumerate()
        .skip(cursor)
        .map(|(i, a)| (i, a.to_string()))
        .collect();
    html! {
        <section class="timeline" aria-label="Events">
            <header class="timeline__head">
                <h2>{ "Events" }</h2>
                <span class="timeline__clock">{ format!("t = {} s · step {cursor} of {total}", state.sandbox.now_ms / 1000) }</span>
                <button type="button" onclick={back} disabled={cursor == 0}>{ "◀ Step back" }</button>
                <button type="button" onclick={forward} disabled={cursor >= total}>{ "Step forward ▶" }</button>
                <label class="timeline__filter">
                    <span>{ "Filter events" }</span>
                    <input type="search" value={(*filter).clone()} oninput={on_filter} placeholder="node-1, pod-7, eni-3, Failed…" />
                </label>
            </header>
            <ol class="timeline__steps" reversed=true>
                { for undone.iter().rev().map(|(i, label)| {
                    let go = props.on_action.reform({ let i = *i; move |_: MouseEvent| Action::GoTo(i + 1) });
                    html! { <li class="timeline__step is-undone" value={(i + 1).to_string()}><button type="button" onclick={go}>{ format!("{label} (undone)") }</button></li> }
                }) }
                { for state.steps.iter().enumerate().rev().take(MAX_STEPS).map(|(i, step)| {
                    let go = props.on_action.reform(move |_: MouseEvent| Action::GoTo(i + 1));
                    let shown: Vec<String> = step.events.iter()
                        .map(|e| format!("t={:>4}s  {}", e.at_ms / 1000, e.kind))
                        .filter(|t| needle.is_empty() || t.to_lowercase().contains(&needle))
                        .collect();
                    if !needle.is_empty() && shown.is_empty() && !step.label.to_lowercase().contains(&needle) {
                        return html! {};
                    }
                    let current = i + 1 == cursor;
                    html! {
                        <li class={classes!("timeline__step", current.then_some("is-current"))} value={(i + 1).to_string()}>
                            <button type="button" onclick={go} aria-current={current.then_some("step")}>{ &step.label }</button>
                            <ul class="timeline__events">
                                { for capped(&shown).into_iter().map(|t| html! {
                                    <li class={classes!(event_class(t))}>{ t }</li>
                                }) }
                                if shown.len() > capped(&shown).len() { <li class="timeline__more">{ format!("and {} more (filter to find them)", shown.len() - capped(&shown).len()) }</li> }
                            </ul>
                        </li>
                    }
                }) }
            </ol>
        </section>
    }
}

/// Every warning, and the first `MAX_EVENTS` other events, in order: a
/// failure must never hide behind a hundred routine lines.
fn capped(events: &[String]) -> Vec<&String> {
    let mut routine = 0;
    events
        .iter()
        .filter(|t| {
            let keep = event_class(t).is_some() || routine < MAX_EVENTS;
            if event_class(t).is_none() {
                routine += 1;
            }
            keep
        })
        .collect()
}

/// Warnings and failures stand out (with a glyph in the CSS, not colour alone).
fn event_class(text: &str) -> Option<&'static str> {
    let warn = [
        "Warning",
        "Failed",
        "Insufficient",
        "Skipping",
        "not supported",
    ];
    warn.iter()
        .any(|w| text.contains(w))
        .then_some("is-warning")
}
