//! The single-core ceiling of the HTTP endpoint: how many Ed25519 verifications per second
//! ed25519-dalek does here, with the same call the endpoint makes (`verify_strict` over a
//! timestamp + a /dates-sized body). Used by bench/run.sh; run pinned:
//! `taskset -c 0 cargo run --release --example verify_ceiling -- 3`.

use std::time::{Duration, Instant};

use ed25519_dalek::{Signer, SigningKey};

fn main() {
    let seconds: u64 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(3);
    let key = SigningKey::from_bytes(&[7; 32]);
    let public = key.verifying_key();
    let mut message = b"1771999200".to_vec();
    message.extend_from_slice(&[b'x'; 900]);
    let signature = key.sign(&message);
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let mut count: u64 = 0;
    while Instant::now() < deadline {
        for _ in 0..256 {
            assert!(public
                .verify_strict(std::hint::black_box(&message), &signature)
                .is_ok());
        }
        count += 256;
    }
    println!(
        "ed25519-dalek verify_strict: {:.0} verifications/s on one core",
        count as f64 / started.elapsed().as_secs_f64()
    );
}
