/**
 * The recordings panel of a camera page: a day's timeline (a canvas: spans
 * recorded, gaps empty, a cursor), play from any time (click the bar or type
 * a time), a <video> for the segments (signed URLs, so it loads them itself
 * with Range requests and seeks within them), back to live, and the download
 * of a span as one MP4. Shown only to viewers with the recordings grant.
 */

import type { ApiClient, Segment } from "./api.ts";
import { h } from "./dom.ts";
import {
  clockText,
  dayOf,
  mergeSpans,
  parseClock,
  segmentAt,
  type Span,
  timeAtX,
  xAtTime,
} from "./timeline.ts";

/** What the panel asks of the page. */
export interface RecordingsHandlers {
  /** Playback starts: the page stops live video. */
  onPlayback: () => void;
  /** Back to live: the page starts live video again. */
  onLive: () => void;
}

/** Signed URLs last 10 min on the server: list again before that. */
const LIST_MAX_AGE_MS = 5 * 60_000;

export class RecordingsPanel {
  readonly root: HTMLElement;
  readonly video: HTMLVideoElement;
  readonly #api: ApiClient;
  readonly #camera: string;
  readonly #h: RecordingsHandlers;
  readonly #canvas: HTMLCanvasElement;
  readonly #date: HTMLInputElement;
  readonly #at: HTMLInputElement;
  readonly #from: HTMLInputElement;
  readonly #to: HTMLInputElement;
  readonly #status: HTMLElement;
  readonly #live: HTMLButtonElement;
  #day: Span = dayOf(Date.now());
  #segments: Segment[] = [];
  #listedAt = 0;
  #playing: { index: number } | null = null;
  #cursor: number | null = null;
  #observer: ResizeObserver | undefined;
  /** The bar shows the whole day, or one hour around the playback (or the latest span). */
  #zoom: "day" | "hour" = "day";
  readonly #zoomButton: HTMLButtonElement;

