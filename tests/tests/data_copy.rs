//! The project ships its own copy of the instance ENI table; this proves the
//! copy matches the shared source when that source is present (in the
//! workplace checkout). On a clone without it, the test says so and passes.

use std::path::Path;

#[test]
fn instance_enis_copy_matches_the_shared_source() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let ours = std::fs::read_to_string(root.join("crates/model/data/instance-enis.csv")).unwrap();
    assert_eq!(ours.lines().count(), 1392, "header + 1,391 instance types");
    let shared = root.join("../shared/data/instance-enis.csv");
    match std::fs::read_to_string(&shared) {
        Ok(theirs) => assert!(
            ours == theirs,
            "crates/model/data/instance-enis.csv differs from {}",
            shared.display()
        ),
        Err(_) => eprintln!("note: {} not found; copy not compared", shared.display()),
    }
}

/// The branch-ENI table (VPC Resource Controller `pkg/aws/vpc/limits.go`)
/// and the instance catalog (VPC CNI `vpc_ip_resource_limit.go`) come from
/// two repositories refreshed at different times. Every catalog type is
/// either in the branch table (with 0 when not trunking-compatible) or in
/// `branch-unlisted.txt`, and nothing else: a refresh of one file that the
/// other does not follow fails here, naming the types.
#[test]
fn every_catalog_type_is_in_the_branch_table_or_listed_as_unknown_to_it() {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("../crates/model/data");
    let read = |f: &str| std::fs::read_to_string(data.join(f)).unwrap();
    let catalog: std::collections::BTreeSet<String> = read("instance-enis.csv")
        .lines()
        .skip(1)
        .filter_map(|l| l.split(',').next().map(str::to_owned))
        .collect();
    let branch: std::collections::BTreeSet<String> = read("branch-enis.csv")
        .lines()
        .skip(1)
        .filter_map(|l| l.split(',').next().map(str::to_owned))
        .collect();
    let unlisted: std::collections::BTreeSet<String> = read("branch-unlisted.txt")
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(str::to_owned)
        .collect();
    let missing: Vec<&String> = catalog
        .iter()
        .filter(|t| !branch.contains(*t) && !unlisted.contains(*t))
        .collect();
    assert!(
        missing.is_empty(),
        "catalog types with no branch row and not in branch-unlisted.txt (refresh branch-enis.csv from limits.go): {missing:?}"
    );
    let stale: Vec<&String> = unlisted
        .iter()
        .filter(|t| branch.contains(*t) || !catalog.contains(*t))
        .collect();
    assert!(
        stale.is_empty(),
        "branch-unlisted.txt lists types the branch table has, or the catalog lacks: {stale:?}"
    );
    // Every trunking-compatible type upstream is Nitro or bare metal (the
    // controller's rule); the table's 1,059 such types are all in the catalog.
    let trunking = read("branch-enis.csv")
        .lines()
        .skip(1)
        .filter(|l| l.split(',').nth(1).is_some_and(|n| n != "0"))
        .count();
    assert_eq!(trunking, 1059);
}
