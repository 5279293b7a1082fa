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

/* ---- geometry ---- */
var TIMEW = 118;            /* the time column */
var NOTEW = 212;            /* notes left of Alice */
var XA = TIMEW + NOTEW, XB = XA + 400, XC = XB + 250, WIDTH = XC + 40;
var TOP = 70, ROWH = 18, CAP = 150, MINGAP = 24, LBLH = 13;

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
	bad: ['#c00', 'misbehaviour / error'], pay: ['#222', 'payment / set']
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
function clip(s, max) { return s.length > max ? s.slice(0, max - 1) + '\u2026' : s; }

/* ---- label placement: the first candidate box that overlaps nothing ---- */
var placed = [];           /* boxes of labels and reserved areas */
var GRID = 64, grid = {};
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
/* candidates: [[x, y, anchor]...] (y is the text's baseline); returns the
 * text element, placed at the first free candidate (else the first one,
 * which the self-check then reports as an overlap); inTime: a label of the
 * time column */
function label(parent, text, candidates, attrs, size, inTime) {
	size = size || 11;
	var w = textWidth(text, size) + 4, h = size + 3, pick = null;
	for (var i = 0; i < candidates.length && !pick; i++) {
		var c = candidates[i];
		var x = c[2] === 'end' ? c[0] - w : c[2] === 'middle' ? c[0] - w / 2 : c[0];
		var b = { x: x, y: c[1] - size, w: w, h: h };
		if (b.x >= 0 && free(b, inTime)) pick = [c, b];
	}
	if (!pick) {
		var c0 = candidates[0];
		pick = [c0, { x: c0[2] === 'end' ? c0[0] - w : c0[2] === 'middle' ? c0[0] - w / 2 : c0[0], y: c0[1] - size, w: w, h: h }];
	}
	reserve(pick[1]);
	var a = { x: pick[0][0], y: pick[0][1], 'text-anchor': pick[0][2], 'class': 'lbl' };
	for (var k in attrs) a[k] = attrs[k];
	var t = el('text', a, parent);
	t.textContent = text;
	return t;
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
function balancesHTML(title, bal) {
	var h = '<h3>' + title + '</h3>';
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
				return '<li><span style="color:' + payColour(x[2]) + '">' + x[2] + '</span> ' + c.id + ' #' + x[0] + ' ' + fmtMsat(x[1]) + '</li>';
			}).join('') + (b.h.length > 12 ? '<li>\u2026 ' + (b.h.length - 12) + ' more</li>' : '') + '</ul>';
		}
		h += '</div>';
	});
	return h;
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
	/* time scale: the median gap between instants gets about 50 px */
	var times = [];
	rows.forEach(function (i) { var t = E[i].t_ms; if (!times.length || times[times.length - 1] !== t) times.push(t); });
	var gaps = [];
	for (var g = 1; g < times.length; g++) gaps.push(times[g] - times[g - 1]);
	gaps.sort(function (a, b) { return a - b; });
	var med = gaps.length ? gaps[Math.floor(gaps.length / 2)] : 1;
	var pxPerMs = Math.max(1e-4, Math.min(5, 50 / (med || 1)));
	var Y = new Float64Array(n), stepOf = new Int32Array(n), y = TOP, prevT = null, breaks = [];
	rows.forEach(function (i) {
		var t = E[i].t_ms;
		if (prevT === null) {
			steps.push({ t: t, label: 't = ' + fmtT(t), e: i });
		} else if (t !== prevT) {
			var px = (t - prevT) * pxPerMs, gap = Math.max(MINGAP, Math.min(px, CAP));
			if (px > CAP) breaks.push([y, y + gap, t - prevT]);
			y += gap;
			steps.push({ t: t, label: 't = ' + fmtT(t), e: i });
		} else {
			y += ROWH;
		}
		steps[steps.length - 1].e = i;
		stepOf[i] = steps.length - 1;
		Y[i] = y;
		prevT = t;
	});
	if (!steps.length) steps.push({ t: 0, label: 'no events', e: -1 });
	var H = y + 60;
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
		label(gLabels, fmtT(s.t) + ' \u00B7 block ' + E[first].height, [[6, Y[first] + 4, 'start']], { 'class': 'tlbl lbl' }, 10, true);
		stepY[k] = Y[s.e] + 6;
		el('line', { x1: TIMEW - 4, y1: Y[first], x2: XC, y2: Y[first], stroke: '#f0f0f0' }, gBack);
	});
	breaks.forEach(function (b) {   /* an idle gap drawn shorter than it is */
		var ym = (b[0] + b[1]) / 2;
		el('path', { d: 'M' + (TIMEW - 4) + ',' + ym + ' l8,-4 l8,8 l8,-4 L' + XC + ',' + ym, stroke: '#bbb', fill: 'none', 'stroke-dasharray': '3 3' }, gBack);
		label(gLabels, '\u22EF ' + fmtSpan(b[2]) + ' with nothing drawn (shortened)', [[6, ym + 4, 'start'], [6, ym + 16, 'start'], [6, ym - 8, 'start']], { 'class': 'tlbl lbl' }, 10, true);
	});
	/* a crashed daemon's lifeline, from its crash to its restart */
	M.marks.forEach(function (k) {
		if (k.kind !== 'crash') return;
		var node = E[k.e].node, x = node === 'alice' ? XA : XB, end = H - 20;
		var r = M.marks.find(function (o) { return o.kind === 'restart' && o.e > k.e && E[o.e].node === node; });
		if (r) end = Y[r.e];
		el('rect', { x: x - 5, y: Y[k.e], width: 10, height: Math.max(2, end - Y[k.e]), fill: '#f4c7c7' }, gBack);
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
		var text = clip(k.label, alice ? 34 : 40);
		label(g, text, alice ? [[x - 10, yy + 4, 'end'], [x - 10, yy + 12, 'end']] : [[x + 10, yy + 4, 'start'], [x + 10, yy + 12, 'start']],
		      { fill: col });
		hoverable(g, function () { return eventsText([k.e]); });
		stepped.push([g, stepOf[k.e], stepOf[k.e]]);
	});
	/* on-chain transactions */
	var X = { alice: XA, bob: XB, chain: XC };
	M.chain.forEach(function (c) {
		var x1 = X[c.from], x2 = X[c.to], y1 = Y[c.s], y2 = c.r >= 0 ? Y[c.r] : y1 + ROWH;
		var g = el('g', { 'class': 'chaintx', 'data-from': c.from, 'data-to': c.to }, gArrows);
		el('line', { x1: x1, y1: y1, x2: x2, y2: y2, stroke: payColour(c.pay), 'stroke-width': 2.5, 'stroke-opacity': 0.55,
			     'class': 'shaft', 'marker-end': c.r >= 0 ? 'url(#txhead)' : null, 'stroke-dasharray': c.r >= 0 ? null : '4 3' }, g);
		el('line', { x1: x1, y1: y1, x2: x2, y2: y2, 'class': 'hit' }, g);
		var mx = (x1 + x2) / 2, my = (y1 + y2) / 2;
		var cands = [[mx, my - 4, 'middle'], [mx, my + 12, 'middle'], [x1 + (x2 - x1) * 0.75, y1 + (y2 - y1) * 0.75 - 4, 'middle'],
			     [x1 + (x2 - x1) * 0.25, y1 + (y2 - y1) * 0.25 - 4, 'middle']];
		var lt = label(gLabels, (c.pay ? c.pay + ': ' : '') + c.what + ' ' + c.ch + ' #' + c.htlc + (c.r < 0 ? ' (not confirmed in the run)' : ''),
			       cands, { fill: payColour(c.pay), 'font-style': 'italic' });
		stepped.push([lt, stepOf[c.s], stepOf[c.s]]);
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
		var g = el('g', { 'class': 'arrow', 'data-fate': m.fate, 'data-copy': m.copy, 'data-pay': m.pay, 'data-ch': m.ch, 'data-k': m.k }, gArrows);
		el('line', { x1: x1, y1: y1, x2: x2, y2: y2, stroke: col, 'stroke-width': 1.7, 'stroke-dasharray': dash,
			     'class': 'shaft', 'marker-end': cross ? null : 'url(#head)' }, g);
		el('line', { x1: x1, y1: y1, x2: x2, y2: y2, 'class': 'hit' }, g);
		if (cross) {
			el('path', { d: 'M' + (x2 - 5) + ',' + (y2 - 5) + 'l10,10m0,-10l-10,10', stroke: '#c00', 'stroke-width': 2.2 }, g);
		}
		/* the channel's mark near the start of the arrow */
		var len = Math.hypot(x2 - x1, y2 - y1) || 1, ux = (x2 - x1) / len, uy = (y2 - y1) / len;
		el('path', { d: shapePath(chanIndex[m.ch] || 0, x1 + ux * 16, y1 + uy * 16, 3.5), fill: col, stroke: '#000', 'stroke-width': 0.8 }, g);
		var pre = m.copy === 'replay' ? 'replay ' : m.copy === 'resend' ? 'resend ' : m.copy === 'duplicate' ? 'dup ' : '';
		var text = (m.pay ? m.pay + ': ' : '') + pre + m.k + ' ' + m.ch + ' #' + m.htlc + (m.k === 'add' ? ' ' + fmtMsat(m.amt) : '') +
			(m.held ? ' (held)' : '') + why;
		var cands = [];
		[0.5, 0.38, 0.62, 0.26, 0.74, 0.16, 0.84].forEach(function (f) {
			var px = x1 + (x2 - x1) * f, py = y1 + (y2 - y1) * f;
			cands.push([px, py - 4, 'middle']);
			cands.push([px, py + 13, 'middle']);
		});
		for (var d = 1; d <= 12; d++) {
			cands.push([(x1 + x2) / 2, (y1 + y2) / 2 - 4 - d * 14, 'middle']);
			cands.push([(x1 + x2) / 2, (y1 + y2) / 2 + 13 + d * 14, 'middle']);
		}
		if (cross) reserve({ x: x2 - 7, y: y2 - 7, w: 14, h: 14 });
		reserve({ x: x1 + ux * 16 - 5, y: y1 + uy * 16 - 5, w: 10, h: 10 });
		jobs.push(function () {
			stepped.push([label(gLabels, text, cands, { fill: col, 'data-msg': idx }), stepOf[m.s], stepOf[m.s]]);
		});
		hoverable(g, function () { return eventsText([m.s, m.r, m.at]); });
		stepped.push([g, stepOf[m.s], arrives ? stepOf[m.r] : m.at >= 0 ? stepOf[m.at] : stepOf[m.s]]);
	});
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
			return '<tr><td style="color:' + payColour(p.id) + '">\u25A0 ' + p.id + '</td><td>' + p.mode + ' ' + fmtMsat(p.amount_msat) + '</td><td>' + (done ? p.outcome : 'in progress') + '</td></tr>';
		}).join('');
		document.getElementById('state').innerHTML = balancesHTML('Balances at ' + fmtT(s.t) + ' (Alice\u2019s ledger)', ledgerAt[k]) +
			'<h3>Payments at ' + fmtT(s.t) + '</h3><table>' + out + '</table>' +
			balancesHTML('Final balances (end of the run)', final);
	};
	nowLine = el('line', { x1: TIMEW - 4, x2: XC + 40, stroke: '#000', 'stroke-width': 1, 'stroke-dasharray': '1 3' }, svg);
	return { arrows: M.msgs.length, chain: M.chain.length };
}

