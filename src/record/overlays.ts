/** What a clip shows besides the particles: a caption per run and the schedule chart inset. */

const FG = '#d7dce5';
const SHADOW = '#0b0d12';

/** One line of text in the bottom-left of a rectangle, sized to the clip. */
export function drawCaption(
  ctx: CanvasRenderingContext2D,
  text: string,
  x: number,
  width: number,
  height: number,
): void {
  const size = Math.max(12, Math.round(height / 36));
  ctx.save();
  ctx.font = `${size}px ui-monospace, Menlo, Consolas, monospace`;
  ctx.textBaseline = 'bottom';
  ctx.shadowColor = SHADOW;
  ctx.shadowBlur = size / 3;
  ctx.fillStyle = FG;
  ctx.fillText(text, x + size, height - size, width - 2 * size);
  ctx.restore();
}

/** A chart's canvas, scaled into the top-right corner on a dark card. */
export function drawInset(
  ctx: CanvasRenderingContext2D,
  chart: HTMLCanvasElement,
  width: number,
  height: number,
): void {
  if (!chart.width || !chart.height) return;
  const w = Math.round(width * 0.3);
  const h = Math.round((w * chart.height) / chart.width);
  const margin = Math.round(height / 40);
  const x = width - w - margin;
  ctx.save();
  ctx.globalAlpha = 0.88;
  ctx.fillStyle = '#10131a';
  ctx.fillRect(x - margin / 2, margin / 2, w + margin, h + margin);
  ctx.globalAlpha = 1;
  ctx.drawImage(chart, x, margin, w, h);
  ctx.restore();
}
