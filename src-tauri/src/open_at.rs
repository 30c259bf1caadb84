//! Opening a hit where it is: a PDF at the hit's page, text at its line, in
//! the viewers and editors known to accept one on their command line.
//!
//! The default handler comes from the freedesktop MIME associations
//! (`mimeapps.list` and the handler's `.desktop` file), read here rather than
//! through `xdg-mime`, which is often not installed. A handler not in the
//! table below opens the file at its start, and the window says so.
//!
//! Test seam: when `CRUMB_OPEN_RECORD` names a file, the app appends the
//! command it would run there as one JSON line instead of running it. Only
//! the app reads it; the end-to-end test sets it to assert the command.

use serde::Serialize;
use std::path::{Path, PathBuf};

/// The environment variable of the test seam (see the module docs).
pub const RECORD_ENV: &str = "CRUMB_OPEN_RECORD";

/// Where in the file to open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    /// A 1-based page.
    Page(u32),
    /// A 1-based line.
    Line(u32),
}

/// A command that opens a file at a place.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Launch {
    /// The program, as the handler's `.desktop` file names it.
    pub program: String,
    /// Its arguments, the file's path among them.
    pub args: Vec<String>,
}

/// The command for `program` (a name or path) to open `path` at `place`, or
/// `None` when that program takes no page or line on its command line.
pub fn command_for(program: &str, path: &Path, place: Place) -> Option<Launch> {
    let name = Path::new(program)
        .file_name()?
        .to_string_lossy()
        .to_lowercase();
    let name = name.strip_suffix(".exe").unwrap_or(&name);
    let file = path.to_string_lossy().into_owned();
    let args: Vec<String> = match (name, place) {
        // Evince and its forks take a 1-based page index.
        ("evince" | "atril" | "xreader", Place::Page(n)) => vec![format!("--page-index={n}"), file],
        ("okular", Place::Page(n)) => vec!["-p".into(), n.to_string(), file],
        ("zathura", Place::Page(n)) => vec!["-P".into(), n.to_string(), file],
        ("sumatrapdf", Place::Page(n)) => vec!["-page".into(), n.to_string(), file],
        ("code" | "code-oss" | "codium" | "vscodium", Place::Line(n)) => {
            vec!["-g".into(), format!("{file}:{n}")]
        }
        ("gedit" | "pluma" | "xed" | "mousepad" | "geany", Place::Line(n)) => {
            vec![format!("+{n}"), file]
        }
        ("kate" | "kwrite", Place::Line(n)) => vec!["-l".into(), n.to_string(), file],
        ("subl" | "sublime_text", Place::Line(n)) => vec![format!("{file}:{n}")],
        _ => return None,
    };
    Some(Launch {
        program: program.to_string(),
        args,
    })
}

/// What opening did, for the window to say.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct Opened {
    /// "page 3" or "line 12" when the program was asked for the hit's place.
    pub at: Option<String>,
    /// Why the file opened at its start although the hit has a place.
    pub note: Option<String>,
}

impl Place {
    /// The place a hit's location names: its page, else a line past the first.
    pub fn of(page: Option<u32>, line: Option<u32>) -> Option<Place> {
        page.filter(|p| *p > 0)
            .map(Place::Page)
            .or_else(|| line.filter(|l| *l > 1).map(Place::Line))
    }

    fn words(self) -> String {
        match self {
            Place::Page(n) => format!("page {n}"),
            Place::Line(n) => format!("line {n}"),
        }
    }
}

/// Opens `path` at `place` in its default program when that program takes
/// one; otherwise through `fallback` (the desktop's own opener), with a note
/// saying why it opened at the start.
pub fn open(
    path: &Path,
    place: Option<Place>,
    fallback: impl FnOnce(&Path) -> Result<(), String>,
) -> Result<Opened, String> {
    open_with(&XdgDirs::from_env(), path, place, fallback)
}

