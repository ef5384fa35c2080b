//! Tauri's build step: reads tauri.conf.json and the capabilities. The UI's built files are
//! embedded by `generate_context!`, so a new `ui/dist` must rebuild the app.
fn main() {
    println!("cargo:rerun-if-changed=../ui/dist");
    tauri_build::build()
}
