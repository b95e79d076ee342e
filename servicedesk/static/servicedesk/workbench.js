/* The workbench: keyboard shortcuts, row selection and live updates (no inline script: a strict CSP is coming).

   j / k     move the cursor down / up the list        x   choose (or un-choose) the ticket under the cursor
   o, Enter  open the ticket under the cursor          a   assign the chosen tickets (or the current one) to me
   /         search                                     ?   show or hide the shortcuts

   The page works without this file: the checkboxes, the bulk form and the links are plain HTML. */
(function () {
  "use strict";

  var root = document.getElementById("workbench");
  if (!root) return;
  var bulk = document.getElementById("wb-bulk");
  var help = document.getElementById("wb-help");
  var selectedText = document.getElementById("wb-selected");
  var idleText = selectedText ? selectedText.textContent : "";
  var cursorId = null;

  function list() { return document.getElementById("wb-list"); }
  function rows() { return Array.prototype.slice.call(document.querySelectorAll("#wb-list .wb-row")); }
  function boxes() { return Array.prototype.slice.call(document.querySelectorAll("#wb-list [data-wb-select]")); }
  function chosen() { return boxes().filter(function (box) { return box.checked; }); }

  // --- The cursor: one row at a time has the focus (a visible outline) and aria-current ------------------
  function cursorRow() {
    return cursorId === null ? null : document.querySelector('#wb-list .wb-row[data-id="' + cursorId + '"]');
  }

  function setCursor(row, focus) {
    rows().forEach(function (other) {
      other.classList.remove("is-cursor");
      other.removeAttribute("aria-current");
    });
    if (!row) { cursorId = null; return; }
    cursorId = row.getAttribute("data-id");
    row.classList.add("is-cursor");
    row.setAttribute("aria-current", "true");
    if (focus !== false) {
      row.focus({ preventScroll: true });
      row.scrollIntoView({ block: "nearest" });
    }
  }

  function move(step) {
    var all = rows();
    if (!all.length) return;
    var index = all.indexOf(cursorRow());
    var next = index === -1 ? (step > 0 ? 0 : all.length - 1) : Math.min(Math.max(index + step, 0), all.length - 1);
    setCursor(all[next]);
  }

  // --- Selection: the count beside the bulk actions, the select-all box, the row highlight ---------------
  function refreshSelection() {
    var n = chosen().length;
    boxes().forEach(function (box) {
      var row = box.closest(".wb-row");
      if (row) row.classList.toggle("is-selected", box.checked);
    });
    var all = document.querySelector("#wb-list [data-wb-select-all]");
    if (all) {
      all.checked = n > 0 && n === boxes().length;
      all.indeterminate = n > 0 && n < boxes().length;
    }
    if (selectedText) selectedText.textContent = n ? n + " ticket" + (n === 1 ? "" : "s") + " chosen" : idleText;
    root.classList.toggle("has-selection", n > 0);
  }

  function toggle(row) {
    var box = row && row.querySelector("[data-wb-select]");
    if (!box) return;
    box.checked = !box.checked;
    refreshSelection();
  }

  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target.matches("[data-wb-select-all]")) {
      boxes().forEach(function (box) { box.checked = target.checked; });
    }
    if (target.matches("[data-wb-select], [data-wb-select-all]")) refreshSelection();
  });

  // A click on a row (not on a link or a box) puts the cursor there.
  document.addEventListener("click", function (event) {
    var row = event.target.closest("#wb-list .wb-row");
    if (row && !event.target.closest("a, input, button, label")) setCursor(row, false);
  });

  // --- Assign to me: the chosen tickets, or the one under the cursor -----------------------------------
  function assignToMe() {
    var button = bulk && bulk.querySelector("[data-wb-assign-me]");
    if (!button) return;
    if (!chosen().length) {
      var row = cursorRow();
      if (!row) return;
      row.querySelector("[data-wb-select]").checked = true;
      refreshSelection();
    }
    if (typeof bulk.requestSubmit === "function") bulk.requestSubmit(button);
    else button.click();
  }

  // --- The help overlay ------------------------------------------------------------------------------------
  function toggleHelp() {
    if (!help || typeof help.showModal !== "function") return;
    if (help.open) help.close();
    else help.showModal();
  }
  document.querySelectorAll("[data-wb-help]").forEach(function (button) {
    button.addEventListener("click", toggleHelp);
  });
  document.querySelectorAll("[data-wb-help-close]").forEach(function (button) {
    button.addEventListener("click", function () { help.close(); });
  });
  if (help) {
    help.addEventListener("click", function (event) { if (event.target === help) help.close(); });  // the backdrop
  }

  // --- The keys ------------------------------------------------------------------------------------------
  function typing(target) {
    return target.closest("input, textarea, select, [contenteditable=true]") !== null;
  }

  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
    var target = event.target;
    if (typing(target)) {
      if (event.key === "Escape" && target.id === "wb-q") target.blur();
      return;
    }
    if (help && help.open && event.key !== "?") return;  // the dialog has the keyboard
    switch (event.key) {
      case "j": move(1); break;
      case "k": move(-1); break;
      case "x": toggle(cursorRow()); break;
      case "o":
      case "Enter": {
        var row = cursorRow();
        // Enter on a link or button does its own thing; only a row with the cursor opens here.
        if (!row || (event.key === "Enter" && target.closest("a, button"))) return;
        window.location.assign(row.getAttribute("data-href"));
        break;
      }
      case "a": assignToMe(); break;
      case "/": {
        var search = document.getElementById("wb-q");
        if (!search) return;
        search.focus();
        search.select();
        break;
      }
      case "?": toggleHelp(); break;
      default: return;
    }
    event.preventDefault();
  });

  // --- Live updates (htmx polls #wb-poll every 20 s) -------------------------------------------------------
  // Tell the server what is on screen, so it answers with what changed rather than the whole list; and
  // whether anything is chosen: then it only says so, and never moves rows under the person choosing.
  document.body.addEventListener("htmx:configRequest", function (event) {
    if (event.detail.elt.id !== "wb-poll") return;
    var current = list();
    if (!current) return;
    event.detail.parameters.since = current.getAttribute("data-since") || "";
    event.detail.parameters.shown = current.getAttribute("data-shown") || "";
    event.detail.parameters.selected = String(chosen().length);
    event.detail.parameters.auto = "1";
  });

  // No polling while the tab is hidden: the next poll after it comes back brings everything up to date.
  document.body.addEventListener("htmx:beforeRequest", function (event) {
    if (event.detail.elt.id === "wb-poll" && document.hidden) event.preventDefault();
  });

  // After a poll (fresh rows may have arrived), put the cursor back on the same ticket if it is still there.
  document.body.addEventListener("htmx:afterRequest", function (event) {
    if (event.detail.elt.id !== "wb-poll") return;
    var row = cursorRow();
    var lostFocus = !document.activeElement || document.activeElement === document.body;
    if (row) setCursor(row, lostFocus);
    refreshSelection();
  });

  refreshSelection();
})();
