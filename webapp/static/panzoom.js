/* Pan and zoom for the server-drawn graphs. Without JavaScript the graph simply scrolls.
   Drag to pan, wheel or +/- to zoom, arrow keys to pan when the graph has focus, "Fit" to see it all.
   The graph opens fitted to its panel (or, when that would be too small to read, at the smallest
   readable size around the asset in focus; a drawing with no focus, data-panzoom="fit", always opens
   fitted); Tab moves from node to node and the view follows. */
(function () {
  "use strict";

  function init(vp) {
    var svg = vp.querySelector("svg");
    if (!svg) { return; }
    var panel = vp.closest(".graph-panel");
    var controls = panel ? panel.querySelector(".panzoom-controls") : null;
    var W = parseFloat(svg.getAttribute("width")) || 800;
    var H = parseFloat(svg.getAttribute("height")) || 400;
    var READABLE = 0.4;  // smallest scale at which labels stay legible
    var overview = vp.getAttribute("data-panzoom") === "fit";  // no focus: open on the whole drawing
    // a panel as tall as the graph fitted to the panel's width (within limits): no empty band, no cut-off
    var fitted = Math.max(Math.min(1, vp.clientWidth / W), READABLE);
    var boxH = Math.round(Math.min(Math.max(H * fitted + 2, 220), window.innerHeight * 0.75));

    svg.setAttribute("data-w", String(W));
    svg.setAttribute("data-h", String(H));
    vp.classList.add("js-pan");
    vp.style.height = boxH + "px";
    vp.setAttribute("tabindex", "0");
    vp.setAttribute("aria-label", "Graph. Arrow keys pan, plus and minus zoom, 0 fits the whole graph.");
    svg.setAttribute("width", "100%");
    svg.setAttribute("height", String(boxH));
    svg.setAttribute("preserveAspectRatio", "xMidYMid meet");
    if (controls) { controls.hidden = false; }

    var vb = { x: 0, y: 0, w: W, h: H };
    function aspect() { return boxH / Math.max(vp.clientWidth, 1); }
    var cue = panel ? panel.querySelector(".graph-cue") : null;
    function apply() {
      svg.setAttribute("viewBox", [vb.x, vb.y, vb.w, vb.h].map(Math.round).join(" "));
      // say so when part of the graph is outside the panel
      if (cue) { cue.hidden = vb.x <= 1 && vb.y <= 1 && vb.x + vb.w >= W - 1 && vb.y + vb.h >= H - 1; }
    }
    function fit() {
      var a = aspect();
      if (W * a >= H) { vb = { x: 0, y: -(W * a - H) / 2, w: W, h: W * a }; }
      else { vb = { x: -(H / a - W) / 2, y: 0, w: H / a, h: H }; }
      apply();
    }
    function clamp(v, lo, hi) { return hi < lo ? (lo + hi) / 2 : Math.max(lo, Math.min(hi, v)); }
    function scale() { return vp.clientWidth / vb.w; }
    function zoomAt(factor, px, py) {      // px, py: fraction of the viewport (0..1)
      var s = scale() * factor;
      if (s < 0.05 || s > 4) { return; }
      var sx = vb.x + px * vb.w, sy = vb.y + py * vb.h;
      vb.w /= factor; vb.h /= factor;
      vb.x = sx - px * vb.w; vb.y = sy - py * vb.h;
      apply();
    }
    function panBy(dx, dy) { vb.x += dx; vb.y += dy; apply(); }
    function start() {
      // whole graph if it stays readable, else the smallest readable size around the asset in focus
      fit();
      if (overview || scale() >= READABLE) { return; }
      var focus = svg.querySelector(".n.focus rect");
      var cx = W / 2, cy = H / 2;
      if (focus) {
        cx = parseFloat(focus.getAttribute("x")) + parseFloat(focus.getAttribute("width")) / 2;
        cy = parseFloat(focus.getAttribute("y")) + parseFloat(focus.getAttribute("height")) / 2;
      }
      var w = vp.clientWidth / READABLE, h = w * aspect();
      // around the focus, but moved so the view is filled with graph rather than empty margin
      vb = { x: clamp(cx - w / 2, 0, W - w), y: clamp(cy - h / 2, 0, H - h), w: w, h: h };
      apply();
    }

    var drag = null, moved = false;
    vp.addEventListener("pointerdown", function (e) {
      if (e.button !== 0) { return; }
      drag = { x: e.clientX, y: e.clientY }; moved = false;
    });
    vp.addEventListener("pointermove", function (e) {
      if (!drag) { return; }
      var dx = e.clientX - drag.x, dy = e.clientY - drag.y;
      if (!moved && Math.abs(dx) + Math.abs(dy) < 5) { return; }
      if (!moved) { moved = true; vp.classList.add("dragging"); vp.setPointerCapture(e.pointerId); }
      var k = vb.w / vp.clientWidth;
      panBy(-dx * k, -dy * k);
      drag = { x: e.clientX, y: e.clientY };
    });
    function end() { drag = null; vp.classList.remove("dragging"); }
    vp.addEventListener("pointerup", end);
    vp.addEventListener("pointercancel", end);
    // a drag must not follow the link it started on
    vp.addEventListener("click", function (e) { if (moved) { e.preventDefault(); moved = false; } }, true);
    vp.addEventListener("wheel", function (e) {
      e.preventDefault();
      var r = vp.getBoundingClientRect();
      zoomAt(e.deltaY < 0 ? 1.15 : 1 / 1.15, (e.clientX - r.left) / r.width, (e.clientY - r.top) / r.height);
    }, { passive: false });
    vp.addEventListener("keydown", function (e) {
      if (e.key === "Enter" && e.target !== vp && e.target.closest) {
        // Enter on a node opens it (browsers differ on following SVG links by keyboard)
        var link = e.target.closest("a[href]");
        if (link) { e.preventDefault(); window.location.assign(link.getAttribute("href")); }
        return;
      }
      if (e.target !== vp) { return; }
      var step = vb.w * 0.1, handled = true;
      switch (e.key) {
        case "ArrowLeft": panBy(-step, 0); break;
        case "ArrowRight": panBy(step, 0); break;
        case "ArrowUp": panBy(0, -step); break;
        case "ArrowDown": panBy(0, step); break;
        case "+": case "=": zoomAt(1.25, 0.5, 0.5); break;
        case "-": case "_": zoomAt(0.8, 0.5, 0.5); break;
        case "0": fit(); break;
        default: handled = false;
      }
      if (handled) { e.preventDefault(); }
    });
    // keyboard: a node reached by Tab is brought into view (Enter then opens it, as any link)
    svg.addEventListener("focusin", function (e) {
      var a = e.target.closest ? e.target.closest("a") : null;
      var r = a ? a.querySelector("rect") : null;
      if (!r) { return; }
      var x = parseFloat(r.getAttribute("x")), y = parseFloat(r.getAttribute("y"));
      var w = parseFloat(r.getAttribute("width")), h = parseFloat(r.getAttribute("height"));
      if (scale() < READABLE) { vb.w = vp.clientWidth / READABLE; vb.h = vb.w * aspect(); }
      if (x < vb.x || y < vb.y || x + w > vb.x + vb.w || y + h > vb.y + vb.h) {
        vb.x = x + w / 2 - vb.w / 2; vb.y = y + h / 2 - vb.h / 2;
      }
      apply();
      vp.scrollTop = 0; vp.scrollLeft = 0;  // the browser may scroll the clipped viewport itself
    });
    if (controls) {
      controls.addEventListener("click", function (e) {
        var b = e.target.closest("button");
        if (!b) { return; }
        var z = b.getAttribute("data-zoom");
        if (z === "in") { zoomAt(1.25, 0.5, 0.5); }
        else if (z === "out") { zoomAt(0.8, 0.5, 0.5); }
        else { fit(); }
      });
    }
    start();
  }

  function boot() {
    var vps = document.querySelectorAll("[data-panzoom]");
    for (var i = 0; i < vps.length; i++) { init(vps[i]); }
    // "the same graph as a table": following the link opens the folded table
    document.addEventListener("click", function (e) {
      var a = e.target.closest ? e.target.closest("a.graph-table-link") : null;
      var d = a ? document.getElementById(a.getAttribute("href").slice(1)) : null;
      if (d && d.tagName === "DETAILS") { d.open = true; }
    });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", boot); }
  else { boot(); }
}());
