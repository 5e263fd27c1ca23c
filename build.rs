//! Tells the tests whether a PostgreSQL server is given (`TEST_DATABASE_URL`): with one,
//! `cfg(dxs_postgres)` is set; without it, the tests that only make sense on PostgreSQL (the
//! collector lock, replicas) are reported as ignored, with the reason, instead of passing
//! without running.

fn main() {
    println!("cargo::rustc-check-cfg=cfg(dxs_postgres)");
    println!("cargo::rerun-if-env-changed=TEST_DATABASE_URL");
    println!("cargo::rerun-if-changed=build.rs");
    // sqlx::migrate! embeds the migrations at compile time; stable Rust cannot tell Cargo the
    // macro read them, so a new migration rebuilds the crate only through this line.
    println!("cargo::rerun-if-changed=migrations");
    if std::env::var_os("TEST_DATABASE_URL").is_some_and(|v| !v.is_empty()) {
        println!("cargo::rustc-cfg=dxs_postgres");
    }
}
