// A grouped bar chart in plain SVG (no chart library): one group per period bucket.
import { useTranslation } from "react-i18next";

import { bucketLabel, type ChartPoint, layoutBars, type Period } from "./model";

const COLORS = ["#228be6", "#40c057", "#fa5252", "#fab005"];
const WIDTH = 720;
const HEIGHT = 220;
const PAD = { left: 40, bottom: 36, top: 10, right: 10 };

interface Props {
  points: ChartPoint[];
  series: string[]; // legend labels, one per value
  period: Period;
  title: string;
}

export function BarChart({ points, series, period, title }: Props) {
  const { t } = useTranslation();
  const plotW = WIDTH - PAD.left - PAD.right;
  const plotH = HEIGHT - PAD.top - PAD.bottom;
  const { bars, max } = layoutBars(points, plotW, plotH);
  const every = Math.max(1, Math.ceil(points.length / 12)); // at most ~12 axis labels
  return (
    <figure style={{ margin: 0 }} data-testid="report-chart">
      <svg viewBox={`0 0 ${WIDTH} ${HEIGHT}`} width="100%" role="img" aria-label={title}>
        <title>{title}</title>
        <g transform={`translate(${PAD.left},${PAD.top})`}>
          {[0, 0.5, 1].map((f) => (
            <g key={f}>
              <line x1={0} x2={plotW} y1={plotH - f * plotH} y2={plotH - f * plotH} stroke="#dee2e6" />
              <text x={-6} y={plotH - f * plotH + 4} textAnchor="end" fontSize={11} fill="#868e96">
                {Number((max * f).toFixed(2))}
              </text>
            </g>
          ))}
          {bars.map((b, i) => (
            <rect key={i} x={b.x} y={b.y} width={b.width} height={b.height} fill={COLORS[b.series % COLORS.length]}>
              <title>{`${bucketLabel(b.bucket, period)} · ${series[b.series]}: ${b.value}`}</title>
            </rect>
          ))}
          {points.map((p, g) =>
            g % every === 0 ? (
              <text key={p.bucket} x={(g + 0.5) * (plotW / points.length)} y={plotH + 16} textAnchor="middle" fontSize={11} fill="#495057">
                {bucketLabel(p.bucket, period)}
              </text>
            ) : null,
          )}
        </g>
      </svg>
      <figcaption style={{ display: "flex", gap: 16, fontSize: 12 }}>
        {series.map((name, i) => (
          <span key={name}>
            <span style={{ display: "inline-block", width: 10, height: 10, background: COLORS[i % COLORS.length], marginRight: 4 }} />
            {name}
          </span>
        ))}
        {points.length === 0 && <span>{t("reports.noData")}</span>}
      </figcaption>
    </figure>
  );
}
