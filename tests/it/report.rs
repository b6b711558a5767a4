//! Charts and `report.html`: every chart of every bundled example drawn (PNGs of the stated
//! size and not blank, SVGs that parse), `ecsim plot` drawing the same files again, one
//! colour per capacity, and the quickstart's and the comparison's reports rendered in headless
//! Chromium through the DevTools protocol: every chart visible inside the page, nothing on the
//! console, a screenshot kept in `target/tmp/test-artefacts/`. `.ci/run` installs Debian's
//! chromium and sets ECSIM_REQUIRE_CHROMIUM, so in CI a missing browser fails the test.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine;
use serde_json::{Value, json};

use super::{ecsim, root, run_ok, stderr, toml_files};

/// The chart files (without extension) a folder's `charts/` holds.
fn charts(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir.join("charts"))
        .unwrap()
        .filter_map(|e| e.unwrap().file_name().to_str().and_then(|n| n.strip_suffix(".png")).map(String::from))
        .collect();
    names.sort();
    names
}

/// Decodes a PNG: its size and its RGB(A) pixels.
fn png(path: &Path) -> (u32, u32, Vec<u8>, usize) {
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(path).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut pixels = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut pixels).unwrap();
    let channels = info.color_type.samples();
    (info.width, info.height, pixels, channels)
}

/// Every chart of a folder: a PNG of 1000 × 520 that is not one colour, an SVG of the same view
/// box that parses as XML.
fn check_charts(dir: &Path) -> Vec<String> {
    let names = charts(dir);
    assert!(!names.is_empty(), "{} has no charts", dir.display());
    for name in &names {
        let (width, height, pixels, channels) = png(&dir.join("charts").join(format!("{name}.png")));
        assert_eq!((width, height), (1000, 520), "{name}");
        // Not blank: the lightness varies.
        let grey: Vec<f64> =
            pixels.chunks(channels).map(|p| f64::from(p[0]) + f64::from(p[1]) + f64::from(p[2])).collect();
        let mean = grey.iter().sum::<f64>() / grey.len() as f64;
        let variance = grey.iter().map(|g| (g - mean).powi(2)).sum::<f64>() / grey.len() as f64;
        assert!(variance > 100.0, "{name} is blank (variance {variance})");
        let svg = std::fs::read_to_string(dir.join("charts").join(format!("{name}.svg"))).unwrap();
        assert!(svg.starts_with("<svg width=\"1000\" height=\"520\" viewBox=\"0 0 1000 520\""), "{name}");
        check_xml(&svg, name);
    }
    names
}

/// A small well-formedness check: every element closed in order, attributes quoted.
fn check_xml(text: &str, name: &str) {
    let mut open: Vec<String> = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find('<') {
        let end = rest[start..].find('>').map(|e| start + e).unwrap_or_else(|| panic!("{name}: a tag never closes"));
        let tag = &rest[start + 1..end];
        if let Some(closing) = tag.strip_prefix('/') {
            assert_eq!(open.pop().as_deref(), Some(closing.trim()), "{name}: </{closing}> out of order");
        } else if !tag.ends_with('/') && !tag.starts_with('?') && !tag.starts_with('!') {
            open.push(tag.split_whitespace().next().unwrap_or("").to_owned());
        }
        assert_eq!(tag.matches('"').count() % 2, 0, "{name}: an attribute's quote is not closed in <{tag}>");
        rest = &rest[end + 1..];
    }
    assert!(open.is_empty(), "{name}: {open:?} never closed");
}

