// Triage grid and item page. Media arrive greyscale and blurred from the server; a reveal asks the API for
// the sharp picture (it writes the media_reveal audit entry) for this view only: nothing is remembered, and
// leaving the page or revealing again blurs it. A video plays muted, veiled by CSS until revealed.
// On the grid, the keyboard: arrows move between tiles, number keys categorise in the case's scheme (Shift:
// the whole stack) and move on, V/O/S/N assert a victim, an offender, a series or a note, R reveals, Enter
// opens the item, ? lists the keys. Every change goes through the JSON API, with its permissions.
"use strict";
(function () {
  const root = document.getElementById("triage") || document.getElementById("item");
  if (!root) return;
  const caseName = root.dataset.case;
  const files = "/cases/" + encodeURIComponent(caseName) + "/files/";
  const may = {
    reveal: root.dataset.canReveal === "true",
    categorise: root.dataset.canCategorise === "true",
    assert: root.dataset.canAssert === "true",
  };
  const dataEl = document.getElementById("triage-data");
  const data = dataEl ? JSON.parse(dataEl.textContent || "{}") : {};
  const items = data.items || {};
  const keys = data.keys || [];
  const grid = document.getElementById("grid");

  function boxOf(el) { return el && el.closest ? el.closest(".tile, .media") : null; }
  function short(s, n) { return s ? (s.length > n ? s.slice(0, n) + "…" : s) : ""; }

  // -- reveal and play ------------------------------------------------------------------------------------
  function reveal(box, on) {
    if (!may.reveal) { jejak.status("Your role does not reveal media.", true); return; }
    const sha = box.dataset.sha;
    const img = box.querySelector("img.thumb");
    const video = box.querySelector("video");
    if (!img && !video) { jejak.status("This item has no picture to reveal.", true); return; }
    box.dataset.revealed = "pending";
    if (img) {
      img.addEventListener("load", function () { box.dataset.revealed = on ? "true" : "false"; }, { once: true });
      img.addEventListener("error", function () {
        box.dataset.revealed = "false";
        jejak.status("The preview could not be loaded.", true);
      }, { once: true });
      img.alt = (on ? "revealed preview of " : "blurred preview of ") + (box.dataset.kind || "item") + " " + short(sha, 12);
      img.src = files + sha + "/preview" + (on ? "?reveal=true" : "");
      img.dataset.veiled = on ? "false" : "true";
    } else {
      box.dataset.revealed = on ? "true" : "false";
    }
    if (video) video.classList.toggle("veiled", !on);
    box.classList.toggle("revealed", on);
    const btn = box.querySelector('[data-action="reveal"]');
    if (btn) {
      btn.setAttribute("aria-pressed", on ? "true" : "false");
      btn.textContent = on ? "Blur again" : "Reveal";
    }
    if (on) jejak.status("Revealed for this view only (recorded in the audit trail).");
  }

  function toggleReveal(box) { reveal(box, !box.classList.contains("revealed")); }

  function play(box) {
    if (!may.reveal) { jejak.status("Your role does not play media.", true); return; }
    let video = box.querySelector("video");
    if (!video) {
      video = jejak.el("video", {
        "class": "player" + (box.classList.contains("revealed") ? "" : " veiled"),
        "controls": "", "muted": "", "playsinline": "", "preload": "auto",
        "aria-label": "the video, muted" + (box.classList.contains("revealed") ? "" : ", veiled until revealed"),
      });
      video.muted = true;
      video.addEventListener("error", function () {
        jejak.status("The video cannot be played: its original could not be read (moved or changed?).", true);
      });
      video.src = files + box.dataset.sha + "/media";
      (box.querySelector(".frame") || box).appendChild(video);
      box.dataset.playing = "true";
    }
    video.muted = true;
    const started = video.play();
    if (started && started.catch) started.catch(function () { /* the error event says why */ });
  }

  document.addEventListener("click", function (ev) {
    const btn = ev.target.closest ? ev.target.closest("[data-action]") : null;
    if (!btn) return;
    const action = btn.dataset.action;
    if (action === "close") { const d = btn.closest("dialog"); if (d) d.close(); return; }
    const box = boxOf(btn);
    if (!box) return;
    if (action === "reveal") toggleReveal(box);
    else if (action === "play") play(box);
  });

  // -- the side panel -------------------------------------------------------------------------------------
  const panel = document.getElementById("details");
  let shown = null;

  function catText(c) { return c ? c.scheme + " " + c.code + " · " + c.label : "uncategorised"; }

  function row(dl, term, value, cls) {
    if (value === null || value === undefined || value === "") return;
    dl.appendChild(jejak.el("dt", {}, term));
    dl.appendChild(jejak.el("dd", cls ? { "class": cls } : {}, String(value)));
  }

  function show(tile) {
    if (!panel || !tile) return;
    const d = items[tile.dataset.sha];
    if (!d) return;
    shown = tile;
    panel.textContent = "";
    panel.appendChild(jejak.el("h3", {}, d.kind + " " + short(d.sha256, 12)));
    const dl = jejak.el("dl", { "class": "facts-list" });
    row(dl, "SHA-256", d.sha256, "mono wrap");
    row(dl, "MD5", d.md5, "mono wrap");
    row(dl, "SHA-1", d.sha1, "mono wrap");
    row(dl, "Size", d.size !== null ? d.size + " bytes" : null);
    if (d.width && d.height) row(dl, "Pixels", d.width + " × " + d.height);
    row(dl, "Status", d.status.replace("_", "-"));
    row(dl, "Category", catText(d.category) + (d.category_source ? " (" + d.category_source + ")" : ""));
    if (d.list_category && d.category_source === "reviewer") row(dl, "Lists say", catText(d.list_category));
    if (d.reviewer_category) row(dl, "Categorised by", d.reviewer_category.by + ", " + (d.reviewer_category.at || "").slice(0, 16).replace("T", " "));
    if (d.conflict) row(dl, "Conflict", d.conflict.categories.map(catText).join(" / "), "conflict");
    row(dl, "Series", d.series);
    if (d.stack.size > 1) row(dl, "Stack", d.stack.size + " near-duplicates" + (d.stack.representative ? " (this one represents them)" : ""));
    const ex = Object.keys(d.instances.exhibits).map(function (k) { return k + " (" + d.instances.exhibits[k] + ")"; });
    row(dl, "Exhibits", ex.join(", "));
    row(dl, "Files", d.instances.count + (d.instances.deleted ? ", " + d.instances.deleted + " deleted" : ""));
    panel.appendChild(dl);
    if (d.instances.paths.length) {
      panel.appendChild(jejak.el("h4", {}, "Found at"));
      const ul = jejak.el("ul", { "class": "paths" });
      d.instances.paths.forEach(function (p) { ul.appendChild(jejak.el("li", { "class": "mono" }, p)); });
      panel.appendChild(ul);
    }
    panel.appendChild(jejak.el("h4", {}, d.hits.length ? "Hits (" + d.hits.length + ")" : "No list knows it"));
    if (d.hits.length) {
      const ul = jejak.el("ul", { "class": "hits" });
      d.hits.forEach(function (h) {
        const li = jejak.el("li", {});
        li.appendChild(jejak.el("strong", {}, h.list));
        li.appendChild(document.createTextNode(" · " + h.stage + " (" + h.algorithm + ")" + (h.known_good ? " · known-good" : "") +
          (h.entry && h.entry.category ? " · " + catText(h.entry.category) : "")));
        (h.evidence_text || []).forEach(function (line) { li.appendChild(jejak.el("div", { "class": "evidence" }, line)); });
        ul.appendChild(li);
      });
      panel.appendChild(ul);
    }
  }

  if (!grid) {
    // the item page: R reveals its picture
    document.addEventListener("keydown", function (ev) {
      if (ev.ctrlKey || ev.metaKey || ev.altKey || document.querySelector("dialog[open]")) return;
      if (ev.target.closest && ev.target.closest("input, textarea, select")) return;
      const box = document.querySelector(".media[data-sha]");
      if (box && (ev.key === "r" || ev.key === "R") && may.reveal) { ev.preventDefault(); toggleReveal(box); }
    });
    return;
  }

  // -- moving around the grid -----------------------------------------------------------------------------
  function tiles() { return Array.prototype.slice.call(grid.querySelectorAll(".tile")); }

  function current() {
    const a = document.activeElement;
    const t = a && a.closest ? a.closest(".tile") : null;
    return t || grid.querySelector('.tile[tabindex="0"]') || grid.querySelector(".tile");
  }

  function focusTile(t) {
    if (!t) return;
    tiles().forEach(function (x) { if (x !== t) x.tabIndex = -1; });
    t.tabIndex = 0;
    t.focus();
    t.scrollIntoView({ block: "nearest" });
    show(t);
  }

  function columns(list) {
    const top = list[0].offsetTop;
    let n = 0;
    while (n < list.length && list[n].offsetTop === top) n++;
    return Math.max(1, n);
  }

  function move(from, how) {
    const list = tiles();
    const i = list.indexOf(from);
    const cols = columns(list);
    let j = i;
    if (how === "left") j = i - 1;
    else if (how === "right" || how === "next") j = i + 1;
    else if (how === "up") j = i - cols;
    else if (how === "down") j = Math.min(list.length - 1, i + cols);
    else if (how === "home") j = 0;
    else if (how === "end") j = list.length - 1;
    if (j >= 0 && j < list.length) focusTile(list[j]);
  }

  grid.addEventListener("focusin", function (ev) {
    const t = ev.target.closest(".tile");
    if (!t) return;
    if (t.tabIndex !== 0) { tiles().forEach(function (x) { x.tabIndex = -1; }); t.tabIndex = 0; }
    show(t);
  });
  grid.addEventListener("mouseover", function (ev) {
    const t = ev.target.closest(".tile");
    if (t && t !== shown) show(t);
  });
  grid.addEventListener("click", function (ev) {
    const t = ev.target.closest(".tile");
    if (t && !ev.target.closest("a, button")) focusTile(t);
  });
  if (grid.querySelector(".tile")) show(grid.querySelector(".tile"));

  // -- categorising -----------------------------------------------------------------------------------------
  function setCategory(sha, category, conflict) {
    const d = items[sha];
    const text = catText(category);
    if (d) {
      d.category = category;
      d.category_source = "reviewer";
      d.reviewer_category = Object.assign({}, category, { by: "you", at: new Date().toISOString() });
    }
    grid.querySelectorAll('.tile[data-sha="' + sha + '"]').forEach(function (t) {
      const span = t.querySelector('[data-role="category"]');
      const before = span.textContent;
      span.textContent = text;
      span.classList.add("by-reviewer");
      t.setAttribute("aria-label", (t.getAttribute("aria-label") || "").replace(before, text));
      let mark = t.querySelector('[data-role="conflict"]');
      if (conflict && !mark) {
        mark = jejak.el("span", { "class": "conflict", "data-role": "conflict", "title": "a list gives it another category" }, "⚠ conflict");
        span.after(mark);
      } else if (!conflict && mark) {
        mark.remove();
      }
      if (d && !conflict) d.conflict = null;
      t.dataset.category = category.code;
    });
  }

  async function categorise(tile, key, stack) {
    if (!may.categorise) {
      jejak.status("You cannot categorise media in this case (read only, or not your role).", true);
      return;
    }
    const k = keys.find(function (x) { return x.key === key; });
    if (!k) { jejak.status("Key " + key + " is no category of " + data.scheme + ".", true); return; }
    try {
      const out = await jejak.api("POST", files + tile.dataset.sha + "/category", { category: k.code, stack: stack });
      out.contents.forEach(function (c) { setCategory(c.sha256, out.category, c.conflict); });
      const n = out.contents.length;
      jejak.status(catText(out.category) + (n > 1 ? " given to the " + n + " contents of the stack." : "."));
      if (shown) show(shown);
      move(tile, "next");
    } catch (e) {
      jejak.status("Not categorised: " + e.message, true);
    }
  }

  // -- assertions (a small dialog rather than window.prompt) ------------------------------------------------
  const dialog = document.getElementById("assert-dialog");
  const form = document.getElementById("assert-form");
  const input = document.getElementById("assert-value");
  const ASK = {
    v: { field: "victim", title: "It shows a victim", label: "Victim key (e.g. V-12)", max: 100 },
    o: { field: "offender", title: "It shows an offender", label: "Offender key (e.g. O-3)", max: 100 },
    s: { field: "series", title: "It belongs to a series", label: "Series name", max: 500 },
    n: { field: "note", title: "A note about it", label: "Note", max: 4000 },
  };
  let asking = null;

  function ask(tile, kind) {
    if (!may.assert) { jejak.status("You cannot assert in this case (read only, or not your role).", true); return; }
    const a = ASK[kind];
    asking = { tile: tile, field: a.field };
    document.getElementById("assert-title").textContent = a.title + " · " + short(tile.dataset.sha, 12);
    document.getElementById("assert-label").textContent = a.label;
    document.getElementById("assert-hint").textContent = a.field === "note" ? "Kept with the item, attributed to you." :
      "Attributed to you and dated; alerts follow at once.";
    input.value = "";
    input.maxLength = a.max;
    dialog.showModal();
    input.focus();
  }

  form.addEventListener("submit", async function (ev) {
    ev.preventDefault();
    if (!asking) return;
    const value = input.value.trim();
    if (!value) { input.focus(); return; }
    const body = { content: asking.tile.dataset.sha };
    body[asking.field] = value;
    const field = asking.field;
    dialog.close();
    try {
      await jejak.api("POST", "/cases/" + encodeURIComponent(caseName) + "/assertions", body);
      jejak.status(field === "note" ? "Note saved." : "Asserted: " + field + " " + value + ".");
    } catch (e) {
      jejak.status("Not saved: " + e.message, true);
    }
  });
  dialog.addEventListener("close", function () { if (asking) { focusTile(asking.tile); asking = null; } });

  // -- the keyboard -----------------------------------------------------------------------------------------
  const ARROWS = { ArrowLeft: "left", ArrowRight: "right", ArrowUp: "up", ArrowDown: "down", Home: "home", End: "end" };

  document.addEventListener("keydown", function (ev) {
    if (ev.ctrlKey || ev.metaKey || ev.altKey || ev.isComposing) return;
    if (document.querySelector("dialog[open]")) return;  // a dialog has the keys (Escape closes it)
    const target = ev.target;
    if (target.closest && target.closest("input, textarea, select, [contenteditable='true']")) return;
    if (ev.key === "?") { ev.preventDefault(); document.getElementById("key-help").showModal(); return; }
    const active = document.activeElement;
    const inGrid = grid.contains(active);
    if (!inGrid && active && active !== document.body && active.id !== "main") return;  // a link, the filters...
    const tile = current();
    if (!tile) return;
    if (!inGrid && (ARROWS[ev.key] || /^(Digit|Numpad)[0-9]$/.test(ev.code || ""))) {
      ev.preventDefault();
      focusTile(tile);  // the first key brings the focus to the grid
      return;
    }
    if (ARROWS[ev.key]) { ev.preventDefault(); move(tile, ARROWS[ev.key]); return; }
    const digit = /^(?:Digit|Numpad)([0-9])$/.exec(ev.code || "");
    if (digit) { ev.preventDefault(); categorise(tile, digit[1], ev.shiftKey); return; }
    if (ev.key === "Enter" && target === tile) {
      ev.preventDefault();
      window.location.href = tile.querySelector("a.open").href;
      return;
    }
    const k = (ev.key || "").toLowerCase();
    if (k === "r" && !ev.shiftKey) { ev.preventDefault(); toggleReveal(tile); return; }
    if (ASK[k] && !ev.shiftKey) { ev.preventDefault(); ask(tile, k); }
  });
})();
