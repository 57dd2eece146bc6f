// chart.js: the live page's small charts, drawn on a canvas: a line (sparkline) over x or bars,
// with the latest value and (on an automatic scale) the largest written in the corners.

// chart draws points [{x, y}] on canvas. opts: x0, x1 (the x range; default: the points'),
// max (the top of the y scale; default: the largest y), bars (draw bars in order, not a line over
// x), slots (with bars: the fewest slots to divide the width into), colour, unit (a function
// formatting a y value for the labels).
export function chart(canvas, points, opts = {}) {
  const ctx = canvas.getContext("2d");
  const { width: w, height: h } = canvas;
  const pad = 3;
  const fmt = opts.unit || ((v) => v.toFixed(1));
  ctx.clearRect(0, 0, w, h);
  ctx.fillStyle = "rgba(127,127,127,0.12)";
  ctx.fillRect(0, 0, w, h);
  if (!points.length) {
    label(ctx, "no data yet", 4, h / 2 + 4);
    return;
  }
  const x0 = opts.x0 ?? points[0].x;
  const x1 = opts.x1 ?? points[points.length - 1].x;
  const top = opts.max ?? Math.max(...points.map((p) => p.y));
  const yMax = top > 0 ? top : 1;
  const X = (x) => pad + ((x - x0) / Math.max(x1 - x0, 1e-9)) * (w - 2 * pad);
  const Y = (y) => h - pad - (Math.min(Math.max(y, 0), yMax) / yMax) * (h - 2 * pad - 12);

  ctx.fillStyle = ctx.strokeStyle = opts.colour || "rgb(0,150,200)";
  if (opts.bars) {
    // One slot per point, oldest on the left, at least slots of them so a few bars stay narrow.
    const slot = (w - 2 * pad) / Math.max(points.length, opts.slots ?? 1);
    points.forEach((p, i) => ctx.fillRect(pad + i * slot + 1, Y(p.y), Math.max(1, slot - 2), h - pad - Y(p.y)));
  } else {
    ctx.lineWidth = 1.5;
    ctx.beginPath();
    points.forEach((p, i) => (i ? ctx.lineTo(X(p.x), Y(p.y)) : ctx.moveTo(X(p.x), Y(p.y))));
    ctx.stroke();
  }
  label(ctx, "now " + fmt(points[points.length - 1].y), 4, 11);
  if (opts.max == null) {
    const max = "max " + fmt(top);
    label(ctx, max, w - 4 - ctx.measureText(max).width, 11);
  }
}

function label(ctx, text, x, y) {
  ctx.font = "10px system-ui, sans-serif";
  ctx.fillStyle = "rgb(110,110,110)";
  ctx.fillText(text, x, y);
}