/// [`open`] with the MIME associations of `dirs`.
pub fn open_with(
    dirs: &XdgDirs,
    path: &Path,
    place: Option<Place>,
    fallback: impl FnOnce(&Path) -> Result<(), String>,
) -> Result<Opened, String> {
    // Types no known program opens at a place (a spreadsheet, a Word file)
    // open at the start without a word: there was nothing to ask for.
    let (Some(place), Some(mime)) = (place, mime_for(path)) else {
        run_fallback(path, fallback)?;
        return Ok(Opened::default());
    };
    let program = dirs.default_program(mime);
    let launch = program.as_deref().and_then(|p| command_for(p, path, place));
    let note = match (&launch, &program) {
        (Some(_), _) => None,
        (None, Some(p)) => Some(format!(
            "Opened at the start: {} cannot be asked to open at {}.",
            Path::new(p).file_name().map_or(p.clone(), |n| n.to_string_lossy().into_owned()),
            place.words()
        )),
        (None, None) => Some(format!(
            "Opened at the start: Crumb could not tell which program opens this file, so it cannot ask for {}.",
            place.words()
        )),
    };
    if let Some(launch) = launch {
        match run(&launch) {
            Ok(()) => {
                return Ok(Opened {
                    at: Some(place.words()),
                    note: None,
                })
            }
            Err(e) => {
                tracing::info!(target: "app::open", program = %launch.program, error = %e, "cannot start the viewer; using the desktop's opener");
                run_fallback(path, fallback)?;
                return Ok(Opened {
                    at: None,
                    note: Some(format!(
                        "Opened at the start: {} did not start ({e}).",
                        launch.program
                    )),
                });
            }
        }
    }
    run_fallback(path, fallback)?;
    Ok(Opened { at: None, note })
}

/// Runs a launch, detached, or records it under the test seam.
fn run(launch: &Launch) -> Result<(), String> {
    if record(launch) {
        return Ok(());
    }
    let mut child = std::process::Command::new(&launch.program)
        .args(&launch.args)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .map_err(|e| e.to_string())?;
    // Reap it when it exits, so no zombie is left behind.
    std::thread::spawn(move || {
        let _ = child.wait();
    });
    Ok(())
}

fn run_fallback(
    path: &Path,
    fallback: impl FnOnce(&Path) -> Result<(), String>,
) -> Result<(), String> {
    let recorded = Launch {
        program: "(desktop opener)".into(),
        args: vec![path.to_string_lossy().into_owned()],
    };
    if record(&recorded) {
        return Ok(());
    }
    fallback(path)
}

/// Appends `launch` to the file the test seam names; false when unset.
fn record(launch: &Launch) -> bool {
    let Some(file) = std::env::var_os(RECORD_ENV).filter(|v| !v.is_empty()) else {
        return false;
    };
    use std::io::Write;
    let line = serde_json::to_string(launch).unwrap_or_default();
    let written = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&file)
        .and_then(|mut f| writeln!(f, "{line}"));
    if let Err(e) = written {
        tracing::warn!(target: "app::open", error = %e, "cannot record the open command");
    }
    true
}

/// The MIME type whose default handler opens files of this extension at a
/// place; `None` for types no handler in [`command_for`] takes a place for.
pub fn mime_for(path: &Path) -> Option<&'static str> {
    let ext = path.extension()?.to_string_lossy().to_lowercase();
    Some(match ext.as_str() {
        "pdf" => "application/pdf",
        "md" | "markdown" => "text/markdown",
        "txt" | "text" | "log" => "text/plain",
        "rs" => "text/rust",
        "py" => "text/x-python",
        "js" | "mjs" => "text/javascript",
        "ts" => "text/x-typescript",
        "c" | "h" => "text/x-csrc",
        "cpp" | "cc" | "hpp" => "text/x-c++src",
        "sh" => "application/x-shellscript",
        "json" => "application/json",
        "toml" | "yaml" | "yml" | "ini" | "cfg" | "csv" | "tsv" | "xml" => "text/plain",
        _ => return None,
    })
}

/// The freedesktop search paths for MIME associations and `.desktop` files.
#[derive(Debug, Clone, Default)]
pub struct XdgDirs {
    /// `$XDG_CONFIG_HOME` then `$XDG_CONFIG_DIRS`.
    pub config: Vec<PathBuf>,
    /// `$XDG_DATA_HOME` then `$XDG_DATA_DIRS`.
    pub data: Vec<PathBuf>,
}

