/* FITS Service Desk: small progressive enhancements. Every page works without this file. */
(function () {
  "use strict";

  // The school switcher: picking a school with the mouse switches at once; with the keyboard
  // (arrow keys change a closed select) it waits for the Switch button, so moving through the
  // list does not reload the page under the user (WCAG 3.2.2).
  document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
    var form = select.form;
    var button = form && form.querySelector("[data-switch-button]");
    var keyboard = false;
    if (button) button.hidden = true;
    select.addEventListener("keydown", function () { keyboard = true; });
    select.addEventListener("pointerdown", function () { keyboard = false; });
    select.addEventListener("change", function () {
      if (keyboard && button) {
        button.hidden = false;
        return;
      }
      form.submit();
    });
  });

  // Filter forms: leave empty fields out of the address, so a shared link says only what was chosen.
  document.querySelectorAll("form[data-drop-empty]").forEach(function (form) {
    form.addEventListener("submit", function () {
      form.querySelectorAll("input[name], select[name]").forEach(function (field) {
        if ((field.type === "search" || field.type === "text" || field.tagName === "SELECT") && field.value === "") {
          field.disabled = true;
        }
      });
      // Re-enable after the browser has read the form (back/forward cache keeps the page).
      window.setTimeout(function () {
        form.querySelectorAll("[disabled]").forEach(function (field) { field.disabled = false; });
      }, 0);
    });
  });

  // A print button (the CSP allows no onclick="" attribute).
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });

  // A note-taking action (resolve, hold, reopen): focus its text box when it opens.
  document.addEventListener("shown.bs.collapse", function (event) {
    var field = event.target.querySelector("textarea, input:not([type=hidden])");
    if (field) field.focus();
  });
})();

/* A form came back with errors: take the user to the summary of what to fix. */
(function () {
  "use strict";
  var summary = document.getElementById("error-summary");
  if (summary) summary.focus();
})();
