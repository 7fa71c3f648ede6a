//! The exercise in progress: its learning goal, the goals ticking live as
//! the sandbox changes, hints on request, and the success view.

use std::rc::Rc;

use podnet_model::exercise::{builtin_exercises, Exercise};
use yew::prelude::*;

use crate::app::ViewProps;
use crate::state::Action;

/// The panel (nothing when no exercise is open).
#[component]
pub fn ExercisePanel(props: &ViewProps) -> Html {
    let Some(run) = props.state.exercise.clone() else {
        return html! {};
    };
    let ex = &run.exercise;
    let act = |a: Action| {
        let on_action = props.on_action.clone();
        Callback::from(move |_: MouseEvent| on_action.emit(a.clone()))
    };
    let next = builtin_exercises::ALL
        .iter()
        .skip_while(|(id, _)| *id != ex.id)
        .nth(1)
        .and_then(|(_, json)| Exercise::from_json(json).ok());
    let met = run.goals.iter().filter(|g| g.met).count();
    let toolbox = super::lock::toolbox(props);
    let hint_button = if run.hints < ex.hints.len() && !run.completed {
        html! {
            <button type="button" onclick={act(Action::Hint)}>
                { format!("Show a hint ({} of {})", run.hints + 1, ex.hints.len()) }
            </button>
        }
    } else {
        html! {}
    };
    html! {
        <section class={classes!("exercise", run.completed.then_some("is-complete"))} aria-label="Exercise">
            <div class="exercise__head">
                <h2>{ format!("Exercise: {}", ex.title) }</h2>
                <div class="exercise__buttons">
                    <button type="button" onclick={act(Action::Reset)}>{ "Restart" }</button>
                    <button type="button" onclick={act(Action::CloseExercise)}>{ "Close exercise" }</button>
                    // Beside an embedded exercise's toolbox, up here, on screen.
                    if toolbox { { hint_button.clone() } }
                </div>
            </div>
            <p class="exercise__goal">{ &ex.goal }</p>
            <p class="exercise__count" aria-live="polite">{ format!("{met} of {} goals met", run.goals.len()) }</p>
            <ul class="exercise__goals" aria-label="Goals">
                { for run.goals.iter().map(|g| html! {
                    <li class={classes!(g.met.then_some("is-met"))}>
                        <span class="exercise__tick" aria-hidden="true">{ if g.met { "✓" } else { "○" } }</span>
                        <span class="exercise__text">{ &g.text }<span class="visually-hidden">{ if g.met { " (met)" } else { " (not met yet)" } }</span></span>
                        <span class="exercise__why">{ &g.why }</span>
                    </li>
                }) }
            </ul>
            // The toolbox beside an embedded exercise shows them instead.
            if !ex.allowed_actions.is_empty() && !toolbox {
                <p class="form__hint">{ format!(
                    "This exercise lets you use {}{}.",
                    super::lock::and_list(&ex.allowed_actions.iter().map(|a| super::lock::control_name(a)).collect::<Vec<_>>()),
                    if ex.locks.cni { "; the CNI strategy stays" } else { "" }
                ) }</p>
            }
            if run.hints > 0 {
                <ol class="exercise__hints" aria-label="Hints">
                    { for ex.hints.iter().take(run.hints).map(|h| html! { <li>{ h.clone() }</li> }) }
                </ol>
            }
            if !toolbox { { hint_button } }
            if run.completed {
                <div class="exercise__success" role="status">
                    <h3>{ "Exercise complete" }</h3>
                    <p>{ &ex.explanation }</p>
                    if let Some(next) = next {
                        <button type="button" class="primary" onclick={act(Action::OpenExercise(Rc::new(next.clone())))}>
                            { format!("Next exercise: {}", next.title) }
                        </button>
                    }
                </div>
            }
        </section>
    }
}
