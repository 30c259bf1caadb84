// Small formatting helpers for result rows. Pure, so they are unit-tested.

import type { Hit, Location } from "./api";

/** The last component of a path, for either separator. */
export function fileName(path: string): string {
  const parts = path.split(/[\\/]/).filter((p) => p.length > 0);
  return parts.length > 0 ? parts[parts.length - 1] : path;
}

/** The folder holding a path, with the home directory shortened to `~`. */
export function folderOf(path: string, home: string | null = null): string {
  const cut = Math.max(path.lastIndexOf("/"), path.lastIndexOf("\\"));
  let dir = cut > 0 ? path.slice(0, cut) : cut === 0 ? path.slice(0, 1) : "";
  if (home && (dir === home || dir.startsWith(home + "/"))) dir = "~" + dir.slice(home.length);
  return dir;
}

/** "page 3", "line 42", "Sheet Budget", or "" when the engine has no location. */
export function locationLabel(loc: Location | null | undefined): string {
  if (!loc) return "";
  const parts: string[] = [];
  if (typeof loc.label === "string" && loc.label) parts.push(loc.label);
  if (typeof loc.page === "number") parts.push(`page ${loc.page}`);
  else if (typeof loc.line === "number") parts.push(`line ${loc.line}`);
  return parts.join(", ");
}

/** A short, locale-aware modified date: time today, otherwise the date. */
export function modifiedLabel(secs: number | null | undefined, now: Date = new Date()): string {
  if (typeof secs !== "number" || !Number.isFinite(secs) || secs <= 0) return "";
  const d = new Date(secs * 1000);
  const sameDay =
    d.getFullYear() === now.getFullYear() && d.getMonth() === now.getMonth() && d.getDate() === now.getDate();
  if (sameDay) return d.toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit" });
  const sameYear = d.getFullYear() === now.getFullYear();
  return d.toLocaleDateString(undefined, sameYear ? { month: "short", day: "numeric" } : { year: "numeric", month: "short", day: "numeric" });
}

/** A 2–4 letter badge for a file kind, shown as the result's icon. */
export function kindBadge(kind: string): string {
  const map: Record<string, string> = {
    markdown: "MD",
    text: "TXT",
    code: "</>",
    email: "EML",
    image: "IMG",
    other: "FILE",
  };
  return map[kind] ?? kind.toUpperCase().slice(0, 4);
}

/** A colour family per kind, used as a CSS class. */
export function kindFamily(kind: string): string {
  if (kind === "pdf") return "k-pdf";
  if (["docx", "doc", "odt", "rtf"].includes(kind)) return "k-doc";
  if (["xlsx", "xls", "ods"].includes(kind)) return "k-sheet";
  if (["pptx", "ppt", "odp"].includes(kind)) return "k-slides";
  if (["markdown", "text", "epub"].includes(kind)) return "k-text";
  if (["code", "html"].includes(kind)) return "k-code";
  if (kind === "email") return "k-mail";
  return "k-other";
}

/** A rank for the "why this result" panel: "#3" or "—" when the list missed it. */
export function rankLabel(rank: number | null | undefined): string {
  return typeof rank === "number" ? `#${rank}` : "—";
}

/** A score to 3 decimals, or "—" when absent. */
export function scoreLabel(score: number | null | undefined): string {
  return typeof score === "number" && Number.isFinite(score) ? score.toFixed(3) : "—";
}

/** The title to show: the document's own title when it differs from the file name. */
export function displayTitle(hit: Hit): string {
  return fileName(hit.path);
}
