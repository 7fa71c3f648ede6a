//! An exercise in the words of the page: each scenario action named by
//! the control that does it, and the controls of the actions an exercise
//! does not use marked unavailable, with the reason (on hover, and for
//! screen readers by `aria-describedby`).

use yew::prelude::*;

use crate::app::ViewProps;
use crate::state::AppState;

/// Whether the page is an embedded exercise's workbench: its goals, and
/// beside them only the controls of the actions it uses, compact, so that
/// all of them fit one iframe-high screen.
pub fn toolbox(props: &ViewProps) -> bool {
    props.options.embed && !props.options.read_only && props.state.exercise.is_some()
}

/// A form's optional fields: as they are, except in an exercise's toolbox,
/// where they wait behind a closed "More options" (`what` names them).
pub fn more(props: &ViewProps, what: &str, fields: Html) -> Html {
    if toolbox(props) {
        html! {
            <details class="form__more">
                <summary>{ format!("More {what} options") }</summary>
                { fields }
            </details>
        }
    } else {
        fields
    }
}

/// Whether the part of a form that does `action` is drawn: always, except
/// in an exercise's toolbox, which leaves out what the exercise does not use.
pub fn shows(props: &ViewProps, action: &str) -> bool {
    !toolbox(props) || refusal(&props.state, action).is_none()
}

/// The control that does `action` (a scenario action id), as the page
/// names it.
pub fn control_name(action: &str) -> &'static str {
    match action {
        "add-vpc-cidr" => "Add VPC block",
        "add-subnet" => "Add subnet",
        "create-cluster" => "creating the cluster",
        "upgrade-control-plane" => "Upgrade control plane",
        "add-node" => "Add node",
        "add-pods" => "Add pods",
        "add-namespace" => "Add namespace",
        "set-labels" => "Set labels",
        "apply-network-policy" => "Apply policy",
        "delete-network-policy" => "Delete (a policy)",
        "delete-pod" => "Delete (a pod, in the inspector)",
        "delete-node" => "Delete node",
        "set-cni" => "Apply CNI settings",
        "advance-time" => "Wait 30 s and Wait 3 min",
        "set-vpc-dns" => "VPC DNS resolution and hostnames",
        "set-endpoint-access" => "Endpoint access",
        "set-node-access" => "Node role mapped by",
        "set-security-groups" => "the security group rules",
        "set-dhcp-options" => "DHCP option set",
        "add-internet-gateway" => "Attach internet gateway",
        "add-nat-gateway" => "Add NAT gateway",
        "set-route" => "Set route",
        "add-vpc-endpoint" => "turning a VPC endpoint on",
        "delete-vpc-endpoint" => "turning a VPC endpoint off",
        "update-cluster-subnets" => "Change cluster subnets",
        "set-public-access-cidrs" => "Set public access CIDRs",
        "set-authentication-mode" => "Authentication mode",
        _ => "this control",
    }
}

/// `a, b and c`.
pub fn and_list(items: &[&str]) -> String {
    match items {
        [] => String::new(),
        [one] => (*one).to_owned(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

/// Why the open exercise does not let `action` run, if it does not.
pub fn refusal(state: &AppState, action: &str) -> Option<String> {
    let ex = &state.exercise.as_ref()?.exercise;
    if ex.allows_action(action) {
        return None;
    }
    let names: Vec<&str> = ex.allowed_actions.iter().map(|a| control_name(a)).collect();
    Some(format!(
        "This exercise does not use {}: it lets you use {}.",
        control_name(action),
        and_list(&names)
    ))
}

/// The attributes that mark a control unavailable in the open exercise:
/// `aria-disabled` (it stays focusable, so the reason can be read), a
/// title, and the id of the hidden element holding the reason.
pub struct Lock {
    /// `aria-disabled`.
    pub disabled: Option<AttrValue>,
    /// The reason, as a tooltip.
    pub title: Option<AttrValue>,
    /// `aria-describedby`.
    pub described_by: Option<AttrValue>,
    /// The hidden reason, to render beside the control.
    pub note: Html,
}

/// The lock on the control of `action` (`id` names its reason element).
pub fn lock(state: &AppState, action: &str, id: &str) -> Lock {
    Lock::from_refusal(refusal(state, action), id)
}

impl Lock {
    /// The lock for a refusal found elsewhere (a component given it as a
    /// prop); none when `refusal` is `None`.
    pub fn from_refusal(refusal: Option<String>, id: &str) -> Self {
        match refusal {
            None => Self {
                disabled: None,
                title: None,
                described_by: None,
                note: html! {},
            },
            Some(reason) => Self {
                disabled: Some("true".into()),
                title: Some(reason.clone().into()),
                described_by: Some(id.to_owned().into()),
                note: html! { <span id={id.to_owned()} class="visually-hidden">{ reason }</span> },
            },
        }
    }
}

/// A control's id for its reason element: `lock-add-pods`.
fn note_id(label: &str) -> String {
    let slug: String = label
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    format!("lock-{slug}")
}

/// A form's submit button for `action`, marked unavailable when the open
/// exercise does not use it.
pub fn submit(state: &AppState, action: &str, label: &'static str) -> Html {
    let l = lock(state, action, &note_id(label));
    html! {
        <>
            <button type="submit" aria-disabled={l.disabled} title={l.title} aria-describedby={l.described_by}>{ label }</button>
            { l.note }
        </>
    }
}

/// A button for `action`, marked unavailable when the open exercise does
/// not use it.
pub fn button(
    state: &AppState,
    action: &str,
    label: &'static str,
    onclick: Callback<MouseEvent>,
) -> Html {
    let l = lock(state, action, &note_id(label));
    html! {
        <>
            <button type="button" {onclick} aria-disabled={l.disabled} title={l.title} aria-describedby={l.described_by}>{ label }</button>
            { l.note }
        </>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_has_the_name_of_its_control() {
        for a in podnet_model::command::ACTIONS {
            assert_ne!(control_name(a), "this control", "{a}");
        }
    }

    #[test]
    fn lists_read_as_prose() {
        assert_eq!(and_list(&["Add node"]), "Add node");
        assert_eq!(
            and_list(&["Add subnet", "Add node", "Add pods"]),
            "Add subnet, Add node and Add pods"
        );
    }
}