/* ================= aggregated: time buckets ================= */
function drawAggregate(svg) {
	var B = M.buckets, nch = M.channels.length, laneH = 15;
	var rowH = Math.max(34, 10 + nch * laneH + 6);
	var gBack = el('g', {}, svg), gBars = el('g', {}, svg), gLabels = el('g', {}, svg);
	var max = 1, y = TOP, bars = 0, sums = { add: 0, fulfill: 0, fail: 0, refund: 0 };
	B.rows.forEach(function (r) {
		r.ch.forEach(function (c) {
			max = Math.max(max, c.add || 0, (c.fulfill || 0) + (c.fail || 0) + (c.refund || 0));
		});
	});
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
			label(gLabels, '\u22EF ' + fmtSpan(idle) + ' without events (shortened)', [[6, y + 10, 'start']], { 'class': 'tlbl lbl' }, 10, true);
			y += 18; idle = 0;
		}
		var g = el('g', { 'class': 'bucket', 'data-row': k }, gBars);
		el('rect', { x: TIMEW - 4, y: y, width: XC - TIMEW + 40, height: rowH - 4, fill: k % 2 ? '#fafafa' : '#f3f6fa' }, g);
		label(gLabels, fmtT(r.t0) + ' \u2013 ' + fmtT(r.t1), [[6, y + 14, 'start']], { 'class': 'tlbl lbl' }, 10, true);
		var outs = Object.keys(r.out).map(function (o) { return r.out[o] + ' ' + o; });
		var notes = Object.keys(r.notes).filter(function (o) { return o !== 'link'; }).map(function (o) { return r.notes[o] + ' ' + (MARKS[o] ? MARKS[o][1] : o); });
		label(gLabels, clip((r.started ? r.started + ' started' : '') + (outs.length ? (r.started ? ' \u00B7 ' : '') + outs.join(', ') : ''), 40) || '\u2013',
		      [[XA - 10, y + 14, 'end']], {}, 11);
		if (notes.length)
			label(gLabels, clip(notes.join(', '), 40), [[XA - 10, y + 28, 'end']], { fill: '#c00' }, 10);
		r.ch.forEach(function (c, ci) {
			var ly = y + 8 + ci * laneH, back = (c.fulfill || 0) + (c.fail || 0) + (c.refund || 0);
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
			var txt = M.channels[ci].id + ': ' + (c.add || 0) + ' adds \u2192 \u00B7 \u2190 ' + (c.fulfill || 0) + ' fulfilled' +
				(c.fail ? ', ' + c.fail + ' failed' : '') + (c.refund ? ', ' + c.refund + ' refunded' : '') +
				(c.drop ? ', ' + c.drop + ' dropped' : '') + (c.dup ? ', ' + c.dup + ' duplicated' : '') +
				(c.n !== undefined ? ' \u00B7 ' + c.n + ' in flight' : '');
			label(gLabels, clip(txt, 62), [[XB + 10, ly + 9, 'start']], {}, 10);
			if (back === 0 && !c.add) return;
		});
		hoverable(g, function () { return JSON.stringify(r, null, 1); });
		var stepHere = steps.length;   /* a click drills down into the slice */
		g.addEventListener('click', function () { pause(); goTo(stepHere); });
		steps.push({ t: r.t1, label: fmtT(r.t0) + ' \u2013 ' + fmtT(r.t1), row: k });
		stepY.push(y + rowH - 4);
		stepped.push([g, steps.length - 1, steps.length - 1]);
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
			here = '<h3>Finished in ' + fmtT(r.t0) + ' \u2013 ' + fmtT(r.t1) + ' (' + done.length + ')</h3><table>' +
				done.slice(0, 40).map(function (p) {
					return '<tr><td>' + p.id + '</td><td>' + p.mode + ' ' + fmtMsat(p.amount_msat) + '</td><td>' + p.outcome + '</td><td>' + fmtT(p.t1 - p.t0) + '</td></tr>';
				}).join('') + '</table>' + (done.length > 40 ? '\u2026 ' + (done.length - 40) + ' more' : '');
		}
		document.getElementById('state').innerHTML = balancesHTML('Balances at ' + fmtT(s.t) + ' (Alice\u2019s ledger)', balAt[k]) +
			'<h3>Payments finished by ' + fmtT(s.t) + '</h3>' + (Object.keys(o).map(function (x) { return o[x] + ' ' + x; }).join(', ') || 'none') +
			here + balancesHTML('Final balances (end of the run)', balAt[balAt.length - 1]);
	};
	nowLine = el('line', { x1: TIMEW - 4, x2: XC + 40, stroke: '#000', 'stroke-dasharray': '1 3' }, svg);
	return { bars: bars, sums: sums };
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
			'click it (or step to it) for the payments that finished in it.</p>';
	} else {
		h += 'Each arrow is one message between the daemons, in its payment\u2019s colour, with its channel\u2019s mark near its start; ' +
			'<code>c1 #0</code> is HTLC 0 on channel c1. A solid arrow arrived; long dashes are a replay (after a reconnection or restart) ' +
			'or a re-sent resolution; short dots are a duplicate copy; a dashed arrow ending in \u2715 never arrived (dropped, or lost when a ' +
			'daemon crashed or the connection closed). Thick pale arrows are transactions to and from the chain. Hover anything for the whole event.</p>';
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
	var boxes = Array.prototype.map.call(document.querySelectorAll('#diagram .lbl'), function (e) { return e.getBoundingClientRect(); })
		.filter(function (r) { return r.width > 0 && r.height > 0; });
	boxes.sort(function (a, b) { return a.left - b.left; });
	var pairs = 0, eps = 0.5;
	for (var i = 0; i < boxes.length; i++)
		for (var j = i + 1; j < boxes.length && boxes[j].left < boxes[i].right - eps; j++)
			if (boxes[j].top < boxes[i].bottom - eps && boxes[i].top < boxes[j].bottom - eps) pairs++;
	return { labels: boxes.length, pairs: pairs };
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
		labels: o.labels, overlaps: o.pairs, payments: M.payments.length, channels: M.channels.length,
		steps: steps.length, step: cur, visible_arrows: visibleArrows(), errors: errors,
		render_ms: Math.round(performance.now() - t0)
	};
	for (var k in extra) r[k] = extra[k];
	var s = document.getElementById('selfcheck') || document.createElement('script');
	s.type = 'application/json';
	s.id = 'selfcheck';
	s.textContent = JSON.stringify(r);
	document.body.appendChild(s);
}

