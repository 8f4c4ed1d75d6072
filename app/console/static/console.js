// Keyboard shortcuts for the review queue, and the CSRF header on htmx requests.
// Everything here is an enhancement: every action also works as a plain form without script.
(function () {
  "use strict";

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  document.addEventListener("htmx:configRequest", function (event) {
    event.detail.headers["X-CSRF-Token"] = csrfToken();
  });

  function typing(target) {
    var tag = target && target.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || (target && target.isContentEditable);
  }

  function cards() {
    return Array.prototype.slice.call(document.querySelectorAll(".review-card:not(.decided)"));
  }

  var current = null;
  var lastKind = "confirm";  // the action last tried, to finish it after a card comes back asking for a reason

  function select(card) {
    if (!card) { return; }
    if (current) { current.classList.remove("current"); }
    current = card;
    card.classList.add("current");
    card.focus({ preventScroll: true });
    card.scrollIntoView({ block: "nearest", behavior: "smooth" });
  }

  function move(step) {
    var list = cards();
    if (!list.length) { return; }
    var index = list.indexOf(current);
    var next = index === -1 ? (step > 0 ? 0 : list.length - 1) : Math.min(list.length - 1, Math.max(0, index + step));
    select(list[next]);
  }

  function act(kind) {
    if (!current || !current.isConnected) { select(cards()[0]); }
    if (!current) { return; }
    var button = current.querySelector(kind === "confirm" ? "button.confirm" : "button.reject");
    var reason = current.querySelector("input.reason");
    if (!button) { return; }
    if (button.dataset.needsReason === "true" && reason && !reason.value.trim()) {
      // No evidence to record as the reason: take the analyst to the field; Enter there finishes the action.
      reason.dataset.pending = kind;
      reason.focus();
      return;
    }
    lastKind = kind;
    button.click();
  }

  document.addEventListener("keydown", function (event) {
    if (!document.querySelector('[data-keyboard="review"]')) { return; }
    if (event.target && event.target.classList && event.target.classList.contains("reason")) {
      if (event.key === "Enter") {
        event.preventDefault();
        var card = event.target.closest(".review-card");
        // Enter finishes what the analyst started with c or r; otherwise it does what a plain form does (confirm).
        var kind = event.target.dataset.pending === "reject" ? "reject" : "confirm";
        current = card;
        lastKind = kind;
        var button = card.querySelector(kind === "reject" ? "button.reject" : "button.confirm");
        if (button) { button.click(); }
      } else if (event.key === "Escape") {
        delete event.target.dataset.pending;
        event.target.blur();
        if (current) { current.focus({ preventScroll: true }); }
      }
      return;
    }
    if (typing(event.target) || event.altKey || event.ctrlKey || event.metaKey) { return; }
    if (event.key === "j") { event.preventDefault(); move(1); }
    else if (event.key === "k") { event.preventDefault(); move(-1); }
    else if (event.key === "c") { event.preventDefault(); act("confirm"); }
    else if (event.key === "r") { event.preventDefault(); act("reject"); }
    else if (event.key === "/") {
      event.preventDefault();
      if (!current) { select(cards()[0]); }
      var field = current && current.querySelector("input.reason");
      if (field) { field.focus(); }
    }
  });

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest(".review-card button.confirm, .review-card button.reject");
    if (button) {
      lastKind = button.classList.contains("reject") ? "reject" : "confirm";
      current = button.closest(".review-card");
    }
  });

  // After htmx swaps a decided card in, move on to the next one still waiting.
  document.addEventListener("htmx:afterSwap", function (event) {
    var swapped = event.detail && event.detail.target;
    if (swapped && swapped.classList && swapped.classList.contains("review-card")) {
      var fresh = document.getElementById(swapped.id);
      if (fresh && fresh.classList.contains("decided")) {
        var list = cards();
        var after = list.filter(function (c) {
          return fresh.compareDocumentPosition(c) & Node.DOCUMENT_POSITION_FOLLOWING;
        });
        select(after[0] || list[list.length - 1]);
      } else if (fresh) {
        var reason = fresh.querySelector("input.reason");
        current = fresh;
        fresh.classList.add("current");
        if (reason) { reason.dataset.pending = lastKind; reason.focus(); }
      }
    }
  });

  document.addEventListener("DOMContentLoaded", function () {
    if (document.querySelector('[data-keyboard="review"]')) {
      var fromHash = location.hash && document.querySelector(location.hash + ".review-card");
      if (fromHash) { select(fromHash); }
    }
  });
})();
