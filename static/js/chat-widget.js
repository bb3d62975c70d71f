// The chat widget of the realtime-websocket pattern (patterns/widgets/chat.html).
// It asks the page's widget endpoint to deploy the pattern into the learner's sandbox, opens
// a WebSocket to the API's stage with ?name=..., sends {"action": "sendmessage", ...} and
// lists what the API pushes back. Plain JavaScript, no build step.
(function () {
  "use strict";
  const root = document.getElementById("chat");
  if (!root) return;
  const joinForm = root.querySelector("#chat-join");
  const sendForm = root.querySelector("#chat-send");
  const nameInput = root.querySelector("#chat-name");
  const messageInput = root.querySelector("#chat-message");
  const leaveButton = root.querySelector("#chat-leave");
  const status = root.querySelector("#chat-status");
  const log = root.querySelector("#chat-log");
  let socket = null;

  function csrfToken() {
    const headers = JSON.parse(document.body.getAttribute("hx-headers") || "{}");
    return headers["X-CSRFToken"] || "";
  }

  function show(text, kind) {
    const item = document.createElement("li");
    item.className = kind ? `chat-${kind}` : "";
    item.textContent = text;
    log.appendChild(item);
    item.scrollIntoView({ block: "nearest" });
  }

  function joined(isJoined) {
    joinForm.hidden = isJoined;
    sendForm.hidden = !isJoined;
    (isJoined ? messageInput : nameInput).focus();
  }

  function describe(data) {
    // What the API pushes: a chat message from SendMessageFunction, an error the function
    // sends back, or API Gateway's own answer to a message no route takes.
    let message;
    try {
      message = JSON.parse(data);
    } catch (error) {
      return data;
    }
    if (message.from !== undefined) return `${message.from}: ${message.message}`;
    if (message.error) return `Error: ${message.error}`;
    if (message.message) return `API Gateway: ${message.message}`;
    return data;
  }

  joinForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const name = nameInput.value.trim();
    if (!name) return;
    status.textContent = "Deploying the pattern into your sandbox…";
    let answer;
    try {
      const response = await fetch(root.dataset.endpoint, {
        method: "POST",
        headers: { "X-CSRFToken": csrfToken() },
        credentials: "same-origin",
      });
      answer = await response.json();
      if (!response.ok) throw new Error(answer.error || response.statusText);
    } catch (error) {
      status.textContent = `Could not start the chat: ${error.message}`;
      return;
    }
    status.textContent = "Connecting…";
    let opened = false;
    socket = new WebSocket(`${answer.url}?name=${encodeURIComponent(name)}`);
    socket.addEventListener("open", () => {
      opened = true;
      status.textContent = `Connected as ${name}.`;
      joined(true);
    });
    socket.addEventListener("message", (event) => show(describe(event.data)));
    socket.addEventListener("close", (event) => {
      socket = null;
      joined(false);
      status.textContent = opened
        ? `Disconnected (close code ${event.code}${event.reason ? `, ${event.reason}` : ""}).`
        : "The connection was refused: $connect did not answer 2xx.";
    });
  });

  sendForm.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = messageInput.value.trim();
    if (!text || !socket || socket.readyState !== WebSocket.OPEN) return;
    socket.send(JSON.stringify({ action: "sendmessage", message: text }));
    messageInput.value = "";
  });

  leaveButton.addEventListener("click", () => {
    if (socket) socket.close(1000, "Left the chat");
  });
})();
