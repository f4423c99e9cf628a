// burnprop playground: the page of `burnprop serve`. Plain ES2020, no framework, no build step.
// The idea, the layout and the colours (orange #f59322 negative, blue #0877bd positive, grey
// #e8eaeb zero) come from TensorFlow Playground (tensorflow/playground, Apache 2.0); burnprop
// adds the backward pass: gradient checks, and backprop shown one quantity at a time.
// The HTTP API and the DOM ids follow SERVE-CONTRACT (the server's src/serve/*.rs).
'use strict';

(() => {
  const $ = (id) => document.getElementById(id);
  const SVG = 'http://www.w3.org/2000/svg';
  const XHTML = 'http://www.w3.org/1999/xhtml';

  // The settings keys of the contract, in its order; these are the URL query and the POST body.
  const KEYS = ['data', 'upload', 'classes', 'noise', 'points', 'test_fraction', 'seed', 'features',
    'hidden', 'activations', 'loss', 'lr', 'schedule', 'lr_final', 'momentum', 'batch_size', 'l2',
    'engine', 'steps'];
  const NUMERIC = new Set(['classes', 'noise', 'points', 'test_fraction', 'seed', 'lr', 'lr_final',
    'momentum', 'batch_size', 'l2', 'steps']);
  // Used only when GET /api/options fails, so that the page still shows its controls.
  const FALLBACK_OPTIONS = {
    data: ['circle', 'xor', 'gauss', 'spiral', 'plane', 'gaussian', 'moons', 'circles', 'cs231n']
      .map((name) => ({ name, label: name, task: name === 'plane' || name === 'gaussian' ? 'regress' : 'classify' })),
    features: ['x1', 'x2', 'x1sq', 'x2sq', 'x1x2', 'sinx1', 'sinx2'],
    activations: ['tanh', 'relu', 'sigmoid', 'identity'],
    losses: ['bce', 'cross-entropy', 'mse', 'hinge'],
    schedules: ['constant', 'cosine', 'linear'],
    engines: ['autodiff', 'manual', 'both'],
    limits: { layers: 8, units: 32, points: 5000, steps: 1000000 },
  };
  const FEATURE_LABELS = {
    x1: 'X₁', x2: 'X₂', x1sq: 'X₁²', x2sq: 'X₂²', x1x2: 'X₁X₂', sinx1: 'sin(X₁)', sinx2: 'sin(X₂)',
  };
  // Canvases are drawn at the screen's pixel density (at most 2), their CSS size fixed.
  const DPR = Math.min(2, Math.max(1, Math.round(window.devicePixelRatio || 1)));
  const CLASS_COLOURS = [[8, 119, 189], [245, 147, 34], [44, 160, 44], [214, 39, 40],
    [148, 103, 189], [140, 86, 75], [227, 119, 194], [188, 189, 34]];

  // What the tests read (SERVE-CONTRACT, "Page DOM").
  const bp = {
    run: null, frame: null, framesDrawn: 0, settings: null, gradcheck: null, backprop: null,
  };
  window.burnprop = bp;

  const st = {
    options: FALLBACK_OPTIONS,
    token: null,
    source: null,
    latest: null,
    rafPending: false,
    generation: 0,
    wanted: null,
    history: [],
    hover: null,
    net: null, // the diagram: its shape key, units and links (buildNetwork)
    points: null, // the data points drawn once onto their own canvas
    grid: null, // the n×n canvas and its ImageData, reused frame after frame
    bpMode: false,
    targetScale: null, // a regression's largest |target|: the scale of its colours
    bpStage: 0,
    bpRequested: null, // the example asked for last
    bpPending: false,
    bpQueued: 0, // stages clicked for before the trace came
    bpTicket: 0,
    bpGrad: {}, // layer → the dW values shown so far in backprop mode
  };

  // ---------------------------------------------------------------- colours

  // Playground's diverging scale, d3's linear RGB interpolation over [-1, 0, 1].
  const NEG = [245, 147, 34];
  const MID = [232, 234, 235];
  const POS = [8, 119, 189];
  const DIVERGING = new Uint8ClampedArray(511 * 3); // index round(t·255) + 255
  const DIVERGING_CSS = [];
  for (let k = 0; k < 511; k += 1) {
    const t = (k - 255) / 255;
    const [from, to, u] = t < 0 ? [MID, NEG, -t] : [MID, POS, t];
    for (let c = 0; c < 3; c += 1) DIVERGING[k * 3 + c] = Math.round(from[c] + (to[c] - from[c]) * u);
    DIVERGING_CSS.push(`rgb(${DIVERGING[k * 3]},${DIVERGING[k * 3 + 1]},${DIVERGING[k * 3 + 2]})`);
  }
  const divIndex = (t) => Math.round(Math.max(-1, Math.min(1, t || 0)) * 255) + 255;
  const divCss = (t) => DIVERGING_CSS[divIndex(t)];
  const rgbCss = (c) => `rgb(${c[0]},${c[1]},${c[2]})`;
  const classColour = (k) => CLASS_COLOURS[((k % CLASS_COLOURS.length) + CLASS_COLOURS.length) % CLASS_COLOURS.length];

  // ---------------------------------------------------------------- small helpers

  function fmt(v, digits = 3) {
    if (v === null || v === undefined) return '–';
    if (typeof v !== 'number' || !Number.isFinite(v)) return String(v);
    const a = Math.abs(v);
    if (a !== 0 && (a < 1e-3 || a >= 1e5)) return v.toExponential(2);
    return v.toFixed(digits);
  }
  const fmtE = (v) => (typeof v === 'number' && Number.isFinite(v) ? v.toExponential(2) : String(v));
  const relDiff = (a, b) => Math.abs(a - b) / Math.max(Math.abs(a), Math.abs(b), 1e-12);

  // A comma list from the server may come as a string or as an array.
  function list(v) {
    if (Array.isArray(v)) return v.map(String);
    if (v === null || v === undefined || v === '') return [];
    return String(v).split(',').map((s) => s.trim()).filter((s) => s !== '');
  }

  function el(tag, attrs = {}, text) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function svg(tag, attrs = {}, parent) {
    const node = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
    if (parent) parent.appendChild(node);
    return node;
  }

  // base64 → bytes, into a buffer kept between frames.
  function decode(b64, out) {
    const s = atob(b64);
    const bytes = out && out.length === s.length ? out : new Uint8Array(s.length);
    for (let i = 0; i < s.length; i += 1) bytes[i] = s.charCodeAt(i);
    return bytes;
  }

  function showError(message) {
    const box = $('error');
    box.textContent = String(message).split('\n')[0];
    box.title = box.textContent;
  }
  const clearError = () => { $('error').textContent = ''; $('error').title = ''; };

  // Nothing escapes as an uncaught error: it is shown in #error instead of the console.
  window.addEventListener('error', (ev) => { showError(`Page error: ${ev.message}`); ev.preventDefault(); });
  window.addEventListener('unhandledrejection', (ev) => {
    showError(`Page error: ${ev.reason && ev.reason.message ? ev.reason.message : ev.reason}`);
    ev.preventDefault();
  });

  // One request; the JSON answer, or null after showing the server's one-line error.
  async function api(method, path, body, { raw = false, quiet = false } = {}) {
    const init = { method, headers: {}, credentials: 'same-origin' };
    if (st.token) init.headers['X-Burnprop-Token'] = st.token;
    if (body !== undefined) {
      init.body = raw ? body : JSON.stringify(body);
      init.headers['Content-Type'] = raw ? 'text/csv' : 'application/json';
    }
    let res;
    try {
      res = await fetch(path, init);
    } catch (e) {
      if (!quiet) showError(`The server did not answer (${method} ${path}): ${e.message}`);
      return null;
    }
    let json = null;
    if (res.status !== 204) {
      try { json = await res.json(); } catch (e) { json = null; }
    }
    if (!res.ok) {
      if (!quiet) showError(json && json.error ? json.error : `${method} ${path} failed with status ${res.status}`);
      return null;
    }
    return json || {};
  }

  // ---------------------------------------------------------------- settings and controls

  function settingsFromUrl() {
    const params = new URLSearchParams(window.location.search);
    st.token = params.get('token');
    const s = {};
    for (const key of KEYS) {
      if (params.has(key)) s[key] = NUMERIC.has(key) ? Number(params.get(key)) : params.get(key);
    }
    return s;
  }

  // The body of POST /api/runs: numbers as numbers, lists as comma strings, no nulls.
  function requestBody(settings) {
    const body = {};
    for (const key of KEYS) {
      const v = settings[key];
      if (v === null || v === undefined || (key === 'upload' && v === '')) continue;
      if (NUMERIC.has(key)) body[key] = Number(v);
      else if (Array.isArray(v)) body[key] = v.join(',');
      else body[key] = v;
    }
    return body;
  }

  function fillSelect(select, values, labels = {}) {
    select.replaceChildren(...values.map((v) => el('option', { value: v }, labels[v] || v)));
  }

  function buildControls() {
    const o = st.options;
    const dataLabels = {};
    for (const d of o.data) dataLabels[d.name] = d.label || d.name;
    const names = o.data.map((d) => d.name);
    if (!names.includes('upload')) names.push('upload');
    dataLabels.upload = dataLabels.upload || 'Your CSV file';
    fillSelect($('data'), names, dataLabels);
    fillSelect($('schedule'), o.schedules);
    fillSelect($('loss'), o.losses);
    fillSelect($('engine'), o.engines);
    const box = $('features');
    box.replaceChildren();
    for (const f of o.features) {
      const label = el('label', { class: 'feature' });
      label.append(el('input', { type: 'checkbox', name: 'feature', value: f }), ` ${FEATURE_LABELS[f] || f}`);
      box.appendChild(label);
    }
    const limits = o.limits || {};
    if (limits.points) $('points').max = limits.points;
    if (limits.steps) $('steps').max = limits.steps;
  }

  function dataOption(name) {
    return st.options.data.find((d) => d.name === name) || null;
  }

  // Shows the settings of the run in every control (also after a refused change).
  function fillControls(s) {
    if (!s) return;
    const set = (id, v) => { if (v !== undefined && v !== null) $(id).value = v; };
    set('data', s.data);
    $('data').querySelector('option[value=upload]').disabled = !s.upload;
    const d = dataOption(s.data);
    const noise = $('noise');
    if (d && d.noise) {
      noise.min = d.noise.min;
      noise.max = d.noise.max;
      noise.step = d.noise.unit === 'percent' || d.noise.max > 2 ? 1 : 0.01;
    }
    if (d && d.points) { $('points').min = d.points.min; $('points').max = d.points.max; }
    // A set without noise (or a size of its own, as an upload) leaves that control off.
    noise.disabled = !!d && !d.noise;
    $('points').disabled = !!d && !d.points;
    $('classes-row').hidden = !(d && d.classes);
    if (d && d.classes) { $('classes').min = d.classes.min; $('classes').max = d.classes.max; }
    set('classes', s.classes);
    set('noise', s.noise);
    set('points', s.points);
    set('test-fraction', s.test_fraction);
    set('seed', s.seed);
    set('lr', s.lr);
    set('schedule', s.schedule);
    set('lr-final', s.lr_final);
    set('momentum', s.momentum);
    set('batch-size', s.batch_size);
    set('l2', s.l2);
    set('loss', s.loss);
    set('engine', s.engine);
    set('steps', s.steps);
    $('lr-final').disabled = s.schedule === 'constant';
    const features = new Set(list(s.features));
    // An upload's inputs are its columns: the plane's features do not apply to it.
    for (const box of document.querySelectorAll('input[name=feature]')) {
      box.checked = s.data !== 'upload' && features.has(box.value);
      box.disabled = s.data === 'upload';
    }
    showSliderValues();
  }

  function showSliderValues() {
    const d = dataOption($('data').value);
    const unit = d && d.noise && d.noise.unit === 'percent' ? '%' : '';
    $('noise-value').textContent = `${$('noise').value}${unit}`;
    $('test-fraction-value').textContent = `${Math.round(Number($('test-fraction').value) * 100)}%`;
  }

  const hiddenOf = (s) => list(s.hidden).map(Number);
  const activationsOf = (s) => list(s.activations);

  // The settings asked for last: changes made while a run is being created build on them,
  // so that two quick changes both count.
  const current = () => st.wanted || bp.settings || {};

  // A change: the new run is made from the current settings, the patch, less the dropped keys.
  function change(patch, drop = []) {
    const next = { ...current(), ...patch };
    for (const key of drop) delete next[key];
    createRun(next, isPlaying());
  }

  function wireControls() {
    const num = (id, key) => $(id).addEventListener('change', () => change({ [key]: Number($(id).value) }));
    num('noise', 'noise');
    num('points', 'points');
    num('classes', 'classes');
    num('test-fraction', 'test_fraction');
    num('seed', 'seed');
    num('lr', 'lr');
    num('lr-final', 'lr_final');
    num('momentum', 'momentum');
    num('batch-size', 'batch_size');
    num('l2', 'l2');
    num('steps', 'steps');
    const pick = (id, key) => $(id).addEventListener('change', () => change({ [key]: $(id).value }));
    pick('schedule', 'schedule');
    pick('loss', 'loss');
    pick('engine', 'engine');
    // Another data set has its own noise scale, size and loss: let the server choose them.
    $('data').addEventListener('change', () => {
      const data = $('data').value;
      const drop = ['noise', 'points', 'loss', 'classes'];
      if (data !== 'upload') drop.push('upload');
      change({ data }, drop);
    });
    $('noise').addEventListener('input', showSliderValues);
    $('test-fraction').addEventListener('input', showSliderValues);
    $('features').addEventListener('change', () => {
      const checked = [...document.querySelectorAll('input[name=feature]:checked')].map((b) => b.value);
      change({ features: checked.join(',') });
    });
    $('regenerate').addEventListener('click', () => change({ seed: Number(current().seed || 0) + 1 }));
    $('reset').addEventListener('click', () => change({}));
    $('upload').addEventListener('change', uploadFile);
    $('add-layer').addEventListener('click', () => changeLayers((h, a) => { h.push(2); a.push(a[a.length - 1] || 'tanh'); }));
    $('remove-layer').addEventListener('click', () => changeLayers((h, a) => { h.pop(); a.pop(); }));
    $('export-run').addEventListener('click', (ev) => {
      if (!bp.frame || bp.frame.step > 0) return;
      ev.preventDefault();
      showError('The run has taken no step yet: press play or step first.');
    });
    $('play').addEventListener('click', () => transport('play'));
    $('pause').addEventListener('click', () => transport('pause'));
    $('step').addEventListener('click', () => transport('step'));
    $('show-test').addEventListener('change', drawPointsLayer);
    $('discretize').addEventListener('change', () => redraw());
    $('log-scale').addEventListener('change', () => drawLossChart());
  }

  function changeLayers(edit) {
    const s = current();
    const hidden = hiddenOf(s);
    const acts = activationsOf(s);
    while (acts.length < hidden.length) acts.push('tanh');
    edit(hidden, acts);
    const layers = (st.options.limits || {}).layers || 8;
    if (hidden.length > layers) return;
    change({ hidden: hidden.join(','), activations: acts.slice(0, hidden.length).join(',') });
  }

  async function transport(action) {
    if (!bp.run) return;
    if (action === 'play' && st.bpMode) leaveBackprop();
    clearError();
    const res = await api('POST', `/api/runs/${bp.run.id}/${action}`);
    // The answer's state where it has one; else what was asked (the next frame says for sure).
    if (res) setPlayingClass(res.state ? res.state === 'playing' : action === 'play');
  }

  const isPlaying = () => document.body.classList.contains('playing');
  const setPlayingClass = (on) => document.body.classList.toggle('playing', on);

  async function uploadFile() {
    const input = $('upload');
    const file = input.files && input.files[0];
    if (!file) return;
    clearError();
    let body;
    try {
      body = await file.arrayBuffer();
    } catch (e) {
      showError(`Could not read ${file.name}: ${e.message}`);
      return;
    }
    const res = await api('POST', '/api/uploads', body, { raw: true });
    input.value = '';
    if (!res) return;
    $('upload-info').textContent = `${file.name}: ${res.rows} rows, inputs ${list(res.inputs).join(', ')}, `
      + `target ${res.target} (${res.task === 'regress' ? 'regression' : `${list(res.classes).length} classes`})`;
    change({ data: 'upload', upload: res.upload }, ['noise', 'points', 'loss', 'classes', 'features']);
  }

  // ---------------------------------------------------------------- runs

  async function createRun(settings, play) {
    st.generation += 1;
    const generation = st.generation;
    st.wanted = settings;
    clearError();
    const res = await api('POST', '/api/runs', requestBody(settings));
    if (generation !== st.generation) {
      // A later change overtook this one: its run is not wanted.
      if (res && res.id) api('DELETE', `/api/runs/${res.id}`, undefined, { quiet: true });
      return;
    }
    st.wanted = null;
    if (!res) {
      fillControls(bp.settings);
      return;
    }
    const old = bp.run;
    closeStream();
    if (old) api('DELETE', `/api/runs/${old.id}`, undefined, { quiet: true });
    adopt(res);
    if (play) {
      const answer = await api('POST', `/api/runs/${res.id}/play`);
      if (answer) setPlayingClass(answer.state ? answer.state === 'playing' : true);
    }
  }

  function adopt(run) {
    bp.run = run;
    bp.settings = run.settings || {};
    bp.frame = null;
    bp.gradcheck = null;
    bp.backprop = null;
    st.latest = null;
    st.history = [];
    setPlayingClass(false);
    try {
      window.history.replaceState(null, '', `?${run.query || ''}`);
    } catch (e) {
      showError(`Could not rewrite the address: ${e.message}`);
    }
    fillControls(bp.settings);
    leaveBackprop();
    renderGradcheck(null);
    setExports(run);
    buildLayerBar();
    buildNetwork();
    preparePoints();
    drawLossChart();
    openStream(run.id);
  }

  function setExports(run) {
    const base = `/api/runs/${encodeURIComponent(run.id)}/export`;
    const links = [['export-run', 'run.tar.gz'], ['export-data', 'data.csv'],
      ['export-trace-md', 'trace.md'], ['export-trace-json', 'trace.json']];
    for (const [id, file] of links) {
      $(id).href = `${base}/${file}`;
      $(id).setAttribute('download', `burnprop-${run.id}-${file}`);
    }
    $('export-command').textContent = run.command || '';
  }

  function openStream(id) {
    const source = new EventSource(`/api/runs/${encodeURIComponent(id)}/events`);
    st.source = source;
    source.addEventListener('frame', (ev) => {
      if (st.source !== source) return;
      let frame;
      try {
        frame = JSON.parse(ev.data);
      } catch (e) {
        showError(`A frame could not be read: ${e.message}`);
        return;
      }
      record(frame);
      st.latest = frame;
      if (!st.rafPending) {
        st.rafPending = true;
        requestAnimationFrame(drawLatest);
      }
    });
    source.addEventListener('error', () => {
      // The stream of a run the server no longer has: stop asking for it.
      if (st.source === source && source.readyState === EventSource.CLOSED) {
        showError('The connection to the run was lost; change a setting or reload to start again.');
      }
    });
  }

  function closeStream() {
    if (st.source) st.source.close();
    st.source = null;
  }

  // ---------------------------------------------------------------- frames

  function record(frame) {
    const h = st.history;
    const last = h[h.length - 1];
    if (last && frame.step < last.step) h.length = 0;
    if (last && frame.step === last.step) return;
    const loss = frame.loss || {};
    const c = frame.compare;
    h.push({
      step: frame.step, train: loss.train, test: loss.test,
      manual: c ? c.loss_manual : null,
    });
    // Keep the chart cheap: halve the history when it grows long.
    if (h.length > 1600) st.history = h.filter((_, k) => k % 2 === 0 || k === h.length - 1);
  }

  function drawLatest() {
    st.rafPending = false;
    const frame = st.latest;
    if (!frame || frame === bp.frame) return;
    drawFrame(frame);
    bp.frame = frame;
    bp.framesDrawn += 1;
  }

  const redraw = () => { if (bp.frame) drawFrame(bp.frame); };

  function drawFrame(f) {
    const loss = f.loss || {};
    const acc = f.accuracy || {};
    $('step-count').textContent = String(f.step);
    $('step-total').textContent = String(f.total);
    $('train-loss').textContent = fmt(loss.train);
    $('test-loss').textContent = fmt(loss.test);
    $('steps-per-second').textContent = String(Math.round(f.steps_per_second || 0));
    $('run-state').textContent = f.state;
    // The run directory exists once a step is taken: the server refuses it before.
    $('export-run').classList.toggle('unready', f.step === 0);
    $('run-message').textContent = f.message || '';
    if (f.state === 'diverged' && (!bp.frame || bp.frame.state !== 'diverged')) {
      showError(f.message || 'The run diverged: the loss is no longer a number. Lower the learning rate and reset.');
    }
    setPlayingClass(f.state === 'playing');
    const parts = [];
    if (acc.train !== null && acc.train !== undefined) parts.push(`train accuracy ${fmt(acc.train)}`);
    if (acc.test !== null && acc.test !== undefined) parts.push(`test accuracy ${fmt(acc.test)}`);
    $('accuracy').textContent = parts.join(' · ');
    drawGrid(f.grid);
    drawUnits(f);
    drawLinks(f);
    drawLossChart();
    drawCompare(f);
    if (st.hover) showTooltip();
  }

  function drawCompare(f) {
    const box = $('compare');
    const c = f.compare;
    if (c) {
      box.classList.remove('dim');
      box.innerHTML = '';
      box.append(
        el('div', {}, `autodiff vs manual, in lock step: |Δloss| = ${fmtE(c.delta_loss)}, max|Δθ| = ${fmtE(c.max_delta_param)}`),
        el('div', { class: 'dim' }, `loss: autodiff ${fmt(c.loss_autodiff, 5)}, manual ${fmt(c.loss_manual, 5)}`),
      );
    } else if ((bp.settings || {}).engine === 'both') {
      box.textContent = 'Waiting for both engines…';
    } else if (!box.classList.contains('dim')) {
      box.classList.add('dim');
      box.textContent = 'Engine “both” runs autodiff and manual in lock step and shows their difference here.';
    }
  }

  // ---------------------------------------------------------------- the plane

  function gridColours(grid) {
    // 256 RGB triples: the colour of each byte value for this grid's kind.
    const lut = new Uint8ClampedArray(256 * 3);
    const discrete = $('discretize').checked;
    for (let b = 0; b < 256; b += 1) {
      let c;
      if (grid.kind === 'classes') {
        // A lighter shade of the class colour, so that the points stand out.
        c = classColour(b).map((v) => Math.round(v + (255 - v) * 0.45));
      } else if (grid.kind === 'binary') {
        let t = (b / 255) * 2 - 1;
        if (discrete) t = t >= 0 ? 1 : -1;
        const k = divIndex(t) * 3;
        c = [DIVERGING[k], DIVERGING[k + 1], DIVERGING[k + 2]];
      } else {
        // A regression's plane on the targets' scale, so that a dot matches the ground it is on.
        const v = grid.lo + (b / 255) * (grid.hi - grid.lo);
        const m = st.targetScale || Math.max(Math.abs(grid.lo), Math.abs(grid.hi), 1e-12);
        const k = divIndex(v / m) * 3;
        c = [DIVERGING[k], DIVERGING[k + 1], DIVERGING[k + 2]];
      }
      lut[b * 3] = c[0]; lut[b * 3 + 1] = c[1]; lut[b * 3 + 2] = c[2];
    }
    return lut;
  }

  function drawGrid(grid) {
    const canvas = $('decision');
    const ctx = canvas.getContext('2d');
    const run = bp.run || {};
    $('no-plane').hidden = !!run.plane;
    if (!grid || !grid.values) {
      ctx.clearRect(0, 0, canvas.width, canvas.height);
      return;
    }
    const n = grid.n;
    if (!st.grid || st.grid.n !== n) {
      const off = document.createElement('canvas');
      off.width = n;
      off.height = n;
      const octx = off.getContext('2d');
      st.grid = { n, canvas: off, ctx: octx, image: octx.createImageData(n, n), bytes: null };
    }
    const g = st.grid;
    g.bytes = decode(grid.values, g.bytes);
    const lut = gridColours(grid);
    const px = g.image.data;
    for (let i = 0; i < n * n; i += 1) {
      const b = g.bytes[i] * 3;
      px[i * 4] = lut[b]; px[i * 4 + 1] = lut[b + 1]; px[i * 4 + 2] = lut[b + 2]; px[i * 4 + 3] = 255;
    }
    g.ctx.putImageData(g.image, 0, 0);
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(g.canvas, 0, 0, canvas.width, canvas.height);
    if (st.points) ctx.drawImage(st.points, 0, 0);
    markExample(ctx);
  }

  // In backprop mode, a ring around the example being traced.
  function markExample(ctx) {
    const run = bp.run;
    if (!st.bpMode || !bp.backprop || !run || !run.plane || !run.points) return;
    const p = (run.points.train || [])[bp.backprop.example];
    if (!p) return;
    const [x, y] = toPixel(run.plane, p[0], p[1], ctx.canvas.width);
    ctx.beginPath();
    ctx.arc(x, y, 8 * DPR, 0, 2 * Math.PI);
    ctx.lineWidth = 2.5 * DPR;
    ctx.strokeStyle = '#c0392b';
    ctx.stroke();
  }

  // Plane coordinates → canvas pixels (row 0 at the top = plane.y's hi).
  function toPixel(plane, x, y, size) {
    const [x0, x1] = plane.x;
    const [y0, y1] = plane.y;
    return [((x - x0) / (x1 - x0)) * size, ((y1 - y) / (y1 - y0)) * size];
  }

  function pointColour(run, t, scale) {
    if (run.task === 'classes') return rgbCss(classColour(t));
    if (run.task === 'binary') return t >= 0.5 ? rgbCss(POS) : rgbCss(NEG);
    return divCss(t / scale);
  }

  function preparePoints() {
    const canvas = $('decision');
    const size = canvas.width;
    const layer = st.points || document.createElement('canvas');
    layer.width = size;
    layer.height = size;
    st.points = layer;
    drawPointsLayer();
  }

  function drawPointsLayer() {
    const run = bp.run;
    const layer = st.points;
    if (!run || !layer) return;
    const ctx = layer.getContext('2d');
    ctx.clearRect(0, 0, layer.width, layer.height);
    if (!run.plane || !run.points) { redraw(); return; }
    const all = [...(run.points.train || []), ...(run.points.test || [])];
    const scale = all.reduce((m, p) => Math.max(m, Math.abs(p[2])), 1e-12);
    st.targetScale = run.task === 'regression' && all.length > 0 ? scale : null;
    // Smaller dots where there are many, as the Playground's plane would be covered.
    const radius = (all.length > 800 ? 2.4 : 3.2) * DPR;
    const dot = (p, ring) => {
      const [x, y] = toPixel(run.plane, p[0], p[1], layer.width);
      ctx.beginPath();
      ctx.arc(x, y, radius, 0, 2 * Math.PI);
      ctx.fillStyle = pointColour(run, p[2], scale);
      ctx.fill();
      ctx.lineWidth = DPR;
      ctx.strokeStyle = ring;
      ctx.stroke();
    };
    for (const p of run.points.train || []) dot(p, '#fff');
    if ($('show-test').checked) for (const p of run.points.test || []) dot(p, '#000');
    redraw();
  }

  // ---------------------------------------------------------------- the network diagram

  function networkShape() {
    const net = (bp.run || {}).network || {};
    const sizes = (net.sizes || []).map(Number);
    return { sizes, features: list(net.features), activations: list(net.activations), output: net.output };
  }

  function buildLayerBar() {
    const hidden = hiddenOf(bp.settings || {});
    const limits = st.options.limits || {};
    $('layer-count').textContent = `${hidden.length} hidden layer${hidden.length === 1 ? '' : 's'}`;
    $('add-layer').disabled = hidden.length >= (limits.layers || 8);
    $('remove-layer').disabled = hidden.length === 0;
  }

  function layout(sizes) {
    const wrap = $('network-wrap');
    const width = Math.max(360, wrap.clientWidth || 560);
    const maxUnits = Math.max(1, ...sizes);
    const pitch = Math.max(11, Math.min(62, 400 / maxUnits));
    const square = Math.round(Math.min(32, pitch * 0.72));
    const top = 64;
    // Room on the left for the inputs' names (an upload's columns can be long).
    const names = networkShape().features.map((f) => (FEATURE_LABELS[f] || f).length);
    const left = Math.min(130, Math.max(40, 12 + 6.5 * Math.max(0, ...names)));
    const columns = Math.max(1, sizes.length - 1);
    const gap = Math.max(70, (width - left - 90 - square) / columns);
    const height = top + maxUnits * pitch + 24;
    const x = (l) => left + l * gap;
    const y = (l, j) => top + j * pitch + (maxUnits - sizes[l]) * pitch * 0.5;
    return { width: left + columns * gap + square + 90, height, square, pitch, x, y };
  }

  function buildNetwork() {
    const shape = networkShape();
    const key = JSON.stringify(shape);
    const width = $('network-wrap').clientWidth;
    if (st.net && st.net.key === key && st.net.width === width) return;
    const root = $('network');
    root.replaceChildren();
    const sizes = shape.sizes;
    if (sizes.length < 2) { st.net = null; return; }
    const geo = layout(sizes);
    root.setAttribute('width', geo.width);
    root.setAttribute('height', geo.height);
    root.setAttribute('viewBox', `0 0 ${geo.width} ${geo.height}`);
    const linkLayer = svg('g', { class: 'links' }, root);
    const unitLayer = svg('g', { class: 'units' }, root);
    const links = [];
    for (let l = 1; l < sizes.length; l += 1) links.push(buildLinks(linkLayer, geo, l, sizes));
    // Labels live apart from g.unit, so that a unit's box is its square alone.
    const labelLayer = svg('g', { class: 'labels' }, root);
    const units = sizes.map((n, l) => {
      const column = [];
      for (let j = 0; j < n; j += 1) column.push(buildUnit(unitLayer, labelLayer, geo, l, j, shape));
      return column;
    });
    st.net = { key, width, geo, sizes, units, links };
    buildLayerControls(geo, sizes);
  }

  function buildLinks(parent, geo, l, sizes) {
    // Link (layer l, from i, to j) is weight W_l[i][j]: tensor `Wl`, index i·n_out + j.
    const out = [];
    const s = geo.square;
    const showLabels = sizes[l - 1] * sizes[l] <= 24;
    for (let i = 0; i < sizes[l - 1]; i += 1) {
      for (let j = 0; j < sizes[l]; j += 1) {
        const x1 = geo.x(l - 1) + s;
        const y1 = geo.y(l - 1, i) + s / 2;
        const x2 = geo.x(l);
        const y2 = geo.y(l, j) + s / 2;
        const mx = (x1 + x2) / 2;
        const d = `M${x1},${y1} C${mx},${y1} ${mx},${y2} ${x2},${y2}`;
        const data = { 'data-layer': l, 'data-from': i, 'data-to': j };
        const path = svg('path', { class: 'link', d, ...data }, parent);
        // A wide invisible twin makes thin links easy to hover, as in the Playground.
        svg('path', { class: 'link-hit', d, ...data }, parent);
        let label = null;
        if (showLabels) {
          label = svg('text', { class: 'grad-label', x: x1 + (x2 - x1) * 0.3, y: y1 + (y2 - y1) * 0.3 - 2 }, parent);
        }
        out.push({ path, label, i, j });
      }
    }
    return out;
  }

  function buildUnit(parent, labels, geo, l, j, shape) {
    const s = geo.square;
    const transform = `translate(${geo.x(l)},${geo.y(l, j)})`;
    const g = svg('g', { class: 'unit', 'data-layer': l, 'data-unit': j, transform }, parent);
    const label = svg('g', { transform }, labels);
    svg('rect', { class: 'frame', x: -1, y: -1, width: s + 2, height: s + 2 }, g);
    const fo = svg('foreignObject', { x: 0, y: 0, width: s, height: s }, g);
    const canvas = document.createElementNS(XHTML, 'canvas');
    canvas.width = 32;
    canvas.height = 32;
    canvas.setAttribute('class', 'unit-picture');
    fo.appendChild(canvas);
    const ctx = canvas.getContext('2d');
    if (l === 0) {
      const name = shape.features[j] || `x${j + 1}`;
      svg('text', { class: 'feature-label', x: -4, y: s / 2 + 4, 'text-anchor': 'end' }, label).textContent = FEATURE_LABELS[name] || name;
    }
    const text = svg('text', { class: 'bp-label', x: s + 3, y: 0 }, label);
    const lines = ['z', 'a', 'd'].map((_, k) => svg('tspan', { x: s + 3, dy: k === 0 ? '0.8em' : '1.05em' }, text));
    return { g, canvas, ctx, image: ctx.createImageData(32, 32), bytes: null, lines, bp: {} };
  }

  function buildLayerControls(geo, sizes) {
    const box = $('layer-controls');
    box.replaceChildren();
    const s = bp.settings || {};
    const acts = activationsOf(s);
    const limits = st.options.limits || {};
    const columnHead = (l, text) => {
      const head = el('div', { class: 'layer-head' });
      head.style.left = `${geo.x(l) + geo.square / 2}px`;
      head.append(el('div', { class: 'layer-title' }, text));
      box.appendChild(head);
      return head;
    };
    columnHead(0, 'Features');
    columnHead(sizes.length - 1, `Output (${networkShape().output || ''})`);
    for (let k = 1; k < sizes.length - 1; k += 1) {
      const head = columnHead(k, `${sizes[k]} unit${sizes[k] === 1 ? '' : 's'}`);
      const add = el('button', { id: `layer-${k}-add`, title: 'One more unit' }, '+');
      const remove = el('button', { id: `layer-${k}-remove`, title: 'One unit fewer' }, '−');
      add.disabled = sizes[k] >= (limits.units || 32);
      remove.disabled = sizes[k] <= 1;
      add.addEventListener('click', () => changeUnits(k, 1));
      remove.addEventListener('click', () => changeUnits(k, -1));
      const select = el('select', { id: `activation-${k}`, title: 'Activation of this layer' });
      fillSelectInto(select, st.options.activations, acts[k - 1] || 'tanh');
      select.addEventListener('change', () => {
        const a = activationsOf(current());
        while (a.length < sizes.length - 2) a.push('tanh');
        a[k - 1] = select.value;
        change({ activations: a.join(',') });
      });
      const buttons = el('div', { class: 'unit-buttons' });
      buttons.append(remove, add);
      head.prepend(buttons);
      head.append(select);
    }
  }

  function fillSelectInto(select, values, chosen) {
    fillSelect(select, values);
    select.value = chosen;
  }

  function changeUnits(k, delta) {
    const hidden = hiddenOf(current());
    const max = (st.options.limits || {}).units || 32;
    const n = (hidden[k - 1] || 1) + delta;
    if (n < 1 || n > max) return;
    hidden[k - 1] = n;
    change({ hidden: hidden.join(',') });
  }

  function unitColours(unit, output, task) {
    // Byte b stands for v = lo + b/255·(hi − lo); v is coloured by its sign, scaled by the
    // larger end. A probability output is coloured as the plane: 0.5 is the middle.
    const lut = new Uint8ClampedArray(256 * 3);
    const { lo, hi } = unit;
    const probability = output && task === 'binary' && lo >= 0 && hi <= 1;
    const m = Math.max(Math.abs(lo), Math.abs(hi), 1e-12);
    for (let b = 0; b < 256; b += 1) {
      const v = lo + (b / 255) * (hi - lo);
      const k = divIndex(probability ? 2 * v - 1 : v / m) * 3;
      lut[b * 3] = DIVERGING[k]; lut[b * 3 + 1] = DIVERGING[k + 1]; lut[b * 3 + 2] = DIVERGING[k + 2];
    }
    return lut;
  }

  function drawUnits(f) {
    const net = st.net;
    if (!net || !Array.isArray(f.units)) return;
    const task = (bp.run || {}).task;
    const last = net.units.length - 1;
    for (let l = 0; l < net.units.length; l += 1) {
      const column = f.units[l] || [];
      for (let j = 0; j < net.units[l].length; j += 1) {
        const data = column[j];
        if (data && data.values) paintUnit(net.units[l][j], data, l === last, task);
      }
    }
  }

  function paintUnit(u, data, output, task) {
    u.bytes = decode(data.values, u.bytes);
    if (u.bytes.length !== 1024) return;
    const lut = unitColours(data, output, task);
    const px = u.image.data;
    for (let i = 0; i < 1024; i += 1) {
      const b = u.bytes[i] * 3;
      px[i * 4] = lut[b]; px[i * 4 + 1] = lut[b + 1]; px[i * 4 + 2] = lut[b + 2]; px[i * 4 + 3] = 255;
    }
    u.ctx.putImageData(u.image, 0, 0);
    u.range = [data.lo, data.hi];
  }

  function drawLinks(f) {
    const net = st.net;
    if (!net || !Array.isArray(f.weights)) return;
    const maxWidth = Math.max(2, Math.min(10, net.geo.pitch * 0.35));
    for (let l = 1; l <= net.links.length; l += 1) {
      const layer = f.weights[l - 1];
      if (!layer || !layer.w) continue;
      const grads = st.bpMode ? st.bpGrad[l] : null;
      const n = net.sizes[l];
      let gmax = 1e-12;
      if (grads) for (const v of grads) gmax = Math.max(gmax, Math.abs(v));
      for (const link of net.links[l - 1]) {
        const w = (layer.w[link.i] || [])[link.j];
        if (grads) {
          const g = grads[link.i * n + link.j];
          link.path.setAttribute('stroke', divCss(g === 0 ? 0 : Math.sign(g)));
          link.path.setAttribute('stroke-width', 1 + (maxWidth - 1) * (Math.abs(g) / gmax));
          link.path.setAttribute('class', 'link grad');
          if (link.label) link.label.textContent = fmt(g, 3);
        } else {
          // Playground: colour by w clamped to [-1, 1], width 1 to 10 over |w| in [0, 5].
          link.path.setAttribute('stroke', divCss(w));
          link.path.setAttribute('stroke-width', 1 + (maxWidth - 1) * Math.min(Math.abs(w || 0), 5) / 5);
          link.path.setAttribute('class', st.bpMode ? 'link faded' : 'link');
          if (link.label) link.label.textContent = '';
        }
      }
    }
  }

  // ---------------------------------------------------------------- the loss chart

  function drawLossChart() {
    const canvas = $('loss-chart');
    const ctx = canvas.getContext('2d');
    ctx.setTransform(DPR, 0, 0, DPR, 0, 0);
    const W = canvas.width / DPR;
    const H = canvas.height / DPR;
    ctx.clearRect(0, 0, W, H);
    ctx.fillStyle = '#fafafa';
    ctx.fillRect(0, 0, W, H);
    const h = st.history;
    if (h.length === 0) return;
    const log = $('log-scale').checked;
    const values = [];
    for (const p of h) for (const v of [p.train, p.test, p.manual]) if (typeof v === 'number' && Number.isFinite(v) && (!log || v > 0)) values.push(v);
    if (values.length === 0) return;
    const tr = (v) => (log ? Math.log10(v) : v);
    let lo = log ? tr(Math.min(...values)) : 0;
    let hi = tr(Math.max(...values));
    if (hi - lo < 1e-9) { hi += 0.5; lo -= log ? 0.5 : 0; }
    const s0 = h[0].step;
    const s1 = Math.max(h[h.length - 1].step, s0 + 1);
    const pad = 4;
    const px = (s) => pad + ((s - s0) / (s1 - s0)) * (W - 2 * pad);
    const py = (v) => H - pad - ((tr(v) - lo) / (hi - lo)) * (H - 2 * pad - 12);
    const line = (key, colour, dash) => {
      ctx.beginPath();
      ctx.setLineDash(dash);
      ctx.strokeStyle = colour;
      ctx.lineWidth = 1.5;
      let started = false;
      for (const p of h) {
        const v = p[key];
        if (typeof v !== 'number' || !Number.isFinite(v) || (log && v <= 0)) { started = false; continue; }
        if (started) ctx.lineTo(px(p.step), py(v)); else ctx.moveTo(px(p.step), py(v));
        started = true;
      }
      ctx.stroke();
      ctx.setLineDash([]);
    };
    line('test', '#111', []);
    line('train', '#888', []);
    line('manual', '#f59322', [4, 3]);
    ctx.fillStyle = '#666';
    ctx.font = '10px system-ui, sans-serif';
    ctx.fillText(`${log ? 'log₁₀ ' : ''}loss ≤ ${fmt(Math.max(...values))}   step ${h[h.length - 1].step}`, pad + 2, 11);
  }

  // ---------------------------------------------------------------- tooltips

  function hoverTarget(node) {
    const hit = node && node.closest ? node.closest('.unit, .link, .link-hit') : null;
    if (!hit) return null;
    const d = hit.dataset;
    if (hit.classList.contains('unit')) return { kind: 'unit', l: Number(d.layer), j: Number(d.unit) };
    return { kind: 'link', l: Number(d.layer), i: Number(d.from), j: Number(d.to) };
  }

  function wireTooltip() {
    const root = $('network');
    root.addEventListener('mouseover', (ev) => {
      const target = hoverTarget(ev.target);
      if (!target) return;
      st.hover = target;
      showTooltip();
    });
    root.addEventListener('mousemove', (ev) => placeTooltip(ev.clientX, ev.clientY));
    root.addEventListener('mouseout', (ev) => {
      if (hoverTarget(ev.relatedTarget)) return;
      st.hover = null;
      $('tooltip').hidden = true;
    });
  }

  function placeTooltip(x, y) {
    const tip = $('tooltip');
    tip.style.left = `${Math.min(x + 14, window.innerWidth - 280)}px`;
    tip.style.top = `${y + 14}px`;
  }

  // The gradients to show: this example's in backprop mode, else the last gradient check's.
  function gradientSource() {
    if (st.bpMode && bp.backprop && bp.backprop.tensors) {
      return { tensors: bp.backprop.tensors, label: `example ${bp.backprop.example}` };
    }
    if (bp.gradcheck && bp.gradcheck.tensors) return { tensors: bp.gradcheck.tensors, label: 'gradient check, whole training split' };
    if (bp.backprop && bp.backprop.tensors) return { tensors: bp.backprop.tensors, label: `example ${bp.backprop.example}` };
    return null;
  }

  function gradientRows(name, index) {
    const src = gradientSource();
    if (!src) return [['∂J/∂θ', 'press “Check gradients” or use backprop mode']];
    const t = src.tensors.find((x) => x.name === name);
    if (!t) return [['∂J/∂θ', `no ${name} in the ${src.label}`]];
    const at = (key) => (Array.isArray(t[key]) ? t[key][index] : undefined);
    const m = at('manual');
    const a = at('autodiff');
    const n = at('numeric');
    const rows = [[`∂J/∂${name}`, `(${src.label})`], ['manual', fmt(m, 6)], ['autodiff', fmt(a, 6)], ['finite diff.', fmt(n, 6)]];
    if (typeof m === 'number' && typeof n === 'number') rows.push(['rel. diff manual/numeric', fmtE(relDiff(m, n))]);
    if (typeof a === 'number' && typeof n === 'number') rows.push(['rel. diff autodiff/numeric', fmtE(relDiff(a, n))]);
    if (typeof at('values') === 'number') rows.push(['θ when checked', fmt(at('values'), 6)]);
    return rows;
  }

  function tooltipRows(h) {
    const f = bp.frame || {};
    const net = st.net;
    const shape = networkShape();
    if (!net) return [];
    if (h.kind === 'link') {
      const layer = (f.weights || [])[h.l - 1] || {};
      const w = ((layer.w || [])[h.i] || [])[h.j];
      const n = net.sizes[h.l];
      return [[`W${h.l}[${h.i}][${h.j}]`, `unit ${h.i} of layer ${h.l - 1} → unit ${h.j} of layer ${h.l}`],
        ['w', fmt(w, 6)], ...gradientRows(`W${h.l}`, h.i * n + h.j)];
    }
    const u = (net.units[h.l] || [])[h.j];
    const range = u && u.range ? [['output range', `${fmt(u.range[0])} … ${fmt(u.range[1])}`]] : [];
    if (h.l === 0) {
      const name = shape.features[h.j] || `x${h.j + 1}`;
      return [[`input ${h.j}`, FEATURE_LABELS[name] || name], ...range, ...bpUnitRows(u)];
    }
    const layer = (f.weights || [])[h.l - 1] || {};
    const b = Array.isArray(layer.b) ? layer.b[h.j] : null;
    const act = h.l === net.sizes.length - 1 ? shape.output : shape.activations[h.l - 1];
    const rows = [[`unit ${h.j} of layer ${h.l}`, act || ''], ...range, ...bpUnitRows(u)];
    if (b === null || b === undefined) return [...rows, ['bias', 'none']];
    return [...rows, [`b${h.l}[${h.j}]`, fmt(b, 6)], ...gradientRows(`b${h.l}`, h.j)];
  }

  function bpUnitRows(u) {
    if (!st.bpMode || !u) return [];
    return Object.entries(u.bp).map(([k, v]) => [k, fmt(v, 5)]);
  }

  function showTooltip() {
    const tip = $('tooltip');
    const rows = tooltipRows(st.hover);
    const table = el('table');
    for (const [k, v] of rows) {
      const tr = el('tr');
      tr.append(el('th', {}, k), el('td', {}, v));
      table.appendChild(tr);
    }
    tip.replaceChildren(table);
    tip.hidden = rows.length === 0;
  }

  // ---------------------------------------------------------------- gradient check

  function maxElementwise(t, key) {
    if (!t || !Array.isArray(t[key]) || !Array.isArray(t.numeric)) return null;
    let worst = 0;
    t[key].forEach((v, k) => { worst = Math.max(worst, relDiff(v, t.numeric[k])); });
    return worst;
  }

  function renderGradcheck(res) {
    const body = $('gradcheck').querySelector('tbody');
    body.replaceChildren();
    $('gradcheck-verdict').textContent = res && res.report ? res.report.verdict : '–';
    $('gradcheck-verdict').className = res && res.report ? res.report.verdict : '';
    if (!res || !res.report) return;
    const r = res.report;
    for (const t of r.tensors || []) {
      const full = (res.tensors || []).find((x) => x.name === t.name);
      const tr = el('tr');
      const cell = (text, cls) => el('td', cls ? { class: cls } : {}, text);
      tr.append(
        cell(t.name),
        cell((t.shape || []).join('×')),
        cell(fmtE(t.manual && t.manual.rel)),
        cell(fmtE(t.autodiff && t.autodiff.rel)),
        cell(full ? fmtE(maxElementwise(full, 'manual')) : '–'),
        cell(t.verdict + (t.kinks ? ` (${t.kinks} kinks left out)` : ''), `verdict ${t.verdict}`),
      );
      body.appendChild(tr);
    }
    const caption = el('caption', {}, `${r.mode} check, ε = ${r.eps}, ${r.examples} examples, J = ${fmt(r.loss, 6)}, pass below ${fmtE(r.pass_below)}`);
    $('gradcheck').querySelector('caption')?.remove();
    $('gradcheck').prepend(caption);
  }

  async function checkGradients() {
    if (!bp.run) return;
    clearError();
    const button = $('check-gradients');
    button.disabled = true;
    const res = await api('POST', `/api/runs/${bp.run.id}/gradcheck`);
    button.disabled = false;
    if (!res) return;
    bp.gradcheck = res;
    renderGradcheck(res);
  }

  // ---------------------------------------------------------------- backprop, step by step

  const exampleWanted = () => Math.max(0, Math.floor(Number($('backprop-example').value) || 0));

  async function enterBackprop() {
    if (!bp.run || st.bpMode) return;
    st.bpMode = true;
    document.body.classList.add('backprop');
    $('backprop-mode').setAttribute('aria-pressed', 'true');
    const max = ((bp.run.points || {}).train || []).length - 1;
    $('backprop-example').max = Math.max(0, max);
    if (isPlaying()) await transport('pause');
    await requestBackprop(exampleWanted());
  }

  function leaveBackprop() {
    st.bpMode = false;
    st.bpStage = 0;
    st.bpGrad = {};
    st.bpRequested = null;
    st.bpPending = false;
    st.bpQueued = 0;
    st.bpTicket += 1; // an answer still on its way is not wanted
    document.body.classList.remove('backprop');
    $('backprop-mode').setAttribute('aria-pressed', 'false');
    $('backprop-next').disabled = false;
    $('backprop-all').disabled = false;
    $('backprop-progress').textContent = '';
    $('backprop-name').textContent = '';
    $('backprop-equation').replaceChildren();
    $('backprop-values').textContent = '';
    clearUnitLabels();
    redraw();
  }

  function clearUnitLabels() {
    if (!st.net) return;
    for (const column of st.net.units) {
      for (const u of column) {
        u.bp = {};
        for (const t of u.lines) t.textContent = '';
        u.g.classList.remove('active');
      }
    }
  }

  // Asks for the trace of one example. The answer to the latest request wins; asking again for
  // the example already asked for keeps its progress.
  async function requestBackprop(example) {
    const run = bp.run;
    if (!run) return;
    const same = st.bpRequested === example && (st.bpPending || (bp.backprop && bp.backprop.example === example));
    if (same) return;
    st.bpRequested = example;
    st.bpPending = true;
    st.bpTicket += 1;
    const ticket = st.bpTicket;
    clearError();
    const res = await api('POST', `/api/runs/${run.id}/backprop`, { example });
    if (ticket !== st.bpTicket) return;
    st.bpPending = false;
    if (!res || !st.bpMode || bp.run !== run) {
      st.bpRequested = null;
      st.bpQueued = 0;
      return;
    }
    loadBackprop(res);
    if (st.bpQueued) {
      const count = st.bpQueued;
      st.bpQueued = 0;
      nextStage(count);
    }
  }

  function loadBackprop(res) {
    bp.backprop = res;
    st.bpStage = 0;
    st.bpGrad = {};
    clearUnitLabels();
    $('backprop-example').value = res.example;
    const x = (res.x || []).map((v) => fmt(v, 4)).join(', ');
    const y = (res.target || []).map((v) => fmt(v, 4)).join(', ');
    $('backprop-name').textContent = `Example ${res.example}: x = [${x}], target = [${y}]`;
    $('backprop-equation').replaceChildren();
    $('backprop-values').textContent = '';
    showProgress();
    redraw();
  }

  // #backprop-next and #backprop-all: before the trace has come, the stages wait for it.
  function stages(count) {
    if (st.bpMode && !st.bpPending && bp.backprop) {
      nextStage(count);
      return;
    }
    st.bpQueued += count;
    if (!st.bpMode) enterBackprop();
  }

  function showProgress() {
    const total = ((bp.backprop || {}).entries || []).length;
    $('backprop-progress').textContent = `${st.bpStage} / ${total}`;
    $('backprop-next').disabled = st.bpStage >= total;
    $('backprop-all').disabled = st.bpStage >= total;
  }

  function nextStage(count) {
    const entries = (bp.backprop || {}).entries || [];
    let shown = null;
    while (count > 0 && st.bpStage < entries.length) {
      shown = entries[st.bpStage];
      applyEntry(shown);
      st.bpStage += 1;
      count -= 1;
    }
    if (shown) showEntry(shown);
    showProgress();
    redraw();
  }

  // The labels an entry puts on the units: z, a (or ŷ, x) and δ.
  const UNIT_LINES = { x: [1, 'a'], z: [0, 'z'], a: [1, 'a'], yhat: [1, 'a'], delta: [2, 'δ'] };

  function applyEntry(e) {
    const net = st.net;
    if (!net) return;
    const values = e.values || [];
    for (const column of net.units) for (const u of column) u.g.classList.remove('active');
    const line = UNIT_LINES[e.quantity];
    const column = net.units[e.layer];
    if (line && column) {
      column.forEach((u, j) => {
        if (values[j] === undefined) return;
        u.bp[line[1]] = values[j];
        u.lines[line[0]].textContent = `${line[1]} ${fmt(values[j], 3)}`;
        u.g.classList.add('active');
      });
    } else if (e.quantity === 'db' && column) {
      column.forEach((u, j) => { if (values[j] !== undefined) u.bp['∂J/∂b'] = values[j]; });
    } else if (e.quantity === 'dW') {
      st.bpGrad[e.layer] = values;
    } else if (e.quantity === 'loss' || e.quantity === 'y') {
      const out = net.units[net.units.length - 1];
      out.forEach((u) => { u.bp[e.quantity === 'loss' ? 'J' : 'y'] = e.quantity === 'loss' ? values[0] : values[out.indexOf(u)]; });
    }
  }

  function showEntry(e) {
    $('backprop-name').textContent = `${e.name} · ${e.stage} · layer ${e.layer} · ${e.quantity} · shape [${(e.shape || []).join(', ')}]`;
    // The server's MathML (from the trace's LaTeX); Chromium renders it natively.
    $('backprop-equation').innerHTML = e.mathml || '';
    const values = (e.values || []).map((v) => fmt(v, 5));
    const cols = (e.shape || [])[(e.shape || []).length - 1] || values.length || 1;
    const rows = [];
    for (let k = 0; k < values.length; k += cols) rows.push(values.slice(k, k + cols).join('  '));
    $('backprop-values').textContent = rows.join('\n');
  }

  function clickOnPlane(ev) {
    const run = bp.run;
    if (!st.bpMode || !run || !run.plane || !run.points) return;
    const canvas = $('decision');
    const rect = canvas.getBoundingClientRect();
    const cx = ((ev.clientX - rect.left) / rect.width) * canvas.width;
    const cy = ((ev.clientY - rect.top) / rect.height) * canvas.height;
    let best = -1;
    let bestD = (10 * DPR) ** 2; // within 10 CSS pixels
    (run.points.train || []).forEach((p, k) => {
      const [x, y] = toPixel(run.plane, p[0], p[1], canvas.width);
      const d = (x - cx) ** 2 + (y - cy) ** 2;
      if (d < bestD) { bestD = d; best = k; }
    });
    if (best >= 0) {
      $('backprop-example').value = best;
      requestBackprop(best);
    }
  }

  function wireTools() {
    $('check-gradients').addEventListener('click', checkGradients);
    $('backprop-mode').addEventListener('click', () => (st.bpMode ? leaveBackprop() : enterBackprop()));
    $('backprop-example').addEventListener('change', () => {
      if (st.bpMode) requestBackprop(exampleWanted()); else enterBackprop();
    });
    $('backprop-next').addEventListener('click', () => stages(1));
    $('backprop-all').addEventListener('click', () => stages(Infinity));
    $('decision').addEventListener('click', clickOnPlane);
  }

  // ---------------------------------------------------------------- start

  async function start() {
    const requested = settingsFromUrl();
    const options = await api('GET', '/api/options');
    if (options) st.options = { ...FALLBACK_OPTIONS, ...options };
    for (const id of ['decision', 'loss-chart']) {
      const canvas = $(id);
      canvas.width *= DPR;
      canvas.height *= DPR;
    }
    buildControls();
    wireControls();
    wireTooltip();
    wireTools();
    let resizeTimer = null;
    window.addEventListener('resize', () => {
      clearTimeout(resizeTimer);
      resizeTimer = setTimeout(() => { buildNetwork(); redraw(); }, 150);
    });
    await createRun(requested, false);
  }

  start();
})();
