// The page ws serve and chat serve --ws give browsers at "/".  Query parameters: name=NAME
// joins under that name, say=TEXT sends one message once connected (for scripted use).
#include "ws_server.hpp"

namespace syskit::sockkit {

const std::string_view page_html = R"html(<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>sockkit chat</title>
<style>
body { font-family: sans-serif; max-width: 48em; margin: 1em auto; padding: 0 1em; }
#log { list-style: none; padding: 0.5em; height: 60vh; overflow-y: auto; border: 1px solid #999; font-family: monospace; }
#log li.own { color: #06c; }
#log li.note { color: #666; }
form { display: flex; gap: 0.5em; margin-top: 0.5em; }
#text { flex: 1; }
</style>
</head>
<body>
<h1>sockkit chat</h1>
<p id="status">connecting</p>
<ol id="log"></ol>
<form id="form"><input id="text" autocomplete="off" placeholder="a message, /name NAME or /who" autofocus><button>Send</button></form>
<script>
"use strict";
const params = new URLSearchParams(location.search);
const log = document.getElementById("log");
const status = document.getElementById("status");
const text = document.getElementById("text");
function show(line, kind) {
  const li = document.createElement("li");
  li.textContent = line;
  if (kind) li.className = kind;
  log.appendChild(li);
  log.scrollTop = log.scrollHeight;
}
const ws = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/" +
                         (params.get("name") ? "?name=" + encodeURIComponent(params.get("name")) : ""));
ws.onopen = () => {
  status.textContent = "connected";
  if (params.get("say")) { ws.send(params.get("say")); show("me: " + params.get("say"), "own"); }
};
ws.onmessage = (e) => show(e.data, e.data.startsWith("* ") || e.data.startsWith("! ") ? "note" : "");
ws.onclose = (e) => { status.textContent = "closed (" + e.code + (e.reason ? ": " + e.reason : "") + ")"; };
ws.onerror = () => { status.textContent = "error"; };
document.getElementById("form").onsubmit = (e) => {
  e.preventDefault();
  if (!text.value || ws.readyState !== WebSocket.OPEN) return;
  ws.send(text.value);
  if (!text.value.startsWith("/")) show("me: " + text.value, "own");
  text.value = "";
};
</script>
</body>
</html>
)html";

} // namespace syskit::sockkit
