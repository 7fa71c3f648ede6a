//! AWS subnet arithmetic through the model's public API, as the page and the
//! CLI use it.

use podnet_model::{ReservedRole, SubnetSummary};

#[test]
fn a_slash_24_leaves_251_addresses_and_keeps_the_documented_five() {
    let s = SubnetSummary::parse("10.10.1.0/24").unwrap();
    assert_eq!((s.total, s.usable), (256, 251));
    let roles: Vec<ReservedRole> = s.reserved.iter().map(|r| r.role).collect();
    assert_eq!(roles, ReservedRole::ALL.to_vec());
    assert_eq!(s.first_usable.to_string(), "10.10.1.4");
    assert_eq!(s.last_usable.to_string(), "10.10.1.254");
}

#[test]
fn the_summary_serialises_for_scripts() {
    let s = SubnetSummary::parse("10.10.1.0/28").unwrap();
    let json = serde_json::to_value(&s).unwrap();
    assert_eq!(json["usable"], 11);
    assert_eq!(json["reserved"][2]["role"], "amazon-dns");
    assert_eq!(json["reserved"][2]["addr"], "10.10.1.2");
}
