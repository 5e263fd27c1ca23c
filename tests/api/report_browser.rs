//! A real browser (Debian's headless Chromium) renders the report file: a screenshot that is
//! not blank, and no console message.

use std::path::Path;
use std::process::Command;

const CHROMIUM: &str = "/usr/bin/chromium";

/// Renders `file` in headless Chromium, checks the console and the screenshot.
pub fn renders_without_errors(file: &Path) {
    assert!(
        Path::new(CHROMIUM).exists(),
        "{CHROMIUM} is missing: install Debian's `chromium` package (.ci/run does)"
    );
    let dir = tempfile::tempdir().unwrap();
    let shot = dir.path().join("report.png");
    let out = Command::new(CHROMIUM)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--enable-logging=stderr",
            "--v=0",
            "--window-size=1280,1600",
        ])
        .arg(format!(
            "--user-data-dir={}",
            dir.path().join("profile").display()
        ))
        .arg(format!("--screenshot={}", shot.display()))
        .arg(format!("file://{}", file.display()))
        .output()
        .expect("chromium runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "chromium failed: {stderr}");
    let console: Vec<&str> = stderr.lines().filter(|l| l.contains("CONSOLE")).collect();
    assert!(console.is_empty(), "console messages: {console:?}");

    let png = std::fs::read(&shot).expect("a screenshot");
    assert_not_blank(&png, (1280, 1600));
}

/// Checks that a PNG screenshot has the expected size and is not blank: many colours, and not
/// almost all white.
pub fn assert_not_blank(png: &[u8], size: (u32, u32)) {
    let decoder = png::Decoder::new(std::io::Cursor::new(png));
    let mut reader = decoder.read_info().unwrap();
    let mut pixels = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut pixels).unwrap();
    assert_eq!((info.width, info.height), size);
    let step = info.color_type.samples();
    let colours: std::collections::HashSet<&[u8]> =
        pixels[..info.buffer_size()].chunks(step).collect();
    assert!(
        colours.len() > 50,
        "a blank screenshot ({} colours)",
        colours.len()
    );
    let white = pixels[..info.buffer_size()]
        .chunks(step)
        .filter(|p| p.iter().take(3).all(|c| *c > 245))
        .count();
    let total = (info.width * info.height) as usize;
    assert!(
        white < total * 97 / 100,
        "almost all white: {white} of {total} pixels"
    );
}
