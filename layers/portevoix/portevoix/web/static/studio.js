// The composer's live check: each variant counted as its network counts it and checked
// against the charter by the server, as the author types. No framework; text is set with
// textContent only (never HTML).
(function () {
  "use strict";
  var form = document.getElementById("composer");
  if (!form) return;
  var csrf = form.querySelector("input[name=csrf]").value;
  var timer = null;
  var token = /(https?:\/\/[^\s]+|#[^\s#.,;:!?]+|@[\w.-]+(?:@[\w.-]+)?)/;

  function fields() {
    var data = {};
    new FormData(form).forEach(function (value, key) { data[key] = value; });
    return data;
  }

  function preview(el, text, link) {
    el.textContent = "";
    var shown = link && text.indexOf(link) < 0 ? text + " " + link : text;
    shown.split(token).forEach(function (part, i) {
      if (!part) return;
      var span = document.createElement("span");
      span.textContent = part;
      if (i % 2 === 1) span.className = part[0] === "#" ? "tag" : part[0] === "@" ? "mention" : "url";
      el.appendChild(span);
    });
    if (link) {
      var card = document.createElement("span");
      card.className = "card-link";
      try { card.textContent = new URL(link).hostname; } catch (e) { card.textContent = link; }
      el.appendChild(card);
    }
  }

  function render(answer) {
    var data = fields();
    form.querySelectorAll("fieldset.variant").forEach(function (box) {
      var key = box.getAttribute("data-account");
      var v = answer.variants[key];
      var count = box.querySelector("[data-count]");
      var list = box.querySelector("[data-findings]");
      var shown = box.querySelector("[data-preview]");
      preview(shown, (data["text_" + key] || data.text || ""), data.link || "");
      list.textContent = "";
      if (!v) { count.textContent = ""; return; }
      count.textContent = v.count + " / " + v.max + " (" + v.network + ")";
      if (v.count > v.max) count.className = "error";
      else count.className = "";
      if (!v.findings.length) {
        var ok = document.createElement("li");
        ok.className = "ok";
        ok.textContent = document.documentElement.lang === "en" ? "Meets the charter." : "Conforme à la charte.";
        list.appendChild(ok);
      }
      v.findings.forEach(function (f) {
        var li = document.createElement("li");
        li.className = f.level;
        li.setAttribute("data-rule", f.rule);
        li.textContent = f.text;
        list.appendChild(li);
      });
    });
    var blocked = Object.keys(answer.variants).some(function (k) { return answer.variants[k].blocked; });
    document.getElementById("send").setAttribute("aria-disabled", blocked ? "true" : "false");
  }

  var asked = 0;  // answers can arrive out of order: only the latest question's is shown

  function check() {
    var mine = ++asked;
    fetch("/compose/check", {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify(fields())
    }).then(function (r) { return r.ok ? r.json() : null; })
      .then(function (answer) { if (answer && mine === asked) render(answer); })
      .catch(function () { /* offline: the server checks again on submit */ });
  }

  form.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(check, 250);
  });
  check();
})();
