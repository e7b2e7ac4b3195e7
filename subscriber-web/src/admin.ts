/**
 * The operator console (`#/admin`): devices, users, live sessions and the
 * audit log over the admin API (`/api/admin/…`, see signaling/PROTOCOL.md).
 * Devices and sessions are re-read every second while the console is open,
 * so a device going offline or a session ending shows within a second. The
 * server decides: a viewer without the role gets 403 and sees only a notice.
 * Built with the DOM helper (text nodes only; the page's CSP forbids inline
 * scripts and styles).
 */
import { type ApiClient, errorFromResponse } from "./api.ts";
import { type Child, h, replaceChildren } from "./dom.ts";
import { camerasButton, pageLink, topBar } from "./topbar.ts";

interface Device {
  id: string;
  label: string;
  state: string;
  online: boolean;
  lastSeen: string | null;
  address: string | null;
  version: string | null;
  certExpires: string | null;
  /** The publisher's last report while online (every 5 s), null before one or offline. */
  stream: Stream | null;
}
interface Stream {
  viewers: number;
  bitrateBps: number;
  fps: number;
  packetsLost: number;
  rssBytes: number;
}
interface User {
  name: string;
  role: string;
  cameras: string[];
  recordings: string[];
}
interface Session {
  id: string;
  camera: string;
  viewer: string;
  since: string;
  from: string | null;
  path: string | null;
  /** The node holding the session (a cluster's console lists every node's). */
  node: string;
}
interface CameraFootage {
  camera: string;
  label: string | null;
  segments: number;
  bytes: number;
  from: string | null;
  to: string | null;
}
interface Footage {
  cameras: CameraFootage[];
  totalBytes: number;
  retention: { maxAgeMs: number; maxBytes: number };
}
interface Added {
  deviceId: string;
  token: string;
  expiresAt: string;
  command: string;
  qrSvg: string;
}

/** "2026-12-02 15:04:05" in local time, or "—". */
export function shortTime(iso: string | null): string {
  if (!iso) return "—";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return "—";
  const p = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${
    p(d.getMinutes())
  }:${p(d.getSeconds())}`;
}

/** A publisher's stream in a few words: "2.1 Mbit/s · 30 fps · 1 viewer · 0 lost", or "—". Pure. */
export function streamSummary(s: Stream | null): string {
  if (!s) return "—";
  const rate = s.bitrateBps >= 1e6
    ? `${(s.bitrateBps / 1e6).toFixed(1)} Mbit/s`
    : `${Math.round(s.bitrateBps / 1e3)} kbit/s`;
  return [
    rate,
    `${Math.round(s.fps)} fps`,
    `${s.viewers} viewer${s.viewers === 1 ? "" : "s"}`,
    `${s.packetsLost} lost`,
  ].join(" · ");
}

/** What the console says when cluster nodes did not answer (their part is missing). Pure. */
export function unreachableNotice(nodes: string[]): string {
  const unique = [...new Set(nodes)].sort();
  if (unique.length === 0) return "";
  const which = unique.length === 1 ? `node ${unique[0]}` : `nodes ${unique.join(", ")}`;
  return `No answer from ${which}: its devices' details and sessions are missing here.`;
}

/** "id1, id2" → ["id1","id2"]; "*" stays. */
export function parseIdList(text: string): string[] {
  return text.split(",").map((s) => s.trim()).filter(Boolean);
}

/** A byte count for people: "512 B", "1.5 MiB", "20 GiB". Pure. */
export function formatBytes(n: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  const digits = i === 0 || n >= 100 || Number.isInteger(n) ? 0 : 1;
  return `${n.toFixed(digits)} ${units[i]}`;
}

/** A retention age for people: "30 days", "36 h". Pure. */
export function formatAge(ms: number): string {
  const hours = ms / 3_600_000;
  return hours >= 48 && hours % 24 === 0 ? `${hours / 24} days` : `${+hours.toFixed(1)} h`;
}

/** What the retention keeps and how full it is. Pure. */
export function retentionSummary(f: Pick<Footage, "totalBytes" | "retention">): string {
  const { maxAgeMs, maxBytes } = f.retention;
  const share = maxBytes > 0 ? Math.round((f.totalBytes / maxBytes) * 100) : 0;
  return `Kept ${formatAge(maxAgeMs)} or up to ${formatBytes(maxBytes)}, whichever ends first ` +
    `(oldest deleted first); stored now: ${formatBytes(f.totalBytes)} (${share} %).`;
}

