//! The playground page in headless Chromium, driven over the DevTools protocol
//! (`headless_chrome`): it loads without console errors and refuses a visit without the token,
//! trains when played and redraws its decision regions, re-creates the run when layers,
//! activations or the data set change, trains on an uploaded CSV file, checks its gradients,
//! and shows in backprop mode the gradients the API computes (and finite differences confirm).
//!
//! Chromium is Debian's (`scripts/install-chromium.sh`), found as `chromium` on `PATH` or at
//! `$CHROME`. Without it these tests print why and pass, except in CI (`CI` set), where they
//! fail. Screenshots go to `artifacts/playground/` (ignored there); the README's picture,
//! `artifacts/playground/playground.png`, is rewritten only with `BURNPROP_SCREENSHOT=update`.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use headless_chrome::protocol::cdp::Page::CaptureScreenshotFormatOption;
use headless_chrome::protocol::cdp::types::Event;
use headless_chrome::{Browser, LaunchOptions, Tab};
use serde_json::Value;

use crate::http::{PATIENCE, Server, named, numbers};

/// The browser window, as the README's picture shows it.
const WINDOW: (u32, u32) = (1280, 900);

/// Defines errors in the page's own JavaScript before any of the page's scripts run: uncaught
/// exceptions, rejected promises nobody handled, and `console.error` and `console.warn` calls,
/// kept in `window.__errors` (the DevTools events below catch what scripts cannot see, such as
/// a failed load).
const ERROR_COLLECTOR: &str = "
window.__errors = [];
window.addEventListener('error', e => window.__errors.push('error: ' + e.message));
window.addEventListener('unhandledrejection', e => window.__errors.push('rejection: ' + e.reason));
for (const level of ['error', 'warn']) {
  const original = console[level].bind(console);
  console[level] = (...args) => { window.__errors.push(level + ': ' + args.join(' ')); original(...args); };
}";

/// Chromium's path: `$CHROME`, or `chromium` on `PATH`.
fn chromium() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("CHROME") {
        return Some(PathBuf::from(path)).filter(|path| path.is_file());
    }
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join("chromium"))
        .find(|path| path.is_file())
}

/// Chromium, or `None` (the test then passes) outside CI; in CI its absence fails the test.
fn chromium_or_skip() -> Option<PathBuf> {
    let found = chromium();
    if found.is_none() {
        let reason = "no Chromium: neither $CHROME nor `chromium` on PATH (scripts/install-chromium.sh installs it)";
        assert!(
            std::env::var_os("CI").is_none_or(|ci| ci.is_empty()),
            "CI is set: {reason}"
        );
        eprintln!("skipped: {reason}");
    }
    found
}

/// A server, a headless Chromium and one tab on the playground, with the page's errors.
struct Playground {
    server: Server,
    /// Kept alive for the tab; closed with it.
    _browser: Browser,
    tab: Arc<Tab>,
    /// Errors the DevTools protocol reported (log entries, exceptions).
    reported: Arc<Mutex<Vec<String>>>,
}

