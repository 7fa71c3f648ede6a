use podnet_model::*;
use std::time::Instant;
pub fn scenario(n: u32) -> Scenario {
    let mut s = Scenario::new("bench", "10.0.0.0/16");
    s.cni = CniMode::AwsVpcCni(VpcCni {
        warm_ip_target: 5,
        minimum_ip_target: 30,
        ..VpcCni::default()
    });
    let azs = ["us-east-1a", "us-east-1b", "us-east-1c"];
    for (i, az) in azs.iter().enumerate() {
        s.actions.push(Command::AddVpcCidr {
            cidr: format!("100.{}.0.0/16", 64 + i),
        });
        s.actions.push(Command::AddSubnet {
            name: Some(format!("pods-{i}")),
            cidr: format!("100.{}.0.0/16", 64 + i),
            az: (*az).into(),
            cni_tag: false,
        });
        s.actions.push(Command::AddSubnet {
            name: Some(format!("cluster-{i}")),
            cidr: format!("10.0.{i}.0/28"),
            az: (*az).into(),
            cni_tag: false,
        });
    }
    s.actions.push(Command::CreateCluster {
        name: "bench".into(),
        version: "1.31".into(),
        endpoint: Default::default(),
        subnets: (0..3).map(|i| format!("cluster-{i}")).collect(),
    });
    for k in 0..n {
        s.actions.push(Command::AddNode {
            instance_type: "c5.4xlarge".into(),
            subnet: format!("pods-{}", k % 3),
            max_pods: None,
        });
    }
    s.actions.push(Command::AddPods {
        count: n * 30,
        node: None,
        host_network: false,
        name: None,
    });
    s
}
fn per_pod(n: u32, reps: u32) -> f64 {
    let s = scenario(n);
    let mut best = f64::MAX;
    for _ in 0..reps {
        let t = Instant::now();
        let r = s.replay().unwrap();
        let e = t.elapsed().as_secs_f64();
        drop(r);
        best = best.min(e);
    }
    best / f64::from(n * 30) * 1e6
}
fn main() {
    let small = per_pod(50, 30);
    let big = per_pod(5000, 3);
    println!(
        "small {small:.3} us/pod, big {big:.3} us/pod, ratio {:.2}",
        big / small
    );
}
