//! Code a visit loads only when the learner asks for it.
//!
//! In the release site (`cargo xtask dist` builds with the `split` feature)
//! two parts are separate wasm modules: the open planner, fetched the first
//! time the learner opens the planner, and the YAML reader (yaml-rust2's
//! scanner and parser), fetched when the learner starts on the policy form.
//! `#[wasm_split]` (wasm_split_helpers) marks each split point, and xtask
//! splits the linked module with wasm_split_cli_support, the port of the
//! prototype in wasm-bindgen issue 3939. Everywhere else (`trunk serve`,
//! the tests, the static render) the same functions are plain calls.

use podnet_model::netpol;
use serde_json::Value;
use yew::prelude::*;

use crate::app::ViewProps;
use crate::components::planner_view::{self, Hooks};

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
        // Loaded already (see `use_planner_loaded`), so the future is ready at its
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

/// Whether the open planner's code (its forms, the plan model, the eksctl
/// export) is there, starting its load when `wanted` turns true (again
/// after a failure).
#[hook]
pub fn use_planner_loaded(wanted: bool) -> Loaded {
    #[cfg(feature = "split")]
    {
        split::use_planner(wanted)
    }
    #[cfg(not(feature = "split"))]
    {
        let _ = wanted;
        Loaded::Yes
    }
}

/// What the policy form's YAML holds, as `kubectl apply -f` reads it, or
/// the message to show: the YAML's error, or that the reader's module did
/// not arrive. `then` runs at once, or when the module has arrived.
pub fn policy_objects(text: String, then: impl FnOnce(Result<Vec<Value>, String>) + 'static) {
    let worded =
        |r: Result<Vec<Value>, netpol::PolicyError>| r.map_err(|e| format!("Policy YAML: {e}"));
    #[cfg(feature = "split")]
    wasm_bindgen_futures::spawn_local(async move {
        then(match split::policy_objects(text).await {
            Ok(parsed) => worded(parsed),
            Err(_) => Err("Could not load the YAML reader: its file did not arrive (offline, or the server does not have it). Apply again to try again.".to_owned()),
        });
    });
    #[cfg(not(feature = "split"))]
    then(worded(netpol::yaml::objects(&text)));
}

/// Starts fetching the YAML reader's module, if it is not there yet, when
/// the learner starts on the policy form: it is then there when they
/// apply, and a page that loses the network while they type still applies.
pub fn preload_policy_reader() {
    #[cfg(feature = "split")]
    wasm_bindgen_futures::spawn_local(async {
        // A failure here is reported by the apply that needs the module.
        let _ = split::preload_yaml().await;
    });
}

#[cfg(feature = "split")]
mod split {
    use std::cell::Cell;
    use std::future::Future;
    use std::task::{Context, Poll, Waker};

    use wasm_split_helpers::{wasm_split, SplitLoaderError};
    use yew::prelude::*;

    use super::{planner_view, Hooks, Loaded, ViewProps};

    thread_local! {
        /// Whether the planner's module has arrived.
        static PLANNER: Cell<bool> = const { Cell::new(false) };
    }

    /// The YAML reader: only a visit that applies a policy needs it.
    #[wasm_split(yaml, fallible, preload(preload_yaml))]
    pub fn policy_objects(
        text: String,
    ) -> Result<Result<Vec<serde_json::Value>, podnet_model::netpol::PolicyError>, SplitLoaderError>
    {
        Ok(podnet_model::netpol::yaml::objects(&text))
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
    pub fn use_planner(wanted: bool) -> Loaded {
        let state = use_state(|| Loaded::Loading);
        {
            let state = state.clone();
            use_effect_with(wanted, move |&wanted| {
                if wanted && !PLANNER.with(Cell::get) {
                    state.set(Loaded::Loading);
                    wasm_bindgen_futures::spawn_local(async move {
                        let ok = preload_planner().await.is_ok();
                        PLANNER.with(|c| c.set(ok));
                        state.set(if ok { Loaded::Yes } else { Loaded::Failed });
                    });
                }
            });
        }
        if PLANNER.with(Cell::get) {
            Loaded::Yes
        } else {
            *state
        }
    }
}
