/**
 * A live time-series chart (uPlot on a canvas). The canvas is hidden from assistive technology;
 * the figure's caption says what it shows and a visually hidden table lists the latest values.
 */
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export interface ChartSeries {
  label: string;
  values: (number | null)[];
}

/** Colour-blind-safe (Okabe–Ito), each at least 3:1 against white. */
const COLOURS = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#8a6d00', '#56B4E9', '#000000', '#E69F00'];

export function Chart(props: { id: string; title: string; unit: string; times: number[]; series: ChartSeries[]; height?: number; empty?: string }) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const shape = props.series.map((s) => s.label).join('\u0000');

  useEffect(() => {
    const el = box.current;
    if (el === null || props.series.length === 0) return;
    const width = Math.max(300, el.clientWidth);
    const opts: uPlot.Options = {
      width,
      height: props.height ?? 220,
      scales: { x: { time: true }, y: { range: (_u, min, max) => [Math.min(0, min), Math.max(1, max * 1.1)] } },
      axes: [{ stroke: '#333' }, { stroke: '#333', label: props.unit, size: 60 }],
      series: [{}, ...props.series.map((s, i) => ({ label: s.label, stroke: COLOURS[i % COLOURS.length] as string, width: 2, spanGaps: false }))],
      legend: { live: false },
    };
    const u = new uPlot(opts, [props.times.map((t) => t / 1000), ...props.series.map((s) => s.values)] as uPlot.AlignedData, el);
    u.root.setAttribute('aria-hidden', 'true');
    plot.current = u;
    const ro = new ResizeObserver(() => u.setSize({ width: Math.max(300, el.clientWidth), height: props.height ?? 220 }));
    ro.observe(el);
    return () => {
      ro.disconnect();
      u.destroy();
      plot.current = null;
    };
    // a new set of series means a new chart; new points only update it (below)
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [shape]);

  useEffect(() => {
    plot.current?.setData([props.times.map((t) => t / 1000), ...props.series.map((s) => s.values)] as uPlot.AlignedData);
  }, [props.times, props.series]);

  const latest = props.series.map((s) => [s.label, [...s.values].reverse().find((v) => v !== null && v !== undefined)] as const);
  return (
    <figure class="chart" aria-labelledby={`${props.id}-caption`}>
      <figcaption id={`${props.id}-caption`}>{props.title}</figcaption>
      {props.series.length === 0 ? <p class="muted">{props.empty ?? 'No figures yet.'}</p> : <div ref={box} class="chart-canvas" />}
      {props.series.length > 0 && (
        <table class="visually-hidden">
          <caption>{props.title}: latest values</caption>
          <tbody>
            {latest.map(([label, v]) => (
              <tr key={label}>
                <th scope="row">{label}</th>
                <td>{v === undefined || v === null ? 'no figure' : `${v.toFixed(1)} ${props.unit}`}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </figure>
  );
}
