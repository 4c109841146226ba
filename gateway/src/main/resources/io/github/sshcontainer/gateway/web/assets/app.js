// The gateway's web terminal: xterm.js on a websocket to a gateway session (docs/web-terminal.md).
//
// The wire, as the gateway's server speaks it:
//   login   the link is https://HOST:PORT/#t=TOKEN; the fragment never reaches a server log or a
//           proxy. POST login {"token":T} -> 200 {"user":U,"session":SID} and an HttpOnly cookie,
//           or 401/403 {"error":"..."}. SID stays in sessionStorage: a reload re-attaches.
//   attach  GET ws?session=SID&cols=C&rows=R, C x R the fitted size, so that the shell's first
//           prompt already has it.
//   frames  server -> page: binary = the shell's output bytes, written as they are (xterm.js
//           decodes UTF-8 itself, also across frames); text = JSON {"type":"hello","user",
//           "container","reconnect"} (reconnect: the seconds the server keeps a dropped
//           session, --web-reconnect), {"type":"exit","status"|"signal"}, {"type":"lost",
//           "bytes"}. page -> server: binary = keystrokes and paste, UTF-8; text =
//           {"type":"resize","cols","rows"}.
//   drops   a close without an exit message (network, proxy, sleep) reconnects with backoff
//           (1 s, 2 s, 4 s, ... for the hello's reconnect window, 2 minutes before a hello) to
//           the same session; the server replays what the page missed.
//   ends    a close with code 4000-4999 (or 1008) is final, its reason shown, no retry:
//           4000 the session ended (the reason says why: the gateway closing, the idle
//           timeout, the window passed), 4001 another page took it, 4003 this browser did not
//           open it (no cookie, another cookie), 4004 no such session. A page of this origin
//           is refused that way after the upgrade, never with an HTTP status (which the page
//           would see as 1006 and retry). The page itself never closes with 1000: closing the
//           tab or reloading sends 1001, and the session waits the window for a reload.
//
// No inline script or style in the page. xterm.js itself adds <style> elements (its DOM
// renderer's theme and cell sizes), so the Content-Security-Policy the page needs is
// default-src 'self'; style-src 'self' 'unsafe-inline' (WebPageTest runs it under that, with
// base-uri 'none'; form-action 'none'; frame-ancestors 'none').
'use strict';

