import { describe, expect, it, vi } from "vitest";

// settings.ts imports the Tauri API; the About box itself needs none of it.
vi.mock("@tauri-apps/api/core", () => ({ invoke: vi.fn(), Channel: class {} }));
vi.mock("@tauri-apps/api/event", () => ({ listen: vi.fn() }));

import { aboutSection } from "../src/settings";

describe("aboutSection", () => {
  it("says plainly that a test bundle's models are stand-ins", () => {
    const el = aboutSection({
      version: "0.1.0",
      resource_dir: "/usr/lib/Crumb",
      test_bundle: {
        summary: "Test bundle: the bundled models are stand-ins, not the real mixedbread models.",
        models: { "mxbai-embed-xsmall-v1": "all-MiniLM-L6-v2 ... NOT mxbai-embed-xsmall-v1." },
      },
    });
    expect(el.querySelector("#about-test-bundle")?.textContent).toContain("TEST BUNDLE");
    expect(el.textContent).toContain("NOT mxbai-embed-xsmall-v1");
    expect(el.querySelector("#about-resources")?.textContent).toContain("/usr/lib/Crumb");
  });

  it("shows no test-bundle line for a real bundle or a checkout", () => {
    const el = aboutSection({ version: "0.1.0", resource_dir: null, test_bundle: null });
    expect(el.querySelector("#about-test-bundle")).toBeNull();
    expect(el.textContent).toContain("Crumb 0.1.0");
  });
});
