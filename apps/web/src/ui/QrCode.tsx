import { useMemo } from "react";
import qrcode from "qrcode-generator";

/** The dark modules of a QR code as one SVG path, one 1×1 square per module, with a 4-module quiet zone. */
export function qrPath(text: string): { size: number; d: string } {
  const qr = qrcode(0, "M");
  qr.addData(text);
  qr.make();
  const n = qr.getModuleCount();
  const parts: string[] = [];
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < n; c++) if (qr.isDark(r, c)) parts.push(`M${c + 4} ${r + 4}h1v1h-1z`);
  }
  return { size: n + 8, d: parts.join("") };
}

// Drawn by React as SVG elements: no HTML strings, no data: URL, no inline style (the CSP forbids them).
export function QrCode({ text, label }: { text: string; label: string }) {
  const { size, d } = useMemo(() => qrPath(text), [text]);
  return (
    <svg
      className="qr"
      viewBox={`0 0 ${size} ${size}`}
      role="img"
      aria-label={label}
      shapeRendering="crispEdges"
    >
      <rect className="qr-bg" width={size} height={size} />
      <path className="qr-fg" d={d} />
    </svg>
  );
}