(function () {
  const SESSION_KEY = 'ssh-container.session';
  let reconnectForMs = 2 * 60 * 1000; // until the hello says the server's window
  const FIRST_RETRY_MS = 1000;
  const LONGEST_RETRY_MS = 30 * 1000;
  const NEW_LINK = 'For a new session, open a new login link (ssh -p PORT USER@GATEWAY -s web-link prints one).';

  const statusBar = document.getElementById('status');
  const statusText = document.getElementById('status-text');
  const reconnectButton = document.getElementById('reconnect');
  const screen = document.getElementById('terminal');

  const terminal = new Terminal({
    cursorBlink: true,
    scrollback: 5000,
    fontSize: 15,
    fontFamily: '"DejaVu Sans Mono", "Liberation Mono", ui-monospace, Menlo, Consolas, monospace',
  });
  const fit = new FitAddon.FitAddon();
  terminal.loadAddon(fit);
  terminal.open(screen);
  fit.fit();
  // tests read the screen through it: terminal.buffer.active.getLine(i).translateToString(true)
  window.terminal = terminal;

  const encoder = new TextEncoder();
  let session = null;
  let socket = null;
  let ended = false;
  let droppedAt = 0; // when the connection went, 0 while connected
  let retryIn = FIRST_RETRY_MS;
  let retryTimer = null;

  // ---- what the page shows besides the terminal

  function showStatus(text, kind, offerReconnect) {
    statusText.textContent = text;
    statusBar.className = kind;
    reconnectButton.hidden = !offerReconnect;
    statusBar.hidden = false;
    fit.fit();
  }

  function clearStatus() {
    statusBar.hidden = true;
    fit.fit();
  }

  // what the server or the network says goes into the terminal as text, never as escapes
  function plain(value) {
    return String(value).replace(/[\u0000-\u001f\u007f-\u009f]/g, '');
  }

  function fail(text) {
    terminal.write('\r\n\x1b[31m' + plain(text) + '\x1b[0m\r\n');
    showStatus(text, 'error', false);
  }

  // ---- the websocket

  function attachUrl() {
    const url = new URL('ws', location.href);
    url.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
    url.hash = '';
    url.search = '';
    url.searchParams.set('session', session);
    url.searchParams.set('cols', terminal.cols);
    url.searchParams.set('rows', terminal.rows);
    return url.href;
  }

  function sendResize(ws) {
    ws.send(JSON.stringify({ type: 'resize', cols: terminal.cols, rows: terminal.rows }));
  }

  function connect() {
    clearTimeout(retryTimer);
    retryTimer = null;
    fit.fit();
    const cols = terminal.cols;
    const rows = terminal.rows;
    const ws = new WebSocket(attachUrl());
    ws.binaryType = 'arraybuffer';
    socket = ws;
    ws.onopen = () => {
      droppedAt = 0;
      retryIn = FIRST_RETRY_MS;
      clearStatus();
      if (terminal.cols !== cols || terminal.rows !== rows) {
        sendResize(ws); // the window changed while the websocket was opening
      }
    };
    ws.onmessage = (event) => {
      if (typeof event.data !== 'string') {
        terminal.write(new Uint8Array(event.data));
        return;
      }
      let message;
      try {
        message = JSON.parse(event.data);
      } catch (e) {
        return;
      }
      onMessage(message);
    };
    ws.onclose = (event) => {
      if (socket !== ws) {
        return;
      }
      socket = null;
      if (ended) {
        return;
      }
      if (event.code === 1008 || (event.code >= 4000 && event.code < 5000)) {
        forget();
        const why = event.reason ? ': ' + event.reason : '';
        fail((event.code === 4000 ? 'The session ended' : 'The gateway refused this session') + why + '. ' + NEW_LINK);
        return;
      }
      reconnectLater();
    };
  }

  function onMessage(message) {
    switch (message.type) {
      case 'hello':
        document.title = plain(message.user) + '@' + plain(message.container) + ' \u2014 ssh-container';
        if (Number.isFinite(message.reconnect) && message.reconnect > 0) {
          reconnectForMs = message.reconnect * 1000;
        }
        break;
      case 'exit': {
        ended = true;
        forget();
        const how = message.signal !== undefined
          ? 'killed by signal ' + plain(message.signal)
          : 'exit status ' + plain(message.status);
        terminal.write('\r\n\x1b[1m[Session ended: ' + how + ']\x1b[0m\r\n');
        showStatus('Session ended (' + how + '). ' + NEW_LINK, 'ended', false);
        break;
      }
      case 'lost':
        terminal.write('\r\n\x1b[2m' + plain(message.bytes) + ' bytes of output were lost while disconnected\x1b[0m\r\n');
        break;
      default:
        break; // a newer server's message this page does not know
    }
  }

  function reconnectLater() {
    const now = Date.now();
    if (droppedAt === 0) {
      droppedAt = now;
      retryIn = FIRST_RETRY_MS;
    }
    const left = droppedAt + reconnectForMs - now;
    if (left <= 0) {
      // the server has ended the session by now: a reconnect could not work
      forget();
      fail('The connection to the gateway is lost: no answer for ' + Math.round(reconnectForMs / 1000) + ' s, and the session has ended. ' + NEW_LINK);
      return;
    }
    const wait = Math.min(retryIn, left);
    retryIn = Math.min(retryIn * 2, LONGEST_RETRY_MS);
    showStatus('Connection lost; reconnecting in ' + Math.ceil(wait / 1000) + ' s\u2026', 'warn', true);
    retryTimer = setTimeout(connect, wait);
  }

  function reconnectNow() {
    if (session === null || ended || socket !== null) {
      return;
    }
    showStatus('Reconnecting\u2026', 'warn', false);
    connect();
  }

  reconnectButton.addEventListener('click', () => {
    droppedAt = 0; // a new window
    reconnectNow();
  });
  // back from sleep or offline: try at once rather than at the next backoff step
  window.addEventListener('online', () => retryTimer !== null && reconnectNow());
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible' && retryTimer !== null) {
      reconnectNow();
    }
  });

  function forget() {
    sessionStorage.removeItem(SESSION_KEY);
  }

  // ---- input, size, copy and paste

  terminal.onData((data) => {
    if (socket !== null && socket.readyState === WebSocket.OPEN) {
      socket.send(encoder.encode(data));
    }
  });
  terminal.onResize(() => {
    if (socket !== null && socket.readyState === WebSocket.OPEN) {
      sendResize(socket);
    }
  });
  // the page follows the window: fit once per frame however many resize events came
  let fitPending = false;
  const refit = () => {
    if (!fitPending) {
      fitPending = true;
      requestAnimationFrame(() => {
        fitPending = false;
        fit.fit();
      });
    }
  };
  window.addEventListener('resize', refit);
  if (typeof ResizeObserver === 'function') {
    new ResizeObserver(refit).observe(screen);
  }

  // Ctrl+C and Ctrl+V belong to the shell; Ctrl+Shift+C copies the selection, Ctrl+Shift+V
  // leaves the key to the browser, whose paste event xterm.js turns into input (onData)
  terminal.attachCustomKeyEventHandler((event) => {
    if (event.type !== 'keydown' || !event.ctrlKey || !event.shiftKey || event.altKey || event.metaKey) {
      return true;
    }
    if (event.code === 'KeyC') {
      event.preventDefault();
      if (terminal.hasSelection()) {
        copy(terminal.getSelection());
      }
      return false;
    }
    return event.code !== 'KeyV';
  });

  function copy(text) {
    // navigator.clipboard needs a secure context (https or localhost); otherwise the copy
    // event, which xterm.js answers with its selection
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).catch(() => document.execCommand('copy'));
    } else {
      document.execCommand('copy');
    }
  }

  // ---- start: log in with the link's token, or re-attach the tab's session after a reload

  async function login(token) {
    showStatus('Logging in\u2026', 'warn', false);
    let response;
    let body = {};
    try {
      response = await fetch('login', {
        method: 'POST',
        credentials: 'same-origin',
        cache: 'no-store',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ token: token }),
      });
      body = await response.json().catch(() => ({}));
    } catch (e) {
      fail('Cannot reach the gateway to log in: ' + e.message);
      return;
    }
    if (!response.ok || typeof body.session !== 'string') {
      const why = body.error ? String(body.error) : 'HTTP ' + response.status;
      fail('This login link was refused: ' + why + '. ' + NEW_LINK);
      return;
    }
    session = body.session;
    sessionStorage.setItem(SESSION_KEY, session);
    clearStatus();
    connect();
  }

  const token = new URLSearchParams(location.hash.slice(1)).get('t');
  if (location.hash) {
    // the token is single-use; out of the address bar it stays out of history and bookmarks
    history.replaceState(null, '', location.pathname + location.search);
  }
  terminal.focus();
  if (token) {
    login(token);
  } else if ((session = sessionStorage.getItem(SESSION_KEY)) !== null) {
    connect();
  } else {
    fail('No login token in the address. ' + NEW_LINK);
  }
})();
