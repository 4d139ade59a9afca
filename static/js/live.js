// The WebSocket to the sandbox: frames in, commands out; reconnects with backoff.
const MIN_DELAY = 500;
const MAX_DELAY = 10000;

export function connect(path, { onFrame, onStatus }) {
  const scheme = location.protocol === "https:" ? "wss://" : "ws://";
  const url = scheme + location.host + path;
  let socket = null;
  let delay = MIN_DELAY;
  let timer = null;

  function open() {
    onStatus("connecting");
    socket = new WebSocket(url);
    socket.addEventListener("open", () => {
      delay = MIN_DELAY;
      onStatus("live");
    });
    socket.addEventListener("message", (event) => {
      let data;
      try {
        data = JSON.parse(event.data);
      } catch {
        return;
      }
      if (data && data.type === "frame") onFrame(data);
    });
    socket.addEventListener("close", (event) => {
      if (event.code === 4403) {
        onStatus("closed"); // refused or revoked watch link: retrying cannot help
        return;
      }
      onStatus("disconnected", delay);
      clearTimeout(timer);
      timer = setTimeout(open, delay);
      delay = Math.min(delay * 2, MAX_DELAY);
    });
  }

  open();
  return {
    send(command) {
      if (socket && socket.readyState === WebSocket.OPEN) {
        socket.send(JSON.stringify(command));
        return true;
      }
      return false;
    },
  };
}

export function showStatus(el, state, delay) {
  if (!el) return;
  el.dataset.state = state;
  if (state === "live") el.textContent = "● live";
  else if (state === "connecting") el.textContent = "connecting…";
  else if (state === "closed") el.textContent = "closed · no access";
  else el.textContent = `disconnected · retrying in ${Math.round(delay / 1000) || 1}s`;
}