var extra = {};
try {
	var svg = el('svg', { xmlns: SVGNS, width: WIDTH, height: 400, 'font-family': 'sans-serif' });
	var defs = el('defs', {}, svg);
	var mk = el('marker', { id: 'head', markerWidth: 8, markerHeight: 8, refX: 7, refY: 4, orient: 'auto' }, defs);
	el('path', { d: 'M0,0 L8,4 L0,8 z', fill: '#444' }, mk);
	var mk2 = el('marker', { id: 'txhead', markerWidth: 6, markerHeight: 6, refX: 5, refY: 3, orient: 'auto' }, defs);
	el('path', { d: 'M0,0 L6,3 L0,6 z', fill: '#777' }, mk2);
	document.getElementById('diagram').appendChild(svg);
	legend();
	var drawn = M.aggregate ? drawAggregate(svg) : drawDetail(svg);
	if (M.aggregate) { extra.totals = drawn.sums; }
	var done = M.payments.filter(function (p) { return p.outcome === 'settled'; }).length;
	document.getElementById('summary').textContent = M.payments.length + ' payment' + (M.payments.length === 1 ? '' : 's') + ' (' + done + ' settled), ' +
		M.channels.length + ' channel' + (M.channels.length === 1 ? '' : 's') + ', ' + M.n_events + ' events over ' + fmtT(M.t_end) + ' of simulated time.';
	var slider = document.getElementById('slider');
	slider.max = steps.length - 1;
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
} catch (e) {
	errors.push(String(e && e.stack || e));
}
report(extra);
})();
