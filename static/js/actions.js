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
