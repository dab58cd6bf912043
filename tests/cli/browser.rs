//! The page as a person sees it: the sample report rendered by headless Chromium, its DOM
//! after the script ran, a zoomed view, and a screenshot that is not blank.
//!
//! Skipped when no Chromium is installed, unless `TRAILSIFT_BROWSER_TEST=1` (as `.ci/run`
//! sets it, after installing Debian's `chromium`), which makes a missing browser a failure.

use std::path::{Path, PathBuf};
use std::process::Command;

use scraper::{Html, Selector};

use super::harness::scan;

fn chromium() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("TRAILSIFT_CHROMIUM") {
        return Some(PathBuf::from(p));
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .flat_map(|d| ["chromium", "chromium-browser", "google-chrome"].map(|n| d.join(n)))
        .find(|p| p.is_file())
}

fn required() -> bool {
    std::env::var_os("TRAILSIFT_BROWSER_TEST").is_some_and(|v| v == "1")
}

/// Runs headless Chromium on `url` with `args`; its stdout.
fn run(browser: &Path, profile: &Path, url: &str, args: &[&str]) -> String {
    let out = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .arg(url)
        .output()
        .expect("chromium runs");
    assert!(
        out.status.success(),
        "chromium: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn the_sample_report_renders_in_chromium() {
    let Some(browser) = chromium() else {
        assert!(
            !required(),
            "TRAILSIFT_BROWSER_TEST=1 but no Chromium found"
        );
        eprintln!("skipped: no Chromium (apt-get install chromium)");
        return;
    };
    let report = scan(&["sample-logs"]);
    let page = report.out.join("report.html");
    let url = format!("file://{}", page.display());
    let profile = tempfile::tempdir().unwrap();
    let sel = |s: &str| Selector::parse(s).unwrap();

    // The DOM after the script ran: ready, no error, every lane drawn with its marks.
    let dom = Html::parse_document(&run(&browser, profile.path(), &url, &["--dump-dom"]));
    let root = dom.root_element();
    assert_eq!(
        root.attr("data-ready"),
        Some("1"),
        "the script did not finish"
    );
    assert_eq!(root.attr("data-script-error"), None, "a script error");
    assert_eq!(dom.select(&sel("#timeline svg.lane")).count(), 15);
    assert_eq!(dom.select(&sel("#timeline g.m")).count(), 37);
    assert!(dom.select(&sel("svg.axis g.ticks text")).count() >= 4);

    // Zoomed to erin's takeover, from a link: the other marks are hidden, the axis redrawn
    // in minutes, and the chain's three events spread over the plot.
    let zoomed = format!("{url}#zoom=2026-03-04T02:58,2026-03-04T03:08");
    let dom = Html::parse_document(&run(&browser, profile.path(), &zoomed, &["--dump-dom"]));
    let shown: Vec<_> = dom
        .select(&sel("#timeline g.m"))
        .filter(|m| !m.attr("style").unwrap_or("").contains("display: none"))
        .collect();
    let names: Vec<&str> = shown.iter().map(|m| m.attr("data-n").unwrap()).collect();
    assert_eq!(
        names,
        [
            "ChangePassword",
            "CreateVirtualMFADevice",
            "EnableMFADevice"
        ],
        "{names:?}"
    );
    let ticks: Vec<String> = dom
        .select(&sel("svg.axis g.ticks text"))
        .map(|t| t.text().collect())
        .collect();
    assert_eq!(
        ticks,
        ["03-04 02:58", "03:00", "03:02", "03:04", "03:06", "03:08"]
    );
    let x = |m: &scraper::ElementRef<'_>| -> f64 {
        let t = m.attr("transform").unwrap();
        t["translate(".len()..t.find(',').unwrap()].parse().unwrap()
    };
    assert!(
        x(&shown[0]) < 500.0 && x(&shown[2]) > 700.0,
        "not spread over the window"
    );

    // A screenshot that is not blank: many colours, and ink on a good part of the page.
    let shot = profile.path().join("shot.png");
    run(
        &browser,
        profile.path(),
        &url,
        &[
            &format!("--screenshot={}", shot.display()),
            "--window-size=1400,1000",
        ],
    );
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(&shot).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    let channels = info.color_type.samples();
    let pixels: Vec<&[u8]> = buf[..info.buffer_size()].chunks(channels).collect();
    let background = pixels[0];
    let ink = pixels.iter().filter(|p| *p != &background).count();
    let colours: std::collections::HashSet<&[u8]> = pixels.iter().copied().collect();
    assert!((info.width, info.height) == (1400, 1000));
    assert!(
        ink * 50 > pixels.len(),
        "only {ink} of {} pixels drawn",
        pixels.len()
    );
    assert!(colours.len() > 50, "{} colours", colours.len());
}
