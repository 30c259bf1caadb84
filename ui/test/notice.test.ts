import { describe, expect, it } from "vitest";
import { humane, Notices } from "../src/notice";

describe("Notices", () => {
  it("keep an error until it is dismissed, once however often it happens", async () => {
    const box = document.createElement("div");
    box.hidden = true;
    const n = new Notices(box);
    n.error({ code: "open", message: "Crumb could not open /d/a.pdf: no such file" });
    n.error({ code: "open", message: "Crumb could not open /d/a.pdf: no such file" });
    expect(n.count).toBe(1);
    expect(box.hidden).toBe(false);
    expect(box.querySelector(".notice")?.getAttribute("role")).toBe("alert");
    // Nothing takes it away but the person.
    await new Promise((r) => setTimeout(r, 50));
    expect(n.count).toBe(1);
    (box.querySelector(".notice-close") as HTMLButtonElement).click();
    expect(n.count).toBe(0);
    expect(box.hidden).toBe(true);
  });

  it("say what happened and what to do, in words", () => {
    expect(humane({ code: "unknown_file", message: "no search result has file id 7" })).toMatch(/Search again/);
    expect(humane({ code: "busy", message: "locked" })).toMatch(/try this again/);
    expect(humane(new Error("boom"))).toBe("Error: boom");
  });

  it("never build markup from a message", () => {
    const box = document.createElement("div");
    new Notices(box).show("<img src=x onerror=alert(1)>");
    expect(box.querySelector("img")).toBeNull();
    expect(box.textContent).toContain("<img");
  });
});
