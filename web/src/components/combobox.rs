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

/// Whether `value` is one `query` finds first (both already lowercase):
/// it starts with it, or its part after a `/` does (`shop/db` for `db`).
fn starts(value: &str, query: &str) -> bool {
    value.starts_with(query)
        || value
            .split_once('/')
            .is_some_and(|(_, n)| n.starts_with(query))
}

/// The indices of the `values` that match `query` (case-insensitive),
/// those that start with it first, then those that contain it, each in
/// the values' order; at most `limit`. An empty query matches the first
/// `limit`. Also the number of all matches.
pub fn matches<'a>(
    values: impl IntoIterator<Item = &'a str>,
    query: &str,
    limit: usize,
) -> (Vec<usize>, usize) {
    let q = query.trim().to_ascii_lowercase();
    let (mut first, mut then, mut total) = (Vec::new(), Vec::new(), 0);
    for (i, v) in values.into_iter().enumerate() {
        let v = v.to_ascii_lowercase();
        if starts(&v, &q) {
            total += 1;
            if first.len() < limit {
                first.push(i);
            }
        } else if v.contains(&q) {
            total += 1;
            if then.len() < limit {
                then.push(i);
            }
        }
    }
    first.extend(then);
    first.truncate(limit);
    (first, total)
}

/// One choice the list shows: what picking it writes into the field, and
/// a few words about it beside.
#[derive(Clone, PartialEq, Debug)]
pub struct Choice {
    /// What the field takes.
    pub value: String,
    /// Said beside it in the list (what it is).
    pub note: Option<String>,
}

/// The choices shown and how many match in all.
pub type Found = (Vec<Choice>, usize);

/// Finds the choices for what is typed, at most `limit`, and how many
/// match in all: for choices too many to list in advance (every pod of a
/// 150,000-pod cluster), asked only while the list is open.
#[derive(Clone)]
pub struct Search(pub Rc<SearchFn>);

/// What a [`Search`] calls: what is typed, the most to return.
pub type SearchFn = dyn Fn(&str, usize) -> Found;

impl PartialEq for Search {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
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
    /// Every choice (when there is no `search`).
    #[prop_or_default]
    pub options: Rc<Vec<String>>,
    /// Finds the choices instead of `options`.
    #[prop_or_default]
    pub search: Option<Search>,
    /// Said in the empty field (what an empty value means).
    #[prop_or_default]
    pub placeholder: Option<AttrValue>,
    /// Said in the list when nothing matches what is typed.
    #[prop_or(AttrValue::Static("Nothing matches."))]
    pub no_match: AttrValue,
    /// Every edit and every pick.
    pub on_change: Callback<String>,
}

