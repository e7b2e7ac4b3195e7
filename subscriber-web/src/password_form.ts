/**
 * "Change password" on the account page: the current password, the new one
 * (the server's policy: at least 10 characters), one button. Changing it
 * signs out the account's other sessions; this page stays signed in.
 * @module
 */
import type { ApiClient } from "./api.ts";
import { h } from "./dom.ts";

/** The form's section, ready to insert. */
export function passwordSection(api: ApiClient): HTMLElement {
  const current = h("input", {
    id: "current-password",
    type: "password",
    autocomplete: "current-password",
    required: true,
    maxlength: 1024,
    "data-testid": "current-password",
  });
  const next = h("input", {
    id: "new-password",
    type: "password",
    autocomplete: "new-password",
    required: true,
    minlength: 10,
    maxlength: 1024,
    "data-testid": "new-password",
  });
  const submit = h("button", {
    type: "submit",
    class: "btn btn-primary",
    "data-testid": "password-submit",
  }, "Change password");
  const status = h("p", {
    class: "live-status",
    "aria-live": "polite",
    "data-testid": "password-status",
  });
  const form = h(
    "form",
    { class: "login-form", method: "post", action: "#", novalidate: true },
    // For password managers: which account the new password belongs to.
    h("input", {
      type: "text",
      autocomplete: "username",
      value: api.username,
      hidden: true,
      readonly: true,
    }),
    h("label", { for: "current-password" }, "Current password"),
    current,
    h("label", { for: "new-password" }, "New password (at least 10 characters)"),
    next,
    submit,
    status,
  );
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    if (!current.value || next.value.length < 10) {
      status.textContent = !current.value
        ? "Enter your current password."
        : "The new password needs at least 10 characters.";
      (!current.value ? current : next).focus();
      return;
    }
    submit.disabled = true;
    status.textContent = "Changing…";
    try {
      await api.changePassword(current.value, next.value);
      status.textContent = "Password changed. Your other sessions were signed out.";
      current.value = "";
      next.value = "";
    } catch (e) {
      status.textContent = e instanceof Error ? e.message : String(e);
    } finally {
      submit.disabled = false;
    }
  });
  return h(
    "section",
    { "aria-labelledby": "password-title" },
    h("h2", { id: "password-title" }, "Password"),
    form,
  );
}
