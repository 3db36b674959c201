/* Shared by the console and the widget: calling the API and reading a Server-Sent Events stream from POST. */
(function (global) {
  "use strict";

  function Api(base, getToken) {
    this.base = base.replace(/\/$/, "");
    this.getToken = getToken;
  }

  Api.prototype.headers = function (extra) {
    var h = { "Content-Type": "application/json", Authorization: "Bearer " + this.getToken() };
    return Object.assign(h, extra || {});
  };

  Api.prototype.json = async function (method, path, body) {
    var res = await fetch(this.base + path, {
      method: method, headers: this.headers(), body: body === undefined ? undefined : JSON.stringify(body),
    });
    var data = null;
    try { data = await res.json(); } catch (e) { data = null; }
    if (!res.ok) {
      var err = new Error((data && data.detail) || res.statusText);
      err.status = res.status; err.problem = data;
      throw err;
    }
    return data;
  };

  /* POST and call onEvent(name, data) for every SSE event until the stream ends. */
  Api.prototype.stream = async function (path, body, onEvent) {
    var res = await fetch(this.base + path, {
      method: "POST", headers: this.headers({ Accept: "text/event-stream" }), body: JSON.stringify(body),
    });
    if (!res.ok || !res.body) {
      var problem = null;
      try { problem = await res.json(); } catch (e) { problem = null; }
      onEvent("error", problem || { detail: res.statusText, status: res.status });
      onEvent("done", { status: "error" });
      return;
    }
    var reader = res.body.getReader();
    var decoder = new TextDecoder();
    var buffer = "";
    for (;;) {
      var chunk = await reader.read();
      if (chunk.done) break;
      buffer += decoder.decode(chunk.value, { stream: true });
      var cut;
      while ((cut = buffer.indexOf("\n\n")) >= 0) {
        var block = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        var name = "message", data = "";
        block.split("\n").forEach(function (line) {
          if (line.indexOf("event: ") === 0) name = line.slice(7);
          else if (line.indexOf("data: ") === 0) data += line.slice(6);
        });
        var parsed = {};
        try { parsed = JSON.parse(data || "{}"); } catch (e) { parsed = { text: data }; }
        onEvent(name, parsed);
      }
    }
  };

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") node.textContent = attrs[k];
      else if (k === "class") node.className = attrs[k];
      else node.setAttribute(k, attrs[k]);
    });
    (children || []).forEach(function (c) { if (c) node.appendChild(c); });
    return node;
  }

  /* An approval card: description, preview (lines, totals), required role, and approve / edit / reject. */
  function approvalCard(payload, onDecide) {
    var action = (payload.action_requests || [{}])[0];
    var preview = payload.preview || {};
    var card = el("div", { class: "card approval", "data-approval-id": payload.approval_id || payload.id || "" });
    card.appendChild(el("h3", { text: action.description || payload.description || action.name || "Proposed change" }));
    if (preview.target) card.appendChild(el("div", { class: "muted small", text: "Target: " + preview.target }));
    if (preview.lines && preview.lines.length) {
      var table = el("table", { class: "list-table" });
      preview.lines.forEach(function (l) {
        table.appendChild(el("tr", {}, [
          el("td", { text: l.item || l.name || "" }), el("td", { class: "num", text: l.quantity || "" }),
          el("td", { class: "num", text: l.line_subtotal || l.amount || "" }),
        ]));
      });
      card.appendChild(table);
    }
    ["subtotal", "tax_total", "total", "amount", "unapplied"].forEach(function (k) {
      if (preview[k] !== undefined) {
        card.appendChild(el("div", { class: k === "total" ? "total" : "small", "data-field": k,
          text: k.replace("_", " ") + ": " + preview[k] }));
      }
    });
    (preview.warnings || []).forEach(function (w) { card.appendChild(el("div", { class: "small error", text: w })); });
    if (payload.refused) card.appendChild(el("div", { class: "error small", text: payload.refused }));
    card.appendChild(el("div", { class: "muted small", text: "Needs: " + (payload.required_role || "office") + " or above" }));
    var details = el("pre", { class: "args", text: JSON.stringify(action.args || payload.args || {}, null, 2) });
    card.appendChild(details);
    var status = payload.status && payload.status !== "pending" ? payload.status : null;
    if (status) {
      card.appendChild(el("div", { class: "status status-" + status, text: status }));
      return card;
    }
    var editor = el("textarea", { class: "edit-args", rows: "6", hidden: "hidden" });
    var reason = el("input", { class: "reject-reason", placeholder: "Reason (optional)", hidden: "hidden" });
    var approve = el("button", { type: "button", class: "primary approve", text: "Approve" });
    var edit = el("button", { type: "button", class: "edit", text: "Edit" });
    var reject = el("button", { type: "button", class: "danger reject", text: "Reject" });
    var actions = el("div", { class: "actions" }, [approve, edit, reject]);
    card.appendChild(editor); card.appendChild(reason); card.appendChild(actions);
    var hash = payload.action_hash;
    var id = payload.approval_id || payload.id;
    function disable() { [approve, edit, reject].forEach(function (b) { b.disabled = true; }); }
    approve.addEventListener("click", function () {
      if (!editor.hidden) {
        var args;
        try { args = JSON.parse(editor.value); } catch (e) { alert("The edited arguments are not valid JSON"); return; }
        disable();
        onDecide(id, { type: "edit", action_hash: hash, edited_action: { name: action.name || payload.action_name, args: args } }, card);
      } else {
        disable();
        onDecide(id, { type: "approve", action_hash: hash }, card);
      }
    });
    edit.addEventListener("click", function () {
      editor.hidden = false; editor.value = JSON.stringify(action.args || payload.args || {}, null, 2);
      approve.textContent = "Save and approve";
    });
    reject.addEventListener("click", function () {
      if (reason.hidden) { reason.hidden = false; reject.textContent = "Confirm reject"; return; }
      disable();
      onDecide(id, { type: "reject", message: reason.value || undefined }, card);
    });
    return card;
  }

  global.QboChat = { Api: Api, el: el, approvalCard: approvalCard };
})(window);
