// Quick exit: leave for a neutral site and replace this page in the history, so the Back
// button does not lead here. Without JavaScript the link still leaves (without replacing).
(function () {
  "use strict";
  function leave(url) {
    try { document.body.hidden = true; } catch (e) { /* keep going */ }
    window.location.replace(url);
  }
  document.addEventListener("click", function (event) {
    var link = event.target.closest ? event.target.closest("[data-quick-exit]") : null;
    if (!link) { return; }
    event.preventDefault();
    leave(link.href);
  });
  // Pressing Escape three times quickly also leaves.
  var presses = [];
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") { return; }
    var now = Date.now();
    presses = presses.filter(function (t) { return now - t < 1500; });
    presses.push(now);
    var link = document.querySelector("[data-quick-exit]");
    if (presses.length >= 3 && link) { leave(link.href); }
  });
})();
