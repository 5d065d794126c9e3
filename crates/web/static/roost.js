// Small enhancements only: every page works without this script.
"use strict";
document.querySelectorAll("textarea[data-max]").forEach(function (area) {
  var max = parseInt(area.getAttribute("data-max"), 10);
  var out = document.createElement("span");
  out.className = "counter";
  out.setAttribute("aria-live", "polite");
  area.insertAdjacentElement("afterend", out);
  function update() {
    var left = max - Array.from(area.value).length;
    out.textContent = left + " characters left";
  }
  area.addEventListener("input", update);
  update();
});
document.querySelectorAll("form[data-confirm]").forEach(function (form) {
  form.addEventListener("submit", function (e) {
    if (!window.confirm(form.getAttribute("data-confirm"))) e.preventDefault();
  });
});