/** An audit entry's fields other than ts/event, as "k=v" text. */
export function auditDetails(e: Record<string, unknown>): string {
  return Object.entries(e)
    .filter(([k]) => k !== "ts" && k !== "event")
    .map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`)
    .join(" ");
}

const table = (testid: string, head: string[], body: HTMLTableSectionElement) =>
  h(
    "table",
    { class: "admin-table", "data-testid": testid },
    h("thead", {}, h("tr", {}, ...head.map((t) => h("th", { scope: "col" }, t)))),
    body,
  );

/** The console view. */
export class AdminView {
  readonly root: HTMLElement;
  readonly #api: ApiClient;
  readonly #status: HTMLElement;
  /** Which cluster nodes did not answer the last poll. */
  readonly #cluster = h("p", {
    class: "live-status",
    role: "status",
    "data-testid": "admin-cluster",
  });
  readonly #devices = h("tbody");
  readonly #users = h("tbody");
  readonly #sessions = h("tbody");
  readonly #audit = h("tbody");
  readonly #footage = h("tbody");
  readonly #footageSummary = h("p", { "data-testid": "footage-summary" });
  /** Polls since the stored footage was read (it changes slowly: every 10th poll). */
  #polls = 0;
  readonly #added = h("div", { class: "admin-added", "data-testid": "device-added", hidden: true });
  readonly #main: HTMLElement;
  #timer: ReturnType<typeof setInterval> | undefined;
  #auditFilter = { kind: "", device: "", user: "" };

  constructor(api: ApiClient, handlers: { onBack: () => void; onLogout: () => void }) {
    this.#api = api;
    this.#status = h("p", {
      class: "live-status",
      "aria-live": "polite",
      "data-testid": "admin-status",
    });
    this.#main = h(
      "main",
      { class: "view view-admin", "aria-labelledby": "admin-title" },
      h("h1", { id: "admin-title", tabindex: -1 }, "Console"),
      this.#status,
      this.#cluster,
      this.#devicesSection(),
      this.#sessionsSection(),
      this.#footageSection(),
      this.#usersSection(),
      this.#auditSection(),
    );
    this.root = h(
      "div",
      { class: "screen" },
      topBar(
        handlers.onLogout,
        camerasButton(handlers.onBack),
        pageLink("#/account", "Account", "account-link"),
      ),
      this.#main,
    );
  }

  /** Loads everything, then re-reads devices and sessions every second. */
  async start(): Promise<void> {
    if (!(await this.#refresh(true))) return;
    this.#timer = setInterval(() => void this.#refresh(false), 1000);
  }

  dispose(): void {
    clearInterval(this.#timer);
  }

  // --- requests ---------------------------------------------------------------

  async #call(method: string, path: string, body?: unknown): Promise<unknown> {
    const res = await this.#api.fetch(path, {
      method,
      headers: {
        accept: "application/json",
        ...(body !== undefined ? { "content-type": "application/json" } : {}),
      },
      body: body !== undefined ? JSON.stringify(body) : undefined,
    });
    if (res.status === 403) {
      const err = await errorFromResponse(res);
      this.#denied(err.code === "passkey_required");
      throw err;
    }
    if (!res.ok) throw await errorFromResponse(res);
    return res.status === 204 ? null : await res.json();
  }

  /** Replaces the console by why it is refused (no role, or --admin-require-passkey). */
  #denied(needsPasskey: boolean): void {
    this.dispose();
    replaceChildren(
      this.#main,
      h("h1", { id: "admin-title", tabindex: -1 }, "Console"),
      needsPasskey
        ? h(
          "p",
          { class: "error", role: "alert", "data-testid": "admin-needs-passkey" },
          "This server lets admins into the console only after a sign-in with a passkey that " +
            "verifies you (its PIN, fingerprint or face). ",
          h("a", { href: "#/account" }, "Add a passkey"),
          " on your account page if you have none, then sign out and sign in with it.",
        )
        : h(
          "p",
          { class: "error", role: "alert", "data-testid": "admin-denied" },
          "The console is for accounts with the admin role.",
        ),
    );
  }

  async #act(what: () => Promise<unknown>): Promise<void> {
    try {
      await what();
      this.#status.textContent = "";
      await this.#refresh(true);
    } catch (e) {
      this.#status.textContent = e instanceof Error ? e.message : String(e);
    }
  }

  async #refresh(all: boolean): Promise<boolean> {
    try {
      type Cluster = { unreachable?: string[] };
      const [d, s] = await Promise.all([
        this.#call("GET", "/api/admin/devices") as Promise<{ devices: Device[] } & Cluster>,
        this.#call("GET", "/api/admin/sessions") as Promise<{ sessions: Session[] } & Cluster>,
      ]);
      this.#paintDevices(d.devices);
      this.#paintSessions(s.sessions);
      this.#cluster.textContent = unreachableNotice([
        ...d.unreachable ?? [],
        ...s.unreachable ?? [],
      ]);
      if (all) {
        const u = await this.#call("GET", "/api/admin/users") as { users: User[] };
        this.#paintUsers(u.users);
        await this.#loadAudit();
      }
      if (all || ++this.#polls % 10 === 0) {
        this.#paintFootage(await this.#call("GET", "/api/admin/recordings") as Footage);
      }
      return true;
    } catch (e) {
      if (
        !this.#main.querySelector("[data-testid=admin-denied], [data-testid=admin-needs-passkey]")
      ) {
        this.#status.textContent = e instanceof Error ? e.message : String(e);
      }
      return false;
    }
  }

  async #loadAudit(): Promise<void> {
    const q = new URLSearchParams({ limit: "50" });
    for (const [k, v] of Object.entries(this.#auditFilter)) if (v) q.set(k, v);
    const a = await this.#call("GET", `/api/admin/audit?${q}`) as {
      entries: Record<string, unknown>[];
    };
    replaceChildren(
      this.#audit,
      ...a.entries.map((e) =>
        h(
          "tr",
          { "data-testid": "audit-row" },
          h("td", {}, shortTime(String(e.ts ?? ""))),
          h("td", {}, String(e.event ?? "")),
          h("td", { class: "admin-details" }, auditDetails(e)),
        )
      ),
    );
  }

  // --- devices ----------------------------------------------------------------

  #devicesSection(): HTMLElement {
    const id = h("input", {
      name: "id",
      required: true,
      "data-testid": "device-id",
      autocomplete: "off",
    });
    const label = h("input", { name: "label", "data-testid": "device-label", autocomplete: "off" });
    const form = h(
      "form",
      {
        class: "admin-form",
        onsubmit: (ev: Event) => {
          ev.preventDefault();
          void this.#act(async () => {
            const r = await this.#call("POST", "/api/admin/devices", {
              id: id.value.trim(),
              ...(label.value.trim() ? { label: label.value.trim() } : {}),
            }) as Added;
            this.#showAdded(r);
            form.reset();
          });
        },
      },
      h("label", {}, "Device id ", id),
      h("label", {}, "Label ", label),
      h(
        "button",
        { type: "submit", class: "btn btn-primary", "data-testid": "device-add" },
        "Add device",
      ),
    );
    return h(
      "section",
      { "aria-labelledby": "devices-title" },
      h("h2", { id: "devices-title" }, "Devices"),
      form,
      this.#added,
      table("devices", [
        "Device",
        "State",
        "Online",
        "Last seen",
        "Address",
        "Version",
        "Stream",
        "Certificate until",
        "",
      ], this.#devices),
    );
  }

  #showAdded(r: Added): void {
    this.#added.hidden = false;
    const qr = h("img", {
      class: "admin-qr",
      alt: `QR code of the enroll command for ${r.deviceId}`,
      "data-testid": "enroll-qr",
      src: `data:image/svg+xml;charset=utf-8,${encodeURIComponent(r.qrSvg)}`,
    });
    replaceChildren(
      this.#added,
      h(
        "p",
        {},
        `Device "${r.deviceId}" registered. Its one-time token works once, until `,
        shortTime(r.expiresAt),
        ". Run on the Pi:",
      ),
      h("pre", {}, h("code", { "data-testid": "enroll-command" }, r.command)),
      h("p", {}, "Token: ", h("code", { "data-testid": "enroll-token" }, r.token)),
      qr,
      h("p", { class: "hint" }, "It is shown only now: copy it or scan the code."),
    );
  }

  #paintDevices(list: Device[]): void {
    replaceChildren(
      this.#devices,
      ...list.map((d) =>
        h(
          "tr",
          {
            "data-testid": `device-row-${d.id}`,
            "data-online": String(d.online),
            "data-state": d.state,
          },
          h("td", {}, d.label && d.label !== d.id ? `${d.label} (${d.id})` : d.id),
          h("td", {}, d.state),
          h(
            "td",
            {},
            h(
              "span",
              { class: d.online ? "badge badge-online" : "badge badge-offline" },
              d.online ? "online" : "offline",
            ),
          ),
          h("td", {}, shortTime(d.lastSeen)),
          h("td", {}, d.address ?? "—"),
          h("td", {}, d.version ?? "—"),
          h("td", {
            "data-testid": "stream",
            title: d.stream
              ? `publisher memory ${(d.stream.rssBytes / 2 ** 20).toFixed(0)} MiB`
              : "",
          }, streamSummary(d.stream)),
          h("td", { "data-testid": "cert-expires" }, shortTime(d.certExpires)),
          h(
            "td",
            {},
            d.state === "revoked" ? null : h("button", {
              type: "button",
              class: "btn",
              "data-testid": `revoke-${d.id}`,
              onclick: () => {
                if (
                  !confirm(
                    `Revoke device "${d.id}"? Its connections close at once and it must be enrolled again.`,
                  )
                ) return;
                void this.#act(() =>
                  this.#call("DELETE", `/api/admin/devices/${encodeURIComponent(d.id)}`)
                );
              },
            }, "Revoke"),
          ),
        )
      ),
    );
  }

  // --- stored footage -------------------------------------------------------

  #footageSection(): HTMLElement {
    return h(
      "section",
      { "aria-labelledby": "footage-title" },
      h("h2", { id: "footage-title" }, "Stored footage"),
      this.#footageSummary,
      table("footage", ["Camera", "Segments", "Size", "From", "To"], this.#footage),
    );
  }

  #paintFootage(f: Footage): void {
    this.#footageSummary.textContent = retentionSummary(f);
    replaceChildren(
      this.#footage,
      ...f.cameras.map((c) =>
        h(
          "tr",
          { "data-testid": `footage-row-${c.camera}` },
          h("td", {}, c.label && c.label !== c.camera ? `${c.label} (${c.camera})` : c.camera),
          h("td", {}, String(c.segments)),
          h("td", {}, formatBytes(c.bytes)),
          h("td", {}, shortTime(c.from)),
          h("td", {}, shortTime(c.to)),
        )
      ),
    );
  }

  // --- sessions ---------------------------------------------------------------

  #sessionsSection(): HTMLElement {
    return h(
      "section",
      { "aria-labelledby": "sessions-title" },
      h("h2", { id: "sessions-title" }, "Watching now"),
      table("sessions", ["Viewer", "Camera", "Since", "From", "Path", "Node", ""], this.#sessions),
    );
  }

  #paintSessions(list: Session[]): void {
    replaceChildren(
      this.#sessions,
      ...list.map((s) =>
        h(
          "tr",
          { "data-testid": "session-row", "data-viewer": s.viewer, "data-camera": s.camera },
          h("td", {}, s.viewer),
          h("td", {}, s.camera),
          h("td", {}, shortTime(s.since)),
          h("td", {}, s.from ?? "—"),
          h("td", {}, s.path ?? "connecting"),
          h("td", {}, s.node),
          h(
            "td",
            {},
            h("button", {
              type: "button",
              class: "btn",
              "data-testid": "end-session",
              onclick: () =>
                void this.#act(() =>
                  this.#call("DELETE", `/api/admin/sessions/${encodeURIComponent(s.id)}`)
                ),
            }, "End"),
          ),
        )
      ),
    );
  }

  // --- users ------------------------------------------------------------------

  #usersSection(): HTMLElement {
    const name = h("input", {
      name: "name",
      required: true,
      autocomplete: "off",
      "data-testid": "user-name",
    });
    const password = h("input", {
      name: "password",
      type: "password",
      required: true,
      autocomplete: "new-password",
      "data-testid": "user-password",
    });
    const cameras = h("input", {
      name: "cameras",
      placeholder: "door, yard or *",
      "data-testid": "user-cameras",
    });
    const admin = h("input", { name: "admin", type: "checkbox", "data-testid": "user-admin" });
    const form = h(
      "form",
      {
        class: "admin-form",
        onsubmit: (ev: Event) => {
          ev.preventDefault();
          void this.#act(async () => {
            await this.#call("POST", "/api/admin/users", {
              name: name.value.trim(),
              password: password.value,
              cameras: parseIdList(cameras.value),
              admin: admin.checked,
            });
            form.reset();
          });
        },
      },
      h("label", {}, "Name ", name),
      h("label", {}, "Password ", password),
      h("label", {}, "Cameras ", cameras),
      h("label", { class: "admin-check" }, admin, "admin"),
      h(
        "button",
        { type: "submit", class: "btn btn-primary", "data-testid": "user-add" },
        "Add user",
      ),
    );
    return h(
      "section",
      { "aria-labelledby": "users-title" },
      h("h2", { id: "users-title" }, "Users"),
      form,
      table("users", ["User", "Role", "Cameras", "Recordings", ""], this.#users),
    );
  }

  /** A button that asks for a camera list and PATCHes it as the user's `field` grant. */
  #grantButton(
    label: string,
    question: string,
    userPath: string,
    field: "cameras" | "recordings",
    current: string[],
  ): HTMLElement {
    return h("button", {
      type: "button",
      class: "btn",
      onclick: () => {
        const text = prompt(question, current.join(","));
        if (text !== null) {
          void this.#act(() => this.#call("PATCH", userPath, { [field]: parseIdList(text) }));
        }
      },
    }, label);
  }

  #paintUsers(list: User[]): void {
    const path = (u: User) => `/api/admin/users/${encodeURIComponent(u.name)}`;
    replaceChildren(
      this.#users,
      ...list.map((u) =>
        h(
          "tr",
          { "data-testid": `user-row-${u.name}` },
          h("td", {}, u.name),
          h("td", {}, u.role),
          h("td", {}, u.cameras.join(", ") || "none"),
          h("td", {}, u.recordings.join(", ") || "none"),
          h(
            "td",
            { class: "admin-actions" },
            this.#grantButton(
              "Cameras",
              `Cameras ${u.name} may watch live (ids, comma separated, or *):`,
              path(u),
              "cameras",
              u.cameras,
            ),
            this.#grantButton(
              "Recordings",
              `Cameras whose recordings ${u.name} may watch (ids, *, or empty for none):`,
              path(u),
              "recordings",
              u.recordings,
            ),
            h("button", {
              type: "button",
              class: "btn",
              onclick: () =>
                void this.#act(() => this.#call("PATCH", path(u), { admin: u.role !== "admin" })),
            }, u.role === "admin" ? "Make viewer" : "Make admin"),
            h("button", {
              type: "button",
              class: "btn",
              onclick: () => {
                const pw = prompt(`New password for ${u.name} (their sessions end):`);
                if (pw) {
                  void this.#act(() => this.#call("POST", `${path(u)}/password`, { password: pw }));
                }
              },
            }, "Reset password"),
            h("button", {
              type: "button",
              class: "btn",
              onclick: () => {
                if (confirm(`Remove ${u.name}? Their sessions end.`)) {
                  void this.#act(() => this.#call("DELETE", path(u)));
                }
              },
            }, "Remove"),
          ),
        )
      ),
    );
  }

  // --- audit ------------------------------------------------------------------

  #auditSection(): HTMLElement {
    const input = (name: "kind" | "device" | "user", placeholder: string): Child =>
      h(
        "label",
        {},
        `${name[0].toUpperCase()}${name.slice(1)} `,
        h("input", {
          name,
          placeholder,
          "data-testid": `audit-${name}`,
          oninput: (ev: Event) => {
            this.#auditFilter[name] = (ev.target as HTMLInputElement).value.trim();
          },
        }),
      );
    return h(
      "section",
      { "aria-labelledby": "audit-title" },
      h("h2", { id: "audit-title" }, "Audit log"),
      h(
        "form",
        {
          class: "admin-form",
          onsubmit: (ev: Event) => {
            ev.preventDefault();
            void this.#act(() => this.#loadAudit());
          },
        },
        input("kind", "login, admin, session.end"),
        input("device", "device id"),
        input("user", "user name"),
        h("button", { type: "submit", class: "btn", "data-testid": "audit-filter" }, "Filter"),
      ),
      table("audit", ["Time", "Event", "Details"], this.#audit),
    );
  }
}
