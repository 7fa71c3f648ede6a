//! Tests of `IpPool`; this file is a test module (`#[cfg(test)] mod tests`
//! in ipam.rs), never compiled into podnet.

use super::*;
use proptest::prelude::*;
use std::collections::BTreeMap;

fn pool(cidr: &str) -> IpPool {
    IpPool::new(cidr.parse().unwrap())
}

fn ip(s: &str) -> Ipv4Addr {
    s.parse().unwrap()
}

#[test]
fn a_new_pool_holds_only_the_five_reserved_addresses() {
    let p = pool("10.10.1.0/24");
    assert_eq!((p.usable(), p.in_use(), p.free()), (251, 0, 251));
    assert_eq!(
        p.holder(ip("10.10.1.1")),
        Some(Holder::Reserved(ReservedRole::VpcRouter))
    );
    assert_eq!(p.holder(ip("10.10.1.4")), None);
    assert_eq!(p.holders().count(), 5);
}

#[test]
fn allocate_takes_the_lowest_free_address_and_remembers_the_holder() {
    let mut p = pool("10.10.1.0/24");
    assert_eq!(
        p.allocate(Holder::EniPrimary(EniId(1))).unwrap(),
        ip("10.10.1.4")
    );
    assert_eq!(
        p.allocate(Holder::Secondary(EniId(1))).unwrap(),
        ip("10.10.1.5")
    );
    assert_eq!(p.holder(ip("10.10.1.5")), Some(Holder::Secondary(EniId(1))));
    assert_eq!(
        p.release(ip("10.10.1.4")),
        Some(Holder::EniPrimary(EniId(1)))
    );
    assert_eq!(
        p.allocate(Holder::Secondary(EniId(2))).unwrap(),
        ip("10.10.1.4")
    );
    assert_eq!(p.in_use(), 2);
}

#[test]
fn a_full_subnet_refuses_with_insufficient_free_addresses() {
    let mut p = pool("10.10.1.0/28");
    assert_eq!(
        p.allocate_many(11, Holder::Secondary(EniId(1)))
            .unwrap()
            .len(),
        11
    );
    let err = p.allocate(Holder::Secondary(EniId(1))).unwrap_err();
    assert_eq!(
        err.to_string(),
        "subnet 10.10.1.0/28 has 0 free addresses, 1 requested (InsufficientFreeAddressesInSubnet: \
         The specified subnet does not have enough free addresses to satisfy the request.)"
    );
}

#[test]
fn allocate_many_is_all_or_nothing() {
    let mut p = pool("10.10.1.0/28");
    let err = p
        .allocate_many(12, Holder::Secondary(EniId(1)))
        .unwrap_err();
    assert_eq!(
        err,
        AllocError::InsufficientFreeAddressesInSubnet {
            subnet: p.cidr(),
            requested: 12,
            free: 11
        }
    );
    assert_eq!(p.in_use(), 0);
}

#[test]
fn reserved_addresses_cannot_be_released() {
    let mut p = pool("10.10.1.0/24");
    assert_eq!(p.release(ip("10.10.1.2")), None);
    assert_eq!(
        p.holder(ip("10.10.1.2")),
        Some(Holder::Reserved(ReservedRole::AmazonDns))
    );
}

#[test]
fn prefixes_are_aligned_and_skip_blocks_with_reserved_addresses() {
    let mut p = pool("10.10.1.0/24");
    // .0/28 holds four reserved addresses; the first free aligned block is .16/28.
    let first = p.allocate_prefix(Holder::Prefix(EniId(1))).unwrap();
    assert_eq!(first.to_string(), "10.10.1.16/28");
    assert_eq!(p.in_use(), 16);
    // 256 / 16 = 16 blocks, minus the first and last (reserved) = 14.
    assert_eq!(p.free_prefixes(), 13);
    p.release_prefix(first);
    assert_eq!((p.in_use(), p.free_prefixes()), (0, 14));
}

