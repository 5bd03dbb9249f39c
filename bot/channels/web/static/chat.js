// Web chat page. Every text from the visitor or the knowledge base goes in through textContent;
// links are built as elements after their scheme is checked; no HTML is ever parsed.
"use strict";
(function () {
  var KEY = "dvc-chat-session";
  var SCHEMES = ["http:", "https:", "mailto:", "tel:"];
  var LINK = /(https?:\/\/[^\s<>"'“”]+|mailto:[^\s<>"'“”]+|tel:\+?[0-9][0-9.\-]*[0-9]|\b1[89]00[ .]?\d{3,4}(?:[ .]\d{2,4})?\b)/g;
  var TRAILING = /[.,;:!?)\]}»”']+$/;
  var NUMBERED = /^\s*(\d{1,2})[.)]\s+(.+)$/;
  var BULLET = /^\s*[•\-–*]\s+(.+)$/;
  var FAILED = "Chưa gửi được. Bạn kiểm tra kết nối mạng rồi thử lại.";
  var WAITING = "Đang trả lời…";

  var log, scroll, form, input, send, menu, status;
  var session = null;
  var busy = false;

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text != null) node.textContent = text;
    return node;
  }

  function load() {
    try { return window.localStorage.getItem(KEY); } catch (e) { return session; }
  }
  function save(id) {
    session = id;
    try {
      if (id) window.localStorage.setItem(KEY, id); else window.localStorage.removeItem(KEY);
    } catch (e) { /* storage blocked: the session lasts as long as the page */ }
  }

  function safeHref(raw) {
    try {
      var url = new URL(raw);
      if (SCHEMES.indexOf(url.protocol) >= 0) return url.href;
    } catch (e) { /* not a URL: stays text */ }
    return null;
  }

  // Text with links: http(s), mailto and tel become <a>; 1900/1800 hotlines become tel: links.
  function inline(parent, text) {
    var last = 0;
    text.replace(LINK, function (match, _g, offset) {
      var tail = (match.match(TRAILING) || [""])[0];
      var core = match.slice(0, match.length - tail.length);
      var raw = /^1[89]00/.test(core) ? "tel:" + core.replace(/\D/g, "") : core;
      var href = safeHref(raw);
      if (!href) return match;
      parent.appendChild(document.createTextNode(text.slice(last, offset)));
      var a = el("a", null, core);
      a.href = href;
      if (/^https?:/.test(href)) { a.target = "_blank"; a.rel = "noopener noreferrer"; }
      parent.appendChild(a);
      last = offset + core.length;
      return match;
    });
    parent.appendChild(document.createTextNode(text.slice(last)));
  }

  // Paragraphs by blank lines; "1. …" lines as a numbered list, "• …" / "- …" as a list.
  function formatted(text, titled) {
    var box = document.createDocumentFragment();
    text.split(/\n\s*\n/).forEach(function (para, index) {
      var list = null, kind = null, p = null;
      para.split("\n").forEach(function (line) {
        var num = NUMBERED.exec(line), bullet = num ? null : BULLET.exec(line);
        if (num || bullet) {
          var want = num ? "ol" : "ul";
          if (!list || kind !== want) {
            list = el(want); kind = want; p = null;
            if (num && num[1] !== "1") list.start = parseInt(num[1], 10);
            box.appendChild(list);
          }
          var li = el("li");
          inline(li, num ? num[2] : bullet[1]);
          list.appendChild(li);
          return;
        }
        list = null;
        if (!line.trim()) return;
        if (!p) {
          p = el("p", titled && index === 0 ? "title" : null);
          box.appendChild(p);
        } else {
          p.appendChild(el("br"));
        }
        inline(p, line);
      });
    });
    return box;
  }

  function toBottom() { scroll.scrollTop = scroll.scrollHeight; }

  function retire() {
    var old = log.querySelectorAll(".choices button");
    for (var i = 0; i < old.length; i++) old[i].disabled = true;
  }

  function visitor(text) {
    log.appendChild(el("p", "msg me", text));
    toBottom();
  }

  function bot(reply, live) {
    retire();
    var box = el("div", "msg bot");
    box.appendChild(formatted(reply.text || "", reply.outcome === "answered" && reply.faq_id));
    var choices = reply.choices || [];
    if (choices.length) {
      var group = el("div", "choices");
      group.setAttribute("role", "group");
      group.setAttribute("aria-label", "Lựa chọn");
      choices.forEach(function (choice) {
        var isFeedback = /^fb:/.test(choice.id);
        var button = el("button", isFeedback ? "fb" : null, choice.label);
        button.type = "button";
        button.disabled = !live;  // restored history: only the last answer's buttons act
        button.addEventListener("click", function () { pick(choice); });
        group.appendChild(button);
      });
      box.appendChild(group);
    }
    log.appendChild(box);
    toBottom();
    return box;
  }

  function problem(text) {
    log.appendChild(el("p", "msg err", text));
    toBottom();
  }

  function setBusy(on) {
    busy = on;
    send.disabled = on;
    menu.disabled = on;
    status.textContent = on ? WAITING : "";
  }

  function post(body, shownText, fromChoice) {
    if (busy) return Promise.resolve(false);
    setBusy(true);
    if (shownText) visitor(shownText);
    body.session = session;
    return fetch("/api/chat", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
      credentials: "same-origin"
    }).then(function (response) {
      return response.json().then(function (data) {
        if (!response.ok) {
          problem(data && data.message ? data.message : FAILED);
          return false;
        }
        save(data.session);
        var box = bot(data.reply, true);
        var first = box.querySelector(".choices button");
        if (fromChoice && first) first.focus(); else input.focus();
        return true;
      });
    }).catch(function () {
      problem(FAILED);
      return false;
    }).then(function (ok) {
      setBusy(false);
      return ok;
    });
  }

  function pick(choice) {
    post({ choice: choice.id }, choice.id === "start" ? null : choice.label, true);
  }

  function ask(event) {
    if (event) event.preventDefault();
    var text = input.value;
    if (!text.trim() || busy) { input.focus(); return; }
    post({ text: text }, text, false).then(function (ok) {
      if (ok) { input.value = ""; grow(); }
    });
  }

  function grow() {
    input.style.height = "auto";
    input.style.height = Math.min(input.scrollHeight + 2, 136) + "px";
  }

  function restore() {
    var saved = load();
    if (!saved) return start();
    fetch("/api/chat/history?session=" + encodeURIComponent(saved), { credentials: "same-origin" })
      .then(function (response) { return response.json(); })
      .then(function (data) {
        var messages = (data && data.messages) || [];
        if (!data || !data.session || !messages.length) { save(null); return start(); }
        save(data.session);
        var lastBot = -1;
        messages.forEach(function (m, i) { if (m.role === "assistant") lastBot = i; });
        messages.forEach(function (m, i) {
          if (m.role === "visitor") visitor(m.text); else bot(m, i === lastBot);
        });
      })
      .catch(function () { start(); });
  }

  function start() {
    post({ choice: "start" }, null, false);
  }

  // iOS: the keyboard shrinks the visual viewport, not the layout one; follow it so the input
  // stays above the keyboard.
  function fitViewport() {
    var view = window.visualViewport;
    if (!view) return;
    var app = document.getElementById("app");
    var fit = function () {
      app.style.height = view.height + "px";
      window.scrollTo(0, 0);
      toBottom();
    };
    view.addEventListener("resize", fit);
    fit();
  }

  function init() {
    log = document.getElementById("log");
    scroll = document.getElementById("scroll");
    form = document.getElementById("ask");
    input = document.getElementById("q");
    send = document.getElementById("send");
    menu = document.getElementById("menu");
    status = document.getElementById("status");
    form.addEventListener("submit", ask);
    input.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) ask(event);
    });
    input.addEventListener("input", grow);
    menu.addEventListener("click", function () {
      post({ choice: "menu" }, menu.textContent, true);
    });
    fitViewport();
    restore();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