impl XdgDirs {
    /// From the environment, with the specification's defaults.
    pub fn from_env() -> XdgDirs {
        let home = std::env::var_os("HOME").map(PathBuf::from);
        let var = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty());
        let list = |k: &str, default: &str| -> Vec<PathBuf> {
            let v = var(k).map(|v| v.to_string_lossy().into_owned());
            v.as_deref()
                .unwrap_or(default)
                .split(':')
                .filter(|s| !s.is_empty())
                .map(PathBuf::from)
                .collect()
        };
        let mut config: Vec<PathBuf> = var("XDG_CONFIG_HOME")
            .map(PathBuf::from)
            .or_else(|| home.as_ref().map(|h| h.join(".config")))
            .into_iter()
            .collect();
        config.extend(list("XDG_CONFIG_DIRS", "/etc/xdg"));
        let mut data: Vec<PathBuf> = var("XDG_DATA_HOME")
            .map(PathBuf::from)
            .or_else(|| home.as_ref().map(|h| h.join(".local/share")))
            .into_iter()
            .collect();
        data.extend(list("XDG_DATA_DIRS", "/usr/local/share:/usr/share"));
        XdgDirs { config, data }
    }

    /// The program of the default handler for `mime`: the first `.desktop`
    /// file named for it under `[Default Applications]` that exists, and the
    /// first word of its `Exec` line.
    pub fn default_program(&self, mime: &str) -> Option<String> {
        let lists = self.config.iter().map(|d| d.join("mimeapps.list")).chain(
            self.data
                .iter()
                .map(|d| d.join("applications/mimeapps.list")),
        );
        for list in lists {
            let Ok(text) = std::fs::read_to_string(&list) else {
                continue;
            };
            for id in defaults_in(&text, mime) {
                if let Some(program) = self.desktop_program(&id) {
                    return Some(program);
                }
            }
        }
        None
    }

    fn desktop_program(&self, id: &str) -> Option<String> {
        // A .desktop id names a file under applications/ (no path parts).
        if id.contains('/') || !id.ends_with(".desktop") {
            return None;
        }
        self.data.iter().find_map(|d| {
            let text = std::fs::read_to_string(d.join("applications").join(id)).ok()?;
            exec_program(&text)
        })
    }
}

/// The `.desktop` ids listed for `mime` in a `mimeapps.list`'s
/// `[Default Applications]` group, in order.
fn defaults_in(text: &str, mime: &str) -> Vec<String> {
    let mut in_defaults = false;
    for line in text.lines().map(str::trim) {
        if line.starts_with('[') {
            in_defaults = line == "[Default Applications]";
        } else if in_defaults {
            if let Some((k, v)) = line.split_once('=') {
                if k.trim() == mime {
                    return v
                        .split(';')
                        .map(str::trim)
                        .filter(|s| !s.is_empty())
                        .map(String::from)
                        .collect();
                }
            }
        }
    }
    Vec::new()
}

