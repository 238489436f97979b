// Keyboard labelling and the reservation countdown for the annotation page.
// 1–9 pick an option in the current question and move on; j / k move between questions;
// Enter submits; s jumps to the skip reason. Works across HTMX swaps of #annotate.
(function () {
  "use strict";

  function groups() {
    return Array.from(document.querySelectorAll("#label-form [data-group]"));
  }

  function current() {
    const all = groups();
    const index = all.findIndex((g) => g.classList.contains("current"));
    return { all: all, index: index < 0 ? 0 : index };
  }

  function focusGroup(index) {
    const all = groups();
    all.forEach((g, i) => g.classList.toggle("current", i === index));
    if (all[index]) all[index].scrollIntoView({ block: "nearest" });
  }

  function typing(target) {
    return target && (target.tagName === "TEXTAREA" ||
      (target.tagName === "INPUT" && target.type !== "radio"));
  }

  document.addEventListener("keydown", function (event) {
    if (!document.getElementById("label-form") || event.ctrlKey || event.metaKey || event.altKey) return;
    if (typing(event.target)) {
      if (event.key === "Escape") event.target.blur();
      return;
    }
    const state = current();
    if (/^[1-9]$/.test(event.key)) {
      const group = state.all[state.index];
      const radios = group ? group.querySelectorAll("input[type=radio]") : [];
      const radio = radios[Number(event.key) - 1];
      if (radio) {
        radio.checked = true;
        focusGroup(Math.min(state.index + 1, state.all.length - 1));
        event.preventDefault();
      }
    } else if (event.key === "j" || event.key === "ArrowDown") {
      focusGroup(Math.min(state.index + 1, state.all.length - 1));
      event.preventDefault();
    } else if (event.key === "k" || event.key === "ArrowUp") {
      focusGroup(Math.max(state.index - 1, 0));
      event.preventDefault();
    } else if (event.key === "Enter") {
      document.getElementById("label-form").requestSubmit();
      event.preventDefault();
    } else if (event.key === "s") {
      const reason = document.querySelector("#skip-form input[name=reason]");
      if (reason) { reason.focus(); event.preventDefault(); }
    }
  });

  function tick() {
    document.querySelectorAll(".countdown[data-expires]").forEach(function (el) {
      const left = Math.max(0, Math.round((Date.parse(el.dataset.expires) - Date.now()) / 1000));
      el.textContent = Math.floor(left / 60) + ":" + String(left % 60).padStart(2, "0");
      el.classList.toggle("error", left < 60);
      if (left === 0) el.textContent += " — expired; reload for the next item";
    });
  }

  // The dialogue box opens on its latest turns, just above the reply being labelled.
  function showLatestTurns() {
    document.querySelectorAll(".dialogue-pane .context").forEach(function (box) {
      box.scrollTop = box.scrollHeight;
    });
  }

  function start() {
    if (!document.querySelector("#label-form .current")) focusGroup(0);
    showLatestTurns();
    tick();
  }

  document.addEventListener("DOMContentLoaded", start);
  document.addEventListener("htmx:afterSwap", start);
  setInterval(tick, 1000);
})();
