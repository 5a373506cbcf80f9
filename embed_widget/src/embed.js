/*
 * LivChat embed loader: a launcher button on the customer's page that opens the chat widget
 * (/widget on the origin this script came from) in an iframe.
 *
 *   <script src="https://HOST/embed.js" data-organization-id="org_…" async></script>
 *
 * Optional: data-position="bottom-right|bottom-left", data-locale="en|pt-BR", data-color="#0d9488".
 * The message protocol, the host CSP and the JS API (window.LivChat) are in ../README.md.
 * No dependencies, no globals besides window.LivChat, no innerHTML, no <style>, no eval: styles
 * are CSSOM properties, which a strict `style-src` allows.
 */
((w, d) => {
  var queued = w.LivChat;
  if (queued && queued.open) return; // loaded twice: the first copy already runs the launcher
  var script = d.currentScript; // a classic <script> (not type=module), as in the snippet
  var attr = (name) => script.getAttribute('data-' + name);
  var org = script && attr('organization-id');
  if (!org) return;

  var P = 'livchat:';
  var ORIGIN = new URL(script.src).origin; // the widget lives where the script lives
  var KEY = P + 'token:' + org; // the visitor's contact token, in this (the host's) first-party storage
  var READY_MS = 6000; // no `livchat:ready` by then: the chat opens in a new tab instead
  var Z = 2147483000; // above nearly everything a host page stacks

  var explicitLocale = attr('locale') || d.documentElement.lang;
  var pt = /^pt/i.test(explicitLocale || navigator.language);
  var TEXT = pt ? ['Abrir chat', 'Fechar chat', 'não lidas'] : ['Open chat', 'Close chat', 'unread'];
  var side = attr('position') == 'bottom-left' ? 'left' : 'right';

  var color = attr('color');
  if (!/^#[\da-f]{6}$/i.test(color)) color = '#0d9488';
  // WCAG relative luminance; black or white, whichever contrasts more (always ≥ 4.58:1).
  var luminance = [0.2126, 0.7152, 0.0722].reduce((sum, weight, i) => {
    var c = parseInt(color.substr(1 + 2 * i, 2), 16) / 255;
    return sum + weight * (c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4);
  }, 0);
  var ink = luminance > 0.179 ? '#000' : '#fff';

  var params = new URLSearchParams({ organizationId: org });
  if (explicitLocale) params.set('locale', pt ? 'pt-BR' : 'en');
  if (attr('position')) params.set('position', 'bottom-' + side);
  var widgetUrl = ORIGIN + '/widget?' + params;

  var css = (el, styles) => (Object.assign(el.style, styles), el);
  var make = (tag) => d.createElement(tag);
  var svgNode = (tag, attrs) => {
    var el = d.createElementNS('http://www.w3.org/2000/svg', tag);
    for (var k in attrs) el.setAttribute(k, attrs[k]);
    return el;
  };

  // Shadow DOM keeps the host page's CSS off the launcher (and its focus ring: the browser's own
  // two-tone :focus-visible outline, which no host `outline:none` rule reaches); open, so tests
  // and hosts can find it.
  var host = css(make('div'), { all: 'initial' });
  var root = host.attachShadow({ mode: 'open' });
  var button = css(make('button'), {
    position: 'fixed', bottom: '20px', [side]: '20px', zIndex: Z, width: '56px', height: '56px',
    border: '0', borderRadius: '50%', cursor: 'pointer', background: color,
    color: ink, display: 'flex', alignItems: 'center', justifyContent: 'center',
    boxShadow: '0 4px 12px rgba(0,0,0,.3)',
  });
  button.type = 'button';
  var icon = svgNode('path', {});
  // Decorative: the button's aria-label is its name, so neither icon nor badge is read out.
  var svg = svgNode('svg', {
    viewBox: '0 0 24 24', width: 28, height: 28, fill: 'currentColor', stroke: 'currentColor',
    'stroke-width': 2, 'stroke-linejoin': 'round',
  });
  svg.append(icon);
  var badge = css(make('span'), {
    position: 'absolute', top: '-4px', [side == 'left' ? 'right' : 'left']: '-4px', padding: '0 6px',
    borderRadius: '10px', background: '#b91c1c', color: '#fff', font: '600 12px/20px sans-serif',
  });
  button.append(svg, badge);
  root.append(button);

  var frame = null; // the widget iframe, created on first open
  var isOpen = false;
  var ready = false; // the widget said `livchat:ready`
  var newTab = false; // the widget never became ready: open it as a top-level page instead
  var timer = 0;
  var unread = 0;
  var listeners = [];

  var storage = (write) => {
    try {
      var s = w.localStorage; // the getter itself throws where storage is blocked
      return write ? (write[0] ? s.setItem(KEY, write[0]) : s.removeItem(KEY)) : s.getItem(KEY);
    } catch (e) { return null; }
  };
  var post = (type, data) => {
    frame.contentWindow.postMessage(Object.assign({ type: P + type }, data), ORIGIN);
  };

  var render = () => {
    button.setAttribute('aria-expanded', isOpen);
    button.setAttribute('aria-label', TEXT[+isOpen] + (unread ? ' (' + unread + ' ' + TEXT[2] + ')' : ''));
    icon.setAttribute('d', isOpen ? 'M6 6l12 12M18 6 6 18' : 'M4 4h16v12H9l-5 4z'); // a cross, a speech bubble
    badge.textContent = unread > 9 ? '9+' : unread;
    badge.style.display = unread ? '' : 'none';
    // Hidden until ready: a hidden element takes no clicks, so a widget that never loads covers nothing.
    if (frame) css(frame, { display: isOpen ? '' : 'none', visibility: ready ? '' : 'hidden' });
  };
  // Open or closed, after every change and once ready: the widget marks messages read when visible.
  var show = (state) => {
    isOpen = state;
    render();
    if (ready) post('visibility', { visible: isOpen });
  };

  var openTab = () => { w.open(widgetUrl, '_blank', 'noopener'); };

  // Never ready (storage blocked, sandboxed page, widget down, frame-src missing): drop the frame
  // so nothing invisible covers the page, and open the chat at top level, where storage is first-party.
  var fail = () => {
    var wanted = isOpen; // not if the visitor closed it meanwhile
    clearTimeout(timer);
    if (frame) frame.remove();
    frame = null;
    isOpen = false;
    newTab = true;
    render();
    var activation = navigator.userActivation;
    if (wanted && (!activation || activation.isActive)) openTab(); // else the next click opens it
  };

  var open = () => {
    if (newTab) return openTab();
    if (isOpen) return;
    if (!frame) {
      frame = css(make('iframe'), {
        position: 'fixed', bottom: '88px', [side]: '20px', zIndex: Z, border: '0', borderRadius: '12px',
        width: 'min(400px, calc(100vw - 40px))', height: 'min(640px, calc(100vh - 108px))',
        background: '#fff', boxShadow: '0 8px 32px rgba(0,0,0,.25)',
      });
      frame.title = 'Chat';
      frame.allow = 'microphone'; // the widget's voice call (Vapi), when the organization offers one
      frame.src = widgetUrl;
      root.append(frame);
      timer = setTimeout(fail, READY_MS);
    }
    show(true);
  };

  var close = () => { if (isOpen) show(false); };
  var toggle = () => { isOpen ? close() : open(); };

  var setUnread = (count) => {
    unread = Math.max(0, count | 0);
    render();
    listeners.forEach((listener) => listener(unread));
  };

  w.addEventListener('message', (event) => {
    var message = event.data;
    var type = message && message.type;
    // Only our own iframe's current document, and (except `blocked`) only from the widget origin.
    if (!frame || event.source != frame.contentWindow || typeof type != 'string') return;
    // A sandboxed widget has the opaque origin "null"; it may still report that storage is blocked.
    if (type == P + 'blocked' && (event.origin == ORIGIN || event.origin == 'null')) return fail();
    if (event.origin != ORIGIN) return;
    if (type == P + 'ready') {
      clearTimeout(timer);
      ready = true;
      post('token', { token: storage() });
      show(isOpen);
      if (isOpen && d.activeElement == host) frame.focus(); // opened from the launcher: go into the chat
    } else if (type == P + 'session') {
      if (message.token === null || typeof message.token == 'string') storage([message.token]);
    } else if (type == P + 'unread') {
      setUnread(message.count);
    } else if (type == P + 'close') {
      close();
      button.focus();
    }
  });

  button.addEventListener('click', toggle);
  d.addEventListener('keydown', (event) => {
    if (event.key == 'Escape' && isOpen) { close(); button.focus(); }
  });

  var api = w.LivChat = { open, close, toggle, onUnread: (listener) => { listeners.push(listener); } };
  render();

  // Works from <head>, async or not: attach once there is a body, then run calls queued before
  // the script loaded (window.LivChat = [['open']] or .push(['onUnread', fn])).
  var mount = () => {
    d.body.append(host);
    if (Array.isArray(queued)) queued.forEach(([name, ...args]) => api[name] && api[name](...args));
  };
  d.body ? mount() : d.addEventListener('DOMContentLoaded', mount);
})(window, document);
