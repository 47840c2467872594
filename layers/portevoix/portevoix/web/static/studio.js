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
        ok.textContent = form.getAttribute("data-ok-label");
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

  // Images: a presigned POST straight to the stack's bucket, then the server checks the
  // bytes (and deletes a file that lies about its type). Each image asks for its alt text.
  var thumbs = document.getElementById("thumbs");
  var mediaField = document.getElementById("media");
  var mediaError = document.getElementById("media-error");

  function syncMedia() {
    var items = [];
    thumbs.querySelectorAll("li").forEach(function (li) {
      items.push({ key: li.getAttribute("data-key"), mime: li.getAttribute("data-mime"),
                   thumb: li.getAttribute("data-thumb"), alt: li.querySelector("[data-alt]").value });
    });
    mediaField.value = JSON.stringify(items);
    form.querySelectorAll("[data-crop]").forEach(function (box) {
      box.textContent = "";
      box.hidden = !items.length;
      if (items.length) {
        var img = document.createElement("img");
        img.src = "/media/view?key=" + encodeURIComponent(items[0].thumb || items[0].key);
        img.alt = items[0].alt;
        box.appendChild(img);
      }
    });
  }

  function addThumb(key, mime, thumb) {
    var n = thumbs.querySelectorAll("li").length + 1;
    var li = document.createElement("li");
    li.setAttribute("data-key", key);
    li.setAttribute("data-mime", mime);
    li.setAttribute("data-thumb", thumb || key);
    var img = document.createElement("img");
    img.src = "/media/view?key=" + encodeURIComponent(thumb || key);
    img.alt = "";
    var label = document.createElement("label");
    label.htmlFor = "alt-new-" + n + "-" + Date.now();
    label.textContent = thumbs.getAttribute("data-alt-label");
    var alt = document.createElement("input");
    alt.id = label.htmlFor;
    alt.setAttribute("data-alt", "");
    alt.maxLength = 1000;
    var remove = document.createElement("button");
    remove.type = "button";
    remove.setAttribute("data-remove", "");
    remove.textContent = thumbs.getAttribute("data-remove-label");
    li.append(img, label, alt, remove);
    thumbs.appendChild(li);
    syncMedia();
  }

  function post(url, body) {
    return fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify(body)
    }).then(function (r) { return r.json().then(function (j) { return { ok: r.ok, body: j }; }); });
  }

  function send(blob, ask) {
    return post("/media/presign", ask).then(function (signed) {
      if (!signed.ok) throw new Error(signed.body.error);
      var data = new FormData();
      Object.keys(signed.body.fields).forEach(function (k) { data.append(k, signed.body.fields[k]); });
      data.append("file", blob);
      return fetch(signed.body.url, { method: "POST", body: data, mode: "no-cors" })
        .then(function () { return post("/media/check", { key: signed.body.key }); })
        .then(function (checked) {
          if (!checked.ok) throw new Error(checked.body.error);
          return checked.body;
        });
    });
  }

  // A preview-sized JPEG drawn here (the server keeps no image library); null if it fails.
  function thumbnail(file) {
    if (!window.createImageBitmap) return Promise.resolve(null);
    return createImageBitmap(file).then(function (bitmap) {
      var scale = Math.min(1, 480 / Math.max(bitmap.width, bitmap.height));
      var canvas = document.createElement("canvas");
      canvas.width = Math.max(1, Math.round(bitmap.width * scale));
      canvas.height = Math.max(1, Math.round(bitmap.height * scale));
      canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
      return new Promise(function (done) { canvas.toBlob(done, "image/jpeg", 0.8); });
    }).catch(function () { return null; });
  }

  function upload(file) {
    return send(file, { type: file.type, size: file.size }).then(function (original) {
      return thumbnail(file).then(function (small) {
        if (!small) return null;
        return send(small, { type: "image/jpeg", size: small.size, thumb_of: original.key })
          .catch(function () { return null; });
      }).then(function (thumb) {
        addThumb(original.key, original.mime, thumb && thumb.key);
      });
    });
  }

  var files = document.getElementById("files");
  if (files) {
    files.addEventListener("change", function () {
      mediaError.textContent = "";
      var chain = Promise.resolve();
      Array.prototype.forEach.call(files.files, function (file) {
        chain = chain.then(function () { return upload(file); }).catch(function (e) {
          mediaError.textContent = file.name + " : " + e.message;
        });
      });
      chain.then(function () { files.value = ""; check(); });
    });
    thumbs.addEventListener("click", function (e) {
      if (e.target.hasAttribute("data-remove")) {
        e.target.closest("li").remove();
        syncMedia();
        check();
      }
    });
    thumbs.addEventListener("input", syncMedia);
  }

  form.addEventListener("input", function (e) {
    if (e.target === files) return;
    clearTimeout(timer);
    timer = setTimeout(check, 250);
  });
  check();
})();
