// Countdowns tick in the browser; the server renders their first value and colour.
(function () {
  const AMBER = 12 * 3600, RED = 2 * 3600;
  function pad(n) { return String(n).padStart(2, "0"); }
  // The server's "now" may differ from this browser's (time zones aside, demos move time):
  // count from the server's clock.
  const serverNow = Number(document.body.dataset.serverNow || Date.now());
  const skew = serverNow - Date.now();
  function render(el) {
    const due = Date.parse(el.dataset.due);
    if (isNaN(due)) return;
    let s = Math.floor((due - (Date.now() + skew)) / 1000);
    const sign = s < 0 ? "-" : "";
    const left = s;
    s = Math.abs(s);
    const d = Math.floor(s / 86400), h = Math.floor((s % 86400) / 3600), m = Math.floor((s % 3600) / 60);
    el.textContent = sign + (d ? d + "d " + pad(h) + "h " + pad(m) + "m" : pad(h) + "h " + pad(m) + "m " + pad(s % 60) + "s");
    el.classList.toggle("red", left <= RED);
    el.classList.toggle("amber", left > RED && left <= AMBER);
  }
  function tick() { document.querySelectorAll("[data-due]").forEach(render); }
  tick();
  setInterval(tick, 1000);
  document.addEventListener("htmx:afterSwap", tick);
  // A refused form (422) and a stale one (409) come back as the panel to show, with its
  // message: swap them like a success rather than dropping them as errors.
  document.addEventListener("htmx:beforeSwap", function (e) {
    const status = e.detail.xhr.status;
    if (status === 409 || status === 422) {
      e.detail.shouldSwap = true;
      e.detail.isError = false;
    }
  });
  // Inline handlers are refused by the Content-Security-Policy: behaviour is declared with
  // data attributes and wired here. A suggestion's "Use" button fills the named text box.
  document.addEventListener("click", function (e) {
    const button = e.target.closest("[data-fill]");
    if (!button) return;
    const box = document.getElementById(button.dataset.fill);
    const text = button.nextElementSibling;
    if (box && text) box.value = text.textContent;
  });
  // A form that says so is emptied once htmx has sent it.
  document.addEventListener("htmx:afterRequest", function (e) {
    const form = e.detail.elt;
    if (form && form.matches && form.matches("form[data-reset-after-request]")) form.reset();
  });
  document.addEventListener("change", function (e) {
    if (e.target.matches("[data-select-all]")) {
      document.querySelectorAll("input[name=case_no]").forEach(function (box) { box.checked = e.target.checked; });
    }
  });
})();
