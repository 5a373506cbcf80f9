/*
 * LivChat widget bridge: the /widget page's half of the embed protocol (../README.md). Load it
 * before the page's app starts (a plain <script src="/widget-bridge.js"> in the page).
 *
 * window.LivChatWidget:
 *   token()          Promise<string|null>: the visitor's contact token — the one the loader kept in the
 *                    host page's storage, else this frame's own (partitioned) storage.
 *   session(token)   a new contact token (or null to forget it): kept here and by the loader.
 *   unread(count)    the launcher's badge.
 *   close()          closes the chat window.
 *   onVisibility(fn) fn(visible) whenever the visitor opens or closes the chat window.
 *   embedded         true once the loader answered (a close button only makes sense then).
 */
(function (w) {
  'use strict';
  if (w.LivChatWidget) return;
  var P = 'livchat:';
  var parent = w.parent;
  var framed = parent != w;
  var KEY = P + 'token:' + (new URLSearchParams(location.search).get('organizationId') || '');
  var LOADER_MS = 1500; // no answer by then: a bare <iframe> without the loader
  var hostOrigin = null; // learned from the loader's `livchat:token`; tokens go nowhere else
  var token = null;
  var settled = false;
  var waiting = [];
  var listeners = [];

  var storage = function (write) {
    try {
      var s = w.localStorage;
      return write ? (write[0] ? s.setItem(KEY, write[0]) : s.removeItem(KEY)) : s.getItem(KEY);
    } catch (e) { return null; }
  };
  var tell = function (type, data) {
    if (hostOrigin) parent.postMessage(Object.assign({ type: P + type }, data), hostOrigin);
  };
  var settle = function (value) {
    if (settled) return;
    settled = true;
    token = value;
    waiting.forEach(function (resolve) { resolve(value); });
  };

  var api = w.LivChatWidget = {
    embedded: false,
    token: function () {
      return new Promise(function (resolve) { settled ? resolve(token) : waiting.push(resolve); });
    },
    session: function (value) {
      value = typeof value == 'string' && value ? value : null;
      storage([value]);
      tell('session', { token: value });
    },
    unread: function (count) { tell('unread', { count: Math.max(0, count | 0) }); },
    close: function () { tell('close'); },
    onVisibility: function (listener) { listeners.push(listener); },
  };

  if (!framed) return settle(storage()); // top level (the loader's new-tab fallback): first-party storage

  w.addEventListener('message', function (event) {
    var message = event.data;
    if (event.source != parent || !message) return; // only the page that frames us
    if (message.type == P + 'token' && !hostOrigin) {
      hostOrigin = event.origin;
      api.embedded = true;
      var handed = typeof message.token == 'string' && message.token ? message.token : null;
      var own = storage();
      if (handed) storage([handed]);
      else if (own) tell('session', { token: own }); // the host lost it (storage cleared): give it back
      settle(handed || own);
    } else if (message.type == P + 'visibility' && event.origin == hostOrigin) {
      listeners.forEach(function (listener) { listener(!!message.visible); });
    }
  });
  w.addEventListener('keydown', function (event) {
    if (event.key == 'Escape' && !event.defaultPrevented) api.close();
  });

  // Storage that throws (blocked outright, sandboxed frame) breaks the app: the loader then opens
  // the chat in a new tab. `ready` and `blocked` carry nothing secret, so any parent may hear them.
  var usable = true;
  try {
    w.sessionStorage.setItem(P, 1);
    w.sessionStorage.removeItem(P);
    w.localStorage.getItem(P);
  } catch (e) { usable = false; }
  parent.postMessage({ type: P + (usable ? 'ready' : 'blocked') }, '*');
  setTimeout(function () { settle(storage()); }, LOADER_MS);
})(window);
