// faultline's timeline viewer: draws only what is visible, so a history of
// any size opens at once. Data: window.FAULTLINE_TIMELINE (timeline.js).
(function () {
  "use strict";
  var root = document.getElementById("timeline-view");
  var data = window.FAULTLINE_TIMELINE;
  var detail = root.querySelector(".tl-detail");
  if (!data) {
    detail.textContent = "timeline.js, written beside this page, is missing: rebuild the page with `faultline report RUN-DIR`.";
    document.body.dataset.timeline = "missing";
    return;
  }
  function decode(text) {
    var raw = atob(text);
    var bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
    return bytes.buffer;
  }
  var start = new Float32Array(decode(data.start));
  var dur = new Float32Array(decode(data.duration32));
  var status = new Uint8Array(decode(data.status));
  var invoke = new Uint32Array(decode(data.invoke));
  var lanes = data.processes.length;
  var laneStart = data.laneStart;
  // Descriptions come in files of data.detailsPerFile, loaded on demand.
  var details = {}, waiting = {};
  window.faultlineDetails = function (n, text) {
    details[n] = text.split("\n");
    (waiting[n] || []).forEach(function (f) { f(); });
    delete waiting[n];
  };
  function withText(i, then) {
    var n = Math.floor(i / data.detailsPerFile);
    var show = function () { then(details[n][i - n * data.detailsPerFile]); };
    if (details[n]) { show(); return; }
    if (!waiting[n]) {
      waiting[n] = [];
      var script = document.createElement("script");
      script.src = data.detailsDir + "/" + String(n).padStart(4, "0") + ".js";
      script.onerror = function () { then("(the description is in " + script.src + ", which is missing)"); };
      document.head.appendChild(script);
    }
    waiting[n].push(show);
  }

  var LANE = 16, RULER = 34, LABELS = 56;
  var canvas = root.querySelector(".tl-canvas");
  var tip = root.querySelector(".tl-tip");
  var ctx = canvas.getContext("2d");
  var view = { t0: 0, t1: Math.max(data.duration, 0.001), top: 0 };
  var selected = -1;
  var firstAnomaly = root.dataset.firstAnomaly ? Number(root.dataset.firstAnomaly) : null;

  function size() {
    var ratio = window.devicePixelRatio || 1;
    var width = Math.max(300, root.clientWidth);
    var height = Math.min(RULER + lanes * LANE + 4, 560);
    canvas.style.width = width + "px";
    canvas.style.height = height + "px";
    canvas.width = Math.round(width * ratio);
    canvas.height = Math.round(height * ratio);
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    return { w: width, h: height };
  }
  var box = size();

  function scale() { return (box.w - LABELS) / (view.t1 - view.t0); }
  function xOf(t) { return LABELS + (t - view.t0) * scale(); }
  function tOf(x) { return view.t0 + (x - LABELS) / scale(); }
  function maxTop() { return Math.max(0, lanes * LANE - (box.h - RULER)); }

  // Operations that did not succeed, by lane, drawn again over the rest so
  // that zoomed out, where a pixel holds many operations, none is hidden.
  var notOk = [], notOkStart = [0];
  for (var lane = 0; lane < lanes; lane++) {
    for (var k = laneStart[lane]; k < laneStart[lane + 1]; k++) if (status[k] & 3) notOk.push(k);
    notOkStart.push(notOk.length);
  }
  notOk = Uint32Array.from(notOk);

  // Positions lo..hi of `ids` (or of the operations themselves when ids is
  // null) are in start order, and so in end order too: a process runs one
  // operation at a time.
  function firstEndingAfter(ids, lo, hi, t) {
    while (lo < hi) {
      var mid = (lo + hi) >> 1, i = ids ? ids[mid] : mid;
      if (start[i] + dur[i] < t) lo = mid + 1; else hi = mid;
    }
    return lo;
  }
  function firstStartingAtOrAfter(ids, lo, hi, t) {
    while (lo < hi) {
      var mid = (lo + hi) >> 1, i = ids ? ids[mid] : mid;
      if (start[i] < t) lo = mid + 1; else hi = mid;
    }
    return lo;
  }

  // Draws one lane's operations in view, at most one per pixel column.
  function drawRun(y, ids, lo, hi) {
    var colors = data.outcomeColors;
    var k = firstEndingAfter(ids, lo, hi, view.t0);
    while (k < hi) {
      var i = ids ? ids[k] : k;
      if (start[i] > view.t1) break;
      var x0 = xOf(start[i]);
      var x1 = xOf(start[i] + dur[i]);
      var s = status[i];
      ctx.fillStyle = colors[s & 3];
      ctx.globalAlpha = (s & 4) ? 0.45 : 1;
      ctx.fillRect(x0, y, Math.max(1, x1 - x0 - (x1 - x0 > 3 ? 1 : 0)), LANE - 4);
      drawn++;
      if (i === selected) {
        ctx.globalAlpha = 1;
        ctx.strokeStyle = "#000";
        ctx.lineWidth = 2;
        ctx.strokeRect(x0 - 1, y - 1, Math.max(1, x1 - x0) + 2, LANE - 2);
      }
      // Skip the operations that would land on the pixels just drawn.
      var nextPixel = Math.floor(Math.max(x1, x0)) + 1;
      k++;
      if (k < hi) {
        var n = ids ? ids[k] : k;
        if (xOf(start[n]) < nextPixel) k = firstStartingAtOrAfter(ids, k, hi, tOf(nextPixel));
      }
    }
  }

  function niceStep(span, pixels) {
    var raw = span / Math.max(1, pixels / 90);
    if (data.unit !== "s") raw = Math.max(raw, 1);
    var p = Math.pow(10, Math.floor(Math.log10(raw)));
    var steps = [1, 2, 5, 10];
    for (var i = 0; i < steps.length; i++) if (steps[i] * p >= raw) return steps[i] * p;
    return 10 * p;
  }

  var drawn = 0;
  function draw() {
    var w = box.w, h = box.h;
    ctx.clearRect(0, 0, w, h);
    ctx.fillStyle = "#fff";
    ctx.fillRect(0, 0, w, h);
    // Fault windows behind everything; their names go in the ruler.
    var fault_labels = [];
    ctx.save();
    ctx.beginPath();
    ctx.rect(LABELS, 0, w - LABELS, h);
    ctx.clip();
    data.faults.forEach(function (f) {
      var x0 = xOf(f.start), x1 = Math.max(xOf(f.end), x0 + 1);
      if (x1 < LABELS || x0 > w) return;
      ctx.globalAlpha = 0.14;
      ctx.fillStyle = f.color;
      ctx.fillRect(x0, RULER, x1 - x0, h - RULER);
      ctx.globalAlpha = 1;
      fault_labels.push([f.kind + " " + f.label, Math.max(x0, LABELS) + 2, x1, f.color]);
    });
    // What is shaded, for tests that load the page.
    document.body.dataset.timelineFaults = fault_labels.map(function (l) { return l[0]; }).join("; ");
    // The first anomaly: a line through every lane, named in the ruler.
    if (firstAnomaly !== null) {
      var xa = xOf(firstAnomaly);
      ctx.fillStyle = "#b3261e";
      ctx.fillRect(xa - 1, RULER, 2, h - RULER);
      fault_labels.push(["first anomaly", xa + 2, w, "#b3261e"]);
    }
    // Bars: per visible lane, at most one per pixel column.
    var first = Math.floor(view.top / LANE);
    var last = Math.min(lanes - 1, Math.floor((view.top + h - RULER) / LANE));
    drawn = 0;
    for (var lane = first; lane <= last; lane++) {
      var y = RULER + lane * LANE - view.top + 2;
      drawRun(y, null, laneStart[lane], laneStart[lane + 1]);
      drawRun(y, notOk, notOkStart[lane], notOkStart[lane + 1]);
    }
    ctx.globalAlpha = 1;
    ctx.restore();
    // Lane labels and ruler over the bars.
    ctx.fillStyle = "#fafafa";
    ctx.fillRect(0, 0, LABELS, h);
    ctx.fillRect(0, 0, w, RULER);
    ctx.fillStyle = "#555";
    ctx.font = "11px sans-serif";
    for (lane = first; lane <= last; lane++) {
      ctx.fillText("p" + data.processes[lane], 4, RULER + lane * LANE - view.top + 12);
    }
    var span = view.t1 - view.t0;
    var step = niceStep(span, w - LABELS);
    ctx.strokeStyle = "#ccc";
    ctx.beginPath();
    for (var t = Math.ceil(view.t0 / step) * step; t <= view.t1; t += step) {
      var x = xOf(t);
      ctx.moveTo(x, 16);
      ctx.lineTo(x, 20);
      ctx.fillText((step < 1 ? t.toFixed(Math.min(6, Math.ceil(-Math.log10(step)))) : t.toFixed(0)) + (data.unit === "s" ? " s" : ""), x + 2, 13);
    }
    ctx.stroke();
    ctx.font = "10px sans-serif";
    fault_labels.forEach(function (l) {
      ctx.save();
      ctx.beginPath();
      ctx.rect(l[1] - 2, RULER - 12, Math.max(l[2] - l[1] + 2, 0), 12);
      ctx.clip();
      ctx.fillStyle = l[3];
      ctx.fillText(l[0], l[1], RULER - 3);
      ctx.restore();
    });
    if (maxTop() > 0) {
      // A scroll indicator: where the visible lanes are among all of them.
      var track = h - RULER;
      var thumb = Math.max(12, track * track / (lanes * LANE));
      ctx.fillStyle = "rgba(0,0,0,.25)";
      ctx.fillRect(w - 5, RULER + (track - thumb) * view.top / maxTop(), 4, thumb);
    }
  }

  var pending = false;
  function redraw() {
    if (pending) return;
    pending = true;
    requestAnimationFrame(function () { pending = false; draw(); });
  }

  function clampView() {
    var total = Math.max(data.duration, 0.001);
    var span = Math.min(Math.max(view.t1 - view.t0, 1e-6), total);
    if (view.t0 < 0) view.t0 = 0;
    if (view.t0 + span > total) view.t0 = total - span;
    view.t1 = view.t0 + span;
    view.top = Math.min(Math.max(0, view.top), maxTop());
  }
  function zoom(factor, atX) {
    var t = tOf(atX === undefined ? (LABELS + box.w) / 2 : atX);
    view.t0 = t - (t - view.t0) * factor;
    view.t1 = t + (view.t1 - t) * factor;
    clampView();
    redraw();
  }

  root.querySelectorAll("button[data-zoom]").forEach(function (b) {
    b.addEventListener("click", function () {
      var how = b.getAttribute("data-zoom");
      if (how === "fit") { view.t0 = 0; view.t1 = Math.max(data.duration, 0.001); clampView(); redraw(); }
      else zoom(how === "in" ? 0.5 : 2);
    });
  });

  canvas.addEventListener("wheel", function (e) {
    if (e.ctrlKey || e.shiftKey) {
      e.preventDefault();
      var r = canvas.getBoundingClientRect();
      zoom(e.deltaY > 0 ? 1.25 : 0.8, e.clientX - r.left);
    } else if (maxTop() > 0) {
      var before = view.top;
      view.top += e.deltaY;
      clampView();
      if (view.top !== before) { e.preventDefault(); redraw(); }
    }
  }, { passive: false });

  var drag = null;
  canvas.addEventListener("mousedown", function (e) {
    drag = { x: e.clientX, y: e.clientY, t0: view.t0, t1: view.t1, top: view.top, moved: false };
  });
  window.addEventListener("mouseup", function () { setTimeout(function () { drag = null; }, 0); });

  function opAt(e) {
    var r = canvas.getBoundingClientRect();
    var x = e.clientX - r.left, y = e.clientY - r.top;
    if (x < LABELS || y < RULER) return -1;
    var lane = Math.floor((y - RULER + view.top) / LANE);
    if (lane < 0 || lane >= lanes) return -1;
    var slack = 2 / scale();
    var t = tOf(x);
    var i = firstEndingAfter(null, laneStart[lane], laneStart[lane + 1], t - slack);
    if (i < laneStart[lane + 1] && start[i] <= t + slack) return i;
    return -1;
  }
  canvas.addEventListener("mousemove", function (e) {
    if (drag && (drag.moved || Math.abs(e.clientX - drag.x) + Math.abs(e.clientY - drag.y) > 3)) {
      drag.moved = true;
      var dt = (e.clientX - drag.x) / scale();
      view.t0 = drag.t0 - dt;
      view.t1 = drag.t1 - dt;
      view.top = drag.top - (e.clientY - drag.y);
      clampView();
      tip.hidden = true;
      redraw();
      return;
    }
    var i = opAt(e);
    if (i < 0) { tip.hidden = true; return; }
    hovered = i;
    withText(i, function (text) { if (hovered === i) tip.textContent = text; });
    tip.hidden = false;
    var r = root.getBoundingClientRect();
    tip.style.left = Math.min(e.clientX - r.left + 12, r.width - 320) + "px";
    tip.style.top = (e.clientY - r.top + 14) + "px";
  });
  var hovered = -1;
  canvas.addEventListener("mouseleave", function () { tip.hidden = true; hovered = -1; });
  canvas.addEventListener("click", function (e) {
    if (drag && drag.moved) return;
    var i = opAt(e);
    if (i < 0) return;
    select(i);
  });
  function select(i) {
    selected = i;
    withText(i, function (text) {
      detail.textContent = text;
      document.body.dataset.timelineSelected = text;
    });
    redraw();
  }
  // `#event-N` (links from the counterexample) selects and shows the
  // operation invoked at event N.
  function showHash() {
    var m = /^#event-(\d+)$/.exec(location.hash);
    if (!m) return;
    var target = Number(m[1]);
    for (var i = 0; i < invoke.length; i++) {
      if (invoke[i] === target) {
        var lane = 0;
        while (laneStart[lane + 1] <= i) lane++;
        var span = Math.min(view.t1 - view.t0, Math.max(dur[i] * 8, 1e-3));
        view.t0 = start[i] + dur[i] / 2 - span / 2;
        view.t1 = view.t0 + span;
        view.top = lane * LANE - (box.h - RULER) / 2;
        clampView();
        select(i);
        root.scrollIntoView();
        return;
      }
    }
  }
  window.addEventListener("hashchange", showHash);
  window.addEventListener("resize", function () { box = size(); clampView(); redraw(); });

  draw();
  showHash();
  document.body.dataset.timeline = "drawn";
  document.body.dataset.timelineOps = String(data.ops);
  document.body.dataset.timelineBars = String(drawn);
  document.body.dataset.timelineMs = String(Math.round(performance.now()));
})();
