// The link graph drawn by the server (web/svg.py): a node's neighbours are highlighted on hover or focus;
// the view pans by dragging and zooms with the buttons or Ctrl + wheel (the viewBox changes, nothing is
// redrawn). Without this script the drawing, its links and the table still work.
(function () {
  "use strict";

  function init() {
    var canvas = document.getElementById("graph-canvas");
    var svg = canvas && canvas.querySelector("svg");
    if (!svg) return;

    var incident = {};
    svg.querySelectorAll(".edge").forEach(function (e) {
      [e.dataset.a, e.dataset.b].forEach(function (id) {
        (incident[id] = incident[id] || []).push(e);
      });
    });

    function clear() {
      canvas.classList.remove("dimmed");
      svg.querySelectorAll(".hl").forEach(function (x) { x.classList.remove("hl"); });
    }

    function highlight(node) {
      clear();
      canvas.classList.add("dimmed");
      node.classList.add("hl");
      (incident[node.id] || []).forEach(function (e) {
        e.classList.add("hl");
        var other = document.getElementById(e.dataset.a === node.id ? e.dataset.b : e.dataset.a);
        if (other) other.classList.add("hl");
      });
    }

    svg.querySelectorAll(".node").forEach(function (n) {
      n.addEventListener("mouseenter", function () { highlight(n); });
      n.addEventListener("mouseleave", clear);
      n.addEventListener("focusin", function () { highlight(n); });
      n.addEventListener("focusout", clear);
    });

    // pan and zoom: the viewBox is the camera
    var base = svg.viewBox.baseVal;
    var initial = [base.x, base.y, base.width, base.height];
    var view = initial.slice();

    function apply() { svg.setAttribute("viewBox", view.map(function (v) { return v.toFixed(2); }).join(" ")); }

    function zoom(factor, cx, cy) {
      var w = view[2] * factor;
      if (w < initial[2] * 0.05 || w > initial[2] * 3) return;
      if (cx === undefined) { cx = view[0] + view[2] / 2; cy = view[1] + view[3] / 2; }
      view = [cx - (cx - view[0]) * factor, cy - (cy - view[1]) * factor, w, view[3] * factor];
      apply();
    }

    function toView(evt) {
      var r = svg.getBoundingClientRect();
      return [view[0] + (evt.clientX - r.left) / r.width * view[2], view[1] + (evt.clientY - r.top) / r.height * view[3]];
    }

    var controls = document.querySelector(".zoom");
    if (controls) {
      controls.hidden = false;
      controls.addEventListener("click", function (evt) {
        var b = evt.target.closest("button[data-zoom]");
        if (!b) return;
        if (b.dataset.zoom === "in") zoom(0.8);
        else if (b.dataset.zoom === "out") zoom(1.25);
        else { view = initial.slice(); apply(); }
      });
    }

    svg.addEventListener("wheel", function (evt) {
      if (!evt.ctrlKey) return; // plain wheel scrolls the page
      evt.preventDefault();
      var p = toView(evt);
      zoom(evt.deltaY > 0 ? 1.15 : 1 / 1.15, p[0], p[1]);
    }, { passive: false });

    var drag = null;
    var moved = false;
    svg.addEventListener("pointerdown", function (evt) {
      if (evt.button !== 0) return;
      drag = { x: evt.clientX, y: evt.clientY, view: view.slice() };
      moved = false;
    });
    svg.addEventListener("pointermove", function (evt) {
      if (!drag) return;
      var dx = evt.clientX - drag.x, dy = evt.clientY - drag.y;
      if (!moved && Math.abs(dx) + Math.abs(dy) < 4) return;
      if (!moved) { moved = true; canvas.classList.add("panning"); svg.setPointerCapture(evt.pointerId); }
      var r = svg.getBoundingClientRect();
      view = [drag.view[0] - dx / r.width * view[2], drag.view[1] - dy / r.height * view[3], view[2], view[3]];
      apply();
    });
    function end() { drag = null; canvas.classList.remove("panning"); }
    svg.addEventListener("pointerup", end);
    svg.addEventListener("pointercancel", end);
    // a drag that ends on a node is not a click on it
    svg.addEventListener("click", function (evt) {
      if (moved) { evt.preventDefault(); evt.stopPropagation(); moved = false; }
    }, true);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
