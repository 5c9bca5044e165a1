// The detectors moved to the platform (src/platform/privacy/personal-data.ts) so the LLM gateway uses the same
// ones; the hotline's views keep importing them from here.
export { HIDDEN, maskPersonalData, maskPersonalDataDeep, redactPersonalData, type PersonalDataKind } from '../platform/privacy/personal-data.js';