impl Playground {
    /// Starts both and loads the page with its token, or `None` where Chromium is missing.
    fn open() -> Option<Self> {
        let path = chromium_or_skip()?;
        let server = Server::start();
        let (browser, tab) = launch(path);
        let reported = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&reported);
        tab.enable_log().expect("the Log domain");
        tab.enable_runtime().expect("the Runtime domain");
        tab.add_event_listener(Arc::new(move |event: &Event| {
            if let Some(error) = reported_error(event) {
                sink.lock().expect("not poisoned").push(error);
            }
        }))
        .expect("an event listener");
        tab.call_method(
            headless_chrome::protocol::cdp::Page::AddScriptToEvaluateOnNewDocument {
                source: ERROR_COLLECTOR.to_owned(),
                world_name: None,
                include_command_line_api: None,
                run_immediately: None,
            },
        )
        .expect("the error collector is installed");
        tab.navigate_to(&server.url())
            .and_then(|tab| tab.wait_until_navigated())
            .expect("the page loads");
        let playground = Self {
            server,
            _browser: browser,
            tab,
            reported,
        };
        playground.wait_for("the first frame drawn", "window.burnprop?.framesDrawn > 0");
        Some(playground)
    }

    /// The value of a JavaScript expression, through JSON.
    fn js(&self, expression: &str) -> Value {
        let wrapped = format!("JSON.stringify((() => {{ return ({expression}); }})() ?? null)");
        let result = self
            .tab
            .evaluate(&wrapped, false)
            .unwrap_or_else(|e| panic!("{expression}: {e}"));
        let text = result
            .value
            .as_ref()
            .and_then(Value::as_str)
            .unwrap_or_else(|| panic!("{expression} threw: {:?}", result.description));
        serde_json::from_str(text).unwrap_or_else(|e| panic!("{expression}: {e}: {text}"))
    }

    /// Waits up to [`PATIENCE`] for `expression` to be truthy, and returns its value.
    fn wait_for(&self, what: &str, expression: &str) -> Value {
        let start = Instant::now();
        loop {
            let value = self.js(expression);
            if !matches!(value, Value::Null | Value::Bool(false)) {
                return value;
            }
            assert!(
                start.elapsed() < PATIENCE,
                "{what}: `{expression}` not true within {PATIENCE:?}; #error says {}; errors {:?}\nserver log:\n{}",
                self.js("document.querySelector('#error')?.textContent"),
                self.errors(),
                self.server.log()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Clicks the element `selector` (waiting for it, as a user would click it).
    fn click(&self, selector: &str) {
        self.tab
            .wait_for_element_with_custom_timeout(selector, PATIENCE)
            .and_then(|element| element.click().map(|_| ()))
            .unwrap_or_else(|e| panic!("click {selector}: {e}"));
    }

    /// Sets an input's or select's value and fires `input` and `change`, as a user's edit does.
    fn set(&self, selector: &str, value: &str) {
        let found = self.js(&format!(
            "(() => {{ const el = document.querySelector({selector:?}); if (!el) return false;
               el.value = {value:?};
               el.dispatchEvent(new Event('input', {{bubbles: true}}));
               el.dispatchEvent(new Event('change', {{bubbles: true}}));
               return el.value === {value:?}; }})()"
        ));
        assert_eq!(
            found,
            Value::Bool(true),
            "{selector} takes the value {value:?}"
        );
    }

    /// Every error so far, from the page's scripts and from the DevTools protocol.
    fn errors(&self) -> Vec<String> {
        let mut errors = self.reported.lock().expect("not poisoned").clone();
        if let Value::Array(page) = self.js("window.__errors") {
            errors.extend(page.iter().map(Value::to_string));
        }
        errors
    }

    /// The current run's id (`window.burnprop.run.id`).
    fn run_id(&self) -> String {
        self.js("window.burnprop.run.id")
            .as_str()
            .expect("a run id")
            .to_owned()
    }

    /// Saves a PNG of the window as `artifacts/playground/NAME.png`.
    fn screenshot(&self, name: &str) {
        let png = self
            .tab
            .capture_screenshot(CaptureScreenshotFormatOption::Png, None, None, true)
            .expect("a screenshot");
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("artifacts/playground");
        std::fs::create_dir_all(&dir).expect("artifacts/playground");
        std::fs::write(dir.join(format!("{name}.png")), png).expect("the screenshot is written");
    }
}

/// Launches headless Chromium at `path` and opens a tab.
fn launch(path: PathBuf) -> (Browser, Arc<Tab>) {
    // Containers give /dev/shm 64 MB, too little for Chromium's renderers.
    let args = [OsStr::new("--disable-dev-shm-usage")];
    let options = LaunchOptions::default_builder()
        .path(Some(path))
        .headless(true)
        // As root (CI's containers), Chromium's sandbox refuses to start.
        .sandbox(false)
        .window_size(Some(WINDOW))
        .args(args.to_vec())
        .idle_browser_timeout(Duration::from_secs(120))
        .build()
        .expect("launch options");
    let browser = Browser::new(options).expect("Chromium starts");
    let tab = browser.new_tab().expect("a tab");
    tab.set_default_timeout(PATIENCE);
    // The page's viewport at the window's size (headless Chromium keeps 143 pixels of the
    // window's height for a browser frame it does not draw).
    tab.call_method(
        headless_chrome::protocol::cdp::Emulation::SetDeviceMetricsOverride {
            width: WINDOW.0,
            height: WINDOW.1,
            device_scale_factor: 1.0,
            mobile: false,
            scale: None,
            screen_width: None,
            screen_height: None,
            position_x: None,
            position_y: None,
            dont_set_visible_size: None,
            screen_orientation: None,
            viewport: None,
            display_feature: None,
            device_posture: None,
        },
    )
    .expect("the viewport's size");
    (browser, tab)
}