/// The program of a `.desktop` file's `Exec` line in its `[Desktop Entry]`
/// group: its first word, quotes removed, past an `env VAR=…` prefix.
fn exec_program(text: &str) -> Option<String> {
    let mut in_entry = false;
    for line in text.lines().map(str::trim) {
        if line.starts_with('[') {
            in_entry = line == "[Desktop Entry]";
        } else if in_entry {
            if let Some(exec) = line.strip_prefix("Exec=") {
                let mut words = exec.split_whitespace().map(|w| w.trim_matches('"'));
                let mut first = words.next()?;
                if first == "env" {
                    first = words.find(|w| !w.contains('='))?;
                }
                return Some(first.to_string());
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(program: &str, place: Place) -> Option<Vec<String>> {
        command_for(program, Path::new("/d/a b.pdf"), place).map(|l| l.args)
    }

    #[test]
    fn pdf_viewers_get_the_page_in_their_own_syntax() {
        assert_eq!(
            args("evince", Place::Page(7)).unwrap(),
            ["--page-index=7", "/d/a b.pdf"]
        );
        assert_eq!(
            args("/usr/bin/okular", Place::Page(7)).unwrap(),
            ["-p", "7", "/d/a b.pdf"]
        );
        assert_eq!(
            args("zathura", Place::Page(2)).unwrap(),
            ["-P", "2", "/d/a b.pdf"]
        );
        assert_eq!(
            args("C:/Tools/SumatraPDF.exe", Place::Page(4)).unwrap(),
            ["-page", "4", "/d/a b.pdf"]
        );
    }

    #[test]
    fn editors_get_the_line() {
        assert_eq!(
            args("code", Place::Line(12)).unwrap(),
            ["-g", "/d/a b.pdf:12"]
        );
        assert_eq!(
            args("gedit", Place::Line(12)).unwrap(),
            ["+12", "/d/a b.pdf"]
        );
        assert_eq!(
            args("kate", Place::Line(12)).unwrap(),
            ["-l", "12", "/d/a b.pdf"]
        );
    }

    #[test]
    fn unknown_programs_and_mismatched_places_open_at_the_start() {
        assert_eq!(args("firefox", Place::Page(3)), None);
        assert_eq!(args("evince", Place::Line(3)), None);
        assert_eq!(args("gedit", Place::Page(3)), None);
    }

    #[test]
    fn the_default_handler_comes_from_mimeapps_list_and_its_desktop_file() {
        let tmp = tempfile::tempdir().unwrap();
        let config = tmp.path().join("config");
        let data = tmp.path().join("data");
        std::fs::create_dir_all(&config).unwrap();
        std::fs::create_dir_all(data.join("applications")).unwrap();
        std::fs::write(
            config.join("mimeapps.list"),
            "[Added Associations]\napplication/pdf=gimp.desktop;\n\n[Default Applications]\napplication/pdf=missing.desktop;org.gnome.Evince.desktop;\n",
        )
        .unwrap();
        std::fs::write(
            data.join("applications/org.gnome.Evince.desktop"),
            "[Desktop Entry]\nName=Document Viewer\nExec=env GDK_BACKEND=x11 evince %U\n\n[Desktop Action new]\nExec=evince --new\n",
        )
        .unwrap();
        let dirs = XdgDirs {
            config: vec![config],
            data: vec![data],
        };
        assert_eq!(
            dirs.default_program("application/pdf").as_deref(),
            Some("evince")
        );
        assert_eq!(dirs.default_program("text/plain"), None);
    }

    #[test]
    fn a_viewer_that_takes_no_page_opens_at_the_start_and_says_so() {
        let tmp = tempfile::tempdir().unwrap();
        let apps = tmp.path().join("applications");
        std::fs::create_dir_all(&apps).unwrap();
        std::fs::write(
            apps.join("mimeapps.list"),
            "[Default Applications]\napplication/pdf=firefox.desktop\n",
        )
        .unwrap();
        std::fs::write(
            apps.join("firefox.desktop"),
            "[Desktop Entry]\nExec=/usr/lib/firefox/firefox %u\n",
        )
        .unwrap();
        let dirs = XdgDirs {
            config: vec![],
            data: vec![tmp.path().to_path_buf()],
        };
        let mut opened = None;
        let r = open_with(&dirs, Path::new("/d/a.pdf"), Some(Place::Page(3)), |p| {
            opened = Some(p.to_path_buf());
            Ok(())
        })
        .unwrap();
        assert_eq!(opened.as_deref(), Some(Path::new("/d/a.pdf")));
        assert_eq!(r.at, None);
        assert_eq!(
            r.note.as_deref(),
            Some("Opened at the start: firefox cannot be asked to open at page 3.")
        );
        // A Word file's line asks nothing of anyone: no note.
        let quiet = open_with(&dirs, Path::new("/d/a.docx"), Some(Place::Line(9)), |_| {
            Ok(())
        })
        .unwrap();
        assert_eq!(quiet, Opened::default());
    }

    #[test]
    fn mime_types_cover_pdf_and_text() {
        assert_eq!(mime_for(Path::new("/a/B.PDF")), Some("application/pdf"));
        assert_eq!(mime_for(Path::new("/a/notes.md")), Some("text/markdown"));
        assert_eq!(mime_for(Path::new("/a/photo.jpg")), None);
    }
}
