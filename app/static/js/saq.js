// Monev KIP SAQ workspace: an autosave answered with a conflict (409) or a refusal (422/409)
// still shows the item's fragment, which carries the message and the colleague's saved value.
(function () {
  "use strict";
  document.addEventListener("htmx:beforeSwap", function (ev) {
    var status = ev.detail.xhr.status;
    if (status === 409 || status === 422 || status === 413) {
      ev.detail.shouldSwap = true;
      ev.detail.isError = false;
    }
  });
})();
