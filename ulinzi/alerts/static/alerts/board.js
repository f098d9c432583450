/* The duty officer hears of a new alert without watching the rows: the page's title
   counts the alerts not yet acknowledged ("(2) Duty board"), and each alert that appears
   on a refresh is announced (a live region, read out by screen readers) and marked. */
(function () {
  "use strict";
  var news = document.getElementById("board-news");
  if (!news) { return; }
  var title = document.title;
  var seen = null; // alerts waiting at the last look; null before the first
  var marked = {}; // alert id -> when it was announced: marked for a minute
  function look() {
    var table = document.getElementById("board-table");
    if (!table) { return; }
    var waiting = table.dataset.waiting ? table.dataset.waiting.split(",") : [];
    document.title = waiting.length ? "(" + waiting.length + ") " + title : title;
    if (seen !== null) {
      var fresh = waiting.filter(function (id) { return seen.indexOf(id) < 0; });
      var said = [];
      fresh.forEach(function (id) {
        var row = table.querySelector("tr[data-alert='" + id + "']");
        if (!row) { return; }
        marked[id] = Date.now();
        said.push(row.dataset.ref + " (" + row.dataset.summary + ")");
      });
      if (said.length) { news.textContent = news.dataset.newLabel + ": " + said.join(" · "); }
    }
    seen = waiting;
    Object.keys(marked).forEach(function (id) {
      var row = table.querySelector("tr[data-alert='" + id + "']");
      if (Date.now() - marked[id] > 60000) { delete marked[id]; } else if (row) { row.classList.add("new"); }
    });
  }
  look();
  document.body.addEventListener("htmx:afterSwap", function (event) {
    if (event.target && event.target.id === "board") { look(); }
  });
})();
