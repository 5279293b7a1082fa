/* The HTML timeline of an ampsim run: draws the model that ampsim wrote
 * into <script id="model"> (sim/cmd/timeline_model.c says what is in it) as
 * a sequence diagram in SVG, with the channels' balances beside it, and
 * play / pause / step. Embedded in the page at build time; no network.
 *
 * After drawing, it writes what it drew into <script type="application/json"
 * id="selfcheck"> (arrows, labels, overlapping label pairs, errors) for the
 * tests. The query string ?step=N opens the run at step N; ?selftest=1
 * steps, plays and pauses once and reports what it saw in the same place. */
(function () {
'use strict';
var errors = [];
window.addEventListener('error', function (e) { errors.push(String(e.message)); });
var t0 = performance.now();
var M = JSON.parse(document.getElementById('model').textContent);
var SVGNS = 'http://www.w3.org/2000/svg';
var params = new URLSearchParams(location.search);

/* ---- geometry: laid out for the width the page gives the diagram ---- */
var TIMEW = 100;           /* the time column */
var NOTEA = 212, NOTEB = 212;   /* notes left of Alice, right of Bob */
var XA, XB, XC, RIGHT, WIDTH, HEIGHT = 1e7;
var TOP = 70, ROWH = 18, CAP = 150, MINGAP = 24;
/* avail: the diagram's width on the page; timew: the widest time label.
 * The diagram never gets wider than the page gives it (down to a floor a
 * projector's 1024 px clears): notes and labels wrap instead. */
function layout(avail, timew) {
	TIMEW = Math.max(84, Math.ceil(timew) + 14);
	var chain = !M.aggregate && M.chain.length > 0;
	var rest = Math.max(avail, 600) - TIMEW - 6;
	if (M.aggregate) {   /* room for each channel's numbers right of Bob */
		NOTEA = Math.max(140, Math.min(260, rest * 0.27));
		NOTEB = Math.max(200, Math.min(420, rest * 0.4));
	} else {
		NOTEA = NOTEB = Math.max(120, Math.min(250, rest * 0.22));
	}
	var ab = Math.max(M.aggregate ? 150 : 240, Math.min(chain ? 560 : 640, rest - NOTEA - NOTEB - (chain ? 24 : 0)));
	XA = TIMEW + NOTEA;
	XB = XA + ab;
	XC = XB + NOTEB;
	RIGHT = chain ? XC + 20 : XB + NOTEB;
	WIDTH = RIGHT + 4;
}

/* ---- formatting ---- */
var BTC = 1e11;
function fmtMsat(m) {
	if (m === null || m === undefined) return '?';
	if (m === 0) return '0';
	if (m % BTC === 0) return (m / BTC) + 'btc';
	if (m >= BTC / 1000) return String(+(m / BTC).toFixed(8)) + 'btc';
	if (m % 1000 === 0) return (m / 1000) + 'sat';
	return m + 'msat';
}
function fmtT(ms) {
	if (ms >= 1000) return String(+(ms / 1000).toFixed(3)) + ' s';
	return String(+ms.toFixed(2)) + ' ms';
}
function fmtSpan(ms) {
	if (ms >= 60000) return String(+(ms / 60000).toFixed(1)) + ' min';
	return fmtT(ms);
}

/* ---- colours and marks ---- */
var PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b',
	       '#e377c2', '#17becf', '#bcbd22', '#7f7f7f'];
var payIndex = {};
M.payments.forEach(function (p, i) { payIndex[p.id] = i; });
function payColour(pay) {
	var i = payIndex[pay];
	if (i === undefined) return '#555';
	return i < PALETTE.length ? PALETTE[i] : 'hsl(' + ((i * 137.508) % 360).toFixed(0) + ',65%,40%)';
}
var chanIndex = {};
M.channels.forEach(function (c, i) { chanIndex[c.id] = i; });
/* one shape per channel, drawn on each of its arrows */
function shapePath(i, x, y, r) {
	switch (i % 6) {
	case 0: return 'M' + (x - r) + ',' + y + 'a' + r + ',' + r + ' 0 1,0 ' + (2 * r) + ',0a' + r + ',' + r + ' 0 1,0 ' + (-2 * r) + ',0z';
	case 1: return 'M' + (x - r) + ',' + (y - r) + 'h' + 2 * r + 'v' + 2 * r + 'h' + (-2 * r) + 'z';
	case 2: return 'M' + x + ',' + (y - r - 1) + 'L' + (x + r + 1) + ',' + (y + r) + 'L' + (x - r - 1) + ',' + (y + r) + 'z';
	case 3: return 'M' + x + ',' + (y - r - 1) + 'L' + (x + r + 1) + ',' + y + 'L' + x + ',' + (y + r + 1) + 'L' + (x - r - 1) + ',' + y + 'z';
	case 4: return 'M' + (x - r) + ',' + (y - r) + 'L' + (x + r) + ',' + (y + r) + 'M' + (x + r) + ',' + (y - r) + 'L' + (x - r) + ',' + (y + r);
	default: return 'M' + (x - r) + ',' + y + 'h' + 2 * r + 'M' + x + ',' + (y - r) + 'v' + 2 * r;
	}
}
var MARKS = {  /* note kinds: colour and what the legend calls them */
	crash: ['#c00', 'crash'], restart: ['#2a2', 'restart'], hold: ['#d80', 'hold timeout'],
	expiry: ['#d80', 'expiry (HTLC reclaimed)'], chain: ['#555', 'on-chain'],
	fault: ['#8a2be2', 'fault / held / released'], link: ['#888', 'connection'],
	bad: ['#c00', 'misbehaviour / error'], pay: ['#222', 'payment / set'],
	dup: ['#b8860b', 'a repeat bob ignored or answered again']
};

/* ---- svg helpers ---- */
function el(name, attrs, parent) {
	var e = document.createElementNS(SVGNS, name);
	for (var k in attrs) if (attrs[k] !== undefined && attrs[k] !== null) e.setAttribute(k, attrs[k]);
	if (parent) parent.appendChild(e);
	return e;
}
var measureCtx = document.createElement('canvas').getContext('2d');
function textWidth(s, size) {
	measureCtx.font = size + 'px sans-serif';
	return measureCtx.measureText(s).width;
}
/* Lines of at most width px: broken at spaces, a word longer than a line
 * broken where it must. Nothing is cut. */
function wrap(text, width, size) {
	var out = [], cur = '';
	String(text).split(' ').forEach(function (w) {
		while (textWidth(w, size) + 4 > width && w.length > 1) {
			if (cur) { out.push(cur); cur = ''; }
			var k = w.length - 1;
			while (k > 1 && textWidth(w.slice(0, k), size) + 4 > width) k--;
			out.push(w.slice(0, k));
			w = w.slice(k);
		}
		var t = cur ? cur + ' ' + w : w;
		if (cur && textWidth(t, size) + 4 > width) { out.push(cur); cur = w; } else cur = t;
	});
	if (cur || !out.length) out.push(cur);
	return out;
}

/* ---- label placement: the first candidate box that overlaps nothing ---- */
var placed = [];           /* boxes of labels and reserved areas */
var GRID = 64, grid = {}, segGrid = {};
function cells(b, f) {
	for (var gx = Math.floor(b.x / GRID); gx <= Math.floor((b.x + b.w) / GRID); gx++)
		for (var gy = Math.floor(b.y / GRID); gy <= Math.floor((b.y + b.h) / GRID); gy++)
			f(gx + ',' + gy);
}
function free(b, inTime) {
	var ok = true;
	cells(b, function (key) {
		(grid[key] || []).forEach(function (o) {
			if (o.time && inTime) return;   /* the time column's own labels may use it */
			if (b.x < o.x + o.w && o.x < b.x + b.w && b.y < o.y + o.h && o.y < b.y + b.h) ok = false;
		});
	});
	return ok;
}
function reserve(b) {
	placed.push(b);
	cells(b, function (key) { (grid[key] = grid[key] || []).push(b); });
}
/* Whether segment s = [x1, y1, x2, y2] crosses box b (grown by m px). */
function crosses(b, s, m) {
	var x0 = b.x - m, y0 = b.y - m, x1 = b.x + b.w + m, y1 = b.y + b.h + m;
	var t0 = 0, t1 = 1, dx = s[2] - s[0], dy = s[3] - s[1];
	var p = [-dx, dx, -dy, dy], q = [s[0] - x0, x1 - s[0], s[1] - y0, y1 - s[1]];
	for (var i = 0; i < 4; i++) {      /* Liang-Barsky clipping */
		if (p[i] === 0) { if (q[i] < 0) return false; continue; }
		var r = q[i] / p[i];
		if (p[i] < 0) { if (r > t1) return false; if (r > t0) t0 = r; }
		else { if (r < t0) return false; if (r < t1) t1 = r; }
	}
	return true;
}
/* arrows, so that labels keep off them where they can */
function reserveSeg(s) {
	var b = { x: Math.min(s[0], s[2]), y: Math.min(s[1], s[3]), w: Math.abs(s[2] - s[0]), h: Math.abs(s[3] - s[1]) };
	cells(b, function (key) { (segGrid[key] = segGrid[key] || []).push(s); });
}
function clearOfArrows(b) {
	var ok = true;
	cells(b, function (key) { (segGrid[key] || []).forEach(function (s) { if (ok && crosses(b, s, 1)) ok = false; }); });
	return ok;
}
function boxAt(c, w, h, size) {
	var x = c[2] === 'end' ? c[0] - w : c[2] === 'middle' ? c[0] - w / 2 : c[0];
	return { x: x, y: c[1] - size, w: w, h: h };
}
/* text: a string or lines; candidates: [[x, y, anchor]...] (y is the first
 * line's baseline); returns the text element, placed at the first free
 * candidate (else the first one, which the self-check then reports);
 * inTime: a label of the time column; own: the segments of the label's own
 * arrow, which it never crosses (other arrows: kept off where it can). */
function label(parent, text, candidates, attrs, size, inTime, own) {
	size = size || 11;
	var lines = Array.isArray(text) ? text : [text], lh = size + 2;
	var w = Math.max.apply(null, lines.map(function (l) { return textWidth(l, size); })) + 4;
	var h = lh * (lines.length - 1) + size + 3, pick = null;
	own = own || [];
	function fits(b, strict) {
		if (b.x < (inTime ? 0 : TIMEW - 4) || b.x + b.w > WIDTH - 1 || b.y < 0 || b.y + b.h > HEIGHT) return false;
		if (!free(b, inTime)) return false;
		for (var i = 0; i < own.length; i++) if (crosses(b, own[i], 1.5)) return false;
		return !strict || clearOfArrows(b);
	}
	for (var pass = 0; pass < 2 && !pick; pass++)
		for (var i = 0; i < candidates.length && !pick; i++) {
			var b = boxAt(candidates[i], w, h, size);
			if (fits(b, pass === 0 && own.length > 0)) pick = [candidates[i], b];
		}
	if (!pick) pick = [candidates[0], boxAt(candidates[0], w, h, size)];
	reserve(pick[1]);
	/* drawn at the size it was measured at (a style: the class's size
	 * would win over an attribute) */
	var a = { x: pick[0][0], y: pick[0][1], 'text-anchor': pick[0][2], 'class': 'lbl', style: 'font-size:' + size + 'px' };
	for (var k in attrs) a[k] = attrs[k];
	var t = el('text', a, parent);
	if (lines.length === 1) t.textContent = lines[0];
	else lines.forEach(function (l, j) {
		var ts = el('tspan', { x: pick[0][0], dy: j ? lh : 0 }, t);
		ts.textContent = l;
	});
	return t;
}
/* Candidates along a segment, clear of it: above, below, right and left
 * of points along it, then further away from its middle. */
function alongCandidates(x1, y1, x2, y2, w, h, size) {
	var c = [], dx = x2 - x1, dy = y2 - y1, slope = dx ? Math.abs(dy / dx) : 1e9;
	var up = Math.min(slope * w / 2, 1e4) + 3;
	var side = slope > 1e-3 ? h / (2 * slope) + 4 : 1e4;
	[0.5, 0.38, 0.62, 0.26, 0.74, 0.16, 0.84].forEach(function (f) {
		var px = x1 + dx * f, py = y1 + dy * f;
		if (up < 200) {
			c.push([px, py - up - h + size, 'middle']);
			c.push([px, py + up + size, 'middle']);
		}
		if (side < 200) {
			c.push([px + side, py - h / 2 + size, 'start']);
			c.push([px - side, py - h / 2 + size, 'end']);
		}
	});
	for (var d = 1; d <= 14; d++) {
		c.push([x1 + dx / 2, y1 + dy / 2 - up - h + size - d * 14, 'middle']);
		c.push([x1 + dx / 2, y1 + dy / 2 + up + size + d * 14, 'middle']);
	}
	return c;
}

/* ---- hover: the whole event(s) ---- */
var tip = document.getElementById('tip');
function hoverable(node, what) {
	node.addEventListener('mousemove', function (e) {
		tip.textContent = what();
		tip.hidden = false;
		tip.style.left = Math.min(e.clientX + 14, window.innerWidth - 660) + 'px';
		tip.style.top = Math.min(e.clientY + 14, window.innerHeight - 120) + 'px';
	});
	node.addEventListener('mouseleave', function () { tip.hidden = true; });
}
function eventsText(list) {
	return list.filter(function (i) { return i >= 0; }).map(function (i) {
		return JSON.stringify(M.events[i], null, 1);
	}).join('\n');
}

/* ---- play / pause / step ---- */
var steps = [];            /* per step: {t, label, e (last event index) or row} */
var stepped = [];          /* [element, first step shown, step from which it is final] */
var cur = 0, timer = null, nowLine = null, stepY = [];
var onStep = function () {};
function goTo(k) {
	cur = Math.max(0, Math.min(steps.length - 1, k));
	stepped.forEach(function (s) {
		s[0].classList.toggle('future', cur < s[1]);
		s[0].classList.toggle('inflight', cur >= s[1] && cur < s[2]);
	});
	if (nowLine) { nowLine.setAttribute('y1', stepY[cur] || TOP); nowLine.setAttribute('y2', stepY[cur] || TOP); }
	document.getElementById('slider').value = cur;
	document.getElementById('now').textContent = 'step ' + cur + ' / ' + (steps.length - 1) + ': ' + steps[cur].label;
	onStep(cur);
}
function play() {
	if (timer) return;
	if (cur >= steps.length - 1) goTo(0);
	timer = setInterval(function () {
		if (cur >= steps.length - 1) pause(); else goTo(cur + 1);
	}, 700);
	document.getElementById('play').textContent = '|| pause';
}
function pause() {
	if (timer) clearInterval(timer);
	timer = null;
	document.getElementById('play').textContent = '\u25B6 play';
}

/* ---- the balances panel ---- */
/* future: numbers from after the current step, greyed */
function balancesHTML(title, bal, future) {
	var h = '<div' + (future ? ' class="future" title="after the current step"' : '') + '><h3>' + title +
		(future ? ' <span class="later">(after this step)</span>' : '') + '</h3>';
	M.channels.forEach(function (c, i) {
		var b = bal[i] || { a: c.alice_msat, b: c.bob_msat, f: 0, n: 0, h: [] };
		var cap = c.capacity_msat || 1;
		h += '<div><svg width="12" height="12"><path d="' + shapePath(i, 6, 6, 4) + '" fill="#fff" stroke="#000"/></svg> <b>' + c.id +
			'</b> (capacity ' + fmtMsat(c.capacity_msat) + ')<div class="bar">' +
			'<span class="ba" style="width:' + (100 * b.a / cap) + '%"></span>' +
			'<span class="bf" style="width:' + (100 * b.f / cap) + '%"></span>' +
			'<span class="bb" style="width:' + (100 * b.b / cap) + '%"></span></div>' +
			'Alice ' + fmtMsat(b.a) + ' \u00B7 in flight ' + fmtMsat(b.f) + ' (' + b.n + ' HTLC' + (b.n === 1 ? '' : 's') + ') \u00B7 Bob ' + fmtMsat(b.b);
		if (b.h && b.h.length) {
			h += '<ul>' + b.h.slice(0, 12).map(function (x) {
				return '<li><span class="pid" style="color:' + payColour(x[2]) + '">' + x[2] + '</span> ' + c.id + ' #' + x[0] + ' ' + fmtMsat(x[1]) + '</li>';
			}).join('') + (b.h.length > 12 ? '<li>\u2026 ' + (b.h.length - 12) + ' more</li>' : '') + '</ul>';
		}
		h += '</div>';
	});
	return h + '</div>';
}

/* ================= message by message ================= */
function drawDetail(svg) {
	var E = M.events, n = E.length;
	var used = new Uint8Array(n);
	function use(i) { if (i >= 0 && i < n) used[i] = 1; }
	M.msgs.forEach(function (m) { use(m.s); use(m.r); use(m.at); });
	M.marks.forEach(function (k) { use(k.e); });
	M.chain.forEach(function (c) { use(c.s); use(c.r); });
	var rows = [];
	for (var i = 0; i < n; i++) if (used[i]) rows.push(i);
	/* each note wrapped to its side's width: a row is as tall as its note */
	var noteLines = {};
	M.marks.forEach(function (k) {
		var alice = E[k.e].node === 'alice';
		noteLines[k.e] = wrap(k.label, (alice ? NOTEA : NOTEB) - 18, 11);
	});
	function extra(i) { return noteLines[i] ? (noteLines[i].length - 1) * 13 : 0; }
	/* time scale: the median gap between instants gets about 50 px */
	var times = [];
	rows.forEach(function (i) { var t = E[i].t_ms; if (!times.length || times[times.length - 1] !== t) times.push(t); });
	var gaps = [];
	for (var g = 1; g < times.length; g++) gaps.push(times[g] - times[g - 1]);
	gaps.sort(function (a, b) { return a - b; });
	var med = gaps.length ? gaps[Math.floor(gaps.length / 2)] : 1;
	var pxPerMs = Math.max(1e-4, Math.min(5, 50 / (med || 1)));
	var Y = new Float64Array(n), stepOf = new Int32Array(n), y = TOP, prevT = null, prevI = -1, breaks = [];
	rows.forEach(function (i) {
		var t = E[i].t_ms;
		if (prevT === null) {
			steps.push({ t: t, label: 't = ' + fmtT(t), e: i });
		} else if (t !== prevT) {
			var px = (t - prevT) * pxPerMs, gap = Math.max(MINGAP + extra(prevI), Math.min(px, CAP));
			if (px > CAP) breaks.push([y, y + gap, t - prevT]);
			y += gap;
			steps.push({ t: t, label: 't = ' + fmtT(t), e: i });
		} else {
			y += ROWH + extra(prevI);
		}
		steps[steps.length - 1].e = i;
		stepOf[i] = steps.length - 1;
		Y[i] = y;
		prevT = t;
		prevI = i;
	});
	if (!steps.length) steps.push({ t: 0, label: 'no events', e: -1 });
	var H = y + 60 + (prevI >= 0 ? extra(prevI) : 0);
	HEIGHT = H;
	svg.setAttribute('height', H);
	var gBack = el('g', {}, svg), gArrows = el('g', {}, svg), gLabels = el('g', {}, svg);
	reserve({ x: 0, y: 0, w: TIMEW - 6, h: H, time: true });   /* the time column is for times */
	/* lifelines and the time of each instant */
	var lifelines = [[XA, 'Alice'], [XB, 'Bob']];
	if (M.chain.length) lifelines.push([XC, 'Chain']);
	lifelines.forEach(function (l) {
		var tt = el('text', { x: l[0], y: 30, 'text-anchor': 'middle', 'font-size': 16, 'font-weight': 'bold', 'class': 'lbl' }, svg);
		tt.textContent = l[1];
		reserve({ x: l[0] - 30, y: 14, w: 60, h: 20 });
		el('line', { x1: l[0], y1: 40, x2: l[0], y2: H - 20, stroke: l[1] === 'Chain' ? '#bbb' : '#999',
			     'stroke-width': l[1] === 'Chain' ? 4 : 1.5, 'stroke-dasharray': l[1] === 'Chain' ? '10 4' : null }, gBack);
	});
	var th = el('text', { x: 6, y: 30, 'class': 'tlbl lbl', 'font-weight': 'bold' }, svg);
	th.textContent = 'simulated time';
	steps.forEach(function (s, k) {
		if (s.e < 0) return;
		var first = rows.find(function (i) { return stepOf[i] === k; });
		label(gLabels, timeLabel(s.t, E[first].height), [[6, Y[first] + 4, 'start']], { 'class': 'tlbl lbl' }, 10, true);
		stepY[k] = Y[s.e] + 6;
		el('line', { x1: TIMEW - 4, y1: Y[first], x2: RIGHT, y2: Y[first], stroke: '#f0f0f0' }, gBack);
	});
	breaks.forEach(function (b) {   /* an idle gap drawn shorter than it is */
		var ym = (b[0] + b[1]) / 2;
		el('path', { d: 'M' + (TIMEW - 4) + ',' + ym + ' l8,-4 l8,8 l8,-4 L' + RIGHT + ',' + ym, stroke: '#bbb', fill: 'none', 'stroke-dasharray': '3 3' }, gBack);
		var words = wrap('\u22EF ' + fmtSpan(b[2]) + ' idle, drawn shorter', TIMEW - 8, 10);
		label(gLabels, words, [[6, ym + 4, 'start'], [6, ym + 16, 'start'], [6, ym - 8 - 12 * (words.length - 1), 'start']],
		      { 'class': 'tlbl lbl' }, 10, true);
	});
	/* a crashed daemon's lifeline, from its crash to its restart */
	M.marks.forEach(function (k) {
		if (k.kind !== 'crash') return;
		var node = E[k.e].node, x = node === 'alice' ? XA : XB, end = H - 20;
		var r = M.marks.find(function (o) { return o.kind === 'restart' && o.e > k.e && E[o.e].node === node; });
		if (r) end = Y[r.e];
		el('rect', { x: x - 5, y: Y[k.e], width: 10, height: Math.max(2, end - Y[k.e]), fill: '#f4c7c7' }, gBack);
	});
	/* a fault's span, from its start to its lift (its until, or the up
	 * after a down): a band between the lifelines and a bar in the fault
	 * lane left of the arrows, each fault its own lane. A fault never
	 * lifted holds to the end of the run: its note says so, with no band
	 * over the whole diagram. */
	var lane = 0;
	M.marks.forEach(function (k) {
		var ev = E[k.e];
		if (ev.event !== 'fault_applied' || ev.action === 'up') return;
		/* both daemons log a fault on the links: drawn once, from the first */
		var twin = M.marks.find(function (o) {
			var f = E[o.e];
			return o.e < k.e && f.event === 'fault_applied' && f.t_ms === ev.t_ms && f.channel === ev.channel &&
				f.direction === ev.direction && f.action === ev.action && f.node !== ev.node;
		});
		if (twin) return;
		var lift = M.marks.find(function (o) {
			var f = E[o.e];
			return o.e > k.e && (f.event === 'fault_lifted' && f.channel === ev.channel && f.direction === ev.direction &&
					     f.action === ev.action || f.event === 'fault_applied' && f.action === 'up' &&
					     f.channel === ev.channel && ev.action === 'down');
		});
		if (!lift) return;
		var y1 = Y[k.e], y2 = Y[lift.e], x = XA + 5 + 6 * (lane++ % 4);
		var g = el('g', { 'class': 'span', 'data-action': ev.action, 'data-channel': ev.channel }, gBack);
		el('rect', { x: XA, y: y1, width: XB - XA, height: Math.max(2, y2 - y1), fill: '#8a2be2', 'fill-opacity': 0.06 }, g);
		el('rect', { x: x - 2, y: y1, width: 4, height: Math.max(2, y2 - y1), fill: '#8a2be2', 'fill-opacity': 0.5 }, g);
		var title = el('title', {}, g);
		title.textContent = 'fault ' + ev.action + (ev.channel && ev.channel !== '*' ? ' on ' + ev.channel : '') + ' (' + ev.direction + '), ' +
			fmtT(ev.t_ms) + ' \u2013 ' + fmtT(E[lift.e].t_ms);
		reserve({ x: x - 3, y: y1, w: 6, h: Math.max(2, y2 - y1) });
	});
	/* notes along the lifelines (fixed places: drawn first) */
	M.marks.forEach(function (k) {
		var ev = E[k.e], alice = ev.node === 'alice', x = alice ? XA : XB, yy = Y[k.e];
		var col = MARKS[k.kind] ? MARKS[k.kind][0] : '#222';
		var g = el('g', { 'class': 'mark', 'data-kind': k.kind }, svg);
		if (k.kind === 'crash') el('path', { d: 'M' + (x - 6) + ',' + (yy - 6) + 'l12,12m0,-12l-12,12', stroke: col, 'stroke-width': 3 }, g);
		else if (k.kind === 'restart') el('path', { d: 'M' + (x - 5) + ',' + (yy - 6) + 'l11,6l-11,6z', fill: col }, g);
		else if (k.kind === 'hold' || k.kind === 'expiry') el('path', { d: 'M' + (x - 5) + ',' + (yy - 6) + 'h10l-10,12h10z', fill: col }, g);
		else el('circle', { cx: x, cy: yy, r: 3.5, fill: k.kind === 'pay' && ev.payment ? payColour(ev.payment) : col }, g);
		var lines = noteLines[k.e];
		label(g, lines, alice ? [[x - 10, yy + 4, 'end'], [x - 10, yy + 12, 'end']] : [[x + 10, yy + 4, 'start'], [x + 10, yy + 12, 'start']],
		      { fill: col });
		hoverable(g, function () { return eventsText([k.e]); });
		stepped.push([g, stepOf[k.e], stepOf[k.e]]);
	});
	/* on-chain transactions */
	var X = { alice: XA, bob: XB, chain: XC };
	var chainJobs = [];
	M.chain.forEach(function (c, ci) {
		var x1 = X[c.from], x2 = X[c.to], y1 = Y[c.s], y2 = c.r >= 0 ? Y[c.r] : y1 + ROWH;
		var g = el('g', { 'class': 'chaintx', 'data-from': c.from, 'data-to': c.to, 'data-i': ci }, gArrows);
		el('line', { x1: x1, y1: y1, x2: x2, y2: y2, stroke: payColour(c.pay), 'stroke-width': 2.5, 'stroke-opacity': 0.55,
			     'class': 'shaft', 'marker-end': c.r >= 0 ? 'url(#txhead)' : null, 'stroke-dasharray': c.r >= 0 ? null : '4 3' }, g);
		el('line', { x1: x1, y1: y1, x2: x2, y2: y2, 'class': 'hit' }, g);
		reserveSeg([x1, y1, x2, y2]);
		var text = wrap((c.pay ? c.pay + ': ' : '') + c.what + ' ' + c.ch + ' #' + c.htlc + (c.r < 0 ? ' (not confirmed in the run)' : ''),
				Math.max(80, Math.abs(x2 - x1) - 16), 11);
		chainJobs.push(function () {
			var w = Math.max.apply(null, text.map(function (l) { return textWidth(l, 11); })) + 4, h = 13 * (text.length - 1) + 14;
			var lt = label(gLabels, text, alongCandidates(x1, y1, x2, y2, w, h, 11), { fill: payColour(c.pay), 'font-style': 'italic', 'data-chain': ci },
				       11, false, [[x1, y1, x2, y2]]);
			stepped.push([lt, stepOf[c.s], stepOf[c.s]]);
		});
		hoverable(g, function () { return eventsText([c.s, c.r]); });
		stepped.push([g, stepOf[c.s], c.r >= 0 ? stepOf[c.r] : stepOf[c.s]]);
	});
	/* messages: every arrow first, then their labels around them */
	var jobs = [];
	M.msgs.forEach(function (m, idx) {
		var fromA = m.from === 'alice';
		var x1 = fromA ? XA : XB, x2 = fromA ? XB : XA, y1 = Y[m.s], y2, arrives = m.r >= 0;
		var why = '', cross = false;
		if (m.fate === 'delivered' || (m.fate === 'duplicate' && arrives)) {
			y2 = Y[m.r];
			/* a repeat the receiver recognised: what it did with it */
			if (m.arr === 'ignored') why = ' \u2014 ignored: bob already had it';
			else if (m.arr === 'answered') why = ' \u2014 bob answers it again';
		} else if (m.fate === 'dropped') {
			x2 = (x1 + x2) / 2; y2 = Math.max(Y[m.at], y1 + ROWH); cross = true;
			why = ' \u2014 dropped (' + (E[m.at].why || 'lost') + ')';
		} else if (m.fate === 'lost') {
			var at = E[m.at], dest = fromA ? 'bob' : 'alice';
			if (at.event === 'crash' && at.node === dest) why = ' \u2014 lost: ' + dest + ' crashed';
			else {
				/* the connection closed because a daemon crashed at that instant */
				var crash = E.slice(Math.max(0, m.at - 12), m.at + 12).find(function (o) { return o.event === 'crash' && o.t_ms === at.t_ms; });
				if (crash && at.event !== 'crash') at = crash;
				x2 = (x1 + x2) / 2; why = ' \u2014 lost: ' + (at.event === 'crash' ? at.node + ' crashed' : 'connection closed');
			}
			y2 = Math.max(Y[m.at], y1 + ROWH); cross = true;
		} else {
			x2 = (x1 + x2) / 2; y2 = y1 + ROWH; cross = true;
			why = m.fate === 'duplicate' ? ' (duplicate)' : ' \u2014 never arrived in the run';
		}
		var col = payColour(m.pay);
		var dash = m.copy === 'replay' || m.copy === 'resend' ? '8 4' : m.copy === 'duplicate' ? '2 3' : cross ? '4 3' : null;
		var g = el('g', { 'class': 'arrow', 'data-fate': m.fate, 'data-copy': m.copy, 'data-pay': m.pay, 'data-ch': m.ch, 'data-k': m.k,
				  'data-i': idx, 'data-arrival': m.arr || null }, gArrows);
		el('line', { x1: x1, y1: y1, x2: x2, y2: y2, stroke: col, 'stroke-width': 1.7, 'stroke-dasharray': dash,
			     'class': 'shaft', 'marker-end': cross ? null : 'url(#head)' }, g);
		el('line', { x1: x1, y1: y1, x2: x2, y2: y2, 'class': 'hit' }, g);
		reserveSeg([x1, y1, x2, y2]);
		if (cross) {
			el('path', { d: 'M' + (x2 - 5) + ',' + (y2 - 5) + 'l10,10m0,-10l-10,10', stroke: '#c00', 'stroke-width': 2.2 }, g);
		}
		/* the channel's mark near the start of the arrow */
		var len = Math.hypot(x2 - x1, y2 - y1) || 1, ux = (x2 - x1) / len, uy = (y2 - y1) / len;
		el('path', { d: shapePath(chanIndex[m.ch] || 0, x1 + ux * 16, y1 + uy * 16, 3.5), fill: col, stroke: '#000', 'stroke-width': 0.8 }, g);
		var pre = m.copy === 'replay' ? 'replay ' : m.copy === 'resend' ? 'resend ' : m.copy === 'duplicate' ? 'dup ' : '';
		var head = (m.pay ? m.pay + ': ' : '') + pre + m.k + ' ' + m.ch + ' #' + m.htlc + (m.k === 'add' ? ' ' + fmtMsat(m.amt) : '') +
			(m.held ? ' (held)' : '');
		/* one line when it fits between the lifelines, else the fate below */
		var room = Math.abs(XB - XA) - 24, text = head + why;
		var lines = textWidth(text, 11) + 4 <= room ? [text] : wrap(head, room, 11).concat(why ? wrap(why.replace(/^ \u2014 /, '\u2014 '), room, 11) : []);
		if (cross) reserve({ x: x2 - 7, y: y2 - 7, w: 14, h: 14 });
		reserve({ x: x1 + ux * 16 - 5, y: y1 + uy * 16 - 5, w: 10, h: 10 });
		jobs.push(function () {
			var w = Math.max.apply(null, lines.map(function (l) { return textWidth(l, 11); })) + 4, h = 13 * (lines.length - 1) + 14;
			stepped.push([label(gLabels, lines, alongCandidates(x1, y1, x2, y2, w, h, 11), { fill: col, 'data-msg': idx }, 11, false,
					    [[x1, y1, x2, y2]]), stepOf[m.s], stepOf[m.s]]);
		});
		hoverable(g, function () { return eventsText([m.s, m.r, m.at]); });
		stepped.push([g, stepOf[m.s], arrives ? stepOf[m.r] : m.at >= 0 ? stepOf[m.at] : stepOf[m.s]]);
	});
	chainJobs.forEach(function (f) { f(); });
	jobs.forEach(function (f) { f(); });
	/* the balances as the run goes */
	var ledgerAt = [];          /* per step: balances per channel */
	var bal = M.channels.map(function () { return null; }), li = 0;
	steps.forEach(function (s, k) {
		while (li < M.ledger.length && M.ledger[li].e <= s.e) { bal[M.ledger[li].ch] = M.ledger[li]; li++; }
		ledgerAt[k] = bal.slice();
	});
	var final = bal.slice();
	while (li < M.ledger.length) { final[M.ledger[li].ch] = M.ledger[li]; li++; }
	onStep = function (k) {
		var s = steps[k], out = M.payments.filter(function (p) { return p.t0 <= s.t; }).map(function (p) {
			var done = p.t1 !== null && p.t1 <= s.t;
			return '<tr><td style="color:' + payColour(p.id) + '"><span class="pid">\u25A0 ' + p.id + '</span></td><td>' + p.mode + ' ' + fmtMsat(p.amount_msat) + '</td><td>' + (done ? p.outcome : 'in progress') + '</td></tr>';
		}).join('');
		document.getElementById('state').innerHTML = balancesHTML('Balances at ' + fmtT(s.t) + ' (Alice\u2019s ledger)', ledgerAt[k]) +
			'<h3>Payments at ' + fmtT(s.t) + '</h3><table>' + out + '</table>' +
			balancesHTML('Final balances (end of the run)', final, k < steps.length - 1);
	};
	nowLine = el('line', { x1: TIMEW - 4, x2: RIGHT, stroke: '#000', 'stroke-width': 1, 'stroke-dasharray': '1 3' }, svg);
	return { arrows: M.msgs.length, chain: M.chain.length };
}

/* ================= aggregated: time buckets ================= */
/* A slice's notes by event, said as what they are ("2 faults applied"),
 * never as a bare count beside the channels' numbers. */
var AGG_NOTES = {
	crash: ['crash', 'crashes'], restart: ['restart', 'restarts'], hold_timeout: ['hold timeout', 'hold timeouts'],
	fault_applied: ['fault applied', 'faults applied'], fault_lifted: ['fault lifted', 'faults lifted'],
	message_held: ['message held by a down link', 'messages held by a down link'],
	messages_released: ['release of held messages', 'releases of held messages'],
	invariant_violation: ['invariant violation', 'invariant violations'], peer_error: ['peer error', 'peer errors']
};
function aggNotes(notes) {
	return Object.keys(notes).filter(function (o) { return !LINK_EVENTS[o]; }).map(function (o) {
		var n = notes[o], name = AGG_NOTES[o] ? AGG_NOTES[o][n === 1 ? 0 : 1] : o.replace(/_/g, ' ');
		return n + ' ' + name;
	});
}
var LINK_EVENTS = { peer_connected: 1, peer_disconnected: 1, reconnected: 1, reestablished: 1, resolution_deferred: 1 };
function drawAggregate(svg) {
	var B = M.buckets, nch = M.channels.length;
	var gBack = el('g', {}, svg), gBars = el('g', {}, svg), gLabels = el('g', {}, svg);
	var max = 1, y = TOP, bars = 0, sums = { add: 0, fulfill: 0, fail: 0, refund: 0 };
	B.rows.forEach(function (r) {
		r.ch.forEach(function (c) {
			max = Math.max(max, c.add || 0, (c.fulfill || 0) + (c.fail || 0) + (c.refund || 0));
		});
	});
	/* every row's words first: a row is as tall as its longest */
	var texts = B.rows.map(function (r) {
		if (!r.events) return null;
		var outs = Object.keys(r.out).map(function (o) { return r.out[o] + ' ' + o; });
		var head = (r.started ? r.started + ' started' : '') + (outs.length ? (r.started ? ' \u00B7 ' : '') + outs.join(', ') : '') || '\u2013';
		var notes = aggNotes(r.notes);
		var left = wrap(head, NOTEA - 18, 11), nl = notes.length ? wrap('notes: ' + notes.join(', '), NOTEA - 18, 10) : [];
		var lanes = r.ch.map(function (c, ci) {
			var txt = M.channels[ci].id + ': ' + (c.add || 0) + ' adds \u2192 \u00B7 \u2190 ' + (c.fulfill || 0) + ' fulfilled' +
				(c.fail ? ', ' + c.fail + ' failed' : '') + (c.refund ? ', ' + c.refund + ' refunded' : '') +
				(c.drop ? ' \u00B7 ' + c.drop + (c.drop === 1 ? ' message' : ' messages') + ' dropped' : '') +
				(c.dup ? ' \u00B7 ' + c.dup + (c.dup === 1 ? ' message' : ' messages') + ' duplicated' : '') +
				(c.n !== undefined ? ' \u00B7 ' + c.n + ' in flight' : '');
			return wrap(txt, NOTEB - 16, 10);
		});
		var laneH = 8 + 12 * Math.max.apply(null, lanes.map(function (l) { return l.length; }).concat([1]));
		return { left: left, notes: nl, lanes: lanes, laneH: Math.max(15, laneH) };
	});
	var rowHs = texts.map(function (t) {
		if (!t) return 0;
		return Math.max(34, 10 + nch * t.laneH + 6, 14 + 13 * t.left.length + 12 * t.notes.length + 6);
	});
	HEIGHT = TOP + rowHs.reduce(function (a, b) { return a + b; }, 0) + 18 * B.rows.length + 60;
	reserve({ x: 0, y: 0, w: TIMEW - 6, h: 1e7, time: true });
	[[XA, 'Alice'], [XB, 'Bob']].forEach(function (l) {
		var tt = el('text', { x: l[0], y: 30, 'text-anchor': 'middle', 'font-size': 16, 'font-weight': 'bold', 'class': 'lbl' }, svg);
		tt.textContent = l[1];
		reserve({ x: l[0] - 30, y: 14, w: 60, h: 20 });
	});
	var half = (XB - XA) / 2 - 12, idle = 0;
	B.rows.forEach(function (r, k) {
		if (!r.events) { idle += r.t1 - r.t0; steps.push({ t: r.t1, label: fmtT(r.t0) + ' \u2013 ' + fmtT(r.t1) + ' (idle)' }); stepY.push(y); return; }
		if (idle) {
			var idleLines = wrap('\u22EF ' + fmtSpan(idle) + ' without events, drawn shorter', TIMEW - 8, 10);
			label(gLabels, idleLines, [[6, y + 10, 'start']], { 'class': 'tlbl lbl' }, 10, true);
			y += 12 * idleLines.length + 8; idle = 0;
		}
		var T = texts[k], rowH = rowHs[k], laneH = T.laneH, stepHere = steps.length;
		var g = el('g', { 'class': 'bucket', 'data-row': k }, gBars);
		el('rect', { x: TIMEW - 4, y: y, width: RIGHT - TIMEW + 4, height: rowH - 4, fill: k % 2 ? '#fafafa' : '#f3f6fa' }, g);
		/* the slice's words are numbers of that slice: greyed before it */
		var ls = [];
		ls.push(label(gLabels, timeLabelAgg(r), [[6, y + 14, 'start']], { 'class': 'tlbl lbl' }, 10, true));
		ls.push(label(gLabels, T.left, [[XA - 10, y + 14, 'end']], {}, 11));
		if (T.notes.length)
			ls.push(label(gLabels, T.notes, [[XA - 10, y + 14 + 13 * T.left.length + 1, 'end']], { fill: '#8a2be2' }, 10));
		r.ch.forEach(function (c, ci) {
			var ly = y + 8 + ci * laneH;
			el('path', { d: shapePath(ci, XA + 8, ly + 5, 3.5), fill: '#fff', stroke: '#000' }, g);
			if (c.add) {
				el('rect', { x: XA + 14, y: ly, width: Math.max(1, half * c.add / max), height: 5, fill: '#6a9fd8', 'class': 'bar', 'data-k': 'add' }, g);
				bars++; sums.add += c.add;
			}
			var x = XB, parts = [['fulfill', '#2ca02c'], ['fail', '#d62728'], ['refund', '#ff7f0e']];
			parts.forEach(function (p) {
				var v = c[p[0]] || 0;
				if (!v) return;
				var w = Math.max(1, half * v / max);
				x -= w;
				el('rect', { x: x, y: ly + 6, width: w, height: 5, fill: p[1], 'class': 'bar', 'data-k': p[0] }, g);
				bars++; sums[p[0]] += v;
			});
			ls.push(label(gLabels, T.lanes[ci], [[XB + 10, ly + 9, 'start']], {}, 10));
		});
		hoverable(g, function () { return JSON.stringify(r, null, 1); });
		g.addEventListener('click', function () { pause(); goTo(stepHere); });   /* drills down into the slice */
		steps.push({ t: r.t1, label: fmtT(r.t0) + ' \u2013 ' + fmtT(r.t1), row: k });
		stepY.push(y + rowH - 4);
		stepped.push([g, steps.length - 1, steps.length - 1]);
		ls.forEach(function (l) { stepped.push([l, steps.length - 1, steps.length - 1]); });
		y += rowH;
	});
	if (!steps.length) steps.push({ t: 0, label: 'no events' });
	svg.setAttribute('height', y + 40);
	el('line', { x1: XA, y1: 40, x2: XA, y2: y, stroke: '#999' }, gBack);
	el('line', { x1: XB, y1: 40, x2: XB, y2: y, stroke: '#999' }, gBack);
	/* balances at the end of each bucket */
	var balAt = [], last = M.channels.map(function (c) { return { a: c.alice_msat, b: c.bob_msat, f: 0, n: 0 }; });
	steps.forEach(function (s, k) {
		if (s.row !== undefined) M.buckets.rows[s.row].ch.forEach(function (c, ci) { if (c.a !== undefined) last[ci] = c; });
		balAt[k] = last.slice();
	});
	onStep = function (k) {
		var s = steps[k], o = {};
		M.buckets.rows.forEach(function (r) { if (r.t1 <= s.t + 1e-9) for (var x in r.out) o[x] = (o[x] || 0) + r.out[x]; });
		var here = '';
		if (s.row !== undefined) {   /* the payments that finished in this slice */
			var r = M.buckets.rows[s.row];
			var done = M.payments.filter(function (p) { return p.t1 !== null && p.t1 >= r.t0 && p.t1 < r.t1; });
			here = '<h3>Finished in ' + fmtT(r.t0) + ' \u2013 ' + fmtT(r.t1) + ' (' + done.length + ')</h3><table class="done">' +
				done.slice(0, 40).map(function (p) {
					return '<tr><td><span class="pid">' + p.id + '</span></td><td>' + p.mode + ' <span class="amt">' + fmtMsat(p.amount_msat) +
						'</span></td><td>' + p.outcome + '</td><td>' + fmtT(p.t1 - p.t0) + '</td></tr>';
				}).join('') + '</table>' + (done.length > 40 ? '\u2026 ' + (done.length - 40) + ' more' : '');
		}
		document.getElementById('state').innerHTML = balancesHTML('Balances at ' + fmtT(s.t) + ' (Alice\u2019s ledger)', balAt[k]) +
			'<h3>Payments finished by ' + fmtT(s.t) + '</h3>' + (Object.keys(o).map(function (x) { return o[x] + ' ' + x; }).join(', ') || 'none') +
			here + balancesHTML('Final balances (end of the run)', balAt[balAt.length - 1], k < steps.length - 1);
	};
	nowLine = el('line', { x1: TIMEW - 4, x2: RIGHT, stroke: '#000', 'stroke-dasharray': '1 3' }, svg);
	return { bars: bars, sums: sums };
}

/* ---- the time column's labels ---- */
function timeLabel(t, height) { return fmtT(t) + ' \u00B7 block ' + height; }
function timeLabelAgg(r) { return fmtT(r.t0) + ' \u2013 ' + fmtT(r.t1); }
function widestTime() {
	var w = textWidth('simulated time', 10) + 8;
	if (M.aggregate) M.buckets.rows.forEach(function (r) { w = Math.max(w, textWidth(timeLabelAgg(r), 10)); });
	else {
		var last = null;
		M.events.forEach(function (e) {
			if (e.t_ms === last) return;
			last = e.t_ms;
			w = Math.max(w, textWidth(timeLabel(e.t_ms, e.height), 10));
		});
	}
	return w;
}

/* ---- legend ---- */
function legend() {
	var h = '<p><b>How to read it.</b> Time runs down, placed by simulated time (the left column: time since the start and the ' +
		'simulated chain\u2019s block height); events at the same instant stack in the order they were logged; a zig-zag marks ' +
		'a long idle gap drawn shorter than it lasted. ';
	if (M.aggregate) {
		h += 'This run has ' + M.payments.length + ' payments, so each row sums up one slice of time: per channel, ' +
			'<span class="sw" style="background:#6a9fd8"></span>adds sent by Alice (to the right), and what came back ' +
			'<span class="sw" style="background:#2ca02c"></span>fulfilled <span class="sw" style="background:#d62728"></span>failed ' +
			'<span class="sw" style="background:#ff7f0e"></span>refunded (to the left), bars scaled to the busiest slice. Hover a row for its numbers; ' +
			'click it (or step to it) for the payments that finished in it. Its notes (violet) count events, not payments: ' +
			'\u201C2 faults applied\u201D.</p>';
	} else {
		h += 'Each arrow is one message between the daemons, in its payment\u2019s colour, with its channel\u2019s mark near its start; ' +
			'<code>c1 #0</code> is HTLC 0 on channel c1. A solid arrow arrived; long dashes are a replay (after a reconnection or restart) ' +
			'or a re-sent resolution; short dots are a duplicate copy; a dashed arrow ending in \u2715 never arrived (dropped, or lost when a ' +
			'daemon crashed or the connection closed). An arrow Bob recognised as a repeat says what he did with it (ignored, or answered ' +
			'again). Thick pale arrows are transactions to and from the chain. A pale violet band between the lifelines, with a bar at its ' +
			'left, is a fault in force, from its start to its lift. Hover anything for the whole event.</p>';
		var list = '';
		M.payments.forEach(function (p) {
			list += '<span class="sw" style="background:' + payColour(p.id) + '"></span>' + p.id + ' (' + p.mode + ' ' + fmtMsat(p.amount_msat) + ', ' + p.outcome + ')';
		});
		/* a long list of payments folds away */
		h += M.payments.length <= 12 ? '<p>Payments:' + list + '</p>' :
			'<details><summary>' + M.payments.length + ' payments, one colour each</summary><p>' + list + '</p></details>';
	}
	h += '<p>Channels:';
	M.channels.forEach(function (c, i) {
		h += ' <svg width="14" height="14"><path d="' + shapePath(i, 7, 7, 4) + '" fill="#fff" stroke="#000"/></svg> ' + c.id + ' (' + fmtMsat(c.capacity_msat) + ')';
	});
	if (!M.aggregate) {
		h += '. Notes:';
		Object.keys(MARKS).forEach(function (k) { h += ' <span style="color:' + MARKS[k][0] + '">\u25CF ' + MARKS[k][1] + '</span>'; });
	}
	document.getElementById('legend').innerHTML = h + '</p>';
}

/* ---- self-check: what was drawn, and whether any two labels overlap ---- */
function overlaps() {
	var boxes = Array.prototype.map.call(document.querySelectorAll('#diagram .lbl'), function (e) {
		var r = e.getBoundingClientRect();
		return { left: r.left, right: r.right, top: r.top, bottom: r.bottom, w: r.width, h: r.height, t: e.textContent };
	}).filter(function (r) { return r.w > 0 && r.h > 0; });
	boxes.sort(function (a, b) { return a.left - b.left; });
	var pairs = 0, eps = 0.5, which = [];
	for (var i = 0; i < boxes.length; i++)
		for (var j = i + 1; j < boxes.length && boxes[j].left < boxes[i].right - eps; j++)
			if (boxes[j].top < boxes[i].bottom - eps && boxes[i].top < boxes[j].bottom - eps) {
				pairs++;
				if (which.length < 6) which.push([boxes[i].t.slice(0, 50), boxes[j].t.slice(0, 50)]);
			}
	return { labels: boxes.length, pairs: pairs, which: which };
}
/* Measured in the browser's layout, independently of how things were
 * placed: parts of the diagram under the balances panel or outside the
 * diagram's visible box, labels crossing their own arrow, text cut (an
 * ellipsis, the panel wider than its box) and payment ids broken over
 * lines. */
function geometry() {
	var dia = document.getElementById('diagram'), state = document.getElementById('state');
	var dr = dia.getBoundingClientRect(), pr = state.getBoundingClientRect(), sr = svg.getBoundingClientRect();
	var visRight = dr.left + dia.clientWidth, g = { under_panel: 0, outside: 0, on_own_arrow: 0, cut: 0, wrapped_ids: 0, examples: [] };
	function note(kind, e) { if (g.examples.length < 8) g.examples.push(kind + ': ' + (e.textContent || e.tagName).slice(0, 60)); }
	svg.querySelectorAll('text, line, path, circle, rect').forEach(function (e) {
		if (e.closest('defs') || e.classList.contains('hit')) return;
		var r = e.getBoundingClientRect();
		if (r.width <= 0 && r.height <= 0) return;
		/* the panel is sticky: it slides along the diagram's whole height */
		if (r.right > pr.left + 0.5 && r.left < pr.right - 0.5) { g.under_panel++; note('under the panel', e); }
		if (r.right > Math.min(visRight, sr.right) + 0.5 || r.left < dr.left - 0.5 ||
		    (e.tagName === 'text' && (r.bottom > sr.bottom + 0.5 || r.top < sr.top - 0.5))) { g.outside++; note('outside', e); }
	});
	function onOwn(t, shaft) {
		if (!t || !shaft) return;
		var b = t.getBoundingClientRect(), s = [+shaft.getAttribute('x1') + sr.left, +shaft.getAttribute('y1') + sr.top,
							 +shaft.getAttribute('x2') + sr.left, +shaft.getAttribute('y2') + sr.top];
		if (crosses({ x: b.left + 0.5, y: b.top + 0.5, w: b.width - 1, h: b.height - 1 }, s, 0)) { g.on_own_arrow++; note('on its arrow', t); }
	}
	svg.querySelectorAll('g.arrow').forEach(function (a) {
		onOwn(svg.querySelector('text[data-msg="' + a.dataset.i + '"]'), a.querySelector('line.shaft'));
	});
	svg.querySelectorAll('g.chaintx').forEach(function (a) {
		onOwn(svg.querySelector('text[data-chain="' + a.dataset.i + '"]'), a.querySelector('line.shaft'));
	});
	svg.querySelectorAll('text').forEach(function (t) { if (t.textContent.indexOf('\u2026') >= 0) { g.cut++; note('ellipsis', t); } });
	if (state.scrollWidth > state.clientWidth + 1) { g.cut++; g.examples.push('the panel is wider than its box'); }
	state.querySelectorAll('.pid').forEach(function (e) { if (e.getClientRects().length > 1) { g.wrapped_ids++; note('wrapped id', e); } });
	g.viewport = [window.innerWidth, window.innerHeight];
	g.svg_width = Math.round(sr.width);
	g.diagram_width = dia.clientWidth;
	g.spans = svg.querySelectorAll('g.span').length;
	g.future_final = state.querySelectorAll('.future').length;
	return g;
}
function visibleArrows() {
	return document.querySelectorAll('#diagram g.arrow:not(.future)').length;
}
function report(extra) {
	var o = overlaps(), fates = {};
	document.querySelectorAll('#diagram g.arrow').forEach(function (g) { fates[g.dataset.fate] = (fates[g.dataset.fate] || 0) + 1; });
	var copies = {};
	document.querySelectorAll('#diagram g.arrow').forEach(function (g) { copies[g.dataset.copy] = (copies[g.dataset.copy] || 0) + 1; });
	var r = {
		aggregate: !!M.aggregate, arrows: document.querySelectorAll('#diagram g.arrow').length,
		arrowheads: document.querySelectorAll('#diagram [marker-end="url(#head)"]').length,
		fates: fates, copies: copies, chain_arrows: document.querySelectorAll('#diagram g.chaintx').length,
		marks: document.querySelectorAll('#diagram g.mark').length,
		bars: document.querySelectorAll('#diagram rect.bar').length,
		labels: o.labels, overlaps: o.pairs, overlapping: o.which, payments: M.payments.length, channels: M.channels.length,
		steps: steps.length, step: cur, visible_arrows: visibleArrows(), errors: errors,
		geometry: svg ? geometry() : null,
		render_ms: Math.round(performance.now() - t0)
	};
	for (var k in extra) r[k] = extra[k];
	var s = document.getElementById('selfcheck') || document.createElement('script');
	s.type = 'application/json';
	s.id = 'selfcheck';
	s.textContent = JSON.stringify(r);
	document.body.appendChild(s);
}

/* Draw the diagram for the width the page now gives it. */
var svg = null, drawn = null;
function drawAll() {
	placed = []; grid = {}; segGrid = {}; steps = []; stepped = []; stepY = []; nowLine = null; HEIGHT = 1e7;
	onStep = function () {};
	var dia = document.getElementById('diagram');
	dia.textContent = '';
	layout(dia.clientWidth, widestTime());
	svg = el('svg', { xmlns: SVGNS, width: WIDTH, height: 400, 'font-family': 'sans-serif' });
	var defs = el('defs', {}, svg);
	var mk = el('marker', { id: 'head', markerWidth: 8, markerHeight: 8, refX: 7, refY: 4, orient: 'auto' }, defs);
	el('path', { d: 'M0,0 L8,4 L0,8 z', fill: '#444' }, mk);
	var mk2 = el('marker', { id: 'txhead', markerWidth: 6, markerHeight: 6, refX: 5, refY: 3, orient: 'auto' }, defs);
	el('path', { d: 'M0,0 L6,3 L0,6 z', fill: '#777' }, mk2);
	dia.appendChild(svg);
	drawn = M.aggregate ? drawAggregate(svg) : drawDetail(svg);
	document.getElementById('slider').max = steps.length - 1;
}

var extra = {};
try {
	legend();
	drawAll();
	if (M.aggregate) { extra.totals = drawn.sums; }
	var done = M.payments.filter(function (p) { return p.outcome === 'settled'; }).length;
	document.getElementById('summary').textContent = M.payments.length + ' payment' + (M.payments.length === 1 ? '' : 's') + ' (' + done + ' settled), ' +
		M.channels.length + ' channel' + (M.channels.length === 1 ? '' : 's') + ', ' + M.n_events + ' events over ' + fmtT(M.t_end) + ' of simulated time.';
	var slider = document.getElementById('slider');
	slider.addEventListener('input', function () { pause(); goTo(+slider.value); });
	document.getElementById('back').addEventListener('click', function () { pause(); goTo(cur - 1); });
	document.getElementById('fwd').addEventListener('click', function () { pause(); goTo(cur + 1); });
	document.getElementById('play').addEventListener('click', function () { if (timer) pause(); else play(); });
	document.addEventListener('keydown', function (e) {
		if (e.key === 'ArrowRight') { pause(); goTo(cur + 1); e.preventDefault(); }
		else if (e.key === 'ArrowLeft') { pause(); goTo(cur - 1); e.preventDefault(); }
		else if (e.key === ' ') { if (timer) pause(); else play(); e.preventDefault(); }
	});
	if (params.get('selftest')) {
		var st = {};
		goTo(0); st.start = cur; st.visible_at_start = visibleArrows();
		goTo(cur + 1); goTo(cur + 1); goTo(cur + 1); st.after_3_forward = cur;
		goTo(cur - 1); st.after_1_back = cur;
		play(); st.playing = !!timer;
		pause(); st.paused = !timer;
		goTo(steps.length - 1); st.end = cur; st.visible_at_end = visibleArrows();
		var first = document.querySelector('#diagram g.arrow, #diagram g.bucket');
		if (first) {   /* the hover: the whole event(s) behind the first arrow */
			first.dispatchEvent(new MouseEvent('mousemove', { clientX: 20, clientY: 20 }));
			st.hover = tip.hidden ? '' : tip.textContent;
			first.dispatchEvent(new MouseEvent('mouseleave'));
			st.hover_hidden_after = tip.hidden;
		}
		extra.selftest = st;
	}
	goTo(params.has('step') ? parseInt(params.get('step'), 10) || 0 : steps.length - 1);
	var resizing = null, drawnFor = document.getElementById('diagram').clientWidth;
	window.addEventListener('resize', function () {   /* laid out again for the new width */
		clearTimeout(resizing);
		resizing = setTimeout(function () {
			if (document.getElementById('diagram').clientWidth === drawnFor) return;
			drawnFor = document.getElementById('diagram').clientWidth;
			var k = cur;
			try { drawAll(); goTo(k); } catch (e) { errors.push(String(e && e.stack || e)); }
			report(extra);
		}, 150);
	});
} catch (e) {
	errors.push(String(e && e.stack || e));
}
report(extra);
})();
