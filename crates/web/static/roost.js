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
// A post's "…" menu closes on Escape, on a click elsewhere, and when another opens.
document.addEventListener("click", function (e) {
  document.querySelectorAll("details.more[open]").forEach(function (d) {
    if (!d.contains(e.target)) d.open = false;
  });
});
document.addEventListener("keydown", function (e) {
  if (e.key !== "Escape") return;
  document.querySelectorAll("details.more[open]").forEach(function (d) {
    d.open = false;
    d.querySelector("summary").focus();
  });
});
// Live pages: an element with data-live names an event stream of IDs. Each hidden link
// inside it with data-live-event counts the distinct IDs of that event not yet on the
// page ("3 new posts — show"); a delete of a counted ID takes it back. The link itself
// reloads the page, so nothing is drawn from the stream.
document.querySelectorAll("[data-live]").forEach(function (box) {
  if (typeof window.EventSource !== "function") return;
  var counters = Array.from(box.querySelectorAll("a[data-live-event]")).map(function (link) {
    return { link: link, event: link.getAttribute("data-live-event"), ids: new Set() };
  });
  if (counters.length === 0) return;
  function show(c) {
    var n = c.ids.size;
    if (n === 0) {
      c.link.hidden = true;
      c.link.textContent = "";
      return;
    }
    var what = c.link.getAttribute(n === 1 ? "data-live-one" : "data-live-many");
    c.link.textContent = n + " " + what + " \u2014 show";
    c.link.hidden = false;
  }
  var source = new EventSource(box.getAttribute("data-live"));
  counters.forEach(function (c) {
    source.addEventListener(c.event, function (e) {
      var id = String(e.data);
      if (!/^\d+$/.test(id) || c.ids.has(id)) return;
      // Already shown here (e.g. one's own post, just made through the form).
      if (document.getElementById("status-" + id)) return;
      c.ids.add(id);
      show(c);
    });
  });
  source.addEventListener("delete", function (e) {
    var id = String(e.data);
    counters.forEach(function (c) {
      if (c.ids.delete(id)) show(c);
    });
  });
});
