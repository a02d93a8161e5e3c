// Drawing with ECharts. The vendored echarts.min.js is a classic script that index.html loads before the
// modules, so it is the global `echarts` here. Each page module builds its own chart's option.

// every step or touchpoint named under its bar: cut to fit (the tooltip and the table have it whole)
export const EVERY_NAME = { interval: 0, width: 140, overflow: "truncate" };
export const GRID = { left: 50, right: 20, top: 40, bottom: 30 };

// The chart on a node is found on the node itself: one chart per node, whichever page drew it last.
export function clearChart(node) {
  const chart = echarts.getInstanceByDom(node);
  if (chart) chart.dispose();
}

export function drawChart(node, option) {
  clearChart(node);
  node.replaceChildren();
  // no entry animation: an analyst compares numbers, and a screenshot shows the final chart
  echarts.init(node).setOption({ animation: false, ...option });
}

export function resizeChart(node) {
  const chart = echarts.getInstanceByDom(node);
  if (chart) chart.resize();
}
