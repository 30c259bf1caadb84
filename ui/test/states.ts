// Shared test fixtures: the indexing state of a watcher with nothing to do.
import type { IndexingState } from "../src/api";

export const idle: IndexingState = {
  running: false,
  paused: false,
  watching: true,
  step: { step: "done" },
  last_error: null,
  polling: [],
  updates: 0,
  ocr_pending: 0,
  ocr_paused: false,
  ocr_stopping: false,
  ocr_off: false,
};
