//! The "Subnet CIDR" calculator: type a CIDR, see what AWS leaves you.

use podnet_model::addr::group_thousands;
use podnet_model::{CidrError, SubnetSummary};
use web_sys::HtmlInputElement;
use yew::prelude::*;

use super::AddressStrip;

/// Properties of [`SubnetCalculator`].
#[derive(Properties, PartialEq)]
pub struct SubnetCalculatorProps {
    /// The CIDR the input starts with.
    #[prop_or_else(|| AttrValue::from("10.10.1.0/24"))]
    pub initial: AttrValue,
}

/// A labelled CIDR input whose result (or error) updates as you type.
#[component]
pub fn SubnetCalculator(props: &SubnetCalculatorProps) -> Html {
    // An input draft is view-only state (STYLE.md §5); the model does the math.
    let draft = use_state(|| props.initial.to_string());
    let oninput = {
        let draft = draft.clone();
        Callback::from(move |e: InputEvent| {
            draft.set(e.target_unchecked_into::<HtmlInputElement>().value());
        })
    };
    let result = SubnetSummary::parse(&draft);
    html! {
        <section class="subnet-calculator" aria-labelledby="subnet-calculator-title">
            <h2 id="subnet-calculator-title">{ "How many addresses does a subnet really have?" }</h2>
            <p class="subnet-calculator__lead">
                { "AWS keeps five addresses of every subnet. Type a subnet's CIDR (/16 to /28) to see which five, and what is left for nodes, pods and the control plane's ENIs." }
            </p>
            <label class="subnet-calculator__label" for="subnet-cidr">{ "Subnet CIDR" }</label>
            <input id="subnet-cidr" class={classes!("subnet-calculator__input", result.is_err().then_some("is-invalid"))}
                   type="text" value={(*draft).clone()} {oninput}
                   spellcheck="false" autocomplete="off" inputmode="decimal"
                   aria-invalid={result.is_err().to_string()}
                   aria-describedby="subnet-cidr-result" />
            <div id="subnet-cidr-result" class="subnet-calculator__result" aria-live="polite">
                { match &result {
                    Ok(summary) => summary_view(summary),
                    Err(err) => error_view(err),
                } }
            </div>
        </section>
    }
}

fn error_view(err: &CidrError) -> Html {
    html! { <p class="subnet-calculator__error" role="alert">{ err.to_string() }</p> }
}

fn summary_view(s: &SubnetSummary) -> Html {
    html! {
        <>
            <p class="subnet-calculator__headline">
                <strong class="subnet-calculator__usable">{ group_thousands(s.usable.into()) }</strong>
                { format!(" usable of {} addresses in {}", group_thousands(s.total.into()), s.cidr) }
            </p>
            <p class="subnet-calculator__range">
                { format!("Assignable: {} to {}", s.first_usable, s.last_usable) }
            </p>
            <table class="subnet-calculator__reserved">
                <caption>{ "The 5 addresses AWS reserves" }</caption>
                <thead><tr><th scope="col">{ "Address" }</th><th scope="col">{ "Why" }</th></tr></thead>
                <tbody>
                    { for s.reserved.iter().map(|r| html! {
                        <tr><td><code>{ r.addr.to_string() }</code></td><td>{ r.role.description() }</td></tr>
                    }) }
                </tbody>
            </table>
            <AddressStrip summary={s.clone()} />
        </>
    }
}
