// Tells the server which streamed events this page already shows, whenever the socket (re)opens,
// and shows the connection state. Everything else is HTMX out-of-band swaps.
(function () {
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
  document.addEventListener("htmx:wsOpen", function (evt) {
    const turns = {};
    document.querySelectorAll("[data-streaming='true']").forEach(function (turn) {
      turns[turn.dataset.turn] = lastSeq(turn);
    });
    evt.detail.socketWrapper.send(JSON.stringify({ type: "resume", turns: turns }));
    setConnection("connected", true);
  });
  document.addEventListener("htmx:wsClose", function () {
    setConnection("connection lost — reconnecting…", false);
  });
})();
