/**
 * A small canvas graph of bitrate and frame rate over the last 60 seconds.
 * Colours come from CSS custom properties on the canvas (--graph-bitrate,
 * --graph-fps, --graph-grid, --graph-text) so the theme stays in the CSS.
 */

export interface GraphSample {
  /** ms, monotonic */
  t: number;
  bitrateKbps: number | null;
  fps: number | null;
}

/** Keeps the samples of the last `windowMs` (pure, unit-tested). */
export class SampleWindow {
  #samples: GraphSample[] = [];
  constructor(readonly windowMs = 60_000) {}

  get samples(): readonly GraphSample[] {
    return this.#samples;
  }

  push(sample: GraphSample): void {
    this.#samples.push(sample);
    const cutoff = sample.t - this.windowMs;
    let drop = 0;
    // keep one sample before the cutoff so the line reaches the left edge
    while (drop + 1 < this.#samples.length && this.#samples[drop + 1].t <= cutoff) drop++;
    if (drop > 0) this.#samples.splice(0, drop);
  }

  clear(): void {
    this.#samples = [];
  }

  max(key: "bitrateKbps" | "fps"): number {
    let m = 0;
    for (const s of this.#samples) {
      const v = s[key];
      if (v !== null && v > m) m = v;
    }
    return m;
  }
}

/** Smallest 1/2/5×10^n that is ≥ x (axis maximum); ≥ `min`. */
export function niceCeil(x: number, min = 1): number {
  const v = Math.max(x, min);
  if (!Number.isFinite(v) || v <= 0) return min;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 5, 10]) if (m * p >= v - 1e-9) return m * p;
  return 10 * p;
}

export class LiveGraph {
  readonly canvas: HTMLCanvasElement;
  readonly data: SampleWindow;
  #observer: ResizeObserver | undefined;
  #pending = false;

  constructor(canvas: HTMLCanvasElement, windowMs = 60_000) {
    this.canvas = canvas;
    this.data = new SampleWindow(windowMs);
    if (typeof ResizeObserver === "function") {
      this.#observer = new ResizeObserver(() => this.draw());
      this.#observer.observe(canvas);
    }
  }

  push(sample: GraphSample): void {
    this.data.push(sample);
    this.#schedule();
  }

  clear(): void {
    this.data.clear();
    this.#schedule();
  }

  dispose(): void {
    this.#observer?.disconnect();
  }

  #schedule(): void {
    if (this.#pending) return;
    this.#pending = true;
    requestAnimationFrame(() => {
      this.#pending = false;
      this.draw();
    });
  }

  draw(): void {
    const canvas = this.canvas;
    const ctx = canvas.getContext("2d");
    if (!ctx) return;
    const dpr = globalThis.devicePixelRatio || 1;
    const cssW = canvas.clientWidth || 300;
    const cssH = canvas.clientHeight || 120;
    const w = Math.round(cssW * dpr);
    const h = Math.round(cssH * dpr);
    if (canvas.width !== w || canvas.height !== h) {
      canvas.width = w;
      canvas.height = h;
    }
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, cssW, cssH);

    const css = getComputedStyle(canvas);
    const color = (name: string, fallback: string) => css.getPropertyValue(name).trim() || fallback;
    const cBitrate = color("--graph-bitrate", "#4cc2ff");
    const cFps = color("--graph-fps", "#ffb454");
    const cGrid = color("--graph-grid", "rgba(255,255,255,0.12)");
    const cText = color("--graph-text", "#aab");

    const pad = { l: 4, r: 4, t: 16, b: 4 };
    const gw = cssW - pad.l - pad.r;
    const gh = cssH - pad.t - pad.b;

    ctx.strokeStyle = cGrid;
    ctx.lineWidth = 1;
    for (let i = 0; i <= 4; i++) {
      const y = Math.round(pad.t + (gh * i) / 4) + 0.5;
      ctx.beginPath();
      ctx.moveTo(pad.l, y);
      ctx.lineTo(pad.l + gw, y);
      ctx.stroke();
    }

    const samples = this.data.samples;
    const maxKbps = niceCeil(this.data.max("bitrateKbps"), 100);
    const maxFps = niceCeil(this.data.max("fps"), 30);
    ctx.font = "11px system-ui, sans-serif";
    ctx.textBaseline = "top";
    ctx.fillStyle = cBitrate;
    ctx.fillText(
      `kbps ≤ ${maxKbps >= 1000 ? `${maxKbps / 1000}M` : maxKbps}`,
      pad.l,
      2,
    );
    ctx.fillStyle = cFps;
    const fpsLabel = `fps ≤ ${maxFps}`;
    ctx.fillText(fpsLabel, pad.l + gw - ctx.measureText(fpsLabel).width, 2);
    ctx.fillStyle = cText;

    if (samples.length < 2) return;
    const tEnd = samples[samples.length - 1].t;
    const tStart = tEnd - this.data.windowMs;
    const x = (t: number) => pad.l + ((t - tStart) / this.data.windowMs) * gw;
    const line = (key: "bitrateKbps" | "fps", max: number, stroke: string) => {
      ctx.strokeStyle = stroke;
      ctx.lineWidth = 1.5;
      ctx.beginPath();
      let drawing = false;
      for (const s of samples) {
        const v = s[key];
        if (v === null) {
          drawing = false;
          continue;
        }
        const px = Math.max(pad.l, x(s.t));
        const py = pad.t + gh - (Math.min(v, max) / max) * gh;
        if (drawing) ctx.lineTo(px, py);
        else ctx.moveTo(px, py);
        drawing = true;
      }
      ctx.stroke();
    };
    line("bitrateKbps", maxKbps, cBitrate);
    line("fps", maxFps, cFps);
  }
}
