//! "Play time": simulated time runs by itself, five seconds per step, so
//! the learner watches cooldowns end and ipamd's passes give surplus
//! addresses back, without pressing Wait again and again (podnet fills the
//! warm pool at once after an action).

use podnet_model::Command;
use yew::prelude::*;

use crate::app::ViewProps;
use crate::state::Action;

/// Simulated seconds per step.
const STEP_S: u32 = 5;
/// Real milliseconds between steps.
const EVERY_MS: u32 = 700;
/// Steps before it stops by itself (3 minutes of simulated time): each is
/// a command in the scenario's history.
const MAX_STEPS: u32 = 36;

/// The Play / Pause button, and how far it got.
#[component]
pub fn PlayTime(props: &ViewProps) -> Html {
    let playing = use_state(|| false);
    let played = use_state(|| 0u32);
    {
        let (on_action, playing, played) =
            (props.on_action.clone(), playing.clone(), played.clone());
        use_effect_with(*playing, move |on| {
            let steps = std::rc::Rc::new(std::cell::Cell::new(0u32));
            let interval = on.then(|| {
                let steps = steps.clone();
                gloo::timers::callback::Interval::new(EVERY_MS, move || {
                    on_action.emit(Action::Run(Command::AdvanceTime { seconds: STEP_S }));
                    let n = steps.get() + 1;
                    steps.set(n);
                    played.set(n);
                    if n >= MAX_STEPS {
                        playing.set(false);
                    }
                })
            });
            move || drop(interval)
        });
    }
    let refused = super::lock::refusal(&props.state, "advance-time");
    let onclick = {
        let (playing, played, refused) = (playing.clone(), played.clone(), refused.clone());
        let on_action = props.on_action.clone();
        Callback::from(move |_: MouseEvent| {
            if let Some(reason) = &refused {
                on_action.emit(Action::LoadFailed(reason.clone()));
                return;
            }
            if !*playing {
                played.set(0);
            }
            playing.set(!*playing);
        })
    };
    let lock = super::lock::Lock::from_refusal(refused, "lock-play-time");
    let label = if *playing { "Pause time" } else { "Play time" };
    let status = match (*playing, *played) {
        (true, n) => format!("playing: +{} s", n * STEP_S),
        (false, 0) => format!("{STEP_S} s of simulated time every {EVERY_MS} ms"),
        (false, n) => format!("paused after +{} s", n * STEP_S),
    };
    html! {
        <div class="play" role="group" aria-label="Simulated time">
            <button type="button" class="play__button" aria-pressed={playing.to_string()} {onclick}
                    aria-disabled={lock.disabled} title={lock.title} aria-describedby={lock.described_by}>
                <svg class="glyph" viewBox="0 0 10 10" width="10" height="10" aria-hidden="true" focusable="false">
                    if *playing {
                        <rect x="1.5" y="1" width="2.5" height="8" /><rect x="6" y="1" width="2.5" height="8" />
                    } else {
                        <path d="M2 1 L9 5 L2 9 Z" />
                    }
                </svg>
                { " " }{ label }
            </button>
            { lock.note }
            <span class="play__status" aria-live="polite">{ status }</span>
        </div>
    }
}
