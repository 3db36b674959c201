/* Embeddable assistant. A host page adds:
 *   <script src="https://<qbo-agent>/static/widget.js" data-token="<embed token>"></script>
 * and gets a chat button that opens the assistant in a frame served by qbo-agent (only on allowed origins). */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script) return;
  var token = script.getAttribute("data-token");
  if (!token) { console.warn("qbo-agent widget: data-token is missing"); return; }
  var base = new URL(script.src, location.href).origin;
  var title = script.getAttribute("data-title") || "Assistant";

  var root = document.createElement("div");
  root.id = "qbo-agent-widget";
  root.style.cssText = "position:fixed;right:16px;bottom:16px;z-index:2147483000;font:14px system-ui,sans-serif";
  var button = document.createElement("button");
  button.type = "button";
  button.id = "qbo-agent-widget-button";
  button.textContent = title;
  button.style.cssText = "background:#0f766e;color:#fff;border:0;border-radius:999px;padding:10px 18px;cursor:pointer;box-shadow:0 2px 8px #0003";
  var frame = document.createElement("iframe");
  frame.id = "qbo-agent-widget-frame";
  frame.title = title;
  frame.src = base + "/embed?token=" + encodeURIComponent(token);
  frame.style.cssText = "display:none;width:380px;height:560px;max-height:80vh;border:1px solid #e5e7eb;border-radius:12px;background:#fff;margin-bottom:8px;box-shadow:0 4px 20px #0003";
  button.addEventListener("click", function () {
    var open = frame.style.display !== "none";
    frame.style.display = open ? "none" : "block";
  });
  root.appendChild(frame);
  root.appendChild(document.createElement("br"));
  root.appendChild(button);
  document.body.appendChild(root);
})();