/// The text of an error the DevTools protocol reports, if `event` is one.
fn reported_error(event: &Event) -> Option<String> {
    use headless_chrome::protocol::cdp::Log::LogEntryLevel;
    match event {
        Event::LogEntryAdded(entry) if entry.params.entry.level == LogEntryLevel::Error => {
            Some(format!(
                "log: {} ({})",
                entry.params.entry.text,
                entry.params.entry.url.clone().unwrap_or_default()
            ))
        }
        Event::RuntimeExceptionThrown(thrown) => Some(format!(
            "exception: {}",
            thrown.params.exception_details.text
        )),
        _ => None,
    }
}

#[test]
fn the_page_loads_without_errors_and_not_without_its_token() {
    let Some(page) = Playground::open() else {
        return;
    };
    let run = page.js("window.burnprop.run");
    assert_eq!(
        run["network"]["sizes"],
        serde_json::json!([2, 4, 2, 1]),
        "the default run"
    );
    assert_eq!(page.js("window.burnprop.frame.step"), 0, "paused at step 0");
    assert_eq!(page.errors(), Vec::<String>::new(), "no errors");
    // A tab of a fresh context has no cookie: the address without the token is refused.
    let context = page._browser.new_context().expect("a browser context");
    let stranger = context.new_tab().expect("a tab");
    let bare = format!("http://127.0.0.1:{}/", page.server.port);
    stranger
        .navigate_to(&bare)
        .and_then(|t| t.wait_until_navigated())
        .expect("a response");
    let status = stranger
        .evaluate(
            "performance.getEntriesByType('navigation')[0].responseStatus",
            false,
        )
        .expect("the status")
        .value;
    assert_eq!(status, Some(Value::from(401)), "the page without its token");
    let body = stranger
        .evaluate("document.body.innerText", false)
        .expect("the body")
        .value;
    assert!(
        body.as_ref()
            .and_then(Value::as_str)
            .is_some_and(|b| b.contains("error")),
        "{body:?}"
    );
}

#[test]
fn play_trains_and_redraws_the_decision_regions() {
    let Some(page) = Playground::open() else {
        return;
    };
    let first_loss = page.js("window.burnprop.frame.loss.train");
    let before = page.js("document.querySelector('#decision').toDataURL()");
    page.click("#play");
    page.wait_for("step 50", "window.burnprop.frame.step > 50");
    let loss = page.js("window.burnprop.frame.loss.train");
    assert!(
        loss.as_f64() < first_loss.as_f64(),
        "the training loss fell: {first_loss} at step 0, {loss} after 50 steps"
    );
    let after = page.js("document.querySelector('#decision').toDataURL()");
    assert_ne!(before, after, "#decision was redrawn");
    page.wait_for("step 300", "window.burnprop.frame.step > 300");
    page.click("#pause");
    page.wait_for("paused", "window.burnprop.frame.state === 'paused'");
    assert!(
        page.js("document.querySelector('#step-count').textContent")
            .as_str()
            .is_some_and(|t| !t.is_empty())
    );
    page.screenshot("play");
    if std::env::var("BURNPROP_SCREENSHOT").is_ok_and(|v| v == "update") {
        page.screenshot("playground");
    }
    assert_eq!(page.errors(), Vec::<String>::new(), "no errors");
}

