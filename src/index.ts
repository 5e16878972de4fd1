export { Warren, DEFAULTS, type WarrenOptions } from './warren.js';
export { Broker } from './core/broker.js';
export { VERSION } from './version.js';
