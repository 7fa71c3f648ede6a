//! The `podnet` binary end to end: exit codes, stdout and stderr.

use std::process::{Command, Output};

fn podnet(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_podnet"))
        .args(args)
        .output()
        .expect("podnet runs")
}

#[test]
fn subnet_prints_251_usable_and_the_reserved_addresses() {
    let out = podnet(&["subnet", "10.10.1.0/24"]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("usable     251 (10.10.1.4 - 10.10.1.254)"),
        "{text}"
    );
    assert!(
        text.contains("10.10.1.2       reserved by AWS for the Amazon DNS server"),
        "{text}"
    );
}

#[test]
fn subnet_json_is_machine_readable() {
    let out = podnet(&["subnet", "10.10.0.0/16", "--json"]);
    assert!(out.status.success());
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["usable"], 65_531);
    assert_eq!(json["reserved"][4]["addr"], "10.10.255.255");
}

#[test]
fn a_bad_cidr_fails_on_stderr_with_the_rule() {
    let out = podnet(&["subnet", "10.10.1.7/24"]);
    assert!(!out.status.success());
    assert!(out.stdout.is_empty());
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("10.10.1.7/24 is not a network address"),
        "{err}"
    );
}

#[test]
fn help_lists_the_subcommands() {
    let out = podnet(&["--help"]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("subnet"), "{text}");
}