#[test]
fn every_example_draws_every_chart_and_plot_draws_them_again() {
    let out = tempfile::tempdir().unwrap();
    for file in toml_files(&root().join("scenarios")) {
        let name = file.file_stem().unwrap().to_string_lossy().into_owned();
        let dir = out.path().join(&name);
        if name.starts_with("sweep-") {
            let output =
                ecsim(&["sweep", file.to_str().unwrap(), "--out", dir.to_str().unwrap(), "--replications", "2", "-q"]);
            assert!(output.status.success(), "{name}: {}", stderr(&output));
            let names = check_charts(&dir);
            assert!(names.contains(&"sweep-pareto".to_owned()), "{name}: {names:?}");
            assert!(dir.join("report.html").exists());
        } else if name == "nasa-trace" && !root().join("../shared/data").exists() {
            continue;
        } else {
            run_ok(&file, &dir, &[]);
            let runs: Vec<PathBuf> = if dir.join("comparison.csv").exists() {
                let names = check_charts(&dir);
                assert!(names.contains(&"comparison-cost".to_owned()), "{name}: {names:?}");
                std::fs::read_dir(&dir)
                    .unwrap()
                    .map(|e| e.unwrap().path())
                    .filter(|p| p.join("summary.json").exists())
                    .collect()
            } else {
                vec![dir.clone()]
            };
            for run in runs {
                let names = check_charts(&run);
                for kind in ["load-", "tasks-", "metric-", "cost"] {
                    assert!(names.iter().any(|n| n.starts_with(kind)), "{name}: no {kind} chart in {names:?}");
                }
                assert!(run.join("report.html").exists());
            }
        }
    }

    // `ecsim plot` on a copy of a folder draws the same files again from its CSV and JSON.
    let original = out.path().join("compare-ec2-fargate-spot");
    let copy = out.path().join("copy");
    copy_tree(&original, &copy);
    for dir in [copy.clone(), copy.join("base")] {
        std::fs::remove_dir_all(dir.join("charts")).unwrap();
    }
    std::fs::remove_file(copy.join("report.html")).unwrap();
    let output = ecsim(&["plot", copy.to_str().unwrap()]);
    assert!(output.status.success(), "{}", stderr(&output));
    for (a, b) in [(&original, &copy), (&original.join("base"), &copy.join("base"))] {
        for name in charts(a) {
            for ext in ["svg", "png"] {
                let file = format!("charts/{name}.{ext}");
                assert!(std::fs::read(a.join(&file)).unwrap() == std::fs::read(b.join(&file)).unwrap(), "{file}");
            }
        }
    }
    assert!(copy.join("report.html").exists());
}

/// A folder written again by a run whose service has another name shows that run's charts
/// alone: none of the earlier service's is left beside them.
#[test]
fn a_folder_written_again_keeps_no_chart_of_the_earlier_run() {
    let out = tempfile::tempdir().unwrap();
    let quickstart = std::fs::read_to_string(root().join("scenarios/quickstart.toml")).unwrap();
    let renamed = out.path().join("renamed.toml");
    std::fs::write(
        &renamed,
        quickstart.replace("[services.api]", "[services.web_api]").replace("services.api.", "services.web_api."),
    )
    .unwrap();
    let dir = out.path().join("run");
    run_ok(&root().join("scenarios/quickstart.toml"), &dir, &[]);
    assert!(charts(&dir).contains(&"load-api".to_owned()));
    run_ok(&renamed, &dir, &[]);
    let names = charts(&dir);
    assert_eq!(names, ["cost", "cost-per-hour", "load-web_api", "metric-web_api", "tasks-web_api"], "{names:?}");
    assert!(!dir.join("charts/load-api.svg").exists());
}

/// In the comparison example the Fargate runs leave the Auto Scaling group unused: no charts
/// and no EC2 table for it. The EC2 Spot run's report counts its interruption notices as
/// `events-instances.csv` has them, and its instances chart marks them.
#[test]
fn an_unused_group_draws_nothing_and_ec2_spot_interruptions_are_told() {
    let out = tempfile::tempdir().unwrap();
    run_ok(&root().join("scenarios/compare-ec2-fargate-spot.toml"), out.path(), &[]);
    let fargate = charts(&out.path().join("fargate"));
    assert!(fargate.iter().all(|n| !n.starts_with("instances-") && !n.starts_with("reserved-")), "{fargate:?}");
    let report = std::fs::read_to_string(out.path().join("fargate/report.html")).unwrap();
    assert!(!report.contains("<h2>EC2 capacity</h2>"));

    let spot = out.path().join("ec2-spot");
    let notices = super::read_csv(&spot.join("events-instances.csv"))
        .iter()
        .filter(|r| r["reason"].starts_with("Spot interruption notice"))
        .count();
    assert!(notices > 0);
    let report = std::fs::read_to_string(spot.join("report.html")).unwrap();
    assert!(report.contains(&format!("EC2 Spot: {notices} instance interruption notice(s)")), "{notices}");
    // One down-pointing mark per notice along the top of the instances chart, in its legend too.
    let svg = std::fs::read_to_string(spot.join("charts/instances-ec2-group-0.svg")).unwrap();
    assert!(svg.contains("Spot interruption notice"));
}

/// `ecsim plot` on what is not results says what it expected and exits 2 (bad input).
#[test]
fn plot_refuses_what_is_not_results() {
    for (path, says) in [
        (root().join("no-such-folder"), "no such folder"),
        (root().join("scenarios/quickstart.toml"), "not a folder"),
        (root().join("scenarios"), "no summary.json, comparison.csv or sweep.json here"),
    ] {
        let output = ecsim(&["plot", path.to_str().unwrap()]);
        assert_eq!(output.status.code(), Some(2), "{}", path.display());
        assert!(stderr(&output).contains(says), "{}", stderr(&output));
    }
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        let target = to.join(path.file_name().unwrap());
        if path.is_dir() { copy_tree(&path, &target) } else { std::fs::copy(&path, &target).map(drop).unwrap() }
    }
}

