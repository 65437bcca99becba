// Quick exit: leave for a neutral site and replace this page in the history, so the Back
// button does not lead here. Without JavaScript the link still leaves (without replacing).
// With an application open on this device (data-close-url), it is closed on the way out:
// whoever picks up the phone next cannot reopen it from the browser's history list.
(function () {
  "use strict";
  function closeApplication(link) {
    var url = link.getAttribute("data-close-url");
    var token = document.querySelector("input[name=csrfmiddlewaretoken]");
    if (!url || !token || !navigator.sendBeacon) { return; }
    try {
      var data = new FormData();
      data.append("csrfmiddlewaretoken", token.value);
      navigator.sendBeacon(url, data);
    } catch (e) { /* leave anyway */ }
  }
  function leave(link) {
    try { document.body.hidden = true; } catch (e) { /* keep going */ }
    closeApplication(link);
    window.location.replace(link.href);
  }
  document.addEventListener("click", function (event) {
    var link = event.target.closest ? event.target.closest("[data-quick-exit]") : null;
    if (!link) { return; }
    event.preventDefault();
    leave(link);
  });
  // Pressing Escape three times quickly also leaves.
  var presses = [];
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") { return; }
    var now = Date.now();
    presses = presses.filter(function (t) { return now - t < 1500; });
    presses.push(now);
    var link = document.querySelector("[data-quick-exit]");
    if (presses.length >= 3 && link) { leave(link); }
  });
})();
