import { textHook } from '../texts.js';

/** The map component's words (zh, en); kept here so the component is one folder. */
const text = {
  map: ['地图', 'Map'],
  locate_me: ['定位到我', 'Locate me'],
  locating: ['正在定位…', 'Locating…'],
  locate_failed: ['无法获取您的位置，请在地图上点选或拖动图钉。', 'Your position is not available; tap the map or drag the pin.'],
  legend: ['图例', 'Legend'],
  pin: ['诉求位置（可拖动）', 'Appeal location (drag to move)'],
  heat_low: ['少', 'few'],
  heat_high: ['多', 'many'],
  offline_note: ['离线底图 · 演示城市', 'Offline basemap · demo city'],
} satisfies Record<string, [string, string]>;

export type MapTextKey = keyof typeof text;

export const useMapText = textHook(text);
