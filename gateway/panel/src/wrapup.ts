// The wrap-up form: a disposition and notes, sent with End (POST /end) or, for an interaction that ended
// without the panel (hang-up, customer left), written to its case.

import { h } from "./dom";

export const DISPOSITIONS = [
  ["resolved", "Resolved"],
  ["follow_up", "Follow-up needed"],
  ["escalated", "Escalated"],
  ["callback", "Callback promised"],
  ["sale", "Sale"],
  ["no_action", "No action needed"],
  ["wrong_number", "Wrong number / misrouted"],
] as const;

export interface WrapUpValues {
  disposition: string;
  notes: string | null;
}

export function wrapUpForm(
  submitLabel: string,
  onSubmit: (values: WrapUpValues, form: HTMLFormElement) => void,
  onCancel: (() => void) | null,
): HTMLFormElement {
  const disposition = h(
    "select",
    { name: "disposition", required: true },
    h("option", { value: "" }, "Disposition…"),
    ...DISPOSITIONS.map(([value, label]) => h("option", { value }, label)),
  );
  const notes = h("textarea", { name: "notes", rows: 3, maxlength: 10000, placeholder: "Notes" });
  const form = h(
    "form",
    { class: "wrap-up" },
    h("label", {}, "Disposition ", disposition),
    h("label", {}, "Notes ", notes),
    h(
      "div",
      { class: "actions" },
      h("button", { type: "submit" }, submitLabel),
      onCancel ? h("button", { type: "button", class: "cancel" }, "Cancel") : null,
    ),
    h("p", { class: "error", role: "alert" }),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    onSubmit({ disposition: disposition.value, notes: notes.value.trim() || null }, form);
  });
  form.querySelector(".cancel")?.addEventListener("click", () => onCancel?.());
  return form;
}

export function formError(form: HTMLFormElement, message: string): void {
  const error = form.querySelector(".error");
  if (error) error.textContent = message;
  for (const button of Array.from(form.querySelectorAll("button"))) button.disabled = false;
}

export function formBusy(form: HTMLFormElement): void {
  for (const button of Array.from(form.querySelectorAll("button"))) button.disabled = true;
  const error = form.querySelector(".error");
  if (error) error.textContent = "";
}
