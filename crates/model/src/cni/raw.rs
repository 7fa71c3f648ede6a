//! [`CniMode`] from JSON through one flat struct: every setting of every
//! CNI, optional; the `cni` tag says which apply, and missing ones take the
//! strategy's defaults (the same as each struct's serde defaults).

use std::collections::BTreeMap;

use serde::de::Error as _;
use serde::{Deserialize, Deserializer};

use super::calico::CalicoEncapsulation;
use super::cilium::CiliumRouting;
use super::flannel::FlannelBackend;
use super::{Calico, Cilium, CiliumEni, CniMode, Flannel, VpcCni};

#[derive(Deserialize, Default)]
#[serde(
    deny_unknown_fields,
    expecting = "CNI settings such as {\"cni\": \"aws-vpc-cni\", …}"
)]
struct RawCni {
    cni: String,
    warm_eni_target: Option<u32>,
    warm_ip_target: Option<u32>,
    minimum_ip_target: Option<u32>,
    warm_prefix_target: Option<u32>,
    max_eni: Option<u32>,
    prefix_delegation: Option<bool>,
    ip_cooldown_s: Option<u32>,
    subnet_discovery: Option<bool>,
    custom_networking: Option<bool>,
    eni_configs: Option<BTreeMap<String, String>>,
    pod_eni: Option<bool>,
    external_snat: Option<bool>,
    pod_sg_enforcing_mode: Option<super::vpc_cni::PodSgMode>,
    enable_network_policy: Option<bool>,
    network_policy_enforcing_mode: Option<super::vpc_cni::NetworkPolicyMode>,
    calico_policy: Option<bool>,
    network: Option<String>,
    subnet_len: Option<u8>,
    backend: Option<FlannelBackend>,
    subnet_manager: Option<super::flannel::FlannelSubnetManager>,
    pool: Option<String>,
    mask_size: Option<u8>,
    routing: Option<CiliumRouting>,
    block_size: Option<u8>,
    encapsulation: Option<CalicoEncapsulation>,
    strict_affinity: Option<bool>,
    max_blocks_per_host: Option<u32>,
    pre_allocate: Option<u32>,
    min_allocate: Option<u32>,
    max_allocate: Option<u32>,
    max_above_watermark: Option<u32>,
    release_excess_ips: Option<bool>,
    excess_ip_release_delay_s: Option<u32>,
    first_interface_index: Option<u32>,
}

/// The `cni` tags, in the order pickers list them (and serde names them).
#[cfg(not(test))]
pub(crate) const CNIS: &[&str] = &["aws-vpc-cni", "flannel", "calico", "cilium", "cilium-eni"];
/// … and the test CNI's.
#[cfg(test)]
pub(crate) const CNIS: &[&str] = &[
    "aws-vpc-cni",
    "flannel",
    "calico",
    "cilium",
    "cilium-eni",
    "static-routes",
];

impl<'de> Deserialize<'de> for CniMode {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let r = RawCni::deserialize(deserializer)?;
        let tag = r.cni.clone();
        build(r).ok_or_else(|| D::Error::unknown_variant(&tag, CNIS))
    }
}

/// The strategy tagged `tag`, with its defaults.
pub(super) fn defaults(tag: &str) -> Option<CniMode> {
    build(RawCni {
        cni: tag.to_owned(),
        ..RawCni::default()
    })
}

