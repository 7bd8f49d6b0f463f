/* planner: the event buttons without a page reload, and a live filter for long lists.
   Every page works without this file: each button is a plain form that the server answers with
   a redirect. Here the same form is sent with fetch, asking for JSON, and the page is updated in
   place; what changed is said in the page's aria-live region. */
(function () {
  "use strict";

  var quiet = null;

  function announce(text) {
    var region = document.getElementById("announce");
    if (!region) return;
    region.textContent = "";
    window.clearTimeout(quiet);
    // a fresh text node after a pause, so that screen readers say the same words twice
    window.setTimeout(function () { region.textContent = text; }, 60);
    quiet = window.setTimeout(function () { region.textContent = ""; }, 8000);
  }

  function send(form) {
    var token = form.querySelector("input[name=csrf_token]");
    return fetch(form.action, {
      method: "POST",
      body: new FormData(form),
      credentials: "same-origin",
      headers: { "Accept": "application/json", "X-CSRFToken": token ? token.value : "" }
    }).then(function (response) {
      var type = response.headers.get("Content-Type") || "";
      if (type.indexOf("application/json") === -1) {
        throw new Error("not JSON: HTTP " + response.status);
      }
      return response.json();
    });
  }

  function fragment(html) {
    var holder = document.createElement("template");
    holder.innerHTML = html.trim();
    return holder.content.firstElementChild;
  }

  /* The "Going" list keeps its cards soonest first; its note shows when it is empty. */
  function intoGoing(card, list) {
    var spot = document.createElement("li");
    spot.hidden = true;
    spot.setAttribute("data-spot-for", card.id);
    card.parentNode.insertBefore(spot, card);
    var after = null;
    Array.prototype.forEach.call(list.children, function (other) {
      if (!after && other.getAttribute("data-start") > card.getAttribute("data-start")) {
        after = other;
      }
    });
    list.insertBefore(card, after);
  }

  function backFromGoing(card) {
    var spot = document.querySelector('[data-spot-for="' + card.id + '"]');
    if (spot) {
      spot.parentNode.replaceChild(card, spot);
    }
  }

  function tidyGoing() {
    var list = document.getElementById("going-list");
    if (!list) return;
    var going = list.querySelectorAll('[data-event][data-state="going"]').length;
    var note = list.parentNode.querySelector(".empty-note");
    if (note) note.hidden = list.querySelector("[data-event]") !== null;
    Array.prototype.forEach.call(document.querySelectorAll("[data-going-count]"), function (n) {
      n.textContent = String(going);
    });
  }

  /* The week view: a week's budget counts the events marked going (or attended) in it. */
  function tidyWeek(card) {
    var week = card.closest("[data-budget]");
    if (!week) return;
    var budget = Number(week.getAttribute("data-budget"));
    var used = week.querySelectorAll(
      '[data-event][data-state="going"], [data-event][data-state="attended"]').length;
    var meter = week.querySelector("meter");
    if (meter) {
      meter.max = Math.max(budget, used, 1);
      meter.value = used;
      meter.textContent = used + " of " + budget;
    }
    var text = week.querySelector(".budget-text");
    if (text) {
      text.textContent = used + " of " + budget + " used" + (used > budget ? ": over budget"
        : used < budget ? ", room for " + (budget - used) : "");
    }
    week.classList.toggle("over-budget", used > budget);
  }

  function marked(form, answer) {
    var card = form.closest("[data-event]");
    var actions = card.querySelector("[data-actions]");
    var fresh = fragment(answer.actions);
    actions.parentNode.replaceChild(fresh, actions);
    card.setAttribute("data-state", answer.state);
    var going = document.getElementById("going-list");
    if (going && answer.state === "going" && !going.contains(card)) {
      intoGoing(card, going);
    } else if (going && answer.state === "" && answer.was === "going") {
      backFromGoing(card);
    }
    tidyGoing();
    tidyWeek(card);
    var next = fresh.querySelector("button, a");
    if (next) next.focus({ preventScroll: false });
    announce(answer.message);
  }

  function followedUp(form, answer) {
    var item = form.closest("[data-follow-up]");
    item.setAttribute("data-state", "done");
    item.setAttribute("tabindex", "-1");
    var note = document.createElement("p");
    note.className = "state state-done";
    note.textContent = "Done";
    form.parentNode.replaceChild(note, form);
    item.focus();
    announce(answer.message);
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    var handle = form.matches("form[data-mark]") ? marked
      : form.matches("form[data-done]") ? followedUp : null;
    if (!handle || !window.fetch) return;
    event.preventDefault();
    var buttons = form.querySelectorAll("button");
    Array.prototype.forEach.call(buttons, function (b) { b.disabled = true; });
    send(form).then(function (answer) {
      if (answer.ok) {
        handle(form, answer);
      } else {
        Array.prototype.forEach.call(buttons, function (b) { b.disabled = false; });
        announce(answer.error || "That did not work.");
      }
    }).catch(function () {
      form.submit(); // the plain way: the server answers with a page
    });
  });

  /* <input data-filter="LIST-ID">: hide the list's items whose data-text lacks a typed word. */
  function filter(input) {
    var list = document.getElementById(input.getAttribute("data-filter"));
    if (!list) return;
    var words = input.value.toLowerCase().split(/\s+/).filter(Boolean);
    var shown = 0;
    Array.prototype.forEach.call(list.children, function (item) {
      var text = item.getAttribute("data-text") || "";
      var keep = words.every(function (w) { return text.indexOf(w) !== -1; });
      item.hidden = !keep;
      if (keep) shown += 1;
    });
    var none = list.parentNode.querySelector("[data-none]");
    if (none) none.hidden = shown > 0;
  }

  document.addEventListener("input", function (event) {
    if (event.target.matches("input[data-filter]")) filter(event.target);
  });

  /* <input data-copy="WHAT">: a Copy button beside the field ("Copy WHAT" to a screen reader).
     Without this file the field is there to select and copy by hand. The clipboard API needs a secure context (https, or this machine);
     elsewhere the selected text is copied the older way. */
  function copied(button) {
    button.textContent = "Copied";
    announce("Copied the URL.");
    window.setTimeout(function () { button.textContent = "Copy"; }, 2000);
  }

  function copy(input, button) {
    input.focus();
    input.select();
    var failed = function () { announce("Could not copy: the URL is selected, copy it yourself."); };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(input.value).then(function () { copied(button); }, failed);
      return;
    }
    var done = false;
    try { done = document.execCommand("copy"); } catch (e) { done = false; }
    if (done) { copied(button); } else { failed(); }
  }

  Array.prototype.forEach.call(document.querySelectorAll("input[data-copy]"), function (input) {
    var row = document.createElement("div");
    row.className = "copy-row";
    input.parentNode.insertBefore(row, input);
    row.appendChild(input);
    var button = document.createElement("button");
    button.type = "button";
    button.className = "secondary";
    button.textContent = "Copy";
    if (input.getAttribute("data-copy")) {
      button.setAttribute("aria-label", "Copy " + input.getAttribute("data-copy"));
    }
    button.addEventListener("click", function () { copy(input, button); });
    row.appendChild(button);
    input.addEventListener("focus", function () { input.select(); });
    var hint = row.parentNode.querySelector("[data-copy-hint]");
    if (hint) hint.hidden = true;
  });
})();
