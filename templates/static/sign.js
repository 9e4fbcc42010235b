// The signing pad: pointer events draw strokes on the canvas and record every point with its
// time; on submit the strokes go as JSON (the vector signature) and the canvas as a PNG data
// URL (the rendered image). An empty pad is refused here and again by the server.
(function () {
  const form = document.getElementById('sign-form');
  const pad = document.getElementById('pad');
  if (!form || !pad) return;
  const ctx = pad.getContext('2d');
  const strokes = [];
  let current = null;
  let started = null;

  // The canvas keeps its drawing size; map CSS pixels to it.
  function point(e) {
    const r = pad.getBoundingClientRect();
    const x = (e.clientX - r.left) * (pad.width / r.width);
    const y = (e.clientY - r.top) * (pad.height / r.height);
    if (started === null) started = performance.now();
    const clamp = (v, max) => Math.max(0, Math.min(max, v));
    return [clamp(x, pad.width), clamp(y, pad.height), Math.round(performance.now() - started)];
  }

  function draw(from, to) {
    ctx.lineWidth = 3;
    ctx.lineCap = 'round';
    ctx.lineJoin = 'round';
    ctx.strokeStyle = '#111';
    ctx.beginPath();
    ctx.moveTo(from[0], from[1]);
    ctx.lineTo(to[0], to[1]);
    ctx.stroke();
  }

  pad.addEventListener('pointerdown', (e) => {
    e.preventDefault();
    pad.setPointerCapture(e.pointerId);
    current = [point(e)];
    strokes.push(current);
  });
  pad.addEventListener('pointermove', (e) => {
    if (!current) return;
    const p = point(e);
    draw(current[current.length - 1], p);
    current.push(p);
  });
  const end = () => { current = null; };
  pad.addEventListener('pointerup', end);
  pad.addEventListener('pointercancel', end);

  document.getElementById('clear').addEventListener('click', () => {
    strokes.length = 0;
    started = null;
    ctx.clearRect(0, 0, pad.width, pad.height);
  });

  form.addEventListener('submit', (e) => {
    const drawn = strokes.some((s) => s.length >= 2);
    document.getElementById('pad-empty').hidden = drawn;
    if (!drawn) {
      e.preventDefault();
      return;
    }
    form.elements.strokes.value = JSON.stringify({ width: pad.width, height: pad.height, strokes: strokes });
    form.elements.image_png.value = pad.toDataURL('image/png');
  });
})();
