//! `podnet subnet CIDR`: AWS subnet arithmetic for one block.

use clap::Args;
use podnet_model::addr::group_thousands;
use podnet_model::SubnetSummary;

/// Arguments of `podnet subnet`.
#[derive(Debug, Args)]
pub struct SubnetArgs {
    /// The subnet's IPv4 CIDR, /16 to /28, e.g. 10.10.1.0/24.
    pub cidr: String,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// Runs the subcommand and returns what to print on stdout.
///
/// # Errors
/// The model's message when the CIDR is not a valid AWS subnet.
pub fn run(args: &SubnetArgs) -> Result<String, String> {
    let summary = SubnetSummary::parse(&args.cidr).map_err(|e| e.to_string())?;
    if args.json {
        return serde_json::to_string_pretty(&summary).map_err(|e| e.to_string());
    }
    Ok(render(&summary))
}

/// The text report, aligned for a terminal.
pub fn render(s: &SubnetSummary) -> String {
    let mut out = format!("subnet {}\n", s.cidr);
    out += &format!("  addresses  {}\n", group_thousands(s.total.into()));
    out += &format!(
        "  usable     {} ({} - {})\n",
        group_thousands(s.usable.into()),
        s.first_usable,
        s.last_usable
    );
    out += "  reserved   5 (AWS keeps the first four and the last)\n";
    for r in &s.reserved {
        out += &format!("    {:<15} {}\n", r.addr.to_string(), r.role.description());
    }
    out.trim_end().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn render_lists_usable_count_and_the_five_reserved_addresses() {
        let text = render(&SubnetSummary::parse("10.10.1.0/24").unwrap());
        assert_eq!(
            text,
            "subnet 10.10.1.0/24
  addresses  256
  usable     251 (10.10.1.4 - 10.10.1.254)
  reserved   5 (AWS keeps the first four and the last)
    10.10.1.0       network address
    10.10.1.1       reserved by AWS for the VPC router
    10.10.1.2       reserved by AWS for the Amazon DNS server
    10.10.1.3       reserved by AWS for future use
    10.10.1.255     network broadcast address (a VPC does not support broadcast)"
        );
    }

    #[test]
    fn run_returns_the_model_error_for_a_bad_cidr() {
        let args = SubnetArgs {
            cidr: "10.10.1.0/29".into(),
            json: false,
        };
        assert!(run(&args)
            .unwrap_err()
            .starts_with("subnet 10.10.1.0/29 is too small"));
    }
}