#[test]
fn layers_activations_and_the_data_set_recreate_the_run() {
    let Some(page) = Playground::open() else {
        return;
    };
    let first = page.run_id();
    page.click("#add-layer");
    page.wait_for(
        "a third hidden layer",
        "window.burnprop.run.network.sizes.length === 5",
    );
    assert_ne!(page.run_id(), first, "a new run");
    let sizes = page.js("window.burnprop.run.network.sizes");
    page.click("#layer-1-add");
    let wider = sizes[1].as_u64().expect("a width") + 1;
    page.wait_for(
        "layer 1 one unit wider",
        &format!("window.burnprop.run.network.sizes[1] === {wider}"),
    );
    page.set("select#activation-1", "relu");
    page.wait_for(
        "relu in layer 1",
        "window.burnprop.run.network.activations[0] === 'relu'",
    );
    page.set("select#data", "xor");
    page.wait_for(
        "the xor data",
        "window.burnprop.run.settings.data === 'xor'",
    );
    let query = page.js("location.search");
    let query = query.as_str().unwrap_or_default();
    assert!(
        query.contains("data=xor"),
        "the URL reproduces the run: {query}"
    );
    assert!(
        query.contains("activations=relu"),
        "the URL has the activations: {query}"
    );
    page.screenshot("layers");
    assert_eq!(page.errors(), Vec::<String>::new(), "no errors");
}

#[test]
fn an_uploaded_csv_file_becomes_the_data() {
    let Some(page) = Playground::open() else {
        return;
    };
    let iris = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/data/iris.csv");
    page.tab
        .wait_for_element("input#upload")
        .and_then(|input| {
            input
                .set_input_files(&[iris.to_str().expect("a UTF-8 path")])
                .map(|_| ())
        })
        .expect("the file is chosen");
    // The file input's `change` event, as after a user's choice.
    page.js("document.querySelector('input#upload').dispatchEvent(new Event('change', {bubbles: true}))");
    page.wait_for(
        "a run on the upload",
        "window.burnprop.run.settings.data === 'upload'",
    );
    // iris.csv: 4 measurements in, 3 species out.
    assert_eq!(page.js("window.burnprop.run.network.sizes[0]"), 4);
    assert_eq!(page.js("window.burnprop.run.classes"), 3);
    page.wait_for(
        "its first frame",
        "window.burnprop.frame?.run === window.burnprop.run.id",
    );
    page.screenshot("upload");
    assert_eq!(page.errors(), Vec::<String>::new(), "no errors");
}

#[test]
fn the_gradient_check_passes_and_backprop_mode_shows_the_apis_gradients() {
    let Some(page) = Playground::open() else {
        return;
    };
    page.click("#check-gradients");
    let verdict = page.wait_for(
        "the verdict",
        "document.querySelector('#gradcheck-verdict')?.textContent.trim() || null",
    );
    assert_eq!(verdict, "pass", "#gradcheck-verdict");
    page.click("#backprop-mode");
    page.set("input#backprop-example", "0");
    page.click("#backprop-all");
    page.wait_for(
        "the backprop of example 0",
        "window.burnprop.backprop?.example === 0",
    );
    let shown = page.js("window.burnprop.backprop");
    let equation = page.js("document.querySelector('#backprop-equation')?.innerHTML");
    assert!(
        equation.as_str().is_some_and(|e| e.contains("<math")),
        "#backprop-equation: {equation}"
    );
    let id = page.run_id();
    let api = page
        .server
        .api(
            "POST",
            &format!("/api/runs/{id}/backprop"),
            &serde_json::json!({"example": 0}),
        )
        .json();
    let page_dw1 = numbers(&named(&shown["entries"], "dW1")["values"], "the page's dW1");
    let api_dw1 = numbers(&named(&api["entries"], "dW1")["values"], "the API's dW1");
    assert_eq!(page_dw1, api_dw1, "the page shows the API's ∂J/∂W1");
    let numeric = numbers(
        &named(&api["tensors"], "W1")["numeric"],
        "finite differences",
    );
    for (g, n) in page_dw1.iter().zip(&numeric) {
        // f64 central differences (gradcheck's eps 1e-6): agreement to about 1e-8 relative.
        let relative = (g - n).abs() / g.abs().max(n.abs()).max(1e-12);
        assert!(
            relative < 1e-4 || (g - n).abs() < 1e-10,
            "∂J/∂w {g} vs finite difference {n}"
        );
    }
    page.screenshot("backprop");
    assert_eq!(page.errors(), Vec::<String>::new(), "no errors");
}
