/* The catalogue editor (servicedesk/catalogue/type_form.html): add, move and type-switch question and
   step rows. The page works without it: a blank row is always there, and every setting shows. */
(function () {
  "use strict";
  var editor = document.getElementById("type-editor");
  if (!editor) return;

  function rowsOf(list) {
    return Array.prototype.filter.call(list.children, function (el) { return el.hasAttribute("data-row"); });
  }

  // Each row's ORDER follows its place on the page, and its heading its number.
  function renumber(list) {
    rowsOf(list).forEach(function (row, i) {
      var order = row.querySelector("input[name$='-ORDER']");
      if (order) order.value = i + 1;
      var heading = row.querySelector("[data-row-number]");
      if (heading) heading.textContent = heading.getAttribute("data-label") + " " + (i + 1);
    });
  }

  // Only the settings of the chosen kind of answer show (choices for a choice, limits for a number...).
  function showTypeSettings(row) {
    var select = row.querySelector("select[name$='-type']");
    if (!select) return;
    row.querySelectorAll("[data-for-type]").forEach(function (el) {
      el.hidden = el.getAttribute("data-for-type").split(" ").indexOf(select.value) === -1;
    });
  }

  function changed() {
    editor.dispatchEvent(new Event("change", { bubbles: true }));
  }

  document.querySelectorAll("[data-formset]").forEach(function (list) {
    var prefix = list.getAttribute("data-formset");
    var total = editor.querySelector("#id_" + prefix + "-TOTAL_FORMS");
    var template = document.getElementById(prefix + "-template");
    var add = document.querySelector("[data-add='" + prefix + "']");

    rowsOf(list).forEach(function (row) {
      showTypeSettings(row);
      row.querySelectorAll("[data-move]").forEach(function (button) { button.hidden = false; });
    });
    renumber(list);

    if (add && template && total) {
      add.hidden = false;
      add.addEventListener("click", function () {
        var index = parseInt(total.value, 10);
        var holder = document.createElement("div");
        holder.innerHTML = template.innerHTML.replace(/__prefix__/g, String(index)).trim();
        var row = holder.firstElementChild;
        row.querySelectorAll("[data-move]").forEach(function (button) { button.hidden = false; });
        list.appendChild(row);
        total.value = index + 1;
        showTypeSettings(row);
        renumber(list);
        var first = row.querySelector("input:not([type=hidden]), select, textarea");
        if (first) first.focus();
      });
    }

    list.addEventListener("click", function (event) {
      var button = event.target.closest("[data-move]");
      if (!button) return;
      var row = button.closest("[data-row]");
      if (button.getAttribute("data-move") === "up" && row.previousElementSibling) {
        list.insertBefore(row, row.previousElementSibling);
      } else if (button.getAttribute("data-move") === "down" && row.nextElementSibling) {
        list.insertBefore(row.nextElementSibling, row);
      }
      renumber(list);
      button.focus();
      changed();
    });

    list.addEventListener("change", function (event) {
      if (event.target.matches("select[name$='-type']")) showTypeSettings(event.target.closest("[data-row]"));
    });
  });

  // The approver matters only when the item needs approval.
  var needs = editor.querySelector("input[name='needs_approval']");
  var approver = editor.querySelector("select[name='approver']");
  if (needs && approver) {
    var wrapper = approver.closest(".mb-3") || approver.parentElement;
    var sync = function () { wrapper.hidden = !needs.checked; };
    needs.addEventListener("change", sync);
    sync();
  }
})();
