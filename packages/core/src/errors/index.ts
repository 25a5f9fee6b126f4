export { AdmitOneError, isAdmitOneError, type AdmitOneErrorOptions } from './base.js';
export * from './classes.js';
