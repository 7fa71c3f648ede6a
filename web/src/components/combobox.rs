//! A searchable picker (WAI-ARIA Authoring Practices, "Combobox" with list
//! autocomplete): a text field that lists at most [`SHOWN`] matches of what
//! is typed, instead of a `<select>` or `<datalist>` holding every choice
//! (1,391 instance types, or every node of a 5,000-node cluster). Arrow
//! keys move through the matches, Enter takes one, Escape closes the list;
//! the field keeps whatever is typed, so it still takes any value.

use std::rc::Rc;

use yew::prelude::*;

/// How many matches the list shows.
pub const SHOWN: usize = 8;

/// The indices of the `options` that match `query` (case-insensitive),
/// those that start with it first, then those that contain it, each in
/// the options' order; at most `limit`. An empty query matches the first
/// `limit`. Also the number of all matches.
pub fn matches(options: &[String], query: &str, limit: usize) -> (Vec<usize>, usize) {
    let q = query.trim().to_ascii_lowercase();
    let (mut starts, mut contains) = (Vec::new(), Vec::new());
    for (i, o) in options.iter().enumerate() {
        let o = o.to_ascii_lowercase();
        if o.starts_with(&q) {
            starts.push(i);
        } else if o.contains(&q) {
            contains.push(i);
        }
    }
    let total = starts.len() + contains.len();
    starts.extend(contains);
    starts.truncate(limit);
    (starts, total)
}

/// The props of [`Combobox`].
#[derive(Properties, PartialEq)]
pub struct ComboboxProps {
    /// The field's id; the list's and options' ids derive from it.
    pub id: AttrValue,
    /// The label (the field's accessible name).
    pub label: AttrValue,
    /// What the field holds.
    pub value: AttrValue,
    /// Every choice.
    pub options: Rc<Vec<String>>,
    /// Said in the empty field (what an empty value means).
    #[prop_or_default]
    pub placeholder: Option<AttrValue>,
    /// Every edit and every pick.
    pub on_change: Callback<String>,
}

/// The picker.
#[component]
pub fn Combobox(props: &ComboboxProps) -> Html {
    let open = use_state(|| false);
    let active = use_state(|| None::<usize>);
    let (shown, total) = matches(&props.options, &props.value, SHOWN);
    let list_id = format!("{}-list", props.id);
    let option_id = |i: usize| format!("{}-option-{i}", props.id);
    let pick = {
        let (on_change, open, active, options) = (
            props.on_change.clone(),
            open.clone(),
            active.clone(),
            props.options.clone(),
        );
        Callback::from(move |i: usize| {
            if let Some(o) = options.get(i) {
                on_change.emit(o.clone());
            }
            open.set(false);
            active.set(None);
        })
    };
    let oninput = {
        let (on_change, open, active) = (props.on_change.clone(), open.clone(), active.clone());
        Callback::from(move |e: InputEvent| {
            on_change.emit(
                e.target_unchecked_into::<web_sys::HtmlInputElement>()
                    .value(),
            );
            open.set(true);
            active.set(None);
        })
    };
    let onkeydown = {
        let (open, active, pick, shown) =
            (open.clone(), active.clone(), pick.clone(), shown.clone());
        Callback::from(move |e: KeyboardEvent| {
            let n = shown.len();
            match e.key().as_str() {
                "ArrowDown" | "ArrowUp" if n > 0 => {
                    e.prevent_default();
                    let down = e.key() == "ArrowDown";
                    let next = match (*active, down) {
                        (None, true) => 0,
                        (None, false) => n - 1,
                        (Some(a), true) => (a + 1) % n,
                        (Some(a), false) => (a + n - 1) % n,
                    };
                    open.set(true);
                    active.set(Some(next));
                }
                "Enter" if *open => {
                    if let Some(i) = active.and_then(|a| shown.get(a).copied()) {
                        // Take the highlighted match, not submit the form.
                        e.prevent_default();
                        pick.emit(i);
                    } else {
                        open.set(false);
                    }
                }
                "Escape" if *open => {
                    e.prevent_default();
                    open.set(false);
                    active.set(None);
                }
                _ => {}
            }
        })
    };
    let onblur = {
        let (open, active) = (open.clone(), active.clone());
        Callback::from(move |_: FocusEvent| {
            open.set(false);
            active.set(None);
        })
    };
    let onclick = {
        let open = open.clone();
        Callback::from(move |_: MouseEvent| open.set(true))
    };
    let expanded = *open && !shown.is_empty();
    let descendant = active
        .filter(|_| expanded)
        .map(|a| AttrValue::from(option_id(a)));
    html! {
        <div class="combobox">
            <label>{ props.label.clone() }
                <input id={props.id.clone()} type="text" role="combobox" aria-autocomplete="list"
                    aria-expanded={expanded.to_string()} aria-controls={list_id.clone()}
                    aria-activedescendant={descendant} value={props.value.clone()}
                    placeholder={props.placeholder.clone()} autocomplete="off" spellcheck="false"
                    {oninput} {onkeydown} {onblur} {onclick} />
            </label>
            if expanded {
                <ul id={list_id} class="combobox__list" role="listbox" aria-label={props.label.clone()}>
                    { for shown.iter().enumerate().map(|(k, &i)| {
                        let pick = pick.clone();
                        // On mousedown, before the field's blur closes the list.
                        let onmousedown = Callback::from(move |e: MouseEvent| {
                            e.prevent_default();
                            pick.emit(i);
                        });
                        let selected = *active == Some(k);
                        html! {
                            <li id={option_id(k)} role="option" aria-selected={selected.to_string()}
                                class={classes!(selected.then_some("is-active"))} {onmousedown}>
                                { props.options.get(i).cloned().unwrap_or_default() }
                            </li>
                        }
                    }) }
                    if total > shown.len() {
                        <li class="combobox__more" role="presentation">{ format!("{} more: type to narrow", total - shown.len()) }</li>
                    }
                </ul>
            }
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn prefix_matches_come_before_the_rest() {
        let o = names(&["c5.large", "m5.large", "m5.xlarge", "r5.large", "m5a.large"]);
        let (shown, total) = matches(&o, "M5", 10);
        assert_eq!(shown, vec![1, 2, 4]);
        assert_eq!(total, 3);
        let (shown, total) = matches(&o, "large", 2);
        assert_eq!((shown, total), (vec![0, 1], 5));
    }

    #[test]
    fn an_empty_query_lists_the_first_ones() {
        let o = names(&["a", "b", "c"]);
        assert_eq!(matches(&o, "", 2), (vec![0, 1], 3));
        assert_eq!(matches(&o, "zz", 2), (vec![], 0));
    }
}
