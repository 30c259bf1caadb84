import { describe, expect, it } from "vitest";
import { downloadError } from "../src/settings";

describe("downloadError", () => {
  it("reads a DNS failure as being offline, once, with what to do", () => {
    const raw = "gave up after 5 attempts: io: failed to lookup address information: Temporary failure in name resolution";
    const msg = downloadError("mxbai-embed-xsmall-v1", raw);
    expect(msg).toMatch(/^You seem to be offline/);
    expect(msg).toMatch(/press Download again/);
    expect(msg.match(/offline/g)).toHaveLength(1);
  });

  it("reads a refused connection as being offline too", () => {
    expect(downloadError("m", "error sending request: Connection refused (os error 111)")).toMatch(/^You seem to be offline/);
  });

  it("says a checksum mismatch deleted the file", () => {
    expect(downloadError("m", "onnx/model.onnx: sha256 abc does not match the manifest's def")).toMatch(/did not match its published checksum and was deleted/);
  });

  it("points an unpinned model at the command that accepts it", () => {
    expect(downloadError("mxbai-rerank-large-v2", "mxbai-rerank-large-v2: file is unpinned")).toContain(
      "crumb models fetch mxbai-rerank-large-v2 --allow-unpinned",
    );
    expect(downloadError("mxbai-rerank-large-v2", "file is unpinned")).toContain("Download unverified"
    );
  });

  it("keeps anything else as it came, named", () => {
    expect(downloadError("m", "disk full")).toBe("Downloading m failed: disk full");
  });
});
