// jejak review UI, the case report: the Print button (no inline handlers: the page's CSP forbids them).
"use strict";
(function () {
  const button = document.getElementById("print-report");
  if (button) button.addEventListener("click", function () { window.print(); });
})();
