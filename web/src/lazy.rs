//! Code a visit loads only when the learner asks for it.
//!
//! In the release site (`cargo xtask dist` builds with the `split` feature)
//! the open planner is a separate wasm module, fetched the first time the
//! learner opens the planner: `#[wasm_split]` (wasm_split_helpers) marks the
//! split point, and xtask splits the linked module with
//! wasm_split_cli_support, the port of the prototype in wasm-bindgen issue
//! 3939. Everywhere else (`trunk serve`, the tests, the static render) the
//! same function is a plain call.

use yew::prelude::*;

use crate::app::ViewProps;
use crate::components::planner_view::{self, Hooks};

/// A part of the page loaded on demand.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Part {
    /// The open planner (its forms, the plan model, the eksctl export).
    Planner,
}

/// Whether a part's code is there.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Loaded {
    /// It is: draw it.
    Yes,
    /// Its module is on its way.
    Loading,
    /// Its module did not arrive.
    Failed,
}

impl Loaded {
    /// The line shown instead of the part while it is not there.
    pub fn note(self, what: &str) -> Html {
        match self {
            Self::Yes => Html::default(),
            Self::Loading => html! {
                <p class="form__hint" role="status" aria-busy="true">{ format!("Loading {what}…") }</p>
            },
            Self::Failed => html! {
                <p class="paths__verdict is-blocked" role="alert">{ format!("Could not load {what}: its file did not arrive (offline, or the server does not have it). Close and open it again to try again.") }</p>
            },
        }
    }
}

/// The open planner.
pub fn planner(props: ViewProps, hooks: Hooks) -> Html {
    #[cfg(feature = "split")]
    {
        // Loaded already (see `use_loaded`), so the future is ready at its
        // first poll: the call through the module's table.
        match split::now(split::planner(props, hooks)) {
            Some(Ok(html)) => html,
            Some(Err(_)) | None => Loaded::Failed.note("the planner"),
        }
    }
    #[cfg(not(feature = "split"))]
    {
        planner_view::open_body(props, hooks)
    }
}

/// Whether `part` is loaded, starting its load when `wanted` turns true
/// (again after a failure).
#[hook]
pub fn use_loaded(part: Part, wanted: bool) -> Loaded {
    #[cfg(feature = "split")]
    {
        split::use_module(part, wanted)
    }
    #[cfg(not(feature = "split"))]
    {
        let _ = (part, wanted);
        Loaded::Yes
    }
}

#[cfg(feature = "split")]
mod split {
    use std::cell::Cell;
    use std::future::Future;
    use std::task::{Context, Poll, Waker};

    use wasm_split_helpers::{wasm_split, SplitLoaderError};
    use yew::prelude::*;

    use super::{planner_view, Hooks, Loaded, Part, ViewProps};

    thread_local! {
        static PLANNER: Cell<bool> = const { Cell::new(false) };
    }

    fn is_loaded(part: Part) -> bool {
        match part {
            Part::Planner => PLANNER.with(Cell::get),
        }
    }

    #[wasm_split(planner, fallible, preload(preload_planner))]
    pub fn planner(props: ViewProps, hooks: Hooks) -> Result<Html, SplitLoaderError> {
        Ok(planner_view::open_body(props, hooks))
    }

    /// A future's value if it is ready at its first poll.
    pub fn now<F: Future>(f: F) -> Option<F::Output> {
        let mut f = std::pin::pin!(f);
        match f.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
            Poll::Ready(v) => Some(v),
            Poll::Pending => None,
        }
    }

    #[hook]
    pub fn use_module(part: Part, wanted: bool) -> Loaded {
        let state = use_state(|| Loaded::Loading);
        {
            let state = state.clone();
            use_effect_with(wanted, move |&wanted| {
                if wanted && !is_loaded(part) {
                    state.set(Loaded::Loading);
                    wasm_bindgen_futures::spawn_local(async move {
                        let ok = match part {
                            Part::Planner => preload_planner().await.is_ok(),
                        };
                        if ok {
                            match part {
                                Part::Planner => PLANNER.with(|c| c.set(true)),
                            }
                        }
                        state.set(if ok { Loaded::Yes } else { Loaded::Failed });
                    });
                }
            });
        }
        if is_loaded(part) {
            Loaded::Yes
        } else {
            *state
        }
    }
}
