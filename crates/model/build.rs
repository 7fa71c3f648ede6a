//! Validates `data/instance-enis.csv` and writes a compact, sorted copy
//! (`catalog.csv` in OUT_DIR) that the catalog embeds: a malformed row fails
//! the build, not the page.

use std::fmt::Write as _;
use std::path::PathBuf;

fn main() {
    let csv_path = "data/instance-enis.csv";
    let branch_path = "data/branch-enis.csv";
    let vcpu_path = "data/instance-vcpus.csv";
    println!("cargo:rerun-if-changed={vcpu_path}");
    println!("cargo:rerun-if-changed={csv_path}");
    println!("cargo:rerun-if-changed={branch_path}");
    let branch_csv =
        std::fs::read_to_string(branch_path).expect("data/branch-enis.csv is readable");
    // instance type -> branch ENIs: every type the VPC Resource Controller's
    // table lists, 0 when it is not trunking-compatible. A catalog type the
    // table does not list is written as `-` (unlisted).
    let mut branches = counts_from(&branch_csv, branch_path, 0);
    let vcpu_csv = std::fs::read_to_string(vcpu_path).expect("data/instance-vcpus.csv is readable");
    // instance type -> default vCPUs (types not listed: unknown, written as 0).
    let mut vcpus = counts_from(&vcpu_csv, vcpu_path, 1);
    let csv = std::fs::read_to_string(csv_path).expect("data/instance-enis.csv is readable");
    let mut rows: Vec<Vec<&str>> = csv
        .lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.split(',').collect())
        .collect();
    rows.sort_by(|a, b| a[0].cmp(b[0]));
    // A compact, validated, sorted copy:
    // name,max_enis,ipv4_per_eni,hypervisor(n/x/u),bare_metal(1/0),branch_enis(0 = no trunking, - = not in the controller's table),vcpus(0 = unknown),cards.
    // Text compresses far better in the .wasm than a table of pointers.
    let mut out = String::new();
    for (n, r) in rows.iter().enumerate() {
        assert_eq!(
            r.len(),
            9,
            "row {} of {csv_path} has {} columns, expected 9",
            n + 2,
            r.len()
        );
        let num = |i: usize| -> u32 {
            r[i].parse()
                .unwrap_or_else(|_| panic!("row {}: column {i} is not a number: {}", n + 2, r[i]))
        };
        let hypervisor = match r[3] {
            "nitro" => "n",
            "xen" => "x",
            "unknown" => "u",
            other => panic!("row {}: unknown hypervisor {other}", n + 2),
        };
        let bare_metal = match r[4] {
            "true" => "1",
            "false" => "0",
            other => panic!("row {}: is_bare_metal is {other}", n + 2),
        };
        let cards: Vec<u32> = r[7]
            .split(';')
            .map(|c| c.parse().expect("card ENIs are numbers"))
            .collect();
        assert_eq!(cards.len() as u32, num(6), "row {}: network_cards", n + 2);
        assert_eq!(
            cards.iter().sum::<u32>(),
            num(8),
            "row {}: total_enis_all_cards",
            n + 2
        );
        assert!(
            num(1) >= 1 && num(2) >= 2,
            "row {}: an instance needs an ENI with 2 addresses",
            n + 2
        );
        let branch = branches
            .remove(r[0])
            .map_or_else(|| "-".to_owned(), |b| b.to_string());
        let cpus = vcpus.remove(r[0]).unwrap_or(0);
        writeln!(
            out,
            "{},{},{},{hypervisor},{bare_metal},{branch},{cpus},{}",
            r[0],
            num(1),
            num(2),
            r[7]
        )
        .unwrap();
    }
    assert!(
        branches.is_empty(),
        "{branch_path} lists types {csv_path} does not have: {:?}",
        branches.keys().collect::<Vec<_>>()
    );
    assert!(
        vcpus.is_empty(),
        "{vcpu_path} lists types {csv_path} does not have: {:?}",
        vcpus.keys().collect::<Vec<_>>()
    );
    let dest = PathBuf::from(std::env::var("OUT_DIR").unwrap()).join("catalog.csv");
    std::fs::write(dest, out).unwrap();
}

/// `name,count` rows after a header: every count at least `min`, no name twice.
fn counts_from<'a>(csv: &'a str, path: &str, min: u32) -> std::collections::BTreeMap<&'a str, u32> {
    let mut out = std::collections::BTreeMap::new();
    for (n, line) in csv.lines().enumerate().skip(1) {
        if line.trim().is_empty() {
            continue;
        }
        let (name, count) = line
            .split_once(',')
            .unwrap_or_else(|| panic!("row {} of {path} has no comma", n + 1));
        let count: u32 = count
            .parse()
            .unwrap_or_else(|_| panic!("row {} of {path}: {count} is not a number", n + 1));
        assert!(
            count >= min,
            "row {} of {path}: a count of at least {min}",
            n + 1
        );
        assert!(
            out.insert(name, count).is_none(),
            "row {} of {path}: {name} is listed twice",
            n + 1
        );
    }
    out
}
