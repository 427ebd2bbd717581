// jejak review UI: what every page shares. No framework, no CDN: the session cookie authenticates, the
// page's <meta name="csrf-token"> is sent as X-CSRF-Token on every change made through the API.
"use strict";
window.jejak = (function () {
  function csrf() {
    const m = document.querySelector('meta[name="csrf-token"]');
    return m ? m.getAttribute("content") : "";
  }
  async function api(method, url, body) {
    const opts = { method: method, credentials: "same-origin", headers: { "Accept": "application/json" } };
    if (method !== "GET") opts.headers["X-CSRF-Token"] = csrf();
    if (body !== undefined) {
      opts.headers["Content-Type"] = "application/json";
      opts.body = JSON.stringify(body);
    }
    const r = await fetch(url, opts);
    const text = await r.text();
    let data = null;
    try { data = text ? JSON.parse(text) : null; } catch (e) { data = { detail: text }; }
    if (!r.ok) {
      const msg = (data && (data.detail || data.title)) || ("HTTP " + r.status);
      throw new Error(msg);
    }
    return data;
  }
  function status(message, isError) {
    let el = document.getElementById("status-line");
    if (!el) {
      el = document.createElement("div");
      el.id = "status-line";
      el.setAttribute("role", "status");
      el.setAttribute("aria-live", "polite");
      document.body.appendChild(el);
    }
    el.textContent = message;
    el.className = isError ? "error" : "";
    clearTimeout(el._t);
    el._t = setTimeout(function () { el.textContent = ""; }, 6000);
  }
  function el(tag, attrs, text) {
    const e = document.createElement(tag);
    for (const k in (attrs || {})) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    return e;
  }
  return { api: api, csrf: csrf, status: status, el: el };
})();
