//! Benchmarks of the CIDR arithmetic (`cargo xtask bench`).

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use podnet_model::addr::parse_subnet_cidr;
use podnet_model::SubnetSummary;

fn parse_and_summarise(c: &mut Criterion) {
    c.bench_function("parse_subnet_cidr /24", |b| {
        b.iter(|| parse_subnet_cidr(black_box("10.10.1.0/24")))
    });
    c.bench_function("SubnetSummary::parse /16", |b| {
        b.iter(|| SubnetSummary::parse(black_box("10.10.0.0/16")))
    });
}

criterion_group!(benches, parse_and_summarise);
criterion_main!(benches);
