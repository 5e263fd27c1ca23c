//! How big a benchmark runs. `cargo bench` passes `--bench`: the benchmark runs at full size,
//! times `BENCH_SCALE` (default 1; `BENCH_SCALE=10` for ten times the organisation).
//! `cargo test` builds every benchmark in the test profile and runs it once at [`SMOKE`] size,
//! so a benchmark that no longer runs (a panic, a failed assertion) fails the test suite
//! instead of hiding a regression; its figures then mean nothing and say so.

/// The scale of a `cargo test` run.
pub const SMOKE: f64 = 0.01;

/// True under `cargo bench`.
pub fn measuring() -> bool {
    std::env::args().any(|a| a == "--bench")
}

/// The scale of this run: `BENCH_SCALE` (default 1) under `cargo bench`, else [`SMOKE`].
pub fn scale() -> f64 {
    if !measuring() {
        return SMOKE;
    }
    match std::env::var("BENCH_SCALE") {
        Ok(v) => v
            .parse()
            .ok()
            .filter(|s: &f64| *s > 0.0)
            .unwrap_or_else(|| panic!("BENCH_SCALE: expected a positive number, got {v:?}")),
        Err(_) => 1.0,
    }
}

/// `n` at `scale`, at least one.
pub fn scaled(n: usize, scale: f64) -> usize {
    ((n as f64 * scale).round() as usize).max(1)
}
