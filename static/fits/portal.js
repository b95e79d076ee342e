/* The portal and phone forms: small keyboard helps around the htmx pickers. Every form works without this file. */
(function () {
  "use strict";

  // Enter in a picker's search box looks up (htmx), never submits the whole form half-filled.
  document.addEventListener("keydown", function (event) {
    var box = event.target;
    if (!box.matches || !box.matches("[data-picker-search]")) return;
    if (event.key === "Enter" && !event.ctrlKey && !event.metaKey) {
      event.preventDefault();
      if (window.htmx) window.htmx.trigger(box, "search");
    } else if (event.key === "ArrowDown") {
      // Down from the search box moves into its list of options.
      var list = document.getElementById(box.getAttribute("aria-controls"));
      var first = list && (list.querySelector("input:checked") || list.querySelector("input[type=radio]"));
      if (first) {
        event.preventDefault();
        first.focus();
      }
    }
  });

  // Ctrl+Enter (Cmd+Enter on a Mac) logs the call from anywhere in a form marked data-ctrl-enter.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Enter" || !(event.ctrlKey || event.metaKey)) return;
    var form = event.target.closest && event.target.closest("form[data-ctrl-enter]");
    if (!form) return;
    event.preventDefault();
    if (form.requestSubmit) form.requestSubmit(); else form.submit();
  });

  // Picking a caller with a usual room offers that room, unless a room is already chosen.
  document.addEventListener("change", function (event) {
    var radio = event.target;
    if (radio.name !== "reporter" || !radio.dataset.room) return;
    var options = document.getElementById("room-options");
    if (!options || options.querySelector("input[name=location]:checked")) return;
    var label = document.createElement("label");
    label.className = "form-check picker-option";
    var input = document.createElement("input");
    input.className = "form-check-input";
    input.type = "radio";
    input.name = "location";
    input.value = radio.dataset.room;
    input.checked = true;
    var text = document.createElement("span");
    text.className = "form-check-label";
    var strong = document.createElement("strong");
    strong.textContent = radio.dataset.roomName;
    text.appendChild(strong);
    text.appendChild(document.createTextNode(" " + (radio.dataset.roomParent || "") + " (the caller's usual room)"));
    label.appendChild(input);
    label.appendChild(text);
    var list = document.createElement("fieldset");
    list.className = "picker-list";
    list.appendChild(label);
    options.replaceChildren(list);
    input.dispatchEvent(new Event("change", { bubbles: true }));
  });

  // The resolution fields of the phone form matter only for a call resolved at first contact.
  var resolved = document.getElementById("id_resolved");
  var fields = document.getElementById("resolution-fields");
  if (resolved && fields) {
    var sync = function () { fields.hidden = !resolved.checked; };
    resolved.addEventListener("change", sync);
    sync();
  }
})();
