import { describe, expect, it } from "vitest";
import { idle } from "./states";
import { IndexingStrip, describePolling } from "../src/indexing";

function strip() {
  const root = document.createElement("div");
  const bar = document.createElement("progress");
  const label = document.createElement("span");
  const pause = document.createElement("button");
  const notice = document.createElement("div");
  return { root, bar, label, pause, notice, view: new IndexingStrip(root, bar, label, pause, notice) };
}

describe("indexing strip", () => {
  it("hides while live indexing is idle, shows done/total during the catch-up", () => {
    const s = strip();
    s.view.update(idle);
    expect(s.root.hidden).toBe(true);
    expect(s.notice.hidden).toBe(true);
    s.view.update({ ...idle, running: true, watching: false, step: { step: "indexing", done: 5, total: 20, current: "/d/a.txt" } });
    expect(s.root.hidden).toBe(false);
    expect(s.label.textContent).toBe("Indexing 5 / 20 files — a.txt");
    expect(s.bar.value).toBeCloseTo(0.25);
    expect(s.pause.dataset.action).toBe("pause");
  });

  it("offers Resume only when paused, and says changes wait", () => {
    const s = strip();
    s.view.update({ ...idle, paused: true });
    expect(s.root.hidden).toBe(false);
    expect(s.pause.dataset.action).toBe("resume");
    expect(s.label.textContent).toBe("Live updates paused: changes are indexed on resume");
  });

  it("never polls silently", () => {
    const s = strip();
    const reason = "the system limit on watched folders (inotify max_user_watches) was reached";
    s.view.update({ ...idle, polling: [{ root: "/home/u/Documents", reason, interval_s: 30 }] }, "/home/u");
    expect(s.notice.hidden).toBe(false);
    expect(s.notice.textContent).toBe("Watching limit reached: checking ~/Documents every 30 s");
    expect(s.notice.title).toContain("max_user_watches");
  });
});

describe("polling notice", () => {
  it("is null when every folder is watched", () => {
    expect(describePolling([])).toBeNull();
  });

  it("names the folders and the interval, with home shortened", async () => {
    const reason = "the system limit on watched folders (inotify max_user_watches) was reached";
    expect(describePolling([{ root: "/home/u/Documents", reason, interval_s: 30 }], "/home/u")).toBe(
      "Watching limit reached: checking ~/Documents every 30 s",
    );
    expect(
      describePolling([
        { root: "/mnt/share", reason: "file events are unavailable (boom)", interval_s: 30 },
        { root: "/srv/b", reason: "polling was requested", interval_s: 60 },
      ]),
    ).toBe("Live updates unavailable: checking /mnt/share, /srv/b every 60 s");
  });
});