  constructor(api: ApiClient, camera: string, handlers: RecordingsHandlers) {
    this.#api = api;
    this.#camera = camera;
    this.#h = handlers;
    this.#canvas = h("canvas", {
      class: "timeline",
      "data-testid": "timeline",
      role: "img",
      "aria-label": "Recorded spans of the day; click to play from that time",
    });
    this.#canvas.addEventListener("click", (ev) => {
      const r = this.#canvas.getBoundingClientRect();
      void this.playAt(timeAtX(ev.clientX - r.left, r.width, this.#range()));
    });
    const today = new Date();
    const iso = (d: Date) =>
      `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${
        String(d.getDate()).padStart(2, "0")
      }`;
    this.#date = h("input", {
      type: "date",
      value: iso(today),
      max: iso(today),
      "data-testid": "recordings-day",
      "aria-label": "Day",
      onchange: () => {
        const [y, m, d] = this.#date.value.split("-").map(Number);
        if (y && m && d) void this.load(new Date(y, m - 1, d).getTime());
      },
    });
    const timeInput = (testid: string, label: string) =>
      h("input", { type: "time", step: 1, "data-testid": testid, "aria-label": label });
    this.#at = timeInput("play-from", "Play from");
    this.#from = timeInput("download-from", "Download from");
    this.#to = timeInput("download-to", "Download to");
    this.#status = h("p", {
      class: "recordings-status",
      "aria-live": "polite",
      "data-testid": "recordings-status",
    });
    this.video = h("video", {
      class: "video playback",
      muted: true,
      controls: true,
      playsinline: true,
      hidden: true,
      "data-testid": "playback",
      "aria-label": "Recorded video",
    });
    this.video.addEventListener("timeupdate", () => this.#onTime());
    this.video.addEventListener("ended", () => void this.#next());
    this.#zoomButton = h("button", {
      type: "button",
      class: "btn btn-quiet",
      "aria-pressed": "false",
      "data-testid": "timeline-zoom",
      onclick: () => {
        this.#zoom = this.#zoom === "day" ? "hour" : "day";
        this.#zoomButton.setAttribute("aria-pressed", String(this.#zoom === "hour"));
        this.#zoomButton.textContent = this.#zoom === "day" ? "Zoom to 1 h" : "Whole day";
        this.draw();
      },
    }, "Zoom to 1 h");
    this.#live = h("button", {
      type: "button",
      class: "btn",
      hidden: true,
      "data-testid": "back-to-live",
      onclick: () => this.backToLive(),
    }, "Back to live");
    this.root = h(
      "section",
      { class: "recordings", "data-testid": "recordings", "aria-labelledby": "recordings-title" },
      h(
        "div",
        { class: "recordings-bar" },
        h("h2", { id: "recordings-title" }, "Recordings"),
        this.#date,
        this.#zoomButton,
        this.#live,
      ),
      this.video,
      this.#canvas,
      h(
        "div",
        { class: "recordings-controls" },
        h(
          "form",
          {
            class: "inline-form",
            onsubmit: (ev: Event) => {
              ev.preventDefault();
              const t = parseClock(this.#at.value, this.#day.start);
              if (t === null) this.#say("Enter a time as HH:MM:SS.");
              else void this.playAt(t);
            },
          },
          this.#at,
          h("button", { type: "submit", class: "btn", "data-testid": "play-at" }, "Play"),
        ),
        h(
          "form",
          {
            class: "inline-form",
            onsubmit: (ev: Event) => {
              ev.preventDefault();
              void this.#download();
            },
          },
          this.#from,
          h("span", { "aria-hidden": "true" }, "–"),
          this.#to,
          h("button", { type: "submit", class: "btn", "data-testid": "download" }, "Download"),
        ),
      ),
      this.#status,
    );
    if (typeof ResizeObserver !== "undefined") {
      this.#observer = new ResizeObserver(() => this.draw());
      this.#observer.observe(this.#canvas);
    }
  }

  /** The segments listed for the day shown. */
  get segments(): readonly Segment[] {
    return this.#segments;
  }

  /** Lists the recordings of the day holding `t` and draws them. */
  async load(t = Date.now()): Promise<void> {
    this.#day = dayOf(t);
    try {
      this.#segments = await this.#api.recordings(this.#camera, this.#day.start, this.#day.end);
      this.#listedAt = Date.now();
      const spans = mergeSpans(this.#segments);
      this.#say(
        this.#segments.length === 0
          ? "Nothing recorded on this day."
          : `${spans.length} recorded span${spans.length === 1 ? "" : "s"}, ${
            clockText(spans[0].start)
          } to ${clockText(spans.at(-1)!.end)}.`,
      );
      this.root.dataset.segments = String(this.#segments.length);
    } catch (e) {
      this.#say(`Could not list the recordings (${e instanceof Error ? e.message : e}).`);
    }
    this.draw();
  }

  /** Plays the recording from `t` (ms since the epoch). */
  async playAt(t: number): Promise<void> {
    if (Date.now() - this.#listedAt > LIST_MAX_AGE_MS) await this.load(t);
    const at = segmentAt(this.#segments, t);
    if (!at) {
      this.#say(`Nothing recorded at or after ${clockText(t)}.`);
      return;
    }
    this.#h.onPlayback();
    this.video.hidden = false;
    this.#live.hidden = false;
    this.#at.value = clockText(this.#segments[at.index].start + at.offsetS * 1000);
    await this.#play(at.index, at.offsetS);
  }

  /** Stops playback; the page goes back to live. */
  backToLive(): void {
    this.#playing = null;
    this.#cursor = null;
    this.video.pause();
    this.video.removeAttribute("src");
    this.video.load();
    this.video.hidden = true;
    this.#live.hidden = true;
    delete this.root.dataset.wallTime;
    this.draw();
    this.#h.onLive();
  }

  dispose(): void {
    this.#observer?.disconnect();
    this.video.pause();
    this.video.removeAttribute("src");
  }

  async #play(index: number, offsetS: number): Promise<void> {
    const seg = this.#segments[index];
    this.#playing = { index };
    const v = this.video;
    const url = new URL(seg.url, location.href).href;
    if (v.src !== url) {
      v.src = url;
      await new Promise<void>((resolve) => {
        const done = () => {
          v.removeEventListener("loadedmetadata", done);
          v.removeEventListener("error", done);
          resolve();
        };
        v.addEventListener("loadedmetadata", done);
        v.addEventListener("error", done);
      });
    }
    if (v.error) {
      this.#say(`This recording cannot be played (${v.error.message || v.error.code}).`);
      return;
    }
    v.currentTime = offsetS;
    this.#say(`Playing from ${clockText(seg.start + offsetS * 1000)}.`);
    await v.play().catch(() => {});
  }

  async #next(): Promise<void> {
    const i = (this.#playing?.index ?? -1) + 1;
    if (!this.#playing || i >= this.#segments.length) {
      this.#say("End of the recordings.");
      return;
    }
    await this.#play(i, 0);
  }

  #onTime(): void {
    if (!this.#playing) return;
    const seg = this.#segments[this.#playing.index];
    this.#cursor = seg.start + this.video.currentTime * 1000;
    // For tests and assistive tech: the wall-clock time shown.
    this.root.dataset.wallTime = String(Math.round(this.#cursor));
    this.draw();
  }

  async #download(): Promise<void> {
    const from = parseClock(this.#from.value, this.#day.start);
    const to = parseClock(this.#to.value, this.#day.start);
    if (from === null || to === null || to <= from) {
      this.#say("Choose a span: a start time before an end time.");
      return;
    }
    this.#say("Preparing the download…");
    try {
      const blob = await this.#api.clip(this.#camera, from, to);
      const a = h("a", {
        href: URL.createObjectURL(blob),
        download: `${this.#camera}-${clockText(from).replaceAll(":", "")}.mp4`,
        hidden: true,
      });
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(a.href), 60_000);
      this.#say(`Downloaded ${(blob.size / 1e6).toFixed(1)} MB.`);
    } catch (e) {
      this.#say(`Download failed (${e instanceof Error ? e.message : e}).`);
    }
  }

  #say(text: string): void {
    this.#status.textContent = text;
  }

  /** What the bar shows: the day, or the hour around the cursor (else the latest recording). */
  #range(): Span {
    if (this.#zoom === "day") return this.#day;
    const center = this.#cursor ?? mergeSpans(this.#segments).at(-1)?.end ?? Date.now();
    const start = Math.max(
      this.#day.start,
      Math.min(center - 30 * 60_000, this.#day.end - 3600_000),
    );
    return { start, end: start + 3600_000 };
  }

  /** Draws the range: ticks, recorded spans, the playback cursor. */
  draw(): void {
    const c = this.#canvas;
    const ctx = c.getContext?.("2d");
    if (!ctx) return;
    const dpr = globalThis.devicePixelRatio || 1;
    const w = Math.max(1, Math.round(c.clientWidth * dpr));
    const hgt = Math.max(1, Math.round(c.clientHeight * dpr));
    if (c.width !== w || c.height !== hgt) {
      c.width = w;
      c.height = hgt;
    }
    const css = getComputedStyle(c);
    const color = (name: string, fallback: string) => css.getPropertyValue(name).trim() || fallback;
    ctx.clearRect(0, 0, w, hgt);
    ctx.fillStyle = color("--tl-gap", "#2a2f3a");
    ctx.fillRect(0, 0, w, hgt * 0.6);
    ctx.fillStyle = color("--tl-span", "#4f8cff");
    const range = this.#range();
    for (const s of mergeSpans(this.#segments)) {
      const x0 = xAtTime(s.start, w, range);
      const x1 = xAtTime(s.end, w, range);
      ctx.fillRect(x0, 0, Math.max(1, x1 - x0), hgt * 0.6);
    }
    ctx.fillStyle = color("--tl-text", "#9aa3b2");
    ctx.font = `${Math.round(11 * dpr)}px system-ui, sans-serif`;
    ctx.textBaseline = "bottom";
    // Ticks every 3 h over the day, every 10 min over an hour.
    const step = this.#zoom === "day" ? 3 * 3600_000 : 10 * 60_000;
    const first = this.#zoom === "day" ? range.start : Math.ceil(range.start / step) * step;
    c.dataset.rangeStart = String(Math.round(range.start));
    c.dataset.rangeEnd = String(Math.round(range.end));
    for (let t = first; t <= range.end; t += step) {
      const x = xAtTime(t, w, range);
      ctx.fillRect(x, hgt * 0.6, 1, hgt * 0.12);
      if (x < w - 30 * dpr) ctx.fillText(clockText(t).slice(0, 5), x + 2 * dpr, hgt);
    }
    if (this.#cursor !== null) {
      ctx.fillStyle = color("--tl-cursor", "#ffb020");
      ctx.fillRect(xAtTime(this.#cursor, w, range) - dpr, 0, 2 * dpr, hgt * 0.6);
    }
  }
}
