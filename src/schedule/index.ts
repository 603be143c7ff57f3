// Schedules: the schedules file, and its rendering for cron and systemd.
// The public door: other layers import this folder through this file only (the lint enforces it);
// tests may reach the files behind it.
export { renderCrontab } from './render-crontab.ts';
export { renderSystemd } from './render-systemd.ts';
export { loadSchedules, previousTick, type Schedule } from './schedules.ts';