/// Each capacity's colour, as the SVGs of a folder's charts draw it in their legends.
#[test]
fn a_capacity_has_one_colour_on_every_chart() {
    let out = tempfile::tempdir().unwrap();
    run_ok(&root().join("scenarios/compare-ec2-fargate-spot.toml"), out.path(), &[]);
    // FARGATE is #0072B2 and FARGATE_SPOT #E69F00 in the stacked tasks of the mixed run, the
    // cost per hour of it, and the comparison's cost bars; the group is #009E73 in its charts.
    let expect = [
        ("fargate-spot-mix/charts/tasks-web.svg", ["#0072B2", "#E69F00"].as_slice()),
        ("fargate-spot-mix/charts/cost-per-hour.svg", &["#0072B2", "#E69F00"]),
        ("charts/comparison-cost.svg", &["#0072B2", "#E69F00", "#009E73"]),
        ("base/charts/instances-ec2-group-0.svg", &["#009E73"]),
        ("base/charts/cost.svg", &["#009E73"]),
    ];
    for (file, colours) in expect {
        let svg = std::fs::read_to_string(out.path().join(file)).unwrap();
        for colour in colours {
            assert!(
                svg.contains(&format!("fill=\"{colour}\"")) || svg.contains(&format!("stroke=\"{colour}\"")),
                "{file}: {colour}"
            );
        }
    }
    // The On-Demand-only Fargate run draws its tasks in FARGATE's blue, and no Spot orange.
    let svg = std::fs::read_to_string(out.path().join("fargate/charts/tasks-web.svg")).unwrap();
    assert!(svg.contains("fill=\"#0072B2\"") && !svg.contains("#E69F00"));
}

/// A headless Chromium with its DevTools endpoint, stopped when dropped.
struct Browser {
    child: Child,
    socket: tungstenite::WebSocket<tungstenite::stream::MaybeTlsStream<std::net::TcpStream>>,
    next_id: u64,
    /// Every event seen, in order.
    events: Vec<Value>,
    _profile: tempfile::TempDir,
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Browser {
    fn start(chromium: &Path) -> Browser {
        let profile = tempfile::tempdir().unwrap();
        let mut child = Command::new(chromium)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--remote-debugging-port=0",
                "--window-size=1200,900",
            ])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .arg("about:blank")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let started = Instant::now();
        let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
        let url = loop {
            assert!(started.elapsed() < Duration::from_secs(60), "Chromium never said where DevTools listens");
            let line = lines.next().expect("Chromium ended before DevTools started").unwrap();
            if let Some(url) = line.split("DevTools listening on ").nth(1) {
                break url.trim().to_owned();
            }
        };
        // Keep draining Chromium's log so it never blocks on a full pipe.
        std::thread::spawn(move || lines.for_each(drop));
        let (socket, _) = tungstenite::connect(url).unwrap();
        Browser { child, socket, next_id: 0, events: Vec::new(), _profile: profile }
    }

    /// Sends a DevTools command and waits for its answer, keeping the events that come first.
    fn call(&mut self, method: &str, params: Value, session: Option<&str>) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        let mut message = json!({ "id": id, "method": method, "params": params });
        if let Some(session) = session {
            message["sessionId"] = json!(session);
        }
        self.socket.send(tungstenite::Message::text(message.to_string())).unwrap();
        loop {
            let reply = self.socket.read().unwrap();
            let Ok(text) = reply.into_text() else { continue };
            let value: Value = serde_json::from_str(&text).unwrap();
            if value["id"] == id {
                assert!(value["error"].is_null(), "{method}: {}", value["error"]);
                return value["result"].clone();
            }
            self.events.push(value);
        }
    }

    /// Waits for an event named `method`.
    fn wait_for(&mut self, method: &str) {
        let started = Instant::now();
        while !self.events.iter().any(|e| e["method"] == method) {
            assert!(started.elapsed() < Duration::from_secs(60), "no {method}");
            let reply = self.socket.read().unwrap();
            if let Ok(text) = reply.into_text() {
                self.events.push(serde_json::from_str(&text).unwrap());
            }
        }
    }
}