#[test]
fn a_fragmented_subnet_refuses_prefixes_with_insufficient_cidr_blocks() {
    let mut p = pool("10.10.1.0/24");
    // One secondary IP in every /28 leaves 237 addresses free but no whole block.
    for block in 0..16u32 {
        let addr = Ipv4Addr::from(u32::from(ip("10.10.1.0")) + block * 16 + 5);
        if p.holder(addr).is_none() {
            p.take(block * 16 + 5, Holder::Secondary(EniId(9)));
        }
    }
    assert_eq!(p.free(), 235);
    let err = p.allocate_prefix(Holder::Prefix(EniId(1))).unwrap_err();
    assert_eq!(
        err.to_string(),
        "subnet 10.10.1.0/24 has no free aligned /28 block (235 addresses free, but not 16 contiguous on a /28 boundary) \
         (InsufficientCidrBlocks: The specified subnet does not have enough free cidr blocks to satisfy the request.)"
    );
}

#[test]
fn a_slash_16_fills_up_completely() {
    let mut p = pool("100.64.0.0/16");
    let mut last = None;
    for _ in 0..65_531 {
        last = Some(p.allocate(Holder::Secondary(EniId(1))).unwrap());
    }
    assert_eq!(last, Some(ip("100.64.255.254")));
    assert_eq!(p.free(), 0);
    assert!(p.allocate(Holder::Secondary(EniId(1))).is_err());
}

#[derive(Debug, Clone)]
enum Op {
    Alloc,
    Prefix,
    Release(u32),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => Just(Op::Alloc),
        1 => Just(Op::Prefix),
        3 => (0u32..1024).prop_map(Op::Release),
    ]
}

proptest! {
    #[test]
    fn the_pool_agrees_with_a_naive_model(prefix in 22u8..=28, ops in proptest::collection::vec(op(), 0..300)) {
        let cidr = Ipv4Net::new(ip("10.20.0.0"), prefix).unwrap();
        let mut p = IpPool::new(cidr);
        let size = total_count(cidr) as u32;
        let mut naive: BTreeMap<u32, Holder> = BTreeMap::new();
        for r in reserved_addresses(cidr) {
            naive.insert(u32::from(r.addr) - u32::from(cidr.network()), Holder::Reserved(r.role));
        }
        for op in ops {
            match op {
                Op::Alloc => {
                    let want = (0..size).find(|o| !naive.contains_key(o));
                    match (p.allocate(Holder::Secondary(EniId(1))), want) {
                        (Ok(a), Some(o)) => {
                            prop_assert_eq!(a, p.addr_at(o));
                            naive.insert(o, Holder::Secondary(EniId(1)));
                        }
                        (Err(_), None) => {}
                        (got, want) => prop_assert!(false, "allocate gave {:?}, naive {:?}", got, want),
                    }
                }
                Op::Prefix => {
                    let want = (0..size / 16).map(|b| b * 16).find(|s| (*s..s + 16).all(|o| !naive.contains_key(&o)));
                    match (p.allocate_prefix(Holder::Prefix(EniId(2))), want) {
                        (Ok(net), Some(s)) => {
                            prop_assert_eq!(net.network(), p.addr_at(s));
                            for o in s..s + 16 {
                                naive.insert(o, Holder::Prefix(EniId(2)));
                            }
                        }
                        (Err(_), None) => {}
                        (got, want) => prop_assert!(false, "prefix gave {:?}, naive {:?}", got, want),
                    }
                }
                Op::Release(o) => {
                    let o = o % size;
                    let expected = match naive.get(&o) {
                        Some(Holder::Reserved(_)) | None => None,
                        Some(h) => Some(*h),
                    };
                    prop_assert_eq!(p.release(p.addr_at(o)), expected);
                    if expected.is_some() {
                        naive.remove(&o);
                    }
                }
            }
            prop_assert_eq!(p.in_use() + 5, naive.len() as u32);
            prop_assert_eq!(p.in_use() + p.free(), p.usable());
        }
    }
}
