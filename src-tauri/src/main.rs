// Keeps a release build on Windows from opening a console window beside the app.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    // Extraction workers are this same binary, started with a marker argument,
    // so one hostile document can never take the window down.
    if std::env::args().nth(1).as_deref() == Some(crumb_engine::extract::worker::WORKER_ARG) {
        std::process::exit(match crumb_engine::extract::worker::serve() {
            Ok(()) => 0,
            Err(_) => 1,
        });
    }
    crumb_app::run()
}