/// The settings `r` states, the rest at their defaults; `None` for an
/// unknown tag.
fn build(r: RawCni) -> Option<CniMode> {
    Some({
        match r.cni.as_str() {
            "aws-vpc-cni" => {
                let d = VpcCni::default();
                CniMode::AwsVpcCni(VpcCni {
                    warm_eni_target: r.warm_eni_target.unwrap_or(d.warm_eni_target),
                    warm_ip_target: r.warm_ip_target.unwrap_or(d.warm_ip_target),
                    minimum_ip_target: r.minimum_ip_target.unwrap_or(d.minimum_ip_target),
                    warm_prefix_target: r.warm_prefix_target.unwrap_or(d.warm_prefix_target),
                    max_eni: r.max_eni,
                    prefix_delegation: r.prefix_delegation.unwrap_or(d.prefix_delegation),
                    ip_cooldown_s: r.ip_cooldown_s.unwrap_or(d.ip_cooldown_s),
                    subnet_discovery: r.subnet_discovery.unwrap_or(d.subnet_discovery),
                    custom_networking: r.custom_networking.unwrap_or(d.custom_networking),
                    eni_configs: r.eni_configs.unwrap_or(d.eni_configs),
                    pod_eni: r.pod_eni.unwrap_or(d.pod_eni),
                    external_snat: r.external_snat.unwrap_or(d.external_snat),
                    pod_sg_enforcing_mode: r
                        .pod_sg_enforcing_mode
                        .unwrap_or(d.pod_sg_enforcing_mode),
                    enable_network_policy: r
                        .enable_network_policy
                        .unwrap_or(d.enable_network_policy),
                    network_policy_enforcing_mode: r
                        .network_policy_enforcing_mode
                        .unwrap_or(d.network_policy_enforcing_mode),
                    calico_policy: r.calico_policy.unwrap_or(d.calico_policy),
                })
            }
            "flannel" => {
                let d = Flannel::default();
                CniMode::Flannel(Flannel {
                    network: r.network.unwrap_or(d.network),
                    subnet_len: r.subnet_len.unwrap_or(d.subnet_len),
                    backend: r.backend.unwrap_or(d.backend),
                    subnet_manager: r.subnet_manager.unwrap_or(d.subnet_manager),
                })
            }
            "cilium" => {
                let d = Cilium::default();
                CniMode::Cilium(Cilium {
                    pool: r.pool.unwrap_or(d.pool),
                    mask_size: r.mask_size.unwrap_or(d.mask_size),
                    routing: r.routing.unwrap_or(d.routing),
                })
            }
            "calico" => {
                let d = Calico::default();
                CniMode::Calico(Calico {
                    pool: r.pool.unwrap_or(d.pool),
                    block_size: r.block_size.unwrap_or(d.block_size),
                    encapsulation: r.encapsulation.unwrap_or(d.encapsulation),
                    strict_affinity: r.strict_affinity.unwrap_or(d.strict_affinity),
                    max_blocks_per_host: r.max_blocks_per_host.unwrap_or(d.max_blocks_per_host),
                })
            }
            "cilium-eni" => {
                let d = CiliumEni::default();
                CniMode::CiliumEni(CiliumEni {
                    pre_allocate: r.pre_allocate.unwrap_or(d.pre_allocate),
                    min_allocate: r.min_allocate.unwrap_or(d.min_allocate),
                    max_allocate: r.max_allocate.unwrap_or(d.max_allocate),
                    max_above_watermark: r.max_above_watermark.unwrap_or(d.max_above_watermark),
                    release_excess_ips: r.release_excess_ips.unwrap_or(d.release_excess_ips),
                    excess_ip_release_delay_s: r
                        .excess_ip_release_delay_s
                        .unwrap_or(d.excess_ip_release_delay_s),
                    first_interface_index: r
                        .first_interface_index
                        .unwrap_or(d.first_interface_index),
                    prefix_delegation: r.prefix_delegation.unwrap_or(d.prefix_delegation),
                })
            }
            #[cfg(test)]
            "static-routes" => {
                let d = super::static_routes::StaticRoutes::default();
                CniMode::StaticRoutes(super::static_routes::StaticRoutes {
                    network: r.network.unwrap_or(d.network),
                    subnet_len: r.subnet_len.unwrap_or(d.subnet_len),
                })
            }
            _ => return None,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn modes() -> Vec<CniMode> {
        vec![
            CniMode::AwsVpcCni(VpcCni {
                warm_eni_target: 0,
                warm_ip_target: 3,
                minimum_ip_target: 10,
                warm_prefix_target: 2,
                max_eni: Some(2),
                prefix_delegation: true,
                ip_cooldown_s: 5,
                subnet_discovery: false,
                custom_networking: true,
                eni_configs: [("eu-west-1a".to_owned(), "pods-a".to_owned())].into(),
                pod_eni: true,
                external_snat: true,
                pod_sg_enforcing_mode: crate::cni::vpc_cni::PodSgMode::Standard,
                enable_network_policy: true,
                network_policy_enforcing_mode: crate::cni::vpc_cni::NetworkPolicyMode::Strict,
                calico_policy: true,
            }),
            CniMode::Flannel(Flannel {
                network: "10.200.0.0/16".into(),
                subnet_len: 25,
                backend: FlannelBackend::HostGw,
                subnet_manager: crate::cni::flannel::FlannelSubnetManager::Etcd,
            }),
            CniMode::Cilium(Cilium {
                pool: "192.168.0.0/16".into(),
                mask_size: 26,
                routing: CiliumRouting::Geneve,
            }),
            CniMode::Calico(Calico {
                pool: "172.16.0.0/16".into(),
                block_size: 28,
                encapsulation: CalicoEncapsulation::IpIp,
                strict_affinity: true,
                max_blocks_per_host: 4,
            }),
            CniMode::CiliumEni(CiliumEni {
                pre_allocate: 4,
                min_allocate: 10,
                max_allocate: 40,
                max_above_watermark: 2,
                release_excess_ips: true,
                excess_ip_release_delay_s: 60,
                first_interface_index: 1,
                prefix_delegation: true,
            }),
            CniMode::StaticRoutes(super::super::static_routes::StaticRoutes {
                network: "10.201.0.0/16".into(),
                subnet_len: 25,
            }),
        ]
    }

    #[test]
    fn every_setting_round_trips_and_missing_ones_take_the_defaults() {
        for mode in modes() {
            let json = serde_json::to_string(&mode).unwrap();
            let back: CniMode = serde_json::from_str(&json).unwrap();
            assert_eq!(back, mode, "{json}");
        }
        for (json, want) in [
            (
                r#"{"cni":"aws-vpc-cni"}"#,
                CniMode::AwsVpcCni(VpcCni::default()),
            ),
            (r#"{"cni":"flannel"}"#, CniMode::Flannel(Flannel::default())),
            (r#"{"cni":"cilium"}"#, CniMode::Cilium(Cilium::default())),
            (r#"{"cni":"calico"}"#, CniMode::Calico(Calico::default())),
            (
                r#"{"cni":"cilium-eni"}"#,
                CniMode::CiliumEni(CiliumEni::default()),
            ),
        ] {
            assert_eq!(
                serde_json::from_str::<CniMode>(json).unwrap(),
                want,
                "{json}"
            );
        }
        assert_eq!(CNIS.len(), modes().len());
        for m in modes() {
            let json = serde_json::to_value(&m).unwrap();
            assert_eq!(json["cni"], m.tag(), "tag() is the JSON tag");
        }
        let err = serde_json::from_str::<CniMode>(r#"{"cni":"weave"}"#)
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("unknown variant `weave`, expected one of `aws-vpc-cni`"),
            "{err}"
        );
    }
}
