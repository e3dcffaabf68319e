// Progressive enhancement for the customer portal. Every page works without this file:
// the buttons marked .js-hide submit the form and the server re-renders it. With it, the
// same server-rendered fragments are fetched in place, so nothing typed is ever lost.
// Its words come from Django's JavaScript catalog (/jsi18n/, loaded before this file): gettext()
// and interpolate() in the reader's language; without the catalog they stay English.
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  var gettext = window.gettext || function (text) { return text; };
  var interpolate = window.interpolate || function (format, values) {
    return format.replace(/%s/g, function () { return String(values.shift()); });
  };

  // A fetch that failed says so next to what it would have updated, and the buttons that do the
  // same without JavaScript come back, so the person can go on (the page keeps what they typed).
  function showProblem(box, text) {
    var note = box.querySelector("[data-js-problem]");
    if (!note) {
      note = document.createElement("p");
      note.className = "errorlist";
      note.setAttribute("role", "alert");
      note.setAttribute("data-js-problem", "");
      box.insertBefore(note, box.firstChild);
    }
    note.textContent = text;
  }

  function csrfToken(form) {
    var input = form.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function post(url, form, body) {
    return fetch(url, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken(form), "X-Requested-With": "fetch" },
    }).then(function (response) {
      if (response.status === 429) {
        // Too many changes in a short time: the server's own words (how long to wait) are shown.
        return response.text().then(function (html) {
          var said = new DOMParser().parseFromString(html, "text/html").body.textContent.trim();
          var error = new Error(said);
          error.said = Boolean(said);
          throw error;
        });
      }
      if (!response.ok) throw new Error("HTTP " + response.status);
      return response.text();
    });
  }

  // What a failed fetch says: the server's refusal when it gave one, else `fallback`.
  function problemText(error, fallback) {
    return error && error.said ? error.message : fallback;
  }

  var REFRESHES_PANEL = ["vendor", "priority", "product", "major_version", "onsite", "remote_failed"];

  function setupOpenCase(form) {
    var panel = document.getElementById("policy-panel");
    var pending = 0;

    function refreshPanel() {
      var data = new FormData(form);
      data.delete("files");
      data.set("action", "refresh");
      var ticket = ++pending;
      var focusedId = document.activeElement && document.activeElement.id;
      panel.setAttribute("aria-busy", "true");
      return post(form.dataset.panelUrl, form, data).then(function (html) {
        if (ticket !== pending) return; // a later change already asked again
        // The focus goes back to the choice it was on only if it was still in the panel: a late
        // answer must not pull a person who has moved on to the subject back to the priorities.
        var stayed = !document.activeElement || document.activeElement === document.body ||
          panel.contains(document.activeElement);
        panel.innerHTML = html;
        panel.removeAttribute("aria-busy");
        var again = focusedId && document.getElementById(focusedId);
        if (stayed && again && panel.contains(again)) again.focus();
      }).catch(function (error) {
        if (ticket !== pending) return;
        panel.removeAttribute("aria-busy");
        var fallback = panel.querySelector("button[value=refresh].js-hide");
        if (fallback) fallback.classList.remove("js-hide");
        showProblem(panel, problemText(error, fallback
          ? interpolate(gettext("The deadlines could not be updated. Press “%s” to try again."), [fallback.textContent.trim()])
          : gettext("The deadlines could not be updated. Send the form to see them.")));
      });
    }

    // Offer only the chosen vendor's products and the chosen product's versions; a choice that
    // no longer fits is cleared rather than sent.
    function narrow(select, key, owner) {
      Array.prototype.forEach.call(select.options, function (option) {
        var fits = !option.value || option.dataset[key] === owner;
        option.hidden = !fits;
        option.disabled = !fits;
        if (!fits && option.selected) select.value = "";
      });
    }

    function narrowProducts() {
      var elements = form.elements;
      if (!elements.product || !elements.major_version) return;
      narrow(elements.product, "vendor", elements.vendor.value);
      narrow(elements.major_version, "product", elements.product.value);
    }

    narrowProducts();
    form.addEventListener("change", function (event) {
      var name = event.target.name || "";
      if (name === "vendor" || name === "product") narrowProducts();
      // Everything that changes the deadlines or the charge: the contract is the product's, the
      // version's phase and an on-site visit may make the case billable.
      if (REFRESHES_PANEL.indexOf(name) >= 0 || name.indexOf("impact-") === 0) refreshPanel();
    });

    form.addEventListener("click", function (event) {
      var use = event.target.closest("[data-use-priority]");
      if (use) {
        event.preventDefault();
        var radio = document.getElementById("priority-" + use.dataset.usePriority);
        if (radio) {
          radio.checked = true;
          refreshPanel().then(function () {
            var again = document.getElementById("priority-" + use.dataset.usePriority);
            if (again) again.focus();
          });
        }
        return;
      }
      var preview = event.target.closest("[data-markdown-preview]");
      if (preview) {
        event.preventDefault();
        var data = new FormData();
        data.set("body", form.elements.body.value);
        var box = document.getElementById("body-preview");
        post(form.dataset.markdownUrl, form, data).then(function (html) {
          var note = box.querySelector("[data-js-problem]");
          if (note) note.remove();
          box.querySelector("[data-preview-body]").innerHTML = html;
          box.hidden = false;
        }).catch(function (error) {
          showProblem(box, problemText(error, gettext("The preview could not be shown. Try again in a moment.")));
          box.hidden = false;
        });
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("open-case");
    if (form) setupOpenCase(form);
    var summary = document.getElementById("error-summary");
    if (summary) summary.focus();
  });
})();
