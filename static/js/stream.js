// The live parts of the session and monitor pages. Everything the server sends is an HTMX
// out-of-band swap; this file adds what HTMX cannot know:
// - on every (re)open, tells the server which streamed events the page already shows (resume);
// - the student's outbox: a message stays on the page (and in sessionStorage) until the server
//   acknowledges it, is sent again after a reconnect under the same client id (the server
//   stores it once), and waits while the tutor is still answering instead of being rejected;
// - the monitor follows the newest turn of each card.
(function () {
  "use strict";
  let socket = null; // the ws extension's socketWrapper while the socket is open
  let inflight = null; // client id of the message sent and not yet acknowledged

  function lastSeq(turn) {
    let seq = 0;
    turn.querySelectorAll("[data-seq]").forEach(function (el) {
      seq = Math.max(seq, parseInt(el.dataset.seq, 10) || 0);
    });
    return seq;
  }

  function setConnection(text, ok) {
    const el = document.getElementById("connection");
    if (el) { el.textContent = text; el.classList.toggle("offline", !ok); }
  }

  // ---- outbox ----
  function outboxForm() { return document.querySelector("form[data-outbox]"); }
  function storageKey(form) { return "tutorgraph-outbox-" + form.dataset.outbox; }
  function load(form) {
    try { return JSON.parse(sessionStorage.getItem(storageKey(form)) || "[]"); } catch (e) { return []; }
  }
  function save(form, items) { sessionStorage.setItem(storageKey(form), JSON.stringify(items)); }
  function newId() {
    if (window.crypto && crypto.randomUUID) { return crypto.randomUUID(); }
    return Date.now().toString(36) + "-" + Math.random().toString(36).slice(2, 12);
  }
  function tutorBusy() {
    return !!document.querySelector("#turns .turn.tutor[data-streaming='true']");
  }

  function stateText(item, index) {
    if (!socket) { return "not sent yet: it goes out when the connection is back"; }
    if (index > 0 || item.state === "busy") { return "queued: it goes out after the tutor's reply"; }
    if (item.state === "retry") { return "waiting a moment before sending again"; }
    return "sending…";
  }

  function render(items) {
    const box = document.getElementById("outbox");
    if (!box) { return; }
    box.replaceChildren();
    items.forEach(function (item, index) {
      const div = document.createElement("div");
      div.className = "turn outbox-item";
      div.dataset.clientId = item.id;
      const who = document.createElement("div");
      who.className = "who";
      who.textContent = "You";
      const body = document.createElement("div");
      body.className = "body";
      body.textContent = item.text;
      const state = document.createElement("div");
      state.className = "muted outbox-state";
      state.textContent = stateText(item, index);
      div.append(who, body, state);
      box.append(div);
    });
  }

  function flush() {
    const form = outboxForm();
    if (!form) { return; }
    const items = load(form);
    render(items);
    if (!socket || inflight || !items.length) { return; }
    const head = items[0];
    const now = Date.now();
    if (head.state === "busy" && (tutorBusy() || now - head.at < 1000)) {
      setTimeout(flush, 2000); // the reply's last frame also calls flush
      return;
    }
    if (head.state === "retry" && now < head.at) {
      setTimeout(flush, head.at - now + 50);
      return;
    }
    inflight = head.id;
    socket.send(JSON.stringify({ type: "message", text: head.text, client_id: head.id }));
  }

  function acknowledge(id, result) {
    const form = outboxForm();
    if (!form) { return; }
    if (id === inflight) { inflight = null; }
    let items = load(form);
    const item = items.find(function (x) { return x.id === id; });
    if (!item) { return; }
    if (result === "stored") {
      items = items.filter(function (x) { return x.id !== id; });
    } else if (result === "busy") {
      item.state = "busy"; item.at = Date.now();
    } else if (result === "retry") {
      item.state = "retry"; item.at = Date.now() + 15000;
    } else { // rejected (the error says why): give the text back so nothing is lost
      items = items.filter(function (x) { return x.id !== id; });
      const box = form.querySelector("textarea");
      if (box && !box.value) { box.value = item.text; }
    }
    save(form, items);
  }

  document.addEventListener("submit", function (evt) {
    const form = evt.target;
    if (!form.matches || !form.matches("form[data-outbox]")) { return; }
    evt.preventDefault();
    const box = form.querySelector("textarea");
    const text = box.value.trim();
    if (!text) { return; }
    const items = load(form);
    items.push({ id: newId(), text: text, state: "new", at: Date.now() });
    save(form, items);
    box.value = "";
    flush();
  });

  // ---- socket life ----
  document.addEventListener("htmx:wsOpen", function (evt) {
    socket = evt.detail.socketWrapper;
    inflight = null;
    const turns = {};
    document.querySelectorAll("[data-streaming='true']").forEach(function (turn) {
      turns[turn.dataset.turn] = lastSeq(turn);
    });
    const frame = { type: "resume", turns: turns };
    let last = null;
    document.querySelectorAll("#turns [data-turn]").forEach(function (turn) {
      last = Math.max(last || 0, parseInt(turn.dataset.turn, 10) || 0);
    });
    if (document.getElementById("turns")) { frame.last_turn = last || 0; }
    socket.send(JSON.stringify(frame));
    setConnection("connected", true);
    flush();
  });

  document.addEventListener("htmx:wsClose", function () {
    socket = null;
    inflight = null;
    setConnection("connection lost — reconnecting…", false);
    const form = outboxForm();
    if (form) { render(load(form)); }
  });

  const ACK = /data-ack="([^"]*)" data-result="(\w+)"/;
  document.addEventListener("htmx:wsAfterMessage", function (evt) {
    const ack = ACK.exec(evt.detail.message || "");
    if (ack) { acknowledge(ack[1], ack[2]); }
    document.querySelectorAll(".monitor-card .turns").forEach(function (turns) {
      turns.scrollTop = turns.scrollHeight; // follow the newest turn
    });
    flush();
  });

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll(".monitor-card .turns").forEach(function (turns) {
      turns.scrollTop = turns.scrollHeight;
    });
    const form = outboxForm();
    if (form) { render(load(form)); }
  });
})();
