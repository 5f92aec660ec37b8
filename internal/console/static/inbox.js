// The inbox replaces its lists every 10 seconds with the server's, and
// shows the count of what waits in the page title. The lists are HTML
// the server rendered (and escaped); nothing here builds markup.
(function () {
  "use strict";
  var box = document.getElementById("items");
  if (!box || !window.fetch) { return; }
  var base = document.title.replace(/^\(\d+\) /, "");
  function title(n) { document.title = (n && n !== "0" ? "(" + n + ") " : "") + base; }
  function tick() {
    if (document.hidden) { return; }
    fetch("/admin/inbox/items", { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (r) {
        if (r.status !== 200) { return null; }
        var n = r.headers.get("X-Waiting") || "0";
        return r.text().then(function (html) { box.innerHTML = html; box.dataset.waiting = n; title(n); });
      })
      .catch(function () {});
  }
  setInterval(tick, 10000);
  document.addEventListener("visibilitychange", tick);
})();
