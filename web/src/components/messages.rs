//! The error (a refused action, a bad link or file) and the last notice.

use yew::prelude::*;

use crate::app::ViewProps;
use crate::state::Action;

/// Shows `state.error` as an alert and `state.notice` as a status line.
#[component]
pub fn Messages(props: &ViewProps) -> Html {
    let dismiss = props.on_action.reform(|_: MouseEvent| Action::Dismiss);
    html! {
        <div class="messages">
            if let Some(err) = &props.state.error {
                <div class="messages__error" role="alert">
                    <p>{ err }</p>
                    <button type="button" onclick={dismiss.clone()} aria-label="Dismiss the message">{ "✕" }</button>
                </div>
            }
            <p class="messages__notice" role="status">{ props.state.notice.clone().unwrap_or_default() }</p>
        </div>
    }
}
