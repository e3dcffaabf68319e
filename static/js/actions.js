// Small page actions wired from data attributes, so that no template needs an inline on* handler
// (the Content-Security-Policy allows scripts from files only).
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var target = event.target;
    if (!(target instanceof Element)) return;
    if (target.closest("[data-action=print]")) window.print();
    var selectable = target.closest("[data-select-on-click]");
    if (selectable) selectable.select();
  });
})();

// A table that is wider than a phone scrolls inside its own box (portal.css); such a box must be
// reachable from the keyboard to be scrolled (WCAG 2.1.1), so it joins the tab order while it
// overflows. Without JavaScript the page still fits; only the keyboard scrolling is lost.
(function () {
  "use strict";
  function mark() {
    document.querySelectorAll("main table, main .timeline-scroll, .inline-group .wrapper").forEach(function (box) {
      if (box.scrollWidth > box.clientWidth + 1) box.setAttribute("tabindex", "0");
      else if (box.getAttribute("tabindex") === "0") box.removeAttribute("tabindex");
    });
  }
  document.addEventListener("DOMContentLoaded", mark);
  window.addEventListener("resize", mark);
})();
