"use strict";
(function () {
  var root = document.documentElement;
  window.addEventListener("error", function () { root.setAttribute("data-script-error", "1"); });

  // Copy a finding's commands (the clipboard API needs a secure context: fall back to a
  // selection otherwise).
  function copy(text, button) {
    var done = function () { button.textContent = "copied"; setTimeout(function () { button.textContent = "copy"; }, 1500); };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done, function () { fallback(text); done(); });
    } else { fallback(text); done(); }
  }
  function fallback(text) {
    var area = document.createElement("textarea");
    area.value = text; area.setAttribute("readonly", ""); area.style.position = "fixed"; area.style.opacity = "0";
    document.body.appendChild(area); area.select();
    try { document.execCommand("copy"); } catch (e) { /* nothing more to try */ }
    document.body.removeChild(area);
  }
  document.querySelectorAll("button.copy").forEach(function (b) {
    b.addEventListener("click", function () {
      var pre = document.getElementById(b.getAttribute("data-for"));
      if (pre) { copy(pre.textContent, b); }
    });
  });

  // Filter boxes over tables.
  document.querySelectorAll("input.filter").forEach(function (input) {
    var table = document.getElementById(input.getAttribute("data-table"));
    input.addEventListener("input", function () {
      var q = input.value.toLowerCase();
      table.querySelectorAll("tbody tr").forEach(function (tr) {
        tr.classList.toggle("hidden", q !== "" && tr.textContent.toLowerCase().indexOf(q) < 0);
      });
    });
  });

  // The timeline.
  var timeline = document.getElementById("timeline");
  if (!timeline) { root.setAttribute("data-ready", "1"); return; }
  var L = 240, R = 985, W = 1000;
  var full = [Number(timeline.getAttribute("data-t0")), Number(timeline.getAttribute("data-t1"))];
  var view = full.slice();
  var lanes = Array.prototype.slice.call(timeline.querySelectorAll("svg.lane"));
  var marks = Array.prototype.slice.call(timeline.querySelectorAll("g.m"));
  var links = Array.prototype.slice.call(timeline.querySelectorAll("polyline.link"));
  var axis = timeline.querySelector("svg.axis g.ticks");
  var tip = document.getElementById("tip");
  var x = function (t) { return L + (t - view[0]) / Math.max(1, view[1] - view[0]) * (R - L); };
  var pad = function (n) { return (n < 10 ? "0" : "") + n; };
  var steps = [60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 172800, 604800, 1209600,
    -1, -3, -6, -12];

  function ticks() {
    var span = Math.max(1, view[1] - view[0]), step = -12, out = [];
    for (var i = 0; i < steps.length; i++) {
      var s = steps[i] > 0 ? steps[i] : -steps[i] * 30 * 86400;
      if (Math.floor(span / s) < 8) { step = steps[i]; break; }
    }
    if (step < 0) {
      var months = -step, d = new Date(view[0] * 1000), y = d.getUTCFullYear(), m = d.getUTCMonth();
      m -= m % months;
      for (;;) {
        var t = Date.UTC(y, m, 1) / 1000;
        if (t > view[1]) { break; }
        if (t >= view[0]) { out.push([t, months >= 12 ? String(y) : y + "-" + pad(m + 1)]); }
        m += months; if (m >= 12) { y += Math.floor(m / 12); m %= 12; }
      }
      return out;
    }
    for (var t2 = Math.ceil(view[0] / step) * step; t2 <= view[1]; t2 += step) {
      var a = new Date(t2 * 1000), label;
      var day = a.getUTCFullYear() + "-" + pad(a.getUTCMonth() + 1) + "-" + pad(a.getUTCDate());
      var hm = pad(a.getUTCHours()) + ":" + pad(a.getUTCMinutes());
      if (step >= 86400) { label = day; }
      else if ((a.getUTCHours() === 0 && a.getUTCMinutes() === 0) || out.length === 0) { label = day.slice(5) + " " + hm; }
      else { label = hm; }
      out.push([t2, label]);
    }
    return out;
  }

  function draw() {
    var ns = "http://www.w3.org/2000/svg";
    while (axis.firstChild) { axis.removeChild(axis.firstChild); }
    ticks().forEach(function (tk) {
      var px = x(tk[0]).toFixed(1);
      var line = document.createElementNS(ns, "line");
      line.setAttribute("x1", px); line.setAttribute("x2", px); line.setAttribute("y1", "22"); line.setAttribute("y2", "30");
      var text = document.createElementNS(ns, "text");
      text.setAttribute("x", px); text.setAttribute("y", "16"); text.setAttribute("text-anchor", "middle");
      text.textContent = tk[1];
      axis.appendChild(line); axis.appendChild(text);
    });
    marks.forEach(function (m) {
      var t = Number(m.getAttribute("data-t"));
      var out = t < view[0] || t > view[1];
      m.classList.toggle("out", out);
      m.style.display = out || m.classList.contains("off") ? "none" : "";
      m.setAttribute("transform", "translate(" + x(t).toFixed(1) + ",17)");
    });
    links.forEach(function (l) {
      var ts = l.getAttribute("data-ts").split(" ").map(Number);
      l.setAttribute("points", ts.map(function (t) { return x(t).toFixed(1) + ",17"; }).join(" "));
      l.style.display = ts.some(function (t) { return t < view[0] || t > view[1]; }) ? "none" : "";
    });
  }

  function parse(text) {
    var m = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2}))?)?Z?$/.exec(text.trim());
    if (!m) { return null; }
    return Date.UTC(+m[1], +m[2] - 1, +m[3], +(m[4] || 0), +(m[5] || 0), +(m[6] || 0)) / 1000;
  }
  var from = document.getElementById("zoom-from"), to = document.getElementById("zoom-to");
  var message = document.getElementById("zoom-message");
  document.getElementById("zoom-apply").addEventListener("click", function () {
    var a = from.value.trim() === "" ? full[0] : parse(from.value);
    var b = to.value.trim() === "" ? full[1] : parse(to.value);
    if (a === null || b === null || b <= a) {
      message.textContent = "Times are UTC, YYYY-MM-DD or YYYY-MM-DDTHH:MM, the first before the second.";
      return;
    }
    message.textContent = ""; view = [a, b]; draw();
  });
  document.getElementById("zoom-reset").addEventListener("click", function () {
    from.value = ""; to.value = ""; message.textContent = ""; view = full.slice(); draw();
  });

  // One user, event names, severities.
  var user = document.getElementById("lane-user");
  var severity = document.getElementById("lane-severity");
  var names = Array.prototype.slice.call(document.querySelectorAll("input.name-filter"));
  var rank = { high: 1, medium: 2, low: 3 };
  function filter() {
    var only = user.value, sev = severity.value, on = {};
    names.forEach(function (n) { on[n.value] = n.checked; });
    lanes.forEach(function (l) { l.classList.toggle("hidden", only !== "" && l.id !== only); });
    marks.forEach(function (m) {
      var name = m.getAttribute("data-n"), s = m.getAttribute("data-sev");
      var known = Object.prototype.hasOwnProperty.call(on, name) ? on[name] : (on[""] !== false);
      var bySev = sev === "" || (s !== "" && rank[s] <= rank[sev]);
      var off = !known || !bySev;
      m.classList.toggle("off", off);
      m.style.display = off || m.classList.contains("out") ? "none" : "";
    });
    document.querySelectorAll("#findings .finding").forEach(function (f) {
      f.classList.toggle("hidden", sev !== "" && rank[f.getAttribute("data-sev")] > rank[sev]);
    });
  }
  user.addEventListener("change", filter);
  severity.addEventListener("change", filter);
  names.forEach(function (n) { n.addEventListener("change", filter); });

  // A mark's detail, also for the keyboard.
  marks.forEach(function (m) {
    var show = function () { var t = m.querySelector("title"); tip.textContent = t ? t.textContent : ""; };
    m.addEventListener("mouseenter", show);
    m.addEventListener("focus", show);
  });
  draw();
  // A link may carry a window: report.html#zoom=2026-03-04T02:00,2026-03-04T04:00
  var wanted = /^#zoom=([^,]*),(.*)$/.exec(decodeURIComponent(location.hash));
  if (wanted) {
    from.value = wanted[1]; to.value = wanted[2];
    document.getElementById("zoom-apply").click();
  }
  root.setAttribute("data-ready", "1");
})();
