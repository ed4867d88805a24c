/* Include on the page that embeds Civis Data election widgets:
     <iframe src="https://…/elections/…/tour-1/widget/resume/" data-civis-resultats …></iframe>
     <script src="https://…/static/elections/embed.js" async></script>
   Each widget posts its height ({civisHeight: h}); this script sets the height of the iframe
   that sent it (and only if the message comes from the iframe's own origin), so the widget
   never shows a scroll bar. Nothing else: no cookie, no tracking. */
(function () {
  "use strict";
  if (window.civisEmbedReady) {
    return;
  }
  window.civisEmbedReady = true;
  var MAX_HEIGHT = 5000;

  function originOf(frame) {
    try {
      return new URL(frame.src, document.baseURI).origin;
    } catch (error) {
      return null;
    }
  }

  window.addEventListener("message", function (event) {
    var data = event.data;
    if (!data || typeof data !== "object" || typeof data.civisHeight !== "number") {
      return;
    }
    var frames = document.querySelectorAll("iframe");
    for (var i = 0; i < frames.length; i += 1) {
      var frame = frames[i];
      if (frame.contentWindow !== event.source) {
        continue;
      }
      if (originOf(frame) !== event.origin) {
        return;
      }
      var height = Math.max(50, Math.min(MAX_HEIGHT, Math.ceil(data.civisHeight)));
      frame.style.height = height + "px";
      frame.setAttribute("data-civis-height", String(height));
      return;
    }
  });
})();
