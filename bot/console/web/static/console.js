// Small enhancements; every page works without this file.
(function () {
  "use strict";
  var form = document.getElementById("entry-form");
  if (form && window.fetch && window.FormData) {
    var results = document.getElementById("trial-results");
    var timer = null;
    var running = 0;
    var refresh = function () {
      var data = new FormData(form);
      data.set("action", "trial");
      var ticket = ++running;
      fetch(form.getAttribute("data-trial"), {
        method: "POST", body: new URLSearchParams(data), credentials: "same-origin",
        headers: {"X-Requested-With": "fetch"}
      }).then(function (r) { return r.ok ? r.text() : null; }).then(function (html) {
        // The server escapes every value in this fragment; later answers win over earlier ones.
        if (html !== null && ticket === running) { results.innerHTML = html; }
      }).catch(function () {});
    };
    form.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(refresh, 400);
    });
  }
  var rows = document.querySelectorAll("tr[data-progress]");
  if (rows.length && window.fetch) {
    var poll = function () {
      document.querySelectorAll("tr[data-progress]").forEach(function (row) {
        fetch(row.getAttribute("data-progress"), {credentials: "same-origin"})
          .then(function (r) { return r.ok ? r.text() : null; })
          .then(function (html) {
            if (html === null) { return; }
            var holder = document.createElement("tbody");
            holder.innerHTML = html;
            if (holder.firstElementChild) { row.replaceWith(holder.firstElementChild); }
          }).catch(function () {});
      });
      if (document.querySelector("tr[data-progress]")) { setTimeout(poll, 2000); }
    };
    setTimeout(poll, 2000);
  }
})();
