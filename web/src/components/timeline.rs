//! The timeline: every applied command with the events it caused, in
//! kubectl / ipamd / EC2 wording, filterable; any step can be revisited.

use std::rc::Rc;

use podnet_model::events::Event;
use web_sys::HtmlInputElement;
use yew::prelude::*;

use crate::app::ViewProps;
use crate::state::{Action, Step};

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
    let needle = filter.trim().to_ascii_lowercase();
    let alias = pod_id_named(&state.sandbox(), &needle);
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
                <span class="timeline__clock">{ format!("t = {} s · step {cursor} of {total}", state.sandbox().now_ms / 1000) }</span>
                <button type="button" onclick={back} disabled={cursor == 0}>{ "◀ Step back" }</button>
                <button type="button" onclick={forward} disabled={cursor >= total}>{ "Step forward ▶" }</button>
                <label class="timeline__filter">
                    <span>{ "Filter events" }</span>
                    <input type="search" value={(*filter).clone()} oninput={on_filter} placeholder="app-7, node-1, eni-3, Failed…" />
                </label>
            </header>
            <ol class="timeline__steps" reversed=true>
                { for undone.iter().rev().map(|(i, label)| {
                    let go = props.on_action.reform({ let i = *i; move |_: MouseEvent| Action::GoTo(i + 1) });
                    html! { <li class="timeline__step is-undone" value={(i + 1).to_string()}><button type="button" onclick={go}>{ format!("{label} (undone)") }</button></li> }
                }) }
                { for state.steps.iter().enumerate().rev().take(MAX_STEPS).map(|(i, step)| html! {
                    <StepItem key={i} index={i + 1} step={StepRef(step.clone())} current={i + 1 == cursor}
                              needle={needle.clone()} alias={alias.clone()} on_action={props.on_action.clone()} />
                }) }
            </ol>
        </section>
    }
}

/// A step, compared by identity: an unchanged step never re-renders.
#[derive(Clone)]
struct StepRef(Rc<Step>);

impl PartialEq for StepRef {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

#[derive(Properties, PartialEq)]
struct StepItemProps {
    index: usize,
    step: StepRef,
    current: bool,
    needle: String,
    alias: Option<String>,
    on_action: Callback<Action>,
}

/// One applied command and its events.
#[component]
fn StepItem(props: &StepItemProps) -> Html {
    let step = &props.step.0;
    let index = props.index;
    let go = props
        .on_action
        .reform(move |_: MouseEvent| Action::GoTo(index));
    let (shown, hidden) = lines(&step.events, &props.needle, props.alias.as_deref());
    if !props.needle.is_empty()
        && shown.is_empty()
        && !step.label.to_ascii_lowercase().contains(&props.needle)
    {
        return html! {};
    }
    html! {
        <li class={classes!("timeline__step", props.current.then_some("is-current"))} value={index.to_string()}>
            <button type="button" onclick={go} aria-current={props.current.then_some("step")}>{ &step.label }</button>
            <ul class="timeline__events">
                { for shown.iter().map(|(t, warning)| html! {
                    <li class={classes!(warning.then_some("is-warning"))}>{ t }</li>
                }) }
                if hidden > 0 { <li class="timeline__more">{ format!("and {hidden} more (filter to find them)") }</li> }
            </ul>
        </li>
    }
}

/// The id (`pod-7`) of the pod the filter names exactly, as the map shows it
/// (`app-7`) or with its namespace (`default/app-7`).
fn pod_id_named(sandbox: &podnet_model::sandbox::Sandbox, needle: &str) -> Option<String> {
    if needle.is_empty() {
        return None;
    }
    sandbox
        .pods
        .values()
        .find(|p| {
            p.name.eq_ignore_ascii_case(needle)
                || needle.split_once('/').is_some_and(|(ns, n)| {
                    p.namespace.eq_ignore_ascii_case(ns) && p.name.eq_ignore_ascii_case(n)
                })
        })
        .map(|p| p.id.to_string())
}

/// Whether `text` names `id` (`pod-7`, not `pod-70`).
fn mentions(text: &str, id: &str) -> bool {
    text.match_indices(id).any(|(at, _)| {
        !text
            .get(at + id.len()..)
            .is_some_and(|rest| rest.starts_with(|c: char| c.is_ascii_digit()))
    })
}

/// Warnings listed per step before they too are folded.
const MAX_WARNINGS: usize = 200;

/// The lines of one step: with no filter, every warning (up to
/// `MAX_WARNINGS`) and the first `MAX_EVENTS` others, in order — a failure
/// never hides behind routine lines; with a filter, the first matches.
/// Only shown events are formatted: a 150,000-pod step has 500,000 events.
/// A line matches the filter when it contains it, or names `alias` (the
/// id of the pod the filter names: most lines name a pod by its id).
/// Returns the lines (text, warning) and how many were left out.
fn lines(events: &[Event], needle: &str, alias: Option<&str>) -> (Vec<(String, bool)>, usize) {
    let text = |e: &Event| e.to_string();
    let (mut shown, mut routine, mut warnings, mut hidden) = (Vec::new(), 0, 0, 0);
    for e in events {
        let warning = e.kind.is_warning();
        if !needle.is_empty() {
            if shown.len() >= MAX_EVENTS + MAX_WARNINGS {
                hidden += 1;
                continue;
            }
            let t = text(e);
            let lower = t.to_ascii_lowercase();
            if lower.contains(needle) || alias.is_some_and(|id| mentions(&lower, id)) {
                shown.push((t, warning));
            }
        } else if warning && warnings < MAX_WARNINGS {
            warnings += 1;
            shown.push((text(e), true));
        } else if !warning && routine < MAX_EVENTS {
            routine += 1;
            shown.push((text(e), false));
        } else {
            hidden += 1;
        }
    }
    (shown, hidden)
}
