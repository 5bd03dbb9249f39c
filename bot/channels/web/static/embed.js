// Web chat loader: <script src="https://ASSISTANT/embed.js" defer></script>
(function () {
  var me = document.currentScript, frame = null, open = false;
  if (!me || window.__dvcChat) return;
  window.__dvcChat = 1;
  var label = me.getAttribute("data-label") || "Hỏi trợ lý dịch vụ công";
  var button = document.createElement("button");
  function css(node, rules) { for (var k in rules) node.style[k] = rules[k]; }
  button.type = "button";
  button.textContent = "💬 " + label;
  button.setAttribute("aria-expanded", "false");
  button.setAttribute("aria-controls", "dvc-chat-frame");
  css(button, {
    position: "fixed", right: "16px", bottom: "16px", zIndex: "2147483646",
    font: "600 16px/1.2 system-ui,sans-serif", padding: "12px 16px", minHeight: "48px",
    borderRadius: "24px", border: "2px solid #fff", background: "#0b5cad", color: "#fff",
    boxShadow: "0 2px 10px rgba(0,0,0,.3)", cursor: "pointer"
  });
  function toggle() {
    if (!frame) {
      frame = document.createElement("iframe");
      frame.id = "dvc-chat-frame";
      frame.title = label;
      frame.src = new URL(me.src).origin + "/chat";
      css(frame, {
        position: "fixed", right: "8px", bottom: "76px", zIndex: "2147483647",
        width: "min(400px, calc(100vw - 16px))", height: "min(640px, calc(100vh - 92px))",
        border: "1px solid #b8c2cf", borderRadius: "12px", background: "#fff"
      });
      document.body.appendChild(frame);
    }
    open = !open;
    frame.style.display = open ? "block" : "none";
    button.setAttribute("aria-expanded", String(open));
    if (open) frame.focus();
  }
  button.addEventListener("click", toggle);
  document.addEventListener("keydown", function (e) {
    if (e.key === "Escape" && open) { toggle(); button.focus(); }
  });
  function add() { document.body.appendChild(button); }
  if (document.body) add(); else document.addEventListener("DOMContentLoaded", add);
})();
