//! Validates `data/instance-enis.csv` and writes a compact, sorted copy
//! (`catalog.csv` in OUT_DIR) that the catalog embeds: a malformed row fails
//! the build, not the page.

use std::fmt::Write as _;
use std::path::PathBuf;

fn main() {
    let csv_path = "data/instance-enis.csv";
    println!("cargo:rerun-if-changed={csv_path}");
    let csv = std::fs::read_to_string(csv_path).expect("data/instance-enis.csv is readable");
    let mut rows: Vec<Vec<&str>> = csv
        .lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.split(',').collect())
        .collect();
    rows.sort_by(|a, b| a[0].cmp(b[0]));
    // A compact, validated, sorted copy: name,max_enis,ipv4_per_eni,hypervisor(n/x/u),bare_metal(1/0),cards.
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
        writeln!(
            out,
            "{},{},{},{hypervisor},{bare_metal},{}",
            r[0],
            num(1),
            num(2),
            r[7]
        )
        .unwrap();
    }
    let dest = PathBuf::from(std::env::var("OUT_DIR").unwrap()).join("catalog.csv");
    std::fs::write(dest, out).unwrap();
}
