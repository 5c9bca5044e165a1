/**
 * ECharts with only the charts and components the screens use (tree-shaken), and the demo city's districts
 * registered: the chunk `ui/echart.tsx` imports the first time a chart is shown.
 */
import * as echarts from 'echarts/core';
import { BarChart, LineChart, MapChart, ScatterChart } from 'echarts/charts';
import {
  AriaComponent, GeoComponent, GridComponent, LegendComponent, TitleComponent, TooltipComponent, VisualMapComponent,
} from 'echarts/components';
import { CanvasRenderer } from 'echarts/renderers';

echarts.use([
  BarChart, LineChart, MapChart, ScatterChart, GeoComponent, GridComponent, LegendComponent, TitleComponent,
  TooltipComponent, VisualMapComponent, AriaComponent, CanvasRenderer,
]);

export { echarts };
