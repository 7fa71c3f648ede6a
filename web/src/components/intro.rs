//! "What am I looking at" and "About this model": the page explains itself.

use podnet_model::cni::Cni as _;
use yew::prelude::*;

use crate::app::ViewProps;

/// Where the page remembers that the learner closed the introduction.
const CLOSED_KEY: &str = "podnet.intro-closed";

/// Two collapsible panels above the map.
#[component]
pub fn Intro(props: &ViewProps) -> Html {
    let cni = &props.state.sandbox().cni;
    let overlay = cni.strategy().pod_range().map(|range| {
        let datapath = cni.strategy().datapath();
        format!("This cluster runs {} instead: pods take addresses from {range}, the CNI's own range, not from the VPC. Pods still reach each other without NAT — the CNI carries them: {} — but the VPC and the control plane cannot route to pod IPs, so webhooks need hostNetwork. Compare with the CNI panel.", cni.strategy().name(), datapath.encapsulation)
    });
    // Open on a first visit; closed again once the learner closed it.
    let open = use_state(|| crate::persist::stored(CLOSED_KEY).is_none());
    let ontoggle = {
        let open = open.clone();
        Callback::from(move |e: Event| {
            use gloo::storage::{LocalStorage, Storage};
            let now = e
                .target_dyn_into::<web_sys::HtmlDetailsElement>()
                .is_some_and(|d| d.open());
            let storage = LocalStorage::raw();
            let _ = if now {
                storage.remove_item(CLOSED_KEY)
            } else {
                storage.set_item(CLOSED_KEY, "1")
            };
            open.set(now);
        })
    };
    html! {
        <section class="intro" aria-label="Introduction">
            <details class="intro__panel" open={*open} {ontoggle}>
                <summary>{ "What am I looking at?" }</summary>
                <p>{ "A VPC on AWS with an EKS cluster. The dashed box on top is the EKS control plane: its API servers run in EKS's own account and reach into your VPC through two X-ENIs, requester-managed ENIs in your account and cluster subnets, each holding one of their addresses. Below, each column is an Availability Zone; each card is a subnet with its nodes." }</p>
                <p>{ "With the AWS VPC CNI every pod gets a real VPC address from a node's ENI, so any pod reaches any other pod — and the control plane reaches pods — without NAT: the flat pod network. ipamd keeps addresses warm so new pods start fast; warm addresses still come out of the subnet." }</p>
                if let Some(text) = overlay { <p class="intro__overlay">{ text }</p> }
                if let Some(note) = cni.strategy().intro_note() {
                    <p class="intro__overlay">{ note }</p>
                }
                <p>{ try_it(cni) }</p>
            </details>
            <details class="intro__panel">
                <summary>{ "About this model" }</summary>
                <ul>
                    <li>{ "Numbers follow the AWS VPC CNI's instance table (1,391 types, default network card) and its documented rules: ENIs × (IPs per ENI − 1) pod addresses; WARM_ENI_TARGET, WARM_IP_TARGET, MINIMUM_IP_TARGET, WARM_PREFIX_TARGET, the 30 s IP cooldown." }</li>
                    <li>{ "ipamd's 5-second loop runs as steps of simulated time; EC2 answers at once (no API latency, no throttling)." }</li>
                    <li>{ "After an action, ipamd runs on the nodes it touched until they settle; \"Wait\" and \"Play time\" let every node's ipamd run (releases, cooldowns): filling the warm pool happens at once after an action, so Play shows what time alone does." }</li>
                    <li>{ "EC2 picks free addresses in an unspecified order; podnet takes the lowest free one so replays match exactly. ENIs are used in device-index order (the real datastore walks a map)." }</li>
                    <li>{ "Each node runs the aws-node (or the overlay's agent) and kube-proxy DaemonSet pods (host network, the \"+2\"). Other pods are bare pods; deleting a node reschedules its pods." }</li>
                    <li>{ "Every cluster runs CoreDNS's two replicas (the EKS add-on, in kube-system): they are Pending until a node is Ready, then take pod addresses like any pod, so the first node's ipamd attaches its second ENI at once. They cannot be deleted here (the Deployment would start another)." }</li>
                    <li>{ "NetworkPolicy: verdicts follow the API (Kubernetes docs, the upstream e2e truth tables), decided at once: the VPC CNI's standard mode lets a new pod talk for a moment before its policies apply, which podnet does not show; strict mode is read from the VPC CNI README (\"a network policy defined for every pod\"), so a pod no policy selects is denied both ways. A pod's own node always reaches it; what a pod sends to its own node is always allowed under the VPC CNI's agent (the Kubernetes docs' rule, which the agent follows), but goes through the pod's egress policy under Cilium and Calico, as their code does (Cilium pkg/policy mapstate.go allows localhost on ingress only; Calico felix rules/static.go runs the pod's egress policy on what it sends to its host). There are no Services: pods reach CoreDNS by its pod addresses, which is also what the policy agents see after kube-proxy's DNAT. An ipBlock matches pod addresses too, as the API and the e2e tests say, except under Cilium, which matches pods (and, unless policy-cidr-match-mode says nodes, nodes) by identity only; Cilium's documented gaps (endPort, SCTP) are evaluated as the API says, with a warning. Calico for policy only on the VPC CNI enforces like Calico, and leaves pods with their own security groups to those (their rules are not modelled)." }</li>
                    <li>{ "A node's join happens in one step, in the real order: registered NotReady with the node.kubernetes.io/not-ready:NoSchedule taint, its DaemonSet pods (which tolerate it), ipamd's first pass, the CNI config, Ready, and only then the Pending pods. The kubelet, EC2 and the scheduler answer at once." }</li>
                    <li>{ "A Ready node that loses the API server is NotReady here at once. On a real cluster the kubelet cannot say so: the node lifecycle controller marks it Unknown after node-monitor-grace-period (50 s since Kubernetes 1.32, kubernetes/kubernetes#126287; 40 s before), taints it node.kubernetes.io/unreachable, and evicts its pods once their toleration of that taint runs out: 300 s, the DefaultTolerationSeconds admission plugin's default (DaemonSet pods tolerate it for ever; Kubernetes docs, \"Taint based evictions\"); podnet keeps its pods where they are." }</li>
                    <li>{ "Scheduling: every pod has the same priority, so kube-scheduler's preemption never finds a victim (\"No preemption victims found for incoming pod\"); on a real cluster CoreDNS (system-cluster-critical) would evict an application pod from a full node rather than wait." }</li>
                    <li>{ "Max pods comes from where a real node gets it: a managed node group (the default here: EKS uses the max-pods calculator's rule, counting prefix delegation, capped at 110 below 30 vCPUs and 250 above; it does not subtract the primary ENI for custom networking), nodeadm's default on a self-managed node (the plain ENI formula, whatever the CNI), or a value set by hand. vCPUs come from Karpenter's generated instance-type reference; 21 types have none and get no cap." }</li>
                    <li>{ "X-ENIs: EKS puts two in two of the cluster subnets, in two AZs; which two is not documented (podnet takes the first subnet of each of the first two AZs), and podnet does not scale them to four. An upgrade or new cluster subnets need 5 free addresses in each cluster subnet, EKS's own refusal; the EKS guide only says \"up to five\"." }</li>
                    <li>{ "CNIs: the AWS VPC CNI (secondary IPs, prefix delegation, custom networking, security groups for pods), Flannel (on EKS only with flanneld's own etcd subnet manager: the stock --kube-subnet-mgr finds no node pod CIDR and fails with \"pod cidr not assigned\"), Calico with its own IPAM and Cilium with cluster-pool IPAM (overlays), and Cilium's ENI mode. Another strategy replays the scenario, since nodes choose their CNI when they boot; for Cilium and Calico the page picks a pool that fits the VPC (Cilium's Helm default 10.0.0.0/8 collides with 10.x VPCs)." }</li>
                    <li>{ "Security groups for pods: the VPC Resource Controller creates and deletes trunk and branch ENIs at once (no EC2 latency, no cooldown before a branch ENI is deleted). Its branch-ENI table is the controller's limits.go generated 2026-03-20: 228 catalog types newer than it (c9g, m9g, g7, …) count as not trunking-compatible, as that controller would treat them." }</li>
                    <li>{ "Cilium ENI mode: the operator acts on each node every 5 s, one allocation at a time, and does not surge for pending pods. Without subnet-ids or subnet-tags, a new ENI goes in the node's subnet while that has an ENI's worth of addresses free, else in the roomiest subnet of the AZ, whatever its tags or routes (findSuitableSubnet); the operator sees every subnet's free count as it is." }</li>
                    <li>{ "Routes: each subnet's route table has the local route and at most a 0.0.0.0/0 to the internet gateway or a NAT gateway; instances in a public subnet get a public IPv4 address; interface endpoints have no security group of their own; an instance whose nodeadm gave up comes back once the setting is fixed (a real one must be replaced). Scenarios written before route tables (format 1) and the planner assume a way out." }</li>
                    <li>{ "Paths: security groups are only the two rules EKS needs (443 to the API server, 10250 to kubelets); routing without encapsulation inside one subnet assumes the EC2 source/destination check is off; the endpoint's ID is made up from the cluster name." }</li>
                    <li>{ "Planner: each group's nodes are spread round-robin over the AZs, every group's update surge (up to two nodes per AZ) is planned at once, every node runs its full pods per node, the AZs are named eu-west-1a, b, …, and each cluster subnet keeps room for two X-ENIs plus the five upgrade addresses. What a node holds is measured by running one in this model." }</li>
                    <li>{ "Calico picks the free block a node claims, and the block it borrows from, at random (seeded by the host name); podnet takes the lowest, so replays match." }</li>
                </ul>
            </details>
        </section>
    }
}

/// What to try first, in the running CNI's terms: what runs out after
/// max pods, and what the kubelet then reports.
fn try_it(cni: &podnet_model::CniMode) -> String {
    use podnet_model::cni::Addressing;
    let dry = match cni.strategy().addressing() {
        Addressing::Enis(e) => format!(
            "its subnet runs dry (ContainerCreating, {})",
            e.no_address_failure()
        ),
        Addressing::NodeRanges(_) => "its pod CIDR fills up (ContainerCreating: the CNI's IPAM has no free address in the node's range; the subnet does not run dry, as pod addresses are not VPC addresses)".to_owned(),
        Addressing::Blocks(_) => "the IP pool's blocks run out (ContainerCreating: Calico IPAM cannot claim another block; the subnet does not run dry, as pod addresses are not VPC addresses)".to_owned(),
    };
    format!("Try it: add pods until a node is full (Pending, Too many pods) or {dry}. Click anything to inspect it; every number has a why.")
}
