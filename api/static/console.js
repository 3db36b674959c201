/* The staff console: streaming chat, approval cards, the approvals inbox, documents and QBO status. */
(function () {
  "use strict";
  var C = window.QboChat;
  var KEY = "qbo-agent-key";
  var fromHash = new URLSearchParams(location.hash.slice(1)).get("key");
  if (fromHash) { sessionStorage.setItem(KEY, fromHash); history.replaceState(null, "", location.pathname); }
  var api = new C.Api("", function () { return sessionStorage.getItem(KEY) || ""; });
  var threadId = null;
  var messages = document.getElementById("messages");

  function add(role, text) {
    var node = C.el("div", { class: "msg " + role, text: text || "" });
    messages.appendChild(node);
    messages.scrollTop = messages.scrollHeight;
    return node;
  }

  function handler() {
    var bubble = null;
    return function (name, data) {
      if (name === "token") {
        if (!bubble) bubble = add("assistant", "");
        bubble.textContent += data.text;
      } else if (name === "message") {
        if (!bubble) bubble = add("assistant", "");
        bubble.textContent = data.text;
        bubble.classList.add("final");
        bubble = null;
      } else if (name === "tool_start") {
        add("tool", "… " + data.name);
        bubble = null;
      } else if (name === "tool_end") {
        var r = data.result || {};
        add("tool", (data.status === "error" ? "✗ " : "✓ ") + data.name + (r.status ? " (" + r.status + ")" : ""));
      } else if (name === "approval_required") {
        messages.appendChild(C.approvalCard(data, decide));
        messages.scrollTop = messages.scrollHeight;
        bubble = null;
      } else if (name === "error") {
        add("assistant error", data.detail || "Something went wrong");
      } else if (name === "done") {
        if (data.thread_id) threadId = data.thread_id;
        loadApprovals(); loadDocuments();
      }
    };
  }

  async function decide(id, decision, card) {
    decision.stream = true;
    await api.stream("/api/approvals/" + id + "/decision", decision, handler());
    card.classList.add("decided");
    card.appendChild(C.el("div", { class: "status", text: decision.type === "reject" ? "rejected" : "decided" }));
  }

  async function send(text) {
    add("user", text);
    var body = { message: text };
    if (threadId) body.thread_id = threadId;
    await api.stream("/api/chat/stream", body, handler());
  }

  async function loadApprovals() {
    var box = document.getElementById("tab-approvals");
    try {
      var page = await api.json("GET", "/api/approvals?status=pending");
      box.innerHTML = "";
      document.getElementById("approval-count").textContent = page.items.length ? "(" + page.items.length + ")" : "";
      if (!page.items.length) box.appendChild(C.el("p", { class: "muted", text: "Nothing waiting for approval." }));
      page.items.forEach(function (a) {
        var payload = Object.assign({}, a, {
          approval_id: a.id, action_requests: [{ name: a.action_name, args: a.args, description: a.description }],
        });
        box.appendChild(C.approvalCard(payload, decide));
      });
    } catch (e) { box.textContent = e.message; }
  }

  function docTable(rows, cols) {
    var table = C.el("table", { class: "list-table" });
    rows.forEach(function (r) {
      table.appendChild(C.el("tr", { "data-id": r.id }, cols.map(function (c) { return C.el("td", { text: String(r[c] == null ? "" : r[c]) }); })));
    });
    return table;
  }

  async function loadDocuments() {
    try {
      var est = await api.json("GET", "/api/estimates?limit=25");
      var box = document.getElementById("tab-estimates");
      box.innerHTML = ""; box.appendChild(docTable(est.items, ["doc_number", "status", "total"]));
      var inv = await api.json("GET", "/api/invoices?limit=25");
      box = document.getElementById("tab-invoices");
      box.innerHTML = ""; box.appendChild(docTable(inv.items, ["doc_number", "status", "balance_due"]));
      var threads = await api.json("GET", "/api/threads");
      box = document.getElementById("tab-threads");
      box.innerHTML = "";
      threads.forEach(function (t) {
        var b = C.el("button", { type: "button", text: t.title || t.id });
        b.addEventListener("click", function () { openThread(t.id); });
        box.appendChild(C.el("div", {}, [b]));
      });
    } catch (e) { /* lists are best effort; the chat still works */ }
  }

  async function openThread(id) {
    var h = await api.json("GET", "/api/threads/" + id + "/messages");
    threadId = id; messages.innerHTML = "";
    h.messages.forEach(function (m) {
      if (m.role === "user") add("user", m.text);
      else if (m.role === "assistant" && m.text) add("assistant", m.text);
      else if (m.role === "tool") add("tool", "✓ " + m.name);
    });
    h.pending_approvals.forEach(function (p) { messages.appendChild(C.approvalCard(p, decide)); });
  }

  async function loadStatus() {
    var badge = document.getElementById("qbo-status");
    try {
      var s = await api.json("GET", "/api/integrations/quickbooks/status");
      badge.textContent = "QuickBooks: " + (s.connected ? "connected" + (s.realm_id ? " (" + s.realm_id + ")" : "") : (s.status || "not connected"));
      badge.className = "status " + (s.connected ? "status-approved" : "status-rejected");
      var connect = document.getElementById("qbo-connect");
      connect.hidden = s.connected || !(me && me.permissions.indexOf("manage_integration") >= 0);
    } catch (e) { badge.textContent = "QuickBooks: unknown"; }
  }

  var me = null;

  async function start() {
    try {
      me = await api.json("GET", "/api/me");
      document.getElementById("whoami").textContent = me.name + " · " + me.role;
      document.getElementById("company").textContent = me.tenant_name;
    } catch (e) {
      var dialog = document.getElementById("login");
      if (!dialog.open) dialog.showModal();
      if (sessionStorage.getItem(KEY)) {
        var err = document.getElementById("login-error"); err.hidden = false; err.textContent = e.message;
      }
      return;
    }
    loadStatus(); loadApprovals(); loadDocuments();
  }

  document.getElementById("login-form").addEventListener("submit", function () {
    sessionStorage.setItem(KEY, document.getElementById("api-key").value.trim());
    setTimeout(start, 0);
  });
  document.getElementById("qbo-connect").addEventListener("click", async function () {
    var started = await api.json("POST", "/api/integrations/quickbooks/connect");
    location.href = started.authorize_url;
  });
  document.getElementById("logout").addEventListener("click", function () { sessionStorage.removeItem(KEY); location.reload(); });
  document.getElementById("composer").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var box = document.getElementById("prompt");
    var text = box.value.trim();
    if (!text) return;
    box.value = "";
    send(text);
  });
  document.getElementById("prompt").addEventListener("keydown", function (ev) {
    if (ev.key === "Enter" && !ev.shiftKey) { ev.preventDefault(); document.getElementById("composer").requestSubmit(); }
  });
  document.querySelectorAll("[data-tab]").forEach(function (b) {
    b.addEventListener("click", function () {
      document.querySelectorAll(".tab").forEach(function (t) { t.hidden = t.id !== "tab-" + b.dataset.tab; });
      document.querySelectorAll("[data-tab]").forEach(function (x) { x.classList.toggle("primary", x === b); });
    });
  });
  start();
})();
