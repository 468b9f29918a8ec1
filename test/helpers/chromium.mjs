// Debian's Chromium, as the page's tests and benchmarks start it: through playwright-core, nothing downloaded. The
// flags keep it off the network this machine does not have (background networking, component updates, sync, QUIC).
export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