/// Opens `page` in `browser`; checks that each of its `expected` charts is visible inside the
/// page and that nothing reached the console; keeps a screenshot as `artefact`.
fn check_page(browser: &mut Browser, page: &Path, expected: usize, artefact: &str) {
    let target = browser.call("Target.createTarget", json!({ "url": "about:blank" }), None);
    let attached =
        browser.call("Target.attachToTarget", json!({ "targetId": target["targetId"], "flatten": true }), None);
    let session = attached["sessionId"].as_str().unwrap().to_owned();
    let s = Some(session.as_str());
    for domain in ["Page.enable", "Runtime.enable", "Log.enable"] {
        browser.call(domain, json!({}), s);
    }
    browser.events.clear();
    browser.call("Page.navigate", json!({ "url": format!("file://{}", page.display()) }), s);
    browser.wait_for("Page.loadEventFired");
    let measured = browser.call(
        "Runtime.evaluate",
        json!({
            "expression": "JSON.stringify({ page: [document.documentElement.scrollWidth, document.documentElement.scrollHeight], charts: [...document.querySelectorAll('figure.chart svg')].map(s => { const r = s.getBoundingClientRect(); return [r.left + scrollX, r.top + scrollY, r.width, r.height]; }) })",
            "returnByValue": true
        }),
        s,
    );
    let measured: Value = serde_json::from_str(measured["result"]["value"].as_str().unwrap()).unwrap();
    let (width, height) = (measured["page"][0].as_f64().unwrap(), measured["page"][1].as_f64().unwrap());
    let boxes = measured["charts"].as_array().unwrap();
    assert_eq!(boxes.len(), expected, "{}: every chart is in the page", page.display());
    for b in boxes {
        let [x, y, w, h] = [0, 1, 2, 3].map(|i| b[i].as_f64().unwrap());
        assert!(w > 300.0 && h > 150.0, "{}: a chart of {w} × {h}", page.display());
        assert!(
            x >= 0.0 && y >= 0.0 && x + w <= width + 1.0 && y + h <= height + 1.0,
            "{}: a chart outside the page",
            page.display()
        );
    }
    let errors: Vec<&Value> = browser
        .events
        .iter()
        .filter(|e| {
            e["method"] == "Runtime.exceptionThrown"
                || (e["method"] == "Runtime.consoleAPICalled" && e["params"]["type"] == "error")
                || (e["method"] == "Log.entryAdded" && e["params"]["entry"]["level"] == "error")
        })
        .collect();
    assert!(errors.is_empty(), "{}: the console says {errors:?}", page.display());
    let shot = browser.call(
        "Page.captureScreenshot",
        json!({ "format": "png", "captureBeyondViewport": true, "clip": { "x": 0, "y": 0, "width": width, "height": height, "scale": 1 } }),
        s,
    );
    let png = base64::engine::general_purpose::STANDARD.decode(shot["data"].as_str().unwrap()).unwrap();
    let folder = Path::new(env!("CARGO_TARGET_TMPDIR")).join("test-artefacts");
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::write(folder.join(artefact), png).unwrap();
    browser.call("Target.closeTarget", json!({ "targetId": target["targetId"] }), None);
}

fn chromium() -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    ["chromium", "chromium-browser", "google-chrome"]
        .iter()
        .flat_map(|name| std::env::split_paths(&path).map(move |dir| dir.join(name)))
        .find(|p| p.is_file())
}

#[test]
fn the_reports_render_in_headless_chromium_with_every_chart_visible() {
    let Some(chromium) = chromium() else {
        assert!(
            std::env::var_os("ECSIM_REQUIRE_CHROMIUM").is_none(),
            "ECSIM_REQUIRE_CHROMIUM is set but chromium is not installed (apt-get install chromium)"
        );
        eprintln!("skipped: Chromium is not installed here (.ci/run installs it: apt-get install chromium)");
        return;
    };
    let out = tempfile::tempdir().unwrap();
    let quickstart = out.path().join("quickstart");
    run_ok(&root().join("scenarios/quickstart.toml"), &quickstart, &[]);
    let comparison = out.path().join("compare");
    run_ok(&root().join("scenarios/compare-ec2-fargate-spot.toml"), &comparison, &[]);
    let mut browser = Browser::start(&chromium);
    let pages: BTreeMap<&str, (PathBuf, usize)> = BTreeMap::from([
        ("report-quickstart.png", (quickstart.join("report.html"), charts(&quickstart).len())),
        ("report-comparison.png", (comparison.join("report.html"), charts(&comparison).len())),
        ("report-comparison-base.png", (comparison.join("base/report.html"), charts(&comparison.join("base")).len())),
    ]);
    for (artefact, (page, expected)) in &pages {
        check_page(&mut browser, page, *expected, artefact);
    }
}
