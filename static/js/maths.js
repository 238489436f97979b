// Typesets the maths spans that apps/tutoring/rendering.py writes (<span class="math"
// data-tex="...">) with the vendored KaTeX, on load and after every HTMX swap.
(function () {
  function typeset(root) {
    if (!window.katex || !root || !root.querySelectorAll) return;
    root.querySelectorAll(".math[data-tex]:not([data-typeset])").forEach(function (el) {
      try {
        window.katex.render(el.getAttribute("data-tex"), el, {
          displayMode: el.classList.contains("display"), throwOnError: false, trust: false,
        });
        el.setAttribute("data-typeset", "");
      } catch (e) { /* leave the TeX source readable */ }
    });
  }
  document.addEventListener("DOMContentLoaded", function () { typeset(document.body); });
  document.addEventListener("htmx:afterSettle", function (e) { typeset(e.target); });
  document.addEventListener("htmx:oobAfterSwap", function (e) { typeset(e.target); });
})();