/// The picker.
#[component]
pub fn Combobox(props: &ComboboxProps) -> Html {
    let open = use_state(|| false);
    let active = use_state(|| None::<usize>);
    // Looked up only while the list is open: a search may scan a big cluster.
    let (shown, total) = if *open {
        find(props, SHOWN)
    } else {
        (Vec::new(), 0)
    };
    let list_id = format!("{}-list", props.id);
    let option_id = |i: usize| format!("{}-option-{i}", props.id);
    let pick = {
        let (on_change, open, active) = (props.on_change.clone(), open.clone(), active.clone());
        Callback::from(move |value: String| {
            on_change.emit(value);
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
                // Closed, nothing is looked up yet: open on the first match.
                "ArrowDown" | "ArrowUp" if !*open => {
                    e.prevent_default();
                    open.set(true);
                    active.set((e.key() == "ArrowDown").then_some(0));
                }
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
                    if let Some(c) = active.and_then(|a| shown.get(a)) {
                        // Take the highlighted match, not submit the form.
                        e.prevent_default();
                        pick.emit(c.value.clone());
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
    // Open on what is typed even without a match, to say there is none;
    // closed once the text is the one match (nothing is left to choose, and
    // on a phone the list would cover the button beneath).
    let exact = total == 1 && shown.first().is_some_and(|c| c.value == props.value.trim());
    let expanded = *open && !exact && (!shown.is_empty() || !props.value.trim().is_empty());
    let descendant = active
        .filter(|_| expanded)
        .map(|a| AttrValue::from(option_id(a)));
    // The list just opened below the fold (a short iframe, a phone), or the
    // highlighted option left the list's scroll box: bring it into view.
    // aria-activedescendant moves no focus, so nothing else scrolls it.
    {
        let target = descendant
            .clone()
            .map_or_else(|| list_id.clone(), |d| d.to_string());
        use_effect_with((expanded, descendant.clone()), move |(expanded, _)| {
            if *expanded {
                scroll_nearest(&target);
            }
        });
    }
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
                    { for shown.iter().enumerate().map(|(k, c)| {
                        let (pick, value) = (pick.clone(), c.value.clone());
                        // On mousedown, before the field's blur closes the list.
                        let onmousedown = Callback::from(move |e: MouseEvent| {
                            e.prevent_default();
                            pick.emit(value.clone());
                        });
                        let selected = *active == Some(k);
                        html! {
                            <li id={option_id(k)} role="option" aria-selected={selected.to_string()}
                                class={classes!(selected.then_some("is-active"))} {onmousedown}>
                                { c.value.clone() }
                                if let Some(n) = &c.note { { " " }<span class="combobox__note">{ n.clone() }</span> }
                            </li>
                        }
                    }) }
                    if shown.is_empty() {
                        <li class="combobox__more" role="presentation">{ props.no_match.clone() }</li>
                    }
                    if total > shown.len() {
                        <li class="combobox__more" role="presentation">{ format!("{} more: type to narrow", total - shown.len()) }</li>
                    }
                </ul>
            }
        </div>
    }
}

/// Scrolls the element `id` into view, as little as it takes.
fn scroll_nearest(id: &str) {
    if let Some(el) = gloo::utils::document().get_element_by_id(id) {
        let options = web_sys::ScrollIntoViewOptions::new();
        options.set_block(web_sys::ScrollLogicalPosition::Nearest);
        options.set_inline(web_sys::ScrollLogicalPosition::Nearest);
        el.scroll_into_view_with_scroll_into_view_options(&options);
    }
}

/// The choices for what the field holds: the search's, or the matching
/// `options`.
fn find(props: &ComboboxProps, limit: usize) -> Found {
    if let Some(Search(search)) = &props.search {
        return search(&props.value, limit);
    }
    let (shown, total) = matches(
        props.options.iter().map(String::as_str),
        &props.value,
        limit,
    );
    let choices = shown
        .into_iter()
        .filter_map(|i| props.options.get(i))
        .map(|o| Choice {
            value: o.clone(),
            note: None,
        })
        .collect();
    (choices, total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_matches_come_before_the_rest() {
        let o = ["c5.large", "m5.large", "m5.xlarge", "r5.large", "m5a.large"];
        let (shown, total) = matches(o, "M5", 10);
        assert_eq!(shown, vec![1, 2, 4]);
        assert_eq!(total, 3);
        let (shown, total) = matches(o, "large", 2);
        assert_eq!((shown, total), (vec![0, 1], 5));
    }

    #[test]
    fn a_name_after_its_namespace_counts_as_a_prefix() {
        let o = ["shop/web-db", "shop/db", "tools/client"];
        assert_eq!(matches(o, "db", 10), (vec![1, 0], 2));
        assert_eq!(matches(o, "shop/", 10), (vec![0, 1], 2));
    }

    #[test]
    fn an_empty_query_lists_the_first_ones() {
        let o = ["a", "b", "c"];
        assert_eq!(matches(o, "", 2), (vec![0, 1], 3));
        assert_eq!(matches(o, "zz", 2), (vec![], 0));
    }
}
