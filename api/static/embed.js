/* The chat inside the widget's frame: same API, authenticated with the short-lived embed token. */
(function () {
  "use strict";
  var C = window.QboChat;
  var config = JSON.parse(document.getElementById("embed-config").textContent);
  var api = new C.Api("", function () { return config.token; });
  var messages = document.getElementById("messages");
  var threadId = null;

  function add(role, text) {
    var node = C.el("div", { class: "msg " + role, text: text || "" });
    messages.appendChild(node);
    messages.scrollTop = messages.scrollHeight;
    return node;
  }

  function handler() {
    var bubble = null;
    return function (name, data) {
      if (name === "token") { if (!bubble) bubble = add("assistant", ""); bubble.textContent += data.text; }
      else if (name === "message") { if (!bubble) bubble = add("assistant", ""); bubble.textContent = data.text; bubble.classList.add("final"); bubble = null; }
      else if (name === "tool_start") { add("tool", "… " + data.name); bubble = null; }
      else if (name === "approval_required") { messages.appendChild(C.approvalCard(data, decide)); bubble = null; }
      else if (name === "error") { add("assistant error", data.detail || "Something went wrong"); }
      else if (name === "done" && data.thread_id) { threadId = data.thread_id; }
    };
  }

  async function decide(id, decision) {
    decision.stream = true;
    await api.stream("/api/approvals/" + id + "/decision", decision, handler());
  }

  document.getElementById("composer").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var box = document.getElementById("prompt");
    var text = box.value.trim();
    if (!text) return;
    box.value = "";
    add("user", text);
    var body = { message: text };
    if (threadId) body.thread_id = threadId;
    api.stream("/api/chat/stream", body, handler());
  });
})();
