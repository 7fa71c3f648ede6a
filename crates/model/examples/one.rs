use podnet_model::*;
#[path = "flat.rs"]
#[allow(dead_code)]
mod flat;
fn main() {
    let n: u32 = std::env::var("N").unwrap().parse().unwrap();
    let reps: u32 = std::env::var("R").unwrap().parse().unwrap();
    let s = flat::scenario(n);
    for _ in 0..reps {
        let r = s.replay().unwrap();
        std::hint::black_box(&r);
    }
    let _ = CniMode::default();
}
