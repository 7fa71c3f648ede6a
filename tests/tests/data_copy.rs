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
