import { describe, expect, it } from "vitest";
import { idle } from "./states";
import { RecognitionLine, describeRecognition } from "../src/recognition";

function line() {
  const root = document.createElement("div");
  const label = document.createElement("span");
  const button = document.createElement("button");
  return { root, label, button, view: new RecognitionLine(root, label, button) };
}

describe("recognising text line", () => {
  it("is hidden when no page waits", () => {
    const l = line();
    l.view.update(idle);
    expect(l.root.hidden).toBe(true);
    expect(describeRecognition(idle)).toBeNull();
  });

  it("counts the pages left and offers Pause", () => {
    const l = line();
    l.view.update({ ...idle, ocr_pending: 1234 });
    expect(l.root.hidden).toBe(false);
    expect(l.label.textContent).toBe(`Recognising text: ${(1234).toLocaleString()} pages left`);
    expect(l.button.textContent).toBe("Pause");
    expect(l.button.dataset.action).toBe("pause");
    expect(l.button.getAttribute("aria-label")).toBe("Pause text recognition");
  });

  it("says one page, not one pages", () => {
    expect(describeRecognition({ ocr_pending: 1, ocr_paused: false, ocr_stopping: false, ocr_off: false })?.label).toBe("Recognising text: 1 page left");
  });

  it("says paused and offers Resume, while keyword indexing state is untouched", () => {
    const l = line();
    l.view.update({ ...idle, ocr_pending: 3, ocr_paused: true });
    expect(l.label.textContent).toBe("Text recognition paused: 3 pages left");
    expect(l.button.dataset.action).toBe("resume");
    expect(l.button.textContent).toBe("Resume");
    l.view.update({ ...idle, ocr_pending: 0, ocr_paused: true });
    expect(l.root.hidden).toBe(true);
  });

  it("says pausing, not paused, until the page being read is finished", () => {
    const l = line();
    l.view.update({ ...idle, ocr_pending: 4, ocr_paused: true, ocr_stopping: true });
    expect(l.label.textContent).toBe("Pausing after the current page: 4 pages left");
    expect(l.button.dataset.action).toBe("resume");
    l.view.update({ ...idle, ocr_pending: 3, ocr_paused: true });
    expect(l.label.textContent).toBe("Text recognition paused: 3 pages left");
  });

  it("says pages wait, with no Pause, while recognition is off in Settings", () => {
    const l = line();
    l.view.update({ ...idle, ocr_pending: 5, ocr_off: true });
    expect(l.root.hidden).toBe(false);
    expect(l.label.textContent).toBe("Text recognition is off: 5 pages waiting");
    expect(l.button.hidden).toBe(true);
    l.view.update({ ...idle, ocr_pending: 5 });
    expect(l.label.textContent).toBe("Recognising text: 5 pages left");
    expect(l.button.hidden).toBe(false);
  });

  it("writes file-derived text as text, never as HTML", () => {
    const l = line();
    l.view.update({ ...idle, ocr_pending: 2 });
    expect(l.label.children.length).toBe(0);
  });
});
